/* The technician app (/tech/): the service worker that keeps changes made offline, the
 * checklist's tick-to-save, the signature pad. A form marked data-offline="queue" is posted
 * with fetch; without a connection it is handed to the service worker, which sends it when
 * the connection is back (each status form carries its own idempotency key: applied once). */
(function () {
  "use strict";
  var script = document.currentScript;
  var banner = document.getElementById("connection");
  var queuedNote = document.getElementById("queued");

  function worker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.ready.then(function (registration) {
      return navigator.serviceWorker.controller || registration.active;
    });
  }

  function ask(message) {
    return worker().then(function (target) {
      if (!target) return null;
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { resolve(event.data); };
        target.postMessage(message, [channel.port2]);
      });
    });
  }

  function show(answer) {
    var left = answer && typeof answer.left === "number" ? answer.left : 0;
    document.documentElement.dataset.queued = String(left);
    if (queuedNote) queuedNote.textContent = left ? left + " change(s) waiting to be sent." : "";
    if (banner) banner.hidden = navigator.onLine && !left;
  }

  function queue(form, data) {
    var entries = [];
    data.forEach(function (value, name) { entries.push([name, value]); });
    return ask({ type: "queue", url: form.action, entries: entries }).then(function (answer) {
      show(answer);
      form.classList.add("queued");
    });
  }

  // A flush that could not send everything (the link came back flaky, the server was slow)
  // is tried again while online, waiting 1 s, 2 s, 4 s... up to 30 s between tries.
  var retryDelay = 1000, retryTimer = null;

  function retryLater() {
    if (retryTimer || !navigator.onLine) return;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function flush() {
    return ask({ type: "flush" }).then(function (answer) {
      show(answer);
      if (answer && answer.sent) { window.location.reload(); return; }
      if (answer && answer.left) retryLater();
    }, retryLater);
  }

  if ("serviceWorker" in navigator && script && script.dataset.worker) {
    navigator.serviceWorker.register(script.dataset.worker, { scope: "/tech/" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-offline=queue]")) return;
    event.preventDefault();
    var pad = form.id === "signature-form" && document.getElementById("signature-pad");
    if (pad) document.getElementById("signature-data").value = pad.toDataURL("image/png");
    var data = new FormData(form);
    if (!navigator.onLine) { queue(form, data); return; }
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { window.location.assign(response.url || window.location.href); })
      .catch(function () { queue(form, data); });
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-autosubmit]")) box.form.requestSubmit();
  });

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { show({ left: 0 }); });
  if (navigator.onLine) { flush(); } else { show({ left: 0 }); }

  var pad = document.getElementById("signature-pad");
  if (pad) {
    var context = pad.getContext("2d");
    var drawing = false;
    context.lineWidth = 2;
    context.lineCap = "round";
    function point(event) {
      var box = pad.getBoundingClientRect();
      return [(event.clientX - box.left) * pad.width / box.width,
              (event.clientY - box.top) * pad.height / box.height];
    }
    pad.addEventListener("pointerdown", function (event) {
      drawing = true;
      var at = point(event);
      context.beginPath();
      context.moveTo(at[0], at[1]);
    });
    pad.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var at = point(event);
      context.lineTo(at[0], at[1]);
      context.stroke();
    });
    ["pointerup", "pointerleave"].forEach(function (name) {
      pad.addEventListener(name, function () { drawing = false; });
    });
    document.getElementById("signature-clear").addEventListener("click", function () {
      context.clearRect(0, 0, pad.width, pad.height);
    });
  }
})();

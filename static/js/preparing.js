// 'Your workspace is being prepared' (tenants/preparing.html): follows the provisioning status
// live. Loaded as a file (the Content-Security-Policy runs no inline script); its settings come
// from the page's json_script block #prep-poll. Without JavaScript the page reloads itself.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("prep-poll").textContent);
  var page = document.querySelector(".preparing");
  var progress = page.querySelector(".progress");
  var bar = document.getElementById("prep-bar");
  var steps = page.querySelectorAll(".step");
  var ready = document.getElementById("prep-ready");
  var failed = document.getElementById("prep-failed");
  var open = document.getElementById("prep-open");
  var admin = document.getElementById("prep-admin");

  function render(s) {
    page.dataset.status = s.status;
    document.getElementById("prep-headline").textContent = s.headline;
    document.getElementById("prep-message").textContent = s.message;
    document.title = s.headline + " · DotMac";
    steps.forEach(function (step, index) { step.classList.toggle("done", index < s.steps_done); });
    // Through the CSSOM, which the Content-Security-Policy allows (not a style attribute).
    bar.style.setProperty("--bar", (100 * s.steps_done / s.steps_total) + "%");
    progress.setAttribute("aria-valuenow", s.steps_done);
    ready.hidden = s.status !== "active";
    failed.hidden = s.status !== "failed";
    if (s.status === "active") {
      open.href = s.url;
      admin.href = s.admin_url;
      admin.textContent = s.admin_url;
      document.getElementById("prep-username").textContent = s.admin_username;
    }
  }
  function poll() {
    fetch(config.url, {headers: {Accept: "application/json"}, cache: "no-store"})
      .then(function (response) {
        if (response.status === 404) return null;  // the link expired: stop asking
        return response.ok ? response.json() : {retry: 3000};
      })
      .then(function (s) {
        if (s === null) return;
        if (s.retry) { setTimeout(poll, s.retry); return; }
        render(s);
        if (s.status === "active" || s.status === "closed") return;
        // A failed attempt may still be retried by the platform: keep watching, gently.
        setTimeout(poll, s.status === "failed" ? 5000 : 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (config.status !== "active" && config.status !== "closed") setTimeout(poll, 1000);
})();

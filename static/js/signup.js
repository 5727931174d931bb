// The signup form (tenants/signup.html): the workspace address suggested from the name and
// checked live as it is typed, and the two passwords compared. Loaded as a file: the pages'
// Content-Security-Policy runs no inline script. Reads its URLs from the form's data- attributes.
(function () {
  "use strict";
  var form = document.querySelector(".signup-card");
  var name = form.querySelector("#id_name");
  var slug = form.querySelector("#id_slug");
  var host = document.getElementById("slug-host");
  var state = document.getElementById("slug-state");
  var password = form.querySelector("#id_admin_password");
  var confirm = form.querySelector("#id_admin_password_confirm");
  var baseDomain = form.dataset.baseDomain;
  var checkUrl = form.dataset.checkUrl;
  // A slug re-rendered after an error, or typed by hand, is the person's choice: keep it.
  var chosen = slug.value !== "";
  var timer = null;
  var sequence = 0;

  function suggest(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 63).replace(/-+$/, "");
  }
  function show(kind, text) {
    state.className = "slug-state" + (kind ? " " + kind : "");
    state.textContent = text;
  }
  function current() { return slug.value.trim().toLowerCase(); }
  function showHost() { host.textContent = (current() || "your-workspace") + "." + baseDomain; }
  function check(value) {
    var mine = ++sequence;
    fetch(checkUrl + "?" + new URLSearchParams({slug: value}), {headers: {Accept: "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (mine !== sequence) return;  // an older answer arriving late
        if (body.available) show("ok", "✓ Available");
        else show("bad", "✗ " + body.message);
      })
      .catch(function () { if (mine === sequence) show("", ""); });
  }
  function changed() {
    showHost();
    clearTimeout(timer);
    sequence++;
    var value = current();
    if (!value) { show("", ""); return; }
    show("checking", "Checking…");
    timer = setTimeout(function () { check(value); }, 350);
  }
  name.addEventListener("input", function () {
    if (chosen) return;
    slug.value = suggest(name.value);
    changed();
  });
  slug.addEventListener("input", function () {
    chosen = slug.value !== "";
    changed();
  });
  function matchPasswords() {
    var differ = confirm.value && password.value !== confirm.value;
    confirm.setCustomValidity(differ ? "The two passwords do not match." : "");
  }
  password.addEventListener("input", matchPasswords);
  confirm.addEventListener("input", matchPasswords);
  showHost();
})();

/* Account: change the password; create a personal API token (shown once). */
(function () {
  "use strict";
  var CP = window.CP;
  var pw = document.getElementById("password-form");
  pw.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = pw.elements;
    if (f["new"].value !== f.repeat.value) { CP.say(CP.t("passwords_differ"), "error"); f.repeat.focus(); return; }
    CP.api("/api/password", { method: "POST", body: { current_password: f.current.value, new_password: f["new"].value } })
      .then(function () { pw.reset(); CP.say(CP.t("password_changed"), "ok"); }, CP.fail);
  });
  var tk = document.getElementById("token-form");
  tk.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var out = CP.clear(document.getElementById("token-once"));
    CP.api("/api/tokens", { method: "POST", body: { name: tk.elements.name.value.trim() } }).then(function (r) {
      out.appendChild(CP.el("div", { "class": "secret-once" }, [CP.el("p", {}, CP.t("token_once")), CP.el("code", {}, r.token)]));
    }, CP.fail);
  });
})();

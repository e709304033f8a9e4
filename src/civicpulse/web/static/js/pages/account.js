/* Account: change the password; create a personal API token (shown once); list and revoke tokens. */
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
  function when(iso) { return iso ? CP.fmt.day(iso) + " " + iso.slice(11, 16) : CP.t("never_used"); }
  function loadTokens() {
    return CP.api("/api/tokens").then(function (list) {
      var body = CP.clear(document.querySelector("#token-table tbody"));
      document.getElementById("no-tokens").hidden = list.length > 0;
      list.forEach(function (t) {
        var revoke = CP.el("button", { type: "button", "class": "secondary" }, CP.t("revoke"));
        revoke.addEventListener("click", function () {
          CP.api("/api/tokens/" + encodeURIComponent(t.id), { method: "DELETE" }).then(function () {
            CP.say(CP.t("token_revoked", { name: t.name }), "ok");
            loadTokens();
          }, CP.fail);
        });
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, t.name), CP.el("td", {}, CP.el("code", {}, t.id)),
          CP.el("td", {}, when(t.created_at)), CP.el("td", {}, when(t.last_used_at)), CP.el("td", {}, revoke)]));
      });
    }, CP.fail);
  }
  var tk = document.getElementById("token-form");
  tk.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var out = CP.clear(document.getElementById("token-once"));
    CP.api("/api/tokens", { method: "POST", body: { name: tk.elements.name.value.trim() } }).then(function (r) {
      out.appendChild(CP.el("div", { "class": "secret-once" }, [CP.el("p", {}, CP.t("token_once")), CP.el("code", {}, r.token)]));
      loadTokens();
    }, CP.fail);
  });
  loadTokens();
})();

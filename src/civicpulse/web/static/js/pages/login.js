/* Sign in: clear messages for a wrong password (401) and for too many attempts (429, with the wait). */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("login-form");
  var out = document.getElementById("login-error");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    CP.say("", "info", out);
    CP.api("/api/login", { method: "POST", body: { username: form.elements.username.value.trim(),
      password: form.elements.password.value } }).then(function () {
      var next = form.getAttribute("data-next") || "/";
      window.location.href = next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : "/";
    }, function (err) {
      var text = err.status === 401 ? CP.t("login_failed")
        : err.status === 429 ? CP.t("login_throttled", { s: err.retryAfter || "60" }) : err.message;
      CP.say(text, "error", out);
      form.elements.password.value = "";
      form.elements.password.focus();
    });
  });
})();

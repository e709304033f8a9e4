/* Administration: create workspaces (with their owner) and users; list both; disable, enable, delete users. */
(function () {
  "use strict";
  var CP = window.CP;

  function loadWorkspaces() {
    return CP.api("/api/admin/workspaces").then(function (list) {
      var ul = CP.clear(document.getElementById("workspace-list"));
      list.forEach(function (w) {
        ul.appendChild(CP.el("li", {}, [CP.el("a", { href: "/w/" + encodeURIComponent(w.name) + "/" }, w.name),
          " — " + CP.fmt.day(w.created_at)]));
      });
    }, CP.fail);
  }
  function userAction(label, method, path, done, question) {
    var button = CP.el("button", { type: "button", "class": "secondary" }, label);
    button.addEventListener("click", function () {
      if (question && !window.confirm(question)) return;
      CP.api(path, { method: method }).then(function () { CP.say(done, "ok"); loadUsers(); }, CP.fail);
    });
    return button;
  }
  function loadUsers() {
    return CP.api("/api/admin/users").then(function (list) {
      var body = CP.clear(document.querySelector("#user-table tbody"));
      list.forEach(function (u) {
        var base = "/api/admin/users/" + encodeURIComponent(u.username), name = { name: u.username };
        var toggle = u.disabled
          ? userAction(CP.t("enable"), "POST", base + "/enable", CP.t("user_enabled", name))
          : userAction(CP.t("disable"), "POST", base + "/disable", CP.t("user_disabled", name));
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, u.username),
          CP.el("td", {}, u.is_admin ? CP.t("yes") : CP.t("no")),
          CP.el("td", {}, u.disabled ? CP.t("disabled") : CP.t("active")),
          CP.el("td", {}, [toggle, " ", userAction(CP.t("delete"), "DELETE", base, CP.t("user_deleted", name),
            CP.t("confirm_delete_user", name))])]));
      });
    }, CP.fail);
  }

  var ws = document.getElementById("workspace-form");
  ws.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = { name: ws.elements.name.value.trim(), owner: ws.elements.owner.value.trim() || null };
    CP.api("/api/admin/workspaces", { method: "POST", body: body }).then(function (r) {
      CP.say(CP.t("workspace_created", { name: r.name, owner: r.owner }), "ok");
      ws.reset();
      loadWorkspaces();
    }, CP.fail);
  });
  var user = document.getElementById("user-form");
  user.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = user.elements;
    CP.api("/api/admin/users", { method: "POST", body: { username: f.username.value.trim(), password: f.password.value,
      admin: f.admin.checked } }).then(function (r) {
      CP.say(CP.t("user_created", { name: r.username }), "ok");
      user.reset();
      loadUsers();
    }, CP.fail);
  });
  loadWorkspaces();
  loadUsers();
})();

/* Administration: create workspaces (with their owner) and users; list both; disable, enable, delete users;
 * manage one user: reset their password, make or unmake them an administrator, their roles in every workspace. */
(function () {
  "use strict";
  var CP = window.CP;

  var managed = null;  // the user whose panel is open: {username, is_admin}

  function loadWorkspaces() {
    return CP.api("/api/admin/workspaces").then(function (list) {
      var choice = CP.clear(document.getElementById("ro-ws"));
      list.forEach(function (w) { choice.appendChild(CP.el("option", { value: w.name }, w.name)); });
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
          CP.el("td", {}, [toggle, " ", CP.el("button", { type: "button", "class": "secondary",
            onclick: function () { manage(u); } }, CP.t("manage_user")), " ",
          userAction(CP.t("delete"), "DELETE", base, CP.t("user_deleted", name), CP.t("confirm_delete_user", name))])]));
        if (managed && managed.username === u.username) { managed = u; showAdminState(); }
      });
    }, CP.fail);
  }

  function userPath(rest) { return "/api/admin/users/" + encodeURIComponent(managed.username) + (rest || ""); }

  function showAdminState() {
    document.getElementById("admin-state").textContent = managed.is_admin ? CP.t("is_admin_yes") : CP.t("is_admin_no");
    document.getElementById("admin-toggle").textContent = managed.is_admin ? CP.t("remove_admin") : CP.t("make_admin");
  }

  function loadRoles() {
    var username = managed.username;
    return CP.api(userPath("/workspaces")).then(function (list) {
      var body = CP.clear(document.querySelector("#roles-table tbody"));
      if (!list.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "3" }, CP.t("no_roles"))));
      list.forEach(function (m, i) {
        var select = CP.el("select", { id: "ur-" + i, "aria-label": CP.t("role_of", { name: username + " @ " + m.workspace }) },
          ["viewer", "analyst", "owner"].map(function (r) { return CP.el("option", { value: r, selected: r === m.role }, CP.label("role", r)); }));
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, m.workspace), CP.el("td", {}, select), CP.el("td", {}, [
          CP.el("button", { type: "button", "class": "secondary", onclick: function () { grant(m.workspace, select.value); } }, CP.t("change_role")), " ",
          CP.el("button", { type: "button", "class": "danger", onclick: function () {
            if (!window.confirm(CP.t("confirm_remove", { name: username }))) return;
            CP.api("/api/admin/workspaces/" + encodeURIComponent(m.workspace) + "/members/" + encodeURIComponent(username),
              { method: "DELETE" }).then(function () { CP.say(CP.t("member_removed", { name: username }), "ok"); loadRoles(); }, CP.fail);
          } }, CP.t("remove"))])]));
      });
    }, CP.fail);
  }

  function grant(workspace, role) {
    return CP.api("/api/admin/workspaces/" + encodeURIComponent(workspace) + "/members", { method: "PUT",
      body: { username: managed.username, role: role } }).then(function (r) {
      CP.say(CP.t("member_saved", { name: r.username, role: CP.label("role", r.role) }), "ok");
      return loadRoles();
    }, CP.fail);
  }

  function manage(u) {
    managed = u;
    var panel = document.getElementById("user-panel");
    panel.hidden = false;
    var heading = document.getElementById("h-user-panel");
    heading.textContent = CP.t("manage_user_title", { name: u.username });
    showAdminState();
    loadRoles();
    heading.focus();
  }

  document.getElementById("reset-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var field = document.getElementById("rp-password");
    CP.api(userPath("/password"), { method: "POST", body: { password: field.value } }).then(function () {
      CP.say(CP.t("password_reset_done", { name: managed.username }), "ok");
      field.value = "";
    }, CP.fail);
  });
  document.getElementById("admin-toggle").addEventListener("click", function () {
    CP.api(userPath("/admin"), { method: "POST", body: { admin: !managed.is_admin } }).then(function (r) {
      CP.say(r.is_admin ? CP.t("admin_granted", { name: r.username }) : CP.t("admin_removed", { name: r.username }), "ok");
      managed.is_admin = r.is_admin;
      showAdminState();
      loadUsers();
    }, CP.fail);
  });
  document.getElementById("role-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target.elements;
    if (managed && f.workspace.value) grant(f.workspace.value, f.role.value);
  });

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

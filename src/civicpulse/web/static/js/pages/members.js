/* Members (owners): list with role change and removal, add a member. */
(function () {
  "use strict";
  var CP = window.CP;
  var ROLES = ["viewer", "analyst", "owner"];

  function grant(username, role) {
    return CP.api(CP.wsApi("/members"), { method: "PUT", body: { username: username, role: role } }).then(function (r) {
      CP.say(CP.t("member_saved", { name: r.username, role: CP.label("role", r.role) }), "ok");
      return load();
    }, CP.fail);
  }

  function load() {
    return CP.api(CP.wsApi("/members")).then(function (list) {
      var body = CP.clear(document.querySelector("#members-table tbody"));
      list.forEach(function (m, i) {
        var select = CP.el("select", { id: "role-" + i, "aria-label": CP.t("role_of", { name: m.username }) },
          ROLES.map(function (r) { return CP.el("option", { value: r, selected: r === m.role }, CP.label("role", r)); }));
        var save = CP.el("button", { type: "button", "class": "secondary", onclick: function () { grant(m.username, select.value); } },
          CP.t("change_role"));
        var remove = CP.el("button", { type: "button", "class": "danger", onclick: function () {
          if (!window.confirm(CP.t("confirm_remove", { name: m.username }))) return;
          CP.api(CP.wsApi("/members/" + encodeURIComponent(m.username)), { method: "DELETE" }).then(function () {
            CP.say(CP.t("member_removed", { name: m.username }), "ok");
            load();
          }, CP.fail);
        } }, CP.t("remove"));
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, m.username), CP.el("td", {}, select),
          CP.el("td", {}, [save, " ", remove])]));
      });
    }, CP.fail);
  }

  var form = document.getElementById("member-form");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    grant(form.elements.username.value.trim(), form.elements.role.value).then(function () { form.reset(); });
  });
  load();
})();

/* Saved queries: list, create, edit, delete; the query text is checked as you type. */
(function () {
  "use strict";
  var CP = window.CP;
  var analyst = CP.atLeast("analyst");
  var form = document.getElementById("query-form");

  function load() {
    return CP.api(CP.wsApi("/queries")).then(function (list) {
      var body = CP.clear(document.querySelector("#queries-table tbody"));
      if (!list.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_queries"))));
      list.forEach(function (q) {
        var actions = [CP.el("a", { href: "/w/" + encodeURIComponent(CP.data.ws) + "/?query=" + encodeURIComponent(q.query_id) },
          CP.t("open_dashboard"))];
        if (analyst) {
          actions.push(" ", CP.el("button", { type: "button", "class": "secondary", onclick: function () { edit(q); } }, CP.t("edit")));
          actions.push(" ", CP.el("button", { type: "button", "class": "danger", onclick: function () {
            if (!window.confirm(CP.t("confirm_delete", { name: q.name }))) return;
            CP.api(CP.wsApi("/queries/" + encodeURIComponent(q.query_id)), { method: "DELETE" }).then(function () {
              CP.say(CP.t("deleted", { name: q.name }), "ok");
              load();
            }, CP.fail);
          } }, CP.t("delete")));
        }
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, q.name), CP.el("td", {}, CP.el("code", {}, q.query)),
          CP.el("td", {}, q.description || ""), CP.el("td", {}, actions)]));
      });
    }, CP.fail);
  }

  function edit(q) {
    form.elements.query_id.value = q.query_id;
    form.elements.name.value = q.name;
    form.elements.query.value = q.query;
    form.elements.description.value = q.description || "";
    document.getElementById("h-query-form").textContent = CP.t("edit_query", { name: q.name });
    document.getElementById("sq-cancel").hidden = false;
    check();
    form.elements.name.focus();
  }
  function resetForm() {
    form.reset();
    form.elements.query_id.value = "";
    document.getElementById("h-query-form").textContent = CP.t("new_query");
    document.getElementById("sq-cancel").hidden = true;
    show(null);
  }

  var timer = null, seq = 0;
  function show(result) {
    var box = CP.clear(document.getElementById("sq-check"));
    var area = form.elements.query;
    if (!result) { area.removeAttribute("aria-invalid"); box.className = "query-check"; return; }
    area.setAttribute("aria-invalid", result.ok ? "false" : "true");
    box.className = "query-check " + (result.ok ? "ok" : "error");
    if (result.ok) box.textContent = CP.t("query_ok");
    else {
      box.appendChild(CP.el("span", {}, CP.t("query_error_at", { pos: result.position })));
      box.appendChild(CP.el("pre", { "class": "mono" }, result.message));
    }
  }
  function check() {
    var text = form.elements.query.value.trim();
    var mine = ++seq;
    if (!text) { show(null); return; }
    CP.api(CP.wsApi("/queries/check", new URLSearchParams({ q: text }))).then(function (r) { if (mine === seq) show(r); }, CP.fail);
  }

  if (form) {
    form.elements.query.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(check, 300); });
    document.getElementById("sq-cancel").addEventListener("click", resetForm);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = form.elements.query_id.value;
      var body = { name: form.elements.name.value.trim(), query: form.elements.query.value.trim(),
                   description: form.elements.description.value.trim() };
      CP.api(CP.wsApi("/queries" + (id ? "/" + encodeURIComponent(id) : "")), { method: id ? "PUT" : "POST", body: body })
        .then(function (q) {
          CP.say(CP.t("query_saved", { name: q.name }), "ok");
          resetForm();
          load();
        }, CP.fail);
    });
  }
  load();
})();

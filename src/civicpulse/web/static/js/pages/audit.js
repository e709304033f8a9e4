/* Audit log (owners): who viewed, searched and exported what, filtered by action. */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("audit-form");
  var action = new URLSearchParams(window.location.search).get("action") || "";
  form.elements.action.value = action;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    CP.setParam("action", form.elements.action.value.trim());
  });
  var params = new URLSearchParams({ limit: "500" });
  if (action) params.set("action", action);
  CP.api(CP.wsApi("/audit", params)).then(function (rows) {
    var body = CP.clear(document.querySelector("#audit-table tbody"));
    if (!rows.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_data"))));
    rows.forEach(function (r) {
      body.appendChild(CP.el("tr", {}, [CP.el("td", {}, CP.fmt.when(r.at)), CP.el("td", {}, r.actor),
        CP.el("td", {}, CP.el("code", {}, r.action)), CP.el("td", {}, r.detail || "")]));
    });
  }, CP.fail);
})();

/* Reports: export the current filters as PDF / CSV / XLSX; scheduled email digests (owners). */
(function () {
  "use strict";
  var CP = window.CP;
  var langSelect = document.getElementById("x-lang");

  function links() {
    ["pdf", "csv", "xlsx"].forEach(function (format) {
      var params = CP.filterParams({ format: format, report_lang: langSelect.value });
      document.getElementById("export-" + format).href = CP.wsApi("/report", params);
    });
  }
  langSelect.addEventListener("change", links);
  links();

  // Posts export (analysts only: the section is absent for viewers).
  var withAnalysis = document.getElementById("x-with-analysis");
  function postLinks() {
    ["csv", "jsonl", "parquet"].forEach(function (format) {
      var params = new URLSearchParams({ format: format, with_analysis: withAnalysis.checked ? "true" : "false" });
      document.getElementById("export-posts-" + format).href = CP.wsApi("/export", params);
    });
  }
  if (withAnalysis) {
    withAnalysis.addEventListener("change", postLinks);
    postLinks();
  }

  var queryNames = {};
  function loadDigests() {
    return CP.api(CP.wsApi("/digests")).then(function (list) {
      var body = CP.clear(document.querySelector("#digests-table tbody"));
      if (!list.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "8" }, CP.t("no_digests"))));
      list.forEach(function (d) {
        var remove = CP.atLeast("owner") ? CP.el("button", { type: "button", "class": "danger", onclick: function () {
          if (!window.confirm(CP.t("confirm_delete", { name: d.name }))) return;
          CP.api(CP.wsApi("/digests/" + encodeURIComponent(d.digest_id)), { method: "DELETE" }).then(loadDigests, CP.fail);
        } }, CP.t("delete")) : null;
        var recipients = Array.isArray(d.recipients) ? d.recipients.join(", ") : d.recipients;
        body.appendChild(CP.el("tr", {}, [
          CP.el("th", { scope: "row" }, d.name), CP.el("td", {}, CP.t(d.frequency)), CP.el("td", {}, recipients),
          CP.el("td", {}, String(d.format || "").toUpperCase()), CP.el("td", {}, d.language),
          CP.el("td", {}, d.query_id ? queryNames[d.query_id] || d.query_id : CP.t("none")),
          CP.el("td", {}, d.last_sent_at ? CP.fmt.when(d.last_sent_at) : CP.t("never")), CP.el("td", {}, remove)
        ]));
      });
    }, CP.fail);
  }

  var form = document.getElementById("digest-form");
  CP.api(CP.wsApi("/queries")).then(function (list) {
    list.forEach(function (q) {
      queryNames[q.query_id] = q.name;
      if (form) form.elements.query_id.appendChild(CP.el("option", { value: q.query_id }, q.name));
    });
  }, CP.fail).then(loadDigests);

  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = form.elements;
      var body = { name: f.name.value.trim(), frequency: f.frequency.value, format: f.format.value,
        language: f.language.value, query_id: f.query_id.value || null,
        recipients: f.recipients.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean) };
      CP.api(CP.wsApi("/digests"), { method: "POST", body: body }).then(function (d) {
        CP.say(CP.t("digest_created", { name: d.name }), "ok");
        form.reset();
        loadDigests();
      }, CP.fail);
    });
  }
})();

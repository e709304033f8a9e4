/* Discovered topics, managed: every topic page by page, renamed, merged into another, hidden or restored.
 * Shown with the discovered kind only; members read it, analysts change it (the API checks the role again). */
(function () {
  "use strict";
  var CP = window.CP;
  if (new URLSearchParams(window.location.search).get("kind") !== "discovered") return;
  var section = document.getElementById("manage-topics");
  section.hidden = false;
  var analyst = CP.atLeast("analyst");
  var PAGE = 50;
  var offset = 0;

  function change(id, body) {
    return CP.api(CP.wsApi("/discovered-topics/" + encodeURIComponent(id)), { method: "PATCH", body: body })
      .then(function () { CP.say(CP.t("topic_updated"), "ok"); return load(); }, CP.fail);
  }

  function row(topic) {
    var name = CP.el("input", { type: "text", value: topic.label, maxlength: "80", "aria-label": CP.t("name") + " " + topic.id,
      disabled: !analyst });
    var save = analyst ? CP.el("button", { type: "button", "class": "secondary", onclick: function () {
      change(topic.id, { name: name.value.trim() });
    } }, CP.t("save")) : null;
    var target = CP.el("input", { type: "number", min: "1", value: topic.merged_into || "", "aria-label": CP.t("merge_into"),
      disabled: !analyst });
    var merge = analyst ? CP.el("button", { type: "button", "class": "secondary", onclick: function () {
      var into = parseInt(target.value, 10);
      change(topic.id, { merged_into: isNaN(into) ? null : into });
    } }, topic.merged_into ? CP.t("update") : CP.t("merge")) : null;
    var hide = analyst ? CP.el("button", { type: "button", "class": "secondary", onclick: function () {
      change(topic.id, { hidden: !topic.hidden });
    } }, CP.t(topic.hidden ? "restore" : "hide")) : null;
    var state = [topic.hidden ? CP.t("hidden") : topic.status === "active" ? CP.t("topic_active") : CP.t("topic_retired")];
    return CP.el("tr", { "data-topic": String(topic.id) }, [
      CP.el("td", {}, String(topic.id)),
      CP.el("td", {}, [name, " ", save, topic.renamed ? CP.el("div", { "class": "hint" }, topic.discovered_label) : null]),
      CP.el("td", {}, (topic.keywords || []).join(", ")),
      CP.el("td", { "class": "num" }, CP.fmt.num(topic.size)),
      CP.el("td", {}, [target, " ", merge]),
      CP.el("td", {}, [state.join(""), " ", hide])
    ]);
  }

  function load() {
    var params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    return CP.api(CP.wsApi("/discovered-topics", params)).then(function (r) {
      var body = CP.clear(document.querySelector("#manage-table tbody"));
      if (!r.topics.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "6" }, CP.t("no_data"))));
      r.topics.forEach(function (topic) { body.appendChild(row(topic)); });
      document.getElementById("manage-page").textContent = r.total
        ? CP.t("page_of", { page: Math.floor(offset / PAGE) + 1, pages: Math.ceil(r.total / PAGE) }) : "";
      document.getElementById("manage-prev").disabled = offset === 0;
      document.getElementById("manage-next").disabled = offset + PAGE >= r.total;
    }, CP.fail);
  }
  document.getElementById("manage-prev").addEventListener("click", function () { offset = Math.max(0, offset - PAGE); load(); });
  document.getElementById("manage-next").addEventListener("click", function () { offset += PAGE; load(); });
  load();
})();

/* The shared filter bar: fills its choices from the API, mirrors the URL, checks the query text as you type
 * and applies filters by changing the URL (so every filtered view can be shared as a link). */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("filters");
  if (!form) return;
  var here = new URLSearchParams(window.location.search);

  function fill(select, items, current) {
    items.forEach(function (item) {
      select.appendChild(CP.el("option", { value: item.value, selected: item.value === current }, item.text));
    });
  }

  // Show what the URL says, then load the choices that depend on the workspace.
  Array.prototype.forEach.call(form.elements, function (field) {
    if (field.name && here.get(field.name) !== null && field.tagName !== "SELECT") field.value = here.get(field.name);
    if (field.tagName === "SELECT" && here.get(field.name)) {
      var value = here.get(field.name);
      var option = Array.prototype.find.call(field.options, function (o) { return o.value === value; });
      if (option) option.selected = true;
      else field.appendChild(CP.el("option", { value: value, selected: true }, value));
    }
  });

  // Period presets (today, 7 days, 30 days: local days of the workspace) or custom dates: typing a date picks custom.
  var periodSelect = form.elements.period;
  if (!here.get("period") && (here.get("start") || here.get("end"))) periodSelect.value = "custom";
  [form.elements.start, form.elements.end].forEach(function (input) {
    input.addEventListener("change", function () { if (input.value) periodSelect.value = "custom"; });
  });

  var savedSelect = form.elements.query;
  CP.api(CP.wsApi("/queries")).then(function (list) {
    var current = here.get("query");
    Array.prototype.slice.call(savedSelect.options, 1).forEach(function (o) { savedSelect.removeChild(o); });
    fill(savedSelect, list.map(function (q) { return { value: q.query_id, text: q.name }; }), current);
  }, CP.fail);

  var topicSelect = form.elements.topic;
  CP.api(CP.wsApi("/labels")).then(function (labels) {
    var current = here.get("topic");
    Array.prototype.slice.call(topicSelect.options, 1).forEach(function (o) { topicSelect.removeChild(o); });
    fill(topicSelect, labels.topics.map(function (tp) { return { value: tp.id, text: CP.topicLabel(tp) }; }), current);
  }, CP.fail);

  var placeList = document.getElementById("place-options");
  if (placeList) {
    CP.api(CP.wsApi("/places")).then(function (r) {
      r.provinces.forEach(function (p) { placeList.appendChild(CP.el("option", { value: p.key })); });
    }, function () { /* suggestions only */ });
  }

  // Live syntax check of the query text: the server's parser answers with the error position.
  var q = form.elements.q;
  var check = document.getElementById("q-check");
  var timer = null;
  var seq = 0;
  function showCheck(result) {
    CP.clear(check);
    if (!result) { q.removeAttribute("aria-invalid"); check.className = "query-check"; return; }
    if (result.ok) {
      q.removeAttribute("aria-invalid");
      check.className = "query-check ok";
      check.textContent = CP.t("query_ok");
    } else {
      q.setAttribute("aria-invalid", "true");
      check.className = "query-check error";
      check.appendChild(CP.el("span", {}, CP.t("query_error_at", { pos: result.position })));
      check.appendChild(CP.el("pre", { "class": "mono" }, result.message));
    }
  }
  function runCheck() {
    var text = q.value.trim();
    var mine = ++seq;
    if (!text) { showCheck(null); return; }
    CP.api(CP.wsApi("/queries/check", new URLSearchParams({ q: text }))).then(function (r) {
      if (mine === seq) showCheck(r);
    }, CP.fail);
  }
  q.addEventListener("input", function () { window.clearTimeout(timer); timer = window.setTimeout(runCheck, 300); });
  if (q.value) runCheck();

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name) return;
      params.delete(field.name);
      if (field.value && field.value.trim()) params.set(field.name, field.value.trim());
    });
    var period = periodSelect.value;
    if (period === "custom" || !period) params.delete("period");  // custom: the dates alone
    else { params.delete("start"); params.delete("end"); }  // a preset: no dates
    params.delete("page");  // new filters start at the first page of results
    params.delete("lang");
    window.location.search = params.toString();
  });
  var reset = document.getElementById("filters-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      var params = new URLSearchParams(window.location.search);
      Array.prototype.forEach.call(form.elements, function (field) { if (field.name) params.delete(field.name); });
      params.delete("page");
      params.delete("lang");
      window.location.search = params.toString();
    });
  }
})();

/* Sources: health table (run now, test, pause/resume, edit, delete), coverage chart (posts stored per hour and
 * source), and the add/edit form whose credential fields follow the platform's own key names. Credentials are sent
 * once and never shown again: the edit form leaves them empty (empty keeps the saved ones). */
(function () {
  "use strict";
  var CP = window.CP;
  var analyst = CP.atLeast("analyst");
  var platforms = {};
  var editing = null;  // the source being edited, or null when the form adds one
  var STATES = { ok: "source_state_ok", failed: "source_state_failed", "rate-limited": "source_state_rate_limited",
                 running: "source_state_running", paused: "source_state_paused", "never run": "source_state_never",
                 interrupted: "source_state_interrupted" };
  var result = document.getElementById("source-result");

  function stateText(state) { return STATES[state] ? CP.t(STATES[state]) : state; }
  function count(run, key) { return run && run[key] != null ? CP.fmt.num(run[key]) : "–"; }
  function nextRun(health, source) {
    if (source.continuous) return CP.t("source_stream");
    if (!health.next_run) return "–";
    return new Date(health.next_run) <= new Date() ? CP.t("source_now") : CP.fmt.when(health.next_run);
  }

  function button(label, action, extra) {
    return CP.el("button", Object.assign({ type: "button", "class": "secondary", onclick: action }, extra || {}), label);
  }

  function actions(s) {
    if (!analyst) return CP.el("td", {}, "");
    var base = CP.wsApi("/sources/" + encodeURIComponent(s.id));
    var post = function (path, done) {
      return function () {
        CP.api(base + path, { method: "POST" }).then(function (r) { if (done) done(r); return load(); }, CP.fail);
      };
    };
    var cells = [];
    if (!s.paused && !s.continuous) {
      var before = s.health.last_run ? s.health.last_run.started_at : null;
      cells.push(button(CP.t("source_run_now"), post("/run", function () {
        CP.say(CP.t("source_run_requested", { id: s.id }), "ok");
        watch(s.id, before, 30);
      }), { "data-action": "run" }));
    }
    cells.push(button(CP.t("source_test"), function () {
      CP.api(base + "/test", { method: "POST" }).then(showTest, CP.fail);
    }, { "data-action": "test" }));
    cells.push(s.paused ? button(CP.t("source_resume"), post("/resume"), { "data-action": "resume" })
      : button(CP.t("source_pause"), post("/pause"), { "data-action": "pause" }));
    cells.push(button(CP.t("edit"), function () { edit(s); }, { "data-action": "edit" }));
    cells.push(button(CP.t("delete"), function () {
      if (!window.confirm(CP.t("confirm_delete_source", { id: s.id, target: s.target }))) return;
      CP.api(base, { method: "DELETE" }).then(function () {
        CP.say(CP.t("source_deleted", { id: s.id }), "ok");
        return load();
      }, CP.fail);
    }, { "data-action": "delete" }));
    return CP.el("td", { "class": "actions" }, cells);
  }

  function load() {
    var sources = CP.api(CP.wsApi("/sources")).then(function (list) {
      var body = CP.clear(document.querySelector("#sources-table tbody"));
      if (!list.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "12" }, CP.t("no_sources"))));
      list.forEach(function (s) {
        var h = s.health, run = h.last_run;
        body.appendChild(CP.el("tr", { "data-source": s.id, "data-state": h.state }, [
          CP.el("td", {}, s.platform), CP.el("td", {}, s.target), CP.el("td", {}, s.continuous ? "–" : s.every),
          CP.el("td", { "class": "state" }, stateText(h.state)),
          CP.el("td", {}, run ? CP.fmt.when(run.started_at) : "–"),
          CP.el("td", { "class": "num fetched" }, count(run, "fetched")),
          CP.el("td", { "class": "num stored" }, count(run, "stored")),
          CP.el("td", { "class": "num" }, count(run, "rejected")),
          CP.el("td", {}, h.quota_left || "–"), CP.el("td", {}, nextRun(h, s)),
          CP.el("td", { "class": "error" }, h.error || ""), actions(s)
        ]));
      });
      return list;
    }, CP.fail);
    var coverage = CP.api(CP.wsApi("/sources/coverage", new URLSearchParams({ days: "7" }))).then(drawCoverage,
                                                                                                  CP.fail);
    return Promise.all([sources, coverage]);
  }

  /* After "run now": look again every second until the source's run is over (or 30 tries). */
  function watch(id, before, tries) {
    window.setTimeout(function () {
      CP.api(CP.wsApi("/sources/" + encodeURIComponent(id))).then(function (s) {
        var run = s.health.last_run;
        var over = run && run.started_at !== before && run.status !== "running" && s.health.state !== "running";
        if (over || tries <= 1) return load();
        watch(id, before, tries - 1);
      }, CP.fail);
    }, 1000);
  }

  function drawCoverage(c) {
    var x = c.hours;
    var traces = c.sources.filter(function (s) { return s.stored.some(function (n) { return n > 0; }); })
      .map(function (s) {
        return { x: x, y: s.stored, type: "scatter", mode: "lines", name: s.platform + " · " + s.target,
                 hovertemplate: "%{x}: %{y}<extra></extra>" };
      });
    window.CPCharts.draw("coverage-chart", traces, { yaxis: { rangemode: "tozero" } });
  }

  function showTest(r) {
    CP.say(CP.t(r.ok ? "source_test_ok" : "source_test_failed", { message: r.message }), r.ok ? "ok" : "error",
           result);
  }

  document.getElementById("refresh").addEventListener("click", load);

  /* The form ---------------------------------------------------------------------------------------------- */
  var form = document.getElementById("source-form");
  if (!form) { load(); return; }
  var select = document.getElementById("s-platform");

  function credentialFields() {
    var p = platforms[select.value];
    var box = document.getElementById("s-credentials");
    Array.prototype.slice.call(box.querySelectorAll(".field")).forEach(function (f) { box.removeChild(f); });
    document.getElementById("s-target-hint").textContent = p ? p.target_help : "";
    document.getElementById("s-api-base-hint").textContent = p ? p.default_api_base : "";
    if (!p) return;
    var keys = p.credential_keys.map(function (k) { return [k, true]; })
      .concat(p.optional_credential_keys.map(function (k) { return [k, false]; }));
    if (!keys.length) box.appendChild(CP.el("p", { "class": "field hint" }, CP.t("source_no_credentials")));
    keys.forEach(function (pair) {
      var id = "cred-" + pair[0];
      box.appendChild(CP.el("div", { "class": "field" }, [
        CP.el("label", { "for": id }, pair[0] + (pair[1] ? "" : " (" + CP.t("source_optional") + ")")),
        CP.el("input", { id: id, "data-key": pair[0], type: "password", autocomplete: "off",
                         required: pair[1] && !editing ? "required" : null })
      ]));
    });
  }

  function body() {
    var credentials = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[data-key]"), function (input) {
      if (input.value) credentials[input.getAttribute("data-key")] = input.value;
    });
    var out = { target: form.target.value.trim(), every: form.every.value.trim(),
                api_base: form.api_base.value.trim() || (editing ? "" : null) };
    if (!editing) { out.platform = select.value; out.credentials = credentials; }
    else if (Object.keys(credentials).length) out.credentials = credentials;
    return out;
  }

  function edit(s) {
    editing = s;
    select.value = s.platform;
    select.disabled = true;
    credentialFields();
    form.target.value = s.target;
    form.every.value = s.every;
    form.api_base.value = s.api_base === (platforms[s.platform] || {}).default_api_base ? "" : s.api_base;
    document.getElementById("h-source-form").textContent = CP.t("source_edit_title", { id: s.id });
    document.getElementById("s-credentials-hint").textContent = CP.t("source_keep_credentials");
    document.getElementById("s-save").textContent = CP.t("source_save");
    document.getElementById("s-cancel").hidden = false;
    form.target.focus();
  }

  function reset() {
    editing = null;
    form.reset();
    select.disabled = false;
    credentialFields();
    document.getElementById("h-source-form").textContent = CP.t("source_add");
    document.getElementById("s-credentials-hint").textContent = CP.t("source_credentials_hint");
    document.getElementById("s-save").textContent = CP.t("source_add");
    document.getElementById("s-cancel").hidden = true;
  }

  select.addEventListener("change", credentialFields);
  document.getElementById("s-cancel").addEventListener("click", reset);
  document.getElementById("s-test").addEventListener("click", function () {
    var request = editing
      ? CP.api(CP.wsApi("/sources/" + encodeURIComponent(editing.id) + "/test"), { method: "POST" })
      : CP.api(CP.wsApi("/sources/test"), { method: "POST", body: body() });
    request.then(showTest, function (err) { CP.fail(err, result); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var save = document.getElementById("s-save");
    save.disabled = true;
    var request = editing
      ? CP.api(CP.wsApi("/sources/" + encodeURIComponent(editing.id)), { method: "PATCH", body: body() })
      : CP.api(CP.wsApi("/sources"), { method: "POST", body: body() });
    request.then(function (s) {
      CP.say(CP.t(editing ? "source_saved" : "source_added", { id: s.id, every: s.every }), "ok", result);
      reset();
      return load();
    }, function (err) { CP.fail(err, result); }).then(function () { save.disabled = false; });
  });

  CP.api(CP.wsApi("/sources/platforms")).then(function (list) {
    list.forEach(function (p) {
      platforms[p.platform] = p;
      select.appendChild(CP.el("option", { value: p.platform }, p.platform));
    });
    credentialFields();
  }, CP.fail);
  load();
})();

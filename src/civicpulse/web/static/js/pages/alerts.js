/* Alerts: the in-app inbox (mark seen), the rules, and a form to create one (its webhook secret shown once). */
(function () {
  "use strict";
  var CP = window.CP;
  var analyst = CP.atLeast("analyst");
  var lang = CP.data.lang;

  function value(metric, x) { return metric === "negative_share" ? CP.fmt.pct(x) : CP.fmt.num(x, 2); }
  function deliveries(d) {
    var channels = Object.keys(d || {});
    if (!channels.length) return CP.t("in_app_only");
    // Members see the outcome and its time only; why a delivery failed is in the server log.
    return channels.map(function (c) {
      var status = d[c] && ["pending", "delivered", "failed"].indexOf(d[c].status) >= 0 ? d[c].status : "failed";
      return c + ": " + CP.t(status) + (d[c] && d[c].at && status !== "pending" ? " (" + CP.fmt.when(d[c].at) + ")" : "");
    }).join(", ");
  }

  var poll = null;
  function pending(events) {
    return events.some(function (e) {
      return Object.keys(e.deliveries || {}).some(function (c) { return e.deliveries[c].status === "pending"; });
    });
  }

  function loadEvents() {
    return CP.api(CP.wsApi("/alerts", new URLSearchParams({ limit: "100" }))).then(function (r) {
      var body = CP.clear(document.querySelector("#events-table tbody"));
      document.getElementById("unseen").textContent = r.unseen ? "(" + CP.t("alerts_unseen", { n: r.unseen }) + ")" : "";
      var badge = document.getElementById("alerts-badge");
      if (badge) { badge.hidden = !r.unseen; badge.textContent = String(r.unseen || ""); }
      if (!r.events.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "7" }, CP.t("no_alerts"))));
      r.events.forEach(function (e) {
        var message = e.detail && e.detail.message ? e.detail.message[lang] || e.message : e.message;
        var state = e.seen ? CP.el("span", {}, CP.t("seen"))
          : CP.el("button", { type: "button", "class": "secondary", onclick: function () { markSeen([e.event_id]); } },
            CP.t("mark_seen"));
        body.appendChild(CP.el("tr", { "data-event": e.event_id, "class": e.seen ? null : "selected" }, [
          CP.el("td", {}, CP.fmt.when(e.fired_at)), CP.el("td", {}, CP.fmt.when(e.window_start)),
          CP.el("td", {}, message), CP.el("td", { "class": "num" }, value(e.detail && e.detail.metric, e.value)),
          CP.el("td", { "class": "num" }, value(e.detail && e.detail.metric, e.threshold)),
          CP.el("td", {}, deliveries(e.deliveries)), CP.el("td", {}, state)
        ]));
      });
      // Deliveries run in the background on the server: look again until none is pending.
      window.clearTimeout(poll);
      if (pending(r.events)) poll = window.setTimeout(loadEvents, 3000);
      return r;
    }, CP.fail);
  }

  function markSeen(ids) {
    if (!ids.length) return;
    CP.api(CP.wsApi("/alerts/seen"), { method: "POST", body: ids }).then(loadEvents, CP.fail);
  }
  document.getElementById("mark-all").addEventListener("click", function () {
    var ids = Array.prototype.map.call(document.querySelectorAll("#events-table tr.selected"), function (tr) {
      return tr.getAttribute("data-event");
    });
    markSeen(ids);
  });

  var evaluate = document.getElementById("evaluate");
  if (evaluate) {
    evaluate.addEventListener("click", function () {
      evaluate.disabled = true;
      CP.api(CP.wsApi("/alerts/evaluate"), { method: "POST" }).then(function (events) {
        CP.say(CP.t("evaluated", { n: events.length }), "ok");
        return loadEvents();
      }, CP.fail).then(function () { evaluate.disabled = false; });
    });
  }

  function scope(rule) {
    var parts = [];
    if (rule.query_id) parts.push(CP.t("saved_query") + ": " + rule.query_id);
    if (rule.topic) parts.push(CP.t("topic") + ": " + rule.topic);
    if (rule.place) parts.push(CP.t("place") + ": " + rule.place);
    return parts.length ? parts.join("; ") : CP.t("dimension_all");
  }
  function loadRules() {
    return CP.api(CP.wsApi("/alerts/rules")).then(function (rules) {
      var body = CP.clear(document.querySelector("#rules-table tbody"));
      if (!rules.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "7" }, CP.t("no_rules"))));
      rules.forEach(function (rule) {
        var channels = [CP.t("in_app")];
        if (rule.email_to && rule.email_to.length) channels.push(CP.t("email") + ": " + rule.email_to.join(", "));
        if (rule.webhook_url) channels.push(CP.t("webhook") + ": " + rule.webhook_url);
        var remove = analyst ? CP.el("button", { type: "button", "class": "danger", onclick: function () {
          if (!window.confirm(CP.t("confirm_delete", { name: rule.name }))) return;
          CP.api(CP.wsApi("/alerts/rules/" + encodeURIComponent(rule.rule_id)), { method: "DELETE" }).then(loadRules, CP.fail);
        } }, CP.t("delete")) : null;
        body.appendChild(CP.el("tr", {}, [
          CP.el("th", { scope: "row" }, rule.name + (rule.enabled === false ? " (" + CP.t("disabled") + ")" : "")),
          CP.el("td", {}, CP.t("metric_" + rule.metric)), CP.el("td", { "class": "num" }, value(rule.metric, rule.threshold)),
          CP.el("td", {}, CP.t("bucket_" + rule.window)), CP.el("td", {}, scope(rule)),
          CP.el("td", {}, channels.join("; ")), CP.el("td", {}, remove)
        ]));
      });
    }, CP.fail);
  }

  var form = document.getElementById("rule-form");
  if (form) {
    CP.api(CP.wsApi("/queries")).then(function (list) {
      list.forEach(function (q) { form.elements.query_id.appendChild(CP.el("option", { value: q.query_id }, q.name)); });
    }, CP.fail);
    CP.api(CP.wsApi("/labels")).then(function (labels) {
      labels.topics.forEach(function (tp) { form.elements.topic.appendChild(CP.el("option", { value: tp.id }, CP.topicLabel(tp))); });
    }, CP.fail);
    form.elements.metric.addEventListener("change", function () {
      var metric = form.elements.metric.value;
      document.getElementById("r-threshold-hint").textContent = CP.t("threshold_hint_" + metric);
      form.elements.threshold.value = metric === "negative_share" ? "0.5" : metric === "spike" ? "3" : "100";
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = form.elements;
      var body = { name: f.name.value.trim(), metric: f.metric.value, threshold: parseFloat(f.threshold.value),
        window: f.window.value, query_id: f.query_id.value || null, topic: f.topic.value || null,
        place: f.place.value.trim() || null, webhook_url: f.webhook_url.value.trim() || null,
        email_to: f.email_to.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean) };
      var secretBox = CP.clear(document.getElementById("rule-secret"));
      CP.api(CP.wsApi("/alerts/rules"), { method: "POST", body: body }).then(function (rule) {
        CP.say(CP.t("rule_created", { name: rule.name }), "ok");
        if (rule.webhook_secret) {
          secretBox.appendChild(CP.el("div", { "class": "secret-once" }, [
            CP.el("p", {}, CP.t("webhook_secret_once")), CP.el("code", {}, rule.webhook_secret)]));
        }
        form.reset();
        loadRules();
      }, CP.fail);
    });
  }

  loadEvents();
  loadRules();
})();

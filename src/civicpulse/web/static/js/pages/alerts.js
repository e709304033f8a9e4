/* Alerts: the in-app inbox (mark seen, links to each alert's posts), the rules (preview over stored history, edit,
 * pause, resume, delete), and a form to create or edit one (a new webhook secret shown once). */
(function () {
  "use strict";
  var CP = window.CP;
  var analyst = CP.atLeast("analyst");
  var lang = CP.data.lang;

  function value(metric, x) { return metric === "negative_share" ? CP.fmt.pct(x) : CP.fmt.num(x, 2); }
  function deliveries(d) {
    var channels = Object.keys(d || {});
    if (!channels.length) return CP.t("in_app_only");
    // Members see the outcome, its time and a coarse reason; the network's own answer is in the server log.
    return channels.map(function (c) {
      var status = d[c] && ["pending", "delivered", "failed"].indexOf(d[c].status) >= 0 ? d[c].status : "failed";
      var reason = status === "failed" ? " — " + CP.t("delivery_reason_" + ((d[c] && d[c].reason) || "send_failed")) : "";
      return c + ": " + CP.t(status) + (d[c] && d[c].at && status !== "pending" ? " (" + CP.fmt.when(d[c].at) + ")" : "") +
        reason;
    }).join(", ");
  }

  function postsLink(url) {
    // Only links into this app: the server builds them, but a stored detail must never send members elsewhere.
    return url.indexOf("/w/") === 0 ? CP.el("a", { href: url, "class": "posts-link" }, CP.t("view_posts")) : null;
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
      if (!r.events.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "8" }, CP.t("no_alerts"))));
      r.events.forEach(function (e) {
        var message = e.detail && e.detail.message ? e.detail.message[lang] || e.message : e.message;
        var state = e.seen ? CP.el("span", {}, CP.t("seen"))
          : CP.el("button", { type: "button", "class": "secondary", onclick: function () { markSeen([e.event_id]); } },
            CP.t("mark_seen"));
        body.appendChild(CP.el("tr", { "data-event": e.event_id, "class": e.seen ? null : "selected" }, [
          CP.el("td", {}, CP.fmt.when(e.fired_at)), CP.el("td", {}, CP.fmt.when(e.window_start)),
          CP.el("td", {}, message), CP.el("td", { "class": "num" }, value(e.detail && e.detail.metric, e.value)),
          CP.el("td", { "class": "num" }, value(e.detail && e.detail.metric, e.threshold)),
          CP.el("td", {}, deliveries(e.deliveries)), CP.el("td", {}, state),
          CP.el("td", {}, e.detail && e.detail.posts_url ? postsLink(e.detail.posts_url) : null)
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

  var topicNames = {};  // topic id -> label: rules show labels, never raw ids
  var queryNames = {};
  function scope(rule) {
    var parts = [];
    if (rule.query_id) parts.push(CP.t("saved_query") + ": " + (queryNames[rule.query_id] || rule.query_id));
    if (rule.topic) parts.push(CP.t("topic") + ": " + (topicNames[rule.topic] || rule.topic));
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
        var path = CP.wsApi("/alerts/rules/" + encodeURIComponent(rule.rule_id));
        var actions = [CP.el("button", { type: "button", "class": "secondary", "data-action": "preview", onclick: function () {
          CP.api(path + "/preview?days=30").then(function (r) { showPreview(rule.name, 30, r); }, CP.fail);
        } }, CP.t("preview_rule"))];
        if (analyst) {
          actions.push(CP.el("button", { type: "button", "class": "secondary", "data-action": "edit",
            onclick: function () { startEdit(rule); } }, CP.t("edit")));
          actions.push(CP.el("button", { type: "button", "class": "secondary", "data-action": rule.enabled ? "pause" : "resume",
            onclick: function () {
              CP.api(path, { method: "PATCH", body: { enabled: !rule.enabled } }).then(function (r) {
                CP.say(CP.t(r.enabled ? "rule_resumed" : "rule_paused", { name: r.name }), "ok");
                loadRules();
              }, CP.fail);
            } }, CP.t(rule.enabled ? "pause" : "resume")));
          actions.push(CP.el("button", { type: "button", "class": "danger", onclick: function () {
            if (!window.confirm(CP.t("confirm_delete", { name: rule.name }))) return;
            CP.api(path, { method: "DELETE" }).then(loadRules, CP.fail);
          } }, CP.t("delete")));
        }
        body.appendChild(CP.el("tr", { "data-rule": rule.rule_id }, [
          CP.el("th", { scope: "row" }, rule.name + (rule.enabled === false ? " (" + CP.t("paused") + ")" : "")),
          CP.el("td", {}, CP.t("metric_" + rule.metric)), CP.el("td", { "class": "num" }, value(rule.metric, rule.threshold)),
          CP.el("td", {}, CP.t("bucket_" + rule.window)), CP.el("td", {}, scope(rule)),
          CP.el("td", {}, channels.join("; ")), CP.el("td", { "class": "actions" }, actions)
        ]));
      });
    }, CP.fail);
  }

  /* "This rule would have fired N times in the last D days", each window with its figure and a link to its posts. */
  function showPreview(name, days, r) {
    var box = CP.clear(document.getElementById("rule-preview"));
    var period = CP.fmt.when(r.start) + " – " + CP.fmt.when(r.end);
    box.appendChild(CP.el("h3", {}, CP.t("preview_of", { name: name })));
    box.appendChild(CP.el("p", { "class": "preview-summary" }, CP.t("preview_fired", { n: r.fired, days: days, period: period })));
    if (!r.windows.length) return;
    box.appendChild(CP.el("ul", { "class": "preview-list" }, r.windows.map(function (w) {
      return CP.el("li", {}, [CP.fmt.when(w.window_start) + ": " + CP.fmt.num(w.value, 2) + " ", postsLink(w.posts_url)]);
    })));
  }

  function channelWarning() {
    CP.api(CP.wsApi("/alerts/channels")).then(function (r) {
      var box = document.getElementById("email-warning");
      box.hidden = r.email.configured;
      box.textContent = r.email.configured ? "" : CP.t("email_not_configured_warning", { setting: r.email.setting });
    }, CP.fail);
  }

  var form = document.getElementById("rule-form");
  var editing = null;  // the rule being edited, or null when the form creates one
  function setMode(rule) {
    editing = rule;
    var heading = document.getElementById("h-new-rule");
    var submit = document.getElementById("rule-submit");
    heading.textContent = rule ? heading.getAttribute("data-edit") + ": " + rule.name : heading.getAttribute("data-new");
    submit.textContent = submit.getAttribute(rule ? "data-edit" : "data-new");
    document.getElementById("cancel-edit").hidden = !rule;
  }
  function startEdit(rule) {
    var f = form.elements;
    f.name.value = rule.name; f.metric.value = rule.metric; f.threshold.value = String(rule.threshold);
    f.window.value = rule.window; f.query_id.value = rule.query_id || ""; f.topic.value = rule.topic || "";
    f.place.value = rule.place || ""; f.email_to.value = (rule.email_to || []).join(", ");
    f.webhook_url.value = rule.webhook_url || "";
    setMode(rule);
    form.scrollIntoView();
    f.name.focus();
  }
  function formBody() {
    var f = form.elements;
    return { name: f.name.value.trim(), metric: f.metric.value, threshold: parseFloat(f.threshold.value),
      window: f.window.value, query_id: f.query_id.value || null, topic: f.topic.value || null,
      place: f.place.value.trim() || null, webhook_url: f.webhook_url.value.trim() || null,
      email_to: f.email_to.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean) };
  }

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
    document.getElementById("cancel-edit").addEventListener("click", function () { form.reset(); setMode(null); });
    document.getElementById("preview-draft").addEventListener("click", function () {
      var body = formBody();
      var days = parseInt(form.elements.days.value, 10) || 30;
      body.days = days;
      body.name = body.name || CP.t("new_rule");
      CP.api(CP.wsApi("/alerts/preview"), { method: "POST", body: body }).then(function (r) {
        showPreview(body.name, days, r);
        document.getElementById("rule-preview").scrollIntoView();
      }, CP.fail);
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = formBody();
      var secretBox = CP.clear(document.getElementById("rule-secret"));
      var request = editing
        ? CP.api(CP.wsApi("/alerts/rules/" + encodeURIComponent(editing.rule_id)), { method: "PATCH", body: body })
        : CP.api(CP.wsApi("/alerts/rules"), { method: "POST", body: body });
      var wasEditing = !!editing;
      request.then(function (rule) {
        CP.say(CP.t(wasEditing ? "rule_saved" : "rule_created", { name: rule.name }), "ok");
        setMode(null);
        if (rule.webhook_secret) {
          secretBox.appendChild(CP.el("div", { "class": "secret-once" }, [
            CP.el("p", {}, CP.t("webhook_secret_once")), CP.el("code", {}, rule.webhook_secret)]));
        }
        form.reset();
        loadRules();
      }, CP.fail);
    });
  }

  channelWarning();
  loadEvents();
  Promise.all([
    CP.api(CP.wsApi("/labels")).then(function (labels) {
      labels.topics.forEach(function (tp) { topicNames[tp.id] = CP.topicLabel(tp); });
    }, function () { /* ids then */ }),
    CP.api(CP.wsApi("/queries")).then(function (list) {
      list.forEach(function (q) { queryNames[q.query_id] = q.name; });
    }, function () { /* ids then */ })
  ]).then(loadRules);
})();

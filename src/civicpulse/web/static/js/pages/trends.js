/* Trends: events (the spikes of one happening, grouped) with their facets, timeline and example posts; every
 * spike with what drove it; analysts' notes on dates, drawn on the timelines. */
(function () {
  "use strict";
  var CP = window.CP, P = window.CPPosts, C = window.CPCharts;
  var here = new URLSearchParams(window.location.search);
  var form = document.getElementById("trend-options");
  if (here.get("bucket")) form.elements.bucket.value = here.get("bucket");
  if (here.get("threshold")) form.elements.threshold.value = here.get("threshold");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var params = new URLSearchParams(window.location.search);
    params.set("bucket", form.elements.bucket.value);
    params.set("threshold", form.elements.threshold.value);
    params.delete("lang");
    window.location.search = params.toString();
  });

  function pct(x) { return CP.fmt.pct(x); }
  function measured(s) {  // observed vs expected in the metric's unit
    if (s.metric === "negative_share") return CP.t("observed_expected", { observed: pct(s.observed), expected: pct(s.expected) });
    return CP.t("observed_expected", { observed: CP.fmt.num(s.observed), expected: CP.fmt.num(s.expected, 1) });
  }
  function dimension(s) {
    var name = s.key === null || s.key === undefined ? CP.t("dimension_all")
      : s.key_label ? s.key_label[CP.data.lang] || s.key_label.en : s.key;
    return CP.t("dimension_" + s.dimension) + (s.key ? ": " + name : "");
  }

  function listOf(title, items) {
    if (!items || !items.length) return null;
    return CP.el("div", {}, [CP.el("h4", {}, title), CP.el("ul", { "class": "chips" }, items.map(function (x) {
      return P.chip(x);
    }))]);
  }

  function spikeCard(s) {
    var e = s.explanation || {};
    var summary = e.summary ? e.summary[CP.data.lang] || e.summary.en : "";
    var terms = (e.terms || []).map(function (x) { return (x.kind === "hashtag" && x.term[0] !== "#" ? "#" : "") + x.term; });
    var topics = (e.topics || []).map(function (x) {
      return (CP.data.lang === "vi" ? x.label_vi : x.label_en) + " (" + pct(x.share) + ")";
    });
    var places = (e.places || []).map(function (x) { return x.province + " (" + pct(x.share) + ")"; });
    return CP.el("article", { "class": "panel spike" }, [
      CP.el("h3", {}, CP.t("metric_" + s.metric) + " · " + dimension(s)),
      CP.el("p", { "class": "summary" }, summary),
      CP.el("dl", { "class": "post-meta" }, [
        CP.el("dt", {}, CP.t("when")), CP.el("dd", {}, CP.fmt.local(s.bucket_start, s.bucket === "hour")),
        CP.el("dt", {}, CP.t("observed_vs_expected")), CP.el("dd", {}, measured(s)),
        CP.el("dt", {}, CP.t("score")), CP.el("dd", {}, CP.fmt.num(s.score, 1)),
        CP.el("dt", {}, CP.t("kpi_posts")), CP.el("dd", {}, CP.fmt.num(s.posts))
      ]),
      listOf(CP.t("drivers_keywords"), terms),
      listOf(CP.t("drivers_topics"), topics),
      listOf(CP.t("drivers_places"), places),
      CP.el("details", {}, [CP.el("summary", {}, CP.t("representative_posts")), P.list(e.posts)])
    ]);
  }

  function postsLink(ev) {  // the post explorer over the event's window and its leading facets
    var params = new URLSearchParams();
    params.set("start", ev.start.slice(0, ev.bucket === "day" ? 10 : 19));
    var end = new Date(Date.parse(ev.end + "Z") - (ev.bucket === "day" ? 86400000 : 0)).toISOString();
    params.set("end", ev.bucket === "day" ? end.slice(0, 10) : ev.end);
    if (ev.topics.length) params.set("topic", ev.topics[0].id);
    if (ev.places.length) params.set("place", ev.places[0]);
    return "/w/" + encodeURIComponent(CP.data.ws) + "/posts?" + params.toString();
  }

  var notes = [];
  var charts = [];  // [element id, event]: drawn again when the notes change
  function drawTimelines() {
    charts.forEach(function (c) { C.timeline(c[0], c[1].timeline, notes, [c[1].start, c[1].end]); });
  }

  function eventCard(ev, n) {
    var lang = CP.data.lang;
    var facets = [];
    ev.topics.forEach(function (t) { facets.push(lang === "vi" ? t.label_vi : t.label_en); });
    ev.places.forEach(function (p) { facets.push(p); });
    ev.queries.forEach(function (q) { facets.push(CP.t("saved_query") + ": " + q); });
    var chartId = "event-chart-" + n;
    charts.push([chartId, ev]);
    return CP.el("article", { "class": "panel spike event", "data-event": String(n) }, [
      CP.el("h3", {}, ev.title[lang] || ev.title.en),
      ev.summary ? CP.el("p", { "class": "summary" }, ev.summary[lang] || ev.summary.en) : null,
      CP.el("dl", { "class": "post-meta" }, [
        CP.el("dt", {}, CP.t("kpi_posts")), CP.el("dd", {}, CP.fmt.num(ev.posts)),
        CP.el("dt", {}, CP.t("score")), CP.el("dd", {}, CP.fmt.num(ev.score, 1)),
        CP.el("dt", {}, CP.t("event_spikes")), CP.el("dd", {}, String(ev.spikes.length))
      ]),
      listOf(CP.t("event_facets"), facets),
      CP.el("div", { id: chartId, "class": "chart event-chart", role: "img", "aria-label": CP.t("event_timeline") }),
      CP.el("p", {}, CP.el("a", { href: postsLink(ev), "class": "posts-link" }, CP.t("view_posts"))),
      CP.el("details", {}, [CP.el("summary", {}, CP.t("representative_posts")), P.list(ev.examples)]),
      CP.el("details", {}, [CP.el("summary", {}, CP.t("event_spike_list", { n: ev.spikes.length })),
        CP.el("div", {}, ev.spikes.map(spikeCard))])
    ]);
  }

  function loadNotes() {
    return CP.api(CP.wsApi("/annotations")).then(function (list) {
      notes = list;
      var ul = CP.clear(document.getElementById("notes-list"));
      if (!list.length) ul.appendChild(CP.el("li", { "class": "hint" }, CP.t("no_notes")));
      list.forEach(function (note) {
        var remove = CP.atLeast("analyst") ? CP.el("button", { type: "button", "class": "secondary", onclick: function () {
          CP.api(CP.wsApi("/annotations/" + encodeURIComponent(note.id)), { method: "DELETE" }).then(loadNotes, CP.fail);
        } }, CP.t("delete")) : null;
        ul.appendChild(CP.el("li", {}, [note.date + ": " + note.text + " ", remove]));
      });
      drawTimelines();
    }, CP.fail);
  }
  var noteForm = document.getElementById("note-form");
  if (noteForm) {
    noteForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      CP.api(CP.wsApi("/annotations"), { method: "POST", body: { date: noteForm.elements.date.value,
        text: noteForm.elements.text.value.trim() } }).then(function () {
        CP.say(CP.t("note_added"), "ok");
        noteForm.reset();
        return loadNotes();
      }, CP.fail);
    });
  }

  var box = document.getElementById("spikes");
  var eventBox = document.getElementById("events");
  eventBox.appendChild(CP.el("p", {}, CP.t("loading")));
  box.appendChild(CP.el("p", {}, CP.t("loading")));
  CP.api(CP.wsApi("/trends", CP.filterParams({ bucket: form.elements.bucket.value, threshold: form.elements.threshold.value })))
    .then(function (r) {
      CP.clear(box);
      CP.clear(eventBox);
      if (!r.spikes.length) { eventBox.appendChild(CP.el("p", {}, CP.t("no_spikes"))); return; }
      (r.events || []).forEach(function (ev, n) { eventBox.appendChild(eventCard(ev, n)); });
      r.spikes.forEach(function (s) { box.appendChild(spikeCard(s)); });
      drawTimelines();
    }, function (err) { CP.clear(eventBox); CP.clear(box); CP.fail(err); })
    .then(loadNotes);
})();

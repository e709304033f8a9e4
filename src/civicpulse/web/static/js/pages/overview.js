/* Overview: key figures with change vs the previous period, volume, sentiment, emotions, topics, places. */
(function () {
  "use strict";
  var CP = window.CP, C = window.CPCharts;

  function help(term) {  // the "?" next to a figure's name: its entry in the glossary
    return CP.el("a", { "class": "help-link", href: "/glossary#" + term, title: CP.t("glossary_about") + " " + term,
      "aria-label": CP.t("glossary_about") + " " + term.replace("-", " ") }, "?");
  }

  function kpi(labelText, value, change, changeClass, suppressed, k, helpLink) {
    return CP.el("div", { "class": "kpi" }, [
      CP.el("div", { "class": "label" }, [labelText, " ", helpLink]),
      suppressed ? CP.el("div", { "class": "value suppressed" }, CP.suppressedText(k))
        : CP.el("div", { "class": "value" }, value),
      CP.el("div", { "class": "change " + (changeClass || "") }, change)
    ]);
  }
  function trend(n) { return n === null || n === undefined || n === 0 ? "" : n > 0 ? "up" : "down"; }
  function vsPrevious(text) { return text === "–" ? CP.t("no_previous") : CP.t("vs_previous", { change: text }); }

  function renderKpis(o) {
    var box = CP.clear(document.getElementById("kpis"));
    var now = o.totals, before = o.previous.totals, ch = o.change, off = now.suppressed;
    // Author counts come rounded down (docs/privacy.md): shown as "at least".
    var authorsPct = !off && before.authors ? (now.authors - before.authors) / before.authors * 100 : null;
    box.appendChild(kpi(CP.t("kpi_posts"), CP.fmt.num(now.posts), vsPrevious(CP.fmt.signed(ch.posts_pct, 1, "%")),
      trend(ch.posts_pct), off, o.k, help("volume")));
    box.appendChild(kpi(CP.t("kpi_authors"), "\u2265 " + CP.fmt.num(now.authors),
      vsPrevious(CP.fmt.signed(authorsPct, 1, "%")), trend(authorsPct), off, o.k, help("authors")));
    // Net sentiment = positive share - negative share, in points; a rise is good news.
    box.appendChild(kpi(CP.t("kpi_net"), CP.fmt.signed(now.net === null ? null : now.net * 100, 1),
      vsPrevious(CP.fmt.signed(ch.net_points, 1, " " + CP.t("points"))), trend(ch.net_points), off, o.k, help("net-sentiment")));
    // A rising negative share is bad news: its colour is inverted.
    var negTrend = trend(ch.negative_share_points);
    box.appendChild(kpi(CP.t("kpi_negative"), CP.fmt.pct(now.negative_share),
      vsPrevious(CP.fmt.signed(ch.negative_share_points, 1, " " + CP.t("points"))),
      negTrend === "up" ? "down" : negTrend === "down" ? "up" : "", off, o.k, help("negative-share")));
  }

  function bucketBands(rows) {  // grey bands over suppressed time buckets (gaps in the lines)
    var shapes = [];
    rows.forEach(function (r, i) {
      if (!r.suppressed) return;
      var next = rows[i + 1] ? rows[i + 1].key : r.key;
      shapes.push({ type: "rect", xref: "x", yref: "paper", x0: r.key, x1: next, y0: 0, y1: 1,
                    fillcolor: "#d5d9df", opacity: 0.5, line: { width: 0 } });
    });
    return shapes;
  }

  function shown(r) { return !r.suppressed && r.posts > 0; }  // a bucket with shares to draw

  function renderVolume(o) {
    var rows = o.volume, previous = (o.previous && o.previous.volume) || [];
    var x = rows.map(function (r) { return r.key; });
    var bands = bucketBands(rows);
    var traces = [{ x: x, y: rows.map(function (r) { return r.posts; }), type: "scatter", mode: "lines+markers",
      connectgaps: false, name: CP.t("this_period"), line: { color: C.COLORS.line }, marker: { size: 4 } }];
    if (previous.length) {  // the previous period, moved onto this one's axis: a lighter, dashed line
      traces.push({ x: previous.map(function (r) { return r.aligned; }), y: previous.map(function (r) { return r.posts; }),
        type: "scatter", mode: "lines", connectgaps: false, name: CP.t("previous_period"),
        customdata: previous.map(function (r) { return CP.fmt.local(r.key, o.bucket === "hour"); }),
        hovertemplate: "%{customdata}: %{y}<extra>" + C.plain(CP.t("previous_period")) + "</extra>",
        line: { color: C.COLORS.previous, width: 1.5, dash: "dash" }, opacity: 0.7 });
    }
    C.draw("chart-volume", traces, { shapes: bands, yaxis: { title: { text: CP.t("kpi_posts") }, rangemode: "tozero" } });
    // Analysts' notes on dates (trends page) as markers on the volume chart, once they have loaded.
    if (x.length) {
      CP.api(CP.wsApi("/annotations")).then(function (notes) {
        var marks = C.noteMarks(notes, x[0], x[x.length - 1]);
        if (marks.shapes.length) {
          window.Plotly.relayout("chart-volume", { shapes: bands.concat(marks.shapes), annotations: marks.annotations });
        }
      }, function () { /* markers only */ });
    }
    volumeNote(o, rows);

    // Plotly stacks a missing value as zero, so each run of buckets with shares is stacked on its own: a hidden or
    // an empty bucket is a gap, never a slope towards the next one.
    var runs = [], run = [];
    rows.forEach(function (r) {
      if (!shown(r)) { if (run.length) runs.push(run); run = []; } else run.push(r);
    });
    if (run.length) runs.push(run);
    var sentimentTraces = [];
    runs.forEach(function (part, i) {
      ["negative", "neutral", "positive"].forEach(function (s) {
        sentimentTraces.push({ x: part.map(function (r) { return r.key; }), y: part.map(function (r) { return r[s + "_share"] * 100; }),
          type: "scatter", mode: part.length > 1 ? "lines" : "markers", stackgroup: "run" + i,
          name: CP.label("sentiment", s), legendgroup: s, showlegend: i === 0,
          line: { width: 0.5, color: C.COLORS[s] }, marker: { color: C.COLORS[s], size: 8 }, fillcolor: C.COLORS[s],
          hovertemplate: "%{y:.1f}%<extra>" + C.plain(CP.label("sentiment", s)) + "</extra>" });
      });
    });
    sentimentTraces.push({ x: x, y: rows.map(function (r) { return shown(r) ? r.net * 100 : null; }), type: "scatter",
                  mode: "lines", name: CP.t("kpi_net"), yaxis: "y2", connectgaps: false,
                  line: { color: "#111", width: 2, dash: "dot" } });
    C.draw("chart-sentiment", sentimentTraces, {
      shapes: bands, yaxis: { title: { text: CP.t("share_pct") }, range: [0, 100] },
      yaxis2: { title: { text: CP.t("kpi_net") }, overlaying: "y", side: "right", range: [-100, 100], zeroline: true },
      margin: { l: 50, r: 50, t: 10, b: 40 }
    });
  }

  /* Beside the chart: why buckets are hidden and how to see them, and why the time unit is not the one expected. */
  function volumeNote(o, rows) {
    var note = CP.clear(document.getElementById("note-volume"));
    var hidden = rows.filter(function (r) { return r.suppressed; }).length;
    var unit = function (b) { return CP.t("bucket_" + b); };
    var lines = [];
    if (o.bucket_choice && o.bucket_choice.widened_from) {
      lines.push(CP.t("bucket_widened", { from: unit(o.bucket_choice.widened_from), to: unit(o.bucket), k: o.k }));
    }
    if (hidden) lines.push(CP.t("suppressed_buckets", { n: hidden, k: o.k }) + " " + CP.t("suppressed_buckets_how"));
    lines.forEach(function (text) { note.appendChild(CP.el("span", { "class": "note-line" }, text)); });
  }

  function periodText(o) {
    if (!o.period.start) return "";
    var parts = [CP.fmt.day(o.period.start) + " – " + CP.fmt.lastDay(o.period.end)];
    if (o.preset) {
      parts.push(CP.t("preset_" + o.preset.preset) + (o.preset.anchor === "latest_post" ? " " + CP.t("preset_anchor_latest") : ""));
    }
    parts.push(o.timezone);
    return "(" + parts.join(" · ") + ")";
  }

  function render(o, topicNames) {
    document.getElementById("period").textContent = periodText(o);
    renderKpis(o);
    renderVolume(o);
    var emotion = function (r) { return CP.label("emotion", r.key); };
    var topic = function (r) { return topicNames[r.key] || r.key; };
    var place = function (r) { return r.key; };
    C.bars("chart-emotions", o.emotions, emotion);
    C.suppressedNote("note-emotions", o.emotions, o.k, emotion);
    C.bars("chart-topics", o.topics, topic);
    C.suppressedNote("note-topics", o.topics, o.k, topic);
    C.bars("chart-places", o.places, place);
    C.suppressedNote("note-places", o.places, o.k, place);
  }

  var bucket = new URLSearchParams(window.location.search).get("bucket") || "";
  var bucketSelect = document.getElementById("o-bucket");
  bucketSelect.value = bucket;
  bucketSelect.addEventListener("change", function () { CP.setParam("bucket", bucketSelect.value); });

  Promise.all([CP.api(CP.wsApi("/overview", CP.filterParams({ bucket: bucket }))), CP.api(CP.wsApi("/labels"))]).then(function (got) {
    var names = {};
    got[1].topics.forEach(function (tp) { names[tp.id] = CP.topicLabel(tp); });
    render(got[0], names);
  }, CP.fail);
})();

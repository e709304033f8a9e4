/* Plotly helpers shared by the dashboards. Suppressed groups (< k authors) are never drawn as zero: they are
 * left out of bars (and named in a note under the chart) and left as gaps in time series. */
(function () {
  "use strict";
  var CP = window.CP;
  var COLORS = { negative: "#b2182b", neutral: "#8c96a3", positive: "#1a7a3a", line: "#0b5cad", bar: "#2c7fb8",
                 previous: "#8fb3d9" };
  // Every chart can be saved as an image, drawn in the browser from the local plotly bundle (no network): the
  // camera button gives a PNG, the second one an SVG for print. Date axes speak the page's language:
  // plotly-locale-vi.js registers the Vietnamese month and day names.
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"],
                 locale: CP.data.lang === "vi" ? "vi" : "en",
                 toImageButtonOptions: { format: "png", filename: "civicpulse-chart", scale: 2 },
                 modeBarButtonsToAdd: window.Plotly && window.Plotly.Icons ? [{
                   name: "download-svg", title: CP.t("download_svg"), icon: window.Plotly.Icons.camera,
                   click: function (gd) { window.Plotly.downloadImage(gd, { format: "svg", filename: "civicpulse-chart" }); }
                 }] : [] };

  function layout(extra) {
    return Object.assign({
      margin: { l: 50, r: 20, t: 10, b: 40 }, height: 320, paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif", size: 12,
              color: "#1b1f24" },
      legend: { orientation: "h", y: -0.2 }, hovermode: "closest"
    }, extra || {});
  }

  /* Plotly renders a subset of HTML in labels, legends and hover text (<a href>, <b>, <span style>, <br>): a topic
   * label or place name must show as typed, never as a link or styled text. Plotly decodes these entities back. */
  function plain(text) {
    return String(text == null ? "" : text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function draw(id, traces, extra) {
    var target = document.getElementById(id);
    if (!target) return null;
    traces = traces.map(function (tr) {
      return tr.name == null ? tr : Object.assign({}, tr, { name: plain(tr.name) });
    });
    CP.clear(target);
    if (!traces.length || traces.every(function (tr) { return !(tr.x || tr.y || []).length; })) {
      target.appendChild(CP.el("p", { "class": "suppressed" }, CP.t("no_data")));
      return null;
    }
    return window.Plotly.newPlot(target, traces, layout(extra), CONFIG);
  }

  /* A note naming the groups that were held back; `name(row)` gives the group's display name. */
  function suppressedNote(noteId, rows, k, name) {
    var note = document.getElementById(noteId);
    if (!note) return;
    var hidden = rows.filter(function (r) { return r.suppressed; });
    note.textContent = hidden.length
      ? CP.suppressedText(k) + ": " + hidden.map(name || function (r) { return r.key; }).join(", ") : "";
  }

  /* Horizontal bar of the visible rows (largest on top). */
  function bars(id, rows, name, valueOf, extra) {
    var shown = rows.filter(function (r) { return !r.suppressed; });
    var labels = shown.map(function (r) { return plain(name(r)); });
    var values = shown.map(valueOf || function (r) { return r.posts; });
    return draw(id, [{
      type: "bar", orientation: "h", x: values.slice().reverse(), y: labels.slice().reverse(),
      marker: { color: COLORS.bar }, hovertemplate: "%{y}: %{x}<extra></extra>"
    }], Object.assign({ margin: { l: 170, r: 20, t: 10, b: 40 }, height: Math.max(220, 34 * shown.length + 60),
                        yaxis: { automargin: true } }, extra || {}));
  }

  /* A tiny line for table cells: gaps where a bucket was suppressed. */
  function sparkline(target, points) {
    var x = points.map(function (p) { return p[0]; });
    var y = points.map(function (p) { return p[1]; });
    return window.Plotly.newPlot(target, [{ x: x, y: y, type: "scatter", mode: "lines+markers", connectgaps: false,
      line: { color: COLORS.line, width: 1.5 }, marker: { size: 3 }, hoverinfo: "skip" }],
      { margin: { l: 0, r: 0, t: 0, b: 0 }, height: 36, width: 140, xaxis: { visible: false },
        yaxis: { visible: false, rangemode: "tozero" }, showlegend: false, paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)" }, { staticPlot: true, displayModeBar: false, locale: CONFIG.locale });
  }

  /* Analysts' notes within [first, last] as dashed vertical markers with their text (escaped: users type it). */
  function noteMarks(notes, first, last) {
    var shown = (notes || []).filter(function (n) {
      return (!first || n.date >= first.slice(0, 10)) && (!last || n.date <= last.slice(0, 10));
    });
    return {
      shapes: shown.map(function (n) {
        return { type: "line", xref: "x", yref: "paper", x0: n.date, x1: n.date, y0: 0, y1: 1,
                 line: { color: "#8a6d00", width: 1.5, dash: "dash" } };
      }),
      annotations: shown.map(function (n) {
        return { x: n.date, yref: "paper", y: 1, text: plain(n.text), showarrow: false, xanchor: "left", yanchor: "top",
                 font: { size: 11, color: "#5c4a00" }, bgcolor: "rgba(255,255,255,0.8)" };
      })
    };
  }

  /* Posts per bucket with analysts' notes as markers and the event's window shaded; suppressed buckets stay gaps. */
  function timeline(id, points, notes, band) {
    var x = points.map(function (p) { return p[0]; });
    var y = points.map(function (p) { return p[1]; });
    var marks = noteMarks(notes, x[0], x[x.length - 1]);
    if (band) marks.shapes.push({ type: "rect", xref: "x", yref: "paper", x0: band[0], x1: band[1], y0: 0, y1: 1,
                                  fillcolor: "rgba(178,24,43,0.08)", line: { width: 0 } });
    return draw(id, [{ x: x, y: y, type: "scatter", mode: "lines+markers", connectgaps: false, name: CP.t("kpi_posts"),
      line: { color: COLORS.line } }], { height: 220, shapes: marks.shapes, annotations: marks.annotations,
      showlegend: false, yaxis: { rangemode: "tozero" } });
  }

  window.CPCharts = { COLORS: COLORS, plain: plain, draw: draw, bars: bars, sparkline: sparkline,
                      suppressedNote: suppressedNote, timeline: timeline, noteMarks: noteMarks };
})();

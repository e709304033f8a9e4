/* Trends: unusual volume or negative-share spikes with what drove them. */
(function () {
  "use strict";
  var CP = window.CP, P = window.CPPosts;
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
    var name = s.key === null || s.key === undefined ? CP.t("dimension_all") : s.key;
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

  var box = document.getElementById("spikes");
  box.appendChild(CP.el("p", {}, CP.t("loading")));
  CP.api(CP.wsApi("/trends", CP.filterParams({ bucket: form.elements.bucket.value, threshold: form.elements.threshold.value })))
    .then(function (r) {
      CP.clear(box);
      if (!r.spikes.length) { box.appendChild(CP.el("p", {}, CP.t("no_spikes"))); return; }
      r.spikes.forEach(function (s) { box.appendChild(spikeCard(s)); });
    }, function (err) { CP.clear(box); CP.fail(err); });
})();

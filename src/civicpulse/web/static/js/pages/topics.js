/* Topics: taxonomy or discovered topics with posts, share, change, a sparkline and representative posts. */
(function () {
  "use strict";
  var CP = window.CP, C = window.CPCharts, P = window.CPPosts;
  var kind = new URLSearchParams(window.location.search).get("kind") === "discovered" ? "discovered" : "taxonomy";
  document.getElementById("kind-" + kind).checked = true;
  Array.prototype.forEach.call(document.querySelectorAll("input[name=kind]"), function (radio) {
    radio.addEventListener("change", function () { CP.setParam("kind", radio.value); });
  });

  function cell(content, cls) { return CP.el("td", { "class": cls || null }, content); }

  function row(topic, k) {
    var name = CP.topicLabel(topic);
    if (topic.suppressed) {
      return CP.el("tr", {}, [CP.el("th", { scope: "row" }, name),
        CP.el("td", { colspan: "6", "class": "suppressed" }, CP.suppressedText(k))]);
    }
    var spark = CP.el("div", { "class": "spark", role: "img", "aria-label": CP.t("trend_of", { name: name }) });
    var examples = CP.el("details", {}, [CP.el("summary", {}, CP.t("show_posts", { n: (topic.examples || []).length })),
      P.list(topic.examples)]);
    var title = [CP.el("div", {}, name)];
    if (topic.keywords && topic.keywords.length) {
      title.push(CP.el("div", { "class": "hint" }, topic.keywords.slice(0, 6).join(", ")));
    }
    var tr = CP.el("tr", {}, [
      CP.el("th", { scope: "row" }, title),
      cell(CP.fmt.num(topic.posts), "num"),
      cell(CP.fmt.pct(topic.share), "num"),
      cell(topic.change === null ? CP.t("new_or_na") : CP.fmt.signed(topic.change * 100, 0, "%"), "num"),
      cell(CP.fmt.pct(topic.negative_share), "num"),
      cell(spark),
      cell(examples)
    ]);
    return { tr: tr, spark: spark, series: topic.series || [] };
  }

  CP.api(CP.wsApi("/topics", CP.filterParams({ kind: kind }))).then(function (topics) {
    var body = CP.clear(document.querySelector("#topics-table tbody"));
    var k = CP.data.k;
    CP.api(CP.wsApi("/settings")).then(function (s) { k = s.min_authors; }, function () { /* keep default */ })
      .then(function () {
        if (!topics.length) {
          body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "7" }, CP.t("no_data"))));
          return;
        }
        topics.forEach(function (topic) {
          var r = row(topic, k);
          if (r.tr) { body.appendChild(r.tr); C.sparkline(r.spark, r.series); } else body.appendChild(r);
        });
      });
  }, CP.fail);
})();

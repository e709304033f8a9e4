/* Places: the province map (2025 or pre-2025 units), the ranked table and a drill-down into wards. */
(function () {
  "use strict";
  var CP = window.CP;
  var era = new URLSearchParams(window.location.search).get("era") === "legacy" ? "legacy" : "2025";
  document.getElementById("era-" + era).checked = true;
  Array.prototype.forEach.call(document.querySelectorAll("input[name=era]"), function (radio) {
    radio.addEventListener("change", function () { CP.setParam("era", radio.value); });
  });

  function metricCells(r) {
    if (r.suppressed) return [CP.el("td", { colspan: "3", "class": "suppressed" }, CP.suppressedText(kValue))];
    return [CP.el("td", { "class": "num" }, CP.fmt.num(r.posts)),
            CP.el("td", { "class": "num" }, CP.fmt.pct(r.negative_share)),
            CP.el("td", { "class": "num" }, CP.fmt.signed(r.mean_score, 2))];
  }
  var kValue = 10;

  /* The post explorer with this page's filters, narrowed to the ward's posts: its province as the place filter and
   * the ward through the query language (place:"..." matches a post's named places). */
  function wardPosts(province, ward) {
    var params = new URLSearchParams(window.location.search);
    ["era", "province", "lang", "page"].forEach(function (name) { params.delete(name); });
    var condition = "place:\"" + ward.replace(/"/g, "") + "\"";
    var q = (params.get("q") || "").trim();
    params.set("q", q ? "(" + q + ") AND " + condition : condition);
    if (era === "2025") params.set("place", province);  // the explorer's place filter names 2025 provinces
    return "/w/" + encodeURIComponent(CP.data.ws) + "/posts?" + params.toString();
  }

  function drill(name) {
    var panel = document.getElementById("wards-panel");
    var heading = document.getElementById("h-wards");
    var body = CP.clear(document.querySelector("#wards-table tbody"));
    Array.prototype.forEach.call(document.querySelectorAll("#places-table tbody tr"), function (tr) {
      tr.classList.toggle("selected", tr.getAttribute("data-name") === name);
    });
    panel.hidden = false;
    heading.textContent = CP.t("wards_of", { name: name });
    CP.api(CP.wsApi("/places", CP.filterParams({ era: era, province: name }))).then(function (r) {
      if (!r.wards.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_wards"))));
      r.wards.forEach(function (w) {
        var link = CP.el("a", { href: wardPosts(name, w.key), title: CP.t("ward_posts", { name: w.key }) }, w.key);
        body.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, link)].concat(metricCells(w))));
      });
      wardMap(name, r.wards);
      heading.focus();
    }, CP.fail);
  }

  /* The wards as points inside the province's outline; a point opens the ward's posts. Suppressed wards are drawn
   * without a figure, like the table. */
  function wardMap(province, wards) {
    var box = CP.clear(document.getElementById("ward-map"));
    var outline = (shapesByName[province] || {}).geometry;
    var points = wards.filter(function (w) { return w.lat !== null && w.lat !== undefined; }).map(function (w) {
      return { name: w.key, lat: w.lat, lon: w.lon,
               label: w.suppressed ? CP.suppressedText(kValue) : CP.t("n_posts", { n: CP.fmt.num(w.posts) }) };
    });
    box.hidden = !points.length;
    if (!points.length) return;
    window.CivicMap.renderPoints(box, points, { outline: outline, label: CP.t("wards_of", { name: province }),
      onSelect: function (p) { window.location.href = wardPosts(province, p.name); } });
  }

  function table(provinces) {
    var body = CP.clear(document.querySelector("#places-table tbody"));
    if (!provinces.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_data"))));
    provinces.forEach(function (p) {
      var button = CP.el("button", { type: "button", "class": "linklike", onclick: function () { drill(p.key); } }, p.key);
      body.appendChild(CP.el("tr", { "data-name": p.key }, [CP.el("th", { scope: "row" }, button)].concat(metricCells(p))));
    });
  }

  function values(provinces) {
    var out = {};
    provinces.forEach(function (p) {
      out[p.key] = p.suppressed ? { value: null, suppressed: true, label: CP.suppressedText(kValue) }
        : { value: p.posts, suppressed: false, label: CP.t("n_posts", { n: CP.fmt.num(p.posts) }) };
    });
    return out;
  }

  var mapBox = document.getElementById("map");
  var shapesByName = {};
  Promise.all([CP.api(CP.wsApi("/places", CP.filterParams({ era: era }))), CP.api("/api/shapes/" + era)])
    .then(function (got) {
      var data = got[0], shapes = got[1];
      (shapes.features || []).forEach(function (f) { shapesByName[(f.properties || {}).name] = f; });
      kValue = data.k;
      table(data.provinces);
      CP.clear(mapBox);
      window.CivicMap.render(mapBox, shapes, values(data.provinces), {
        onSelect: drill, legendTitle: CP.t("kpi_posts"), suppressedLabel: CP.suppressedText(kValue),
        noDataLabel: CP.t("no_data_short"), format: function (n) { return CP.fmt.num(n); }
      });
      var asked = new URLSearchParams(window.location.search).get("province");
      if (asked) drill(asked);
    }, CP.fail);
})();

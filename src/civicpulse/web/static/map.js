/* civicpulse choropleth map of Vietnam: vanilla JS, no libraries, no network.
 *
 * CivicMap.render(container, geojson, values, options) -> {update(values), svg}
 *   values: {"<province name>": {value: number|null, suppressed: bool, label: string}}
 *   options: {onSelect(name), colors: [low..high], legendTitle, suppressedLabel, noDataLabel,
 *             scale: "quantile"|"linear", format(number) -> string}
 * CivicMap.renderPoints(container, points, options) -> {svg}
 *   points: [{name, code, lat, lon, label?}]; options: {outline: GeoJSON geometry, onSelect(point)}
 *
 * Shapes are drawn in an equirectangular projection corrected by cos(latitude) at the map's centre, in a
 * viewBox so the SVG scales with its container. Every province is a focusable button (Tab, Enter/Space).
 */
(function () {
  "use strict";

  var NS = "http://www.w3.org/2000/svg";
  // ColorBrewer YlGnBu (7 classes, its near-white first one left out so the lowest class stands apart from
  // "no data"): sequential, colour-blind safe and ordered by lightness, so it also reads in greyscale.
  var DEFAULT_COLORS = ["#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"];
  var NO_DATA = "#f7f7f7";
  var STROKE = "#5c5c5c";
  var WIDTH = 1000; // viewBox width; the height follows the shapes' aspect ratio
  var uid = 0;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function polygonsOf(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  // A projection fitted to the bounding box of [lon, lat] pairs.
  function projection(pairs, pad) {
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    pairs.forEach(function (p) {
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
      y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    });
    if (!isFinite(x0)) { x0 = 102; x1 = 110; y0 = 8; y1 = 24; }
    var k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
    var span = Math.max((x1 - x0) * k, y1 - y0, 1e-6);
    var margin = span * (pad || 0.02);
    var scale = WIDTH / ((x1 - x0) * k + 2 * margin || span);
    return {
      height: Math.max(((y1 - y0) + 2 * margin) * scale, 1),
      point: function (lon, lat) {
        return [((lon - x0) * k + margin) * scale, ((y1 - lat) + margin) * scale];
      }
    };
  }

  function pathData(geometry, proj) {
    return polygonsOf(geometry).map(function (poly) {
      return poly.map(function (ring) {
        return "M" + ring.map(function (c) {
          var p = proj.point(c[0], c[1]);
          return p[0].toFixed(1) + "," + p[1].toFixed(1);
        }).join("L") + "Z";
      }).join("");
    }).join("");
  }

  function allPairs(geometries) {
    var pairs = [];
    geometries.forEach(function (g) {
      polygonsOf(g).forEach(function (poly) { poly.forEach(function (ring) { pairs.push.apply(pairs, ring); }); });
    });
    return pairs;
  }

  // Class upper bounds for the shown values: quantiles (counts are heavy-tailed) or equal intervals.
  function breaks(numbers, classes, scale) {
    var sorted = numbers.slice().sort(function (a, b) { return a - b; });
    if (!sorted.length) return [];
    var lo = sorted[0], hi = sorted[sorted.length - 1], out = [];
    for (var i = 1; i <= classes; i++) {
      out.push(scale === "linear" ? lo + (hi - lo) * i / classes
        : sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * i / classes) - 1)]);
    }
    return out.filter(function (b, j) { return j === 0 || b > out[j - 1]; });
  }

  // n colours picked evenly from the scale, for when ties leave fewer classes than colours.
  function spread(colors, n) {
    if (n >= colors.length) return colors;
    if (n === 1) return [colors[Math.floor((colors.length - 1) / 2)]];
    var out = [];
    for (var i = 0; i < n; i++) out.push(colors[Math.round(i * (colors.length - 1) / (n - 1))]);
    return out;
  }

  function classOf(value, bounds) {
    for (var i = 0; i < bounds.length; i++) if (value <= bounds[i]) return i;
    return bounds.length - 1;
  }

  function defaultFormat(n) {
    var lang = document.documentElement.lang || undefined;
    return new Intl.NumberFormat(lang, { maximumFractionDigits: Math.abs(n) < 10 ? 2 : 0 }).format(n);
  }

  function addStyle(svg, id) {
    var style = el("style", {}, svg);
    style.textContent =
      "#" + id + " .cm-area{cursor:pointer;stroke:" + STROKE + ";stroke-width:0.6;vector-effect:non-scaling-stroke}" +
      "#" + id + " .cm-area:hover{stroke:#000;stroke-width:1.5}" +
      "#" + id + " .cm-area:focus{outline:none}" +
      "#" + id + " .cm-ring{fill:none;stroke:#000;stroke-width:3;vector-effect:non-scaling-stroke;" +
      "pointer-events:none}" +
      "#" + id + " .cm-ring-inner{fill:none;stroke:#fff;stroke-width:1.2;vector-effect:non-scaling-stroke;" +
      "pointer-events:none}" +
      "#" + id + " .cm-dot{cursor:pointer;stroke:#fff;stroke-width:1;vector-effect:non-scaling-stroke}" +
      "#" + id + " .cm-dot:focus{outline:none;stroke:#000;stroke-width:3}";
  }

  function newSvg(container, height, label) {
    var id = "civicmap-" + (++uid);
    var svg = el("svg", { id: id, class: "civicmap", viewBox: "0 0 " + WIDTH + " " + height.toFixed(0),
      width: "100%", preserveAspectRatio: "xMidYMid meet", role: "group", "aria-label": label || "Map" });
    svg.style.display = "block";
    svg.style.maxHeight = "80vh";
    addStyle(svg, id);
    container.textContent = "";
    container.appendChild(svg);
    return svg;
  }

  // A double outline (black over white) drawn on top of the focused shape, so it shows on every fill colour
  // without re-ordering the shapes (which would change the tab order).
  function focusRing(svg) {
    var outer = el("path", { class: "cm-ring", "aria-hidden": "true" }, svg);
    var inner = el("path", { class: "cm-ring-inner", "aria-hidden": "true" }, svg);
    outer.style.display = inner.style.display = "none";
    return function (d) {
      outer.style.display = inner.style.display = d ? "" : "none";
      if (d) { outer.setAttribute("d", d); inner.setAttribute("d", d); }
    };
  }

  function activate(node, handler) {
    node.addEventListener("click", handler);
    node.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " " || ev.key === "Spacebar") { ev.preventDefault(); handler(); }
    });
  }

  function legend(container, opts, bounds, fmt) {
    var box = document.createElement("div");
    box.className = "civicmap-legend";
    box.style.cssText = "display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;margin-top:.5rem;" +
      "font-size:.875rem";
    if (opts.legendTitle) {
      var title = document.createElement("strong");
      title.textContent = opts.legendTitle;
      box.appendChild(title);
    }
    var items = bounds.map(function (b, i) {
      var lo = i === 0 ? null : bounds[i - 1];
      return [opts.colors[i], lo === null ? "≤ " + fmt(b) : fmt(lo) + " – " + fmt(b)];
    });
    items.push([null, opts.suppressedLabel || "Suppressed"], [NO_DATA, opts.noDataLabel || "No data"]);
    items.forEach(function (item) {
      var row = document.createElement("span");
      row.style.cssText = "display:inline-flex;align-items:center;gap:.35rem";
      var sw = el("svg", { width: "18", height: "12", "aria-hidden": "true" });
      var fill = item[0];
      if (fill === null) { // the hatch needs its own pattern: ids are looked up per document, not per SVG
        var id = "civicmap-swatch-" + (++uid);
        sw.appendChild(hatchPattern(id));
        fill = "url(#" + id + ")";
      }
      el("rect", { x: "0.5", y: "0.5", width: "17", height: "11", fill: fill, stroke: STROKE }, sw);
      row.appendChild(sw);
      row.appendChild(document.createTextNode(item[1]));
      box.appendChild(row);
    });
    container.appendChild(box);
    return box;
  }

  function hatchPattern(id) {
    var pattern = el("pattern", { id: id, patternUnits: "userSpaceOnUse", width: "6", height: "6",
      patternTransform: "rotate(45)" });
    el("rect", { width: "6", height: "6", fill: "#d9d9d9" }, pattern);
    el("line", { x1: "0", y1: "0", x2: "0", y2: "6", stroke: "#737373", "stroke-width": "2.5" }, pattern);
    return pattern;
  }

  function render(container, geojson, values, options) {
    var opts = Object.assign({ colors: DEFAULT_COLORS, scale: "quantile", format: defaultFormat }, options || {});
    var features = (geojson && geojson.features) || [];
    var proj = projection(allPairs(features.map(function (f) { return f.geometry; })));
    var svg = newSvg(container, proj.height, opts.legendTitle);
    var defs = el("defs", {}, svg);
    var hatchId = svg.id + "-hatch";
    defs.appendChild(hatchPattern(hatchId));
    var ring = focusRing(svg);
    var shapes = features.map(function (f) {
      var name = f.properties.name;
      var d = pathData(f.geometry, proj);
      var node = el("path", { d: d, class: "cm-area", tabindex: "0", role: "button", "data-name": name,
        "data-code": f.properties.code || "" });
      svg.insertBefore(node, svg.lastChild.previousSibling); // keep the focus ring on top
      el("title", {}, node);
      node.addEventListener("focus", function () { ring(d); });
      node.addEventListener("blur", function () { ring(null); });
      if (opts.onSelect) activate(node, function () { opts.onSelect(name); });
      return node;
    });
    var legendBox = null;

    function update(newValues) {
      var vals = newValues || {};
      var shown = Object.keys(vals).map(function (k) { return vals[k]; }).filter(function (v) {
        return v && !v.suppressed && typeof v.value === "number" && isFinite(v.value);
      }).map(function (v) { return v.value; });
      var bounds = breaks(shown, opts.colors.length, opts.scale);
      var palette = spread(opts.colors, bounds.length);
      shapes.forEach(function (node) {
        var name = node.getAttribute("data-name");
        var v = vals[name];
        var fill = NO_DATA, label = opts.noDataLabel || "No data";
        if (v && v.suppressed) {
          fill = "url(#" + hatchId + ")";
          label = v.label || opts.suppressedLabel || "Suppressed";
        } else if (v && typeof v.value === "number" && isFinite(v.value)) {
          fill = palette[classOf(v.value, bounds)];
          label = v.label || opts.format(v.value);
        }
        node.setAttribute("fill", fill);
        node.setAttribute("aria-label", name + ": " + label);
        node.firstChild.textContent = name + ": " + label;
      });
      if (legendBox) legendBox.remove();
      legendBox = legend(container, Object.assign({}, opts, { colors: palette }), bounds, opts.format);
    }

    update(values);
    return { svg: svg, update: update };
  }

  function renderPoints(container, points, options) {
    var opts = options || {};
    var pts = (points || []).filter(function (p) { return typeof p.lat === "number" && typeof p.lon === "number"; });
    var pairs = opts.outline ? allPairs([opts.outline]) : [];
    pts.forEach(function (p) { pairs.push([p.lon, p.lat]); });
    var proj = projection(pairs, 0.05);
    var svg = newSvg(container, proj.height, opts.label);
    if (opts.outline) {
      el("path", { d: pathData(opts.outline, proj), fill: NO_DATA, stroke: STROKE,
        "vector-effect": "non-scaling-stroke", "aria-hidden": "true" }, svg);
    }
    var radius = Math.max(3, Math.min(9, 300 / Math.sqrt(pts.length + 1)));
    pts.forEach(function (p) {
      var xy = proj.point(p.lon, p.lat);
      var text = p.name + (p.label ? ": " + p.label : "");
      var dot = el("circle", { cx: xy[0].toFixed(1), cy: xy[1].toFixed(1), r: radius.toFixed(1), class: "cm-dot",
        fill: "#2c7fb8", "fill-opacity": "0.8", tabindex: "0", role: "button", "aria-label": text,
        "data-code": p.code || "" }, svg);
      el("title", {}, dot).textContent = text;
      if (opts.onSelect) activate(dot, function () { opts.onSelect(p); });
    });
    return { svg: svg };
  }

  window.CivicMap = { render: render, renderPoints: renderPoints };
})();

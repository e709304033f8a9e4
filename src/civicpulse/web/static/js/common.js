/* civicpulse shared page code: API calls, messages, formatting and the page header. No inline scripts (CSP):
 * pages receive their data from <script type="application/json" id="page-data">. */
(function () {
  "use strict";

  var node = document.getElementById("page-data");
  var data = node ? JSON.parse(node.textContent) : {};
  var messages = data.t || {};
  var ROLES = ["viewer", "analyst", "owner"];

  function has(key) { return Object.prototype.hasOwnProperty.call(messages, key); }
  function t(key, vars) {
    // A count of one takes the KEY_one message where there is one ("1 period", not "1 periods").
    if (vars && Number(vars.n) === 1 && has(key + "_one")) key = key + "_one";
    var text = has(key) ? messages[key] : key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(vars[name])); });
    return text;
  }

  /* Build DOM without innerHTML so post texts and names can never inject markup. */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    });
    (Array.isArray(children) ? children : children === undefined ? [] : [children]).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return e;
  }

  function clear(e) { while (e && e.firstChild) e.removeChild(e.firstChild); return e; }

  function ApiError(status, detail) {
    this.status = status;
    this.detail = detail;
    this.message = typeof detail === "string" ? detail
      : detail && detail.message ? detail.message : JSON.stringify(detail);
  }
  ApiError.prototype = Object.create(Error.prototype);

  /* fetch JSON from the API; writes carry the CSRF token; errors become ApiError with the server's detail. */
  function api(path, options) {
    var opts = options || {};
    var method = opts.method || "GET";
    var headers = { "Accept": "application/json" };
    var body;
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = data.csrf || "";
    if (opts.body !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(opts.body); }
    return fetch(path, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = text; }
          if (!response.ok) {
            var err = new ApiError(response.status, parsed && parsed.detail !== undefined ? parsed.detail
              : response.status + " " + response.statusText);
            err.retryAfter = response.headers.get("Retry-After");
            throw err;
          }
          return parsed;
        });
      }, function () { throw new ApiError(0, t("err_network")); });
  }

  /* The page's aria-live region: errors stay until the next message. */
  function say(text, kind, target) {
    var region = target || document.getElementById("status");
    if (!region) return;
    clear(region);
    if (text) region.appendChild(el("div", { "class": "msg " + (kind || "info"), role: kind === "error" ? "alert" : null },
      text));
  }
  function fail(err, target) { say(t("err_prefix") + " " + (err && err.message ? err.message : err), "error", target); }

  var locale = data.lang === "vi" ? "vi-VN" : "en-GB";
  var zone = data.timezone || "UTC";  // the workspace's time zone (analytics/localtime.py)
  function offset(d) {  // "(GMT+7)": which zone a time is shown in
    if (zone === "UTC") return "(UTC)";
    try {
      var part = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "shortOffset" }).formatToParts(d)
        .filter(function (p) { return p.type === "timeZoneName"; })[0];
      return part ? "(" + part.value + ")" : "(" + zone + ")";
    } catch (e) { return "(" + zone + ")"; }
  }
  // n rounded to what is shown, without the sign of a negative zero: -0.001 shown with 2 digits is "0", not "-0".
  function shown(n, digits) {
    var factor = Math.pow(10, digits);
    return Math.round(Number(n) * factor) / factor + 0;
  }
  var fmt = {
    num: function (n, digits) {
      return n === null || n === undefined ? "–"
        : shown(n, digits || 0).toLocaleString(locale, { maximumFractionDigits: digits || 0 });
    },
    pct: function (share, digits) {
      return share === null || share === undefined ? "–"
        : (share * 100).toLocaleString(locale, { maximumFractionDigits: digits === undefined ? 1 : digits }) + "%";
    },
    signed: function (n, digits, suffix) {
      if (n === null || n === undefined) return "–";
      var places = digits === undefined ? 1 : digits, value = shown(n, places);
      return (value > 0 ? "+" : "") + value.toLocaleString(locale, { maximumFractionDigits: places }) + (suffix || "");
    },
    // An instant the API gives as naive UTC (a post's time), shown in the workspace's zone with its offset.
    when: function (iso) {
      if (!iso) return "–";
      var d = new Date(iso.length <= 19 ? iso + "Z" : iso);  // the API speaks naive UTC
      return d.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: zone }) + " " + offset(d);
    },
    // A local wall-clock time (bucket starts, periods: the API gives them in the workspace's zone already).
    local: function (iso, withTime) {
      if (!iso) return "–";
      var d = new Date(iso.slice(0, 19) + "Z");
      var opts = withTime ? { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }
        : { dateStyle: "medium", timeZone: "UTC" };
      return d.toLocaleString(locale, opts) + (withTime ? " " + offset(new Date()) : "");
    },
    day: function (iso) {
      if (!iso) return "–";
      var d = new Date(iso.length <= 19 ? iso + "Z" : iso);
      return d.toLocaleDateString(locale, { dateStyle: "medium", timeZone: "UTC" });
    },
    lastDay: function (isoEnd) {  // the last day inside a period whose end is exclusive (API periods are)
      if (!isoEnd) return "–";
      var end = new Date(isoEnd.length <= 19 ? isoEnd + "Z" : isoEnd);
      return new Date(end.getTime() - 1).toLocaleDateString(locale, { dateStyle: "medium", timeZone: "UTC" });
    }
  };

  /* Filters live in the page URL (shareable); `language` there is `lang` for the API (`?lang=` picks the UI). */
  var FILTER_KEYS = ["query", "q", "period", "start", "end", "platform", "language", "place", "topic", "sentiment"];
  function filterParams(extra) {
    var here = new URLSearchParams(window.location.search);
    var out = new URLSearchParams();
    FILTER_KEYS.forEach(function (key) {
      here.getAll(key).forEach(function (v) { if (v) out.append(key === "language" ? "lang" : key, v); });
    });
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k] !== null && extra[k] !== undefined && extra[k] !== "") out.set(k, extra[k]);
    });
    return out;
  }
  function wsApi(path, params) {
    var query = params ? params.toString() : "";
    return "/api/w/" + encodeURIComponent(data.ws) + path + (query ? "?" + query : "");
  }
  function setParam(name, value) {  // change one page-URL parameter and reload with it
    var params = new URLSearchParams(window.location.search);
    if (value === null || value === undefined || value === "") params.delete(name); else params.set(name, value);
    window.location.search = params.toString();
  }

  function atLeast(role) { return ROLES.indexOf(data.role) >= ROLES.indexOf(role); }

  /* Poll a background job every second until it is done or failed. */
  function pollJob(jobId, onUpdate) {
    var unreachable = 0;  // a restarting server: keep asking for a minute, then the job shows as interrupted
    return new Promise(function (resolve, reject) {
      function tick() {
        api(wsApi("/jobs/" + encodeURIComponent(jobId))).then(function (job) {
          unreachable = 0;
          if (onUpdate) onUpdate(job);
          if (job.status !== "queued" && job.status !== "running") resolve(job);  // done, failed, interrupted
          else window.setTimeout(tick, 1000);
        }, function (err) {
          if ((err.status === 0 || err.status >= 502) && ++unreachable <= 30) window.setTimeout(tick, 2000);
          else reject(err);
        });
      }
      tick();
    });
  }
  function jobText(job) {
    var progress = job.total ? " " + fmt.num(job.done) + " / " + fmt.num(job.total) : job.done ? " " + fmt.num(job.done) : "";
    return t("job_" + job.status) + (job.phase ? " — " + job.phase : "") + progress;
  }

  function label(kind, value) {  // sentiment/emotion labels in the UI language
    var key = kind + "_" + value;
    return Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : value;
  }
  function suppressedText(k) { return t("suppressed_k", { k: k }); }

  function topicLabel(topic) {
    if (!topic) return "";
    if (data.lang === "vi" && topic.label_vi) return topic.label_vi;
    return topic.label || topic.label_en || String(topic.id);
  }

  /* header: mobile navigation, sign out, workspace switcher, unseen alerts */
  function initHeader() {
    var toggle = document.getElementById("nav-toggle");
    var nav = document.getElementById("main-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var signOut = document.getElementById("sign-out");
    if (signOut) {
      signOut.addEventListener("submit", function (ev) {
        ev.preventDefault();
        api("/api/logout", { method: "POST" }).then(function () { window.location.href = "/login"; }, fail);
      });
    }
    var switcher = document.getElementById("ws-switch");
    if (switcher) {
      api("/api/me").then(function (me) {
        clear(switcher);
        me.workspaces.forEach(function (w) {
          switcher.appendChild(el("option", { value: w.name, selected: w.name === data.ws }, w.name + " (" + label("role", w.role) + ")"));
        });
      }, function () { /* the current workspace stays the only choice */ });
      switcher.addEventListener("change", function () {
        var rest = window.location.pathname.split("/").slice(3).join("/");
        window.location.href = "/w/" + encodeURIComponent(switcher.value) + "/" + rest;
      });
    }
    var badge = document.getElementById("alerts-badge");
    if (badge && data.ws) {
      api(wsApi("/alerts", new URLSearchParams({ unseen: "true", limit: "1" }))).then(function (r) {
        if (r.unseen) {
          badge.textContent = String(r.unseen);
          badge.hidden = false;
          badge.setAttribute("aria-label", t("alerts_unseen", { n: r.unseen }));
        }
      }, function () { /* no badge */ });
    }
  }

  window.CP = {
    data: data, t: t, el: el, clear: clear, api: api, say: say, fail: fail, fmt: fmt, filterParams: filterParams,
    wsApi: wsApi, setParam: setParam, atLeast: atLeast, pollJob: pollJob, jobText: jobText, label: label,
    suppressedText: suppressedText, topicLabel: topicLabel, ApiError: ApiError
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initHeader);
  else initHeader();
})();

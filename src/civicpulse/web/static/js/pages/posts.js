/* Post explorer: paged, sorted posts with their labels and why; analysts correct labels and retrain. */
(function () {
  "use strict";
  var CP = window.CP, P = window.CPPosts;
  var here = new URLSearchParams(window.location.search);
  var page = Math.max(1, parseInt(here.get("page") || "1", 10) || 1);
  var sort = here.get("sort") || "newest";
  var sortSelect = document.getElementById("p-sort");
  sortSelect.value = sort;
  sortSelect.addEventListener("change", function () {
    var params = new URLSearchParams(window.location.search);
    params.set("sort", sortSelect.value);
    params.delete("page");
    params.delete("lang");
    window.location.search = params.toString();
  });
  var analyst = CP.atLeast("analyst");
  var labels = { sentiments: [], emotions: [], topics: [] };
  var topicNames = {};

  function whyBlock(why) {
    if (!why) return null;
    var items = [];
    function words(task, w) {
      if (w && w.words && w.words.length) items.push(CP.el("li", {}, CP.t(task) + ": " + w.words.join(", ")
        + (w.lexicon && w.lexicon.length ? " · " + CP.t("lexicon") + ": " + w.lexicon.join(", ") : "")));
    }
    words("sentiment", why.sentiment);
    words("emotion", why.emotion);
    Object.keys(why.topics || {}).forEach(function (id) {
      var w = why.topics[id] || {};
      var parts = (w.words || []).concat(w.examples && w.examples.length ? [CP.t("similar_to") + " “" + w.examples.join("”, “") + "”"] : []);
      if (parts.length) items.push(CP.el("li", {}, (topicNames[id] || id) + ": " + parts.join(", ")));
    });
    if (why.places && why.places.length) items.push(CP.el("li", {}, CP.t("places") + ": " + why.places.join(", ")));
    if (!items.length) return null;
    return CP.el("details", { "class": "why" }, [CP.el("summary", {}, CP.t("why_labels")), CP.el("ul", {}, items)]);
  }

  function correctForm(post, status, openTask) {
    var task = CP.el("select", { id: "task-" + post.post_id }, ["sentiment", "emotion", "topics"].map(function (x) {
      return CP.el("option", { value: x, selected: x === openTask }, CP.t(x));
    }));
    var value = CP.el("select", { id: "label-" + post.post_id });
    function options() {
      CP.clear(value);
      var which = task.value;
      value.multiple = which === "topics";
      var list = which === "sentiment" ? labels.sentiments : which === "emotion" ? labels.emotions
        : labels.topics.map(function (tp) { return tp.id; });
      var current = post.corrections[which] || (which === "sentiment" ? post.sentiment : which === "emotion" ? post.emotion
        : (post.topics || []).join(","));
      list.forEach(function (x) {
        var text = which === "topics" ? topicNames[x] || x : CP.label(which, x);
        value.appendChild(CP.el("option", { value: x, selected: String(current).split(",").indexOf(x) >= 0 }, text));
      });
    }
    task.addEventListener("change", options);
    options();
    var form = CP.el("form", { "class": "correct-form" }, [
      CP.el("div", { "class": "field" }, [CP.el("label", { "for": task.id }, CP.t("task")), task]),
      CP.el("div", { "class": "field" }, [CP.el("label", { "for": value.id }, CP.t("correct_label")), value]),
      CP.el("button", { type: "submit" }, CP.t("save"))
    ]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = Array.prototype.filter.call(value.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; }).join(",");
      CP.api(CP.wsApi("/posts/" + encodeURIComponent(post.platform) + "/" + encodeURIComponent(post.post_id) + "/labels"),
        { method: "PUT", body: { task: task.value, label: chosen } }).then(function (r) {
        post.corrections[r.task] = r.label;
        CP.say(CP.t("correction_saved", { n: r.corrections }), "ok", status);
      }, function (err) { CP.fail(err, status); });
    });
    return CP.el("details", openTask ? { open: true } : {}, [CP.el("summary", {}, CP.t("correct_labels")), form]);
  }

  function postView(post, openTask) {
    var chips = [];
    var fixed = post.corrections || {};
    if (post.sentiment) chips.push(P.chip(CP.t("sentiment") + ": " + CP.label("sentiment", post.sentiment), post.sentiment));
    if (post.emotion) chips.push(P.chip(CP.t("emotion") + ": " + CP.label("emotion", post.emotion)));
    (post.topics || []).forEach(function (id) { chips.push(P.chip(CP.t("topic") + ": " + (topicNames[id] || id))); });
    (post.places || []).forEach(function (pl) {
      chips.push(P.chip(CP.t("place") + ": " + pl.name + (pl.province_2025 && pl.province_2025 !== pl.name ? ", " + pl.province_2025 : "")));
    });
    (post.hashtags || []).forEach(function (h) { chips.push(P.chip((h[0] === "#" ? "" : "#") + h)); });
    Object.keys(fixed).forEach(function (task) {
      chips.push(P.chip(CP.t("corrected") + " " + CP.t(task) + ": " + fixed[task].split(",").map(function (x) {
        return task === "topics" ? topicNames[x] || x : CP.label(task, x);
      }).join(", "), "corrected"));
    });
    var meta = [CP.el("span", {}, post.platform), CP.el("time", { datetime: post.created_at }, CP.fmt.when(post.created_at))];
    if (post.language) meta.push(CP.el("span", {}, CP.t("post_language") + ": " + post.language));
    var link = P.link(post.url);
    if (link) meta.push(link);
    var status = CP.el("div", { "aria-live": "polite" });
    return CP.el("article", { "class": "post", "data-post": post.platform + "/" + post.post_id }, [
      CP.el("p", { "class": "post-text" }, post.text || ""),
      CP.el("div", { "class": "post-meta" }, meta),
      CP.el("ul", { "class": "chips", "aria-label": CP.t("labels") }, chips),
      post.keywords && post.keywords.length ? CP.el("p", { "class": "why" }, CP.t("keywords") + ": " + post.keywords.join(", ")) : null,
      whyBlock(post.why),
      analyst ? correctForm(post, status, openTask) : null,
      status
    ]);
  }

  function go(to) {
    var params = new URLSearchParams(window.location.search);
    params.set("page", String(to));
    params.delete("lang");
    window.location.search = params.toString();
  }

  var box = document.getElementById("posts");
  box.appendChild(CP.el("p", {}, CP.t("loading")));
  var queueTask = analyst ? here.get("queue") : null;
  var queueButton = document.getElementById("label-queue");
  if (queueButton) {
    if (queueTask) document.getElementById("queue-task").value = queueTask;
    queueButton.addEventListener("click", function () {
      var params = new URLSearchParams(window.location.search);
      params.set("queue", document.getElementById("queue-task").value);
      params.delete("page");
      params.delete("lang");
      window.location.search = params.toString();
    });
  }
  if (queueTask === "sentiment" || queueTask === "emotion") {
    /* Active learning: the 20 unlabelled posts the workspace's model is least sure of, label controls open. */
    document.getElementById("queue-intro").hidden = false;
    document.querySelector(".pager").hidden = true;
    Promise.all([CP.api(CP.wsApi("/label-queue", new URLSearchParams({ task: queueTask, n: "20" }))), CP.api(CP.wsApi("/labels"))])
      .then(function (got) {
        labels = got[1];
        labels.topics.forEach(function (tp) { topicNames[tp.id] = CP.topicLabel(tp); });
        CP.clear(box);
        document.getElementById("total").textContent = "(" + CP.fmt.num(got[0].posts.length) + ")";
        if (!got[0].posts.length) box.appendChild(CP.el("p", {}, CP.t("label_queue_empty")));
        got[0].posts.forEach(function (post) { box.appendChild(postView(post, queueTask)); });
      }, function (err) { CP.clear(box); CP.fail(err); });
  } else Promise.all([CP.api(CP.wsApi("/posts", CP.filterParams({ page: page, sort: sort, page_size: 25 }))),
               CP.api(CP.wsApi("/labels"))]).then(function (got) {
    var r = got[0];
    labels = got[1];
    labels.topics.forEach(function (tp) { topicNames[tp.id] = CP.topicLabel(tp); });
    CP.clear(box);
    document.getElementById("total").textContent = "(" + CP.fmt.num(r.total) + ")";
    if (!r.posts.length) box.appendChild(CP.el("p", {}, CP.t("no_posts")));
    r.posts.forEach(function (post) { box.appendChild(postView(post)); });
    document.getElementById("page-info").textContent = CP.t("page_of", { page: r.page, pages: Math.max(r.pages, 1) });
    var prev = document.getElementById("prev"), next = document.getElementById("next");
    prev.disabled = r.page <= 1;
    next.disabled = r.page >= r.pages;
    prev.addEventListener("click", function () { go(r.page - 1); });
    next.addEventListener("click", function () { go(r.page + 1); });
  }, function (err) { CP.clear(box); CP.fail(err); });

  var retrain = document.getElementById("retrain");
  if (retrain) {
    var out = document.getElementById("retrain-status");
    retrain.addEventListener("click", function () {
      retrain.disabled = true;
      var task = document.getElementById("retrain-task").value;
      CP.api(CP.wsApi("/models/retrain"), { method: "POST", body: { task: task } }).then(function (job) {
        return CP.pollJob(job.id, function (j) { CP.say(CP.jobText(j), "info", out); });
      }).then(function (job) {
        if (job.status === "done" && job.result.live === false) {
          CP.say(CP.t("retrain_kept", { task: CP.t(task), estimate: job.result.estimate.value.toFixed(3),
            current: job.result.baseline.score.toFixed(3) }), "info", out);
        } else if (job.status === "done") CP.say(CP.t("retrained", { task: CP.t(task), n: job.result.examples || 0 }), "ok", out);
        else CP.say(CP.t("err_prefix") + " " + job.error, "error", out);
      }, function (err) { CP.fail(err, out); }).then(function () { retrain.disabled = false; });
    });
  }
})();

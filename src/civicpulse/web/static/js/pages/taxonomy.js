/* Taxonomy editor: topics with labels (en/vi), description and example phrases; saving retrains the classifier. */
(function () {
  "use strict";
  var CP = window.CP;
  var editable = CP.atLeast("analyst");
  var editor = document.getElementById("topics-editor");
  var form = document.getElementById("taxonomy-form");
  var counter = 0;

  function field(id, labelText, input, wide) {
    input.id = id;
    return CP.el("div", { "class": "field" + (wide ? " wide" : "") }, [CP.el("label", { "for": id }, labelText), input]);
  }

  function topicBox(topic) {
    var n = ++counter;
    var ro = !editable;
    var id = CP.el("input", { type: "text", name: "id", required: true, maxlength: "64", pattern: "[a-z0-9_]+",
                              value: topic.id || "", readonly: ro });
    var en = CP.el("input", { type: "text", name: "label_en", required: true, maxlength: "120", value: topic.label_en || "", readonly: ro });
    var vi = CP.el("input", { type: "text", name: "label_vi", maxlength: "120", value: topic.label_vi || "", readonly: ro });
    var description = CP.el("input", { type: "text", name: "description", maxlength: "1000", value: topic.description || "", readonly: ro });
    var examples = CP.el("textarea", { name: "examples", rows: "4", readonly: ro });
    examples.value = (topic.examples || []).join("\n");
    var box = CP.el("fieldset", { "class": "panel topic-box" }, [
      CP.el("legend", {}, topic.label_en || CP.t("new_topic")),
      CP.el("div", { "class": "form-grid" }, [
        field("tx-id-" + n, CP.t("topic_id"), id), field("tx-en-" + n, CP.t("label_en"), en),
        field("tx-vi-" + n, CP.t("label_vi"), vi), field("tx-desc-" + n, CP.t("description"), description, true),
        field("tx-ex-" + n, CP.t("examples_one_per_line"), examples, true)
      ])
    ]);
    if (editable) {
      box.appendChild(CP.el("div", { "class": "actions" }, CP.el("button", { type: "button", "class": "danger", onclick: function () {
        editor.removeChild(box);
      } }, CP.t("remove_topic"))));
    }
    return box;
  }

  function collect() {
    return Array.prototype.map.call(editor.querySelectorAll(".topic-box"), function (box) {
      function v(name) { return box.querySelector("[name=" + name + "]").value.trim(); }
      return { id: v("id"), label_en: v("label_en"), label_vi: v("label_vi"), description: v("description"),
               examples: v("examples").split("\n").map(function (x) { return x.trim(); }).filter(Boolean) };
    });
  }

  CP.api(CP.wsApi("/taxonomy")).then(function (topics) {
    topics.forEach(function (topic) { editor.appendChild(topicBox(topic)); });
  }, CP.fail);

  var add = document.getElementById("add-topic");
  if (add) {
    add.addEventListener("click", function () {
      var box = topicBox({});
      editor.appendChild(box);
      box.querySelector("input").focus();
    });
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var save = document.getElementById("save-taxonomy");
    save.disabled = true;
    CP.say(CP.t("retraining"), "info");
    // The server stores the taxonomy and retrains in a background job; follow it to the end.
    CP.api(CP.wsApi("/taxonomy"), { method: "PUT", body: collect() }).then(function (job) {
      return CP.pollJob(job.id, function (j) { CP.say(CP.jobText(j), "info"); });
    }).then(function (job) {
      if (job.status === "done") CP.say(CP.t("taxonomy_saved", { n: job.result.topics }), "ok");
      else CP.say(CP.t("err_prefix") + " " + job.error, "error");
    }, CP.fail).then(function () { save.disabled = false; });
  });
})();

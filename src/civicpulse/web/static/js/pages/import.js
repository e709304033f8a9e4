/* Import: upload files with progress, follow the import job, then show per-file counts and rejected records.
 * A CSV or Excel file first goes to the column step: its columns and first rows are shown with a guess (or the
 * choice remembered for the same columns) of which holds the text, time, id, place and platform. */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("import-form");
  var box = document.getElementById("progress-box");
  var uploadBar = document.getElementById("upload-progress");
  var jobBar = document.getElementById("job-progress");
  var jobStatus = document.getElementById("job-status");
  var COUNTS = ["read", "stored", "updated", "unchanged", "deleted", "skipped", "rejected", "warnings"];

  var ROLES = [["text", CP.t("col_role_text"), true], ["created_at", CP.t("col_role_created_at"), true],
    ["post_id", CP.t("col_role_post_id"), true], ["place_name", CP.t("col_role_place_name")],
    ["platform", CP.t("col_role_platform")], ["url", CP.t("col_role_url")], ["language", CP.t("col_role_language")],
    ["author_id", CP.t("col_role_author_id")]];
  var PLATFORMS = ["other", "facebook", "x", "youtube", "tiktok", "instagram", "reddit", "telegram", "mastodon", "bluesky"];
  var TIME_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
    "%d-%m-%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p"];
  var staged = null;  // the upload waiting for its columns: {upload, files}

  function upload(data, path) {  // XMLHttpRequest: fetch cannot report upload progress
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", CP.wsApi(path || "/imports"));
      xhr.withCredentials = true;
      xhr.setRequestHeader("X-CSRF-Token", CP.data.csrf || "");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) uploadBar.value = Math.round(ev.loaded / ev.total * 100);
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status >= 200 && xhr.status < 300) { uploadBar.value = 100; resolve(body); }
        else reject(new CP.ApiError(xhr.status, body && body.detail ? body.detail : xhr.status + " " + xhr.statusText));
      });
      xhr.addEventListener("error", function () { reject(new CP.ApiError(0, CP.t("err_network"))); });
      xhr.send(data);
    });
  }

  function showJob(job) {
    jobStatus.textContent = CP.jobText(job);
    if (job.total) { jobBar.max = job.total; jobBar.value = Math.min(job.done, job.total); }
    else jobBar.removeAttribute("value");  // indeterminate while the total is unknown
  }

  function report(job) {
    var r = job.result || {};
    jobBar.max = 1;
    jobBar.value = 1;
    var section = document.getElementById("result");
    section.hidden = false;
    var files = CP.clear(document.querySelector("#files-table tbody"));
    (r.files || []).forEach(function (f) {
      files.appendChild(CP.el("tr", {}, [CP.el("th", { scope: "row" }, f.file), CP.el("td", {}, f.format)].concat(
        COUNTS.map(function (c) { return CP.el("td", { "class": "num" }, CP.fmt.num(f[c])); }))));
    });
    var summary = [];
    if (r.analysis) summary.push(CP.t("analysis_done", { n: CP.fmt.num(r.analysis.analyzed), s: r.analysis.seconds }));
    if (r.alerts && r.alerts.length) summary.push(CP.t("alerts_fired", { n: r.alerts.length }));
    document.getElementById("analysis-summary").textContent = summary.join(" · ");
    document.getElementById("rejected-total").textContent = "(" + CP.fmt.num(r.rejected_total || 0) + ")";
    var link = document.getElementById("rejects-link");
    if (r.rejects_file) {
      link.href = CP.wsApi("/jobs/" + encodeURIComponent(job.id) + "/rejects");
      link.hidden = false;
    } else link.hidden = true;
    var rejects = CP.clear(document.querySelector("#rejects-table tbody"));
    if (!(r.rejects || []).length) rejects.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_rejects"))));
    (r.rejects || []).forEach(function (x) {
      rejects.appendChild(CP.el("tr", {}, [CP.el("td", {}, x.file || ""), CP.el("td", { "class": "num" }, x.line === null ? "–" : String(x.line)),
        CP.el("td", {}, x.path || ""), CP.el("td", {}, x.reason || "")]));
    });
    document.getElementById("h-result").focus();
  }

  function jobDetail(job) {
    if (job.error) return job.error;
    var files = (job.result || {}).files;
    if (job.status === "done" && files) {
      return files.map(function (f) { return f.file + ": " + CP.t("count_stored") + " " + CP.fmt.num(f.stored); }).join(" · ");
    }
    return job.phase || "";
  }

  function loadJobs() {  // interrupted jobs stay visible here after a server restart
    return CP.api(CP.wsApi("/jobs?limit=10")).then(function (jobs) {
      var body = CP.clear(document.querySelector("#jobs-table tbody"));
      if (!jobs.length) body.appendChild(CP.el("tr", {}, CP.el("td", { colspan: "4" }, CP.t("no_jobs"))));
      jobs.forEach(function (job) {
        body.appendChild(CP.el("tr", {}, [CP.el("td", {}, CP.fmt.when(job.created_at)),
          CP.el("td", {}, CP.label("job_kind", job.kind)), CP.el("td", {}, CP.t("job_" + job.status)),
          CP.el("td", {}, jobDetail(job))]));
      });
    }, CP.fail);
  }
  loadJobs();

  function isSheet(name) { return /\.(csv|tsv)(\.gz)?$|\.xlsx$/i.test(name); }

  function select(id, label, options, chosen) {
    return CP.el("div", { "class": "field" }, [CP.el("label", { "for": id }, label),
      CP.el("select", { id: id }, options.map(function (o) {
        return CP.el("option", { value: o[0], selected: o[0] === chosen }, o[1]);
      }))]);
  }

  function mappingForm(f, index) {  // one spreadsheet: what it is, its first rows, a select per role
    var id = "map-" + index + "-";
    var columns = [["", CP.t("col_none")]].concat(f.columns.map(function (c) { return [c, c]; }));
    var formats = [["", CP.t("time_format_iso")]].concat(TIME_FORMATS.map(function (x) { return [x, x]; }));
    if (f.time_format && TIME_FORMATS.indexOf(f.time_format) < 0) formats.push([f.time_format, f.time_format]);
    var fields = ROLES.map(function (r) {
      return select(id + r[0], r[1] + (r[2] ? " (" + CP.t("col_required") + ")" : ""), columns, f.roles[r[0]] || "");
    });
    fields.push(select(id + "time-format", CP.t("time_format"), formats, f.time_format || ""));
    fields.push(select(id + "platform-all", CP.t("platform_all_rows"), PLATFORMS.map(function (p) { return [p, p]; }),
      f.platform || "other"));
    var head = CP.el("tr", {}, f.columns.map(function (c) { return CP.el("th", { scope: "col" }, c); }));
    var rows = f.rows.map(function (row) { return CP.el("tr", {}, row.map(function (v) { return CP.el("td", {}, v); })); });
    return CP.el("fieldset", { "class": "mapping-file", "data-name": f.name }, [
      CP.el("legend", {}, f.name),
      CP.el("p", { "class": "hint" }, (f.kind === "xlsx" ? CP.t("excel_sheet")
        : CP.t("file_dialect", { delimiter: f.delimiter === "\t" ? "TAB" : f.delimiter, encoding: f.encoding })) + " · " +
        (f.remembered ? CP.t("mapping_remembered") : CP.t("mapping_guessed"))),
      (f.problems || []).length ? CP.el("p", { "class": "msg error" }, f.problems.join(" · ")) : null,
      CP.el("div", { "class": "form-grid" }, fields),
      CP.el("div", { "class": "table-wrap" }, CP.el("table", { "class": "preview" }, [
        CP.el("caption", {}, CP.t("first_rows", { name: f.name })), CP.el("thead", {}, head), CP.el("tbody", {}, rows)]))]);
  }

  function showMapping(answer) {
    staged = answer;
    var box = CP.clear(document.getElementById("mapping-files"));
    answer.files.forEach(function (f, i) {
      box.appendChild(f.kind === "auto" ? CP.el("p", {}, CP.t("auto_detected_file", { name: f.name })) : mappingForm(f, i));
    });
    document.getElementById("mapping-zone").textContent = CP.t("times_in_zone", { zone: answer.timezone });
    var section = document.getElementById("mapping");
    section.hidden = false;
    document.getElementById("h-mapping").focus();
  }

  function chosenColumns() {  // the choices per spreadsheet, or null after saying what is missing
    var files = [], missing = null;
    staged.files.forEach(function (f, i) {
      if (f.kind === "auto") return;
      var id = "map-" + i + "-", roles = {};
      ROLES.forEach(function (r) {
        var value = document.getElementById(id + r[0]).value;
        if (value) roles[r[0]] = value;
        else if (r[2] && !missing) missing = f.name;
      });
      files.push({ name: f.name, roles: roles, time_format: document.getElementById(id + "time-format").value,
        platform: document.getElementById(id + "platform-all").value });
    });
    if (missing) { CP.say(CP.t("choose_required", { name: missing }), "error"); return null; }
    return files;
  }

  function closeMapping() {
    staged = null;
    document.getElementById("mapping").hidden = true;
    CP.clear(document.getElementById("mapping-files"));
  }

  function follow(job) {  // the import job until it ends, then its report
    box.hidden = false;
    return CP.pollJob(job.id, showJob).then(function (job) {
      if (job.status === "done") {
        CP.say(CP.t("import_done"), "ok");
        report(job);
      } else CP.say(CP.t("err_prefix") + " " + job.error, "error");
    });
  }

  document.getElementById("m-import").addEventListener("click", function () {
    if (!staged) return;
    var files = chosenColumns();
    if (!files) return;
    var button = this;
    button.disabled = true;
    CP.api(CP.wsApi("/imports/staged/" + encodeURIComponent(staged.upload)), { method: "POST", body: {
      files: files, remember: document.getElementById("m-remember").checked } }).then(function (job) {
      closeMapping();
      return follow(job);
    }).then(null, CP.fail).then(function () { button.disabled = false; loadJobs(); });
  });

  document.getElementById("m-cancel").addEventListener("click", function () {
    if (!staged) return;
    CP.api(CP.wsApi("/imports/staged/" + encodeURIComponent(staged.upload)), { method: "DELETE" }).then(function () {
      CP.say(CP.t("import_cancelled"), "info");
    }, CP.fail);
    closeMapping();
    box.hidden = true;
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var files = form.elements.files.files;
    if (!files.length) { CP.say(CP.t("choose_files"), "error"); return; }
    var data = new FormData();
    Array.prototype.forEach.call(files, function (f) { data.append("files", f, f.name); });
    if (form.elements.format.value) data.append("format", form.elements.format.value);
    var submit = document.getElementById("i-submit");
    submit.disabled = true;
    box.hidden = false;
    uploadBar.value = 0;
    jobStatus.textContent = CP.t("uploading");
    CP.say("", "info");
    var names = Array.prototype.map.call(files, function (f) { return f.name; });
    var withMappingFile = names.some(function (n) { return /\.mapping\.toml$/i.test(n); });
    var format = form.elements.format.value;
    // Spreadsheets go to the column step first, unless a mapping file or a platform format came with them.
    if (names.some(isSheet) && !withMappingFile && (format === "" || format === "csv")) {
      closeMapping();
      document.getElementById("result").hidden = true;
      upload(data, "/imports/staged").then(function (answer) {
        jobStatus.textContent = "";
        box.hidden = true;  // the progress comes back with the import job
        showMapping(answer);
      }, CP.fail).then(function () { submit.disabled = false; });
      return;
    }
    upload(data).then(follow).then(null, CP.fail).then(function () { submit.disabled = false; loadJobs(); });
  });
})();

/* Import: upload files with progress, follow the import job, then show per-file counts and rejected records. */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("import-form");
  var box = document.getElementById("progress-box");
  var uploadBar = document.getElementById("upload-progress");
  var jobBar = document.getElementById("job-progress");
  var jobStatus = document.getElementById("job-status");
  var COUNTS = ["read", "stored", "updated", "unchanged", "deleted", "skipped", "rejected", "warnings"];

  function upload(data) {  // XMLHttpRequest: fetch cannot report upload progress
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", CP.wsApi("/imports"));
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
    upload(data).then(function (job) { return CP.pollJob(job.id, showJob); }).then(function (job) {
      if (job.status === "done") {
        CP.say(CP.t("import_done"), "ok");
        report(job);
      } else CP.say(CP.t("err_prefix") + " " + job.error, "error");
    }, CP.fail).then(function () { submit.disabled = false; loadJobs(); });
  });
})();

/* Workspace settings (owners): the minimum number of authors behind a figure (k), the time zone, the retention. */
(function () {
  "use strict";
  var CP = window.CP;
  var form = document.getElementById("settings-form");
  var f = form.elements;

  function load() {
    return CP.api(CP.wsApi("/settings")).then(function (s) {
      f.min_authors.value = s.min_authors;
      f.min_authors.min = s.min_authors_floor;
      f.timezone.value = s.timezone || "Asia/Ho_Chi_Minh";
      f.retention_days.value = s.retention_days || "";
    }, CP.fail);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var days = f.retention_days.value ? Number(f.retention_days.value) : null;
    var params = new URLSearchParams({ min_authors: f.min_authors.value, timezone: f.timezone.value.trim() });
    CP.api(CP.wsApi("/settings", params), { method: "PUT" }).then(function () {
      return CP.api(CP.wsApi("/retention"), { method: "PUT", body: { days: days } });
    }).then(function () {
      CP.say(CP.t("settings_saved"), "ok");
      return load();
    }, CP.fail);
  });

  document.getElementById("s-apply").addEventListener("click", function () {
    if (!window.confirm(CP.t("confirm_retention_apply"))) return;
    CP.api(CP.wsApi("/retention/apply"), { method: "POST" }).then(function (job) {
      return CP.pollJob(job.id);
    }).then(function (job) {
      if (job.status === "done") CP.say(CP.t("retention_applied"), "ok");
      else CP.say(CP.t("err_prefix") + " " + job.error, "error");
    }, CP.fail);
  });
  load();
})();

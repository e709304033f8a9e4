"""What a server start does about the previous process's jobs and uploads.

A process killed mid-job (kill -9, power loss, OOM) leaves its jobs `queued` or `running` in the store and its
uploads on disk. At the next start, before any new job runs:
- each such job is marked `interrupted`, with a message saying what happened to its data;
- for an import that was running (and was to be analyzed) and for an analysis, one analysis job per workspace
  is queued: analysis is incremental, so it covers exactly the posts that landed and are not analyzed yet;
- every upload that belongs to no live job is deleted (raw platform data, author names included), as are
  partial uploads of requests cut off mid-transfer.
The import is not resumed: its upload is gone by design. Uploading the same files again stores nothing twice.

This is the DuckDB story (one server process). On PostgreSQL several processes share the queue and a dead
process's jobs are queued again when their lease runs out (runtime/job_queue.py); only `clean_uploads` is shared.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from civicpulse.store.web_sql import UNFINISHED_JOBS

if TYPE_CHECKING:
    from civicpulse.runtime.jobs import Job, JobRunner

log = logging.getLogger("civicpulse.jobs")


def _message(job: Job, was: str, analysis: Job | None) -> str:
    analyzed = f" and are being analyzed (job {analysis.id})" if analysis else ""
    again = "upload the files again" if job.params.get("uploaded") else "run the import again"
    if job.kind == "ingest" and was == "running":
        return (f"interrupted: the server stopped during this import; the posts stored until then are kept{analyzed}."
                f" To import the rest, {again}: posts already stored are not stored twice.")
    if job.kind == "ingest":
        return f"interrupted: the server stopped before this import started; {again}."
    if job.kind == "analyze":
        resumed = f"; the analysis continues in job {analysis.id}" if analysis else ""
        return f"interrupted: the server stopped during this analysis; posts analyzed until then are kept{resumed}."
    return "interrupted: the server stopped before this job finished; start it again."


def _wants_analysis(job: Job, was: str) -> bool:
    if job.kind == "ingest":
        return was == "running" and bool(job.params.get("analyze", True))
    return job.kind == "analyze"


def recover(runner: JobRunner) -> None:
    from civicpulse.runtime.jobs import Job, utc_now

    analyses: dict[str, Job] = {}
    for row in runner.read_rows(UNFINISHED_JOBS, []):
        job = Job.from_row(row)
        if job.id in runner.jobs:  # submitted by this process before its worker started
            continue
        was = job.status
        analysis = analyses.get(job.workspace)
        if analysis is None and _wants_analysis(job, was) and runner.store.get_workspace(job.workspace):
            analysis = analyses[job.workspace] = runner.submit("analyze", job.workspace, job.user, resumes=job.id)
        job.status, job.finished_at, job.error = "interrupted", utc_now(), _message(job, was, analysis)
        runner.save(job)
        log.warning("job %s (%s in %s) was %s when the server stopped: marked interrupted", job.id, job.kind,
                    job.workspace, was)
    if runner.uploads_dir is not None:
        removed = clean_uploads(runner.uploads_dir, {Path(j.params["uploaded"]) for j in runner.jobs.values()
                                                     if j.params.get("uploaded")})
        if removed:
            log.warning("deleted %d upload(s) left by a previous server process", removed)


def clean_uploads(uploads_dir: Path, live: set[Path], keep_younger_than: float = 0.0) -> int:
    """Delete everything under DB.uploads/ that no live job will read; keep the folder private (0700).

    `keep_younger_than` (seconds): entries changed more recently are kept, for a PostgreSQL store whose other
    web processes may be receiving an upload right now (runtime/job_queue.py)."""
    uploads_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(uploads_dir, 0o700)
    removed = 0
    recent = time.time() - keep_younger_than
    for workspace_dir in uploads_dir.iterdir():
        entries = list(workspace_dir.iterdir()) if workspace_dir.is_dir() and not workspace_dir.is_symlink() \
            else [workspace_dir]
        for entry in entries:
            if entry not in live and not (keep_younger_than and entry.lstat().st_mtime > recent):
                _remove(entry)
                removed += 1
        if workspace_dir.is_dir() and not any(workspace_dir.iterdir()):
            workspace_dir.rmdir()
    return removed


def drop_upload(job: Job) -> None:
    if job.params.get("uploaded"):
        shutil.rmtree(job.params["uploaded"], ignore_errors=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)

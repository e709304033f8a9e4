"""Background jobs on a PostgreSQL store: the queue is the `jobs` table, shared by every process.

Any process submits (a web server's upload, the daily maintenance); any process with job threads runs them (the
web servers themselves, `CIVICPULSE_JOB_THREADS` each, and `civicpulse worker` processes). A job thread claims
the oldest queued job with `FOR UPDATE SKIP LOCKED` (store/jobs_sql.py), so two threads never get the same job.
While it runs, its process renews the lease; a process that dies (kill -9, OOM, a lost machine) stops renewing,
and once the lease runs out any process queues the job again, up to `max_attempts` tries in all.

Re-running a job is safe: an import upserts (a post stored before the crash is matched, not stored twice), an
analysis works through whatever backlog is left, retention, maintenance, retraining and a taxonomy just do their
work again. What a second run repeats: the first run's rejects file stays beside the second's, the import is
recorded again in ingest_runs (its counts show what the second run found new), and alert rules are evaluated
again (an alert already raised for a window is not raised twice: alerts/service.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from civicpulse.runtime.jobs import ACTIVE, Handler, Job, JobRunner, WorkspaceBusy, public_error
from civicpulse.store.base import Store
from civicpulse.store.jobs_sql import (
    ACTIVE_IN_WORKSPACE,
    CLAIM_JOB,
    DB_NOW,
    FINISH_JOB,
    FINISHED_SINCE,
    HEARTBEAT,
    LIVE_UPLOAD_PARAMS,
    QUEUED_OF_KIND,
    RELEASE_JOB,
    REQUEUE_EXPIRED,
)
from civicpulse.store.web_sql import INSERT_JOB

log = logging.getLogger("civicpulse.jobs")
LEASE_SECONDS = 60.0   # a job whose process has not renewed its lease for this long is taken to be orphaned
MAX_ATTEMPTS = 3       # tries of one job (each one cut off by its worker's death) before it is failed
POLL_SECONDS = 1.0     # how often an idle job thread looks for work submitted by other processes
UPLOAD_GRACE = 3600.0  # an upload this recent may be a request in flight in another web process: kept


def threads_from_env(default: int = 1) -> int:
    """CIVICPULSE_JOB_THREADS: job threads of each `serve` process on PostgreSQL (0: only workers run jobs)."""
    value = os.environ.get("CIVICPULSE_JOB_THREADS", "")
    return int(value) if value.isdigit() else default


def attempts_from_env() -> int:
    value = os.environ.get("CIVICPULSE_JOB_ATTEMPTS", "")
    return int(value) if value.isdigit() and int(value) > 0 else MAX_ATTEMPTS


class QueueRunner(JobRunner):
    """JobRunner's interface over the database queue; `threads` job threads in this process (may be 0)."""

    def __init__(self, store: Store, handlers: dict[str, Handler],
                 on_finish: Callable[[Job], None] = lambda job: None, uploads_dir: Path | None = None, *,
                 threads: int = 1, kinds: set[str] | None = None, lease: float = LEASE_SECONDS,
                 max_attempts: int | None = None, poll: float = POLL_SECONDS) -> None:
        super().__init__(store, handlers, on_finish, uploads_dir)
        self.kinds = sorted(kinds if kinds is not None else handlers)  # the kinds this process's threads claim
        self.lease, self.poll = lease, poll
        self.max_attempts = max_attempts or attempts_from_env()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads = [threading.Thread(target=self._claim_loop, name=f"civicpulse-jobs-{i}", daemon=True)
                         for i in range(max(0, threads))]
        self._keeper = threading.Thread(target=self._keep_loop, name="civicpulse-job-leases", daemon=True)
        self._watched_since: datetime | None = None
        self._seen: dict[str, datetime] = {}  # finished jobs already given to on_finish, and when they finished

    def start(self) -> None:
        """Queue again what dead processes left, delete their orphaned uploads, start the threads."""
        self.requeue_expired()
        if self.uploads_dir is not None:
            from civicpulse.runtime.recovery import clean_uploads

            live = {Path(p["uploaded"]) for (params,) in self.read_rows(LIVE_UPLOAD_PARAMS, [])
                    if (p := orjson.loads(params)).get("uploaded")}
            clean_uploads(self.uploads_dir, live, keep_younger_than=UPLOAD_GRACE)
        self._watched_since = self.read_rows(DB_NOW, [])[0][0]
        for thread in self._threads:
            thread.start()
        self._keeper.start()

    def submit(self, kind: str, workspace: str, user: str, **params: Any) -> Job:
        if kind not in self.handlers:
            raise ValueError(f"unknown job kind {kind!r}")
        if workspace in self._closing:
            raise WorkspaceBusy(f"workspace {workspace!r} is being deleted")
        job = Job(kind, workspace, user, params)
        with self._db_lock:
            self._db.execute(INSERT_JOB, job.row())  # unlike the in-process queue, a failure here is the caller's
        self._wake.set()
        return job

    def queued(self, kind: str, workspace: str) -> bool:
        return bool(self.read_rows(QUEUED_OF_KIND, [kind, workspace]))

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (current := self.find(job.id) or job).status in ACTIVE:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job.id} still {current.status}")
            time.sleep(0.1)
        return current

    def busy_job(self, workspace: str) -> tuple[str, str, str] | None:
        busy = self.read_rows(ACTIVE_IN_WORKSPACE, [workspace])  # any process's jobs, from the queue
        return tuple(busy[0]) if busy else None  # type: ignore[return-value]

    def stop(self, timeout: float = 30.0) -> None:
        """Claim nothing more; give the jobs in hand `timeout` seconds to finish, then hand them back to the
        queue (another process runs them again from the start)."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            unfinished = list(self.jobs.values())
        for job in unfinished:
            released = self.read_rows(RELEASE_JOB, [job.id, self.owner])
            log.warning("job %s (%s) %s at shutdown", job.id, job.kind,
                        "handed back to the queue" if released else "was no longer this process's")
        if self._keeper.is_alive():
            self._keeper.join(timeout)
        with self._db_lock:
            self._db.close()

    # the queue ---------------------------------------------------------------------------------------------
    def claim(self) -> Job | None:
        """The oldest queued job of a kind this process runs, now running here; None when there is none."""
        rows = self.read_rows(CLAIM_JOB, [self.owner, self.lease, self.kinds])
        if not rows:
            return None
        job = Job.from_row(rows[0][:-1])
        job.on_step = self._progress
        with self._lock:
            self.jobs[job.id] = job
        return job

    def heartbeat(self) -> set[str]:
        """Renew the leases of this process's jobs; answers the ids it still holds."""
        held = {row[0] for row in self.read_rows(HEARTBEAT, [self.lease, self.owner])}
        for job_id in set(self.jobs) - held:
            log.warning("job %s lost its lease: another process may run it again", job_id)
        return held

    def requeue_expired(self) -> list[Job]:
        """Jobs whose process stopped renewing their lease: queued again, or failed past `max_attempts`."""
        from civicpulse.runtime.recovery import drop_upload

        orphans = [Job.from_row(row[:-1]) for row in self.read_rows(REQUEUE_EXPIRED, [self.max_attempts] * 3)]
        for job in orphans:
            if job.status == "failed":
                drop_upload(job)  # raw platform data: not kept for a job that will not run again
                log.error("job %s (%s in %s) failed: its worker died during each of its attempts", job.id, job.kind,
                          job.workspace)
            else:
                log.warning("job %s (%s in %s) lost its worker: queued again", job.id, job.kind, job.workspace)
        if orphans:
            self._wake.set()
        return orphans

    def run(self, job: Job) -> Job:
        """Run a claimed job and record how it ended (only if this process still owns it)."""
        handle = self.store.fork()
        try:
            job.result = self.handlers[job.kind](handle, job)
            job.status = "done"
            handle.audit(job.user, job.workspace or None, f"job.{job.kind}", orjson.dumps(job.result).decode()[:2000])
        except Exception as exc:  # a job's failure is reported on the job, never kills the thread
            job.status, job.error = "failed", public_error(exc, job.params)
            log.error("job %s (%s) failed:\n%s", job.id, job.kind, traceback.format_exc())
        finally:
            handle.close()
        result = orjson.dumps(job.result, default=str).decode() if job.result else None
        try:
            finished = self.read_rows(FINISH_JOB, [job.status, job.phase, job.done, job.total, result, job.error,
                                                   job.id, self.owner])
            if finished:
                self._seen[job.id] = finished[0][0]  # reported below, not again by _watch_finished
            else:
                log.warning("job %s finished here after its lease ran out; the run that holds it now stands", job.id)
        except Exception:
            log.exception("could not record the end of job %s", job.id)  # its lease runs out: it runs again
        with self._lock:
            self.jobs.pop(job.id, None)
        self._saved_at.pop(job.id, None)
        self.on_finish(job)
        return job

    # threads -----------------------------------------------------------------------------------------------
    def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.claim()
            except Exception:  # the database is away for a moment: try again after the poll interval
                log.exception("claiming a job failed")
                job = None
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            self.run(job)

    def _keep_loop(self) -> None:
        """Renew leases and requeue orphans every quarter lease; look for jobs others finished every 2 polls."""
        every, upkeep_due = max(0.05, min(2 * self.poll, self.lease / 4)), 0.0
        while not self._stopping.wait(every):
            steps = [self._watch_finished]
            if time.monotonic() >= upkeep_due:
                upkeep_due = time.monotonic() + self.lease / 4
                steps = [self.heartbeat, self.requeue_expired, *steps]
            for step in steps:
                try:
                    step()
                except Exception:
                    log.exception("job queue upkeep (%s) failed", step.__name__)

    def _watch_finished(self) -> None:
        """Report jobs other processes finished to on_finish too (this process's caches of their workspaces)."""
        if self._watched_since is None:
            return
        since = self._watched_since - timedelta(seconds=5)  # a job finishing as we read is caught next time
        self._watched_since = self.read_rows(DB_NOW, [])[0][0]
        for row in self.read_rows(FINISHED_SINCE, [since]):
            job = Job.from_row(row)
            if job.id not in self._seen:
                self._seen[job.id] = row[-1]  # finished_at, as the database stamped it
                self.on_finish(job)
        self._seen = {job_id: at for job_id, at in self._seen.items() if at >= since}


def make_runner(store: Store, handlers: dict[str, Handler], on_finish: Callable[[Job], None] = lambda job: None,
                uploads_dir: Path | None = None) -> JobRunner:
    """The server's job runner: on PostgreSQL the shared queue (CIVICPULSE_JOB_THREADS job threads here), on
    DuckDB the in-process queue of the only writer."""
    from civicpulse.store.locks import shared_between_processes

    if shared_between_processes(store):
        return QueueRunner(store, handlers, on_finish, uploads_dir, threads=threads_from_env())
    return JobRunner(store, handlers, on_finish, uploads_dir)

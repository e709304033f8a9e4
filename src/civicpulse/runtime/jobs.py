"""Background jobs of the running server (shared by the web app and collection): imports, analysis, model
retraining, retention, then alert evaluation.

The server process owns the only writable DuckDB handle, so every write that arrives while it runs (browser
uploads, `civicpulse ingest/analyze` handed over by the CLI) becomes a job here. One worker thread runs the
jobs in order: writes never race each other, and readers keep answering from their own cursors meanwhile.

Jobs are recorded in the store's `jobs` table as they are submitted, start and finish, so a job can be looked up
after a restart. Jobs a dead process left queued or running are marked `interrupted` at the next start (see
`recovery.py`): what an import stored before the crash is kept and analyzed, its upload is deleted.

That is a DuckDB store's queue. A PostgreSQL store is shared by several processes, which take their jobs from
the `jobs` table itself (`job_queue.py`, a subclass of JobRunner; `make_runner` picks one or the other).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from civicpulse.store.base import Store
from civicpulse.store.web_sql import GET_JOB, INSERT_JOB, RECENT_JOBS, UPDATE_JOB, UPDATE_JOB_PROGRESS

log = logging.getLogger("civicpulse.jobs")
MAX_REJECTS_SHOWN = 200
SERVER_PATHS = frozenset({"paths", "uploaded", "rejects", "mapping", "file_mappings", "models_dir"})
ACTIVE = ("queued", "running")
PROGRESS_EVERY = 2.0  # seconds between progress writes to the store; the live figures are kept in memory
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"/:]+/)+([^\s'\"/:]+)")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_db(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp).astimezone(UTC).replace(tzinfo=None) if stamp else None


def _from_db(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds") if value else None


class WorkspaceBusy(RuntimeError):
    """A workspace being deleted takes no new job; one with a job in hand cannot be deleted yet."""


@dataclass
class Job:
    kind: str
    workspace: str  # "" for instance-wide jobs (the daily maintenance)
    user: str
    params: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = "queued"  # queued | running | done | failed | interrupted
    phase: str = ""
    done: int = 0
    total: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: str = field(default_factory=utc_now)
    started_at: str | None = None
    finished_at: str | None = None
    on_step: Callable[[Job], None] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "workspace": self.workspace, "user": self.user,
                "params": {k: v for k, v in self.params.items() if k not in SERVER_PATHS},  # private to the server
                "id": self.id, "status": self.status, "phase": self.phase, "done": self.done, "total": self.total,
                "result": self.result, "error": self.error, "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at}

    def step(self, phase: str, done: int = 0, total: int | None = None) -> None:
        self.phase, self.done, self.total = phase, done, total
        if self.on_step is not None:
            self.on_step(self)

    def row(self) -> list[Any]:
        """Values in web_sql.JOB_COLUMNS order."""
        return [self.id, self.workspace or None, self.kind, self.user, orjson.dumps(self.params, default=str).decode(),
                self.status, self.phase, self.done, self.total,
                orjson.dumps(self.result, default=str).decode() if self.result else None, self.error,
                _to_db(self.created_at), _to_db(self.started_at), _to_db(self.finished_at)]

    @classmethod
    def from_row(cls, row: tuple) -> Job:
        (job_id, workspace, kind, user, params, status, phase, done, total, result, error, created, started,
         finished) = row
        return cls(kind, workspace or "", user, orjson.loads(params), job_id, status, phase, done, total,
                   orjson.loads(result) if result else {}, error, _from_db(created) or "", _from_db(started),
                   _from_db(finished))


def public_error(exc: BaseException, params: dict[str, Any]) -> str:
    """The failure as the user may see it: server paths reduced to the file names the user knows."""
    return public_text(f"{type(exc).__name__}: {exc}", params)


def public_text(message: str, params: dict[str, Any]) -> str:
    """Any text bound for a user (a reject reason, a file's messages): uploaded files named as the user named
    them, any other absolute path reduced to its last part."""
    shown = dict(zip(params.get("paths") or [], params.get("names") or [], strict=False))
    for path, name in shown.items():
        message = message.replace(str(path), str(name))
    return _ABSOLUTE_PATH.sub(r"\1", message)


def without_private_paths(message: str, folders: list[Path]) -> str:
    """An error detail with any path inside the server's private folders (uploads, keys, rejects) reduced to its
    last part: whatever raised it, a response never tells where the server keeps its files."""
    for folder in folders:
        pattern = re.compile(re.escape(str(folder)) + r"(?:/[^\s'\"/:]+)*/([^\s'\"/:]+)")
        message = pattern.sub(r"\1", message).replace(str(folder), folder.name)
    return message


Handler = Callable[[Store, Job], dict[str, Any]]


class JobRunner:
    def __init__(self, store: Store, handlers: dict[str, Handler],
                 on_finish: Callable[[Job], None] = lambda job: None, uploads_dir: Path | None = None) -> None:
        self.store = store
        self.on_finish = on_finish
        self.handlers = handlers
        self.uploads_dir = uploads_dir
        self.jobs: dict[str, Job] = {}  # queued and running jobs of this process; finished ones are in the store
        self._lock = threading.Lock()  # guards `jobs` and `_closing`
        self._closing: set[str] = set()  # workspaces being deleted
        self._db = store.fork()  # the runner's own cursor for the jobs table (one thread at a time: _db_lock)
        self._db_lock = threading.Lock()
        self._saved_at: dict[str, float] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="civicpulse-jobs", daemon=True)

    def start(self) -> None:
        """Recover from a previous process, then start working (the app's lifespan does this; jobs submitted
        before then wait in the queue)."""
        from civicpulse.runtime.recovery import recover

        recover(self)
        self._thread.start()

    def submit(self, kind: str, workspace: str, user: str, **params: Any) -> Job:
        if kind not in self.handlers:
            raise ValueError(f"unknown job kind {kind!r}")
        job = Job(kind, workspace, user, params, on_step=self._progress)
        with self._lock:
            if workspace in self._closing:
                raise WorkspaceBusy(f"workspace {workspace!r} is being deleted")
            self.jobs[job.id] = job
        self.save(job, new=True)
        self._queue.put(job)
        return job

    def queued(self, kind: str, workspace: str) -> bool:
        """Whether a job of this kind waits for its turn in the workspace (so another one adds nothing)."""
        with self._lock:
            return any(j.kind == kind and j.workspace == workspace and j.status == "queued" for j in self.jobs.values())

    def get(self, workspace: str, job_id: str) -> Job | None:
        job = self.find(job_id)
        return job if job is not None and job.workspace == workspace else None

    def find(self, job_id: str) -> Job | None:
        """A job of this process (live progress) or, failing that, as the store recorded it."""
        if (job := self.jobs.get(job_id)) is not None:
            return job
        rows = self.read_rows(GET_JOB, [job_id])
        return Job.from_row(rows[0]) if rows else None

    def recent(self, workspace: str, limit: int = 20) -> list[Job]:
        recorded = [Job.from_row(r) for r in self.read_rows(RECENT_JOBS, [workspace, limit])]
        return [self.jobs.get(j.id, j) for j in recorded]

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until the job finishes (tests, the CLI hand-off)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while job.status in ACTIVE:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job.id} still {job.status}")
            time.sleep(0.05)
        return job

    def busy_job(self, workspace: str) -> tuple[str, str, str] | None:
        """(job id, kind, status) of a job queued or running in the workspace, if any."""
        busy = [j for j in self.jobs.values() if j.workspace == workspace]
        return (busy[0].id, busy[0].kind, busy[0].status) if busy else None

    @contextmanager
    def exclusive(self, workspace: str) -> Iterator[None]:
        """Hold off every job of a workspace while it is deleted; refuse while one is queued or running."""
        with self._lock:
            busy = self.busy_job(workspace)
            if busy:
                job_id, kind, status = busy
                raise WorkspaceBusy(f"job {job_id} ({kind}) is {status} in {workspace!r}: wait for it to finish")
            self._closing.add(workspace)
        try:
            yield
        finally:
            with self._lock:
                self._closing.discard(workspace)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job in hand (graceful shutdown); queued jobs are dropped and marked interrupted."""
        from civicpulse.runtime.recovery import drop_upload

        while True:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if pending is not None:
                pending.status, pending.finished_at = "interrupted", utc_now()
                pending.error = "the server stopped before this job ran" + (
                    "; the uploaded files were deleted: upload them again" if pending.params.get("uploaded") else "")
                drop_upload(pending)
                self._finished(pending)
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._db_lock:
            self._db.close()

    # the jobs table ------------------------------------------------------------------------------------------
    def save(self, job: Job, new: bool = False) -> None:
        """Record the job's state; a failure to record is logged, never raised into the job or the request."""
        try:
            with self._db_lock:
                if new:
                    self._db.execute(INSERT_JOB, job.row())
                else:
                    row = job.row()
                    self._db.execute(UPDATE_JOB, [job.status, job.phase, job.done, job.total, row[9], job.error,
                                                  row[12], row[13], job.id])
            self._saved_at[job.id] = time.monotonic()
        except Exception:
            log.exception("could not record job %s", job.id)

    def read_rows(self, sql: str, params: list[Any]) -> list[tuple]:
        with self._db_lock:
            return self._db.query(sql, params)

    def _progress(self, job: Job) -> None:
        if time.monotonic() - self._saved_at.get(job.id, 0.0) < PROGRESS_EVERY:
            return
        try:
            with self._db_lock:
                self._db.execute(UPDATE_JOB_PROGRESS, [job.phase, job.done, job.total, job.id])
            self._saved_at[job.id] = time.monotonic()
        except Exception:
            log.exception("could not record the progress of job %s", job.id)

    def _finished(self, job: Job) -> None:
        self.save(job)
        with self._lock:
            self.jobs.pop(job.id, None)
        self._saved_at.pop(job.id, None)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            job.status, job.started_at = "running", utc_now()
            self.save(job)
            handle = self.store.fork()
            try:
                job.result = self.handlers[job.kind](handle, job)
                job.status = "done"
                handle.audit(job.user, job.workspace or None, f"job.{job.kind}",
                             orjson.dumps(job.result).decode()[:2000])
            except Exception as exc:  # a job's failure is reported on the job, never kills the worker
                job.status, job.error = "failed", public_error(exc, job.params)
                log.error("job %s (%s) failed:\n%s", job.id, job.kind, traceback.format_exc())
            finally:
                job.finished_at = utc_now()
                handle.close()
                self._finished(job)
                self.on_finish(job)


def read_rejects(path: Path, limit: int = MAX_REJECTS_SHOWN) -> list[dict[str, Any]]:
    """The first rejected records of an import, as the CLI writes them (file, line, path, reason)."""
    if not path.is_file():
        return []
    out = []
    with path.open("rb") as fh:
        for line in fh:
            entry = orjson.loads(line)
            out.append({k: entry.get(k) for k in ("file", "line", "path", "severity", "reason")})
            if len(out) >= limit:
                break
    return out

"""Background jobs of the running server: imports, analysis, model retraining, then alert evaluation.

The server process owns the only writable DuckDB handle, so every write that arrives while it runs (browser
uploads, `civicpulse ingest/analyze` handed over by the CLI) becomes a job here. One worker thread runs the
jobs in order: writes never race each other, and readers keep answering from their own cursors meanwhile.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from civicpulse.store.duckdb_store import DuckDBStore

log = logging.getLogger("civicpulse.jobs")
MAX_REJECTS_SHOWN = 200
SERVER_PATHS = frozenset({"paths", "uploaded", "rejects", "mapping"})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    kind: str
    workspace: str
    user: str
    params: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: str = "queued"  # queued | running | done | failed
    phase: str = ""
    done: int = 0
    total: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: str = field(default_factory=_now)
    finished_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["params"] = {k: v for k, v in self.params.items() if k not in SERVER_PATHS}  # private to the server
        return out

    def step(self, phase: str, done: int = 0, total: int | None = None) -> None:
        self.phase, self.done, self.total = phase, done, total


Handler = Callable[[DuckDBStore, Job], dict[str, Any]]


class JobRunner:
    def __init__(self, store: DuckDBStore, handlers: dict[str, Handler],
                 on_finish: Callable[[Job], None] = lambda job: None) -> None:
        self.store = store
        self.on_finish = on_finish
        self.handlers = handlers
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="civicpulse-jobs", daemon=True)

    def start(self) -> None:
        """Start working (the app's lifespan does this; jobs submitted before then wait in the queue)."""
        self._thread.start()

    def submit(self, kind: str, workspace: str, user: str, **params: Any) -> Job:
        if kind not in self.handlers:
            raise ValueError(f"unknown job kind {kind!r}")
        job = Job(kind, workspace, user, params)
        self.jobs[job.id] = job
        self._queue.put(job)
        return job

    def get(self, workspace: str, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        return job if job is not None and job.workspace == workspace else None

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until the job finishes (tests, the CLI hand-off)."""
        deadline = None if timeout is None else datetime.now(UTC).timestamp() + timeout
        while job.status in ("queued", "running"):
            if deadline is not None and datetime.now(UTC).timestamp() > deadline:
                raise TimeoutError(f"job {job.id} still {job.status}")
            threading.Event().wait(0.05)
        return job

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job in hand (graceful shutdown); queued jobs are dropped and marked failed."""
        while True:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if pending is not None:
                pending.status, pending.error = "failed", "the server stopped before this job ran"
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            job.status = "running"
            handle = self.store.fork()
            try:
                job.result = self.handlers[job.kind](handle, job)
                job.status = "done"
                handle.audit(job.user, job.workspace, f"job.{job.kind}", orjson.dumps(job.result).decode()[:2000])
            except Exception as exc:  # a job's failure is reported on the job, never kills the worker
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
                log.error("job %s (%s) failed:\n%s", job.id, job.kind, traceback.format_exc())
            finally:
                job.finished_at = _now()
                handle.close()
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

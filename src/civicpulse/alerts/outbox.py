"""Alert deliveries off the evaluating thread: a bounded queue and one worker that records each outcome.

Evaluation runs inside import and analysis jobs and the scheduler; a receiver that stalls (each webhook attempt
may take up to its 10 s deadline, three attempts with backoff) must not hold them. So evaluation only enqueues,
and the event shows `pending` until the worker has delivered it. The queue is bounded: when it is full the new
delivery is recorded as failed at once (and logged) rather than memory growing without end. Deliveries still
queued when the server stops are recorded as failed; the event itself, the in-app notification, is never lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from civicpulse.alerts.delivery import deliver, failed
from civicpulse.alerts.models import AlertEvent, Rule
from civicpulse.notify.email import SmtpSettings
from civicpulse.store import alerts_sql as sql
from civicpulse.store.base import Store

log = logging.getLogger(__name__)
DEFAULT_CAPACITY = 200
JOIN_TIMEOUT_S = 25.0  # one webhook attempt (10 s) or one SMTP exchange (10 s timeouts), with room to spare


@dataclass
class DeliveryJob:
    rule: Rule
    event: AlertEvent
    secret: str | None
    smtp: SmtpSettings | None
    base_url: str = ""


def record(store: Store, event: AlertEvent, deliveries: dict[str, Any]) -> None:
    event.deliveries = deliveries
    store.execute(sql.SET_DELIVERIES, [json.dumps(deliveries), event.workspace, event.event_id])


class DeliveryQueue:
    """Owns a fork of `store` (the process's long-lived handle) for its worker; started on first use."""

    def __init__(self, store: Store, capacity: int = DEFAULT_CAPACITY) -> None:
        self._root = store
        self._queue: queue.Queue[DeliveryJob] = queue.Queue(maxsize=capacity)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: Any = None

    def submit(self, job: DeliveryJob) -> bool:
        """Queue a delivery; False (nothing queued) when the queue is full or stopped."""
        with self._lock:
            if self._stop.is_set():
                return False
            if self._thread is None:
                self._handle = self._root.fork()  # type: ignore[attr-defined]
                self._thread = threading.Thread(target=self._work, name="civicpulse-alert-delivery", daemon=True)
                self._thread.start()
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                return False
            self._unfinished += 1
        return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued delivery has been recorded (tests, orderly shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Give the worker `timeout` to finish, then record what is still queued as failed and release the handle.

        The delivery in the worker's hands makes no further attempt; its current one may take up to its deadline
        (webhook) or the SMTP timeout, which `stop` waits for so that the store is not closed under it."""
        self.wait_idle(timeout)
        self._stop.set()
        left: list[DeliveryJob] = []
        with contextlib.suppress(queue.Empty):
            while True:
                left.append(self._queue.get_nowait())
        if left:
            log.warning("server stopping: %d alert deliveries not attempted, recorded as failed", len(left))
            handle = self._root.fork()  # type: ignore[attr-defined]
            try:
                for job in left:
                    record(handle, job.event, failed(job.rule))
            finally:
                handle.close()
        with self._idle:
            self._unfinished -= len(left)
            self._idle.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("alert delivery worker still busy after %s s; its outcome may stay pending",
                            JOIN_TIMEOUT_S)
            elif self._handle is not None:
                self._handle.close()

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                self._deliver(job)
            finally:
                with self._idle:
                    self._unfinished -= 1
                    self._idle.notify_all()

    def _deliver(self, job: DeliveryJob) -> None:
        try:
            outcome = deliver(job.rule, job.event, job.secret, job.smtp, job.base_url, cancel=self._stop)
        except Exception:  # deliver() does not raise; a bug there must not kill the worker
            log.exception("alert %s: delivery crashed", job.event.event_id)
            outcome = failed(job.rule, "send_failed")
        try:
            record(self._handle, job.event, outcome)
        except Exception:
            log.exception("alert %s: delivery outcome could not be recorded", job.event.event_id)

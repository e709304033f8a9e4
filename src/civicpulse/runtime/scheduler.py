"""Periodic work of the server: scheduled email digests, a regular pass over alert rules and, once a day (first a
minute after start), the retention pass, handed to the job queue as a `maintenance` job so that it never races
an import.

Alert rules are also evaluated right after every import and analysis job; the periodic pass catches windows
that close with no new data (an hour's volume rule, say).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from civicpulse.store.base import Store
from civicpulse.store.locks import try_exclusive

if TYPE_CHECKING:
    from civicpulse.alerts.outbox import DeliveryQueue

log = logging.getLogger("civicpulse.scheduler")
DAY = 24 * 3600.0


class Scheduler:
    def __init__(self, store: Store, every: float = 60.0, keys_dir: Path | None = None,
                 deliveries: DeliveryQueue | None = None, daily: Callable[[], object] | None = None) -> None:
        self.store, self.every, self.daily = store, every, daily
        self.keys_dir, self.deliveries = keys_dir, deliveries
        self._daily_due = 0.0  # monotonic time of the next daily pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="civicpulse-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.tick()

    def tick(self) -> None:
        if self.daily is not None and time.monotonic() >= self._daily_due:
            self._daily_due = time.monotonic() + DAY
            try:
                self.daily()
            except Exception:
                log.exception("starting the daily retention pass failed")
        self._alerts_and_digests()

    def _alerts_and_digests(self) -> None:
        handle = self.store.fork()
        try:
            with try_exclusive(handle, "scheduler:alerts-and-digests") as mine:
                if mine:  # PostgreSQL with several servers or workers: one of them makes the pass at a time
                    self._pass(handle)
        finally:
            handle.close()

    def _pass(self, handle: Store) -> None:
        from civicpulse.alerts import AlertService
        from civicpulse.notify.email import SmtpSettings
        from civicpulse.reports.digests import DigestService

        smtp = SmtpSettings.from_env()
        for ws in handle.list_workspaces():
            try:
                AlertService(handle, smtp, keys_dir=self.keys_dir, deliveries=self.deliveries).evaluate(ws.name)
            except Exception:  # one workspace's broken rule must not stop the others
                log.exception("alert evaluation failed for %s", ws.name)
        if smtp is None:  # digests wait until an SMTP server is configured (CIVICPULSE_SMTP_HOST)
            return
        try:
            for line in DigestService(handle, smtp).run_due():
                log.info("digest %s", line)
        except Exception:
            log.exception("sending digests failed")

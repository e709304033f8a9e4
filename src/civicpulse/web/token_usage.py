"""When each API token was last used, recorded off the request path.

A request authenticated by a token only notes the time in memory; a background thread writes the notes at most
once per `interval` seconds. Updating the token's row on every request made concurrent requests with one token
conflict in DuckDB ("Conflict on update") and fail; here a conflict only postpones the write to the next round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from civicpulse.accounts import Accounts
from civicpulse.store.base import Store

log = logging.getLogger("civicpulse.web")
DEFAULT_INTERVAL = 60.0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class TokenUsage:
    def __init__(self, open_store: Callable[[], AbstractContextManager[Store]],
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.open_store = open_store
        self.interval = interval
        self._pending: dict[str, datetime] = {}  # token hash -> last use not yet written; one entry per live token
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def seen(self, digest: str) -> None:
        """Called on every token-authenticated request: memory only, cannot fail the request."""
        with self._lock:
            self._pending[digest] = _now()

    def pending(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> int:
        """Write the noted times; returns how many were written. Conflicting writes stay noted for next time."""
        with self._lock:
            batch, self._pending = self._pending, {}
        written, failed = 0, {}
        try:
            with self.open_store() as store:
                accounts = Accounts(store)
                for digest, when in batch.items():
                    try:
                        accounts.record_token_use(digest, when)
                        written += 1
                    except store.conflict_errors:
                        failed[digest] = when
        except Exception:  # the store is closing or broken: keep the notes, never kill the thread
            log.warning("could not record API token use; will retry", exc_info=True)
            failed = batch  # rewriting a time already written is harmless (the UPDATE keeps the newer one)
        with self._lock:
            for digest, when in failed.items():  # a newer note taken meanwhile wins
                self._pending.setdefault(digest, when)
        return written

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="token-usage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left (the store must still be open)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

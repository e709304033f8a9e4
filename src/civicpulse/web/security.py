"""Browser sessions with CSRF tokens, and the failed-login limiter.

Sessions are server-side rows keyed by a hash of a random id (the cookie), so logout and password changes end
them for real. Each session has its own CSRF token: pages embed it, forms post it back, scripts send it in the
X-CSRF-Token header; API calls with a bearer token carry no cookie and need none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from civicpulse.store.base import Store

SESSION_COOKIE = "cp_session"
SESSION_LIFETIME = timedelta(hours=12)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    username: str
    csrf_token: str


class Sessions:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, username: str) -> tuple[str, Session]:
        """A new session; returns the cookie value (shown once) and the session."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now()
        self.store.execute("DELETE FROM web_sessions WHERE expires_at < ?", [now])
        self.store.execute("INSERT INTO web_sessions (session_hash, username, csrf_token, created_at, expires_at) "
                           "VALUES (?, ?, ?, ?, ?)", [_hash(session_id), username, csrf, now, now + SESSION_LIFETIME])
        return session_id, Session(username, csrf)

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        rows = self.store.query("SELECT username, csrf_token FROM web_sessions WHERE session_hash = ? "
                                "AND expires_at > ?", [_hash(session_id), _now()])
        return Session(rows[0][0], rows[0][1]) if rows else None

    def end(self, session_id: str) -> None:
        self.store.execute("DELETE FROM web_sessions WHERE session_hash = ?", [_hash(session_id)])

    def end_all(self, username: str, keep: str | None = None) -> None:
        """Sign the user out everywhere (after a password change), except the session that changed it."""
        self.store.execute("DELETE FROM web_sessions WHERE username = ? AND session_hash <> ?",
                           [username, _hash(keep) if keep else ""])


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")


class LoginLimiter:
    """Failed logins per user name and per client address, over a sliding window.

    After `per_user` failures for a name (or `per_client` from an address) within `window` seconds, further
    attempts are refused (HTTP 429) until the oldest failure leaves the window; a success clears the user's count.
    Kept in memory: one server process owns the store.
    """

    def __init__(self, per_user: int = 5, per_client: int = 20, window: float = 900.0, clock=time.monotonic) -> None:
        # An office shares one address, so the address gets a larger allowance than a single account.
        self.limits = {"u": per_user, "c": per_client}
        self.window, self.clock = window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        q = self._failures[key]
        while q and self.clock() - q[0] > self.window:
            q.popleft()
        return q

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        with self._lock:
            waits = [self.window - (self.clock() - q[0]) for key in (f"u:{username}", f"c:{client}")
                     if len(q := self._recent(key)) >= self.limits[key[0]]]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, username: str, client: str) -> None:
        with self._lock:
            for key in (f"u:{username}", f"c:{client}"):
                self._recent(key).append(self.clock())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{username}", None)

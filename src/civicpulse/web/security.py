"""Browser sessions with CSRF tokens, and where a sign-in may send the browser next.

Sessions are server-side rows keyed by a hash of a random id (the cookie), so logout and password changes end
them for real. Each session has its own CSRF token: pages embed it, forms post it back, scripts send it in the
X-CSRF-Token header; API calls with a bearer token carry no cookie and need none.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

from civicpulse.store.base import Store

SESSION_COOKIE = "cp_session"
SESSION_LIFETIME = timedelta(hours=12)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def session_hash(session_id: str) -> str:
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
        try:  # tidying up expired sessions is best effort: two sign-ins at once may both try the same rows
            self.store.execute("DELETE FROM web_sessions WHERE expires_at < ?", [now])
        except self.store.conflict_errors:
            logging.getLogger("civicpulse.web").debug("expired sessions left for the next sign-in")
        self.store.execute("INSERT INTO web_sessions (session_hash, username, csrf_token, created_at, expires_at) "
                           "VALUES (?, ?, ?, ?, ?)",
                           [session_hash(session_id), username, csrf, now, now + SESSION_LIFETIME])
        return session_id, Session(username, csrf)

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        rows = self.store.query("SELECT username, csrf_token FROM web_sessions WHERE session_hash = ? "
                                "AND expires_at > ?", [session_hash(session_id), _now()])
        return Session(rows[0][0], rows[0][1]) if rows else None

    def end(self, session_id: str) -> None:
        self.store.execute("DELETE FROM web_sessions WHERE session_hash = ?", [session_hash(session_id)])


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")


def safe_next(value: str | None) -> str:
    """Where to send the browser after signing in: a path on this site, otherwise "/".

    Browsers read "//host", "/\\host" and "/<tab>/host" as other origins, and a proxy or framework may decode
    the value once more, so the value is checked as given and fully percent-decoded: it must start with one
    "/" (not "//" or "/\\"), contain no backslash, whitespace or control character, and parse without a scheme
    or host.
    """
    if not value or len(value) > 2000:
        return "/"
    forms = [value]
    for _ in range(3):  # decode until stable (double encoding), a few rounds at most
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    for form in forms:
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return "/"
        if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in form):
            return "/"
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return "/"
    return value

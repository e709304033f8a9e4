"""Tables and portable SQL for the web app: sessions, label corrections and background jobs."""

from __future__ import annotations

WEB_DDL = [
    # Only a hash of the session id is stored, like API tokens: a copied database does not hand out live sessions.
    "CREATE TABLE IF NOT EXISTS web_sessions (session_hash TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "csrf_token TEXT NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS label_corrections (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, task TEXT NOT NULL, label TEXT NOT NULL, username TEXT NOT NULL, "
    "corrected_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, platform, post_id, task))",
]

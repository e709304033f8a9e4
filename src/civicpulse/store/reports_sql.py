"""Tables and portable SQL for reports (DuckDB and PostgreSQL alike)."""

from __future__ import annotations

REPORTS_DDL: list[str] = [
    "CREATE TABLE IF NOT EXISTS digests (workspace TEXT NOT NULL, digest_id TEXT NOT NULL, name TEXT NOT NULL, "
    "query_id TEXT, frequency TEXT NOT NULL, recipients TEXT NOT NULL, format TEXT NOT NULL, "
    "language TEXT NOT NULL, created_by TEXT NOT NULL, created_at TIMESTAMP NOT NULL, last_sent_at TIMESTAMP, "
    "PRIMARY KEY (workspace, digest_id))",
]

DIGEST_COLUMNS = ("workspace", "digest_id", "name", "query_id", "frequency", "recipients", "format", "language",
                  "created_by", "created_at", "last_sent_at")
_SELECT = f"SELECT {', '.join(DIGEST_COLUMNS)} FROM digests"

INSERT_DIGEST = f"INSERT INTO digests ({', '.join(DIGEST_COLUMNS)}) VALUES ({', '.join('?' * len(DIGEST_COLUMNS))})"
SELECT_DIGESTS = f"{_SELECT} WHERE workspace = ? ORDER BY created_at, digest_id"
SELECT_DIGEST = f"{_SELECT} WHERE workspace = ? AND digest_id = ?"
DELETE_DIGEST = "DELETE FROM digests WHERE workspace = ? AND digest_id = ?"
MARK_SENT = "UPDATE digests SET last_sent_at = ? WHERE workspace = ? AND digest_id = ?"

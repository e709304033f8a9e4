"""Tables and portable SQL for live-collection sources, their cursors and their runs (DuckDB and PostgreSQL alike).

`credentials` holds Fernet ciphertext only (collect/credentials.py); the key is outside the database.
A cursor row is written strictly after the posts of its page are committed (collect/service.py).
"""

from __future__ import annotations

COLLECT_DDL = [
    "CREATE TABLE IF NOT EXISTS collect_sources (source_id TEXT PRIMARY KEY, workspace TEXT NOT NULL, "
    "platform TEXT NOT NULL, target TEXT NOT NULL, api_base TEXT, every_seconds BIGINT NOT NULL, "
    "paused BOOLEAN NOT NULL DEFAULT FALSE, credentials TEXT, credential_label TEXT, created_by TEXT, "
    "created_at TIMESTAMP NOT NULL, not_before TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS collect_cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS collect_runs (run_id TEXT PRIMARY KEY, source_id TEXT NOT NULL, "
    "started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status TEXT NOT NULL, pages BIGINT, fetched BIGINT, "
    "stored BIGINT, updated BIGINT, rejected BIGINT, error TEXT, quota_left TEXT)",
]

SOURCE_COLUMNS = ("source_id", "workspace", "platform", "target", "api_base", "every_seconds", "paused",
                  "credential_label", "created_by", "created_at", "not_before")
INSERT_SOURCE = (f"INSERT INTO collect_sources ({', '.join(SOURCE_COLUMNS)}, credentials) "
                 f"VALUES ({', '.join('?' * (len(SOURCE_COLUMNS) + 1))})")
SELECT_SOURCES = f"SELECT {', '.join(SOURCE_COLUMNS)} FROM collect_sources"
GET_SOURCE = SELECT_SOURCES + " WHERE workspace = ? AND source_id = ?"
LIST_SOURCES = SELECT_SOURCES + " WHERE workspace = ? ORDER BY created_at, source_id"
ALL_SOURCES = SELECT_SOURCES + " ORDER BY workspace, created_at, source_id"
SOURCE_CREDENTIALS = "SELECT credentials FROM collect_sources WHERE source_id = ?"
SET_PAUSED = "UPDATE collect_sources SET paused = ? WHERE workspace = ? AND source_id = ?"
SET_NOT_BEFORE = "UPDATE collect_sources SET not_before = ? WHERE source_id = ?"
DELETE_SOURCE = [
    "DELETE FROM collect_hours WHERE source_id = ?",
    "DELETE FROM collect_runs WHERE source_id = ?",
    "DELETE FROM collect_cursors WHERE source_id = ?",
    "DELETE FROM collect_sources WHERE source_id = ?",
]

GET_CURSOR = "SELECT cursor FROM collect_cursors WHERE source_id = ?"
SAVE_CURSOR = ("INSERT INTO collect_cursors (source_id, cursor, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (source_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at")

RUN_COLUMNS = ("run_id", "source_id", "started_at", "finished_at", "status", "pages", "fetched", "stored",
               "updated", "rejected", "error", "quota_left")
START_RUN = "INSERT INTO collect_runs (run_id, source_id, started_at, status) VALUES (?, ?, ?, 'running')"
RUN_PROGRESS = ("UPDATE collect_runs SET pages = ?, fetched = ?, stored = ?, updated = ?, rejected = ? "
                "WHERE run_id = ? AND status = 'running'")
FINISH_RUN = ("UPDATE collect_runs SET finished_at = ?, status = ?, pages = ?, fetched = ?, stored = ?, updated = ?, "
              "rejected = ?, error = ?, quota_left = ? WHERE run_id = ?")
LAST_RUN = (f"SELECT {', '.join(RUN_COLUMNS)} FROM collect_runs WHERE source_id = ? "
            "ORDER BY started_at DESC, run_id DESC LIMIT 1")

# Daily quota ledgers (YouTube: units per API project per Pacific day). `ledger` names the key by a hash, never
# the key itself.
COLLECT_QUOTA_DDL = ("CREATE TABLE IF NOT EXISTS collect_quota (ledger TEXT NOT NULL, day TEXT NOT NULL, "
                     "units BIGINT NOT NULL, PRIMARY KEY (ledger, day))")
COLLECT_DDL.append(COLLECT_QUOTA_DDL)
QUOTA_USED = "SELECT units FROM collect_quota WHERE ledger = ? AND day = ?"
QUOTA_CHARGE = ("INSERT INTO collect_quota (ledger, day, units) VALUES (?, ?, ?) ON CONFLICT (ledger, day) "
                "DO UPDATE SET units = collect_quota.units + excluded.units")
QUOTA_EXHAUST = ("INSERT INTO collect_quota (ledger, day, units) VALUES (?, ?, ?) ON CONFLICT (ledger, day) "
                 "DO UPDATE SET units = greatest(collect_quota.units, excluded.units)")

# Server runtime (runtime/collection.py) and the sources API. An edit changes what a source collects from; its
# credentials are replaced only when new ones are given (SET_CREDENTIALS).
UPDATE_SOURCE = ("UPDATE collect_sources SET target = ?, api_base = ?, every_seconds = ?, not_before = NULL "
                 "WHERE workspace = ? AND source_id = ?")
SET_CREDENTIALS = ("UPDATE collect_sources SET credentials = ?, credential_label = ? "
                   "WHERE workspace = ? AND source_id = ?")
RECENT_RUN_STATUSES = ("SELECT status FROM collect_runs WHERE source_id = ? AND status <> 'running' "
                       "ORDER BY started_at DESC, run_id DESC LIMIT ?")
# A run left 'running' by a server that died: closed at the next start so health does not show it as live.
CLOSE_STALE_RUNS = ("UPDATE collect_runs SET status = 'interrupted', finished_at = ?, "
                    "error = 'the server stopped during this run' WHERE status = 'running'")

# Coverage: posts fetched and stored per source and hour of collection (UTC), one upsert per stored page.
COLLECT_DDL.append("CREATE TABLE IF NOT EXISTS collect_hours (source_id TEXT NOT NULL, hour TIMESTAMP NOT NULL, "
                   "fetched BIGINT NOT NULL, stored BIGINT NOT NULL, PRIMARY KEY (source_id, hour))")
ADD_HOUR = ("INSERT INTO collect_hours (source_id, hour, fetched, stored) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source_id, hour) DO UPDATE SET fetched = collect_hours.fetched + excluded.fetched, "
            "stored = collect_hours.stored + excluded.stored")
HOURS_SINCE = ("SELECT h.source_id, h.hour, h.fetched, h.stored FROM collect_hours h JOIN collect_sources s "
               "ON s.source_id = h.source_id WHERE s.workspace = ? AND h.hour >= ? ORDER BY h.hour, h.source_id")
# PostgreSQL, several processes: one source's run left 'running' by a process that is gone (runtime/collection.py).
CLOSE_STALE_RUNS_OF_SOURCE = ("UPDATE collect_runs SET status = 'interrupted', finished_at = ?, "
                              "error = 'the server stopped during this run' WHERE status = 'running' "
                              "AND source_id = ?")

"""Portable SQL for retention and deletion: expiring old posts, purging the audit log, instance settings.

A post expires by its created time (its first-seen time when the platform gave none). Tombstones of platform
deletions stay: they carry no content and keep a later copy of a deleted post from coming back.
"""

from __future__ import annotations

from civicpulse.store.analysis_sql import PER_POST_TABLES

_EXPIRED = "NOT {a}deleted AND COALESCE({a}created_at, {a}first_seen_at) < ?"

# Parameters of each statement: workspace, cut-off. Derived rows go first, while their posts still exist.
EXPIRE_POSTS: dict[str, str] = {
    **{t: (f"DELETE FROM {t} WHERE workspace = ? AND EXISTS (SELECT 1 FROM posts p WHERE p.workspace = "
           f"{t}.workspace AND p.platform = {t}.platform AND p.post_id = {t}.post_id AND "
           f"{_EXPIRED.format(a='p.')})") for t in (*PER_POST_TABLES, "label_corrections")},
    "posts": f"DELETE FROM posts WHERE workspace = ? AND {_EXPIRED.format(a='')}",
}

PURGE_AUDIT = "DELETE FROM audit_log WHERE logged_at < ?"

GET_META = "SELECT value FROM meta WHERE key = ?"
PUT_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
DELETE_META = "DELETE FROM meta WHERE key = ?"

# Every base table of the store with a `workspace` column, read from the catalogue so that a table added later
# is covered by workspace deletion without anyone remembering to list it.
WORKSPACE_TABLES = ("SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
                    "ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema "
                    "AND t.table_name = c.table_name WHERE c.column_name = 'workspace' "
                    "AND t.table_type = 'BASE TABLE' AND c.table_catalog = current_database() "
                    "AND c.table_schema = current_schema() ORDER BY c.table_name")
DELETE_WORKSPACE_ROW = "DELETE FROM workspaces WHERE name = ?"

# Rows keyed by one of a workspace's own ids rather than by the workspace (a collection source's cursor and run
# history): deleted first, while those ids can still be found. Each takes the workspace as its one parameter.
_OF_WORKSPACE_SOURCES = "source_id IN (SELECT source_id FROM collect_sources WHERE workspace = ?)"
DELETE_DEPENDENT_ROWS: tuple[tuple[str, str], ...] = (
    ("collect_runs", f"DELETE FROM collect_runs WHERE {_OF_WORKSPACE_SOURCES}"),
    ("collect_cursors", f"DELETE FROM collect_cursors WHERE {_OF_WORKSPACE_SOURCES}"),
    ("collect_hours", f"DELETE FROM collect_hours WHERE {_OF_WORKSPACE_SOURCES}"),
)


def delete_rows_sql(table: str) -> str:
    """`table` comes from WORKSPACE_TABLES (the catalogue), never from a caller."""
    return f'DELETE FROM "{table}" WHERE workspace = ?'

WORKSPACE_SETTINGS = "SELECT settings FROM workspaces WHERE name = ?"
PUT_WORKSPACE_SETTINGS = "UPDATE workspaces SET settings = ? WHERE name = ?"
JOB_RESULTS = "SELECT result FROM jobs WHERE workspace = ? AND result IS NOT NULL"
COUNT_FINISHED_JOBS = ("SELECT count(*) FROM jobs WHERE status NOT IN ('queued', 'running') "
                       "AND COALESCE(finished_at, created_at) < ?")

"""Tables and portable SQL for saved listening queries (DuckDB and PostgreSQL alike)."""

from __future__ import annotations

QUERIES_DDL: list[str] = [
    "CREATE TABLE IF NOT EXISTS saved_queries (workspace TEXT NOT NULL, query_id TEXT NOT NULL, name TEXT NOT NULL, "
    "query TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', created_by TEXT NOT NULL, "
    "created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, query_id))",
]

_COLUMNS = "workspace, query_id, name, query, description, created_by, created_at, updated_at"
INSERT_QUERY = f"INSERT INTO saved_queries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
GET_QUERY = f"SELECT {_COLUMNS} FROM saved_queries WHERE workspace = ? AND query_id = ?"
LIST_QUERIES = f"SELECT {_COLUMNS} FROM saved_queries WHERE workspace = ? ORDER BY lower(name), query_id"
QUERY_IDS = "SELECT query_id FROM saved_queries WHERE workspace = ? AND query_id LIKE ?"
UPDATE_QUERY = ("UPDATE saved_queries SET name = ?, query = ?, description = ?, updated_at = ? "
                "WHERE workspace = ? AND query_id = ?")
DELETE_QUERY = "DELETE FROM saved_queries WHERE workspace = ? AND query_id = ?"

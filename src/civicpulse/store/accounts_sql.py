"""Tables and portable SQL for users, workspace memberships and API tokens (DuckDB and PostgreSQL alike)."""

from __future__ import annotations

ACCOUNTS_DDL = [
    "CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
    "is_admin BOOLEAN NOT NULL DEFAULT FALSE, disabled BOOLEAN NOT NULL DEFAULT FALSE, "
    "created_at TIMESTAMP NOT NULL, password_changed_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS memberships (workspace TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL, "
    "granted_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, username))",
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, name TEXT NOT NULL, "
    "created_at TIMESTAMP NOT NULL, last_used_at TIMESTAMP, revoked BOOLEAN NOT NULL DEFAULT FALSE)",
]

INSERT_USER = ("INSERT INTO users (username, password_hash, is_admin, disabled, created_at, password_changed_at) "
               "VALUES (?, ?, ?, FALSE, ?, ?)")
GET_USER = "SELECT username, password_hash, is_admin, disabled FROM users WHERE username = ?"
LIST_USERS = "SELECT username, is_admin, disabled, created_at FROM users ORDER BY username"
SET_PASSWORD = "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE username = ?"
REVOKE_USER_TOKENS = "UPDATE api_tokens SET revoked = TRUE WHERE username = ?"
UPSERT_MEMBERSHIP = ("INSERT INTO memberships (workspace, username, role, granted_at) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (workspace, username) DO UPDATE SET role = excluded.role, "
                     "granted_at = excluded.granted_at")
DELETE_MEMBERSHIP = "DELETE FROM memberships WHERE workspace = ? AND username = ?"
GET_ROLE = "SELECT role FROM memberships WHERE workspace = ? AND username = ?"
USER_MEMBERSHIPS = "SELECT workspace, role FROM memberships WHERE username = ? ORDER BY workspace"
WORKSPACE_MEMBERS = "SELECT username, role FROM memberships WHERE workspace = ? ORDER BY username"
INSERT_TOKEN = "INSERT INTO api_tokens (token_hash, username, name, created_at, revoked) VALUES (?, ?, ?, ?, FALSE)"
GET_TOKEN = ("SELECT t.username FROM api_tokens t JOIN users u ON u.username = t.username "
             "WHERE t.token_hash = ? AND NOT t.revoked AND NOT u.disabled")
TOUCH_TOKEN = "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?"

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
# Written in batches off the request path (web/token_usage.py); an older time never overwrites a newer one.
TOUCH_TOKEN = ("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ? "
               "AND (last_used_at IS NULL OR last_used_at < ?)")
# A token's public id is the start of its hash: enough to tell a user's tokens apart, useless to authenticate.
TOKEN_ID_LENGTH = 12
LIST_TOKENS = ("SELECT token_hash, name, created_at, last_used_at FROM api_tokens WHERE username = ? AND NOT revoked "
               "ORDER BY created_at, token_hash")
REVOKE_TOKEN = "UPDATE api_tokens SET revoked = TRUE WHERE username = ? AND NOT revoked AND starts_with(token_hash, ?)"
COUNT_TOKENS = "SELECT count(*) FROM api_tokens WHERE username = ? AND NOT revoked AND starts_with(token_hash, ?)"
SET_DISABLED = "UPDATE users SET disabled = ? WHERE username = ?"
SET_ADMIN = "UPDATE users SET is_admin = ? WHERE username = ?"
END_SESSIONS = "DELETE FROM web_sessions WHERE username = ? AND session_hash <> ?"
COUNT_OWNERS = "SELECT count(*) FROM memberships WHERE workspace = ? AND role = 'owner'"
SOLE_OWNERSHIPS = ("SELECT m.workspace FROM memberships m WHERE m.username = ? AND m.role = 'owner' AND NOT EXISTS "
                   "(SELECT 1 FROM memberships o WHERE o.workspace = m.workspace AND o.role = 'owner' "
                   "AND o.username <> m.username) ORDER BY m.workspace")
COUNT_ACTIVE_ADMINS = "SELECT count(*) FROM users WHERE is_admin AND NOT disabled AND username <> ?"
# Users an owner may add by name: those already in a workspace the owner owns (no instance-wide lookup).
SHARES_OWNED_WORKSPACE = ("SELECT 1 FROM memberships t JOIN memberships o ON o.workspace = t.workspace "
                          "WHERE t.username = ? AND o.username = ? AND o.role = 'owner' LIMIT 1")
# Deleting a user removes every row that lets the account act; audit rows and authored records keep the name.
DELETE_USER = [
    "DELETE FROM web_sessions WHERE username = ?",
    "DELETE FROM api_tokens WHERE username = ?",
    "DELETE FROM memberships WHERE username = ?",
    "DELETE FROM users WHERE username = ?",
]
# A deleted user's name is retired while the audit log remembers the deletion, so old rows never name a newcomer.
NAME_RETIRED = "SELECT 1 FROM audit_log WHERE action = 'users.delete' AND detail = ? LIMIT 1"

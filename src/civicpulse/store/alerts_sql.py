"""Tables and portable SQL for alert rules and the events they fire (DuckDB and PostgreSQL alike).

`window` is a reserved word in both databases, so the rule's window column is `time_window`. The unique
(workspace, fingerprint) constraint is the dedup: one event per rule, window (and spike key), however often
evaluation runs; `INSERT ... ON CONFLICT DO NOTHING` makes concurrent evaluations race-safe.
"""

from __future__ import annotations

ALERTS_DDL = [
    "CREATE TABLE IF NOT EXISTS alert_rules (workspace TEXT NOT NULL, rule_id TEXT NOT NULL, name TEXT NOT NULL, "
    "metric TEXT NOT NULL, query_id TEXT, topic TEXT, place TEXT, threshold DOUBLE NOT NULL, "
    "time_window TEXT NOT NULL, email_to TEXT NOT NULL DEFAULT '', webhook_url TEXT, webhook_secret TEXT, "
    "enabled BOOLEAN NOT NULL DEFAULT TRUE, created_by TEXT, created_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (workspace, rule_id))",
    "CREATE TABLE IF NOT EXISTS alert_events (workspace TEXT NOT NULL, event_id TEXT NOT NULL, "
    "rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL, window_start TIMESTAMP NOT NULL, fired_at TIMESTAMP NOT NULL, "
    "value DOUBLE, threshold DOUBLE, message TEXT NOT NULL, detail TEXT NOT NULL, seen BOOLEAN NOT NULL DEFAULT FALSE, "
    "deliveries TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (workspace, event_id), UNIQUE (workspace, fingerprint))",
]

RULE_COLUMNS = ("rule_id", "name", "metric", "query_id", "topic", "place", "threshold", "time_window", "email_to",
                "webhook_url", "enabled", "created_by", "created_at")
INSERT_RULE = (f"INSERT INTO alert_rules (workspace, {', '.join(RULE_COLUMNS)}, webhook_secret) "
               f"VALUES (?, {', '.join('?' * len(RULE_COLUMNS))}, ?)")
SELECT_RULES = f"SELECT {', '.join(RULE_COLUMNS)} FROM alert_rules WHERE workspace = ?"
GET_RULE = SELECT_RULES + " AND rule_id = ?"
LIST_RULES = SELECT_RULES + " ORDER BY created_at, rule_id"
ENABLED_RULES = SELECT_RULES + " AND enabled ORDER BY created_at, rule_id"
RULE_SECRET = "SELECT webhook_secret FROM alert_rules WHERE workspace = ? AND rule_id = ?"
DELETE_RULE = "DELETE FROM alert_rules WHERE workspace = ? AND rule_id = ?"
UPDATE_RULE = ("UPDATE alert_rules SET name = ?, metric = ?, query_id = ?, topic = ?, place = ?, threshold = ?, "
               "time_window = ?, email_to = ?, webhook_url = ?, enabled = ?, webhook_secret = ? "
               "WHERE workspace = ? AND rule_id = ?")
SET_ENABLED = "UPDATE alert_rules SET enabled = ? WHERE workspace = ? AND rule_id = ?"

EVENT_COLUMNS = ("event_id", "rule_id", "fingerprint", "window_start", "fired_at", "value", "threshold", "message",
                 "detail", "seen", "deliveries")
INSERT_EVENT = (f"INSERT INTO alert_events (workspace, {', '.join(EVENT_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' * len(EVENT_COLUMNS))}) ON CONFLICT DO NOTHING")
EVENT_BY_FINGERPRINT = "SELECT event_id FROM alert_events WHERE workspace = ? AND fingerprint = ?"
SELECT_EVENTS = f"SELECT {', '.join(EVENT_COLUMNS)} FROM alert_events WHERE workspace = ?"
SET_DELIVERIES = "UPDATE alert_events SET deliveries = ? WHERE workspace = ? AND event_id = ?"
UNSEEN_COUNT = "SELECT count(*) FROM alert_events WHERE workspace = ? AND NOT seen"


def mark_seen_sql(n: int) -> str:
    return f"UPDATE alert_events SET seen = TRUE WHERE workspace = ? AND event_id IN ({', '.join('?' * n)})"

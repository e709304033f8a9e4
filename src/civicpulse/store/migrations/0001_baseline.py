"""Baseline: the layout of every store when schema migrations began (`meta.schema_version` 1).

A frozen copy of what `store.base.ddl()` created then: never edit it (an applied migration's checksum is checked
on every open); change the layout with a new numbered migration instead. A store made before migrations, whose
tables are all here, is recorded as at this baseline without running it (see `adopt_legacy` in the runner).
"""

STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS workspaces (name TEXT PRIMARY KEY, created_at TIMESTAMP NOT NULL, "
    "keep_raw BOOLEAN NOT NULL DEFAULT FALSE, settings TEXT)",
    "CREATE TABLE IF NOT EXISTS posts (workspace TEXT, platform TEXT, post_id TEXT, parent_id TEXT, "
    "thread_id TEXT, kind TEXT, author_key TEXT, text TEXT, language TEXT, created_at TIMESTAMP, "
    "collected_at TIMESTAMP, url TEXT, place_name TEXT, place_country TEXT, place_lon DOUBLE, place_lat DOUBLE, "
    "likes BIGINT, replies BIGINT, shares BIGINT, quotes BIGINT, views BIGINT, source_format TEXT, "
    "edited BOOLEAN, deleted BOOLEAN, content_hash TEXT, raw TEXT, first_seen_at TIMESTAMP, "
    "updated_at TIMESTAMP, PRIMARY KEY (workspace, platform, post_id))",
    "CREATE TABLE IF NOT EXISTS ingest_runs (run_id TEXT, workspace TEXT, source TEXT, format TEXT, "
    "started_at TIMESTAMP, finished_at TIMESTAMP, read_count BIGINT, stored BIGINT, updated BIGINT, "
    "unchanged BIGINT, deleted BIGINT, rejected BIGINT, warnings BIGINT)",
    "CREATE TABLE IF NOT EXISTS audit_log (logged_at TIMESTAMP NOT NULL, actor TEXT, workspace TEXT, "
    "action TEXT NOT NULL, detail TEXT)",
    "CREATE TABLE IF NOT EXISTS post_analysis (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, content_hash TEXT, model TEXT NOT NULL, analyzed_at TIMESTAMP NOT NULL, "
    "language TEXT, language_confidence DOUBLE, sentiment TEXT, sentiment_score DOUBLE, "
    "sentiment_confidence DOUBLE, emotion TEXT, emotion_scores TEXT, topic_scores TEXT, keywords TEXT, "
    "hashtags TEXT, why TEXT, discovered_topic BIGINT, created_at TIMESTAMP, author_id BIGINT, post_key BIGINT, "
    "folded_text TEXT, PRIMARY KEY (workspace, platform, post_id))",
    "CREATE TABLE IF NOT EXISTS post_topics (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, topic TEXT NOT NULL, score DOUBLE, post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS post_places (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, country TEXT, lat DOUBLE, lon DOUBLE, code_2025 TEXT, "
    "name_2025 TEXT, province_2025 TEXT, code_legacy TEXT, name_legacy TEXT, province_legacy TEXT, matched TEXT, "
    "post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS post_terms (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, term TEXT NOT NULL, kind TEXT NOT NULL, post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS taxonomies (workspace TEXT PRIMARY KEY, taxonomy TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS workspace_models (workspace TEXT NOT NULL, task TEXT NOT NULL, "
    "model BLOB NOT NULL, meta TEXT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, task))",
    "CREATE TABLE IF NOT EXISTS discovery_state (workspace TEXT PRIMARY KEY, state TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
    "is_admin BOOLEAN NOT NULL DEFAULT FALSE, disabled BOOLEAN NOT NULL DEFAULT FALSE, "
    "created_at TIMESTAMP NOT NULL, password_changed_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS memberships (workspace TEXT NOT NULL, username TEXT NOT NULL, "
    "role TEXT NOT NULL, granted_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, username))",
    "CREATE TABLE IF NOT EXISTS api_tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "name TEXT NOT NULL, created_at TIMESTAMP NOT NULL, last_used_at TIMESTAMP, "
    "revoked BOOLEAN NOT NULL DEFAULT FALSE)",
    "CREATE TABLE IF NOT EXISTS saved_queries (workspace TEXT NOT NULL, query_id TEXT NOT NULL, "
    "name TEXT NOT NULL, query TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', created_by TEXT NOT NULL, "
    "created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, query_id))",
    "CREATE TABLE IF NOT EXISTS alert_rules (workspace TEXT NOT NULL, rule_id TEXT NOT NULL, name TEXT NOT NULL, "
    "metric TEXT NOT NULL, query_id TEXT, topic TEXT, place TEXT, threshold DOUBLE NOT NULL, "
    "time_window TEXT NOT NULL, email_to TEXT NOT NULL DEFAULT '', webhook_url TEXT, webhook_secret TEXT, "
    "enabled BOOLEAN NOT NULL DEFAULT TRUE, created_by TEXT, created_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (workspace, rule_id))",
    "CREATE TABLE IF NOT EXISTS alert_events (workspace TEXT NOT NULL, event_id TEXT NOT NULL, "
    "rule_id TEXT NOT NULL, fingerprint TEXT NOT NULL, window_start TIMESTAMP NOT NULL, "
    "fired_at TIMESTAMP NOT NULL, value DOUBLE, threshold DOUBLE, message TEXT NOT NULL, detail TEXT NOT NULL, "
    "seen BOOLEAN NOT NULL DEFAULT FALSE, deliveries TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (workspace, "
    "event_id), UNIQUE (workspace, fingerprint))",
    "CREATE TABLE IF NOT EXISTS digests (workspace TEXT NOT NULL, digest_id TEXT NOT NULL, name TEXT NOT NULL, "
    "query_id TEXT, frequency TEXT NOT NULL, recipients TEXT NOT NULL, format TEXT NOT NULL, "
    "language TEXT NOT NULL, created_by TEXT NOT NULL, created_at TIMESTAMP NOT NULL, last_sent_at TIMESTAMP, "
    "PRIMARY KEY (workspace, digest_id))",
    "CREATE TABLE IF NOT EXISTS web_sessions (session_hash TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "csrf_token TEXT NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS label_corrections (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, task TEXT NOT NULL, label TEXT NOT NULL, username TEXT NOT NULL, "
    "corrected_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, platform, post_id, task))",
    "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, workspace TEXT, kind TEXT NOT NULL, "
    "username TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL, phase TEXT NOT NULL DEFAULT '', "
    "done BIGINT NOT NULL DEFAULT 0, total BIGINT, result TEXT, error TEXT, created_at TIMESTAMP NOT NULL, "
    "started_at TIMESTAMP, finished_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS collect_sources (source_id TEXT PRIMARY KEY, workspace TEXT NOT NULL, "
    "platform TEXT NOT NULL, target TEXT NOT NULL, api_base TEXT, every_seconds BIGINT NOT NULL, "
    "paused BOOLEAN NOT NULL DEFAULT FALSE, credentials TEXT, credential_label TEXT, created_by TEXT, "
    "created_at TIMESTAMP NOT NULL, not_before TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS collect_cursors (source_id TEXT PRIMARY KEY, cursor TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS collect_runs (run_id TEXT PRIMARY KEY, source_id TEXT NOT NULL, "
    "started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status TEXT NOT NULL, pages BIGINT, fetched BIGINT, "
    "stored BIGINT, updated BIGINT, rejected BIGINT, error TEXT, quota_left TEXT)",
    "CREATE TABLE IF NOT EXISTS collect_quota (ledger TEXT NOT NULL, day TEXT NOT NULL, units BIGINT NOT NULL, "
    "PRIMARY KEY (ledger, day))",
    "CREATE TABLE IF NOT EXISTS collect_hours (source_id TEXT NOT NULL, hour TIMESTAMP NOT NULL, "
    "fetched BIGINT NOT NULL, stored BIGINT NOT NULL, PRIMARY KEY (source_id, hour))",
]

# PostgreSQL folds text with unaccent() (contrib), as DuckDB does with strip_accents (see postgres_sql.py).
POSTGRES = ["CREATE EXTENSION IF NOT EXISTS unaccent", *STATEMENTS]

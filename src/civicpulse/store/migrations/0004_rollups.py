"""Dashboard rollups: per-hour cells (with author ids, so suppression stays exact) that dashboards read.

Migration 0004. Cells are filled when the store opens (`rollups_ready` in meta is unset until then) and kept
current by the store's writes (store/rollups.py). PostgreSQL also gets the range indexes its scans need: cells and
post_analysis by (workspace, time), and the analysis side tables by post_key (nested loops without them on a
fresh database); DuckDB scans columns with zone maps and needs none.
"""

STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS rollup_all (workspace TEXT NOT NULL, hour_utc TIMESTAMP, dim_key TEXT, "
    "platform TEXT, language TEXT, sentiment TEXT, emotion TEXT, discovered_topic BIGINT, "
    "author_id BIGINT, posts BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_topics (workspace TEXT NOT NULL, hour_utc TIMESTAMP, "
    "dim_key TEXT, platform TEXT, language TEXT, sentiment TEXT, emotion TEXT, discovered_topic BIGINT, "
    "author_id BIGINT, posts BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_places_2025 (workspace TEXT NOT NULL, hour_utc TIMESTAMP, "
    "dim_key TEXT, platform TEXT, language TEXT, sentiment TEXT, emotion TEXT, discovered_topic BIGINT, "
    "author_id BIGINT, posts BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_places_legacy (workspace TEXT NOT NULL, hour_utc TIMESTAMP, "
    "dim_key TEXT, platform TEXT, language TEXT, sentiment TEXT, emotion TEXT, discovered_topic BIGINT, "
    "author_id BIGINT, posts BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL)",
]

POSTGRES = [
    *STATEMENTS,
    *(f"CREATE INDEX IF NOT EXISTS {table}_hour ON {table} (workspace, hour_utc)"
      for table in ("rollup_all", "rollup_topics", "rollup_places_2025", "rollup_places_legacy")),
    "CREATE INDEX IF NOT EXISTS post_analysis_time ON post_analysis (workspace, created_at)",
    "CREATE INDEX IF NOT EXISTS post_topics_key ON post_topics (post_key)",
    "CREATE INDEX IF NOT EXISTS post_places_key ON post_places (post_key)",
    "CREATE INDEX IF NOT EXISTS post_terms_key ON post_terms (post_key)",
]

"""Day rollups: the hourly cells summarised per workspace-local day, with theta sketches of their authors
(store/day_rollups_sql.py), and the dirty hours that keep a day from being read until it is summarised again;
per-workspace data versions that every process's view cache keys its answers on.

Migration 0005. The tables start empty: the first compaction (after an analysis run, `civicpulse rollups rebuild`)
fills them, and until then every dashboard reads the hourly cells as before.
"""

STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS rollup_days (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, dimension TEXT NOT NULL, "
    "dim_key TEXT NOT NULL, posts BIGINT NOT NULL, positive BIGINT NOT NULL, neutral BIGINT NOT NULL, "
    "negative BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL, authors BIGINT NOT NULL, "
    "negative_authors BIGINT NOT NULL, theta BIGINT)",
    "CREATE TABLE IF NOT EXISTS rollup_day_ids (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, "
    "dimension TEXT NOT NULL, dim_key TEXT NOT NULL, author_id BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_day_state (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, tz TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_dirty_hours (workspace TEXT NOT NULL, hour_utc TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS data_versions (workspace TEXT PRIMARY KEY, version BIGINT NOT NULL)",
]

POSTGRES = [
    *STATEMENTS,
    "CREATE INDEX IF NOT EXISTS rollup_days_day ON rollup_days (workspace, dimension, day)",
    "CREATE INDEX IF NOT EXISTS rollup_day_ids_day ON rollup_day_ids (workspace, dimension, day)",
    "CREATE INDEX IF NOT EXISTS rollup_day_state_day ON rollup_day_state (workspace, day)",
    "CREATE INDEX IF NOT EXISTS rollup_dirty_hours_ws ON rollup_dirty_hours (workspace)",
]

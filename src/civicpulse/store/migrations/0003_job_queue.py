"""Job queue: jobs carry an owner, a lease and an attempt count, so several processes share them as a queue.

Migration 0003. PostgreSQL stores claim jobs with FOR UPDATE SKIP LOCKED (store/jobs_sql.py); DuckDB stores keep
one writer process and leave the columns empty.
"""

STATEMENTS = [
    "ALTER TABLE jobs ADD COLUMN owner TEXT",
    "ALTER TABLE jobs ADD COLUMN lease_until TIMESTAMP",
    "ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at)",
]

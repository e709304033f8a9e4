"""Tables and portable SQL for the web app: sessions, label corrections and background jobs."""

from __future__ import annotations

WEB_DDL = [
    # Only a hash of the session id is stored, like API tokens: a copied database does not hand out live sessions.
    "CREATE TABLE IF NOT EXISTS web_sessions (session_hash TEXT PRIMARY KEY, username TEXT NOT NULL, "
    "csrf_token TEXT NOT NULL, created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS label_corrections (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, task TEXT NOT NULL, label TEXT NOT NULL, username TEXT NOT NULL, "
    "corrected_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, platform, post_id, task))",
    # Background jobs outlive the process that ran them: after a crash the next start finds the ones left
    # queued or running and marks them interrupted. `params` and `result` are JSON; workspace is NULL for
    # instance-wide jobs (the daily maintenance). Created by the schema setup, so older stores gain it on open.
    "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, workspace TEXT, kind TEXT NOT NULL, "
    "username TEXT NOT NULL, params TEXT NOT NULL, status TEXT NOT NULL, phase TEXT NOT NULL DEFAULT '', "
    "done BIGINT NOT NULL DEFAULT 0, total BIGINT, result TEXT, error TEXT, created_at TIMESTAMP NOT NULL, "
    "started_at TIMESTAMP, finished_at TIMESTAMP, owner TEXT, lease_until TIMESTAMP, "
    "attempts BIGINT NOT NULL DEFAULT 0)",
    # The PostgreSQL job queue claims the oldest queued job (store/jobs_sql.py).
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at)",
]

JOB_COLUMNS = ("job_id", "workspace", "kind", "username", "params", "status", "phase", "done", "total", "result",
               "error", "created_at", "started_at", "finished_at")
INSERT_JOB = f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({', '.join('?' * len(JOB_COLUMNS))})"
UPDATE_JOB = ("UPDATE jobs SET status = ?, phase = ?, done = ?, total = ?, result = ?, error = ?, started_at = ?, "
              "finished_at = ? WHERE job_id = ?")
UPDATE_JOB_PROGRESS = "UPDATE jobs SET phase = ?, done = ?, total = ? WHERE job_id = ?"
GET_JOB = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE job_id = ?"
RECENT_JOBS = (f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE workspace = ? "
               "ORDER BY created_at DESC, job_id LIMIT ?")
UNFINISHED_JOBS = (f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE status IN ('queued', 'running') "
                   "ORDER BY created_at, job_id")
# Finished jobs are forgotten with their rejects files (see civicpulse.lifecycle.retention).
PURGE_FINISHED_JOBS = ("DELETE FROM jobs WHERE status NOT IN ('queued', 'running') "
                       "AND COALESCE(finished_at, created_at) < ?")

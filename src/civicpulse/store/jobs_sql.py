"""The job queue of a PostgreSQL store: several processes (web servers, `civicpulse worker`) share the `jobs` table
of web_sql.py as their queue. DuckDB stores keep the in-process queue of runtime/jobs.py (one writer process).

A job is inserted `queued`. A worker claims the oldest one with `FOR UPDATE SKIP LOCKED` and, in the same
statement, marks it `running`, names itself its owner, counts the attempt and sets a lease. The owner renews
the lease while it works (heartbeat); a job whose lease ran out lost its worker (kill -9, a lost machine) and is
queued again, or failed once it used up its attempts. Times come from the database's clock, so workers on
machines whose clocks disagree still agree on whose lease expired.
"""

from __future__ import annotations

from civicpulse.store.web_sql import JOB_COLUMNS

_NOW = "(now() AT TIME ZONE 'UTC')"  # the database's clock, as the naive UTC the jobs table keeps
_RETURNING = f" RETURNING {', '.join(JOB_COLUMNS)}, attempts"

# Parameters: owner, lease seconds, job kinds this worker can run (a list).
CLAIM_JOB = ("UPDATE jobs SET status = 'running', owner = ?, attempts = attempts + 1, phase = '', "
             f"lease_until = {_NOW} + ? * interval '1 second', started_at = {_NOW} "
             "WHERE job_id = (SELECT job_id FROM jobs WHERE status = 'queued' AND kind = ANY(?) "
             "ORDER BY created_at, job_id LIMIT 1 FOR UPDATE SKIP LOCKED)" + _RETURNING)

# Parameters: lease seconds, owner. Answers the jobs the owner still holds (a job missing lost its lease).
HEARTBEAT = (f"UPDATE jobs SET lease_until = {_NOW} + ? * interval '1 second' "
             "WHERE owner = ? AND status = 'running' RETURNING job_id")

# Parameters: status, phase, done, total, result, error, job id, owner. Only the job's owner may finish it.
FINISH_JOB = ("UPDATE jobs SET status = ?, phase = ?, done = ?, total = ?, result = ?, error = ?, "
              f"finished_at = {_NOW}, owner = NULL, lease_until = NULL "
              "WHERE job_id = ? AND owner = ? AND status = 'running' RETURNING finished_at")

# A worker that stops before its job ends (SIGTERM past the grace period) gives the job back; that attempt
# does not count. Parameters: job id, owner.
RELEASE_JOB = ("UPDATE jobs SET status = 'queued', owner = NULL, lease_until = NULL, phase = '', "
               "attempts = GREATEST(attempts - 1, 0) WHERE job_id = ? AND owner = ? AND status = 'running' "
               "RETURNING job_id")

# Jobs whose worker died: queued again, or failed after `max attempts` (the parameter, given three times).
# A `running` job without a lease was left by a civicpulse that predates the queue: it is treated the same.
REQUEUE_EXPIRED = (
    "UPDATE jobs SET status = CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END, "
    "error = CASE WHEN attempts >= ? THEN 'failed: the worker running this job stopped (killed, or cut off from '"
    " || 'the database) during each of its ' || attempts || ' attempts; it is not tried again' ELSE error END, "
    f"finished_at = CASE WHEN attempts >= ? THEN {_NOW} ELSE NULL END, owner = NULL, lease_until = NULL "
    f"WHERE status = 'running' AND (lease_until IS NULL OR lease_until < {_NOW})" + _RETURNING)

QUEUED_OF_KIND = "SELECT 1 FROM jobs WHERE status = 'queued' AND kind = ? AND COALESCE(workspace, '') = ? LIMIT 1"
ACTIVE_IN_WORKSPACE = ("SELECT job_id, kind, status FROM jobs WHERE workspace = ? AND status IN ('queued', 'running') "
                       "ORDER BY created_at LIMIT 1")
JOB_STATUS = "SELECT status FROM jobs WHERE job_id = ?"
LIVE_UPLOAD_PARAMS = "SELECT params FROM jobs WHERE status IN ('queued', 'running')"
# Finished since a moment (any process's jobs): web processes refresh their caches after other processes' jobs.
FINISHED_SINCE = (f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE finished_at >= ? AND status <> 'queued' "
                  "ORDER BY finished_at")
DB_NOW = f"SELECT {_NOW}"

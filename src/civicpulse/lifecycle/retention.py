"""Retention: posts older than a workspace's `retention_days`, audit rows older than the instance's setting, and
rejects files (with the job records that name them) older than theirs.

Workspace retention is kept in the workspace's settings (NULL: keep forever); the instance settings live in the
store's `meta` table. The server applies all of it once a day (`run_maintenance`), `civicpulse retention apply`
on demand; every pass that removes something is audited with its counts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from civicpulse.store.base import Store
from civicpulse.store.lifecycle_sql import (
    COUNT_FINISHED_JOBS,
    GET_META,
    PUT_META,
    PUT_WORKSPACE_SETTINGS,
    WORKSPACE_SETTINGS,
)
from civicpulse.store.web_sql import PURGE_FINISHED_JOBS

MAX_DAYS = 36_500
INSTANCE_DEFAULTS = {"audit_days": 365, "rejects_days": 30}
_META_KEYS = {"audit_days": "retention.audit_days", "rejects_days": "retention.rejects_days"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _check_days(days: int, what: str) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"{what} must be between 1 and {MAX_DAYS} days, not {days}")
    return days


def _settings(store: Store, workspace: str) -> dict[str, Any]:
    rows = store.query(WORKSPACE_SETTINGS, [workspace])
    if not rows:
        raise LookupError(f"no workspace {workspace!r}")
    return json.loads(rows[0][0] or "{}")


def workspace_retention(store: Store, workspace: str) -> int | None:
    """Days a workspace keeps its posts; None keeps them forever."""
    days = _settings(store, workspace).get("retention_days")
    return int(days) if days else None


def set_workspace_retention(store: Store, workspace: str, days: int | None) -> int | None:
    settings = _settings(store, workspace)
    if days is None:
        settings.pop("retention_days", None)
    else:
        settings["retention_days"] = _check_days(days, "retention")
    store.execute(PUT_WORKSPACE_SETTINGS, [json.dumps(settings), workspace])
    return days


def instance_settings(store: Store) -> dict[str, int]:
    out = {}
    for name, key in _META_KEYS.items():
        rows = store.query(GET_META, [key])
        out[name] = int(rows[0][0]) if rows else INSTANCE_DEFAULTS[name]
    return out


def set_instance_settings(store: Store, **days: int | None) -> dict[str, int]:
    for name, value in days.items():
        if value is not None:
            store.execute(PUT_META, [_META_KEYS[name], str(_check_days(value, name.replace("_", " ")))])
    return instance_settings(store)


def apply_workspace_retention(store: Store, workspace: str, actor: str, *, audit_empty: bool = True,
                              now: datetime | None = None) -> dict[str, Any] | None:
    """Delete the workspace's expired posts and their analysis; None when it keeps posts forever."""
    days = workspace_retention(store, workspace)
    if days is None:
        return None
    cutoff = (now or _now()) - timedelta(days=days)
    counts = store.expire_posts(workspace, cutoff)
    summary = {"retention_days": days, "cutoff": cutoff.isoformat(timespec="seconds"), "posts": counts["posts"],
               "derived_rows": sum(n for t, n in counts.items() if t != "posts")}
    if audit_empty or counts["posts"]:
        store.audit(actor, workspace, "retention.apply", " ".join(f"{k}={v}" for k, v in summary.items()))
    return summary


def purge_audit_log(store: Store, older_than_days: int, actor: str, now: datetime | None = None) -> int:
    """Delete audit rows older than the given age; the purge itself is the newest row."""
    cutoff = (now or _now()) - timedelta(days=_check_days(older_than_days, "audit retention"))
    removed = store.purge_audit(cutoff)
    store.audit(actor, None, "audit.purge", f"older_than_days={older_than_days} rows={removed}")
    return removed


def clean_rejects(store: Store, rejects_dir: Path, older_than_days: int, actor: str,
                  now: datetime | None = None) -> dict[str, int]:
    """Rejects files (copies of rejected input) older than the given age, and the finished jobs naming them."""
    cutoff = (now or _now()) - timedelta(days=_check_days(older_than_days, "rejects retention"))
    files = 0
    if rejects_dir.is_dir():
        for path in rejects_dir.iterdir():
            if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None) < cutoff:
                path.unlink(missing_ok=True)
                files += 1
    jobs = store.query(COUNT_FINISHED_JOBS, [cutoff])[0][0]
    store.execute(PURGE_FINISHED_JOBS, [cutoff])
    if files or jobs:
        store.audit(actor, None, "rejects.purge", f"older_than_days={older_than_days} files={files} jobs={jobs}")
    return {"files": files, "jobs": jobs}


def run_maintenance(store: Store, rejects_dir: Path, actor: str, workspace: str | None = None) -> dict[str, Any]:
    """Everything retention asks for: one workspace's posts, or every workspace's plus the instance's logs."""
    names = [workspace] if workspace else [w.name for w in store.list_workspaces()]
    expired = {}
    for name in names:
        done = apply_workspace_retention(store, name, actor, audit_empty=workspace is not None)
        if done is not None:
            expired[name] = done
    if workspace:
        return {"retention": expired}
    settings = instance_settings(store)
    return {"retention": expired, "audit_rows": purge_audit_log(store, settings["audit_days"], actor),
            "rejects": clean_rejects(store, rejects_dir, settings["rejects_days"], actor)}

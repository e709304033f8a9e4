"""The sources of a workspace: add (after a connection test), list, pause, resume, remove; their cursors and health.

Credentials go in sealed (credentials.py) and never come back out of this module except to a connector.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from civicpulse.collect import get as get_connector
from civicpulse.collect.base import Credentials, Cursor
from civicpulse.collect.credentials import CredentialBox
from civicpulse.store import collect_sql as sql
from civicpulse.store.base import Store, validate_workspace_name


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class SourceRecord:
    source_id: str
    workspace: str
    platform: str
    target: str
    api_base: str | None
    every_seconds: int
    paused: bool
    credential_label: str | None
    created_by: str | None
    created_at: datetime
    not_before: datetime | None


@dataclass
class RunRecord:
    run_id: str
    source_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    pages: int | None
    fetched: int | None
    stored: int | None
    updated: int | None
    rejected: int | None
    error: str | None
    quota_left: str | None


class SourceError(ValueError):
    pass


class SourceRegistry:
    def __init__(self, store: Store, box: CredentialBox):
        self.store = store
        self.box = box

    def add(self, workspace: str, platform: str, target: str, *, creds: Credentials, every_seconds: int,
            api_base: str | None, label: str | None, actor: str, now: datetime | None = None) -> SourceRecord:
        validate_workspace_name(workspace)
        connector = get_connector(platform)
        target = connector.validate_target(target)
        connector.check_credentials(creds)
        self.store.ensure_workspace(workspace)
        source_id = secrets.token_hex(4)
        record = SourceRecord(source_id, workspace, platform, target, api_base, every_seconds, False, label, actor,
                              now or utcnow(), None)
        sealed = self.box.seal(creds) if creds.values else None
        self.store.execute(sql.INSERT_SOURCE, [*(getattr(record, c) for c in sql.SOURCE_COLUMNS), sealed])
        return record

    def list(self, workspace: str | None) -> list[SourceRecord]:
        rows = (self.store.query(sql.LIST_SOURCES, [workspace]) if workspace
                else self.store.query(sql.ALL_SOURCES))
        return [SourceRecord(*r) for r in rows]

    def get(self, workspace: str, source_id: str) -> SourceRecord:
        rows = self.store.query(sql.GET_SOURCE, [workspace, source_id])
        if not rows:
            raise SourceError(f"no source {source_id!r} in workspace {workspace!r} (see `civicpulse sources list`)")
        return SourceRecord(*rows[0])

    def set_paused(self, workspace: str, source_id: str, paused: bool) -> SourceRecord:
        self.get(workspace, source_id)
        self.store.execute(sql.SET_PAUSED, [paused, workspace, source_id])
        return self.get(workspace, source_id)

    def remove(self, workspace: str, source_id: str) -> SourceRecord:
        record = self.get(workspace, source_id)
        for statement in sql.DELETE_SOURCE:
            self.store.execute(statement, [source_id])
        return record

    def update(self, workspace: str, source_id: str, *, target: str, api_base: str | None, every_seconds: int,
               creds: Credentials | None = None, label: str | None = None) -> SourceRecord:
        """Edit what a source collects; new credentials replace the sealed ones only when given."""
        record = self.get(workspace, source_id)
        target = get_connector(record.platform).validate_target(target)
        self.store.execute(sql.UPDATE_SOURCE, [target, api_base, every_seconds, workspace, source_id])
        if creds is not None:
            self.store.execute(sql.SET_CREDENTIALS, [self.box.seal(creds) if creds.values else None, label,
                                                     workspace, source_id])
        return self.get(workspace, source_id)

    def credentials(self, source_id: str) -> Credentials:
        rows = self.store.query(sql.SOURCE_CREDENTIALS, [source_id])
        return self.box.open(rows[0][0] if rows else None)

    # cursors and runs -------------------------------------------------------------------------------------
    def cursor(self, source_id: str) -> Cursor:
        rows = self.store.query(sql.GET_CURSOR, [source_id])
        return json.loads(rows[0][0]) if rows else {}

    def save_cursor(self, source_id: str, cursor: Cursor) -> None:
        self.store.execute(sql.SAVE_CURSOR, [source_id, json.dumps(cursor, sort_keys=True), utcnow()])

    def start_run(self, run_id: str, source_id: str, started_at: datetime) -> None:
        self.store.execute(sql.START_RUN, [run_id, source_id, started_at])

    def finish_run(self, run_id: str, finished_at: datetime, **fields: Any) -> None:
        cols = ("status", "pages", "fetched", "stored", "updated", "rejected", "error", "quota_left")
        self.store.execute(sql.FINISH_RUN, [finished_at, *(fields.get(c) for c in cols), run_id])

    def run_progress(self, run_id: str, **counts: int) -> None:
        cols = ("pages", "fetched", "stored", "updated", "rejected")
        self.store.execute(sql.RUN_PROGRESS, [*(counts.get(c) for c in cols), run_id])

    def consecutive_failures(self, source_id: str, look_back: int = 12) -> int:
        """Failed runs since the last one that was not a failure (for the runtime's backoff)."""
        statuses = [r[0] for r in self.store.query(sql.RECENT_RUN_STATUSES, [source_id, look_back])]
        return next((i for i, status in enumerate(statuses) if status != "failed"), len(statuses))

    def add_hour(self, source_id: str, hour: datetime, fetched: int, stored: int) -> None:
        self.store.execute(sql.ADD_HOUR, [source_id, hour.replace(minute=0, second=0, microsecond=0), fetched, stored])

    def hours_since(self, workspace: str, since: datetime) -> list[tuple[str, datetime, int, int]]:
        return [tuple(r) for r in self.store.query(sql.HOURS_SINCE, [workspace, since])]  # type: ignore[misc]

    def close_stale_runs(self, now: datetime) -> None:
        self.store.execute(sql.CLOSE_STALE_RUNS, [now])

    def set_not_before(self, source_id: str, when: datetime | None) -> None:
        self.store.execute(sql.SET_NOT_BEFORE, [when, source_id])

    def last_run(self, source_id: str) -> RunRecord | None:
        rows = self.store.query(sql.LAST_RUN, [source_id])
        return RunRecord(*rows[0]) if rows else None

"""Live-collection sources of a workspace over HTTP: list with health, coverage, add (after a connection test),
edit, pause, resume, run now, test, delete.

Roles: viewers read the sources' health and coverage (no credential details); analysts and owners manage them.
Credentials arrive as a JSON object with the platform's own key names, are sealed at once (collect/credentials.py)
and never come back: answers, logs and the audit log name them only by their key names and a short fingerprint.
A source's `api_base` is a URL the *server* will fetch, so it is vetted like a webhook target: public addresses
only, unless the instance allow-lists an on-premise host in CIVICPULSE_COLLECT_ALLOW (same syntax as
CIVICPULSE_WEBHOOK_ALLOW).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from civicpulse import collect
from civicpulse.accounts import Role
from civicpulse.collect.base import Credentials, TargetError
from civicpulse.collect.http import CollectError
from civicpulse.collect.schedule import ScheduleError, format_every, next_run, parse_every
from civicpulse.collect.service import Collector
from civicpulse.collect.sources import SourceError, SourceRecord, utcnow
from civicpulse.notify.targets import AllowList, TargetRefused, vet
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.deps import ANALYST, VIEWER, Access, app_context, store

ALLOW_ENV = "CIVICPULSE_COLLECT_ALLOW"
MAX_SECRET = 4096
router = APIRouter(prefix="/api/w/{workspace}/sources", tags=["collection"])


class SourceIn(BaseModel):
    platform: str = Field(max_length=32, description="A connector: mastodon, x, reddit, bluesky, youtube, tiktok, "
                                                    "facebook, instagram …")
    target: str = Field(min_length=1, max_length=600, description="A query or public venue (#tag, r/sub, …)")
    every: str = Field("15m", max_length=16, description="Schedule: 15m, 2h, 1d")
    api_base: str | None = Field(None, max_length=300, description="Another API host (a Mastodon instance)")
    credentials: dict[str, str] = Field(default_factory=dict, description="The platform's own key names, e.g. "
                                        '{"bearer_token": "…"}; sealed at once, never returned')
    test: bool = Field(True, description="Check the credentials and target with one request before saving")


class SourceEdit(BaseModel):
    target: str | None = Field(None, min_length=1, max_length=600)
    every: str | None = Field(None, max_length=16)
    api_base: str | None = Field(None, max_length=300, description='"" resets to the platform\'s default')
    credentials: dict[str, str] | None = Field(None, description="Replaces the sealed credentials when given")
    test: bool = True


def _collector(ctx: AppContext, db: Store) -> Collector:
    return Collector(db, ctx.keys_dir, ctx.rejects_dir, ctx.rejects_dir)


def fingerprint(creds: Credentials) -> str:
    """Which credential was used, for the audit log and the list: key names and a short hash, never a secret."""
    if not creds.values:
        return "none"
    digest = hashlib.sha256(json.dumps(creds.values, sort_keys=True).encode()).hexdigest()[:12]
    return f"keys {','.join(sorted(creds.values))} sha256:{digest}"


def _unprocessable(exc: Exception) -> HTTPException:
    return HTTPException(422, exc.args[0] if isinstance(exc, KeyError) else str(exc))


def _api_base(value: str | None) -> str | None:
    if not value:
        return None
    try:
        allow = AllowList.parse(os.environ.get(ALLOW_ENV, ""))
    except ValueError as exc:
        raise HTTPException(500, f"{ALLOW_ENV}: {exc}") from None
    try:
        vet(value, allow)
    except TargetRefused as exc:
        raise HTTPException(422, f"api_base not allowed: {exc.reason} (an on-premise host can be allow-listed in "
                                 f"{ALLOW_ENV})") from None
    except ValueError:
        raise HTTPException(422, "api_base not allowed: expected an absolute http(s) URL, e.g. "
                                 "https://mastodon.example") from None
    return value.rstrip("/")


def _credentials(values: dict[str, str]) -> Credentials:
    if len(values) > 8 or any(len(k) > 64 or len(v) > MAX_SECRET for k, v in values.items()):
        raise HTTPException(422, f"credentials: at most 8 keys, values of at most {MAX_SECRET} characters")
    return Credentials(dict(values))


def _connection_test(collector: Collector, platform: str, api_base: str | None, creds: Credentials,
                     target: str) -> str:
    """One request, with few retries and short waits: a person is waiting for the answer."""
    client = collector.client(platform, api_base)
    client.max_retries, client.max_wait = 1, 5.0
    try:
        collector.prepare(client, platform, creds)
        return collect.get(platform).test(client, creds, target)
    finally:
        client.close()


def _tested(collector: Collector, platform: str, api_base: str | None, creds: Credentials, target: str) -> str:
    try:
        return _connection_test(collector, platform, api_base, creds, target)
    except CollectError as exc:
        raise HTTPException(422, f"connection test failed: {exc}") from None


def _source(collector: Collector, workspace: str, source_id: str) -> SourceRecord:
    try:
        return collector.registry.get(workspace, source_id)
    except SourceError as exc:
        raise HTTPException(404, str(exc)) from None


def _view(collector: Collector, source: SourceRecord, running: set[str], manager: bool) -> dict[str, Any]:
    connector = collect.get(source.platform)
    run = collector.registry.last_run(source.source_id)
    due = None if connector.continuous or source.paused else \
        next_run(run.started_at if run else None, source.every_seconds, source.not_before)
    last = None if run is None else {k: getattr(run, k) for k in (
        "status", "pages", "fetched", "stored", "updated", "rejected", "error", "quota_left")}
    if last is not None:
        last.update(started_at=_iso(run.started_at), finished_at=_iso(run.finished_at))
    state = "paused" if source.paused else "running" if source.source_id in running else \
        (run.status if run else "never run")
    view: dict[str, Any] = {
        "id": source.source_id, "platform": source.platform, "target": source.target,
        "api_base": source.api_base or connector.default_api_base, "every": format_every(source.every_seconds),
        "continuous": connector.continuous, "paused": source.paused, "created_at": _iso(source.created_at),
        "health": {"state": state, "last_run": last, "quota_left": run.quota_left if run else None,
                   "error": run.error if run else None,
                   "next_run": None if source.paused or connector.continuous else _iso(due or utcnow())}}
    if manager:
        view["credential"] = source.credential_label or "none"
        view["created_by"] = source.created_by
    return view


def _iso(value: datetime | None) -> str | None:
    """Naive UTC from the store, as ISO 8601 with its zone, so that every client reads it as UTC."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _audit(db: Store, access: Access, action: str, detail: str) -> None:
    db.audit(access.username, access.workspace, f"sources.{action}", detail)


@router.get("/platforms", summary="The connectors: credential keys and targets they accept")
def platforms(access: Access = Depends(VIEWER)) -> list[dict[str, Any]]:
    return [{"platform": name, "credential_keys": list(c.credential_keys),
             "optional_credential_keys": list(c.optional_credential_keys), "target_help": c.target_help,
             "default_api_base": c.default_api_base, "continuous": c.continuous}
            for name, c in collect.all_connectors().items()]


@router.get("", summary="The workspace's sources with their health (last run, counts, error, quota, next run)")
def list_sources(access: Access = Depends(VIEWER), db: Store = Depends(store),
                 ctx: AppContext = Depends(app_context)) -> list[dict[str, Any]]:
    collector = _collector(ctx, db)
    running = ctx.collection.running()
    manager = access.role.at_least(Role.ANALYST)
    return [_view(collector, s, running, manager) for s in collector.registry.list(access.workspace)]


@router.get("/coverage", summary="Posts fetched and stored per source and hour of collection (UTC)")
def coverage(days: int = Query(7, ge=1, le=31), access: Access = Depends(VIEWER),
             db: Store = Depends(store), ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    end = utcnow().replace(minute=0, second=0, microsecond=0)
    since = end - timedelta(hours=24 * days - 1)
    hours = [since + timedelta(hours=i) for i in range(24 * days)]
    index = {h: i for i, h in enumerate(hours)}
    series = {s.source_id: {"id": s.source_id, "platform": s.platform, "target": s.target,
                            "fetched": [0] * len(hours), "stored": [0] * len(hours)}
              for s in collector.registry.list(access.workspace)}
    for source_id, hour, fetched, stored in collector.registry.hours_since(access.workspace, since):
        if source_id in series and hour in index:
            series[source_id]["fetched"][index[hour]] += fetched
            series[source_id]["stored"][index[hour]] += stored
    return {"hours": [_iso(h) for h in hours], "sources": list(series.values())}


@router.post("/test", summary="Test a source's credentials and target before saving (nothing is stored)")
def test_new(body: SourceIn, access: Access = Depends(ANALYST), db: Store = Depends(store),
             ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    platform, target, creds, base = _checked(body)
    try:
        return {"ok": True, "message": _connection_test(_collector(ctx, db), platform, base, creds, target)}
    except CollectError as exc:
        return {"ok": False, "message": str(exc)}


def _checked(body: SourceIn) -> tuple[str, str, Credentials, str | None]:
    try:
        connector = collect.get(body.platform)
        target = connector.validate_target(body.target)  # per-person targets refused here, as in the CLI
        creds = _credentials(body.credentials)
        connector.check_credentials(creds)
    except (KeyError, TargetError) as exc:
        raise _unprocessable(exc) from None
    return body.platform, target, creds, _api_base(body.api_base)


@router.post("", status_code=201, summary="Add a source (after a connection test unless test=false)")
def add_source(body: SourceIn, access: Access = Depends(ANALYST), db: Store = Depends(store),
               ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    platform, target, creds, base = _checked(body)
    every = _every(body.every)
    collector = _collector(ctx, db)
    tested = _tested(collector, platform, base, creds, target) if body.test else "not tested"
    record = collector.registry.add(access.workspace, platform, target, creds=creds, every_seconds=every,
                                    api_base=base, label=fingerprint(creds), actor=access.username)
    _audit(db, access, "add", f"source={record.source_id} platform={platform} target={target} "
                              f"api_base={base or '-'} every={format_every(every)} credential={fingerprint(creds)}")
    ctx.collection.wake()  # a new source is due at once
    return {**_view(collector, record, set(), True), "test": tested}


def _every(text: str) -> int:
    try:
        return parse_every(text)
    except ScheduleError as exc:
        raise _unprocessable(exc) from None


@router.get("/{source_id}", summary="One source with its health")
def get_source(source_id: str, access: Access = Depends(VIEWER), db: Store = Depends(store),
               ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    return _view(collector, _source(collector, access.workspace, source_id), ctx.collection.running(),
                 access.role.at_least(Role.ANALYST))


@router.patch("/{source_id}", summary="Edit a source's target, schedule, API host or credentials")
def edit_source(source_id: str, body: SourceEdit, access: Access = Depends(ANALYST),
                db: Store = Depends(store), ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    source = _source(collector, access.workspace, source_id)
    connector = collect.get(source.platform)
    try:
        target = connector.validate_target(body.target) if body.target is not None else source.target
        creds = _credentials(body.credentials) if body.credentials is not None else None
        if creds is not None:
            connector.check_credentials(creds)
    except TargetError as exc:
        raise _unprocessable(exc) from None
    base = source.api_base if body.api_base is None else _api_base(body.api_base)
    every = _every(body.every) if body.every is not None else source.every_seconds
    changed = [name for name, new, old in (("target", target, source.target), ("api_base", base, source.api_base),
                                           ("every", every, source.every_seconds)) if new != old]
    if creds is not None:
        changed.append("credentials")
    if body.test and ({"target", "api_base", "credentials"} & set(changed)):
        _tested(collector, source.platform, base, creds if creds is not None
                else collector.registry.credentials(source_id), target)
    record = collector.registry.update(access.workspace, source_id, target=target, api_base=base,
                                       every_seconds=every, creds=creds,
                                       label=fingerprint(creds) if creds is not None else None)
    _audit(db, access, "edit", f"source={source_id} changed={','.join(changed) or 'nothing'} target={target}"
                               + (f" credential={fingerprint(creds)}" if creds is not None else ""))
    ctx.collection.forget(source_id, timeout=0)  # a stream reconnects with the new settings
    ctx.collection.wake()
    return _view(collector, record, ctx.collection.running(), True)


def _set_paused(source_id: str, paused: bool, access: Access, db: Store, ctx: AppContext) -> dict[str, Any]:
    collector = _collector(ctx, db)
    _source(collector, access.workspace, source_id)
    record = collector.registry.set_paused(access.workspace, source_id, paused)
    _audit(db, access, "pause" if paused else "resume", f"source={source_id}")
    if paused:
        ctx.collection.forget(source_id, timeout=0)
    ctx.collection.wake()
    return _view(collector, record, ctx.collection.running(), True)


@router.post("/{source_id}/pause", summary="Stop collecting from a source (its cursor is kept)")
def pause_source(source_id: str, access: Access = Depends(ANALYST), db: Store = Depends(store),
                 ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    return _set_paused(source_id, True, access, db, ctx)


@router.post("/{source_id}/resume", summary="Collect from a paused source again, from where it stopped")
def resume_source(source_id: str, access: Access = Depends(ANALYST), db: Store = Depends(store),
                  ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    return _set_paused(source_id, False, access, db, ctx)


@router.post("/{source_id}/run", status_code=202, summary="Run a source now, whatever its schedule")
def run_source(source_id: str, access: Access = Depends(ANALYST), db: Store = Depends(store),
               ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    source = _source(collector, access.workspace, source_id)
    if source.paused:
        raise HTTPException(409, f"source {source_id} is paused: resume it first")
    if collect.get(source.platform).continuous:
        raise HTTPException(409, f"source {source_id} is a stream: it collects continuously while active")
    ctx.collection.run_now([source_id])
    started = source_id in ctx.collection.tick()
    _audit(db, access, "run", f"source={source_id}")
    return {"id": source_id, "requested": True, "started": started}


@router.post("/{source_id}/test", summary="Test a saved source's credentials and target (nothing is stored)")
def test_source(source_id: str, access: Access = Depends(ANALYST), db: Store = Depends(store),
                ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    source = _source(collector, access.workspace, source_id)
    try:
        creds = collector.registry.credentials(source_id)
        return {"ok": True, "message": _connection_test(collector, source.platform, source.api_base, creds,
                                                        source.target)}
    except (CollectError, RuntimeError) as exc:  # RuntimeError: CredentialError (the key file is gone)
        return {"ok": False, "message": str(exc)}


@router.delete("/{source_id}", summary="Delete a source, its credentials, cursor and history (posts stay)")
def delete_source(source_id: str, access: Access = Depends(ANALYST), db: Store = Depends(store),
                  ctx: AppContext = Depends(app_context)) -> dict[str, Any]:
    collector = _collector(ctx, db)
    source = _source(collector, access.workspace, source_id)
    ctx.collection.forget(source_id, timeout=10)  # let a run in hand finish writing its cursor first
    collector.registry.remove(access.workspace, source_id)
    _audit(db, access, "delete", f"source={source_id} platform={source.platform} target={source.target}")
    return {"id": source_id, "deleted": True}

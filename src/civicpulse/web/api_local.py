"""Routes for `civicpulse ingest/analyze/collect --once/stats/export/topics` handed over by the CLI on this machine
(handoff.py).

Not part of the public API (left out of OpenAPI): the only credential is the secret the server wrote to its
0600 hand-off file, so only the OS user running the server (or root) can call them. Paths are server paths.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from civicpulse.analysis.labels import MODES
from civicpulse.export import FORMATS, MEDIA_TYPES, PostExport
from civicpulse.handoff import LOCAL_HEADER
from civicpulse.runtime.job_handlers import job_options, submit_job
from civicpulse.store import validate_workspace_name
from civicpulse.web.context import AppContext
from civicpulse.web.deps import app_context, busy_as_conflict


def local_secret(request: Request, secret: str | None = Header(None, alias=LOCAL_HEADER)) -> None:
    expected: str | None = getattr(request.app.state, "local_token", None)
    if not expected or not secret or not hmac.compare_digest(secret.encode(), expected.encode()):
        raise HTTPException(403, f"the {LOCAL_HEADER} header is missing or wrong")


router = APIRouter(prefix="/api/local", include_in_schema=False, dependencies=[Depends(local_secret)])


class LocalJob(BaseModel):
    kind: Literal["ingest", "analyze", "collect"]
    workspace: str = Field(description='"" with kind collect: every workspace')
    user: str = Field(min_length=1, max_length=64, description="OS user running the CLI, for the audit log")
    keys_dir: str | None = None
    # ingest
    paths: list[str] = Field(default_factory=list)
    names: list[str] | None = None
    format: str | None = None
    mapping: str | None = None
    encoding: str = "utf-8"
    batch_size: int | None = Field(None, ge=1)
    rejects: str | None = None
    analyze: bool = False
    limits: dict[str, int | float] | None = None  # the CLI's limits on input (civicpulse.ingest.limits)
    # analyze
    mode: str = "cascade"
    limit: int | None = Field(None, ge=1)
    discovery: bool = True
    models_dir: str | None = None
    encoder: str | None = None
    classifiers: list[str] = Field(default_factory=list)
    # collect --once
    ignore_schedule: bool = False


def _absolute(value: str, what: str, must_exist: bool = True) -> str:
    path = Path(value)
    if not path.is_absolute() or (must_exist and not path.exists()):
        raise HTTPException(422, f"{what} {value!r}: give an absolute path that exists on the server's machine")
    return value


def _check(body: LocalJob, ctx: AppContext) -> None:
    if not (body.kind == "collect" and body.workspace == ""):  # "": every workspace's due sources
        try:
            validate_workspace_name(body.workspace)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    if body.keys_dir and Path(body.keys_dir).resolve() != ctx.keys_dir.resolve():
        # Another keys folder would give the same authors other pseudonyms: refuse rather than mix them.
        raise HTTPException(409, f"this server pseudonymizes with the keys in {ctx.keys_dir.resolve()}, the "
                                 f"command asked for {body.keys_dir}: use the same --keys-dir, or stop the server")
    if body.mode not in MODES:
        raise HTTPException(422, f"mode {body.mode!r}: choose from {', '.join(MODES)}")
    if body.kind == "ingest":
        if not body.paths:
            raise HTTPException(422, "an ingest needs paths")
        if body.names is not None and len(body.names) != len(body.paths):
            raise HTTPException(422, "names must match paths one to one")
        for p in body.paths:
            _absolute(p, "input")
        if body.mapping:
            _absolute(body.mapping, "mapping")
        if body.rejects:
            _absolute(body.rejects, "rejects file", must_exist=False)
    elif body.kind == "analyze" and ctx.store.get_workspace(body.workspace) is None:
        raise HTTPException(404, f"no workspace {body.workspace!r} in {ctx.store.path}")
    if body.models_dir:
        _absolute(body.models_dir, "models folder")


@router.post("/jobs", status_code=202)
def submit(body: LocalJob, ctx: AppContext = Depends(app_context)) -> dict:
    _check(body, ctx)
    params = body.model_dump(exclude={"kind", "workspace", "user", "keys_dir"}, exclude_none=True)
    try:  # each kind keeps the fields its options know
        options = job_options(body.kind, params)
    except ValueError as exc:  # OptionsError, LimitError
        raise HTTPException(422, str(exc)) from None
    with busy_as_conflict():
        return submit_job(ctx.jobs, body.kind, body.workspace, f"cli:{body.user}", options).to_dict()


@router.get("/jobs/{job_id}")
def job_status(job_id: str, ctx: AppContext = Depends(app_context)) -> dict:
    job = ctx.jobs.find(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id} on this server (was it restarted?)")
    return job.to_dict()


@router.get("/stats")
def stats(workspace: str | None = None, ctx: AppContext = Depends(app_context)) -> dict:
    with ctx.forked() as db:
        return db.stats(workspace)


def _known_workspace(workspace: str, ctx: AppContext) -> str:
    try:
        validate_workspace_name(workspace)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    if ctx.store.get_workspace(workspace) is None:
        raise HTTPException(404, f"no workspace {workspace!r} in {ctx.store.path}")
    return workspace


@router.get("/export")
def export(workspace: str, format: str = "jsonl", with_analysis: bool = False,
           user: str = Query(..., min_length=1, max_length=64), ctx: AppContext = Depends(app_context)):
    """`civicpulse export` while the server holds the store: the file's bytes, streamed as they are written."""
    _known_workspace(workspace, ctx)
    if format not in FORMATS:
        raise HTTPException(422, f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")

    def chunks():
        # The store handle lives as long as the stream (a request dependency would close before it ends).
        with ctx.forked() as db:
            export = PostExport(db, workspace, format, with_analysis)
            yield from export.chunks()
            db.audit(f"cli:{user}", workspace, "export",
                     f"format={format} posts={export.count} with_analysis={with_analysis} via=server")

    return StreamingResponse(chunks(), media_type=MEDIA_TYPES[format])


@router.get("/topics")
def topics(workspace: str, ctx: AppContext = Depends(app_context)) -> dict:
    """`civicpulse topics` while the server holds the store."""
    from civicpulse.analytics.discovered import discovered_topics

    _known_workspace(workspace, ctx)
    with ctx.forked() as db:
        found = discovered_topics(db, workspace)
    if found is None:
        raise HTTPException(404, f"workspace {workspace}: no discovered topics yet; run `civicpulse analyze` first")
    return found

"""Data in and out: browser imports with progress, background jobs, report exports and the audit log."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from civicpulse.runtime.job_handlers import submit_job
from civicpulse.services.analyze import AnalyzeOptions
from civicpulse.services.ingest import IngestOptions
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.deps import ANALYST, OWNER, VIEWER, Access, app_context, busy_as_conflict, store
from civicpulse.web.params import Scope, scope
from civicpulse.web.uploads import OPENAPI_BODY, receive_files

router = APIRouter(prefix="/api/w/{workspace}", tags=["data"])


@router.post("/imports", status_code=202, openapi_extra=OPENAPI_BODY,
             summary="Upload files in any supported format; they are imported and analyzed in the background. A CSV or "
             "Excel file needs NAME.mapping.toml beside it or a mapping remembered for its columns "
             "(see /imports/staged)")
async def upload(request: Request, a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context),
                 db: Store = Depends(store)) -> dict:
    from civicpulse import sources
    from civicpulse.web.api_import import direct_mappings

    got = await receive_files(request, ctx.uploads_dir / a.workspace / uuid.uuid4().hex[:12], ctx.upload_limits)
    folder = Path(got.paths[0]).parent
    try:
        format = got.fields.get("format") or None
        if format:
            try:
                sources.get(format)
            except KeyError as exc:
                raise HTTPException(400, exc.args[0]) from None
        paths, names, mappings = await to_thread.run_sync(direct_mappings, db, a.workspace, got.paths, got.names,
                                                          format)
        options = IngestOptions(tuple(paths), tuple(names), format=format, uploaded=str(folder),
                                file_mappings=mappings)
        with busy_as_conflict():
            job = submit_job(ctx.jobs, "ingest", a.workspace, a.username, options)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job.to_dict()


@router.post("/analyze", status_code=202, summary="Analyze posts not analyzed yet (analysts)")
def analyze(a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context)) -> dict:
    with busy_as_conflict():
        return submit_job(ctx.jobs, "analyze", a.workspace, a.username, AnalyzeOptions()).to_dict()


@router.get("/jobs", summary="Recent background jobs of the workspace, newest first (interrupted ones included)")
def recent_jobs(a: Access = Depends(VIEWER), ctx: AppContext = Depends(app_context),
                limit: int = Query(20, ge=1, le=200)) -> list[dict]:
    return [job.to_dict() for job in ctx.jobs.recent(a.workspace, limit)]


@router.get("/jobs/{job_id}", summary="A background job: status, progress, per-file counts and rejected records")
def job_status(job_id: str, a: Access = Depends(VIEWER), ctx: AppContext = Depends(app_context)) -> dict:
    job = ctx.jobs.get(a.workspace, job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} in {a.workspace}")
    return job.to_dict()


@router.get("/jobs/{job_id}/rejects", summary="Download every rejected record of an import (JSON lines)")
def job_rejects(job_id: str, a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context),
                db: Store = Depends(store)) -> FileResponse:
    job = ctx.jobs.get(a.workspace, job_id)
    name = job.result.get("rejects_file") if job else None
    if not name:
        raise HTTPException(404, f"job {job_id!r} has no rejected records")
    db.audit(a.username, a.workspace, "export.rejects", job_id)
    return FileResponse(ctx.rejects_dir / name, media_type="application/x-ndjson", filename=name)


@router.get("/report", summary="Export the dashboard for a period as PDF (with charts), CSV or XLSX")
def report(s: Scope = Depends(scope), db: Store = Depends(store),
           format: Literal["pdf", "csv", "xlsx"] = "pdf",
           report_lang: Literal["en", "vi"] = Query("en", description="language of the report's labels (the "
                                                     "`lang` parameter filters posts by language)")) -> Response:
    from civicpulse.reports import build_report, export

    data = build_report(db, s.workspace, s.filters, lang=report_lang)
    body, media_type, filename = export(data, format)
    db.audit(s.access.username, s.workspace, "export.report", f"format={format} {s.description}")
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/audit", summary="Who viewed, searched and exported what in this workspace (owners)")
def audit(a: Access = Depends(OWNER), db: Store = Depends(store), limit: int = Query(200, ge=1, le=5000),
          action: str | None = Query(None, description="only actions starting with this, e.g. export")) -> list[dict]:
    sql = "SELECT logged_at, actor, action, detail FROM audit_log WHERE workspace = ?"
    params: list = [a.workspace]
    if action:
        sql += " AND action LIKE ?"
        params.append(action.replace("%", "").replace("_", r"\_") + "%")
    rows = db.query(sql + " ORDER BY logged_at DESC LIMIT ?", [*params, limit])
    db.audit(a.username, a.workspace, "view.audit", action or "")
    return [{"at": t.isoformat(), "actor": actor, "action": act, "detail": detail} for t, actor, act, detail in rows]


@router.get("/settings", summary="Workspace settings: the minimum number of authors behind a shown figure, retention, "
            "time zone")
def settings(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics.localtime import timezone_for
    from civicpulse.analytics.privacy import MIN_K, k_for
    from civicpulse.lifecycle import workspace_retention

    return {"min_authors": k_for(db, a.workspace), "min_authors_floor": MIN_K, "role": a.role.value,
            "retention_days": workspace_retention(db, a.workspace), "timezone": timezone_for(db, a.workspace)}


@router.put("/settings", summary="Change the minimum number of authors (owners; never below 5) and/or the time zone")
def put_settings(min_authors: int | None = Query(None, ge=1),
                 timezone: str | None = Query(None, max_length=64, description="IANA time zone name, e.g. "
                                              "Asia/Ho_Chi_Minh: the local days and hours of every view"),
                 a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics.localtime import set_timezone, timezone_for, validate_timezone
    from civicpulse.analytics.privacy import k_for, set_k

    if min_authors is None and timezone is None:
        raise HTTPException(400, "nothing to change: give min_authors and/or timezone")
    try:  # both checked before either is stored
        if timezone is not None:
            validate_timezone(timezone)
        if min_authors is not None:
            k = set_k(db, a.workspace, min_authors)
            db.audit(a.username, a.workspace, "settings.min_authors", str(k))
        if timezone is not None:
            set_timezone(db, a.workspace, timezone)
            db.audit(a.username, a.workspace, "settings.timezone", timezone)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"min_authors": k_for(db, a.workspace), "timezone": timezone_for(db, a.workspace)}


# --- posts export ---------------------------------------------------------------------------------------------
@router.get("/export", summary="Download the workspace's posts as JSONL, CSV or Parquet; with_analysis adds their "
            "language, sentiment, emotion, topics and places (analysts)")
def export_posts(a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context),
                 format: Literal["jsonl", "csv", "parquet"] = "csv",
                 with_analysis: bool = Query(False, description="add language (detected), sentiment, "
                                             "sentiment_score, emotion, topics and places columns")):
    from fastapi.responses import StreamingResponse

    from civicpulse.export import MEDIA_TYPES, WEB_EXPORT_COLUMNS, PostExport

    def chunks():
        # Its own store handle, open as long as the stream: a request dependency would close before the end.
        with ctx.forked() as db:
            export = PostExport(db, a.workspace, format, with_analysis, post_columns=WEB_EXPORT_COLUMNS)
            yield from export.chunks()
            db.audit(a.username, a.workspace, "export.posts",
                     f"format={format} posts={export.count} with_analysis={with_analysis}")

    suffix = "-analysis" if with_analysis else ""
    return StreamingResponse(chunks(), media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{a.workspace}-posts{suffix}.{format}"'})

"""Retention and deletion over HTTP: a workspace's retention (owners), the instance's audit-log and rejects
retention, workspace deletion and the daily maintenance on demand (administrators). Every change is audited;
expiring and purging run as background jobs, in line with imports, so they never race another write."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from civicpulse.lifecycle import (
    delete_workspace,
    instance_settings,
    set_instance_settings,
    set_workspace_retention,
)
from civicpulse.lifecycle.retention import MAX_DAYS
from civicpulse.runtime.jobs import WorkspaceBusy
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.deps import OWNER, Access, Caller, admin, app_context, busy_as_conflict, store

workspace_router = APIRouter(prefix="/api/w/{workspace}", tags=["retention"])
admin_router = APIRouter(prefix="/api/admin", tags=["retention"])


class WorkspaceRetention(BaseModel):
    days: int | None = Field(None, ge=1, le=MAX_DAYS,
                             description="delete posts (and their analysis) older than this; null keeps them forever")


class InstanceRetention(BaseModel):
    audit_days: int | None = Field(None, ge=1, le=MAX_DAYS, description="keep audit-log rows this long")
    rejects_days: int | None = Field(None, ge=1, le=MAX_DAYS,
                                     description="keep rejects files and finished job records this long")


@workspace_router.put("/retention", summary="Set how long the workspace keeps posts (owners; null: forever)")
def put_retention(body: WorkspaceRetention, a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    set_workspace_retention(db, a.workspace, body.days)
    db.audit(a.username, a.workspace, "settings.retention", f"days={body.days}")
    return {"retention_days": body.days}


@workspace_router.post("/retention/apply", status_code=202,
                       summary="Delete the workspace's posts past its retention now, as a background job (owners)")
def apply_retention(a: Access = Depends(OWNER), ctx: AppContext = Depends(app_context)) -> dict:
    with busy_as_conflict():
        return ctx.jobs.submit("retention", a.workspace, a.username).to_dict()


@admin_router.delete("/workspaces/{name}", summary="Delete a workspace and everything it holds (administrators)")
def remove_workspace(name: str, c: Caller = Depends(admin), ctx: AppContext = Depends(app_context),
                     db: Store = Depends(store)) -> dict:
    if db.get_workspace(name) is None:
        raise HTTPException(404, f"no workspace {name!r}")
    try:
        with ctx.jobs.exclusive(name):
            done = delete_workspace(db, name, keys_dir=ctx.keys_dir, uploads_dir=ctx.uploads_dir,
                                    rejects_dir=ctx.rejects_dir, actor=c.user.username)
    except WorkspaceBusy as exc:
        raise HTTPException(409, str(exc)) from None
    ctx.cache.bump(name)
    return done


@admin_router.get("/retention", summary="How long the instance keeps audit-log rows and rejects files")
def get_instance_retention(c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    return instance_settings(db)


@admin_router.put("/retention", summary="Change the audit-log and rejects retention (administrators)")
def put_instance_retention(body: InstanceRetention, c: Caller = Depends(admin),
                           db: Store = Depends(store)) -> dict:
    settings = set_instance_settings(db, audit_days=body.audit_days, rejects_days=body.rejects_days)
    db.audit(c.user.username, None, "settings.retention", " ".join(f"{k}={v}" for k, v in settings.items()))
    return settings


@admin_router.post("/retention/apply", status_code=202,
                   summary="Run the daily retention pass now, as a background job (administrators)")
def apply_instance_retention(c: Caller = Depends(admin), ctx: AppContext = Depends(app_context)) -> dict:
    return ctx.jobs.submit("maintenance", "", c.user.username).to_dict()


@admin_router.get("/jobs/{job_id}", summary="A background job of any workspace or of the instance (administrators)")
def admin_job(job_id: str, c: Caller = Depends(admin), ctx: AppContext = Depends(app_context)) -> dict:
    job = ctx.jobs.find(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job.to_dict()

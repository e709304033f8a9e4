"""Dashboard data: overview, topics, places, trends and the post explorer (all filterable, all audited)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analytics.aggregates import Analytics
from civicpulse.analytics.filters import Filters, matching_sql
from civicpulse.store.base import Store
from civicpulse.web.deps import ANALYST, VIEWER, Access, app_context, store
from civicpulse.web.params import Scope, scope, with_default_period

router = APIRouter(prefix="/api/w/{workspace}", tags=["dashboards"])
Bucket = Literal["hour", "day", "week", "month"]
MAX_PAGE = 100_000  # far past any real explorer session; keeps OFFSET within the database's integers


def _audit(db: Store, s: Scope, action: str) -> None:
    db.audit(s.access.username, s.workspace, action, s.description)


def _cached(request: Request, s: Scope, db: Store, view: tuple, compute: Callable[[Filters], Any]) -> Any:
    """The view's answer for these filters, reused until the workspace's data changes (web/cache.py).

    A text query is matched once per computed answer, into a temporary table its statements share, rather than
    by a regular expression in every statement.
    """
    def run() -> Any:
        found = matching_sql(s.workspace, s.filters.query, db.dialect) if s.filters.query else None
        if found is None:
            return compute(s.filters)
        table = f"matched_{uuid.uuid4().hex[:16]}"
        db.execute(f"CREATE TEMP TABLE {table} AS {found[0]}", found[1])
        try:
            return compute(replace(s.filters, matched=(s.filters.query, table)))
        finally:
            db.execute(f"DROP TABLE IF EXISTS {table}")

    cache = app_context(request).cache
    stored = db.data_version(s.workspace) if cache.max_entries > 0 else 0  # another process's writes count too
    return cache.get(s.workspace, (*view, s.filters), run, stored)


@router.get("/overview", summary="Volume, sentiment, emotions, top topics and places, vs the previous period "
            "(by default the last 7 days against the 7 before)")
def overview(request: Request, s: Scope = Depends(scope), db: Store = Depends(store),
             bucket: Bucket | None = None) -> dict:
    from civicpulse.analytics.overview import overview as build

    _audit(db, s, "view.overview")
    s = with_default_period(s, db)
    found = _cached(request, s, db, ("overview", bucket), lambda f: build(db, s.workspace, f, bucket))
    return {**found, **s.period_info()}


@router.get("/topics", summary="Taxonomy or discovered topics with their trends and representative posts")
def topics(request: Request, s: Scope = Depends(scope), db: Store = Depends(store),
           kind: Literal["taxonomy", "discovered"] = "taxonomy", bucket: Literal["hour", "day", "week"] = "day",
           limit: int = Query(20, ge=1, le=100)) -> list[dict]:
    from civicpulse.analytics.topic_trends import PeriodTooLong, topic_trends

    _audit(db, s, f"view.topics.{kind}")
    s = with_default_period(s, db)  # the change against the previous period needs one: the last 7 days
    try:
        return _cached(request, s, db, ("topics", kind, bucket, limit),
                       lambda f: topic_trends(db, s.workspace, f, bucket=bucket, limit=limit, kind=kind))
    except PeriodTooLong as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/places", summary="Provinces ranked (2025 or pre-2025 units); with `province`, its wards")
def places(request: Request, s: Scope = Depends(scope), db: Store = Depends(store),
           era: Literal["2025", "legacy"] = "2025", province: str | None = None) -> dict:
    _audit(db, s, "view.places")

    def compute(f: Filters) -> dict:
        analytics = Analytics(db, s.workspace)
        if province:
            rows = analytics.wards(f, province, era=era)
            centres = analytics.ward_centres(province, era=era)
            wards = [{**r.to_dict(), **dict(zip(("lat", "lon"), centres.get(r.key, (None, None)), strict=True))}
                     for r in rows]
            return {"era": era, "province": province, "k": analytics.k, "wards": wards, **s.period_info()}
        rows = analytics.provinces(f, era=era)
        return {"era": era, "k": analytics.k, "provinces": [r.to_dict() for r in rows], **s.period_info()}

    return _cached(request, s, db, ("places", era, province), compute)


@router.get("/trends", summary="Unusual volume or sentiment shifts, overall and per topic, place and saved query; "
                               "spikes of one happening grouped into events")
def trends(request: Request, s: Scope = Depends(scope), db: Store = Depends(store),
           bucket: Literal["hour", "day"] = "day", threshold: float = Query(3.0, ge=1.0, le=20.0),
           days: int = Query(90, ge=1, le=366, description="without a period start: judge the last N days of data")
           ) -> dict:
    from civicpulse.services.trends import TrendOptions
    from civicpulse.services.trends import trends as find_trends

    _audit(db, s, "view.trends")
    options = TrendOptions(bucket=bucket, threshold=threshold, days=days)
    return _cached(request, s, db, ("trends", bucket, threshold, days),
                   lambda f: {**find_trends(db, s.workspace, f, options), **s.period_info()})


@router.get("/posts", summary="Post explorer: filtered, paginated posts with labels and explanations")
def posts(request: Request, s: Scope = Depends(scope), db: Store = Depends(store),
          page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(25, ge=1, le=100),
          sort: Literal["newest", "oldest", "most_negative", "most_positive", "engagement"] = "newest") -> dict:
    from civicpulse.analytics.posts import explore

    _audit(db, s, "search.posts" if s.filters.query else "view.posts")
    return _cached(request, s, db, ("posts", page, page_size, sort),
                   lambda f: explore(db, s.workspace, f, page=page, page_size=page_size, sort=sort))


class Correction(BaseModel):
    task: Literal["sentiment", "emotion", "topics"]
    label: str = Field(min_length=1, max_length=400, description="a label; for topics, comma-separated topic ids")


@router.put("/posts/{platform}/{post_id}/labels", summary="Correct a post's label (analysts); feeds retraining")
def correct(platform: str, post_id: str, body: Correction, a: Access = Depends(ANALYST),
            db: Store = Depends(store)) -> dict:
    from civicpulse.services import labels as service

    try:
        return service.correct_label(db, a.workspace, a.username, platform, post_id,
                                     service.Correction(body.task, body.label))
    except service.InvalidLabel as exc:
        raise HTTPException(400, str(exc)) from None
    except service.PostNotFound as exc:
        raise HTTPException(404, str(exc)) from None


class Retrain(BaseModel):
    task: Literal["sentiment", "emotion", "topics"]


@router.post("/models/retrain", status_code=202, summary="Retrain the workspace's model from corrections (analysts)")
def retrain(body: Retrain, a: Access = Depends(ANALYST), ctx=Depends(app_context)) -> dict:
    from civicpulse.runtime.job_handlers import submit_job
    from civicpulse.services.labels import RetrainOptions

    return submit_job(ctx.jobs, "retrain", a.workspace, a.username, RetrainOptions(body.task)).to_dict()


@router.get("/label-queue", summary="Posts to label next: those the workspace's model is least sure of (analysts)")
def label_queue(task: Literal["sentiment", "emotion"] = "sentiment", n: int = Query(20, ge=1, le=100),
                a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    """Not yet labelled posts, most uncertain first (active learning); never an author."""
    from civicpulse.services.labels import posts_to_label

    return {"task": task, "posts": posts_to_label(db, a.workspace, a.username, task, n)}


@router.get("/labels", summary="The label sets: sentiments, emotions and this workspace's topics")
def labels(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> dict:
    from civicpulse.analysis.workspace import get_taxonomy

    taxonomy = get_taxonomy(db, a.workspace)
    return {"sentiments": list(SENTIMENTS), "emotions": list(EMOTIONS),
            "topics": [{"id": t.id, "label_en": t.label_en, "label_vi": t.label_vi or t.label_en}
                       for t in taxonomy.topics]}

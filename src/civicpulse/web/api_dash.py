"""Dashboard data: overview, topics, places, trends and the post explorer (all filterable, all audited)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
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

    return app_context(request).cache.get(s.workspace, (*view, s.filters), run)


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
    from civicpulse.analytics.events import events, topic_label
    from civicpulse.analytics.saved_queries import SavedQueries
    from civicpulse.analytics.topic_trends import taxonomy_for
    from civicpulse.analytics.trends import detect_spikes

    _audit(db, s, "view.trends")

    def compute(f: Filters) -> dict:
        # Every bucket of the chosen period is judged (each against the 14 before it), not just the latest few.
        since = f.start
        if since is None:
            last = db.query("SELECT max(created_at) FROM post_analysis WHERE workspace = ?", [s.workspace])[0][0]
            since = last - timedelta(days=days) if last else None
        spikes = [x.to_dict() for x in detect_spikes(db, s.workspace, f, bucket=bucket, threshold=threshold,
                                                     since=since)]
        for saved in SavedQueries(db).list(s.workspace):
            text = f"({saved.query}) AND ({f.query})" if f.query else saved.query
            for x in detect_spikes(db, s.workspace, replace(f, query=text), bucket=bucket,
                                   dimensions=("all",), threshold=threshold, since=since):
                spikes.append({**x.to_dict(), "dimension": "query", "key": saved.name, "query_id": saved.query_id})
        spikes.sort(key=lambda x: -x["score"])
        # The same happening shows in several series: its spikes grouped into events (analytics/events.py).
        queries = {saved.name: saved.query for saved in SavedQueries(db).list(s.workspace)}
        taxonomy = taxonomy_for(db, s.workspace)
        found = events(db, s.workspace, f, spikes, bucket, queries, taxonomy)
        for spike in spikes:  # cards name topics by their label, never their id
            if spike["dimension"] == "topic":
                spike["key_label"] = {lang: topic_label(taxonomy, spike["key"], lang) for lang in ("en", "vi")}
        return {"bucket": bucket, "since": since.isoformat() if since else None, "spikes": spikes, "events": found,
                **s.period_info()}

    return _cached(request, s, db, ("trends", bucket, threshold, days), compute)


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
    from civicpulse.analysis.workspace import get_taxonomy

    allowed: Any = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}.get(body.task)
    labels = [t.strip() for t in body.label.split(",") if t.strip()]
    if allowed is None:
        allowed = get_taxonomy(db, a.workspace).ids
    bad = [x for x in labels if x not in allowed] or ([] if body.task == "topics" or len(labels) == 1 else labels)
    if bad or not labels:
        raise HTTPException(400, f"{body.task}: {body.label!r} is not valid; choose from {', '.join(allowed)}")
    if not db.query("SELECT 1 FROM posts WHERE workspace = ? AND platform = ? AND post_id = ? AND NOT deleted",
                    [a.workspace, platform, post_id]):
        raise HTTPException(404, f"no post {platform}/{post_id} in {a.workspace}")
    db.execute("DELETE FROM label_corrections WHERE workspace = ? AND platform = ? AND post_id = ? AND task = ?",
               [a.workspace, platform, post_id, body.task])
    db.execute("INSERT INTO label_corrections VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
               [a.workspace, platform, post_id, body.task, ",".join(labels), a.username])
    db.audit(a.username, a.workspace, "label.correct", f"{platform}/{post_id} {body.task}={','.join(labels)}")
    count = db.query("SELECT count(*) FROM label_corrections WHERE workspace = ? AND task = ?",
                     [a.workspace, body.task])[0][0]
    return {"task": body.task, "label": ",".join(labels), "corrections": count}


class Retrain(BaseModel):
    task: Literal["sentiment", "emotion", "topics"]


@router.post("/models/retrain", status_code=202, summary="Retrain the workspace's model from corrections (analysts)")
def retrain(body: Retrain, a: Access = Depends(ANALYST), ctx=Depends(app_context)) -> dict:
    job = ctx.jobs.submit("retrain", a.workspace, a.username, task=body.task)
    return job.to_dict()


@router.get("/label-queue", summary="Posts to label next: those the workspace's model is least sure of (analysts)")
def label_queue(task: Literal["sentiment", "emotion"] = "sentiment", n: int = Query(20, ge=1, le=100),
                a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    """Not yet labelled posts, most uncertain first (active learning); never an author."""
    from civicpulse.analytics.label_queue import label_queue as queue

    db.audit(a.username, a.workspace, "view.label_queue", f"task={task} n={n}")
    return {"task": task, "posts": queue(db, a.workspace, task, n)}


@router.get("/labels", summary="The label sets: sentiments, emotions and this workspace's topics")
def labels(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> dict:
    from civicpulse.analysis.workspace import get_taxonomy

    taxonomy = get_taxonomy(db, a.workspace)
    return {"sentiments": list(SENTIMENTS), "emotions": list(EMOTIONS),
            "topics": [{"id": t.id, "label_en": t.label_en, "label_vi": t.label_vi or t.label_en}
                       for t in taxonomy.topics]}

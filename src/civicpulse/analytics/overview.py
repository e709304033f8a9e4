"""The Overview: one JSON-safe dict with the period's key figures, their change and the main breakdowns.

It feeds the Overview dashboard and every report. Breakdowns come from `Analytics`; the totals are computed
here, through the same `filters.where` clause, so they obey workspace isolation and k-author suppression alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.aggregates import BUCKETS, Analytics, Row
from civicpulse.analytics.day_source import groups as day_groups
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.localtime import to_local
from civicpulse.analytics.privacy import publish_authors
from civicpulse.analytics.rollup_source import AUTHORS, MEAN, POSTS, cells, label_posts
from civicpulse.analytics.timeline import choose_bucket, dense
from civicpulse.store.base import Store

TOP_N = 10
_TOTAL_FIGURES = ("posts", "authors", *(f"{s}_share" for s in SENTIMENTS), "net", "mean_score")


def data_period(store: Store, workspace: str, f: Filters) -> tuple[datetime, datetime] | None:
    """The period a filter means: its own bounds, an open bound closed by the matching data's first/last post.

    The end is exclusive, so an end taken from the data lies just after the last post (next whole second).
    """
    if f.start and f.end:
        return f.start, f.end
    clause, params = where(workspace, f, store.dialect)
    first, last = store.query(f"SELECT min(a.created_at), max(a.created_at) {FROM} WHERE {clause}", params)[0]
    start = f.start or first
    end = f.end or (last.replace(microsecond=0) + timedelta(seconds=1) if last else None)
    if start is None and end is None:
        return None
    # One bound given, no data on the other side of it: a one-day period keeps the report well-formed.
    start = start or end - timedelta(days=1)
    end = end if end and end > start else start + timedelta(days=1)
    return start, end


def totals(store: Store, workspace: str, f: Filters, k: int, split: datetime | None = None,
           tz: str = "UTC") -> list[dict[str, Any]]:
    """Posts, authors (coarsened), sentiment shares, net sentiment and mean score; all None under k authors.

    With `split`, one scan answers two periods, f.start..split and split..f.end: [current, previous]; else [current].
    From the rollups where they can answer `f` (`tz`: the workspace's zone).
    """
    side_params = [split] if split else []
    days = day_groups(store, workspace, f, tz, "all", k, split=split)
    source = cells(store, workspace, f, tz, points=(split,) if split else ()) if days is None else None
    if days is not None:
        rows = [(g.current, g.posts, g.authors, *(getattr(g, s) for s in SENTIMENTS), g.mean) for g in days]
    elif source is not None:
        counts = ", ".join(label_posts(s) for s in SENTIMENTS)
        rows = store.query(f"SELECT {'c.t >= ?' if split else 'TRUE'} AS current, {POSTS}, {AUTHORS}, {counts}, "
                           f"{MEAN} FROM {source.sql} GROUP BY 1", [*side_params, *source.params])
    else:
        clause, params = where(workspace, f, store.dialect)
        counts = ", ".join(f"count(*) FILTER (WHERE a.sentiment = '{s}')" for s in SENTIMENTS)
        rows = store.query(f"SELECT {'a.created_at >= ?' if split else 'TRUE'} AS current, count(*), "
                           f"count(DISTINCT a.author_id), {counts}, avg(a.sentiment_score) {FROM} WHERE {clause} "
                           "GROUP BY 1", [*side_params, *params])
    found = {current: _figures(rest, k) for current, *rest in rows}
    return [found.get(True, _suppressed()), *([found.get(False, _suppressed())] if split else [])]


def _suppressed() -> dict[str, Any]:
    return {**dict.fromkeys(_TOTAL_FIGURES), "suppressed": True}


def _figures(row: list[Any], k: int) -> dict[str, Any]:
    posts, authors, *by_label, mean = row
    if authors < k:
        return _suppressed()
    by = dict(zip(SENTIMENTS, by_label, strict=True))
    labelled = sum(by.values())
    shares = {f"{s}_share": round(by[s] / labelled, 4) if labelled else None for s in SENTIMENTS}
    net = round((by["positive"] - by["negative"]) / labelled, 4) if labelled else None
    return {"posts": posts, "authors": publish_authors(authors, k), **shares, "net": net,
            "mean_score": round(mean, 4) if mean is not None else None, "suppressed": False}


def change(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Posts in % of the previous period; net sentiment and shares in percentage points; mean score as a delta."""
    def delta(name: str, scale: float) -> float | None:
        now, before = current.get(name), previous.get(name)
        return None if now is None or before is None else round((now - before) * scale, 2)

    posts_now, posts_before = current.get("posts"), previous.get("posts")
    posts_pct = (round((posts_now - posts_before) / posts_before * 100, 2)
                 if posts_now is not None and posts_before else None)
    return {"posts_pct": posts_pct, "net_points": delta("net", 100),
            **{f"{s}_share_points": delta(f"{s}_share", 100) for s in SENTIMENTS},
            "mean_score": delta("mean_score", 1)}


def overview(store: Store, workspace: str, f: Filters, bucket: str | None = None) -> dict[str, Any]:
    """Key figures for the period of `f` (or the data's own span) with the previous period of equal length.

    Times in the answer are local to the workspace's `timezone`: the period, and the volume buckets, which are
    dense (an empty bucket is 0 posts with no shares), for this period and, `aligned` onto it, the previous one.
    Without a `bucket`, the unit is chosen and widened until most buckets can be shown (`bucket_choice`).
    """
    if bucket is not None and bucket not in BUCKETS:
        raise ValueError(f"unknown time bucket {bucket!r}; choose from {', '.join(BUCKETS)}")
    analytics = Analytics(store, workspace)
    tz = analytics.timezone
    period = data_period(store, workspace, f)
    if period is None:  # nothing in the workspace matches: an empty, well-formed overview
        empty = _suppressed()
        return {"workspace": workspace, "k": analytics.k, "timezone": tz, "period": {"start": None, "end": None},
                "bucket": bucket or "day", "bucket_choice": {"auto": bucket is None, "widened_from": None},
                "totals": empty, "previous": {"period": {"start": None, "end": None}, "totals": empty, "volume": []},
                "change": change(empty, empty), "volume": [], "emotions": [], "topics": [], "places": []}
    start, end = period
    current_f = replace(f, start=start, end=end)
    previous_f = replace(f, start=start - (end - start), end=start)
    auto = bucket is None
    if bucket is None:
        bucket, volume, widened_from = choose_bucket(analytics, current_f, start, end)
    else:
        volume, widened_from = analytics.volume(current_f, bucket), None
    if f.start:  # one scan over both periods
        now, before = totals(store, workspace, replace(f, start=previous_f.start, end=end), analytics.k, split=start,
                             tz=tz)
        previous_volume = analytics.volume(previous_f, bucket)
    else:  # the period starts at the first matching post: nothing matches before it, the previous period is empty
        now, before = totals(store, workspace, current_f, analytics.k, tz=tz)[0], _suppressed()
        previous_volume = []
    local = {name: to_local(t, tz) for name, t in (("start", start), ("end", end),
                                                   ("previous_start", previous_f.start))}
    shift = local["start"] - local["previous_start"]
    previous_rows = dense(previous_volume, local["previous_start"], local["start"], bucket) if f.start else []
    return {
        "workspace": workspace,
        "k": analytics.k,
        "timezone": tz,
        "period": _period_dict(local["start"], local["end"]),
        "bucket": bucket,
        "bucket_choice": {"auto": auto, "widened_from": widened_from},
        "totals": now,
        "previous": {"period": _period_dict(local["previous_start"], local["start"]), "totals": before,
                     "volume": [{**row, "aligned": _json_safe(_aligned(row["key"], shift))} for row in previous_rows]},
        "change": change(now, before),
        "volume": dense(volume, local["start"], local["end"], bucket),
        "emotions": _dicts(analytics.emotions(current_f)),
        "topics": _dicts(analytics.topics(current_f, limit=TOP_N)),
        "places": _dicts(analytics.provinces(current_f, limit=TOP_N, era="2025")),
    }


def _period_dict(start: datetime | None, end: datetime | None) -> dict[str, str | None]:
    return {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None}


def _dicts(rows: list[Row]) -> list[dict[str, Any]]:
    return [{name: _json_safe(value) for name, value in row.to_dict().items()} for row in rows]


def _json_safe(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _aligned(key: str, shift: timedelta) -> datetime:
    """A previous-period bucket moved onto the current period's axis (the same offset into the period)."""
    return datetime.fromisoformat(key) + shift

"""Time series for charts: the time unit a period is shown in, and dense series with the empty buckets in.

Widening (docs/privacy.md, "Choosing the time unit"): a bucket resting on fewer than k authors is hidden, so a
narrow filter shown by the hour is mostly hidden. Without an explicit unit, the unit widens (hour -> day -> week ->
month) until at least PASSING of the non-empty buckets can be shown. The choice reads only what the chart of each
candidate unit publishes (which buckets have posts and which are hidden), never an author count itself: anyone may
ask for each unit explicitly and see the same, so choosing among them tells nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.aggregates import BUCKETS, Analytics, Row
from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import bucket_starts

PASSING = 0.8  # share of the non-empty buckets that must be shown before the unit stops widening
MIN_BUCKETS = 2  # a unit is only a candidate while the period holds at least this many of its buckets
MAX_DENSE = 10_000  # past this many buckets a series is left sparse (an hourly series over decades)
_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1),
           "month": timedelta(days=30)}


def auto_bucket(start: datetime, end: datetime) -> str:
    """Hourly for a few days, daily up to four months, weekly up to two years, monthly beyond."""
    length = end - start
    if length <= timedelta(days=3):
        return "hour"
    if length <= timedelta(days=120):
        return "day"
    return "week" if length <= timedelta(days=730) else "month"


def choose_bucket(analytics: Analytics, f: Filters, start: datetime,
                  end: datetime) -> tuple[str, list[Row], str | None]:
    """(unit, its volume rows, the unit it was widened from or None): the automatic unit, widened while fewer than
    PASSING of the non-empty buckets pass the author threshold and the period holds MIN_BUCKETS of the next unit."""
    first = auto_bucket(start, end)
    bucket, rows = first, analytics.volume(f, first)
    for wider in BUCKETS[BUCKETS.index(first) + 1:]:
        if not rows or shown_share(rows) >= PASSING or (end - start) / _LENGTH[wider] < MIN_BUCKETS:
            break
        bucket, rows = wider, analytics.volume(f, wider)
    return bucket, rows, (first if bucket != first else None)


def shown_share(rows: list[Row]) -> float:
    """Share of the (non-empty) rows that are not suppressed."""
    return sum(not r.suppressed for r in rows) / len(rows) if rows else 1.0


def dense(rows: list[Row], start: datetime, end: datetime, bucket: str) -> list[dict[str, Any]]:
    """Every local bucket of [start, end) in order, as dicts: an empty bucket is 0 posts, no shares.

    A bucket without posts has no authors behind it to protect; showing it as 0 rather than leaving it out says
    nothing the missing row did not (the API always left empty buckets out), but charts no longer draw a line
    through a month without posts. Shares of an empty bucket are null: there is no share of nothing. A period
    without any row stays empty.
    """
    if not rows:  # nothing at all in the period: no series (charts say "no data"), not a flat line of zeros
        return []
    found = {r.key: r.to_dict() for r in rows}
    starts = set(bucket_starts(start, end, bucket)) if (end - start) / _LENGTH[bucket] <= MAX_DENSE else set()
    return [_json_safe(found.get(k) or _empty(k)) for k in sorted(starts | set(found))]


def _empty(key: datetime) -> dict[str, Any]:
    # authors: None like every author count under k (privacy.publish_authors); posts: a true 0.
    return {"key": key, "posts": 0, "authors": None, **dict.fromkeys(SENTIMENTS, 0),
            **{f"{s}_share": None for s in SENTIMENTS}, "net": None, "mean_score": None, "suppressed": False}


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (datetime, date)) else v for k, v in row.items()}

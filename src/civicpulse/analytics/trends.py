"""Spikes: buckets whose volume or negative share stands out from their own recent history.

Method (docs/trends.md has the reasoning): for each series (all posts, each topic, each 2025 province) the posts
per bucket are counted with one SQL aggregate, empty buckets count 0, and each recent bucket is compared with a
baseline of `baseline` earlier buckets (day buckets: the previous days; hour buckets: the same hour of the previous
days, so the daily cycle is not mistaken for a spike).
- volume: robust z = (observed - median) / max(1.4826 * MAD, sqrt(median), 1). Median and MAD ignore earlier
  spikes in the baseline; the Poisson floor sqrt(median) stops a near-constant series from flagging +2 posts.
- negative_share: two-proportion z-test of the bucket's negative share against the pooled baseline share, so a
  bucket of few posts needs a much larger shift to count.
A bucket is judged only with `min_posts` posts, enough known history (buckets before the workspace's first post are
unknown, not zero) and at least k distinct authors (privacy: nothing resting on fewer is ever reported).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.day_source import groups as day_groups
from civicpulse.analytics.explain_spike import Context, explain_all
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.localtime import bucket_sql, timezone_for, to_local, to_utc, truncate
from civicpulse.analytics.privacy import k_for, publish_authors
from civicpulse.analytics.rollup_source import cells as rollup_cells
from civicpulse.analytics.topic_trends import data_span, taxonomy_for
from civicpulse.store.base import Store

STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
# Baseline stride: hours are compared with the same hour on earlier days (the daily cycle is strong).
STRIDES = {"hour": timedelta(days=1), "day": timedelta(days=1)}
RECENT = {"hour": 24, "day": 3}  # buckets judged when no `since` is given: the latest day / the latest 3 days
MIN_HISTORY = 7  # baseline buckets of known history a bucket needs before it can be judged
EXPLAINED = 10  # spikes explained with drivers and example posts (the best-scored); the rest with their figures
DIMENSIONS = ("all", "topic", "place")
_CELLS = {"all": "all", "topic": "topics", "place": "places_2025"}  # the rollup of each series' dimension
METRICS = ("volume", "negative_share")
_SERIES = {  # key column, join, whether a post can join twice (a ward and its province name the same province)
    "all": ("CAST(NULL AS TEXT)", "", False),
    "topic": ("t.topic", "JOIN post_topics t ON t.post_key = a.post_key", False),
    "place": ("pl.province_2025", "JOIN post_places pl ON pl.post_key = a.post_key AND pl.province_2025 IS NOT NULL",
              True),
}


@dataclass
class Spike:
    metric: str  # "volume" | "negative_share"
    dimension: str  # "all" | "topic" | "place"
    key: str | None  # topic id / 2025 province name; None for "all"
    bucket_start: datetime  # local wall-clock time of the workspace's zone
    bucket: str  # "hour" | "day"
    observed: float  # posts, or negative share
    expected: float  # baseline median posts, or baseline negative share
    score: float  # robust z (volume) or two-proportion z (negative_share)
    posts: int
    authors: int | None  # as published (coarsened, `privacy.publish_authors`); never None for a spike
    explanation: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "dimension": self.dimension, "key": self.key,
                "bucket_start": self.bucket_start.isoformat(), "bucket": self.bucket, "timezone": self.timezone,
                "observed": round(self.observed, 4), "expected": round(self.expected, 4),
                "score": round(self.score, 2), "posts": self.posts, "authors": self.authors,
                "explanation": self.explanation}


@dataclass(frozen=True)
class _Cell:
    posts: int = 0
    authors: int = 0
    negative: int = 0
    negative_authors: int = 0
    neutral: int = 0
    positive: int = 0


def detect_spikes(store: Store, workspace: str, f: Filters, *, bucket: str = "day",
                  dimensions: tuple[str, ...] = DIMENSIONS, baseline: int = 14, threshold: float = 3.0,
                  min_posts: int = 20, since: datetime | None = None, k: int | None = None,
                  limit: int = 50, explain: int | None = EXPLAINED) -> list[Spike]:
    """Spikes in the buckets from `since` (default: the latest few) to the end of the data, best first, explained.

    Buckets before `f.start` may serve as baseline; only buckets inside the filtered period are judged. The best
    `explain` spikes (all when None) are explained with drivers and example posts, the others with the summary,
    posts and sentiment mix detection itself measured (`explain_spike.explain_all`).
    """
    if bucket not in STEPS:
        raise ValueError(f"unknown spike bucket {bucket!r}; choose from {', '.join(STEPS)}")
    unknown = set(dimensions) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown spike dimension(s) {', '.join(sorted(unknown))}; choose from "
                         f"{', '.join(DIMENSIONS)}")
    if baseline < MIN_HISTORY:
        raise ValueError(f"a baseline needs at least {MIN_HISTORY} buckets (asked: {baseline})")
    k = k if k is not None else k_for(store, workspace)
    tz = timezone_for(store, workspace)
    span = data_span(store, workspace, end=f.end)
    if span is None:
        return []
    step, stride = STEPS[bucket], STRIDES[bucket]
    # Buckets are local hours and days; `first`, `last` and `first_known` are local wall-clock bucket starts.
    first_known, last = (_trunc(t, bucket, tz) for t in span)
    first = _trunc(since, bucket, tz) if since else last - (RECENT[bucket] - 1) * step
    if f.start:
        first = max(first, _trunc(f.start, bucket, tz))
    first = max(first, first_known)  # nothing before the first post can be judged: no history (nor any post)
    window = replace(f, start=to_utc(max(first - baseline * stride, first_known), tz))
    spikes, series = [], {}
    for dimension in dimensions:
        series[dimension] = _series(store, workspace, window, dimension, bucket, tz, k)
        for key, cells in series[dimension].items():
            t = first
            while t <= last:
                history = [t - i * stride for i in range(1, baseline + 1) if t - i * stride >= first_known]
                if len(history) >= MIN_HISTORY:
                    cell, base = cells.get(t, _Cell()), [cells.get(h, _Cell()) for h in history]
                    spikes += _judge(dimension, key, t, bucket, cell, base, threshold, min_posts, k, tz)
                t += step
    spikes.sort(key=lambda s: (-s.score, s.bucket_start, s.metric, s.dimension, s.key or ""))
    spikes = spikes[:limit]
    if spikes:
        context = Context(store, workspace, f, bucket, step, timedelta(days=baseline), first_known, k,
                          taxonomy_for(store, workspace), tz)
        explain_all(context, spikes, series, explain)
    return spikes


def _judge(dimension: str, key: str | None, t: datetime, bucket: str, cell: _Cell, base: list[_Cell],
           threshold: float, min_posts: int, k: int, tz: str) -> list[Spike]:
    if cell.posts < min_posts or cell.authors < k:  # too small to judge, or too few people to report on
        return []
    found: list[Spike] = []
    authors = publish_authors(cell.authors, k)  # the count a spike shows; cell.authors (exact) stays here
    counts = [b.posts for b in base]
    expected = statistics.median(counts)
    mad = statistics.median(abs(c - expected) for c in counts)
    score = (cell.posts - expected) / max(1.4826 * mad, math.sqrt(expected), 1.0)
    if score >= threshold:
        found.append(Spike("volume", dimension, key, t, bucket, cell.posts, expected, score, cell.posts, authors,
                           timezone=tz))
    base_posts, base_negative = sum(counts), sum(b.negative for b in base)
    # The negatives themselves must come from k authors too: a share moved by a handful of people is not shown.
    if base_posts >= min_posts and cell.negative_authors >= k:
        share, usual = cell.negative / cell.posts, base_negative / base_posts
        pooled = (cell.negative + base_negative) / (cell.posts + base_posts)
        se = math.sqrt(pooled * (1 - pooled) * (1 / cell.posts + 1 / base_posts))
        z = (share - usual) / se if se else 0.0
        if z >= threshold:
            found.append(Spike("negative_share", dimension, key, t, bucket, share, usual, z, cell.posts, authors,
                               timezone=tz))
    return found


def _series(store: Store, workspace: str, f: Filters, dimension: str, bucket: str, tz: str,
            k: int) -> dict[str | None, dict[datetime, _Cell]]:
    """Counts per (key, bucket) in one query: posts, authors, negative posts and their authors, neutral, positive.

    Two stages (per author, then per bucket) instead of two count(DISTINCT ...): one hash aggregate, not three.
    From the day rollups (day buckets), else the hourly ones, where they can answer `f`.
    """
    if bucket == "day":  # every bucket is one local day: its cell's own exact counts
        days = day_groups(store, workspace, f, tz, _CELLS[dimension], k, bucket="day")
        if days is not None:
            return _cells([(None if dimension == "all" else g.key, g.bucket, g.posts, g.authors, g.negative,
                            g.negative_authors, g.neutral, g.positive) for g in days])
    source = rollup_cells(store, workspace, f, tz, _CELLS[dimension])
    if source is not None:  # the same two stages over cells
        labels = ", ".join(f"sum(c.posts) FILTER (WHERE c.sentiment = '{s}') AS {s}" for s in SENTIMENTS)
        per_author = (f"SELECT c.dim_key AS key, {bucket_sql(bucket, 'c.hour_utc', tz)} AS b, c.author_id, "
                      f"sum(c.posts) AS n, {labels} FROM {source.sql} GROUP BY 1, 2, 3")
        rows = store.query("SELECT key, b, sum(n), count(author_id), coalesce(sum(negative), 0), count(author_id) "
                           "FILTER (WHERE negative > 0), coalesce(sum(neutral), 0), coalesce(sum(positive), 0) "
                           f"FROM ({per_author}) s GROUP BY key, b", source.params)
        return _cells(rows)
    key, join, repeats = _SERIES[dimension]
    clause, params = where(workspace, f, store.dialect)
    # Deduplicating the joined rows of the window costs less than deduplicating every place row first.
    inner = (f"SELECT {'DISTINCT ' if repeats else ''}{key} AS key, {bucket_sql(bucket, 'a.created_at', tz)} AS b, "
             f"a.post_key, a.author_id, a.sentiment {FROM} {join} WHERE {clause}")
    labels = ", ".join(f"count(*) FILTER (WHERE sentiment = '{s}') AS {s}" for s in SENTIMENTS)
    per_author = f"SELECT key, b, author_id, count(*) AS n, {labels} FROM ({inner}) d GROUP BY key, b, author_id"
    rows = store.query(
        "SELECT key, b, sum(n), count(author_id), sum(negative), count(author_id) FILTER (WHERE negative > 0), "
        f"sum(neutral), sum(positive) FROM ({per_author}) s GROUP BY key, b", params)
    return _cells(rows)


def _cells(rows: list[tuple]) -> dict[str | None, dict[datetime, _Cell]]:
    out: dict[str | None, dict[datetime, _Cell]] = {}
    for key_value, b, *numbers in rows:
        out.setdefault(key_value, {})[b] = _Cell(*(int(n) for n in numbers))
    return out


def _trunc(t: datetime, bucket: str, tz: str) -> datetime:
    """The local bucket start holding naive-UTC `t`."""
    return truncate(to_local(t, tz), bucket)

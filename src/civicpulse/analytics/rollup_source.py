"""When dashboards read the rollups (store/rollups_sql.py), and the cells a filter stands for.

A filter the rollups can answer (time, platform, language, sentiment, and one topic or one province; no text query)
in a time zone whose offsets are whole hours becomes `cells`: the rollup cells of the whole UTC hours of its period,
plus, for an hour that a bound (or a split point) cuts, that hour's posts read raw as one-post cells. Every view
then aggregates cells as it would aggregate posts: posts are sum(posts), distinct authors count(DISTINCT author_id)
over the very same author ids, so figures and k-suppression decisions are those of the raw scan.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.filters import Filters
from civicpulse.store.base import Store
from civicpulse.store.rollups_sql import CELL_COLUMNS, ROLLUP_TABLES, post_rows_sql

# "off": raw scans only (a comparison, a benchmark of the raw path, a store whose rollups are suspect).
SWITCH = "CIVICPULSE_ROLLUPS"
_HOUR = timedelta(hours=1)

# Aggregates over cells `c`, named like the raw scans' figures.
POSTS = "CAST(sum(c.posts) AS BIGINT)"
AUTHORS = "count(DISTINCT c.author_id)"
MEAN = "sum(c.score_sum) / CAST(NULLIF(sum(c.score_n), 0) AS DOUBLE PRECISION)"


def label_posts(sentiment: str, column: str = "c.posts") -> str:
    """Posts of one sentiment (a known label: SENTIMENTS), 0 rather than NULL when there are none."""
    if sentiment not in SENTIMENTS:
        raise ValueError(f"unknown sentiment {sentiment!r}")
    return f"CAST(coalesce(sum({column}) FILTER (WHERE c.sentiment = '{sentiment}'), 0) AS BIGINT)"


@dataclass(frozen=True)
class Cells:
    """A derived table `(...) c` with CELL_COLUMNS plus `t` (an hour cell's hour, a raw post's exact time)."""

    sql: str
    params: list[Any]


def cells(store: Store, workspace: str, f: Filters, tz: str, dimension: str = "all",
          points: tuple[datetime, ...] = ()) -> Cells | None:
    """The cells standing for the posts `f` selects (per topic / place for those dimensions), or None when the
    rollups cannot answer `f` and the caller scans raw. `points`: times the caller splits at (`c.t >= point`)."""
    narrowed = _narrowed(dimension, f)
    if narrowed is None or not answerable(store, f, tz):
        return None
    dimension, key = narrowed
    edges = sorted({_floor(p) for p in (f.start, f.end, *points) if p is not None and _floor(p) != p})
    rollup, params = ["workspace = ?"], [workspace]
    if f.start:
        rollup.append("hour_utc >= ?")
        params.append(_floor(f.start))
    if f.end:
        rollup.append("hour_utc < ?")
        params.append(f.end)
    # The cut hours: out of the rollup, read raw as plain time ranges (which scans narrow down).
    rollup += ["hour_utc <> ?"] * len(edges)
    params += edges
    ranges = [(max(h, f.start or h), min(h + _HOUR, f.end or h + _HOUR)) for h in edges]
    columns = ", ".join(CELL_COLUMNS).replace("hour_utc", "hour_utc, hour_utc AS t", 1)
    sql = f"SELECT {columns} FROM {ROLLUP_TABLES[dimension]} WHERE {' AND '.join(rollup)}"
    if ranges:
        within = " OR ".join(["(a.created_at >= ? AND a.created_at < ?)"] * len(ranges))
        sql += f" UNION ALL {post_rows_sql(dimension, f'({within})')}"
        params += [workspace, *(t for pair in ranges for t in pair)]
    kept = []
    if key is not None:
        kept.append("dim_key = ?")
        params.append(key)
    for column, values in (("platform", f.platforms), ("language", f.languages), ("sentiment", f.sentiments)):
        if values:
            kept.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    return Cells(f"(SELECT * FROM ({sql}) u{' WHERE ' + ' AND '.join(kept) if kept else ''}) c", params)


def _narrowed(dimension: str, f: Filters) -> tuple[str, str | None] | None:
    """The rollup holding the posts of `f`'s topic or province condition, and its key: a post has one cell per
    topic (province) in those rollups, so one topic (province) selects each of its posts once there. Several, or a
    condition beside a grouping by topics or places, would count a post twice: None (scan raw)."""
    if not f.topics and not f.provinces:
        return dimension, None
    if dimension != "all" or len(f.topics) + len(f.provinces) != 1:
        return None
    return ("topics", f.topics[0]) if f.topics else ("places_2025", f.provinces[0])


def answerable(store: Store, f: Filters, tz: str) -> bool:
    """Whether rollups can hold `f`'s posts: no condition on a post's text (that needs the posts), hour cells that
    are whole local hours, and rollups that hold every workspace's cells. (Topic and place conditions: `cells`.)"""
    if os.environ.get(SWITCH, "").lower() == "off" or f.query:
        return False
    return whole_hour_zone(tz) and store.rollups_ready()


@lru_cache(maxsize=64)
def whole_hour_zone(tz: str) -> bool:
    """Whether every offset of the zone (half-monthly from 1970 to 2100, as localtime.fixed_offset samples) is a
    whole number of hours: then a UTC hour lies within one local hour, day, week and month. India (+5:30), Nepal
    (+5:45) or South Australia (+9:30) are not: their dashboards scan raw."""
    zone = ZoneInfo(tz)
    offsets = {datetime(year, month, day, tzinfo=zone).utcoffset()
               for year in range(1970, 2101) for month in range(1, 13) for day in (1, 15)}
    return all(o is not None and o.total_seconds() % 3600 == 0 for o in offsets)


def _floor(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)

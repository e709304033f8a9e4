"""Dashboard figures from the day rollups (store/day_rollups_sql.py): whole clean local days from day cells, the
rest of the period (cut days, dirty days, days not summarised yet) from the hourly cells (rollup_source.py).

A group's posts, sentiment counts and score sums are exact sums. Its distinct authors are exact when no day cell
of the group left ids out of its sketch (then every author id is there), or when the group is one whole day (its
cell's own count); otherwise they are a theta-sketch estimate (about 6% off at SKETCH_SIZE 256), `estimated`. Such
a group has at least SKETCH_SIZE authors, so suppression under k <= SKETCH_SIZE is the raw scan's decision.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import bucket_sql, timezone_for, to_local, to_utc
from civicpulse.analytics.rollup_source import answerable, cells, whole_hour_zone
from civicpulse.store import day_rollups_sql as days_sql
from civicpulse.store.base import Store

_SPAN = 2.0 ** 63  # author ids are uniform over [0, 2^63)
NO_BUCKET = datetime(2000, 1, 1)  # the one bucket of an answer without time buckets (group columns are never NULL)
_DAY = timedelta(days=1)
EMPTY_KEY = "''"  # the key of the `all` dimension's one group


@dataclass(frozen=True)
class Group:
    key: str
    current: bool  # with a split: at or after it
    bucket: datetime  # local bucket start, NO_BUCKET without buckets
    posts: int
    positive: int
    neutral: int
    negative: int
    score_sum: float | None
    score_n: int
    authors: int
    estimated: bool = False
    negative_authors: int | None = None  # exact for one whole day or hourly cells only (None for unions of days)

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.score_n if self.score_n else None


def compact(store: Store, workspace: str, full: bool = False) -> int:
    """Summarise the workspace's dirty (or, `full`, all) days in its time zone; days summarised. A zone whose
    offsets are not whole hours has no day cells (its dashboards scan raw)."""
    tz = timezone_for(store, workspace)
    if not whole_hour_zone(tz) or not store.rollups_ready():
        return 0
    return store.compact_day_rollups(workspace, tz, bucket_sql("day", "c.hour_utc", tz), full=full)


def groups(store: Store, workspace: str, f: Filters, tz: str, dimension: str, k: int, *,
           split: datetime | None = None, bucket: str | None = None, key_sql: str | None = None) -> list[Group] | None:
    """Figures per (key, side of `split`, local `bucket` of day/week/month) of the posts `f` selects, or None when
    day cells cannot answer (then the caller reads hourly cells or scans raw): `f` may have no condition besides
    time, k must be at most SKETCH_SIZE, and `f`'s period must hold a clean whole day. Without any bound, posts
    without a time count too (as the raw scan counts them): then there is no split and no bucket.

    `key_sql`: the group key as SQL over a TEXT column `key` (discovered topics as curated); default the key."""
    unbounded = f.start is None and f.end is None
    if (f.platforms or f.languages or f.sentiments or f.topics or f.provinces or k > days_sql.SKETCH_SIZE
            or bucket not in (None, "day", "week", "month") or not answerable(store, f, tz)
            or (unbounded and (split or bucket))):
        return None
    clean = _clean_days(store, workspace, f, tz, split)
    if not clean:
        return None
    table, hourly_key = days_sql.DIMENSIONS[dimension]
    key = key_sql or "key"
    group = (f"{bucket_sql(bucket, 'c.hour_utc', tz) if bucket else '?'}", f"{'c.t >= ?' if split else 'TRUE'}")
    day_group = (f"date_trunc('{bucket}', d.day)" if bucket else "?", "d.day >= ?" if split else "TRUE")
    split_local = to_local(split, tz) if split else None

    def group_params(local: bool) -> list[Any]:
        return [*([] if bucket else [NO_BUCKET]), *([split_local if local else split] if split else [])]

    parts, params = [], []
    labels = ", ".join(f"CASE WHEN c.sentiment = '{s}' THEN c.posts ELSE 0 END AS {s}" for s in
                       ("positive", "neutral", "negative"))

    def hourly(source_sql: str, where: str) -> str:
        return (f"SELECT {hourly_key or EMPTY_KEY} AS key, {group[0]} AS b, {group[1]} AS cur, c.posts, {labels}, "
                "c.score_sum, c.score_n, c.author_id, CAST(NULL AS BIGINT) AS theta, 0 AS day_authors, "
                "0 AS day_negative_authors, CASE WHEN c.sentiment = 'negative' THEN c.author_id END AS "
                f"negative_author, 0 AS day_cells, 1 AS hourly FROM {source_sql} WHERE {where}"
                + (f" AND {hourly_key} IS NOT NULL" if hourly_key else ""))

    for lo, hi in _gaps(f, clean, tz):
        source = cells(store, workspace, replace(f, start=lo, end=hi), tz, "all" if table == "rollup_all" else
                       dimension, points=(split,) if split else ())
        if source is None:
            return None
        parts.append(hourly(source.sql, "TRUE"))
        params += [*group_params(False), *source.params]
    if unbounded:  # posts without a time: their hourly cell (no split, no bucket here)
        parts.append(hourly(f"{table} c", "c.workspace = ? AND c.hour_utc IS NULL"))
        params += [*group_params(False), workspace]
    days = "d.workspace = ? AND d.dimension = ? AND d.day IN (SELECT unnest(CAST(? AS TIMESTAMP[])))"
    parts.append(f"SELECT d.dim_key AS key, {day_group[0]} AS b, {day_group[1]} AS cur, d.posts, d.positive, "
                 "d.neutral, d.negative, d.score_sum, d.score_n, CAST(NULL AS BIGINT) AS author_id, d.theta, "
                 "d.authors AS day_authors, d.negative_authors AS day_negative_authors, "
                 "CAST(NULL AS BIGINT) AS negative_author, 1 AS day_cells, 0 AS hourly "
                 f"FROM rollup_days d WHERE {days}")
    parts.append(f"SELECT d.dim_key AS key, {day_group[0]} AS b, {day_group[1]} AS cur, 0, 0, 0, 0, "
                 "CAST(NULL AS DOUBLE PRECISION), 0, d.author_id, CAST(NULL AS BIGINT), 0, 0, CAST(NULL AS BIGINT), "
                 "0, 0 "
                 f"FROM rollup_day_ids d WHERE {days}")
    clean_list = sorted(clean)
    params += [*group_params(True), workspace, dimension, clean_list] * 2
    rows = (f"SELECT {key} AS g, u.b, u.cur, u.posts, u.positive, u.neutral, u.negative, u.score_sum, u.score_n, "
            "u.author_id, u.theta, u.day_authors, u.day_negative_authors, u.negative_author, u.day_cells, u.hourly "
            f"FROM ({' UNION ALL '.join(parts)}) u")
    # Figures and theta per group, then each group's distinct author ids (those <= theta counted apart).
    sql = (f"WITH r AS ({rows}), t AS (SELECT g, b, cur, sum(posts) AS posts, sum(positive) AS positive, "
           "sum(neutral) AS neutral, sum(negative) AS negative, sum(score_sum) AS score_sum, sum(score_n) AS score_n, "
           "min(theta) AS theta, sum(day_cells) AS day_cells, sum(hourly) AS hourly, max(day_authors) AS day_authors, "
           "max(day_negative_authors) AS day_negative_authors, count(DISTINCT negative_author) AS negative_authors "
           "FROM r WHERE g IS NOT NULL GROUP BY g, b, cur), "
           "a AS (SELECT DISTINCT g, b, cur, author_id FROM r WHERE g IS NOT NULL AND author_id IS NOT NULL), "
           "n AS (SELECT a.g, a.b, a.cur, count(*) AS ids, count(*) FILTER (WHERE a.author_id <= t.theta) AS sampled "
           "FROM a JOIN t ON t.g = a.g AND t.b = a.b AND t.cur = a.cur GROUP BY a.g, a.b, a.cur) "
           "SELECT t.g, t.cur, t.b, t.posts, t.positive, t.neutral, t.negative, t.score_sum, t.score_n, "
           "coalesce(n.ids, 0), coalesce(n.sampled, 0), t.theta, t.day_cells, t.hourly, t.day_authors, "
           "t.day_negative_authors, t.negative_authors "
           "FROM t LEFT JOIN n ON n.g = t.g AND n.b = t.b AND n.cur = t.cur")
    out = []
    for (g, cur, b, posts, pos, neu, neg, score_sum, score_n, ids, sampled, theta, day_cells, hourly, day_authors,
         day_negative_authors, negative_authors) in store.query(sql, params):
        negative = (int(day_negative_authors) if day_cells == 1 and not hourly else
                    int(negative_authors) if not day_cells else None)
        if theta is None:
            authors, estimated = int(ids), False
        elif day_cells == 1 and not hourly:
            authors, estimated = int(day_authors), False
        else:
            authors, estimated = round(sampled * _SPAN / (theta + 1)), True
        out.append(Group(g, bool(cur), b, int(posts), int(pos), int(neu), int(neg), score_sum, int(score_n),
                         authors, estimated, negative))
    return out


def _clean_days(store: Store, workspace: str, f: Filters, tz: str, split: datetime | None) -> set[datetime]:
    """Local days wholly inside `f`'s period, summarised in `tz`, without a dirty hour, not cut by `split`."""
    sql, params = "SELECT day FROM rollup_day_state WHERE workspace = ? AND tz = ?", [workspace, tz]
    if f.start:
        sql, params = sql + " AND day >= ?", [*params, to_local(f.start, tz) - _DAY]
    if f.end:
        sql, params = sql + " AND day < ?", [*params, to_local(f.end, tz)]
    dirty = {_day(to_local(h, tz)) for (h,) in store.query(days_sql.DIRTY_HOURS, [workspace])}
    out = set()
    for (day,) in store.query(sql, params):
        start, end = to_utc(day, tz), to_utc(day + _DAY, tz)
        inside = (f.start is None or start >= f.start) and (f.end is None or end <= f.end)
        if inside and day not in dirty and not (split and start < split < end):
            out.add(day)
    return out


def _gaps(f: Filters, clean: set[datetime], tz: str) -> list[tuple[datetime | None, datetime | None]]:
    """The UTC ranges of `f`'s period outside the clean days (None: an open end)."""
    out: list[tuple[datetime | None, datetime | None]] = []
    at = f.start
    for day in sorted(clean):
        start, end = to_utc(day, tz), to_utc(day + _DAY, tz)
        if at is None or start > at:
            out.append((at, start))
        at = end
    if f.end is None or at < f.end:
        out.append((at, f.end))
    return out


def _day(local: datetime) -> datetime:
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


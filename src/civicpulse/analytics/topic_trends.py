"""Topic trends: per topic, its volume, share, change against the previous equal period, series and sentiment.

Works for the workspace's taxonomy topics (post_topics) and for discovered topics (post_analysis.discovered_topic,
labelled from the stored discovery state). Topics resting on fewer than k distinct authors are listed as
suppressed, with every figure hidden, after the visible ones.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from civicpulse.analysis.discovery_labels import label as discovered_label
from civicpulse.analysis.discovery_state import DiscoveryState
from civicpulse.analysis.taxonomy import Taxonomy, default_taxonomy
from civicpulse.analytics.aggregates import BUCKETS
from civicpulse.analytics.day_source import Group
from civicpulse.analytics.day_source import groups as day_groups
from civicpulse.analytics.examples import best_candidates, candidate_count, representatives
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.localtime import bucket_sql, bucket_starts, timezone_for, to_local
from civicpulse.analytics.posts import EXAMPLE_ORDER
from civicpulse.analytics.privacy import k_for, publish_authors
from civicpulse.analytics.rollup_source import AUTHORS, MEAN, POSTS, label_posts
from civicpulse.analytics.rollup_source import cells as rollup_cells
from civicpulse.analytics.topic_curation import load as load_curation
from civicpulse.analytics.topic_curation import topic_key_sql
from civicpulse.store.base import Store

KINDS = ("taxonomy", "discovered")
MAX_BUCKETS = 10_000  # per series: an hourly series over centuries would take minutes and megabytes
_BUCKET_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1),
                  "month": timedelta(days=28)}
EXAMPLES = 3  # example posts per topic
POOL_FACTOR = 4  # example candidates drawn at once: this many times what the topics need (see `_examples`)
_TOPIC = {  # key column, join, condition for one topic's posts (examples' fallback)
    "taxonomy": ("t.topic", "JOIN post_topics t ON t.post_key = a.post_key",
                 "EXISTS (SELECT 1 FROM post_topics y WHERE y.post_key = a.post_key AND y.topic = ?)"),
    "discovered": ("a.discovered_topic", "", "a.discovered_topic = ?"),
}


# Per kind, the rollup dimension and the key column of its cells `c` (discovered topics: as curated, `_topic_sql`).
_CELLS = {"taxonomy": ("topics", "c.dim_key"), "discovered": ("all", "c.discovered_topic")}


def _cell_key(store: Store, workspace: str, kind: str) -> tuple[str, str]:
    dimension, key = _CELLS[kind]
    return dimension, topic_key_sql(load_curation(store, workspace), key) if kind == "discovered" else key


def _day_groups(store: Store, workspace: str, f: Filters, tz: str, kind: str, k: int,
                **grouping: Any) -> list[Group] | None:
    """Day-rollup groups per topic (discovered topics as curated, by their integer id)."""
    if kind == "discovered":
        key = topic_key_sql(load_curation(store, workspace), "CAST(key AS BIGINT)")
        return day_groups(store, workspace, f, tz, "discovered", k, key_sql=key, **grouping)
    return day_groups(store, workspace, f, tz, "topics", k, **grouping)


def _topic_sql(store: Store, workspace: str, kind: str) -> tuple[str, str, str]:
    """`_TOPIC[kind]`, with discovered topics as analysts curated them (merges mapped, hidden ones left out)."""
    if kind != "discovered":
        return _TOPIC[kind]
    key = topic_key_sql(load_curation(store, workspace), "a.discovered_topic")
    return key, "", f"{key} = ?"


class PeriodTooLong(ValueError):
    """The period would need more buckets than a series may hold."""


def taxonomy_for(store: Store, workspace: str) -> Taxonomy:
    """The workspace's taxonomy, as `analysis.workspace.get_taxonomy` reads it, without importing the models."""
    stored = store.get_setting("taxonomies", workspace)
    return Taxonomy.from_json(stored) if stored else default_taxonomy()


def discovered_topics(store: Store, workspace: str) -> dict[int, dict[str, Any]]:
    """Discovered topic id -> {"label", "keywords", "phrase", "status"}, merged and split topics included (old
    posts)."""
    stored = store.get_setting("discovery_state", workspace)
    if not stored:
        return {}
    state = DiscoveryState.from_json(stored)
    return {t.id: {"label": discovered_label(t.keywords), "keywords": list(t.keywords), "phrase": t.phrase,
                  "status": t.status}
            for t in state.topics.values()}


def topic_trends(store: Store, workspace: str, f: Filters, bucket: str = "day", limit: int = 20,
                 kind: str = "taxonomy", k: int | None = None) -> list[dict[str, Any]]:
    """The `limit` largest topics of the filtered period (period: f.start..f.end, else the data's own span).

    Series are dense, by the workspace's local buckets (keys: local wall-clock bucket starts)."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown time bucket {bucket!r}; choose from {', '.join(BUCKETS)}")
    if kind not in KINDS:
        raise ValueError(f"unknown topic kind {kind!r}; choose from {', '.join(KINDS)}")
    k = k if k is not None else k_for(store, workspace)
    tz = timezone_for(store, workspace)
    period = _period(store, workspace, f)
    if period is None:
        return []
    start, end = period
    if (end - start) / _BUCKET_LENGTH[bucket] > MAX_BUCKETS:
        raise PeriodTooLong(f"the period holds more than {MAX_BUCKETS} {bucket} buckets: choose a longer bucket "
                            "or a shorter period")
    current = replace(f, start=start, end=end)
    totals = _totals(store, workspace, replace(f, start=start - (end - start), end=end), start, kind, k, tz)
    total_posts = _count(store, workspace, current, tz)
    visible = sorted((r for r in totals if not r["suppressed"]), key=lambda r: (-r["posts"], str(r["id"])))
    hidden = sorted((r for r in totals if r["suppressed"]), key=lambda r: str(r["id"]))
    rows = (visible + hidden)[:limit]
    shown = [row["id"] for row in rows if not row["suppressed"]]
    series = _series(store, workspace, current, bucket, kind, k, tz) if shown else {}
    examples = _examples(store, workspace, current, kind, shown)
    buckets = list(bucket_starts(to_local(start, tz), to_local(end, tz), bucket))
    labels = _labels(store, workspace, kind)
    for row in rows:
        row.update(labels.get(row["id"], {"label": str(row["id"])}))
        if row["suppressed"]:
            row.update(share=None, series=[], examples=[])
            continue
        row["share"] = round(row["posts"] / total_posts, 4) if total_posts else None
        cells = series.get(row["id"], {})
        row["series"] = [[b.isoformat(), cells.get(b, 0)] for b in buckets]
        row["examples"] = examples[row["id"]]
    return rows


def _count(store: Store, workspace: str, f: Filters, tz: str) -> int:
    """Posts `f` selects."""
    source = rollup_cells(store, workspace, f, tz)
    if source is not None:
        return store.query(f"SELECT coalesce({POSTS}, 0) FROM {source.sql}", source.params)[0][0]
    clause, params = where(workspace, f, store.dialect)
    return store.query(f"SELECT count(*) {FROM} WHERE {clause}", params)[0][0]


def _totals(store: Store, workspace: str, f: Filters, start: datetime, kind: str, k: int,
            tz: str) -> list[dict[str, Any]]:
    """Per topic, the current period (from `start`) and the previous one (f.start..start) in one pass."""
    days = _day_groups(store, workspace, f, tz, kind, k, split=start)
    dimension, cell_key = _cell_key(store, workspace, kind)
    source = rollup_cells(store, workspace, f, tz, dimension, points=(start,)) if days is None else None
    if days is not None:
        rows = [(g.key, g.current, g.posts, g.authors, g.mean, g.negative) for g in days]
    elif source is not None:
        rows = store.query(f"SELECT {cell_key}, c.t >= ?, {POSTS}, {AUTHORS}, {MEAN}, {label_posts('negative')} "
                           f"FROM {source.sql} WHERE {cell_key} IS NOT NULL GROUP BY 1, 2", [start, *source.params])
    else:
        key, join, _ = _topic_sql(store, workspace, kind)
        clause, params = where(workspace, f, store.dialect)
        rows = store.query(
            f"SELECT {key}, a.created_at >= ?, count(*), count(DISTINCT a.author_id), avg(a.sentiment_score), "
            f"count(*) FILTER (WHERE a.sentiment = 'negative') {FROM} {join} WHERE {clause} AND {key} IS NOT NULL "
            "GROUP BY 1, 2", [start, *params])
    periods: dict[Any, dict[bool, tuple]] = {}
    for topic, current, *figures in rows:
        periods.setdefault(topic, {})[current] = tuple(figures)
    return [_topic_totals(topic, found, k) for topic, found in periods.items() if True in found]


def _series(store: Store, workspace: str, f: Filters, bucket: str, kind: str,
            k: int, tz: str) -> dict[Any, dict[datetime, int | None]]:
    """Posts per topic and bucket; a bucket with fewer than k authors is None (hidden), not its small count.

    Two stages (per author, then per bucket): cheaper than count(DISTINCT) here, and within a small memory limit.
    """
    days = _day_groups(store, workspace, f, tz, kind, k, bucket=bucket) if bucket != "hour" else None
    dimension, cell_key = _cell_key(store, workspace, kind)
    source = rollup_cells(store, workspace, f, tz, dimension) if days is None else None
    if days is not None:
        rows = [(g.key, g.bucket, g.posts, g.authors) for g in days]
    elif source is not None:  # the same two stages over cells
        per_author = (f"SELECT {cell_key} AS topic, {bucket_sql(bucket, 'c.hour_utc', tz)} AS b, c.author_id, "
                      f"sum(c.posts) AS n FROM {source.sql} WHERE {cell_key} IS NOT NULL GROUP BY 1, 2, 3")
        rows = store.query(f"SELECT topic, b, sum(n), count(*) FROM ({per_author}) s GROUP BY 1, 2", source.params)
    else:
        key, join, _ = _topic_sql(store, workspace, kind)
        clause, params = where(workspace, f, store.dialect)
        per_author = (f"SELECT {key} AS topic, {bucket_sql(bucket, 'a.created_at', tz)} AS b, a.author_id, "
                      f"count(*) AS n {FROM} {join} WHERE {clause} AND {key} IS NOT NULL GROUP BY 1, 2, 3")
        rows = store.query(f"SELECT topic, b, sum(n), count(*) FROM ({per_author}) s GROUP BY 1, 2", params)
    out: dict[Any, dict[datetime, int | None]] = {}
    for topic, b, posts, authors in rows:
        out.setdefault(topic, {})[b] = int(posts) if authors >= k else None
    return out


def _examples(store: Store, workspace: str, f: Filters, kind: str, topics: list[Any]) -> dict[Any, list]:
    """Example posts of each topic, as `representative` picks them, without a query per topic.

    Each topic's candidates are the head of its posts in example order. They come from a pool, the first posts of
    all matching ones in that order (a top-n, no topic join); a topic the pool leaves short (a small topic) gets
    them from a per-topic top-n over its posts.
    """
    if not topics:
        return {}
    key, join, condition = _topic_sql(store, workspace, kind)
    clause, params = where(workspace, f, store.dialect)
    needed = candidate_count(EXAMPLES * 10)
    size = needed * len(topics) * POOL_FACTOR
    pool = store.query(f"SELECT a.post_key, a.platform, a.post_id, a.discovered_topic {FROM} WHERE {clause} "
                       f"ORDER BY {EXAMPLE_ORDER} LIMIT {size}", params)
    if kind == "taxonomy":
        rows = store.query("SELECT post_key, topic FROM post_topics WHERE workspace = ? "
                           "AND post_key IN (SELECT unnest(CAST(? AS BIGINT[])))", [workspace, [r[0] for r in pool]])
    else:
        curation = load_curation(store, workspace)  # the pool reads the raw id: merged and hidden ones mapped here
        rows = [(post_key, curation.effective(topic)) for post_key, _, _, topic in pool]
    topics_of: dict[int, list[Any]] = {}
    for post_key, topic in rows:
        topics_of.setdefault(post_key, []).append(topic)
    found: dict[Any, list[dict[str, str]]] = {topic: [] for topic in topics}
    for post_key, platform, post_id, _ in pool:  # pool order is example order
        for topic in topics_of.get(post_key, ()):
            if topic in found and len(found[topic]) < needed:
                found[topic].append({"platform": platform, "post_id": post_id})
    short = [t for t, candidates in found.items() if len(candidates) < needed] if len(pool) == size else []
    if short:  # the pool held every matching post otherwise: a short list is then the whole topic
        best = best_candidates(EXAMPLES * 10, store.dialect)
        found.update(store.query(f"SELECT {key}, {best} {FROM} {join} WHERE {clause} "
                                 f"AND {key} IN ({', '.join('?' * len(short))}) GROUP BY 1",
                                 [*params, *short]))
    return representatives(store, workspace, f, found, condition, EXAMPLES)


def _topic_totals(topic: Any, periods: dict[bool, tuple], k: int) -> dict[str, Any]:
    """One topic's figures; a topic only in the previous period is no topic of this one (the caller skips it)."""
    posts, authors, mean, negative = periods[True]
    if authors < k:
        return {"id": topic, "suppressed": True, "posts": None, "authors": None, "previous_posts": None,
                "change": None, "mean_sentiment": None, "negative_share": None}
    before, before_authors, *_ = periods.get(False, (0, 0, None, 0))
    previous = before if before_authors >= k else None  # a small previous figure is hidden as well
    return {"id": topic, "suppressed": False, "posts": posts, "authors": publish_authors(authors, k),
            "previous_posts": previous,
            "change": round((posts - previous) / previous, 4) if previous else None,
            "mean_sentiment": round(mean, 4) if mean is not None else None,
            "negative_share": round(negative / posts, 4)}


def _period(store: Store, workspace: str, f: Filters) -> tuple[datetime, datetime] | None:
    if f.start and f.end:
        return f.start, f.end
    span = data_span(store, workspace, f.end)
    if span is None:
        return None
    return f.start or span[0], f.end or span[1] + timedelta(microseconds=1)


def data_span(store: Store, workspace: str, end: datetime | None = None) -> tuple[datetime, datetime] | None:
    """First and last post time of the workspace (before `end`), whatever the filters.

    The workspace's own span, not the filtered one: a query or topic with no posts on a day has a real 0 there,
    while days before the workspace's first post are simply unknown.
    """
    sql = "SELECT min(created_at), max(created_at) FROM posts WHERE workspace = ? AND NOT deleted"
    first, last = store.query(sql + (" AND created_at < ?" if end else ""), [workspace, *([end] if end else [])])[0]
    return (first, last) if first is not None else None


def _labels(store: Store, workspace: str, kind: str) -> dict[Any, dict[str, Any]]:
    if kind == "discovered":
        names = load_curation(store, workspace).names  # analysts' names outlive re-discovery (stable ids)
        return {i: {"label": names.get(i, t["label"]), "keywords": t["keywords"], "phrase": t["phrase"]}
                for i, t in discovered_topics(store, workspace).items()}
    return {t.id: {"label": t.label_en, "label_vi": t.label_vi or t.label_en}
            for t in taxonomy_for(store, workspace).topics}

"""What drove each spike: terms, topics and places over-represented in the bucket, its sentiment mix, example posts,
and a one-line summary in English and Vietnamese.

Explanations are computed for all spikes of a dimension together, a fixed number of queries whatever the number of
spikes: per breakdown (terms, topics, places) one aggregate of posts and authors per (series key, bucket, group)
over the union of the spikes' windows, and one windowed query for example posts. Bucket and baseline totals and the
sentiment mix come from the series counts detection already has. Only groups with at least k distinct authors in
the bucket are shown; a baseline count is shown only where some baseline bucket alone has k authors behind it (a
lower bound of the distinct authors over the whole baseline, so the test errs towards hiding).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.taxonomy import Taxonomy
from civicpulse.analytics.filters import FROM, FROM_POSTS, Filters, where
from civicpulse.analytics.posts import distinct_texts, example
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.analytics.trends import Spike

_READS_ANALYSIS = re.compile(r"\ba\.")
TOP_TERMS = 8
TOP_GROUPS = 5
EXAMPLES = 3
_ON = "ON {a}.post_key = a.post_key"
# Breakdowns: group column, kind column, join.
_GROUPS = {
    "term": ("g.term", "g.kind", f"JOIN post_terms g {_ON.format(a='g')}"),
    "topic": ("g.topic", "CAST(NULL AS TEXT)", f"JOIN post_topics g {_ON.format(a='g')}"),
    "place": ("g.province_2025", "CAST(NULL AS TEXT)",
              f"JOIN post_places g {_ON.format(a='g')} AND g.province_2025 IS NOT NULL"),
}
# Series scopes: key column and the join restricting posts to the spikes' keys (`{keys}`: placeholders).
_SCOPES = {
    "all": ("CAST(NULL AS TEXT)", ""),
    "topic": ("sc.topic", f"JOIN post_topics sc {_ON.format(a='sc')} AND sc.topic IN ({{keys}})"),
    "place": ("sc.province_2025", f"JOIN post_places sc {_ON.format(a='sc')} AND sc.province_2025 IN ({{keys}})"),
}


@dataclass(frozen=True)
class Context:
    """What every explanation of one `detect_spikes` call shares."""

    store: Store
    workspace: str
    filters: Filters
    bucket: str
    step: timedelta
    baseline: timedelta
    first_known: datetime
    k: int
    taxonomy: Taxonomy

    def baseline_start(self, spike: Spike) -> datetime:
        return max(spike.bucket_start - self.baseline, self.first_known)


def explain_all(ctx: Context, spikes: list[Spike], series: dict[str, dict[str | None, dict[datetime, Any]]]) -> None:
    """Set `explanation` on every spike; `series` holds detection's counts per dimension, key and bucket."""
    for dimension in sorted({s.dimension for s in spikes}):
        group = [s for s in spikes if s.dimension == dimension]
        keys = sorted({s.key for s in group if s.key is not None})
        window = (min(ctx.baseline_start(s) for s in group), max(s.bucket_start for s in group) + ctx.step)
        counts = {what: _counts(ctx, dimension, keys, what, window) for what in _GROUPS}
        examples = _examples(ctx, dimension, keys, sorted({s.bucket_start for s in group}))
        for spike in group:
            spike.explanation = _explain(ctx, spike, series[dimension][spike.key], counts, examples)


def _explain(ctx: Context, spike: Spike, cells: dict[datetime, Any], counts: dict[str, dict],
             examples: dict[tuple, list[dict[str, Any]]]) -> dict[str, Any]:
    start = ctx.baseline_start(spike)
    cell = cells[spike.bucket_start]
    base = [c for b, c in cells.items() if start <= b < spike.bucket_start]
    hot_posts, cold_posts = cell.posts, sum(c.posts for c in base)
    shares = {what: _shares(ctx, spike, counts[what].get(spike.key, {}), start, hot_posts, cold_posts)
              for what in _GROUPS}
    terms = [{"term": key, "kind": kind, **s} for (key, kind), s in shares["term"]]
    for term in terms:  # smoothed so a term absent from the baseline gets a large but finite lift
        term["lift"] = round(term["share"] / (((term["baseline_posts"] or 0) + 1) / (cold_posts + 1)), 2)
    terms.sort(key=lambda t: (-t["lift"], -t["posts"], t["term"]))
    own = spike.key if spike.dimension in ("topic", "place") else None  # not listed as a driver of itself
    topics = [{"id": key, "label_en": _label(ctx.taxonomy, key, "en"), "label_vi": _label(ctx.taxonomy, key, "vi"),
               **s} for (key, _), s in shares["topic"] if not (spike.dimension == "topic" and key == own)]
    places = [{"province": key, **s} for (key, _), s in shares["place"]
              if not (spike.dimension == "place" and key == own)]
    mix = {"bucket": _mix([cell]), "baseline": _mix(base)}
    negative = spike.metric == "negative_share"
    candidates = examples.get((spike.key, spike.bucket_start, True), [])
    if not negative:  # any sentiment: the most confident of both partitions
        candidates = sorted(candidates + examples.get((spike.key, spike.bucket_start, False), []),
                            key=lambda e: e["_order"])
    explanation = {"baseline_start": start.isoformat(), "bucket_posts": hot_posts, "baseline_posts": cold_posts,
                   "terms": terms[:TOP_TERMS], "topics": topics[:TOP_GROUPS], "places": places[:TOP_GROUPS],
                   "sentiment": mix,
                   "posts": [{k: v for k, v in e.items() if k != "_order"}
                             for e in distinct_texts(candidates, EXAMPLES)]}
    explanation["summary"] = summary(spike, explanation, ctx.taxonomy)
    return explanation


def _shares(ctx: Context, spike: Spike, rows: dict[tuple, list[tuple[datetime, int, int]]], start: datetime,
            hot_posts: int, cold_posts: int) -> list[tuple[tuple, dict[str, Any]]]:
    """Per group with k authors in the bucket: bucket posts and share, baseline posts and share; most posts first."""
    out = []
    for group, buckets in rows.items():
        hot = next(((posts, authors) for b, posts, authors in buckets if b == spike.bucket_start), None)
        if hot is None or hot[1] < ctx.k:
            continue
        cold = [(posts, authors) for b, posts, authors in buckets if start <= b < spike.bucket_start]
        shown = max((a for _, a in cold), default=0) >= ctx.k
        cold_total = sum(p for p, _ in cold) if shown else None
        out.append((group, {"posts": hot[0], "share": round(hot[0] / hot_posts, 4) if hot_posts else 0.0,
                            "baseline_posts": cold_total,
                            "baseline_share": round(cold_total / cold_posts, 4) if cold_total is not None
                            and cold_posts else None}))
    out.sort(key=lambda item: (-item[1]["posts"], str(item[0][0])))
    return out


def _mix(cells: list[Any]) -> dict[str, float | None]:
    total = sum(c.posts for c in cells)
    counts = {"negative": sum(c.negative for c in cells), "neutral": sum(c.neutral for c in cells),
              "positive": sum(c.positive for c in cells)}
    return {s: round(n / total, 4) if total else None for s, n in counts.items()}


def _scoped(ctx: Context, dimension: str, keys: list[str], f: Filters) -> tuple[str, str, list[Any]]:
    """(scope key column, "JOIN ... WHERE ..." text, its parameters): posts of `f` in the spikes' series."""
    column, join = _SCOPES[dimension]
    clause, params = where(ctx.workspace, f)
    return column, f"{join.format(keys=', '.join('?' * len(keys)))} WHERE {clause}", [*keys, *params]


def _counts(ctx: Context, dimension: str, keys: list[str], what: str,
            window: tuple[datetime, datetime]) -> dict[str | None, dict[tuple, list[tuple[datetime, int, int]]]]:
    """scope key -> (group, kind) -> [(bucket, posts, authors)]; authors counted per bucket in two stages."""
    f = replace(ctx.filters, start=window[0], end=min(ctx.filters.end or window[1], window[1]))
    scope, tail, params = _scoped(ctx, dimension, keys, f)
    group, kind, join = _GROUPS[what]
    distinct = "DISTINCT " if "place" in (dimension, what) else ""  # a ward and its province: one post, once
    source = FROM
    inner = (f"SELECT {distinct}{scope} AS scope, date_trunc('{ctx.bucket}', p.created_at) AS b, {group} AS grp, "
             f"{kind} AS kind, p.platform, p.post_id, p.author_key {source} {join} {tail}")
    per_author = f"SELECT scope, b, grp, kind, author_key, count(*) AS n FROM ({inner}) d GROUP BY 1, 2, 3, 4, 5"
    rows = ctx.store.query(f"SELECT scope, b, grp, kind, sum(n), count(author_key) FROM ({per_author}) s "
                           "GROUP BY 1, 2, 3, 4", params)
    out: dict[str | None, dict[tuple, list]] = defaultdict(lambda: defaultdict(list))
    for scope_key, b, grp, kind_value, posts, authors in rows:
        out[scope_key][(grp, kind_value)].append((b, int(posts), authors))
    return out


def _examples(ctx: Context, dimension: str, keys: list[str],
              buckets: list[datetime]) -> dict[tuple, list[dict[str, Any]]]:
    """(scope key, bucket, negative?) -> the 10 most confident posts, from one query with a window function."""
    column, tail, params = _scoped(ctx, dimension, keys, ctx.filters)
    periods = " OR ".join("(p.created_at >= ? AND p.created_at < ?)" for _ in buckets)
    distinct = "DISTINCT " if dimension == "place" else ""  # a ward and its province: one post, once
    inner = (f"SELECT {distinct}{column} AS scope, date_trunc('{ctx.bucket}', p.created_at) AS b, "
             "COALESCE(a.sentiment = 'negative', FALSE) AS neg, p.platform, p.post_id, p.text, p.created_at, p.url, "
             f"a.language, a.sentiment, a.sentiment_score, a.emotion, a.sentiment_confidence AS conf {FROM_POSTS} "
             f"{tail} AND ({periods}) "
             "AND p.text IS NOT NULL AND p.text <> ''")
    ranked = (f"SELECT d.*, row_number() OVER (PARTITION BY scope, b, neg ORDER BY conf DESC NULLS LAST, "
              f"created_at DESC NULLS LAST, platform, post_id) AS r FROM ({inner}) d")
    rows = ctx.store.query(f"SELECT scope, b, neg, platform, post_id, text, created_at, url, language, sentiment, "
                           f"sentiment_score, emotion, conf FROM ({ranked}) x WHERE r <= 10 ORDER BY scope, b, r",
                           [*params, *(t for b in buckets for t in (b, b + ctx.step))])
    out: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for scope, b, neg, *post, conf in rows:
        out[(scope, b, bool(neg))].append({**example(tuple(post)), "_order": -(conf or 0.0)})
    return out


def summary(spike: Spike, explanation: dict[str, Any], taxonomy: Taxonomy) -> dict[str, str]:
    """One line per language, e.g. "Volume 4.2× the usual on 2026-09-15, driven by #ngapnuoc, Flooding & weather"."""
    day = spike.bucket_start
    when_en = f"on {day:%Y-%m-%d}" if spike.bucket == "day" else f"at {day:%Y-%m-%d %H:%M} UTC"
    when_vi = f"ngày {day:%d/%m/%Y}" if spike.bucket == "day" else f"lúc {day:%H:%M} UTC ngày {day:%d/%m/%Y}"
    scope_en = scope_vi = ""
    if spike.dimension == "topic":
        scope_en, scope_vi = (f" about {_label(taxonomy, spike.key, 'en')}",
                              f" về {_label(taxonomy, spike.key, 'vi')}")
    elif spike.dimension == "place":
        scope_en, scope_vi = f" in {spike.key}", f" tại {spike.key}"
    if spike.metric == "negative_share":
        en = f"Negative share{scope_en} {spike.observed:.0%} vs {spike.expected:.0%} usually {when_en}"
        vi = f"Tỷ lệ tiêu cực{scope_vi} {spike.observed:.0%} so với {spike.expected:.0%} thường lệ {when_vi}"
    elif spike.expected >= 1:
        ratio = spike.observed / spike.expected
        en = f"Volume{scope_en} {ratio:.1f}× the usual {when_en}"
        vi = f"Lượng bài{scope_vi} gấp {f'{ratio:.1f}'.replace('.', ',')} lần bình thường {when_vi}"
    else:
        en = f"{spike.posts} posts{scope_en} {when_en}, usually almost none"
        vi = f"{spike.posts} bài{scope_vi} {when_vi}, bình thường gần như không có"
    drivers_en = [t["term"] for t in explanation["terms"][:2]]
    drivers_vi = list(drivers_en)
    if explanation["topics"]:
        drivers_en.append(explanation["topics"][0]["label_en"])
        drivers_vi.append(explanation["topics"][0]["label_vi"])
    if explanation["places"]:
        drivers_en.append(explanation["places"][0]["province"])
        drivers_vi.append(explanation["places"][0]["province"])
    if drivers_en:
        en += f", driven by {', '.join(drivers_en)}"
        vi += f", nổi bật: {', '.join(drivers_vi)}"
    return {"en": en, "vi": vi}


def _label(taxonomy: Taxonomy, topic_id: str | None, language: str) -> str:
    topic = taxonomy.get(topic_id or "")
    if topic is None:
        return topic_id or ""
    return (topic.label_vi or topic.label_en) if language == "vi" else topic.label_en

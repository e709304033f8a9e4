"""What drove each spike: terms, topics and places over-represented in the bucket, its sentiment mix, example posts,
and a one-line summary in English and Vietnamese.

Explanations are computed for all spikes of a dimension together, a fixed number of queries whatever the number of
spikes: per dimension one statement with, per breakdown (terms, topics, places), posts and authors per (series key,
bucket, group) over the union of the spikes' windows, and example candidates per spike bucket; then one query reads
every example's text (`examples.settle`). Bucket and baseline totals and the sentiment mix come from the series
counts detection already has. Only groups with at least k distinct authors in
the bucket are shown; a baseline count is shown only where some baseline bucket alone has k authors behind it (a
lower bound of the distinct authors over the whole baseline, so the test errs towards hiding).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.taxonomy import Taxonomy
from civicpulse.analytics.aggregates import places_join
from civicpulse.analytics.examples import best_candidates, settle
from civicpulse.analytics.filters import FROM, FROM_POSTS, Filters, where
from civicpulse.analytics.localtime import bucket_sql, to_utc
from civicpulse.analytics.posts import distinct_texts, example
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.analytics.trends import Spike

TOP_TERMS = 8
TOP_GROUPS = 5
EXAMPLES = 3
CANDIDATES = 10  # example candidates per spike bucket and sentiment side
MIN_LIFT = 1.5  # a driver term's share of the bucket against its share of the baseline (smoothed)
MIN_WORKSPACE_LIFT = 2.0  # ... and against its document frequency over the whole workspace
MIN_DRIVER_POSTS = 3
MIN_BASELINE_POSTS = 20  # below this many baseline posts, lift is noise
# Breakdowns: the (scope, b, grp, kind, author_id) rows of the scoped posts `s`, one per post and group. A post
# naming a ward and its province counts once for the province. post_key digests the workspace, which `s` is
# already restricted to: a workspace condition on the long tables would only mislead the planner's estimates.
_GROUPS = {
    "term": "SELECT s.scope, s.b, g.term AS grp, g.kind, s.author_id FROM s JOIN post_terms g "
            "ON g.post_key = s.post_key",
    "topic": "SELECT s.scope, s.b, g.topic AS grp, CAST(NULL AS TEXT) AS kind, s.author_id FROM s JOIN post_topics g "
             "ON g.post_key = s.post_key",
    "place": "SELECT DISTINCT s.scope, s.b, g.province_2025 AS grp, CAST(NULL AS TEXT) AS kind, s.post_key, "
             "s.author_id FROM s JOIN post_places g ON g.post_key = s.post_key AND g.province_2025 IS NOT NULL",
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
    timezone: str = "UTC"  # bucket starts (spike.bucket_start, first_known) are local wall-clock times of it

    def bucket_sql(self, column: str) -> str:
        return bucket_sql(self.bucket, column, self.timezone)

    def utc(self, local: datetime) -> datetime:
        return to_utc(local, self.timezone)

    def baseline_start(self, spike: Spike) -> datetime:
        return max(spike.bucket_start - self.baseline, self.first_known)


def explain_all(ctx: Context, spikes: list[Spike], series: dict[str, dict[str | None, dict[datetime, Any]]],
                detailed: int | None = None) -> None:
    """Set `explanation` on every spike; `series` holds detection's counts per dimension, key and bucket.

    The first `detailed` spikes (all when None) get drivers and example posts: one statement per dimension for
    its breakdowns and example candidates, then one for every example's text. The others get what detection's
    counts tell (bucket and baseline posts, sentiment mix, summary) with empty driver and post lists: the cost
    of drivers grows with the spikes' series, and the best-scored spikes are the ones read.
    """
    rest = spikes[detailed:] if detailed is not None else []
    for spike in rest:
        spike.explanation = _explain(ctx, spike, series[spike.dimension][spike.key], {what: {} for what in _GROUPS}, {},
                                     Frequencies(0, {}))
    spikes = spikes[:len(spikes) - len(rest)]
    groups = {dimension: [s for s in spikes if s.dimension == dimension]
              for dimension in sorted({s.dimension for s in spikes})}
    counts, candidates = {}, {}
    for dimension, group in groups.items():
        counts[dimension], found = _breakdowns(ctx, dimension, group)
        candidates.update({(dimension, *key): listed for key, listed in found.items()})
    picked = settle(ctx.store, ctx.workspace, candidates, CANDIDATES)
    frequencies = _frequencies(ctx, {term for dimension in counts.values() for per_key in dimension["term"].values()
                                     for term in per_key})
    for dimension, group in groups.items():
        mine = {key[1:]: rows for key, rows in picked.items() if key[0] == dimension}
        if any(rows is None for rows in mine.values()):  # candidates could not settle: the exact, slower query
            examples = _examples(ctx, dimension, *_keys_and_buckets(group))
        else:
            examples = {key: [{**example(r[:9]), "_order": -(r[9] or 0.0)} for r in rows] for key, rows in mine.items()}
        for spike in group:
            spike.explanation = _explain(ctx, spike, series[dimension][spike.key], counts[dimension], examples,
                                         frequencies)


def _keys_and_buckets(group: list[Spike]) -> tuple[list[str], list[datetime]]:
    return sorted({s.key for s in group if s.key is not None}), sorted({s.bucket_start for s in group})


@dataclass(frozen=True)
class Frequencies:
    """Posts of the whole workspace, and per (term, kind) how many of them carry it (document frequency)."""

    posts: int
    terms: dict[tuple[str, str], int]


def _frequencies(ctx: Context, terms: set[tuple[str, str]]) -> Frequencies:
    """Document frequencies over the whole workspace of the terms some breakdown found: one statement."""
    if not terms:
        return Frequencies(0, {})
    words = sorted({term for term, _ in terms})
    rows = ctx.store.query("SELECT term, kind, count(DISTINCT post_key) FROM post_terms WHERE workspace = ? "
                           f"AND term IN ({', '.join('?' * len(words))}) GROUP BY 1, 2", [ctx.workspace, *words])
    total = ctx.store.query("SELECT count(*) FROM post_analysis WHERE workspace = ?", [ctx.workspace])[0][0]
    return Frequencies(int(total), {(term, kind): int(n) for term, kind, n in rows})


def is_driver(term: dict[str, Any], frequency: int | None, workspace_posts: int, baseline_posts: int) -> bool:
    """A driver stands out twice: against the spike's own baseline (lift) and against the whole workspace (its share
    of the bucket well above its document frequency), and it rests on a few posts at least. Words common in the
    whole workspace ("nhà", "main", "site") fail the second test in every bucket, with no stoplist to maintain.
    A series with a near-empty baseline (a place that is usually quiet) has no lift to speak of: not tested."""
    if term["posts"] < MIN_DRIVER_POSTS:
        return False
    if baseline_posts >= MIN_BASELINE_POSTS and term["lift"] < MIN_LIFT:
        return False
    if not frequency or not workspace_posts:  # no frequencies (figures-only explanations): lift alone decides
        return True
    return term["share"] >= MIN_WORKSPACE_LIFT * frequency / workspace_posts


def _explain(ctx: Context, spike: Spike, cells: dict[datetime, Any], counts: dict[str, dict],
             examples: dict[tuple, list[dict[str, Any]]], frequencies: Frequencies) -> dict[str, Any]:
    start = ctx.baseline_start(spike)
    cell = cells[spike.bucket_start]
    base = [c for b, c in cells.items() if start <= b < spike.bucket_start]
    hot_posts, cold_posts = cell.posts, sum(c.posts for c in base)
    shares = {what: _shares(ctx, spike, counts[what].get(spike.key, {}), start, hot_posts, cold_posts)
              for what in _GROUPS}
    terms = [{"term": key, "kind": kind, **s} for (key, kind), s in shares["term"]]
    for term in terms:  # smoothed so a term absent from the baseline gets a large but finite lift
        term["lift"] = round(term["share"] / (((term["baseline_posts"] or 0) + 1) / (cold_posts + 1)), 2)
    terms = [t for t in terms
             if is_driver(t, frequencies.terms.get((t["term"], t["kind"])), frequencies.posts, cold_posts)]
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
    """(scope key column, "FROM ... WHERE ..." text, its parameters): posts of `f` in the spikes' series, each
    once per series."""
    clause, params = where(ctx.workspace, f, ctx.store.dialect)
    marks = ", ".join("?" * len(keys))
    if dimension == "all":
        return "CAST(NULL AS TEXT)", f"{FROM} WHERE {clause}", params
    if dimension == "topic":
        join = f"JOIN post_topics sc ON sc.post_key = a.post_key AND sc.topic IN ({marks})"
        return "sc.topic", f"{FROM} {join} WHERE {clause}", [*keys, *params]
    join, join_params = places_join("province_2025", f"province_2025 IN ({marks})", ctx.workspace, *keys)
    return "pl.key", f"{FROM} {join} WHERE {clause}", [*join_params, *params]


def _breakdowns(ctx: Context, dimension: str,
                group: list[Spike]) -> tuple[dict[str, dict], dict[tuple, list[dict[str, str]]]]:
    """One statement for a dimension's spikes (`group`): per breakdown (terms, topics, places), posts and authors per
    (series key, bucket, group) over the spikes' window; and example candidates per (series key, spike bucket,
    negative?). The parts share the scoped posts as a common table expression, read once; a plain filtered scan
    (dimension "all", no query text) is inlined into each part instead, which lets the planner size its joins.

    Returns (breakdown -> scope key -> (group, kind) -> [(bucket, posts, authors)],
    (scope key, bucket, negative?) -> `best_candidates(CANDIDATES)`).
    """
    keys, buckets = _keys_and_buckets(group)
    window = (min(ctx.baseline_start(s) for s in group), max(buckets) + ctx.step)
    window = (ctx.utc(window[0]), ctx.utc(window[1]))  # local bucket starts, filters in UTC
    f = replace(ctx.filters, start=window[0], end=min(ctx.filters.end or window[1], window[1]))
    scope, source, params = _scoped(ctx, dimension, keys, f)
    # Examples come from the spike buckets, within the filtered period (the window may reach before its start).
    bounds = [(condition, t) for condition, t in (("created_at >= ?", ctx.filters.start),
                                                  ("created_at < ?", ctx.filters.end)) if t]
    spike_buckets = ", ".join("?" * len(buckets))
    own = " AND ".join([f"b IN ({spike_buckets})", *(c for c, _ in bounds)])
    # Per group and bucket: posts, and authors in two stages. Only groups with k authors in some spike bucket can
    # be shown (see `_shares`): the others are dropped here, by a window over the grouped rows.
    parts = [f"SELECT '{what}', scope, b, grp, kind, posts, authors, NULL FROM (SELECT scope, b, grp, kind, "
             f"sum(n) AS posts, count(*) AS authors, max(CASE WHEN b IN ({spike_buckets}) THEN count(*) END) "
             "OVER (PARTITION BY scope, grp, kind) AS hot FROM (SELECT scope, b, grp, kind, author_id, count(*) AS n "
             f"FROM ({rows}) r GROUP BY 1, 2, 3, 4, 5) x GROUP BY 1, 2, 3, 4) y WHERE hot >= ?"
             for what, rows in _GROUPS.items()]
    # The examples' sentiment side travels in the `kind` column: 'negative', else NULL. They come first: PostgreSQL
    # types a UNION's columns pair by pair, and the NULLs of the other parts would make the last column text.
    parts.insert(0, "SELECT 'examples', scope, b, NULL, CASE WHEN sentiment = 'negative' THEN 'negative' END, NULL, "
                 f"NULL, {best_candidates(CANDIDATES, ctx.store.dialect, '')} FROM s WHERE {own} GROUP BY 1, 2, 3, 5")
    inline = dimension == "all" and not ctx.filters.query  # a plain scan: cheaper to repeat than to materialize
    scoped = (f"SELECT {scope} AS scope, {ctx.bucket_sql('a.created_at')} AS b, a.post_key, a.author_id, "
              f"a.sentiment, a.sentiment_confidence, a.created_at, a.platform, a.post_id {source}")
    rows = ctx.store.query(
        f"WITH s AS {'NOT MATERIALIZED ' if inline else ''}({scoped}) " + " UNION ALL ".join(parts),
        [*params, *buckets, *(t for _, t in bounds), *[*buckets, ctx.k] * len(_GROUPS)])
    counts: dict[str, dict] = {what: defaultdict(lambda: defaultdict(list)) for what in _GROUPS}
    found: dict[tuple, list] = {}
    for what, scope_key, b, grp, kind, posts, authors, candidates in rows:
        if what == "examples":
            found[(scope_key, b, kind == "negative")] = candidates
        else:
            counts[what][scope_key][(grp, kind)].append((b, int(posts), authors))
    return counts, found


def _examples(ctx: Context, dimension: str, keys: list[str],
              buckets: list[datetime]) -> dict[tuple, list[dict[str, Any]]]:
    """(scope key, bucket, negative?) -> the 10 most confident posts with text, from one windowed query."""
    clause, params = where(ctx.workspace, ctx.filters, ctx.store.dialect)
    column, join = {"all": ("CAST(NULL AS TEXT)", ""),
                    "topic": ("sc.topic", "JOIN post_topics sc ON sc.post_key = a.post_key AND sc.topic IN ({keys})"),
                    "place": ("sc.province_2025", "JOIN post_places sc ON sc.post_key = a.post_key "
                              "AND sc.province_2025 IN ({keys})")}[dimension]
    join = join.format(keys=", ".join("?" * len(keys)))
    periods = " OR ".join("(p.created_at >= ? AND p.created_at < ?)" for _ in buckets)
    distinct = "DISTINCT " if dimension == "place" else ""  # a ward and its province: one post, once
    inner = (f"SELECT {distinct}{column} AS scope, {ctx.bucket_sql('p.created_at')} AS b, "
             "COALESCE(a.sentiment = 'negative', FALSE) AS neg, p.platform, p.post_id, p.text, p.created_at, p.url, "
             f"a.language, a.sentiment, a.sentiment_score, a.emotion, a.sentiment_confidence AS conf {FROM_POSTS} "
             f"{join} WHERE {clause} AND ({periods}) AND p.text IS NOT NULL AND p.text <> ''")
    ranked = (f"SELECT d.*, row_number() OVER (PARTITION BY scope, b, neg ORDER BY conf DESC NULLS LAST, "
              f"created_at DESC NULLS LAST, platform, post_id) AS r FROM ({inner}) d")
    rows = ctx.store.query(f"SELECT scope, b, neg, platform, post_id, text, created_at, url, language, sentiment, "
                           f"sentiment_score, emotion, conf FROM ({ranked}) x WHERE r <= {CANDIDATES} "
                           "ORDER BY scope, b, r",
                           [*keys, *params, *(ctx.utc(t) for b in buckets for t in (b, b + ctx.step))])
    out: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for scope, b, neg, *post, conf in rows:
        out[(scope, b, bool(neg))].append({**example(tuple(post)), "_order": -(conf or 0.0)})
    return out


def summary(spike: Spike, explanation: dict[str, Any], taxonomy: Taxonomy) -> dict[str, str]:
    """One line per language, e.g. "Volume 4.2× the usual on 2026-09-15, driven by #ngapnuoc, Flooding & weather"."""
    day = spike.bucket_start
    when_en = f"on {day:%Y-%m-%d}" if spike.bucket == "day" else f"at {day:%Y-%m-%d %H:%M} ({spike.timezone})"
    when_vi = (f"ngày {day:%d/%m/%Y}" if spike.bucket == "day"
               else f"lúc {day:%H:%M} ngày {day:%d/%m/%Y} ({spike.timezone})")
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

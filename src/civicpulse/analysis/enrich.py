"""`civicpulse analyze`: enrich a workspace's stored posts incrementally.

Only posts without an analysis by the current models (new, edited, or analysed by an older model) are read, in
key order, one batch per transaction; a crash loses at most the batch in flight and the next run resumes there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from civicpulse.analysis.discovery import DiscoveryReport, DiscoveryState, TopicDiscovery
from civicpulse.analysis.labellers import InProcessLabeller, Labeller
from civicpulse.analysis.labels import Analysis
from civicpulse.analysis.pipeline import Analyzer, TextItem
from civicpulse.store.analysis_sql import ANALYSIS_COLUMNS, PLACE_COLUMNS
from civicpulse.store.base import Store

DEFAULT_BATCH = 1024
REFRESH_EVERY = 15_000  # posts between discovery refreshes: below the discovery pool's 20,000


@dataclass
class EnrichReport:
    analyzed: int = 0
    backlog: int = 0
    encoded: int = 0
    seconds: float = 0.0
    discovery: dict[str, Any] = field(default_factory=dict)


def _tokens(result: Analysis) -> list[str]:
    return [*result.keywords, *result.hashtags]


def analysis_tables(workspace: str, rows: list[tuple], results: list[Analysis], topics: dict[str, int | None],
                    now: datetime) -> dict[str, dict[str, list[Any]]]:
    """Column lists for post_analysis and the long tables, ready for Store.save_analysis."""
    main: dict[str, list[Any]] = {c: [] for c in ANALYSIS_COLUMNS}
    topic_rows: dict[str, list[Any]] = {c: [] for c in ("workspace", "platform", "post_id", "topic", "score")}
    place_rows: dict[str, list[Any]] = {c: [] for c in ("workspace", "platform", "post_id", *PLACE_COLUMNS)}
    term_rows: dict[str, list[Any]] = {c: [] for c in ("workspace", "platform", "post_id", "term", "kind")}
    for row, r in zip(rows, results, strict=True):
        platform, post_id, content_hash = row[0], row[1], row[3]
        values = {"workspace": workspace, "platform": platform, "post_id": post_id, "content_hash": content_hash,
                  "model": r.model, "analyzed_at": now, "language": r.language,
                  "language_confidence": r.language_confidence, "sentiment": r.sentiment,
                  "sentiment_score": r.sentiment_score, "sentiment_confidence": r.sentiment_confidence,
                  "emotion": r.emotion, "emotion_scores": json.dumps(r.emotion_scores),
                  "topic_scores": json.dumps(r.topic_scores), "keywords": json.dumps(r.keywords, ensure_ascii=False),
                  "hashtags": json.dumps(r.hashtags, ensure_ascii=False),
                  "why": json.dumps(r.why, ensure_ascii=False),
                  "discovered_topic": topics.get(f"{platform}\t{post_id}")}
        for c in ANALYSIS_COLUMNS:
            main[c].append(values[c])
        key = {"workspace": workspace, "platform": platform, "post_id": post_id}
        for topic in r.topics:
            _append(topic_rows, {**key, "topic": topic, "score": r.topic_scores.get(topic)})
        for place in r.places:
            _append(place_rows, {**key, **{c: place.get(c) for c in PLACE_COLUMNS}})
        for kind, terms in (("keyword", r.keywords), ("hashtag", r.hashtags)):
            for term in terms:
                _append(term_rows, {**key, "term": term, "kind": kind})
    return {"post_analysis": main, "post_topics": topic_rows, "post_places": place_rows, "post_terms": term_rows}


def _append(columns: dict[str, list[Any]], values: dict[str, Any]) -> None:
    for c, v in values.items():
        columns[c].append(v)


def _follow_merges_and_splits(store: Store, workspace: str, discovery: TopicDiscovery,
                              report: DiscoveryReport) -> None:
    """Posts of a merged topic move to the survivor; posts of a split topic are re-assigned among its parts."""
    for old, into in report.merged:
        rows = store.query("SELECT platform, post_id FROM post_analysis WHERE workspace = ? AND discovered_topic = ?",
                           [workspace, old])
        store.set_discovered_topics(workspace, [(platform, post_id, into) for platform, post_id in rows])
    for old, _children in report.split:
        rows = store.query("SELECT platform, post_id, keywords, hashtags FROM post_analysis WHERE workspace = ? "
                           "AND discovered_topic = ?", [workspace, old])
        docs = [(f"{p}\t{i}", [*json.loads(k or "[]"), *json.loads(h or "[]")]) for p, i, k, h in rows]
        store.set_discovered_topics(workspace, [(*a.doc_id.split("\t", 1), a.topic_id)
                                                for a in discovery.predict(docs)])


def _refresh(store: Store, workspace: str, discovery: TopicDiscovery, total: dict[str, Any]) -> None:
    """Close a discovery run: new topics from the pool, merges and splits applied to stored posts, state saved."""
    refreshed = discovery.refresh()
    store.set_discovered_topics(workspace, [(*a.doc_id.split("\t", 1), a.topic_id)
                                            for a in discovery.pool_assignments() if a.topic_id is not None])
    _follow_merges_and_splits(store, workspace, discovery, refreshed)
    store.put_setting("discovery_state", workspace, discovery.state.to_json())
    for key in ("assigned", "outliers"):
        total[key] = total.get(key, 0) + getattr(refreshed, key)
    for key in ("new_topics", "merged", "split"):
        total[key] = total.get(key, []) + list(getattr(refreshed, key))
    seen = total["assigned"] + total["outliers"]
    total["outlier_share"] = round(total["outliers"] / seen, 4) if seen else 0.0
    total["topics_active"] = refreshed.topics_active


def enrich_workspace(store: Store, workspace: str, analyzer: Analyzer | Labeller, *,
                     batch_size: int = DEFAULT_BATCH, limit: int | None = None,
                     progress: Callable[[int, int], None] = lambda done, total: None,
                     discover: bool = True) -> EnrichReport:
    """Analyse the workspace's backlog; `analyzer` may be a Labeller that runs the models elsewhere (Ray)."""
    labeller = InProcessLabeller(analyzer) if isinstance(analyzer, Analyzer) else analyzer
    started = datetime.now(UTC)
    store.drop_deleted_analysis(workspace)
    signature = labeller.signature
    report = EnrichReport(backlog=store.count_backlog(workspace, signature))
    total = min(report.backlog, limit) if limit is not None else report.backlog
    stored_state = store.get_setting("discovery_state", workspace)
    discovery = TopicDiscovery(DiscoveryState.from_json(stored_state) if stored_state else None)
    progress(0, total)
    since_refresh = 0
    batches = _backlog_batches(store, workspace, signature, batch_size, total)
    for rows, results in labeller.map(batches, _items):
        topics: dict[str, int | None] = {}
        if discover:
            docs = [(f"{row[0]}\t{row[1]}", _tokens(r)) for row, r in zip(rows, results, strict=True)]
            topics = {a.doc_id: a.topic_id for a in discovery.assign(docs)}
        store.save_analysis(workspace, analysis_tables(workspace, rows, results, topics,
                                                       datetime.now(UTC).replace(tzinfo=None)))
        report.analyzed += len(rows)
        since_refresh += len(rows)
        # The pool holds a bounded number of unassigned posts: cluster it before it overflows.
        if discover and since_refresh >= REFRESH_EVERY:
            _refresh(store, workspace, discovery, report.discovery)
            since_refresh = 0
        progress(report.analyzed, total)
    if discover and since_refresh:
        _refresh(store, workspace, discovery, report.discovery)
    report.encoded = labeller.encoded
    report.seconds = (datetime.now(UTC) - started).total_seconds()
    return report


def _items(rows: list[tuple]) -> list[TextItem]:
    return [TextItem(r[2], r[4], r[5], r[6], r[7]) for r in rows]


def _backlog_batches(store: Store, workspace: str, signature: str, batch_size: int, total: int
                     ) -> Iterator[list[tuple]]:
    """Backlog rows in key order, batch by batch; each read starts past the last key read, so a labeller may read
    ahead of what has been saved without seeing a post twice."""
    read, after = 0, None
    while read < total:
        rows = store.analysis_backlog(workspace, signature, min(batch_size, total - read), after=after)
        if not rows:
            return
        read += len(rows)
        after = (rows[-1][0], rows[-1][1])
        yield rows

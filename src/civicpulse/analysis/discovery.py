"""Discovered topics: clusters of similar posts with readable labels, stable ids, and a reported outlier share.

Storage-agnostic and pure: documents come in as `(doc_id, tokens)` (word-segmented, lowercased content keywords)
and everything persistent lives in a `DiscoveryState` that serialises to JSON. A run is

    discovery = TopicDiscovery(DiscoveryState.from_json(saved) if saved else None)
    first = discovery.assign(docs)          # cheap: nearest topic or None; unclaimed docs wait in the pool
    report = discovery.refresh()            # new topics from the pool, merges, splits, pool re-assignment
    late = discovery.pool_assignments()     # what the refresh decided for the docs that were waiting
    saved = discovery.state.to_json()

Design and measurements: docs/discovered-topics.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from civicpulse.analysis.discovery_labels import label
from civicpulse.analysis.discovery_state import ACTIVE, DiscoveryState, TopicRecord
from civicpulse.analysis.discovery_topics import TopicMaintenance
from civicpulse.analysis.discovery_vectors import (
    centroid_matrix,
    idf_weights,
    similarities,
    term_counts,
    tfidf,
)

__all__ = ["DiscoveryReport", "DiscoveryState", "TopicAssignment", "TopicDiscovery", "TopicInfo"]

DISCOVERY_ROUNDS = 3
CHUNK = 4096  # documents vectorised at once: bounds the dense similarity block to CHUNK × max_topics floats


@dataclass
class TopicAssignment:
    doc_id: str
    topic_id: int | None  # None: an outlier (for now)
    score: float  # cosine to the chosen topic; for an outlier, to the nearest topic


@dataclass
class DiscoveryReport:
    assigned: int  # documents of this run that have a topic after the refresh
    outliers: int  # documents of this run that have none
    outlier_share: float
    new_topics: list[int]
    merged: list[tuple[int, int]]  # (merged topic, topic it was merged into)
    split: list[tuple[int, list[int]]]  # (split topic, its new topics)
    topics_active: int
    pool_size: int = 0  # unassigned documents kept for later refreshes
    attached_earlier: int = 0  # documents of earlier runs that left the pool for a topic in this refresh


@dataclass
class TopicInfo:
    id: int
    label: str
    keywords: list[str]
    size: int
    status: str
    first_seen: int
    parents: list[int] = field(default_factory=list)
    merged_into: int | None = None
    children: list[int] = field(default_factory=list)
    phrase: str = ""  # a representative phrase: consecutive keywords several member posts share, as written


def _chunks(docs: Iterable[tuple[str, list[str]]]) -> Iterator[list[tuple[str, list[str]]]]:
    iterator = iter(docs)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


class TopicDiscovery:
    """Incremental, deterministic topic discovery over token lists (see the module docstring for a run).

    min_topic_size: fewest posts a new topic needs. max_topics: cap on active topics. pool_size: unassigned posts
    kept for later refreshes. sample_size: member posts kept per topic (what refits, merges and splits look at).
    top_terms: centroid columns kept per topic. merge_threshold: distinctive-centroid cosine at which two topics
    are one. split_threshold: cosine under which two halves of a topic are two topics. seed: accepted for API
    stability and recorded nowhere: no step is random (splits start from principal directions), so there is
    nothing to seed.
    Each post should be assigned once; assigning the same doc_id again counts it again.
    """

    def __init__(self, state: DiscoveryState | None = None, *, seed: int = 0, min_topic_size: int = 10,
                 max_topics: int = 200, pool_size: int = 20_000, sample_size: int = 128, top_terms: int = 128,
                 merge_threshold: float = 0.5, split_threshold: float = 0.15) -> None:
        del seed  # see the class docstring
        self.state = state or DiscoveryState()
        self.pool_size = pool_size
        self.sample_size = sample_size
        self._maintenance = TopicMaintenance(
            self.state, min_topic_size=min_topic_size, max_topics=max_topics, sample_size=sample_size,
            top_terms=top_terms, merge_threshold=merge_threshold, split_threshold=split_threshold)
        self._last_pool: list[TopicAssignment] = []
        self._load_model()

    # -- the cheap path -------------------------------------------------------------------------------------

    def assign(self, docs: Iterable[tuple[str, list[str]]]) -> list[TopicAssignment]:
        """Nearest topic that would accept each document, or None; unclaimed documents go to the pool.

        Uses only what the last refresh fixed (IDF, centroids, thresholds), so the answers do not depend on the
        order of the documents or on how they are batched. Counts document frequencies for the next refresh.
        """
        state, out, touched = self.state, [], set()
        for chunk in _chunks(docs):
            token_lists = [tokens for _, tokens in chunk]
            counts = term_counts(token_lists)
            state.df += np.bincount(counts.indices, minlength=len(state.df)).astype(np.uint32)
            state.n_docs += len(chunk)
            state.run_seen += len(chunk)
            best, score = self._nearest(tfidf(counts, self._idf))
            for (doc_id, tokens), b, s in zip(chunk, best.tolist(), score.tolist(), strict=True):
                topic = self._topic_at(b)
                if topic is not None:
                    topic.size += 1
                    topic.add_to_sample(doc_id, tokens, self.sample_size)
                    touched.add(topic.id)
                    state.run_assigned += 1
                elif tokens:
                    state.add_to_pool(doc_id, tokens, self.pool_size)
                out.append(TopicAssignment(doc_id, topic.id if topic else None, round(s, 4)))
        # bounded sets end every call trimmed to their best-ranked members, so the state is the same whatever the
        # order of the posts (intermediate trims happen at order-dependent moments)
        state.trim_pool(self.pool_size)
        for topic_id in touched:
            state.topics[topic_id].trim_sample(self.sample_size)
        return out

    def predict(self, docs: Iterable[tuple[str, list[str]]]) -> list[TopicAssignment]:
        """Like assign, but changes nothing: for re-labelling documents with the current topics."""
        out = []
        for chunk in _chunks(docs):
            best, score = self._nearest(tfidf(term_counts([t for _, t in chunk]), self._idf))
            out.extend(TopicAssignment(doc_id, None if b < 0 else int(self._active_ids[b]), round(s, 4))
                       for (doc_id, _), b, s in zip(chunk, best.tolist(), score.tolist(), strict=True))
        return out

    # -- the periodic path ----------------------------------------------------------------------------------

    def refresh(self) -> DiscoveryReport:
        """Close the run: refit topics, merge and split them, cluster the pool into new topics, re-assign the pool.

        Deterministic: the pool and every topic sample are processed sorted by doc_id, and no step is random.
        The report counts the posts assigned since the previous refresh (this run).
        """
        # the vector work here is many small dense products, for which BLAS worker threads cost far more than they
        # save (a refresh ran 5x slower with two busy cores); one thread is also what makes results reproducible
        with threadpool_limits(limits=1, user_api="blas"):
            return self._refresh()

    def _refresh(self) -> DiscoveryReport:
        state, steps = self.state, self._maintenance
        state.run += 1
        state.ref_df, state.ref_docs = state.df.copy(), state.n_docs
        self._idf = idf_weights(state.ref_df, state.ref_docs)
        waiting = {d: p.run for d, p in sorted(state.pool.items())}
        steps.begin(self._idf)
        merged = steps.merge_similar()
        split = steps.split_apart()
        steps.calibrate()
        self._load_model()
        scores: dict[str, float] = {}
        attached = self._attach_pool(scores)
        new_topics: list[int] = []
        for _ in range(DISCOVERY_ROUNDS):
            # what a round leaves in the pool is clustered again, so that a second refresh of the same data finds
            # nothing new: the result does not depend on how many refreshes the data went through
            created = steps.discover(attached)
            self._load_model()
            attached.update(self._attach_pool(scores))
            new_topics.extend(created)
            if not created:
                break
        state.trim_pool(self.pool_size)
        for topic in state.active_topics():
            topic.trim_sample(self.sample_size)

        self._last_pool = [TopicAssignment(d, *attached.get(d, (None, scores.get(d, 0.0)))) for d in waiting]
        run_late = sum(1 for d in attached if waiting[d] == state.run)
        assigned = state.run_assigned + run_late
        seen = state.run_seen
        report = DiscoveryReport(
            assigned=assigned, outliers=seen - assigned,
            outlier_share=round((seen - assigned) / seen, 4) if seen else 0.0,
            new_topics=new_topics, merged=merged, split=split, topics_active=len(state.active_topics()),
            pool_size=len(state.pool), attached_earlier=len(attached) - run_late)
        state.run_seen = state.run_assigned = 0
        return report

    def pool_assignments(self) -> list[TopicAssignment]:
        """For every document that waited in the pool at the last refresh: the topic it got there, or None."""
        return list(self._last_pool)

    # -- reading --------------------------------------------------------------------------------------------

    def topics(self, include_inactive: bool = False) -> list[TopicInfo]:
        """Active topics (and, on request, merged and split ones), largest first."""
        records = [t for t in self.state.topics.values() if include_inactive or t.status == ACTIVE]
        return [TopicInfo(id=t.id, label=label(t.keywords), keywords=list(t.keywords), size=t.size,
                          status=t.status, first_seen=t.first_seen, parents=list(t.parents),
                          merged_into=t.merged_into, children=list(t.children), phrase=t.phrase)
                for t in sorted(records, key=lambda t: (-t.size, t.id))]

    def resolve(self, topic_id: int) -> list[int]:
        """The active topics an older topic id lives on in: itself, its merge survivor, or its split children."""
        topic = self.state.topics.get(topic_id)
        if topic is None:
            return []
        if topic.status == ACTIVE:
            return [topic_id]
        nxt = [topic.merged_into] if topic.merged_into is not None else topic.children
        return sorted({active for n in nxt for active in self.resolve(n)})

    # -- internals ------------------------------------------------------------------------------------------

    def _load_model(self) -> None:
        """Freeze what assign() compares against: IDF of the last refresh, active centroids and thresholds."""
        state = self.state
        self._idf = idf_weights(state.ref_df, state.ref_docs)
        active = state.active_topics()
        self._active: list[TopicRecord] = active
        self._active_ids = np.array([t.id for t in active], dtype=np.int64)
        self._thresholds = np.array([t.threshold for t in active], dtype=np.float32)
        self._centroids = centroid_matrix([(np.asarray(t.terms, np.int32), np.asarray(t.weights, np.float32))
                                           for t in active])

    def _topic_at(self, index: int) -> TopicRecord | None:
        return self._active[index] if index >= 0 else None

    def _nearest(self, vectors: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """Index of the most similar topic whose threshold the row meets (-1: none), and the cosine."""
        sims = similarities(vectors, self._centroids)
        if sims.shape[1] == 0:
            return np.full(vectors.shape[0], -1), np.zeros(vectors.shape[0], np.float32)
        accepted = np.where(sims >= self._thresholds, sims, -1.0)
        best = accepted.argmax(axis=1)
        rows = np.arange(len(best))
        ok = accepted[rows, best] >= 0
        score = np.where(ok, sims[rows, best], sims.max(axis=1))
        return np.where(ok, best, -1), score

    def _attach_pool(self, scores: dict[str, float]) -> dict[str, tuple[int, float]]:
        """Move pool documents that some topic now accepts into it: {doc_id: (topic id, score)}.

        `scores` gets every pool document's cosine to its nearest topic (what an outlier is reported with)."""
        state, attached = self.state, {}
        ids = sorted(state.pool)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            best, score = self._nearest(tfidf(term_counts([state.pool[d].tokens for d in chunk]), self._idf))
            for doc_id, b, s in zip(chunk, best.tolist(), score.tolist(), strict=True):
                scores[doc_id] = round(s, 4)
                topic = self._topic_at(b)
                if topic is not None:
                    topic.size += 1
                    topic.add_to_sample(doc_id, state.pool.pop(doc_id).tokens, self.sample_size)
                    attached[doc_id] = (topic.id, round(s, 4))
        return attached



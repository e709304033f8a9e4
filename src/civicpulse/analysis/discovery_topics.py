"""The refresh steps of topic discovery: refit topics from their samples, merge, split, calibrate, discover."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from civicpulse.analysis.discovery_cluster import (
    bisect,
    compact,
    outside_mean,
    principal_splits,
    separate,
    two_means,
)
from civicpulse.analysis.discovery_fit import TopicFit, coherence, fit_topic, joining_thresholds
from civicpulse.analysis.discovery_labels import steady_keywords, steady_phrase
from civicpulse.analysis.discovery_state import MERGED, SPLIT, DiscoveryState, TopicRecord
from civicpulse.analysis.discovery_terms import spelling_counts
from civicpulse.analysis.discovery_vectors import (
    HASH_BITS,
    centroid_matrix,
    normalize_rows,
    similarities,
    term_counts,
    tfidf,
)

MIN_SEPARATION = 3.0  # a new topic's typical member must sit well above the cosine where false joins begin
MIN_COHERENCE = 0.2  # mean NPMI of a new topic's top keywords: they must go together beyond chance
PRESELECT = 0.5  # pairs whose plain mean vectors are this fraction of merge_threshold apart get the full test
MIN_SPLIT_SHARE = 0.2  # each side of a split holds at least this share of the topic's sample


@dataclass
class _Candidate:
    fit: TopicFit
    members: list[str]


@dataclass
class _Profile:
    """Plain mean vector of a topic's (sampled) members, and how many posts the topic has."""

    mean: sp.csr_matrix
    size: float


@dataclass
class _Reference:
    """The population thresholds are calibrated on: every active topic's sample, then the pool (sorted)."""

    vectors: sp.csr_matrix
    owner: np.ndarray  # topic id of a sample row, -1 for a pool row
    weights: np.ndarray  # posts a row stands for
    pool_ids: list[str]  # doc ids of the pool rows, which come last
    token_lists: list[list[str]]


class TopicMaintenance:
    def __init__(self, state: DiscoveryState, *, min_topic_size: int, max_topics: int, sample_size: int,
                 top_terms: int, merge_threshold: float, split_threshold: float) -> None:
        self.state = state
        self.min_topic_size = min_topic_size
        self.max_topics = max_topics
        self.sample_size = sample_size
        self.top_terms = top_terms
        self.merge_threshold = merge_threshold
        self.split_threshold = split_threshold
        self.idf = np.ones(1 << HASH_BITS, np.float32)
        self.total = np.zeros(1 << HASH_BITS)  # sum of unit vectors over the corpus, estimated at each refresh
        self.total_weight = 0.0  # posts the total stands for
        self.spellings: dict = {}  # key -> spellings with diacritics over every sample and the pool (for labels)

    # -- existing topics ------------------------------------------------------------------------------------

    def begin(self, idf: np.ndarray) -> None:
        """Estimate the corpus sum vector, then recompute every active topic's centroid from its sample.

        The sum weighs each topic's sample mean by the topic's size and the pool's mean by the pool's size, so it
        stands for everything seen, not just what is in memory. Centroids follow their topic and the new IDF.
        """
        self.idf = idf
        self.total, self.total_weight = np.zeros(1 << HASH_BITS), 0.0
        for topic in self.state.active_topics():
            topic.trim_sample(self.sample_size)
        parts = [(t.size, list(t.sample.values())) for t in self.state.active_topics()]
        parts.append((len(self.state.pool), [p.tokens for _, p in sorted(self.state.pool.items())]))
        self.spellings = spelling_counts(tokens for _, token_lists in parts for tokens in token_lists)
        for size, token_lists in parts:
            if size and token_lists:
                self.total += size * np.asarray(self._vectors(token_lists).mean(axis=0)).ravel()
                self.total_weight += size
        for topic in self.state.active_topics():
            if topic.sample:
                self._apply(topic, self._fit_sample(topic.sample, topic.size))

    def merge_similar(self) -> list[tuple[int, int]]:
        """Merge pairs of active topics that became the same topic; the older (smaller) id survives.

        Two topics are the same when their distinctive centroids, both measured against the corpus outside the two
        of them, reach merge_threshold. (Each topic's own centroid is measured against everything outside it, the
        other topic included, which keeps twins apart by construction; so it cannot be used for this test.)
        """
        active = self.state.active_topics()
        if len(active) < 2:
            return []
        profiles = [self._profile(t.sample, t.size) for t in active]
        pairs = sorted((-sim, active[i].id, active[j].id) for i, j, sim in self._same_topic_pairs(profiles, profiles)
                       if i < j)
        done: set[int] = set()
        merged: list[tuple[int, int]] = []
        for _, keep_id, drop_id in pairs:
            if keep_id in done or drop_id in done:
                continue  # one merge per topic per refresh; chains settle over the next refreshes
            done.update((keep_id, drop_id))
            keep, drop = self.state.topics[keep_id], self.state.topics[drop_id]
            keep.size += drop.size
            keep.absorbed.append(drop_id)
            for doc_id, tokens in drop.sample.items():
                keep.add_to_sample(doc_id, tokens, self.sample_size)
            keep.trim_sample(self.sample_size)
            drop.merged_into = keep_id
            self._retire(drop, MERGED)
            self._apply(keep, self._fit_sample(keep.sample, keep.size))
            self._event("merged", drop_id, keep_id)
            merged.append((drop_id, keep_id))
        return merged

    def split_apart(self) -> list[tuple[int, list[int]]]:
        """Split active topics whose member sample falls into two clearly separate groups.

        The test is the one bisection uses when topics are discovered: cosine 2-means on the sample, and a split
        when the two sides' distinctive centroids have a cosine under split_threshold (and neither side is tiny).
        """
        splits = []
        for topic in self.state.active_topics():
            if topic.first_seen == self.state.run or len(topic.sample) < 2 * self.min_topic_size:
                continue
            doc_ids = sorted(topic.sample)
            vectors = self._vectors([topic.sample[d] for d in doc_ids])
            background = self._outside(vectors, topic.size)
            rows, background = compact(vectors, background)
            sides = two_means(rows, background, principal_splits(rows, 1)[0])
            groups = [[d for d, s in zip(doc_ids, sides, strict=True) if s == side] for side in (0, 1)]
            if (min(len(g) for g in groups) < max(MIN_SPLIT_SHARE * len(doc_ids), self.min_topic_size / 2)
                    or separate(rows, background, sides) >= self.split_threshold):
                continue
            children = []
            for group in groups:
                sample = {d: topic.sample[d] for d in group}
                size = round(topic.size * len(group) / len(doc_ids))
                child = self._new_topic(self._fit_sample(sample, size), parents=[topic.id])
                child.size = size
                child.sample = sample
                children.append(child.id)
            topic.children = children
            self._retire(topic, SPLIT)
            self._event("split", topic.id, children)
            splits.append((topic.id, children))
        return splits

    def calibrate(self) -> None:
        """Set every active topic's joining threshold against the current reference population."""
        active = self.state.active_topics()
        if not active:
            return
        ref = self._reference()
        column = {t.id: i for i, t in enumerate(active)}
        owner = np.array([column.get(o, -1) for o in ref.owner.tolist()])
        sims = similarities(ref.vectors, _matrix(active))
        thresholds, _ = joining_thresholds(sims, owner, ref.weights)
        for topic, threshold in zip(active, thresholds.tolist(), strict=True):
            topic.threshold = threshold

    # -- new topics from the pool ---------------------------------------------------------------------------

    def discover(self, attached: dict[str, tuple[int, float]]) -> list[int]:
        """Cluster the pool; clusters that stand out and would keep enough posts become topics.

        A cluster that is close to an existing topic (merge_threshold) joins it instead: the pool found more of a
        topic we already have. New topics get ids in order of size, then of their smallest doc id.
        """
        state = self.state
        if len(state.pool) < self.min_topic_size or len(state.active_topics()) >= self.max_topics:
            return []
        ref = self._reference()
        n_samples = len(ref.owner) - len(ref.pool_ids)
        pool_vectors = ref.vectors[n_samples:]
        groups = bisect(pool_vectors, self.total, self.total_weight, min_size=self.min_topic_size,
                        split_threshold=self.split_threshold)
        candidates, owner = [], np.full(len(ref.owner), -1)
        for group in range(int(groups.max()) + 1 if len(groups) else 0):
            rows = np.flatnonzero(groups == group)
            if len(rows) < self.min_topic_size:
                continue
            owner[n_samples + rows] = len(candidates)
            fit = fit_topic(pool_vectors[rows], [state.pool[ref.pool_ids[i]].tokens for i in rows], self.idf,
                            self.top_terms, self._outside(pool_vectors[rows], len(rows)), self.spellings)
            candidates.append(_Candidate(fit, []))
        if not candidates:
            return []
        sims = similarities(ref.vectors, centroid_matrix([(c.fit.terms, c.fit.weights) for c in candidates]))
        thresholds, uncapped = joining_thresholds(sims, owner, ref.weights)
        coherent = coherence([c.fit.gate_words for c in candidates], ref.token_lists, ref.weights)
        for j, cand in enumerate(candidates):
            inside = owner == j
            cand.fit.threshold = float(thresholds[j])
            cand.fit.separation = float(np.median(sims[inside, j])) / float(uncapped[j])
            cand.fit.coherence = float(coherent[j])
        candidates = [c for c in candidates
                      if c.fit.separation >= MIN_SEPARATION and c.fit.coherence >= MIN_COHERENCE]
        candidates = self._keep_claiming(candidates, pool_vectors, ref.pool_ids)
        return self._create(candidates, attached)

    def _keep_claiming(self, candidates: list[_Candidate], vectors: sp.csr_matrix,
                       doc_ids: list[str]) -> list[_Candidate]:
        """Keep the candidates that, as topics, would be joined by at least min_topic_size pool documents.

        Members are recomputed the way attachment works (nearest accepting centroid); dropping a small candidate
        can move its documents to another one, so this repeats until nothing changes. Largest first.
        """
        while candidates:
            sims = similarities(vectors, centroid_matrix([(c.fit.terms, c.fit.weights) for c in candidates]))
            accepted = np.where(sims >= np.array([c.fit.threshold for c in candidates]), sims, -1.0)
            best = accepted.argmax(axis=1)
            best[accepted[np.arange(len(best)), best] < 0] = -1
            keep = np.bincount(best[best >= 0], minlength=len(candidates)) >= self.min_topic_size
            for i, cand in enumerate(candidates):
                cand.members = [doc_ids[j] for j in np.flatnonzero(best == i)]
            if keep.all():
                break
            candidates = [c for c, k in zip(candidates, keep, strict=True) if k]
        return sorted(candidates, key=lambda c: (-len(c.members), c.members[0]))

    def _create(self, candidates: list[_Candidate], attached: dict[str, tuple[int, float]]) -> list[int]:
        """New topics from the candidates, except those that are the same topic as an existing one (their posts
        join it) and those beyond max_topics."""
        state = self.state
        existing = state.active_topics()
        hosts = [self._profile(t.sample, t.size) for t in existing]
        created: list[int] = []
        room = self.max_topics - len(existing)
        for cand in candidates:
            profile = self._profile({d: state.pool[d].tokens for d in cand.members}, len(cand.members))
            same = sorted((-sim, j) for _, j, sim in self._same_topic_pairs([profile], hosts))
            if same:
                host = existing[same[0][1]]
                for doc_id in cand.members:
                    host.size += 1
                    host.add_to_sample(doc_id, state.pool.pop(doc_id).tokens, self.sample_size)
                    attached[doc_id] = (host.id, round(-same[0][0], 4))
            elif room > 0:
                topic = self._new_topic(cand.fit, parents=[])
                self._event("created", topic.id, None)
                created.append(topic.id)
                room -= 1
        return created

    def _profile(self, sample: dict[str, list[str]], size: float) -> _Profile:
        vectors = self._vectors([sample[d] for d in sorted(sample)]) if sample else None
        mean = sp.csr_matrix(vectors.mean(axis=0)) if vectors is not None else sp.csr_matrix((1, 1 << HASH_BITS))
        return _Profile(mean, float(size))

    def _same_topic_pairs(self, left: list[_Profile], right: list[_Profile]) -> list[tuple[int, int, float]]:
        """(i, j, similarity) for the pairs that are the same topic (similarity >= merge_threshold).

        Plain mean vectors pick the pairs worth testing; the test is the cosine of the two distinctive centroids
        against the corpus outside both.
        """
        if not left or not right:
            return []
        a, b = normalize_rows(sp.vstack([p.mean for p in left])), normalize_rows(sp.vstack([p.mean for p in right]))
        plain = (a @ b.T).toarray()
        found = []
        for i, j in zip(*np.nonzero(plain >= PRESELECT * self.merge_threshold), strict=True):
            if left[i] is right[j]:
                continue
            sim = self._pair_similarity(left[i], right[j])
            if sim >= self.merge_threshold:
                found.append((int(i), int(j), sim))
        return found

    def _pair_similarity(self, a: _Profile, b: _Profile) -> float:
        columns = np.union1d(a.mean.indices, b.mean.indices)
        mean_a, mean_b = a.mean[:, columns].toarray().ravel(), b.mean[:, columns].toarray().ravel()
        background = outside_mean(self.total[columns], self.total_weight, a.size * mean_a + b.size * mean_b,
                                  a.size + b.size)
        centre_a, centre_b = np.clip(mean_a - background, 0, None), np.clip(mean_b - background, 0, None)
        norm = float(np.linalg.norm(centre_a) * np.linalg.norm(centre_b))
        return float(centre_a @ centre_b) / norm if norm else 0.0

    # -- helpers --------------------------------------------------------------------------------------------

    def _reference(self) -> _Reference:
        token_lists, owner, weights = [], [], []
        for topic in self.state.active_topics():
            if topic.sample:
                token_lists.extend(topic.sample[d] for d in sorted(topic.sample))
                owner.extend([topic.id] * len(topic.sample))
                weights.extend([max(topic.size, len(topic.sample)) / len(topic.sample)] * len(topic.sample))
        pool_ids = sorted(self.state.pool)
        token_lists.extend(self.state.pool[d].tokens for d in pool_ids)
        owner.extend([-1] * len(pool_ids))
        weights.extend([1.0] * len(pool_ids))
        return _Reference(self._vectors(token_lists), np.array(owner, dtype=np.int64),
                          np.array(weights, dtype=np.float64), pool_ids, token_lists)

    def _vectors(self, token_lists: list[list[str]]) -> sp.csr_matrix:
        return tfidf(term_counts(token_lists), self.idf)

    def _outside(self, members: sp.csr_matrix, size: float) -> np.ndarray:
        """Mean vector of the corpus outside a group whose (sampled) member rows are given, the group being `size`
        posts large."""
        member_sum = size * np.asarray(members.mean(axis=0)).ravel()
        return outside_mean(self.total, self.total_weight, member_sum, size)

    def _fit_sample(self, sample: dict[str, list[str]], size: float) -> TopicFit:
        token_lists = [sample[d] for d in sorted(sample)]
        vectors = self._vectors(token_lists)
        return fit_topic(vectors, token_lists, self.idf, self.top_terms, self._outside(vectors, max(size, 1)),
                         self.spellings)

    def _apply(self, topic: TopicRecord, fit: TopicFit) -> None:
        topic.terms = fit.terms.tolist()
        topic.weights = fit.weights.tolist()
        topic.threshold = fit.threshold
        topic.keywords = steady_keywords(topic.keywords, fit.keywords)
        if fit.description is not None:
            topic.phrase = steady_phrase(topic.phrase, fit.description)

    def _new_topic(self, fit: TopicFit, parents: list[int]) -> TopicRecord:
        state = self.state
        topic = TopicRecord(id=state.next_id, keywords=[], terms=[], weights=[], threshold=1.0, size=0,
                            first_seen=state.run, parents=parents)
        self._apply(topic, fit)
        state.topics[topic.id] = topic
        state.next_id += 1
        return topic

    def _retire(self, topic: TopicRecord, status: str) -> None:
        """Keep the id, label and lineage of a merged or split topic; drop what only an active topic needs."""
        topic.status = status
        topic.terms, topic.weights, topic.sample = [], [], {}

    def _event(self, kind: str, topic_id: int, into: int | list[int] | None) -> None:
        event: dict[str, object] = {"run": self.state.run, "event": kind, "topic": topic_id}
        if into is not None:
            event["into"] = into
        self.state.events.append(event)


def _matrix(topics: list[TopicRecord]) -> sp.csr_matrix:
    return centroid_matrix([(np.asarray(t.terms, np.int32), np.asarray(t.weights, np.float32)) for t in topics])



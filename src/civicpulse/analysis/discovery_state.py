"""The persistent, JSON-serialisable state of topic discovery, and the bounded collections inside it.

Everything in here is bounded: a fixed-size hashed document-frequency array, at most `pool_size` unassigned documents
and at most `sample_size` member documents per topic. Both bounded sets keep the documents with the best priority
key (not the latest arrivals), so which documents they hold does not depend on the order documents came in.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from civicpulse.analysis.discovery_vectors import HASH_BITS, doc_key

STATE_VERSION = 1
ACTIVE, MERGED, SPLIT = "active", "merged", "split"


@dataclass
class PoolDoc:
    """A document no topic has claimed yet, kept so that a later refresh can cluster it."""

    run: int
    tokens: list[str]


@dataclass
class TopicRecord:
    id: int
    keywords: list[str]
    terms: list[int]  # hashed feature columns of the centroid (top-N only)
    weights: list[float]  # unit-norm centroid weights for `terms`
    threshold: float  # cosine a document needs to join; derived from the topic's own members
    size: int
    first_seen: int  # run number that created the topic
    status: str = ACTIVE
    parents: list[int] = field(default_factory=list)  # topics it was split from
    absorbed: list[int] = field(default_factory=list)  # topics merged into it
    merged_into: int | None = None
    children: list[int] = field(default_factory=list)  # topics it split into
    sample: dict[str, list[str]] = field(default_factory=dict)  # member doc_id -> tokens, bottom-k by doc_key
    phrase: str = ""  # a run of keywords several members share, as written ("" until one qualifies)

    def add_to_sample(self, doc_id: str, tokens: list[str], capacity: int) -> None:
        """Keep the `capacity` members with the smallest doc_key: a uniform sample, whatever the arrival order."""
        if doc_id in self.sample or not tokens:
            return
        self.sample[doc_id] = tokens
        if len(self.sample) > 2 * capacity:
            self.trim_sample(capacity)

    def trim_sample(self, capacity: int) -> None:
        if len(self.sample) > capacity:
            keep = sorted(self.sample, key=lambda d: (doc_key(d), d))[:capacity]
            self.sample = {d: self.sample[d] for d in sorted(keep)}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "keywords": self.keywords, "terms": self.terms,
                "weights": [round(w, 6) for w in self.weights], "threshold": round(self.threshold, 6),
                "size": self.size, "first_seen": self.first_seen, "status": self.status, "parents": self.parents,
                "absorbed": self.absorbed, "merged_into": self.merged_into, "children": self.children,
                "phrase": self.phrase, "sample": [[d, self.sample[d]] for d in sorted(self.sample)]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TopicRecord:
        return cls(id=raw["id"], keywords=raw["keywords"], terms=raw["terms"], weights=raw["weights"],
                   threshold=raw["threshold"], size=raw["size"], first_seen=raw["first_seen"],
                   status=raw["status"], parents=raw["parents"], absorbed=raw["absorbed"],
                   merged_into=raw["merged_into"], children=raw["children"], phrase=raw.get("phrase", ""),
                   sample={d: list(t) for d, t in raw["sample"]})


def _pack(array: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(array.astype("<u4").tobytes(), 6)).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype="<u4").astype(np.uint32)


@dataclass
class DiscoveryState:
    """Topics, id counter, run counter, hashed document frequencies, the outlier pool and the event log."""

    hash_bits: int = HASH_BITS
    run: int = 0  # completed refreshes; documents assigned now belong to run + 1
    next_id: int = 1
    n_docs: int = 0  # documents seen (live document-frequency counts)
    df: np.ndarray = field(default_factory=lambda: np.zeros(1 << HASH_BITS, np.uint32))
    ref_docs: int = 0  # document frequencies frozen at the last refresh: what IDF uses until the next one
    ref_df: np.ndarray = field(default_factory=lambda: np.zeros(1 << HASH_BITS, np.uint32))
    topics: dict[int, TopicRecord] = field(default_factory=dict)
    pool: dict[str, PoolDoc] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # counters of the open run, reported (and reset) by the next refresh
    run_seen: int = 0
    run_assigned: int = 0

    def active_topics(self) -> list[TopicRecord]:
        return [t for _, t in sorted(self.topics.items()) if t.status == ACTIVE]

    def add_to_pool(self, doc_id: str, tokens: list[str], capacity: int) -> None:
        self.pool[doc_id] = PoolDoc(self.run + 1, tokens)
        if len(self.pool) > capacity + max(1000, capacity // 4):
            self.trim_pool(capacity)

    def trim_pool(self, capacity: int) -> None:
        """Keep the newest runs' documents; within a run, the smallest doc_key (deterministic, order-free)."""
        if len(self.pool) > capacity:
            keep = sorted(self.pool, key=lambda d: (-self.pool[d].run, doc_key(d), d))[:capacity]
            self.pool = {d: self.pool[d] for d in sorted(keep)}

    def to_json(self) -> str:
        return json.dumps({
            "version": STATE_VERSION, "hash_bits": self.hash_bits, "run": self.run, "next_id": self.next_id,
            "n_docs": self.n_docs, "df": _pack(self.df), "ref_docs": self.ref_docs, "ref_df": _pack(self.ref_df),
            "topics": [t.to_dict() for _, t in sorted(self.topics.items())],
            "pool": [[d, p.run, p.tokens] for d, p in sorted(self.pool.items())],
            "events": self.events, "run_seen": self.run_seen, "run_assigned": self.run_assigned,
        }, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DiscoveryState:
        raw = json.loads(text)
        if raw.get("version") != STATE_VERSION or raw.get("hash_bits") != HASH_BITS:
            raise ValueError(f"unsupported discovery state (version {raw.get('version')!r}, "
                             f"hash_bits {raw.get('hash_bits')!r})")
        topics = [TopicRecord.from_dict(t) for t in raw["topics"]]
        return cls(hash_bits=raw["hash_bits"], run=raw["run"], next_id=raw["next_id"], n_docs=raw["n_docs"],
                   df=_unpack(raw["df"]), ref_docs=raw["ref_docs"], ref_df=_unpack(raw["ref_df"]),
                   topics={t.id: t for t in topics},
                   pool={d: PoolDoc(run, list(tokens)) for d, run, tokens in raw["pool"]},
                   events=raw["events"], run_seen=raw["run_seen"], run_assigned=raw["run_assigned"])

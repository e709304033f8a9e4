"""Cheap document vectors for topic discovery: hashed TF-IDF over token unigrams and bigrams.

No vocabulary is kept: tokens are hashed into a fixed number of columns, so memory does not grow with the corpus,
and document frequencies live in one fixed-size array. Hashes are murmur3 (seeded, process-independent), so the
same tokens give the same columns in every run and on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

HASH_BITS = 18
MIN_DOCS = 2
MIN_LIFT = 2.0  # a centroid column is at least twice as heavy among the members as outside them
MIN_SUPPORT = 0.05  # share of a topic's members a centroid column must occur in (and at least two)
BIGRAM_WEIGHT = 0.5  # a bigram repeats evidence its two unigrams already carry; count it half
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=1 << 20)
def token_hash(token: str) -> int:
    """32-bit murmur3 of a token (cached: social text repeats a small vocabulary)."""
    return int(murmurhash3_32(token, seed=17, positive=True))


def doc_key(doc_id: str) -> int:
    """A stable 32-bit priority for a document id; bounded samples keep the smallest keys."""
    return int(murmurhash3_32(doc_id, seed=29, positive=True))


def _mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Combine two arrays of 32-bit hashes into one (splitmix64 finaliser) for bigram columns."""
    with np.errstate(over="ignore"):
        x = (a.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31)) ^ _GOLDEN
    return x


def term_counts(docs: Sequence[Sequence[str]], bits: int = HASH_BITS) -> sp.csr_matrix:
    """Weighted term counts (n_docs × 2**bits): unigrams weigh 1, adjacent-token bigrams BIGRAM_WEIGHT."""
    mask = np.uint64((1 << bits) - 1)
    lens = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    hashes = np.fromiter((token_hash(t) for d in docs for t in d), dtype=np.uint64, count=int(lens.sum()))
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lens)
    # a bigram starts at every token that is not the last of its document
    ends = np.cumsum(lens)
    is_last = np.zeros(len(hashes), dtype=bool)
    is_last[ends[lens > 0] - 1] = True
    starts = np.flatnonzero(~is_last)
    cols = np.concatenate([hashes & mask, _mix(hashes[starts], hashes[starts + 1]) & mask]).astype(np.int64)
    data = np.concatenate([np.ones(len(hashes), np.float32), np.full(len(starts), BIGRAM_WEIGHT, np.float32)])
    matrix = sp.csr_matrix((data, (np.concatenate([rows, rows[starts]]), cols)), shape=(len(docs), 1 << bits))
    matrix.sum_duplicates()
    return matrix


def idf_weights(df: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed inverse document frequency, as in scikit-learn: log((1 + n) / (1 + df)) + 1."""
    return (np.log((1.0 + n_docs) / (1.0 + df.astype(np.float64))) + 1.0).astype(np.float32)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear TF × IDF with L2-normalised rows (empty rows stay empty)."""
    out = counts.copy()
    out.data = np.log1p(out.data) * idf[out.indices]
    return normalize_rows(out)


def normalize_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ matrix, dtype=np.float32)


def sparse_centroid(vectors: sp.csr_matrix, top_n: int,
                    background: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean of unit rows minus the corpus mean (what every post has), pruned to the top_n heaviest columns.

    Subtracting the background keeps only what is distinctive of these rows: without it a centroid of short posts
    carries much of its weight on everyday words, and unrelated posts full of everyday words come out similar.
    Columns used by fewer than MIN_SUPPORT of the rows are dropped. Returns (columns, unit weights).
    """
    summed = np.asarray(vectors.mean(axis=0)).ravel().astype(np.float64)
    if background is not None:
        # only columns clearly more common inside than outside describe the topic; everyday words that a sample
        # happens to hold a little more often than elsewhere would otherwise let unrelated posts match
        summed[summed < MIN_LIFT * background] = 0.0
        summed -= background
    if vectors.shape[0] > 1:
        # a column few members have is those posts' own quirk, not the topic's; left in, it lets a stray post
        # resemble the topic through its own words
        support = max(MIN_DOCS, int(np.ceil(MIN_SUPPORT * vectors.shape[0])))
        summed[np.bincount(vectors.indices, minlength=len(summed)) < support] = 0.0
    nonzero = np.flatnonzero(summed > 0)
    if len(nonzero) > top_n:
        # stable tie-break on the column number keeps the pruning deterministic
        order = np.lexsort((nonzero, -summed[nonzero]))[:top_n]
        nonzero = np.sort(nonzero[order])
    weights = summed[nonzero]
    norm = float(np.sqrt((weights.astype(np.float64) ** 2).sum())) or 1.0
    return nonzero.astype(np.int32), (weights / norm).astype(np.float32)


def centroid_matrix(centroids: Sequence[tuple[np.ndarray, np.ndarray]], bits: int = HASH_BITS) -> sp.csr_matrix:
    """Stack sparse centroids into a (n_topics × 2**bits) matrix."""
    indptr = np.zeros(len(centroids) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(c) for c, _ in centroids])
    cols = np.concatenate([c for c, _ in centroids]) if centroids else np.zeros(0, np.int32)
    vals = np.concatenate([w for _, w in centroids]) if centroids else np.zeros(0, np.float32)
    return sp.csr_matrix((vals, cols, indptr), shape=(len(centroids), 1 << bits), dtype=np.float32)


def similarities(vectors: sp.csr_matrix, centroids: sp.csr_matrix) -> np.ndarray:
    """Cosine similarities (n_docs × n_topics) of unit rows against unit centroids, as a dense array."""
    if centroids.shape[0] == 0:
        return np.zeros((vectors.shape[0], 0), dtype=np.float32)
    return np.asarray((vectors @ centroids.T).toarray(), dtype=np.float32)

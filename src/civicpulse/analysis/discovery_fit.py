"""Describe member documents as a topic: distinctive sparse centroid, label keywords and joining thresholds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from civicpulse.analysis.discovery_labels import Description, describe
from civicpulse.analysis.discovery_vectors import HASH_BITS, sparse_centroid, token_hash

SIMILARITY_FLOOR = 0.02  # a post must share some distinctive weight with a topic, however loose the topic
OUTSIDE_QUANTILE = 0.98  # a post joins when it is closer to the topic than 98% of the corpus outside it
COHERENCE_WORDS = 5
GATE_WORDS = 8


@dataclass
class TopicFit:
    terms: np.ndarray
    weights: np.ndarray
    keywords: list[str]
    gate_words: list[str]  # the tokens the coherence gate tests (see gate_words)
    description: Description | None = None  # keywords and phrases as written
    threshold: float = 1.0  # set by joining_thresholds against a reference population
    separation: float = 0.0  # typical member's cosine over the uncapped threshold: how well the topic stands out
    coherence: float = 0.0  # mean NPMI of the top keywords over the corpus


def gate_words(token_lists: Sequence[Sequence[str]], idf: np.ndarray, limit: int = GATE_WORDS) -> list[str]:
    """Tokens as written that are frequent among the members and rare overall (share × IDF), for the coherence gate.

    Deliberately not the label keywords: which clusters become topics must not depend on how labels are spelled or
    which words they leave out. A token that is a subset of one already chosen (or the other way round) is skipped.
    """
    mask = (1 << HASH_BITS) - 1
    shares = Counter(t for tokens in token_lists for t in set(tokens))
    minimum = 2 if len(token_lists) >= 4 else 1
    scored = sorted(((-(n / len(token_lists)) * float(idf[token_hash(t) & mask]), t)
                     for t, n in shares.items() if n >= minimum))
    chosen: list[str] = []
    for _, token in scored:
        words = set(token.lstrip("#").split())
        if any(words <= set(c.lstrip("#").split()) or set(c.lstrip("#").split()) <= words for c in chosen):
            continue
        chosen.append(token)
        if len(chosen) == limit:
            break
    return chosen


def fit_topic(vectors: sp.csr_matrix, token_lists: Sequence[Sequence[str]], idf: np.ndarray, top_terms: int,
              background: np.ndarray | None, spellings: dict[str, Counter[str]] | None = None) -> TopicFit:
    """Distinctive centroid (top_terms heaviest columns), keywords and phrases of the member rows.

    `spellings` (key -> spellings with diacritics over the corpus) writes keys no member spelled with diacritics.
    """
    terms, weights = sparse_centroid(vectors, top_terms, background)
    mask, unseen = (1 << HASH_BITS) - 1, float(idf.max())

    def term_idf(term: str) -> float:
        value = float(idf[token_hash(term) & mask])
        if value >= unseen and " " in term:  # syllables joined for the label only: no column of their own
            return float(np.mean([term_idf(part) for part in term.split()]))
        return value

    description = describe(token_lists, term_idf, spellings)
    return TopicFit(terms=terms, weights=weights, keywords=description.keywords,
                    gate_words=gate_words(token_lists, idf), description=description)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][min(len(values) - 1, int(np.searchsorted(cumulative, q * cumulative[-1])))])


def joining_thresholds(sims: np.ndarray, owner: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per topic (column of sims): the cosine a post needs to join it, and the uncapped value of that cosine.

    `sims` are the cosines of a reference population (rows: the pool and every topic's member sample) to the
    topics; `owner` is each row's column (-1: none of these); `weights` is how many posts a row stands for (a
    sample row stands for size / sample length posts), so the population stands for the whole corpus.

    The threshold is the weighted OUTSIDE_QUANTILE of the outsiders' cosines: a post joins when it is closer to
    the topic than 98% of the corpus outside it is. It is capped at the members' weighted median (a topic accepts
    its typical member) and floored at SIMILARITY_FLOOR. Competing topics are settled by taking the nearest
    accepting one, so the threshold only has to keep out posts that belong nowhere.
    """
    n_topics = sims.shape[1]
    thresholds, uncapped = np.ones(n_topics), np.ones(n_topics)
    for j in range(n_topics):
        column, inside = sims[:, j], owner == j
        if not inside.any():
            continue
        outside = _weighted_quantile(column[~inside], weights[~inside], OUTSIDE_QUANTILE) if (~inside).any() else 0.0
        uncapped[j] = max(SIMILARITY_FLOOR, outside)
        thresholds[j] = min(_weighted_quantile(column[inside], weights[inside], 0.5), uncapped[j])
    return thresholds, uncapped


def coherence(keyword_lists: Sequence[Sequence[str]], token_lists: Sequence[Sequence[str]], weights: np.ndarray,
              top: int = COHERENCE_WORDS) -> np.ndarray:
    """Mean positive normalised PMI over the pairs of each topic's top keywords, counted over reference posts.

    Words of a real topic turn up together across the corpus (NPMI well above 0); a cluster held together only by
    everyday words that happen to share a few posts has keywords that are independent elsewhere (NPMI near 0). This
    is the usual topic-coherence measure of topic-model evaluation, used here as a gate, with one change: a pair
    that turns up together less than chance counts 0, not down to -1, because a topic's synonyms ("kẹt xe",
    "ùn tắc") are seldom written in the same post. `weights` is how many posts each reference post stands for.
    """
    vocabulary = {w: i for i, w in enumerate(sorted({w for words in keyword_lists for w in words[:top]}))}
    scores = np.zeros(len(keyword_lists))
    if not vocabulary:
        return scores
    rows, cols = [], []
    for r, tokens in enumerate(token_lists):
        for c in {vocabulary[t] for t in tokens if t in vocabulary}:
            rows.append(r)
            cols.append(c)
    present = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(token_lists), len(vocabulary)))
    joint = np.asarray((present.T @ sp.diags(weights) @ present).todense()) / float(weights.sum())
    single = np.diag(joint)
    for k, words in enumerate(keyword_lists):
        ids = [vocabulary[w] for w in words[:top]]
        values = [_positive_npmi(joint[a, b], single[a], single[b]) for i, a in enumerate(ids) for b in ids[i + 1:]]
        scores[k] = float(np.mean(values)) if values else 0.0
    return scores


def _positive_npmi(p_ab: float, p_a: float, p_b: float) -> float:
    if p_ab <= 0:
        return 0.0
    if p_ab >= 1:
        return 1.0
    return max(0.0, float(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)))

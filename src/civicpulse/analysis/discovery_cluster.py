"""Clustering for topic discovery: bisecting spherical 2-means with a separation test as its stopping rule.

Why this rather than HDBSCAN or plain k-means on short posts: density clustering labels a third to a half of
short posts as noise and needs memory that grows faster than the data; k-means needs k and, on sparse short
texts, scatters a big topic over many small mixed pieces. Bisecting keeps splitting a cluster in two only while the
two halves are clearly different topics — the distinctive centroids of the halves (their mean minus the mean of the
posts outside the cluster) have a cosine under `split_threshold` — so the number of topics follows from the data.
The same test later decides whether an existing topic splits, so discovery and maintenance agree on what "two
topics" means. Splits start from the principal direction (PDDP, no random seed) and are refined by 2-means; each
step is linear in the posts and runs on the columns they use. Equal input gives equal output.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

POWER_ITERATIONS = 20
DIRECTIONS = 3  # principal directions tried before a cluster is taken as one topic
ITERATIONS = 15
MAX_PEELS = 3  # tiny groups split off one cluster in a row before it is taken as it is
OUTSIDE_PRIOR = 0.02


def compact(vectors: sp.csr_matrix, dense: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The rows restricted to the columns they use, and a dense vector (a background, a total) on those columns."""
    used = np.unique(vectors.indices)
    return sp.csr_matrix(vectors[:, used], dtype=np.float64), dense[used]


def outside_mean(total: np.ndarray, total_weight: float, member_sum: np.ndarray, member_weight: float) -> np.ndarray:
    """Mean vector of the posts outside a group, from the corpus total and the group's sum.

    This is the background a group's distinctive centroid is measured against: words common outside the group say
    nothing about it, while words common inside it stay, however large the group. When little lies outside (the
    group is most of the corpus), the estimate is shrunk towards the corpus mean, with a prior worth OUTSIDE_PRIOR
    of the corpus, so that everyday words shared by everything still count as background.
    """
    if total_weight <= 0:
        return np.zeros_like(total)
    prior = OUTSIDE_PRIOR * total_weight
    outside = total - member_sum + prior * total / total_weight
    return np.clip(outside / (max(total_weight - member_weight, 0.0) + prior), 0.0, None)


def distinctive_centre(rows: sp.csr_matrix, background: np.ndarray) -> np.ndarray:
    """Unit (mean of rows − background)+, dense over the compact columns."""
    centre = np.clip(np.asarray(rows.mean(axis=0)).ravel() - background, 0.0, None)
    return centre / (np.linalg.norm(centre) or 1.0)


def principal_splits(rows: sp.csr_matrix, count: int) -> list[np.ndarray]:
    """Sides (0/1 per row) by the sign of the projection on each of the first `count` principal directions (PDDP).

    Power iteration (with deflation) on the implicitly centred rows, started from the row farthest from the mean;
    no random seed, so equal rows give equal splits, and a direction moves little when a few rows change.
    """
    mean = np.asarray(rows.mean(axis=0)).ravel()
    squared = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
    start = rows[int(np.argmax(squared - 2 * (rows @ mean) + mean @ mean))].toarray().ravel() - mean
    found: list[np.ndarray] = []
    splits = []
    for _ in range(count):
        direction = start.copy()
        for _ in range(POWER_ITERATIONS):
            for previous in found:
                direction -= (direction @ previous) * previous
            direction /= np.linalg.norm(direction) or 1.0
            projected = rows @ direction - mean @ direction
            direction = rows.T @ projected - mean * projected.sum()
        for previous in found:
            direction -= (direction @ previous) * previous
        direction /= np.linalg.norm(direction) or 1.0
        found.append(direction)
        splits.append((rows @ direction - mean @ direction > 0).astype(np.int64))
    return splits


def two_means(rows: sp.csr_matrix, background: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Side (0/1) per row: a starting split refined by cosine 2-means with distinctive centres."""
    labels = start
    for _ in range(ITERATIONS):
        if np.bincount(labels, minlength=2).min() == 0:
            break
        centres = np.vstack([distinctive_centre(rows[labels == side], background) for side in (0, 1)])
        new_labels = np.asarray(rows @ centres.T).argmax(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels


def separate(rows: sp.csr_matrix, background: np.ndarray, sides: np.ndarray) -> float:
    """Cosine between the distinctive centres of the two sides (1.0 when a side is empty)."""
    if np.bincount(sides, minlength=2).min() == 0:
        return 1.0
    return float(distinctive_centre(rows[sides == 0], background) @ distinctive_centre(rows[sides == 1], background))


def bisect(vectors: sp.csr_matrix, total: np.ndarray, total_weight: float, *, min_size: int,
           split_threshold: float) -> np.ndarray:
    """Group number per row (-1: a row with no features): split while the halves are separate topics.

    `total` and `total_weight` describe the whole corpus the rows come from (dense sum of unit rows, posts).
    """
    rows, corpus = compact(vectors, total)
    labels = np.full(rows.shape[0], -1)
    todo = [(np.flatnonzero(rows.getnnz(axis=1) > 0), 0)]
    leaves = []
    while todo:
        members, peeled = todo.pop()
        if len(members) < 2 * min_size:
            leaves.append(members)
            continue
        part = rows[members]
        background = outside_mean(corpus, total_weight, np.asarray(part.sum(axis=0)).ravel(), len(members))
        # the first principal direction whose refined split gives two separate halves wins; a mixture of many
        # small subjects can look alike along one direction and still come apart along the next
        tries = []
        for start in principal_splits(part, DIRECTIONS):
            sides = two_means(part, background, start)
            smaller = int(np.bincount(sides, minlength=2).min())
            tries.append((sides, smaller, smaller > 0 and separate(part, background, sides) < split_threshold))
            if tries[-1][2] and smaller >= min_size:
                break
        valid = [t for t in tries if t[2] and t[1] >= min_size]
        peelable = [t for t in tries if t[2]]
        if valid:
            sides = valid[0][0]
            todo.extend([(members[sides == 0], 0), (members[sides == 1], 0)])
        elif peelable and peeled < MAX_PEELS:
            # a tight handful split off a mixed cluster: set it aside (too small to be a topic) and keep going,
            # rather than stop and leave the mixture as one "topic"
            sides = peelable[0][0]
            small = int(np.bincount(sides, minlength=2).argmin())
            leaves.append(members[sides == small])
            todo.append((members[sides != small], peeled + 1))
        else:
            leaves.append(members)
    for number, members in enumerate(sorted(leaves, key=lambda m: (-len(m), m[0] if len(m) else -1))):
        labels[members] = number
    return labels

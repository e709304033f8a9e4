"""Privacy of aggregates: a figure resting on fewer than k distinct authors is suppressed, never shown, and the
distinct-author counts that are shown are coarsened (docs/privacy.md, "Aggregates: what a viewer can and cannot learn").
"""

from __future__ import annotations

import json

from civicpulse.store.base import Store

DEFAULT_K = 10
MIN_K = 5  # no workspace setting may go below this
# Shown author counts are rounded down to a multiple of this (below 1,000; two significant digits from there), so
# that one author more or less, the difference between two queries that differ by one post, rarely shows.
AUTHOR_STEP = 10


def k_for(store: Store, workspace: str) -> int:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    settings = json.loads(rows[0][0] or "{}") if rows else {}
    return max(MIN_K, int(settings.get("min_authors", DEFAULT_K)))


def set_k(store: Store, workspace: str, k: int) -> int:
    if k < MIN_K:
        raise ValueError(f"the minimum number of authors behind a figure cannot go below {MIN_K} (asked: {k})")
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    if not rows:
        raise ValueError(f"no workspace {workspace!r}")
    settings = {**json.loads(rows[0][0] or "{}"), "min_authors": k}
    store.execute("UPDATE workspaces SET settings = ? WHERE name = ?", [json.dumps(settings), workspace])
    return k


def coarse_authors(exact: int) -> int:
    """`exact` rounded down: to a multiple of AUTHOR_STEP below 1,000, to two significant digits from 1,000."""
    step = max(AUTHOR_STEP, 10 ** (len(str(max(exact, 0))) - 2))
    return exact - exact % step


def publish_authors(exact: int, k: int) -> int | None:
    """The distinct-author count a user may see: None (suppressed) under k, else `coarse_authors`, never below k.

    Every distinct-author figure that leaves analytics (API, pages, reports, digests, alerts) goes through here;
    the exact count stays inside, where suppression decisions are made on it.
    """
    if exact < k:
        return None
    return max(k, coarse_authors(exact))

"""Example posts for many groups at once (topics, spike buckets): candidates ranked first, texts read after.

`posts.representative` answers one group with one query over posts and their texts. For many groups, each group's
candidates, the head of its posts in EXAMPLE_ORDER, are ranked without reading texts (a top-n per group, or the head
of a shared pool), and only the candidates' texts are read. `settle` then checks that the candidates decide the
examples exactly; where they cannot, the caller asks that group's own query, so the result never differs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.posts import distinct_texts, example, post_rows, representative
from civicpulse.store.base import Store
from civicpulse.store.dialect import Dialect

SPARE = 10  # candidates beyond those needed: room for posts without text
_COLUMNS = ("p.platform, p.post_id, p.text, p.created_at, p.url, a.language, a.sentiment, a.sentiment_score, "
            "a.emotion, a.sentiment_confidence")


def candidate_count(n: int) -> int:
    """How many candidates per group `settle(n)` reads: `n`, and spares for posts without text."""
    return n + SPARE


def best_candidates(n: int, dialect: Dialect, alias: str = "a.") -> str:
    """SQL aggregate: a group's first `candidate_count(n)` posts in EXAMPLE_ORDER, a list of {platform, post_id}.

    The dialect's top-n per group, one pass whatever the number of groups. Ties on (confidence, time) come back in
    any order: `settle` sorts and checks the cut.
    """
    rank = (f"COALESCE({alias}sentiment_confidence, -1.0)", f"COALESCE({alias}created_at, TIMESTAMP '0001-01-01')")
    return dialect.top_n({"platform": f"{alias}platform", "post_id": f"{alias}post_id"}, rank, candidate_count(n))


def settle(store: Store, workspace: str, groups: dict[Any, list[dict[str, str]]],
           n: int) -> dict[Any, list[tuple] | None]:
    """Each group's first `n` posts with text, in EXAMPLE_ORDER, from its candidates (at most `candidate_count(n)`
    of its best posts, in any order), as (platform, post_id, text, created_at, url, language, sentiment, score,
    emotion, confidence) rows; one query reads every group's texts.

    None where the candidates cannot decide: more than the spares without text, or the n-th post ties on
    (confidence, time) with the last candidate, so that a post left out might precede it.
    """
    found = {g: [(c["platform"], c["post_id"]) for c in candidates] for g, candidates in groups.items()}
    every = sorted({key for keys in found.values() for key in keys})
    details = {(r[0], r[1]): r for r in post_rows(store, workspace, every, _COLUMNS)}
    out: dict[Any, list[tuple] | None] = {}
    for g, keys in found.items():
        ranked = sorted((details[key] for key in keys if key in details), key=_order)
        with_text = [r for r in ranked if r[2]][:n]
        whole = len(keys) < candidate_count(n)  # fewer candidates than asked: the group has no other posts
        clean_cut = len(with_text) == n and _order(with_text[-1])[:4] < _order(ranked[-1])[:4]
        out[g] = with_text if whole or clean_cut else None
    return out


def representatives(store: Store, workspace: str, f: Filters, found: dict[Any, list[dict[str, str]]],
                    condition: str, n: int = 3) -> dict[Any, list[dict[str, Any]]]:
    """`representative(f, n, condition, [k])` for each k of `found`, which holds k's candidates for n * 10 posts."""
    settled = settle(store, workspace, found, max(n, 1) * 10)
    return {k: distinct_texts([example(r[:9]) for r in rows], n) if rows is not None
            else representative(store, workspace, f, n, condition, [k]) for k, rows in settled.items()}


def _order(row: tuple) -> tuple:
    """EXAMPLE_ORDER in Python (confidence and time descending, NULLs last, then the key)."""
    confidence, created_at = row[9], row[3]
    return (confidence is None, -(confidence or 0.0), created_at is None,
            -(created_at - datetime.min).total_seconds() if created_at else 0.0, row[0], row[1])

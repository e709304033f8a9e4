"""Active learning: the posts an analyst's label would teach the workspace's model most, i.e. those its current
labels are least sure about, without the ones already labelled for that task.

Uncertainty is read from the stored analysis (the model that labelled the posts: the workspace's own once it has
one and the posts were analysed with it): sentiment by least confidence (1 - the top probability, the only one
stored), emotion by margin (1 - the gap between the two most probable emotions). Copies of one text come once.
No author column is read.
"""

from __future__ import annotations

import heapq
import json
from typing import Any

from civicpulse.analytics.posts import _with_details, distinct_texts, post_rows
from civicpulse.store.base import Store

QUEUE_TASKS = ("sentiment", "emotion")
MAX_QUEUE = 100
_UNLABELLED = ("a.workspace = ? AND NOT EXISTS (SELECT 1 FROM label_corrections c WHERE c.workspace = a.workspace "
               "AND c.platform = a.platform AND c.post_id = a.post_id AND c.task = ?) AND EXISTS (SELECT 1 FROM "
               "posts p WHERE p.workspace = a.workspace AND p.platform = a.platform AND p.post_id = a.post_id "
               "AND NOT p.deleted)")


def _sentiment_candidates(store: Store, workspace: str, limit: int) -> list[tuple[float, str, str]]:
    # Confidence 0 marks an empty text (nothing to judge, see pipeline._label_empty): nothing to learn there.
    rows = store.query("SELECT a.platform, a.post_id, a.sentiment_confidence FROM post_analysis a WHERE "
                       f"{_UNLABELLED} AND a.sentiment_confidence > 0 ORDER BY a.sentiment_confidence, a.platform, "
                       "a.post_id LIMIT ?", [workspace, "sentiment", limit])
    return [(1.0 - float(conf), platform, post_id) for platform, post_id, conf in rows]


def _emotion_candidates(store: Store, workspace: str, limit: int) -> list[tuple[float, str, str]]:
    rows = store.query(f"SELECT a.platform, a.post_id, a.emotion_scores FROM post_analysis a WHERE {_UNLABELLED} "
                       "AND a.emotion_scores IS NOT NULL ORDER BY a.platform, a.post_id", [workspace, "emotion"])

    def margin(row: tuple) -> tuple[float, str, str]:
        top = [*sorted(json.loads(row[2]).values(), reverse=True)[:2], 0.0]
        return 1.0 - (top[0] - top[1]), row[0], row[1]

    # nlargest keeps `limit` items at a time and is stable: ties stay in key order (the same queue every time).
    return heapq.nlargest(limit, map(margin, rows), key=lambda item: item[0])


def label_queue(store: Store, workspace: str, task: str, n: int = 20) -> list[dict[str, Any]]:
    """The `n` most uncertain, not yet labelled posts for `task`, most uncertain first, with `uncertainty`."""
    if task not in QUEUE_TASKS:
        raise ValueError(f"no label queue for {task!r}; choose from {', '.join(QUEUE_TASKS)}")
    n = max(1, min(int(n), MAX_QUEUE))
    fetch = _sentiment_candidates if task == "sentiment" else _emotion_candidates
    candidates = fetch(store, workspace, n * 3)  # room for copies of one text, dropped below
    uncertainty = {(p, i): u for u, p, i in candidates}
    keys = [(p, i) for _, p, i in candidates]
    order = {key: k for k, key in enumerate(keys)}
    rows = sorted(post_rows(store, workspace, keys), key=lambda r: order[(r[0], r[1])])
    posts = distinct_texts(_with_details(store, workspace, rows), n)
    for post in posts:
        post["uncertainty"] = round(uncertainty[(post["platform"], post["post_id"])], 4)
    return posts

"""Post explorer: filtered, paged, sorted posts of one workspace with their analysis and corrected labels.

Nothing here selects an author column: posts are shown with text, platform, time, url and labels only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from civicpulse.analytics.filters import FROM, FROM_POSTS, Filters, where
from civicpulse.store.base import Store

MAX_PAGE_SIZE = 100
ENGAGEMENT = "coalesce(p.likes, 0) + coalesce(p.replies, 0) + coalesce(p.shares, 0) + coalesce(p.quotes, 0)"
# A tiebreak on the key keeps pages stable: the same post never shows on two pages.
# Post columns are read from post_analysis (`a`), which carries them in both FROM forms.
SORTS = {
    "newest": "a.created_at DESC NULLS LAST, a.platform, a.post_id",
    "oldest": "a.created_at ASC NULLS LAST, a.platform, a.post_id",
    "most_negative": "a.sentiment_score ASC NULLS LAST, a.created_at DESC NULLS LAST, a.platform, a.post_id",
    "most_positive": "a.sentiment_score DESC NULLS LAST, a.created_at DESC NULLS LAST, a.platform, a.post_id",
    "engagement": f"{ENGAGEMENT} DESC, a.created_at DESC NULLS LAST, a.platform, a.post_id",
}
_COLUMNS = ("p.platform, p.post_id, p.text, p.created_at, p.url, p.likes, p.replies, p.shares, p.quotes, p.views, "
            "a.language, a.sentiment, a.sentiment_score, a.sentiment_confidence, a.emotion, a.keywords, "
            "a.hashtags, a.why")
# Example posts: the most confident first, then the newest, then by key (a total order: the same posts every time).
EXAMPLE_ORDER = "a.sentiment_confidence DESC NULLS LAST, a.created_at DESC NULLS LAST, a.platform, a.post_id"
# A list of post ids as one parameter (typed: PostgreSQL cannot infer an array's type from an untyped list).
ID_LIST = "(SELECT unnest(CAST(? AS TEXT[])))"
_PLACE_FIELDS = ("kind", "name", "country", "lat", "lon", "name_2025", "province_2025", "name_legacy",
                 "province_legacy")


def explore(store: Store, workspace: str, f: Filters, *, page: int = 1, page_size: int = 25,
            sort: str = "newest") -> dict[str, Any]:
    """One page of the posts matching `f`: {"total", "page", "pages", "page_size", "posts"}."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; choose from {', '.join(SORTS)}")
    if page < 1:
        raise ValueError(f"page numbers start at 1 (asked: {page})")
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    clause, params = where(workspace, f, store.dialect)
    total = store.query(f"SELECT count(*) {FROM} WHERE {clause}", params)[0][0]
    # The page's keys first, sorting narrow rows; then the wide columns (text, JSON) of those few posts only.
    source = FROM_POSTS if sort == "engagement" else FROM  # engagement counts live in posts only
    keys = store.query(f"SELECT a.platform, a.post_id {source} WHERE {clause} ORDER BY {SORTS[sort]} LIMIT ? OFFSET ?",
                       [*params, page_size, (page - 1) * page_size])
    rows = post_rows(store, workspace, keys)
    order = {key: n for n, key in enumerate(keys)}
    rows.sort(key=lambda r: order[(r[0], r[1])])
    return {"total": total, "page": page, "pages": math.ceil(total / page_size), "page_size": page_size,
            "posts": _with_details(store, workspace, rows)}


def post_rows(store: Store, workspace: str, keys: list[tuple], columns: str = _COLUMNS) -> list[tuple]:
    """`columns` of the posts named by (platform, post_id) `keys`, with their analysis."""
    if not keys:
        return []
    ids = sorted({post_id for _, post_id in keys})
    # One list parameter, post_id filtering both sides of the join: neither table is read whole, and a semi-join
    # on a list beats a long IN (?, ?, ...) of separate parameters.
    rows = store.query(f"SELECT {columns} {FROM_POSTS} WHERE p.workspace = ? AND p.post_id IN {ID_LIST} "
                       f"AND a.workspace = ? AND a.post_id IN {ID_LIST}", [workspace, ids, workspace, ids])
    wanted = set(keys)
    return [r for r in rows if (r[0], r[1]) in wanted]


def get_post(store: Store, workspace: str, platform: str, post_id: str) -> dict[str, Any] | None:
    """One post of the workspace (analysed or not); None when absent, deleted or in another workspace."""
    rows = store.query(
        f"SELECT {_COLUMNS} FROM posts p LEFT JOIN post_analysis a ON a.workspace = p.workspace "
        "AND a.platform = p.platform AND a.post_id = p.post_id "
        "WHERE p.workspace = ? AND p.platform = ? AND p.post_id = ? AND NOT p.deleted",
        [workspace, platform, post_id])
    return _with_details(store, workspace, rows)[0] if rows else None


def representative(store: Store, workspace: str, f: Filters, n: int = 3, extra_sql: str = "",
                   params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Up to `n` confident, distinct-text posts matching `f` (and `extra_sql`, a trusted condition with `?`s).

    Highest sentiment confidence first, so the examples are the ones the labels are surest about; near-duplicate
    texts (retweets, copy-paste campaigns) are skipped so the examples say different things.
    """
    clause, where_params = where(workspace, f, store.dialect)
    if extra_sql:
        clause = f"{clause} AND ({extra_sql})"
    rows = store.query(
        f"SELECT p.platform, p.post_id, p.text, p.created_at, p.url, a.language, a.sentiment, a.sentiment_score, "
        f"a.emotion {FROM_POSTS} WHERE {clause} AND p.text IS NOT NULL AND p.text <> '' "
        f"ORDER BY {EXAMPLE_ORDER} LIMIT ?", [*where_params, *params, max(n, 1) * 10])
    return distinct_texts([example(r) for r in rows], n)


def example(row: tuple) -> dict[str, Any]:
    """An example post from (platform, post_id, text, created_at, url, language, sentiment, score, emotion)."""
    platform, post_id, text, created_at, url, language, sentiment, score, emotion = row
    return {"platform": platform, "post_id": post_id, "text": text, "created_at": _iso(created_at), "url": url,
            "language": language, "sentiment": sentiment, "sentiment_score": score, "emotion": emotion}


def distinct_texts(posts: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The first `n` posts whose texts differ (case and spacing ignored): no copy-paste repeats among examples."""
    seen: set[str] = set()
    out = []
    for post in posts:
        fingerprint = " ".join(post["text"].lower().split())
        if fingerprint not in seen:
            seen.add(fingerprint)
            out.append(post)
        if len(out) == n:
            break
    return out


def _with_details(store: Store, workspace: str, rows: list[tuple]) -> list[dict[str, Any]]:
    """Attach topics, places and corrections with one query each for the whole page (not one per post)."""
    if not rows:
        return []
    keys = {(r[0], r[1]) for r in rows}
    topics = _per_post(store, "SELECT platform, post_id, topic FROM post_topics", workspace, keys,
                       "ORDER BY score DESC NULLS LAST, topic")
    places = _per_post(store, f"SELECT platform, post_id, {', '.join(_PLACE_FIELDS)} FROM post_places", workspace,
                       keys, "ORDER BY name")
    fixes = _per_post(store, "SELECT platform, post_id, task, label FROM label_corrections", workspace, keys,
                      "ORDER BY task")
    out = []
    for (platform, post_id, text, created_at, url, likes, replies, shares, quotes, views, language, sentiment,
         score, confidence, emotion, keywords, hashtags, why) in rows:
        key = (platform, post_id)
        out.append({
            "platform": platform, "post_id": post_id, "text": text, "created_at": _iso(created_at), "url": url,
            "language": language, "sentiment": sentiment, "sentiment_score": score,
            "sentiment_confidence": confidence, "emotion": emotion,
            "topics": [t[0] for t in topics.get(key, [])],
            "places": [dict(zip(_PLACE_FIELDS, p, strict=True)) for p in places.get(key, [])],
            "keywords": _json(keywords, []), "hashtags": _json(hashtags, []), "why": _json(why, None),
            "engagement": {"likes": likes, "replies": replies, "shares": shares, "quotes": quotes, "views": views},
            "corrections": {task: label for task, label in fixes.get(key, [])},  # never who corrected it
        })
    return out


def _per_post(store: Store, select: str, workspace: str, keys: set[tuple[str, str]],
              order: str) -> dict[tuple[str, str], list[tuple]]:
    # post_id IN (list) and the platform checked here: portable, unlike row-value IN lists.
    ids = sorted({post_id for _, post_id in keys})
    rows = store.query(f"{select} WHERE workspace = ? AND post_id IN {ID_LIST} {order}", [workspace, ids])
    found: dict[tuple[str, str], list[tuple]] = {}
    for platform, post_id, *rest in rows:
        if (platform, post_id) in keys:
            found.setdefault((platform, post_id), []).append(tuple(rest))
    return found


def _json(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

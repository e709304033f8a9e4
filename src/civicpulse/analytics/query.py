"""The listening query language: parse, validate, compile to SQL, or evaluate on one post in Python.

    ngập OR flood -spam                 terms, implicit AND, OR, NOT / -term
    "kẹt xe" ngap* t?c #ngapnuoc        phrases, wildcards, hashtags
    ngập NEAR/3 "thủ đức"               at most 3 words apart, either order
    lang:vi place:"Hồ Chí Minh" sentiment:negative topic:flooding_weather emotion:anger

`compile_sql` (dashboards, reports) and `matches` (alert rules on single posts) share one semantics: both
match the same regexes over the same folded text, and tests cross-check them on stored posts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from civicpulse.analytics.query_ast import (
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    fold,
    is_text_node,
    regex,
)
from civicpulse.analytics.query_parse import parse, validate
from civicpulse.analytics.query_sql import PLACE_COLUMNS, compile_sql
from civicpulse.store.base import Store

__all__ = ["And", "Field", "Near", "Node", "Not", "Or", "QuerySyntaxError", "Term", "compile_sql", "fold",
           "load_fields", "matches", "parse", "validate"]

_FIELD_KEYS = {"lang": "language", "platform": "platform", "sentiment": "sentiment", "emotion": "emotion"}


def matches(node: Node, text: str | None, fields: Mapping[str, Any]) -> bool:
    """Whether one post matches. `fields`: language, platform, sentiment, emotion (str or None), topics (topic
    ids) and places (place names: name, name_2025, province_2025, name_legacy, province_legacy); missing keys
    count as empty. `load_fields` builds them from the store."""
    return _eval(node, fold(text or ""), fields)


def _eval(node: Node, folded: str, fields: Mapping[str, Any]) -> bool:
    if is_text_node(node):
        return _compiled(regex(node, backtracking=True)).search(folded) is not None  # type: ignore[arg-type]
    if isinstance(node, Not):
        return not _eval(node.child, folded, fields)
    if isinstance(node, And):
        return all(_eval(c, folded, fields) for c in node.children)
    if isinstance(node, Or):
        return any(_eval(c, folded, fields) for c in node.children)
    assert isinstance(node, Field), node
    if node.name in _FIELD_KEYS:
        return (fields.get(_FIELD_KEYS[node.name]) or "") == node.value
    if node.name == "topic":
        topics = fields.get("topics") or ()
        if node.value.endswith("*"):
            return any(t.startswith(node.value.rstrip("*")) for t in topics)
        return node.value in topics
    return any(node.value in fold(place) for place in fields.get("places") or () if place)


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def load_fields(store: Store, workspace: str,
                keys: Iterable[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple[str | None, dict]]:
    """(platform, post_id) -> (text, fields) for `matches`: the given posts, or all of the workspace's."""
    key_list = list(keys) if keys is not None else None
    out: dict[tuple[str, str], tuple[str | None, dict]] = {}
    for chunk in _chunks(key_list):
        for platform, post_id, text, language, sentiment, emotion in _rows(
                store, workspace, chunk, "p.platform, p.post_id, p.text, a.language, a.sentiment, a.emotion",
                "posts p LEFT JOIN post_analysis a ON a.workspace = p.workspace AND a.platform = p.platform "
                "AND a.post_id = p.post_id", "p", "AND NOT p.deleted"):
            out[(platform, post_id)] = (text, {"platform": platform, "language": language, "sentiment": sentiment,
                                               "emotion": emotion, "topics": [], "places": []})
        for platform, post_id, topic in _rows(store, workspace, chunk, "x.platform, x.post_id, x.topic",
                                              "post_topics x", "x"):
            if (platform, post_id) in out:
                out[(platform, post_id)][1]["topics"].append(topic)
        columns = ", ".join("x." + c for c in PLACE_COLUMNS)
        for platform, post_id, *names in _rows(store, workspace, chunk, f"x.platform, x.post_id, {columns}",
                                               "post_places x", "x"):
            if (platform, post_id) in out:
                out[(platform, post_id)][1]["places"].extend(n for n in names if n)
    return out


_CHUNK = 200


def _chunks(keys: list[tuple[str, str]] | None) -> list[list[tuple[str, str]] | None]:
    if keys is None:
        return [None]
    return [keys[i:i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def _rows(store: Store, workspace: str, keys: list[tuple[str, str]] | None, columns: str, source: str,
          alias: str, extra: str = "") -> list[tuple]:
    sql = f"SELECT {columns} FROM {source} WHERE {alias}.workspace = ? {extra}"
    params: list[Any] = [workspace]
    if keys is not None:
        sql += " AND (" + " OR ".join(f"({alias}.platform = ? AND {alias}.post_id = ?)" for _ in keys) + ")"
        params += [v for key in keys for v in key]
    return store.query(sql, params)

"""Compile a parsed query into one boolean SQL expression over post_analysis `a` (analytics.filters.FROM).

User text only ever reaches SQL as `?` parameters. Text conditions are regexes (the store dialect's: RE2 in DuckDB,
POSIX advanced regexes in PostgreSQL) over `a.folded_text`, the post's text folded once when its analysis was saved
(the dialect's `fold`, the same fold as query_ast.fold), so a search never folds at query time. An OR of text
conditions becomes a single regex, so "a OR b OR c" scans each text once, and a word's longest literal run is
checked with `strpos` first: the database evaluates an AND on the rows still selected, so the regex runs only on
the few texts holding that run.
"""

from __future__ import annotations

import re
from typing import Any

from civicpulse.analytics.query_ast import (
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Term,
    is_text_node,
    regex,
)
from civicpulse.store.dialect import Dialect

_TEXT = "COALESCE(a.folded_text, '')"
_COLUMNS = {"lang": "a.language", "platform": "a.platform", "sentiment": "a.sentiment", "emotion": "a.emotion"}
PLACE_COLUMNS = ("name", "name_2025", "province_2025", "name_legacy", "province_legacy")


def compile_sql(node: Node, dialect: Dialect) -> tuple[str, list[Any]]:
    """(SQL, params): never NULL, so NOT behaves as in `matches` even for posts without text or analysis."""
    if is_text_node(node):
        parts = _text_conditions(node, dialect)  # type: ignore[arg-type]
        return _all(parts, " AND ", ""), [param for _, param in parts]
    if isinstance(node, Not):
        if is_text_node(node.child):  # NOT (loose AND exact) = NOT loose OR NOT exact: folds only candidates
            parts = _text_conditions(node.child, dialect)  # type: ignore[arg-type]
            return _all(parts, " OR ", "NOT "), [param for _, param in parts]
        sql, params = compile_sql(node.child, dialect)
        return f"NOT ({sql})", params
    if isinstance(node, And | Or):
        return _join(node, dialect)
    assert isinstance(node, Field), node
    return _field(node, dialect)


def _all(parts: list[tuple[str, str]], keyword: str, negation: str) -> str:
    joined = keyword.join(negation + sql for sql, _ in parts)
    return f"({joined})" if len(parts) > 1 else joined


def _text_conditions(node: Term | Or | Near, dialect: Dialect) -> list[tuple[str, str]]:
    """Cheap necessary conditions first (literal runs every match contains), then the exact regex."""
    literals = [(f"strpos({_TEXT}, ?) > 0", run) for run in _literals(node)]
    return [*literals, (dialect.regex_match(_TEXT, "?"), regex(node))]


def _join(node: And | Or, dialect: Dialect) -> tuple[str, list[Any]]:
    children: list[Node] = list(node.children)
    if isinstance(node, Or):  # one regex for all text alternatives
        text = [c for c in children if is_text_node(c)]
        if len(text) > 1:
            children = [Or(tuple(text)), *(c for c in children if not is_text_node(c))]
    if len(children) == 1:
        return compile_sql(children[0], dialect)
    parts = [compile_sql(c, dialect) for c in children]
    keyword = " AND " if isinstance(node, And) else " OR "
    return "(" + keyword.join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


def _field(node: Field, dialect: Dialect) -> tuple[str, list[Any]]:
    if node.name in _COLUMNS:
        return f"COALESCE({_COLUMNS[node.name]}, '') = ?", [node.value]
    if node.name == "topic":
        if node.value.endswith("*"):
            prefix = node.value.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return _exists("post_topics", "x.topic LIKE ? ESCAPE '\\'"), [prefix + "%"]
        return _exists("post_topics", "x.topic = ?"), [node.value]
    # An uncorrelated IN: each place row is folded once, whatever the plan. A correlated EXISTS under OR or NOT is a
    # subplan PostgreSQL may run per post, folding every place row again each time (seconds without statistics).
    any_name = " OR ".join(f"strpos({dialect.fold('x.' + c)}, ?) > 0" for c in PLACE_COLUMNS)
    return (f"COALESCE(a.post_key IN (SELECT x.post_key FROM post_places x WHERE x.post_key IS NOT NULL "
            f"AND ({any_name})), FALSE)"), [node.value] * len(PLACE_COLUMNS)


def _exists(table: str, condition: str) -> str:
    # Same join as filters._exists: the rows of the same post (post_key digests workspace, platform and post id).
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.post_key = a.post_key AND {condition})"


_ASCII_RUN = re.compile(r"[a-z0-9_]+")


def _literals(node: Term | Or | Near) -> list[str]:
    """Substrings every matching folded text contains: a word's longest run of 2+ letters or digits (the text is
    folded to ASCII, so a run of the folded query word appears as it is); one per side of NEAR; none for OR."""
    if isinstance(node, Near):
        return [run for side in (node.left, node.right) if isinstance(side, Term) and (run := _longest(side))]
    return [run] if isinstance(node, Term) and (run := _longest(node)) else []


def _longest(term: Term) -> str | None:
    best = max((run for word in term.words for run in _ASCII_RUN.findall(word)), key=len, default="")
    return best if len(best) >= 2 else None

"""Compile a parsed query into one boolean SQL expression over `posts p JOIN post_analysis a`.

User text only ever reaches SQL as `?` parameters. Text conditions are RE2 regexes over the folded post text;
an OR of text conditions becomes a single regex, so "a OR b OR c" scans each text once.

Folding (strip_accents) costs ten times more than a regex, so a text condition first runs looser regexes on the
raw text: the longest ASCII run of a word, each letter as a class of every character that folds to it ("ngap" ->
"[nNñ...]\\pM*[gG...]\\pM*[aAàáạ...]\\pM*[pP...]\\pM*", combining marks allowed after each). A text whose folded form
matches also matches the loose regexes, so the exact condition still decides alone; DuckDB evaluates an AND on
the rows still selected, so a rare word folds only the few posts holding its letters.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from civicpulse.analytics.query_ast import (
    FOLDED_TEXT_SQL,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    Term,
    fold,
    is_text_node,
    regex,
)

_TEXT = FOLDED_TEXT_SQL.format(expr="p.text")
_RAW = "COALESCE(p.text, '')"
_COLUMNS = {"lang": "a.language", "platform": "p.platform", "sentiment": "a.sentiment", "emotion": "a.emotion"}
PLACE_COLUMNS = ("name", "name_2025", "province_2025", "name_legacy", "province_legacy")


def compile_sql(node: Node) -> tuple[str, list[Any]]:
    """(SQL, params): never NULL, so NOT behaves as in `matches` even for posts without text or analysis."""
    if is_text_node(node):
        parts = _text_conditions(node)  # type: ignore[arg-type]
        return _all(parts, " AND ", ""), [param for _, param in parts]
    if isinstance(node, Not):
        if is_text_node(node.child):  # NOT (loose AND exact) = NOT loose OR NOT exact: folds only candidates
            parts = _text_conditions(node.child)  # type: ignore[arg-type]
            return _all(parts, " OR ", "NOT "), [param for _, param in parts]
        sql, params = compile_sql(node.child)
        return f"NOT ({sql})", params
    if isinstance(node, And | Or):
        return _join(node)
    assert isinstance(node, Field), node
    return _field(node)


def _all(parts: list[tuple[str, str]], keyword: str, negation: str) -> str:
    joined = keyword.join(negation + sql for sql, _ in parts)
    return f"({joined})" if len(parts) > 1 else joined


def _text_conditions(node: Term | Or | Near) -> list[tuple[str, str]]:
    """Cheap necessary conditions on the raw text first, then the exact condition on the folded text."""
    loose = [(f"regexp_matches({_RAW}, ?)", pattern) for pattern in _loose(node)]
    return [*loose, (f"regexp_matches({_TEXT}, ?)", regex(node))]


def _join(node: And | Or) -> tuple[str, list[Any]]:
    children: list[Node] = list(node.children)
    if isinstance(node, Or):  # one regex for all text alternatives
        text = [c for c in children if is_text_node(c)]
        if len(text) > 1:
            children = [Or(tuple(text)), *(c for c in children if not is_text_node(c))]
    if len(children) == 1:
        return compile_sql(children[0])
    parts = [compile_sql(c) for c in children]
    keyword = " AND " if isinstance(node, And) else " OR "
    return "(" + keyword.join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


def _field(node: Field) -> tuple[str, list[Any]]:
    if node.name in _COLUMNS:
        return f"COALESCE({_COLUMNS[node.name]}, '') = ?", [node.value]
    if node.name == "topic":
        if node.value.endswith("*"):
            prefix = node.value.rstrip("*").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return _exists("post_topics", "x.topic LIKE ? ESCAPE '\\'"), [prefix + "%"]
        return _exists("post_topics", "x.topic = ?"), [node.value]
    any_name = " OR ".join(f"strpos({FOLDED_TEXT_SQL.format(expr='x.' + c)}, ?) > 0" for c in PLACE_COLUMNS)
    return _exists("post_places", f"({any_name})"), [node.value] * len(PLACE_COLUMNS)


def _exists(table: str, condition: str) -> str:
    # Same join as filters._exists: the rows of the same post (post_key digests workspace, platform and post id).
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.post_key = a.post_key AND {condition})"


_ASCII_RUN = re.compile(r"[a-z0-9_]+")


def _loose(node: Term | Or | Near) -> list[str]:
    """RE2 patterns that every raw text matches when its folded form matches `node` (all of them must match)."""
    if isinstance(node, Near):  # both sides occur
        return [p for side in (node.left, node.right) if (p := _best(side))]
    best = _best(node)
    return [best] if best else []


def _best(node: Term | Or | Near) -> str | None:
    """One raw-text pattern implied by `node`: its longest ASCII run of 2 or more; None when there is none."""
    if isinstance(node, Term):
        best = max((run for word in node.words for run in _ASCII_RUN.findall(word)), key=len, default="")
        return "".join(_letter(ch) for ch in best) if len(best) >= 2 else None
    if isinstance(node, Near):
        sides = [_best(node.left), _best(node.right)]
        return max((s for s in sides if s), key=lambda s: s.count("]"), default=None)  # the most letters
    alternatives = [_best(c) for c in node.children]  # type: ignore[arg-type]
    return None if None in alternatives else "(?:" + "|".join(alternatives) + ")"  # type: ignore[arg-type]


def _letter(ch: str) -> str:
    variants = _variants().get(ch)
    return "[" + "".join(sorted(variants)) + r"]\pM*" if variants else ch + r"\pM*"


@cache
def _variants() -> dict[str, set[str]]:
    """ASCII letter or digit -> every character folding to it. Outside ASCII, only Latin-1 to Latin Extended-B,
    Latin Extended Additional (Vietnamese) and the Kelvin and Angstrom signs fold to ASCII (tests check all of
    Unicode)."""
    out: dict[str, set[str]] = {}
    for cp in (*range(0x30, 0x7B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00), 0x212A, 0x212B):
        folded = fold(chr(cp))
        if len(folded) == 1 and folded.isascii() and folded.isalnum():
            out.setdefault(folded, set()).add(chr(cp))
    return out

"""The listening query language's syntax tree, its errors, and the text matching both evaluators share.

Text is compared folded (lower case, no diacritics, đ -> d) and on word boundaries. One regex serves both
evaluators: the database's (the store dialect's `regex_match`: RE2 in DuckDB, POSIX advanced regexes in PostgreSQL)
and Python's `re` (alert rules on single posts, tests).
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 2000
MAX_DEPTH = 32  # nested parentheses and NOTs
MAX_TERMS = 100
MAX_NEAR = 50
MIN_WILDCARD_LITERALS = 2  # "a*" or "*" would match nearly every post
WILDCARDS = "*?"

# The SQL fold (the store dialect's `fold`) must stay equal to `fold` below: tests/test_query.py checks every
# Vietnamese letter, and letters of other scripts, on each backend.
_MARKS = frozenset(("Mn", "Mc", "Me"))  # the combining marks: what DuckDB's strip_accents (utf8proc STRIPMARK) removes


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character offset the message is about."""

    def __init__(self, message: str, query: str, position: int) -> None:
        self.message = message
        self.query = query
        self.position = max(0, min(position, len(query)))
        shown = query.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        super().__init__(f"{message}\n  {shown}\n  {' ' * self.position}^")


@dataclass(frozen=True, slots=True)
class Term:
    """Consecutive folded words ("kẹt xe" -> ("ket", "xe")); `*`/`?` inside a word are wildcards."""

    words: tuple[str, ...]
    hashtag: bool = False  # "#ngapnuoc": the word must follow a "#" in the text


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # one of FIELDS
    value: str  # normalised: lower case; folded for place; a trailing "*" on topic means "starts with"


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    """`left NEAR/distance right`: at most `distance` other words between the two, in either order."""

    left: Term | Or
    right: Term | Or
    distance: int


Node = Term | Field | Not | And | Or | Near

# Field name as typed -> canonical name. The value each one is checked against lives in query_parse.
FIELDS = {"lang": "lang", "language": "lang", "platform": "platform", "place": "place", "sentiment": "sentiment",
          "topic": "topic", "emotion": "emotion"}


def fold(text: str) -> str:
    """Lower case without diacritics, exactly as the SQL fold: "Ngập ở Đà Nẵng" -> "ngap o da nang"."""
    text = text.lower().replace("đ", "d")
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) not in _MARKS))


# Word characters after folding. ASCII only, on purpose: every Vietnamese and English letter folds into it, and
# RE2 turns Unicode classes under a repetition (NEAR's gap) into automata 40 times slower. Letters of other
# scripts (and ø, ß, ł...) count as separators, so such words match wherever they occur inside longer ones.
# The same pattern string runs in RE2 and in Python's re.
WORD = "[0-9a-z_]"
SEPARATOR = "[^0-9a-z_]"


def regex(node: Term | Or | Near, backtracking: bool = False) -> str:
    """A search pattern for folded text: the term, OR-group or NEAR pair, bounded by non-word characters.

    `backtracking=True` gives the pattern for Python's `re`, which matches the same texts; see `_word`.
    """
    return f"(?:^|{SEPARATOR}){_body(node, backtracking)}(?:{SEPARATOR}|$)"


def _body(node: Term | Or | Near, backtracking: bool) -> str:
    if isinstance(node, Term):
        return ("#" if node.hashtag else "") + f"{SEPARATOR}+".join(_word(w, backtracking) for w in node.words)
    if isinstance(node, Or):
        return "(?:" + "|".join(_body(c, backtracking) for c in node.children) + ")"  # type: ignore[arg-type]
    left, right = _body(node.left, backtracking), _body(node.right, backtracking)
    gap = f"(?:{SEPARATOR}+{WORD}+){{0,{node.distance}}}{SEPARATOR}+"
    return f"(?:{left}{gap}{right}|{right}{gap}{left})"


def _word(word: str, backtracking: bool) -> str:
    """A query word as a pattern matching one whole word of the text (the word's neighbours are separators).

    With several `*`, a backtracking engine would try every split of a long word among them (`ab*ab*ab*x` over a
    600-letter word takes seconds in `re`, minutes with one more `*`). Globs need no such search: each middle
    part may take its earliest place, so Python gets those parts in atomic groups. RE2 (SQL) has no atomic
    groups and needs none: it never backtracks.
    """
    if not backtracking or word.count("*") < 2:
        return _literal(word).replace("*", f"{WORD}*")
    first, *middle, last = word.split("*")
    return (_literal(first) + "".join(f"(?>{WORD}*?{_literal(part)})" for part in middle)
            + f"{WORD}*{_literal(last)}")


def _literal(part: str) -> str:
    # Query words hold only letters, digits, "_" and wildcards; escaping ASCII punctuation anyway keeps the
    # pattern safe in both engines (re.escape is not RE2-safe: it escapes characters RE2 rejects after "\").
    return "".join(WORD if ch == "?" else "\\" + ch if ch in string.punctuation and ch != "*" else ch
                   for ch in part)


def is_text_node(node: Node) -> bool:
    """Whether the node is decided by one regex over the text (a term, a NEAR pair, an OR of those)."""
    if isinstance(node, Or):
        return all(is_text_node(c) for c in node.children)
    return isinstance(node, Term | Near)

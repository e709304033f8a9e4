"""Tokenizer and recursive-descent parser of the listening query language (grammar in docs/query-language.md).

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*            adjacent terms are ANDed
    unary   := ("NOT" | "-") unary | near
    near    := primary ["NEAR/n" primary]
    primary := term | "phrase" | #hashtag | field:value | field:"value" | "(" or ")"

One rule on top of the grammar (docs/query-language.md, "Precedence"): outside parentheses, a field filter (or a
negated one) ANDed to search terms applies to the whole query, so `ngập OR "kẹt xe" lang:vi` means
`(ngập OR "kẹt xe") AND lang:vi`, as people read it; inside parentheses everything stays as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analytics.query_ast import (
    FIELDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NEAR,
    MAX_TERMS,
    MIN_WILDCARD_LITERALS,
    WILDCARDS,
    And,
    Field,
    Near,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    fold,
)

_BREAK = frozenset(' \t\r\n()"')
_WORD = re.compile(r"[\w*?]+")
_FIELD = re.compile(r"([A-Za-z_]+):(.*)", re.DOTALL)
_NEAR = re.compile(r"NEAR(?:/(\d+))?$")
_LANG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*|und")
_CHOICES = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", AND, OR, NOT, NEAR, ATOM, END
    pos: int
    text: str = ""
    node: Term | Field | None = None
    distance: int = 0


_STARTS_UNARY = frozenset(("(", "NOT", "ATOM"))


def parse(text: str) -> Node:
    """The syntax tree of a query; raises QuerySyntaxError pointing at the first problem."""
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is too long ({len(text)} characters; the limit is {MAX_LENGTH})",
                               text, MAX_LENGTH)
    if not text.strip():
        raise QuerySyntaxError("the query is empty: type a word, a \"phrase\" or a field such as lang:vi", text, 0)
    return _Parser(text).run()


def validate(text: str) -> None:
    """Raise QuerySyntaxError if the query does not parse (instant feedback in the query editor)."""
    parse(text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Lexer(text).run()
        self.i = 0
        self.depth = 0

    def error(self, message: str, pos: int, hint: str = "") -> QuerySyntaxError:
        return _error(self.text, message, pos, hint)

    @property
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def run(self) -> Node:
        if sum(t.kind == "ATOM" for t in self.tokens) > MAX_TERMS:
            raise QuerySyntaxError(f"the query has more than {MAX_TERMS} terms and fields; split it in two",
                                   self.text, 0)
        node = self.parse_or()
        if self.peek.kind == ")":
            raise self.error("unbalanced parenthesis", self.peek.pos)
        return node

    def operand(self, after: _Token) -> None:
        """Fail unless a term can start at the current token (the right side of `after`)."""
        if self.peek.kind not in _STARTS_UNARY:
            raise self.error(f"expected a term after {after.text}", self.peek.pos)

    def parse_or(self) -> Node:
        top_level = self.depth == 0
        branches = [self.parse_and()]
        while self.peek.kind == "OR":
            self.operand(self.take())
            branches.append(self.parse_and())
        if len(branches) == 1:
            return _join(And, [node for node, _ in branches[0]])
        if top_level:
            return _lift_filters(branches)
        return Or(_flatten(Or, [_join(And, [node for node, _ in branch]) for branch in branches]))

    def parse_and(self) -> list[tuple[Node, bool]]:
        """The ANDed parts of one OR alternative, each with whether it is a field filter written at top level."""
        if self.peek.kind in ("AND", "OR", "NEAR"):
            raise self.error(f"expected a term before {self.peek.text}", self.peek.pos)
        if self.peek.kind not in _STARTS_UNARY:  # a ")" opening the query
            raise self.error("unbalanced parenthesis", self.peek.pos)
        parts = [self.parse_part()]
        while self.peek.kind in ("AND", *_STARTS_UNARY):
            if self.peek.kind == "AND":
                self.operand(self.take())
            parts.append(self.parse_part())
        return parts

    def parse_part(self) -> tuple[Node, bool]:
        start = self.i
        node = self.parse_unary()
        written_bare = all(t.kind in ("NOT", "ATOM") for t in self.tokens[start:self.i])  # no parentheses, no NEAR
        return node, self.depth == 0 and written_bare and _is_filter(node)

    def parse_unary(self) -> Node:
        if self.peek.kind != "NOT":
            return self.parse_near()
        token = self.take()
        self.operand(token)
        self.enter(token)
        child = self.parse_unary()
        self.depth -= 1
        return Not(child)

    def parse_near(self) -> Node:
        left_pos = self.peek.pos
        left = self.parse_primary()
        if self.peek.kind != "NEAR":
            return left
        near = self.take()
        if self.peek.kind not in ("ATOM", "("):
            raise self.error(f"expected a word or phrase after {near.text}", self.peek.pos)
        right_pos = self.peek.pos
        right = self.parse_primary()
        for side, pos in ((left, left_pos), (right, right_pos)):
            if not _nearable(side):
                raise self.error(f"{near.text} needs a word or phrase on each side", pos,
                                 "not a field, NOT or AND (an OR-group of words is fine)")
        if self.peek.kind == "NEAR":
            raise self.error(f"{self.peek.text} cannot follow another NEAR; join two NEAR pairs with AND",
                             self.peek.pos)
        return Near(left, right, near.distance)  # type: ignore[arg-type]

    def parse_primary(self) -> Node:
        token = self.take()  # an ATOM or "(": callers checked
        if token.kind == "ATOM":
            return token.node  # type: ignore[return-value]
        self.operand(token)
        self.enter(token)
        node = self.parse_or()
        self.depth -= 1
        if self.peek.kind != ")":
            raise self.error("unbalanced parenthesis", token.pos)  # the "(" that is never closed
        self.take()
        return node

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the query nests more than {MAX_DEPTH} levels deep", token.pos)


def _error(text: str, message: str, pos: int, hint: str) -> QuerySyntaxError:
    return QuerySyntaxError(f"{message} at position {pos}" + (f": {hint}" if hint else ""), text, pos)


def _is_filter(node: Node) -> bool:
    return isinstance(node, Field) or (isinstance(node, Not) and _is_filter(node.child))


def _lift_filters(branches: list[list[tuple[Node, bool]]]) -> Node:
    """`a OR b lang:vi` -> `(a OR b) AND lang:vi`: top-level filters ANDed to terms apply to every alternative.

    An alternative made of filters only (`ngập OR sentiment:negative`, `lang:vi OR lang:en`) is an alternative
    like any other and stays where it is.
    """
    alternatives: list[Node] = []
    lifted: list[Node] = []
    for branch in branches:
        rest = [node for node, is_filter in branch if not is_filter]
        if rest and len(rest) < len(branch):
            lifted.extend(node for node, is_filter in branch if is_filter and node not in lifted)
            alternatives.append(_join(And, rest))
        else:
            alternatives.append(_join(And, [node for node, _ in branch]))
    either = Or(_flatten(Or, alternatives))
    return And(_flatten(And, [either, *lifted])) if lifted else either


def _join(kind: type[And] | type[Or], children: list[Node]) -> Node:
    return children[0] if len(children) == 1 else kind(_flatten(kind, children))


def _flatten(kind: type[And] | type[Or], children: list[Node]) -> tuple[Node, ...]:
    out: list[Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, kind) else (child,))
    return tuple(out)


def _nearable(node: Node) -> bool:
    return isinstance(node, Term) or (isinstance(node, Or) and all(isinstance(c, Term) for c in node.children))


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str, pos: int, hint: str = "") -> QuerySyntaxError:
        return _error(self.text, message, pos, hint)

    def run(self) -> list[_Token]:
        tokens: list[_Token] = []
        text = self.text
        while True:
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos == len(text):
                tokens.append(_Token("END", self.pos, "the end"))
                return tokens
            start, ch = self.pos, text[self.pos]
            if ch in "()":
                self.pos += 1
                tokens.append(_Token(ch, start, ch))
            elif ch == '"':
                tokens.append(_Token("ATOM", start, "phrase", node=self.term(self.quoted(), start, quoted=True)))
            elif ch == "-" and start + 1 < len(text) and text[start + 1] not in _BREAK - {'"', "("}:
                self.pos += 1
                tokens.append(_Token("NOT", start, "-"))
            else:
                tokens.append(self.bare(start))

    def quoted(self) -> str:
        start = self.pos
        end = self.text.find('"', start + 1)
        if end < 0:
            raise self.error("unclosed quote", start)
        self.pos = end + 1
        return self.text[start + 1:end]

    def bare(self, start: int) -> _Token:
        while self.pos < len(self.text) and self.text[self.pos] not in _BREAK:
            self.pos += 1
        raw = self.text[start:self.pos]
        if raw == "-":
            raise self.error("a lone '-'", start, "write it right before the term to exclude, as in -spam")
        if raw in ("AND", "OR", "NOT"):
            return _Token(raw, start, raw)
        near = _NEAR.match(raw)
        if near or raw.startswith("NEAR/"):
            if not near or near.group(1) is None:
                raise self.error("NEAR needs a number: NEAR/3", start)
            distance = int(near.group(1))
            if not 1 <= distance <= MAX_NEAR:
                raise self.error(f"NEAR/{distance}: the distance must be between 1 and {MAX_NEAR} words", start)
            return _Token("NEAR", start, raw, distance=distance)
        field = _FIELD.fullmatch(raw)
        if field:
            value = field.group(2)
            if not value and self.pos < len(self.text) and self.text[self.pos] == '"':
                value = self.quoted()
            return _Token("ATOM", start, raw, node=self.field(field.group(1), value, start))
        return _Token("ATOM", start, raw, node=self.term(raw, start, quoted=False))

    def term(self, raw: str, pos: int, quoted: bool) -> Term:
        hashtag = not quoted and raw.startswith("#")
        words = tuple(_WORD.findall(fold(raw[1:] if hashtag else raw)))
        if hashtag and (len(words) != 1 or "".join(words) != fold(raw[1:])):
            raise self.error(f"{raw!r} is not a hashtag", pos, "write # followed by letters, digits or _ only")
        if not words:
            what = "the phrase" if quoted else repr(raw)
            raise self.error(f"{what} has no letters or digits to search for", pos)
        for word in words:
            literals = len(word) - sum(word.count(w) for w in WILDCARDS)
            if literals < len(word) and literals < MIN_WILDCARD_LITERALS:
                raise self.error(f"the wildcard {word!r} needs at least {MIN_WILDCARD_LITERALS} letters or digits",
                                 pos)
        return Term(words, hashtag)

    def field(self, name: str, value: str, pos: int) -> Field:
        canonical = FIELDS.get(name.lower())
        if canonical is None:
            raise self.error(f"unknown field '{name}:'", pos, "the fields are lang, platform, place, sentiment, "
                             "topic and emotion; put other text containing ':' in quotes")
        value = value.strip()
        if not value:
            raise self.error(f"{name}: needs a value", pos, f"as in {name}:{_EXAMPLES[canonical]}")
        value = fold(value) if canonical == "place" else value.lower()
        choices = _CHOICES.get(canonical)
        if choices and value not in choices:
            raise self.error(f"unknown {canonical} {value!r}", pos, f"use one of {', '.join(choices)}")
        if canonical == "lang" and not _LANG.fullmatch(value):
            raise self.error(f"{value!r} is not a language code", pos, "use a code such as vi or en")
        if canonical == "topic" and "*" in value.rstrip("*"):
            raise self.error("a topic takes * only at its end", pos, "as in topic:flood*")
        return Field(canonical, value)


_EXAMPLES = {"lang": "vi", "platform": "mastodon", "place": '"Hồ Chí Minh"', "sentiment": "negative",
             "topic": "flooding_weather", "emotion": "anger"}

"""Fuzzing the listening query language: any input parses or fails with the parser's own positioned error (never
another exception, never a recursion error), whatever compiles runs in SQL, and the Python evaluator agrees with
SQL even where a backtracking regex engine would take exponential time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.query import Node, QuerySyntaxError, compile_sql, matches, parse
from civicpulse.analytics.query_ast import MAX_DEPTH, MAX_LENGTH, is_text_node, regex
from civicpulse.schema import Kind, Post
from civicpulse.store.dialect import DUCKDB
from civicpulse.store.duckdb_store import DuckDBStore

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PIECES = ["ngập", "flood*", "t?c", '"kẹt xe"', "#ngapnuoc", "lang:vi", "sentiment:negative", "topic:flood*",
          'place:"Hồ Chí Minh"', "platform:x", "emotion:anger", "covid-19", "a*", "ab*ab*x", "*ab*", "foo:bar",
          '"', "-", "--a", "NEAR/3", "NEAR/0", "NEAR/99999999999999999999", "NEAR", "AND", "OR", "NOT", "(", ")",
          "-spam", "🌊", "\x00", "đ", "москва", "中国", "lang:", 'place:"', "#", "#a b", "?", "**", "\u0301",
          "\ufeff", "\u202e", "%", "_", "\\", "'; DROP TABLE posts; --"]


@pytest.fixture(scope="module")
def store() -> Iterator[DuckDBStore]:
    db = DuckDBStore(":memory:")
    db.ensure_workspace("w")
    texts = ["Ngập ở Thủ Đức #ngapnuoc", "flooding again", "kẹt xe tắc đường", "abababx", "москва 中国 covid-19"]
    db.upsert_posts("w", [Post("x", str(i), Kind.POST, text, datetime(2026, 1, 1), "x", author_key="1.0")
                          for i, text in enumerate(texts)])
    yield db
    db.close()


def _text_nodes(node: Node) -> Iterator[Node]:
    if is_text_node(node):
        yield node
        return
    for child in getattr(node, "children", None) or ([node.child] if hasattr(node, "child") else []):
        yield from _text_nodes(child)


def check(text: str, store: DuckDBStore | None = None) -> Node | None:
    """Parse, or fail only with a QuerySyntaxError that points into the query; what parses compiles and runs."""
    try:
        node = parse(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.message and str(exc).startswith(exc.message)
        return None
    sql, params = compile_sql(node, DUCKDB)
    assert sql.count("?") == len(params)
    for part in _text_nodes(node):
        re.compile(regex(part, backtracking=True))  # type: ignore[arg-type]
    matches(node, "Ngập ở Thủ Đức abababx", {"language": "vi", "topics": ["flooding"], "places": ["Hà Nội"]})
    if store is not None:  # the whole WHERE, as dashboards run it
        clause, where_params = where("w", Filters(query=text), DUCKDB)
        store.query(f"SELECT count(*) {FROM} WHERE {clause}", where_params)
    return node


@FUZZ
@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_a_positioned_error(text: str) -> None:
    check(text)


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=25), st.lists(st.sampled_from(["", " ", "  ", "\t", "\n"]),
                                                               min_size=25, max_size=25))
def test_query_like_input_parses_or_fails_with_a_positioned_error(store: DuckDBStore, pieces: list[str],
                                                                   spaces: list[str]) -> None:
    check("".join(p + s for p, s in zip(pieces, spaces, strict=False)), store)


@pytest.mark.parametrize("build", [
    lambda n: "(" * n + "a" + ")" * n,
    lambda n: "(" * n,
    lambda n: ")" * n,
    lambda n: "NOT " * n + "a",
    lambda n: "-" * n + "a",
    lambda n: "-(" * n + "a" + ")" * n,
    lambda n: "(NOT " * n + "a" + ")" * n,
    lambda n: "a OR " * n + "a",
    lambda n: '"' * n,
    lambda n: "a NEAR/3 " * n + "a",
])
@pytest.mark.parametrize("n", [1, MAX_DEPTH, MAX_DEPTH + 1, 500, 100_000])
def test_deep_nesting_and_huge_inputs_never_escape_the_parser(build, n: int) -> None:
    text = build(n)
    node = check(text)
    if len(text) > MAX_LENGTH:
        assert node is None


def test_limits_are_named_in_the_error() -> None:
    with pytest.raises(QuerySyntaxError, match=f"the limit is {MAX_LENGTH}"):
        parse("a " * MAX_LENGTH)
    with pytest.raises(QuerySyntaxError, match=f"nests more than {MAX_DEPTH} levels"):
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(QuerySyntaxError, match="more than 100 terms"):
        parse("a " * 101)


GLOB = st.text(alphabet="ab?*", min_size=1, max_size=8).filter(lambda w: sum(c in "ab" for c in w) >= 2)


@FUZZ
@given(GLOB, st.lists(st.text(alphabet="ab _-", max_size=12), min_size=1, max_size=6))
def test_python_and_sql_agree_on_words_with_several_wildcards(store: DuckDBStore, word: str,
                                                             texts: list[str]) -> None:
    node = parse(word)
    plain = re.compile(regex(node))  # type: ignore[arg-type] - the RE2 pattern, fine in `re` on short texts
    sql, params = compile_sql(node, DUCKDB)
    folded = DUCKDB.fold("t.text")
    rows = store.query(f"SELECT t.i FROM (SELECT unnest(?) AS text, generate_subscripts(?, 1) AS i) t, "
                       f"LATERAL (SELECT {folded} AS folded_text) a WHERE {sql}", [texts, texts, *params])
    in_sql = {r[0] - 1 for r in rows}
    for i, text in enumerate(texts):
        assert matches(node, text, {}) == (i in in_sql) == bool(plain.search(text)), (word, text)


@pytest.mark.parametrize("word", ["ab*ab*ab*ab*ab*x", "*ab*ab*ab*x", "a?*b?*a?*b?*x"])
def test_several_wildcards_over_a_long_word_finish(word: str) -> None:
    # Python's `re` would backtrack through every split of the word among the *s: hours at this length. With the
    # atomic groups it is linear; the test finishing at all is the check (no timing asserted).
    node = parse(word)
    assert not matches(node, "ab" * 5000, {})
    assert matches(node, "ab" * 5000 + "x", {})
    assert matches(node, "zz " + "ab" * 5000 + "x, yy", {})

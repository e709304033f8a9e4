"""The listening query language: parser, errors, folding, and SQL and Python agreeing on stored posts."""

from __future__ import annotations

import random
import re
import string
import unicodedata
from datetime import datetime

import pytest

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.analytics.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    compile_sql,
    fold,
    load_fields,
    matches,
    parse,
    validate,
)
from civicpulse.analytics.query_ast import regex
from civicpulse.schema import Kind, Post
from civicpulse.store import Store, open_store
from civicpulse.store.dialect import DUCKDB, POSTGRES, Dialect


def t(*words: str, hashtag: bool = False) -> Term:
    return Term(words, hashtag)


# --- parser -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "tree"), [
    ("a b OR c", Or((And((t("a"), t("b"))), t("c")))),  # AND binds tighter than OR
    ("a OR b c", Or((t("a"), And((t("b"), t("c")))))),
    ("a AND b AND c", And((t("a"), t("b"), t("c")))),
    ("NOT a b", And((Not(t("a")), t("b")))),  # NOT binds tighter than AND
    ("a -b", And((t("a"), Not(t("b"))))),
    ("-(a OR b)", Not(Or((t("a"), t("b"))))),
    ("(a OR b) c", And((Or((t("a"), t("b"))), t("c")))),
    ("a or and", And((t("a"), t("or"), t("and")))),  # operators are upper case only
    ('"Kẹt  Xe"', t("ket", "xe")),
    ("TP.HCM covid-19", And((t("tp", "hcm"), t("covid", "19")))),
    ("ngập* t?c", And((t("ngap*"), t("t?c")))),
    ("#NgậpNước", t("ngapnuoc", hashtag=True)),
    ('ngập NEAR/3 "thủ đức"', Near(t("ngap"), t("thu", "duc"), 3)),
    ("(mưa OR ngập) NEAR/2 đường", Near(Or((t("mua"), t("ngap"))), t("duong"), 2)),
    ('lang:VI platform:x place:"Hồ Chí Minh" sentiment:negative topic:flood* emotion:anger',
     And((Field("lang", "vi"), Field("platform", "x"), Field("place", "ho chi minh"),
          Field("sentiment", "negative"), Field("topic", "flood*"), Field("emotion", "anger")))),
    ("language:en -place:hanoi", And((Field("lang", "en"), Not(Field("place", "hanoi"))))),
])
def test_parse_builds_the_expected_tree(query: str, tree: object) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(("query", "tree"), [
    # Top-level field filters ANDed to terms apply to the whole query, wherever they are written.
    ('ngập OR "kẹt xe" lang:vi', And((Or((t("ngap"), t("ket", "xe"))), Field("lang", "vi")))),
    ("lang:vi ngập OR flood", And((Or((t("ngap"), t("flood"))), Field("lang", "vi")))),
    ("a -platform:x OR b", And((Or((t("a"), t("b"))), Not(Field("platform", "x"))))),
    ("a lang:vi OR b lang:vi", And((Or((t("a"), t("b"))), Field("lang", "vi")))),  # the same filter once
    ("a b lang:vi OR c", And((Or((And((t("a"), t("b"))), t("c"))), Field("lang", "vi")))),
    # An alternative of filters only stays an alternative.
    ("lang:vi OR lang:en", Or((Field("lang", "vi"), Field("lang", "en")))),
    ("ngập OR sentiment:negative", Or((t("ngap"), Field("sentiment", "negative")))),
    # Inside parentheses everything stays as written.
    ("(ngập OR mưa lang:vi)", Or((t("ngap"), And((t("mua"), Field("lang", "vi")))))),
    ("a OR (b lang:vi)", Or((t("a"), And((t("b"), Field("lang", "vi")))))),
    ("a OR b NOT (lang:vi)", Or((t("a"), And((t("b"), Not(Field("lang", "vi"))))))),
    ("x (a OR b lang:vi)", And((t("x"), Or((t("a"), And((t("b"), Field("lang", "vi")))))))),
])
def test_top_level_field_filters_apply_to_the_whole_query(query: str, tree: object) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(("query", "position", "message"), [
    ("", 0, "the query is empty"),
    ("   ", 0, "the query is empty"),
    ("(ngập OR flood", 0, "unbalanced parenthesis at position 0"),
    ("ngập OR flood) x", 13, "unbalanced parenthesis at position 13"),
    ("ngập AND NOT", 12, "expected a term after NOT at position 12"),
    ("ngập OR", 7, "expected a term after OR at position 7"),
    ("ngập OR AND x", 8, "expected a term after OR at position 8"),
    ("AND ngập", 0, "expected a term before AND at position 0"),
    ("a ()", 3, "expected a term after ( at position 3"),
    ("foo:bar ngập", 0, "unknown field 'foo:' at position 0"),
    ("ngập lang:", 5, "lang: needs a value at position 5"),
    ("sentiment:angry", 0, "unknown sentiment 'angry' at position 0"),
    ("emotion:rage", 0, "unknown emotion 'rage'"),
    ("lang:vietnamese", 0, "'vietnamese' is not a language code"),
    ("ngập NEAR thủ", 5, "NEAR needs a number: NEAR/3 at position 5"),
    ("ngập NEAR/0 thủ", 5, "distance must be between 1 and 50"),
    ("ngập NEAR/3", 11, "expected a word or phrase after NEAR/3 at position 11"),
    ("lang:vi NEAR/3 ngập", 0, "NEAR/3 needs a word or phrase on each side at position 0"),
    ("a NEAR/2 (b c)", 9, "needs a word or phrase on each side at position 9"),
    ("a NEAR/2 b NEAR/2 c", 11, "cannot follow another NEAR"),
    ('ngập "kẹt xe', 5, "unclosed quote at position 5"),
    ('ngập ""', 5, "the phrase has no letters or digits"),
    ("ngập !!!", 5, "'!!!' has no letters or digits"),
    ("ngập - spam", 5, "a lone '-' at position 5"),
    ("a*", 0, "the wildcard 'a*' needs at least 2 letters"),
    ("#ngập-nước", 0, "is not a hashtag"),
    ("topic:fl*od", 0, "a topic takes * only at its end"),
    ("x" * 2001, 2000, "the query is too long (2001 characters; the limit is 2000)"),
    ("(" * 40 + "a" + ")" * 40, 32, "nests more than 32 levels"),
    ("NOT " * 40 + "a", 128, "nests more than 32 levels"),
    (" ".join(f"w{i}" for i in range(101)), 0, "more than 100 terms"),
])
def test_errors_name_the_problem_and_its_position(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        validate(query)
    assert caught.value.position == position
    assert message in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_the_error_text_shows_a_caret_under_the_position() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse("ngập AND\n(flood")
    assert caught.value.position == 9
    assert str(caught.value).splitlines() == ["unbalanced parenthesis at position 9", "  ngập AND (flood",
                                              "           ^"]


# --- folding and matching one text ------------------------------------------------------------------------------

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"


def _sql_fold(store: Store, text: str) -> str:
    return store.query(f"SELECT {store.dialect.fold('x.t')} FROM (SELECT CAST(? AS TEXT) AS t) x", [text])[0][0]


def test_fold_equals_the_sql_fold_on_every_vietnamese_letter_nfc_and_nfd(store: Store) -> None:
    letters = VIETNAMESE + VIETNAMESE.upper()
    # Letters that carry no mark stay (ø, ß, ł, æ, ligatures: PostgreSQL's unaccent would rewrite them); marks on
    # any letter go; other scripts fold as Python folds them.
    texts = [letters, unicodedata.normalize("NFD", letters), "Đường Nguyễn Huệ ĐÀ NẴNG", "Straße café naïve",
             "Łódź Æsir Ørsted ﬁ ½ ǅ", "Москва Йошкар-Ола ёлка", "Ἀθῆναι", "한국어 ｶﾞ", "x\u0301\u20dd\u0488 😭", ""]
    for text in texts:
        assert _sql_fold(store, text) == fold(text), text
    assert fold(letters).isascii() and set(fold(letters)) == set("aeiouyd")


def test_the_same_pattern_means_the_same_in_sql_and_python(store: Store) -> None:
    def in_sql(text: str, pattern: str) -> bool:
        return store.query(f"SELECT {store.dialect.regex_match('?', '?')}", [text, pattern])[0][0]

    texts = ["ngập, quá", "xngap", "ngap_x", "ngập😭", "москва ngap", "中国ngap人", "ngap\n", "(ngap)", "ngapø"]
    pattern = regex(Term(("ngap",)))
    for text in texts:
        assert in_sql(fold(text), pattern) == bool(re.search(pattern, fold(text))), text
    for ch in string.punctuation:  # the escaping the pattern builder uses is accepted by both engines: the char
        escaped = "a\\" + ch + "b"
        assert in_sql(f"a{ch}b", escaped) and re.search(escaped, f"a{ch}b"), ch


@pytest.mark.parametrize(("query", "text", "expected"), [
    ("ngap", "Ngập nặng quá", True),  # folded query and text match both ways
    ("ngập", "ngap nang qua", True),
    ("NGẬP", "nGaP", True),
    ("đường", "duong Nguyen Hue", True),
    ("ngap", "ngapxyz", False),  # word boundaries
    ("ngap", "ngap_nuoc", False),
    ("ngap*", "ngapxyz", True),
    ("ngap*", "ngap", True),
    ("t?c", "tắc đường", True),
    ("t?c", "tc", False),
    ("t?c", "tuoc", False),
    ("flood", "FLOODING", False),
    ("flood*", "FLOODING!", True),
    ('"kẹt xe"', "Kẹt, xe đứng im", True),  # punctuation between words is not a word
    ('"kẹt xe"', "xe kẹt", False),
    ('"kẹt xe"', "kẹt nhiều xe", False),
    ("#ngapnuoc", "Trời ơi #NgậpNước", True),
    ("#ngapnuoc", "ngapnuoc", False),
    ("#ngapnuoc", "abc#ngapnuoc", False),
    ("ngapnuoc", "#ngapnuoc", True),  # a word also matches inside a hashtag's text
    ('ngập NEAR/3 "cầu giấy"', "ngập đến đầu gối ở Cầu Giấy", False),  # 4 words between
    ('ngập NEAR/4 "cầu giấy"', "ngập đến đầu gối ở Cầu Giấy", True),
    ('ngập NEAR/1 "thủ đức"', "Thủ Đức lại ngập rồi", True),  # either order
    ('ngập NEAR/1 "thủ đức"', "ngập rồi", False),
    ("(mưa OR ngập) NEAR/1 đường", "đường này ngập", True),
    ("ngập -spam", "ngập spam", False),
    ("ngập OR flood NOT spam", "flood spam", False),
    ("NOT spam", "", True),
    ("ngap", "中国ngap人", True),  # letters outside Latin are separators, see docs/query-language.md
    ("москв", "в москве", True),
])
def test_matches_text(query: str, text: str, expected: bool) -> None:
    assert matches(parse(query), text, {}) is expected


def test_matches_fields() -> None:
    fields = {"language": "vi", "platform": "x", "sentiment": "negative", "emotion": "sadness",
              "topics": ["flooding_weather"], "places": ["Thành phố Hồ Chí Minh", "Phường Thủ Đức"]}
    for query, expected in [("lang:vi", True), ("lang:en", False), ("platform:X", True),
                            ("sentiment:negative emotion:sadness", True), ("topic:flooding_weather", True),
                            ("topic:flooding", False), ("topic:flood*", True), ('place:"ho chi minh"', True),
                            ("place:THỦ", True), ("place:hanoi", False), ("-lang:vi", False)]:
        assert matches(parse(query), "", fields) is expected, query
    assert matches(parse("-lang:vi"), "", {}) is True  # nothing known: a field condition is false


# --- SQL against stored, analysed posts -----------------------------------------------------------------------

TEXTS = [
    "Ngập nặng ở Thủ Đức, TP.HCM, khổ quá 😭 #ngậpnước",
    "ngap nang o thu duc qua troi luon",
    "Kẹt xe kinh khủng trên đường Võ Văn Kiệt",
    "Sáng nay kẹt,\nxe đứng im cả tiếng",
    "Flooding in Thu Duc again, streets under water #HCMC",
    "FLOOD warning near the airport, traffic jam too!!!",
    "ngapxyz là gì vậy",
    "Tắc đường quá, tức thật",
    "Hà Nội mưa to, nước ngập đến đầu gối ở Cầu Giấy",
    "Thủ Đức lại ngập rồi",
    "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️",
    "spam spam buy now cheap",
    "Đường Nguyễn Huệ đông vui tối nay",
    "COVID-19 cases rise in the city",
    "'; DROP TABLE posts; -- ngập",
    unicodedata.normalize("NFD", "Nước NGẬP ở Quận 7, KHỔ"),  # decomposed: combining marks after the letters
]
QUERIES = [
    "ngập", "ngap", "ngap*", "t?c", '"kẹt xe"', "#ngapnuoc", "ngapnuoc", "flood OR ngập", "flood*",
    'ngập NEAR/3 "thủ đức"', 'ngập NEAR/4 "cầu giấy"', "(ngập OR flood*) NOT spam", "-ngập", "đường",
    "covid-19", "lang:vi", "lang:en ngập", "platform:x", "sentiment:negative", "sentiment:positive OR emotion:joy",
    "topic:flooding_weather", "topic:flood*", 'place:"Hồ Chí Minh"', "place:ha noi", "-place:hcm",
    'ngập (place:"thu duc" OR lang:en)', "(ngập OR mưa) AND NOT (spam OR sentiment:positive)",
    '"; DROP TABLE posts; --"', "\\d+", 'ngập OR "kẹt xe" lang:vi', "flood* OR ngập lang:vi",
    "flood* OR ngập -lang:vi", "(flood* OR ngập lang:vi)",
]


def _posts(prefix: str) -> list[Post]:
    return [Post("x" if i % 3 == 0 else "mastodon", f"{prefix}{i}", Kind.POST, text, datetime(2026, 9, 14, 8, i),
                 "x", author_key=f"1.{prefix}{i:018x}") for i, text in enumerate(TEXTS)]


@pytest.fixture(scope="module")
def store(module_store_url: str):
    s = open_store(module_store_url)
    for ws in ("city", "other"):
        s.ensure_workspace(ws)
    s.upsert_posts("city", _posts("c"))
    s.upsert_posts("other", _posts("o")[:6])
    analyzer = Analyzer(mode="fast")
    for ws in ("city", "other"):
        enrich_workspace(s, ws, analyzer, discover=False)
    yield s
    s.close()


def _sql_ids(store: Store, workspace: str, query: str) -> set[str]:
    sql, params = where(workspace, Filters(query=query), store.dialect)
    return {row[0] for row in store.query(f"SELECT a.post_id {FROM} WHERE {sql}", params)}


def test_sql_and_python_agree_on_every_query(store: Store) -> None:
    posts = load_fields(store, "city")
    assert len(posts) == len(TEXTS)
    for query in QUERIES:
        node = parse(query)
        in_python = {key[1] for key, (text, fields) in posts.items() if matches(node, text, fields)}
        assert _sql_ids(store, "city", query) == in_python, query


def test_sql_and_python_agree_on_random_queries_over_messy_text(store_url: str) -> None:
    # Decomposed text, combining marks, soft hyphens, emoji, other scripts: the literal prefilter and the SQL fold
    # must never make SQL disagree with Python.
    rng = random.Random(7)
    words = ["ngập", "NGẬP", "thủ", "Đức", "kẹt", "xe", "flooding", "tắc", "#ngậpnước", "ngapnuoc", "ngập_nước",
             "Ø", "中国", "K", "café", "đường", "covid-19"]
    separators = [" ", ", ", "\n", "…", " 😭 ", "-", "(", " #", "_", "\u00ad", "\u0301"]
    texts = [unicodedata.normalize(rng.choice(["NFC", "NFD"]), "".join(
        rng.choice(words) + rng.choice(separators) for _ in range(rng.randint(0, 8)))) for _ in range(300)]
    terms = ["ngập", "duc", '"thủ đức"', '"kẹt xe"', "flood*", "t?c", "#ngapnuoc", "ngapnuoc", "ngập_nước",
             "đường", "covid-19", "café", "中国", "k", "ø", "fl*ing"]

    def random_query(depth: int = 0) -> str:
        pick = rng.random()
        if depth > 2 or pick < 0.4:
            return rng.choice(terms)
        if pick < 0.55:
            return f"{rng.choice(terms)} NEAR/{rng.randint(1, 3)} {rng.choice(terms)}"
        joiner = " OR " if pick < 0.7 else " " if pick < 0.85 else " -"
        return f"({random_query(depth + 1)}{joiner}{random_query(depth + 1)})"

    store = open_store(store_url)
    store.ensure_workspace("w")
    store.upsert_posts("w", [Post("m", str(i), Kind.POST, text, datetime(2026, 1, 1), "x", author_key="1.0")
                             for i, text in enumerate(texts)])
    for _ in range(60):
        node = parse(random_query())
        sql, params = compile_sql(node, store.dialect)
        # The stored fold (post_analysis.folded_text) computed here on the fly, as the store computes it.
        folded = store.dialect.fold("p.text")
        source = f"FROM posts p, LATERAL (SELECT {folded} AS folded_text) a"
        in_sql = {r[0] for r in store.query(f"SELECT p.post_id {source} WHERE p.workspace = 'w' AND {sql}", params)}
        assert in_sql == {str(i) for i, text in enumerate(texts) if matches(node, text, {})}, node
    store.close()


@pytest.mark.parametrize(("query", "expected"), [
    ("ngập", {0, 1, 8, 9, 14, 15}),
    ('"kẹt xe"', {2, 3}),
    ("#ngapnuoc", {0}),
    ("t?c", {7}),
    ('ngập NEAR/3 "thủ đức"', {0, 1, 9}),
    ("flood*", {4, 5}),
    ("(ngập OR flood*) -thủ", {5, 8, 14, 15}),  # "Thu Duc" in post 4 too
    ("platform:x ngập", {0, 9, 15}),
    ('place:"Hồ Chí Minh"', {0, 1, 4, 9, 15}),  # Quận 7 is a district of HCMC
])
def test_sql_finds_the_expected_posts(store: Store, query: str, expected: set[int]) -> None:
    assert _sql_ids(store, "city", query) == {f"c{i}" for i in expected}


def test_a_top_level_language_filter_narrows_every_alternative(store: Store) -> None:
    lifted = _sql_ids(store, "city", "flood* OR ngập lang:vi")
    grouped_by_hand = _sql_ids(store, "city", "(flood* OR ngập) lang:vi")
    kept_as_written = _sql_ids(store, "city", "(flood* OR ngập lang:vi)")
    assert lifted == grouped_by_hand and lifted  # the English "flood" posts are left out ...
    assert {"c4", "c5"} <= kept_as_written - lifted  # ... which only parentheses bring back


def test_analysis_fields_select_some_posts_but_not_all(store: Store) -> None:
    for query in ("lang:vi", "sentiment:negative", "topic:flooding_weather", "place:ha noi"):
        assert 0 < len(_sql_ids(store, "city", query)) < len(TEXTS), query


def test_a_query_only_ever_sees_its_workspace(store: Store) -> None:
    assert _sql_ids(store, "city", "ngập OR flood*") == {"c0", "c1", "c4", "c5", "c8", "c9", "c14", "c15"}
    assert _sql_ids(store, "other", "ngập OR flood*") == {"o0", "o1", "o4", "o5"}
    assert _sql_ids(store, "other", "-ngập") == {"o2", "o3", "o4", "o5"}
    sql, params = where("other", Filters(query="ngập"), store.dialect)
    assert sql.startswith("a.workspace = ?") and params[0] == "other"


TEXT = "COALESCE(a.folded_text, '')"


@pytest.mark.parametrize("dialect", [DUCKDB, POSTGRES], ids=["duckdb", "postgres"])
def test_text_conditions_check_a_literal_run_before_the_regex(dialect: Dialect) -> None:
    sql, params = compile_sql(parse("ngập"), dialect)
    assert sql.startswith("(strpos(COALESCE(a.folded_text, ''), ?) > 0 AND ") and params[0] == "ngap"
    assert sql.endswith(f"AND {dialect.regex_match(TEXT, '?')})")
    near_sql, near_params = compile_sql(parse('ngập NEAR/3 "thủ đức"'), dialect)
    assert near_params[:2] == ["ngap", "thu"] and near_sql.count("strpos") == 2
    assert len(compile_sql(parse("t?c"), dialect)[1]) == 1  # no literal run of 2: the regex alone
    assert len(compile_sql(parse("ngập OR flood"), dialect)[1]) == 1  # an OR is one regex, no literal


@pytest.mark.parametrize("dialect", [DUCKDB, POSTGRES], ids=["duckdb", "postgres"])
def test_user_text_reaches_sql_only_as_parameters(dialect: Dialect) -> None:
    sql, params = compile_sql(parse("\"'; DROP TABLE posts; --\" place:\"'); DELETE\" topic:x'y"), dialect)
    assert "DROP" not in sql and "DELETE" not in sql and "x'y" not in sql
    assert sql.count("?") == len(params)

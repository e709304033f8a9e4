"""The few SQL fragments DuckDB and PostgreSQL spell differently, for the SQL written above the store.

Analytics, web, alerts and reports build their statements from portable SQL plus `store.dialect`; they never name a
backend. What both accept is written out where it is used: `count(*) FILTER (WHERE ...)`, `date_trunc`,
`ts AT TIME ZONE 'UTC' AT TIME ZONE zone` (naive UTC -> naive local on both), `INTERVAL '3600 seconds'`,
`unnest(CAST(? AS TEXT[]))` for a list parameter, `strpos`, window functions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache

from civicpulse.store.analysis_sql import FOLDED_TEXT_SQL

_MARK_CATEGORIES = ("Mn", "Mc", "Me")  # what the query language's fold removes (analytics.query_ast.fold)
# Where Unicode has combining marks: the planes below 0x20000 and the variation selectors of plane 14.
_MARK_PLANES = (range(0x20000), range(0xE0000, 0xE1000))


@cache
def mark_class() -> str:
    """A regex character class of every combining mark (as Python's unicodedata knows them), as code point ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in (cp for plane in _MARK_PLANES for cp in plane):
        if unicodedata.category(chr(cp)) in _MARK_CATEGORIES:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]"


class Dialect:
    """What differs; every method returns SQL text (expressions hold no user input: callers pass `?` parameters)."""

    name: str

    def fold(self, expr: str) -> str:
        """`expr` folded as the query language folds text: lower case, no diacritics, "đ" -> "d"."""
        raise NotImplementedError

    def regex_match(self, text: str, pattern: str) -> str:
        """True where the regular expression `pattern` matches somewhere in `text` (both SQL expressions)."""
        raise NotImplementedError

    def top_n(self, fields: Mapping[str, str], rank: Sequence[str], n: int) -> str:
        """Aggregate: a group's first `n` rows by `rank` (expressions, each descending, never NULL), as a list of
        {name: value} records of `fields`. Rows tying on every rank expression come back in any order."""
        raise NotImplementedError

    def memory_limit(self, size: str) -> str | None:
        """The statement bounding this process's query memory to `size` ("2GB"), or None where the server owns it."""
        return None


class DuckDBDialect(Dialect):
    name = "duckdb"

    def fold(self, expr: str) -> str:
        return FOLDED_TEXT_SQL.format(expr=expr)

    def regex_match(self, text: str, pattern: str) -> str:
        return f"regexp_matches({text}, {pattern})"  # RE2

    def top_n(self, fields: Mapping[str, str], rank: Sequence[str], n: int) -> str:
        # max_by's top-n form: one pass, a bounded heap per group whatever the number of groups.
        record = ", ".join(f"'{name}': {value}" for name, value in fields.items())
        order = ", ".join(f"'r{i}': {expr}" for i, expr in enumerate(rank))
        return f"max_by({{{record}}}, {{{order}}}, {int(n)})"

    def memory_limit(self, size: str) -> str | None:
        return f"SET memory_limit = '{size}'"


class PostgresDialect(Dialect):
    name = "postgresql"

    def fold(self, expr: str) -> str:
        # Not unaccent(): its rules also rewrite letters that carry no mark (ł -> l, ø -> o, ß -> ss, æ -> ae) and
        # miss some that do, so a search would match other posts than the Python fold of alert rules does.
        # Decomposing (NFD), dropping every combining mark and recomposing is the Python fold itself. lower() runs
        # again after the marks are gone: under a database locale without Unicode case rules (LC_CTYPE=C) the
        # first one leaves "Ấ" as it is, the second turns the "A" left of it into "a". ASCII text skips the rest.
        text = f"replace(replace(COALESCE({expr}, ''), 'đ', 'd'), 'Đ', 'd')"
        stripped = f"lower(normalize(regexp_replace(normalize(lower({text}), NFD), '{mark_class()}', '', 'g'), NFC))"
        return f"(CASE WHEN octet_length({text}) = char_length({text}) THEN lower({text}) ELSE {stripped} END)"

    def regex_match(self, text: str, pattern: str) -> str:
        return f"({text} ~ {pattern})"  # POSIX advanced regular expressions (Spencer's engine)

    def top_n(self, fields: Mapping[str, str], rank: Sequence[str], n: int) -> str:
        record = ", ".join(f"'{name}', {value}" for name, value in fields.items())
        order = ", ".join(f"{expr} DESC" for expr in rank)
        return f"(array_agg(json_build_object({record}) ORDER BY {order}))[1:{int(n)}]"


DUCKDB = DuckDBDialect()
POSTGRES = PostgresDialect()

"""Dashboard filters and the one WHERE clause every aggregate is built on (workspace isolation lives here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.query_parse import parse
from civicpulse.analytics.query_sql import compile_sql
from civicpulse.store.dialect import Dialect


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # exclusive, UTC
    platforms: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()  # 2025 province names, e.g. "Thành phố Hồ Chí Minh"
    topics: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    query: str = ""  # listening query (civicpulse.analytics.query), e.g. 'ngập OR flood lang:vi'
    # (query, table): a temporary table of the post_keys matching `query`, made once for a request's many
    # statements (web/api_dash.py). Used only while `query` is still that query; never part of equality.
    matched: tuple[str, str] | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        bad = set(self.sentiments) - set(SENTIMENTS)
        if bad:
            raise ValueError(f"unknown sentiment(s): {', '.join(sorted(bad))}")
        if self.start and self.end and self.start >= self.end:
            raise ValueError("the period's start must come before its end")


def where(workspace: str, f: Filters, dialect: Dialect) -> tuple[str, list[Any]]:
    """The WHERE of every dashboard query, over `FROM` or `FROM_POSTS`; the workspace condition always comes first.

    It reads post_analysis (`a`) only (a query searches `a.folded_text`), so dashboards need no join with `posts`.
    `dialect` is the store's (`store.dialect`): a text query compiles to its regex and fold.
    """
    clauses = ["a.workspace = ?"]
    params: list[Any] = [workspace]
    if f.start:
        clauses.append("a.created_at >= ?")
        params.append(f.start)
    if f.end:
        clauses.append("a.created_at < ?")
        params.append(f.end)
    for column, values in (("a.platform", f.platforms), ("a.language", f.languages), ("a.sentiment", f.sentiments)):
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    if f.topics:
        clauses.append(_exists("post_topics", "topic", len(f.topics)))
        params += list(f.topics)
    if f.provinces:  # a post about a ward counts for its province
        clauses.append(_exists("post_places", "province_2025", len(f.provinces)))
        params += list(f.provinces)
    if f.query:  # after the workspace condition, like every other filter
        if f.matched and f.matched[0] == f.query and _IDENTIFIER.fullmatch(f.matched[1]):
            clauses.append(f"a.post_key IN (SELECT post_key FROM {f.matched[1]})")
            return " AND ".join(clauses), params
        condition, query_params = compile_sql(parse(f.query), dialect)  # over a.folded_text: no join with posts
        clauses.append(f"({condition})")
        params += query_params
    return " AND ".join(clauses), params


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def matching_sql(workspace: str, query: str, dialect: Dialect) -> tuple[str, list[Any]] | None:
    """SELECT of the post_keys a text query matches (None when the query has no text condition to share)."""
    condition, params = compile_sql(parse(query), dialect)
    if "folded_text" not in condition:  # field filters alone are cheap: left in each statement
        return None
    return f"SELECT a.post_key {FROM} WHERE a.workspace = ? AND ({condition})", [workspace, *params]


def _exists(table: str, column: str, n: int) -> str:
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.post_key = a.post_key AND x.{column} IN ({', '.join('?' * n)}))"


# Dashboards read post_analysis alone (it carries the post's time as `a.created_at` and an integer author id as
# `a.author_id`): `where()` and query field filters name `a` only. Deleting a post deletes its analysis (store:
# delete_statements), so every post_analysis row is a live post's. FROM_POSTS joins the real posts, for views that
# show text, links or engagement; it checks `deleted` itself, so a post deleted while being analysed never shows.
FROM = "FROM post_analysis a"
FROM_POSTS = ("FROM posts p JOIN post_analysis a ON a.workspace = p.workspace AND a.platform = p.platform "
              "AND a.post_id = p.post_id AND NOT p.deleted")

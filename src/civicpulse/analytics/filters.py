"""Dashboard filters and the one WHERE clause every aggregate is built on (workspace isolation lives here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.analytics.query_parse import parse
from civicpulse.analytics.query_sql import compile_sql


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

    def __post_init__(self) -> None:
        bad = set(self.sentiments) - set(SENTIMENTS)
        if bad:
            raise ValueError(f"unknown sentiment(s): {', '.join(sorted(bad))}")
        if self.start and self.end and self.start >= self.end:
            raise ValueError("the period's start must come before its end")


def where(workspace: str, f: Filters) -> tuple[str, list[Any]]:
    """SQL over `posts p JOIN post_analysis a`; the workspace condition is always first and always present."""
    clauses = ["p.workspace = ?", "NOT p.deleted"]
    params: list[Any] = [workspace]
    if f.start:
        clauses.append("p.created_at >= ?")
        params.append(f.start)
    if f.end:
        clauses.append("p.created_at < ?")
        params.append(f.end)
    for column, values in (("p.platform", f.platforms), ("a.language", f.languages), ("a.sentiment", f.sentiments)):
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
        condition, query_params = compile_sql(parse(f.query))
        clauses.append(f"({condition})")
        params += query_params
    return " AND ".join(clauses), params


def _exists(table: str, column: str, n: int) -> str:
    return (f"EXISTS (SELECT 1 FROM {table} x WHERE x.workspace = p.workspace AND x.platform = p.platform "
            f"AND x.post_id = p.post_id AND x.{column} IN ({', '.join('?' * n)}))")


FROM = "FROM posts p JOIN post_analysis a ON a.workspace = p.workspace AND a.platform = p.platform " \
       "AND a.post_id = p.post_id"

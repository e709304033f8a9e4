"""The few SQL fragments PostgreSQL spells differently from DuckDB; everything else is shared (store/*_sql.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from civicpulse.store.analysis_sql import analysed_posts_sql as portable_analysed_posts_sql
from civicpulse.store.dialect import POSTGRES

# DuckDB spells these types its own way; PostgreSQL's names for the same thing.
_TYPES = ((re.compile(r"\bDOUBLE\b(?! PRECISION)"), "DOUBLE PRECISION"), (re.compile(r"\bBLOB\b"), "BYTEA"))


def pg_ddl(statement: str) -> str:
    for pattern, replacement in _TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


def positional(sql: str) -> str:
    """DuckDB's `?` placeholders as psycopg's `%s` (a literal `%` doubled first). Our SQL has no `?` in literals."""
    return sql.replace("%", "%%").replace("?", "%s")


def _md5_bigint(expr: str) -> str:
    # The low 8 bytes of the MD5, as a non-negative BIGINT: stable across versions, like DuckDB's md5_number_lower.
    return f"(('x' || substr(md5({expr}), 17, 16))::bit(64)::bigint & 9223372036854775807)"


def _post_key(alias: str) -> str:
    return _md5_bigint(f"{alias}.workspace || chr(9) || {alias}.platform || chr(9) || {alias}.post_id")


# The query language's fold (analysis_sql.FOLDED_TEXT_SQL) as PostgreSQL spells it: see dialect.PostgresDialect.fold.
PG_FOLDED_TEXT_SQL = POSTGRES.fold("{expr}")

SYNC_SQL = [
    "UPDATE post_analysis AS a SET created_at = p.created_at, "
    f"author_id = {_md5_bigint('p.author_key')}, post_key = {_post_key('a')}, "
    f"folded_text = {PG_FOLDED_TEXT_SQL.format(expr='p.text')} FROM posts p "
    "WHERE (a.post_key IS NULL OR a.folded_text IS NULL) AND p.workspace = a.workspace AND p.platform = a.platform "
    "AND p.post_id = a.post_id",
    *(f"UPDATE {t} AS x SET post_key = {_post_key('x')} WHERE x.post_key IS NULL"
      for t in ("post_topics", "post_places", "post_terms")),
]

def analysed_posts_sql(columns: Sequence[str]) -> str:
    """analysis_sql.analysed_posts_sql with arrays instead of DuckDB lists."""
    return portable_analysed_posts_sql(columns, aggregate="array_agg", empty="'{}'::text[]")

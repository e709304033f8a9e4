"""The few SQL fragments PostgreSQL spells differently from DuckDB; everything else is shared (store/*_sql.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from civicpulse.store.analysis_sql import FOLDED_TEXT_SQL

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


# unaccent() (contrib) does what DuckDB's strip_accents does for Vietnamese; the extension is created on open.
PG_FOLDED_TEXT_SQL = FOLDED_TEXT_SQL.replace("strip_accents(", "unaccent(")

SYNC_SQL = [
    "UPDATE post_analysis AS a SET created_at = p.created_at, "
    f"author_id = {_md5_bigint('p.author_key')}, post_key = {_post_key('a')}, "
    f"folded_text = {PG_FOLDED_TEXT_SQL.format(expr='p.text')} FROM posts p "
    "WHERE (a.post_key IS NULL OR a.folded_text IS NULL) AND p.workspace = a.workspace AND p.platform = a.platform "
    "AND p.post_id = a.post_id",
    *(f"UPDATE {t} AS x SET post_key = {_post_key('x')} WHERE x.post_key IS NULL"
      for t in ("post_topics", "post_places", "post_terms")),
]

_PLACE_LABEL = ("CASE WHEN province_2025 IS NULL OR province_2025 = name THEN name "
                "ELSE name || ', ' || province_2025 END")


def analysed_posts_sql(columns: Sequence[str]) -> str:
    """As duckdb_analysis._analysed_posts_sql: arrays instead of DuckDB lists."""
    selected = ", ".join(f"p.{c}" for c in columns)
    return (
        "WITH t AS (SELECT platform, post_id, array_agg(topic ORDER BY score DESC NULLS LAST, topic) AS topics "
        "FROM post_topics WHERE workspace = ? GROUP BY platform, post_id), "
        f"pl AS (SELECT platform, post_id, array_agg(DISTINCT {_PLACE_LABEL} ORDER BY {_PLACE_LABEL}) AS places "
        "FROM post_places WHERE workspace = ? AND name IS NOT NULL GROUP BY platform, post_id) "
        f"SELECT {selected}, a.language, a.sentiment, a.sentiment_score, a.emotion, "
        "CASE WHEN a.post_id IS NULL THEN NULL ELSE coalesce(t.topics, '{}'::text[]) END, "
        "CASE WHEN a.post_id IS NULL THEN NULL ELSE coalesce(pl.places, '{}'::text[]) END "
        "FROM posts p LEFT JOIN post_analysis a ON a.workspace = p.workspace AND a.platform = p.platform "
        "AND a.post_id = p.post_id "
        "LEFT JOIN t ON t.platform = p.platform AND t.post_id = p.post_id "
        "LEFT JOIN pl ON pl.platform = p.platform AND pl.post_id = p.post_id "
        "WHERE p.workspace = ? AND NOT p.deleted ORDER BY p.created_at NULLS LAST, p.platform, p.post_id"
    )

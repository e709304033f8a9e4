"""Tables and portable SQL for analysis results, taxonomies, workspace models and topic-discovery state.

Lists (topics, places, keywords) are stored as long tables keyed like posts, so dashboards filter and group on
them with plain joins in DuckDB and PostgreSQL alike; the full per-post record (scores, explanations) stays as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence

ANALYSIS_DDL = [
    "CREATE TABLE IF NOT EXISTS post_analysis (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, content_hash TEXT, model TEXT NOT NULL, analyzed_at TIMESTAMP NOT NULL, "
    "language TEXT, language_confidence DOUBLE, sentiment TEXT, sentiment_score DOUBLE, "
    "sentiment_confidence DOUBLE, emotion TEXT, emotion_scores TEXT, topic_scores TEXT, keywords TEXT, "
    "hashtags TEXT, why TEXT, discovered_topic BIGINT, created_at TIMESTAMP, author_id BIGINT, post_key BIGINT, "
    "folded_text TEXT, "
    "PRIMARY KEY (workspace, platform, post_id))",
    "CREATE TABLE IF NOT EXISTS post_topics (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, topic TEXT NOT NULL, score DOUBLE, post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS post_places (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, country TEXT, lat DOUBLE, lon DOUBLE, "
    "code_2025 TEXT, name_2025 TEXT, province_2025 TEXT, code_legacy TEXT, name_legacy TEXT, "
    "province_legacy TEXT, matched TEXT, post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS post_terms (workspace TEXT NOT NULL, platform TEXT NOT NULL, "
    "post_id TEXT NOT NULL, term TEXT NOT NULL, kind TEXT NOT NULL, post_key BIGINT)",
    "CREATE TABLE IF NOT EXISTS taxonomies (workspace TEXT PRIMARY KEY, taxonomy TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS workspace_models (workspace TEXT NOT NULL, task TEXT NOT NULL, "
    "model BLOB NOT NULL, meta TEXT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (workspace, task))",
    "CREATE TABLE IF NOT EXISTS discovery_state (workspace TEXT PRIMARY KEY, state TEXT NOT NULL, "
    "updated_at TIMESTAMP NOT NULL)",
]

# Dashboards read post_analysis alone: it carries the post's time, an integer author id and its text folded for
# the query language (all copied from `posts` when the analysis is saved), and every per-post table carries
# `post_key`, an integer digest of (workspace, platform, post_id), so joins compare one integer instead of three
# strings. Both digests are 63-bit: a collision (odds about 1 in 10^7 for a million posts) would merge two
# authors, which only makes suppression stricter, or attach one post's topics to another.
# (Stores from before these columns get them from migration 0002.)

# The query language's fold, in SQL: lower case, no diacritics, "đ" -> "d" (analytics.query_ast.fold is the same
# in Python). Stored per post in post_analysis.folded_text, so searches never fold at query time.
FOLDED_TEXT_SQL = "strip_accents(lower(replace(replace(COALESCE({expr}, ''), 'đ', 'd'), 'Đ', 'd')))"

# Tables holding one or more rows per post: cleared together whenever a post is re-analysed or deleted.
PER_POST_TABLES = ("post_analysis", "post_topics", "post_places", "post_terms")

PLACE_COLUMNS = ("kind", "name", "country", "lat", "lon", "code_2025", "name_2025", "province_2025",
                 "code_legacy", "name_legacy", "province_legacy", "matched")
ANALYSIS_COLUMNS = ("workspace", "platform", "post_id", "content_hash", "model", "analyzed_at", "language",
                    "language_confidence", "sentiment", "sentiment_score", "sentiment_confidence", "emotion",
                    "emotion_scores", "topic_scores", "keywords", "hashtags", "why", "discovered_topic")


_BACKLOG_COLUMNS = ("p.platform, p.post_id, p.text, p.content_hash, p.place_name, p.place_country, p.place_lon, "
                    "p.place_lat")
# NOT EXISTS rather than a LEFT JOIN: DuckDB 2.0 drops the LIMIT of the join form while post_analysis is empty.
_BACKLOG_WHERE = (
    "FROM posts p WHERE p.workspace = ? AND NOT p.deleted AND p.text IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM post_analysis a WHERE a.workspace = p.workspace AND a.platform = p.platform "
    "AND a.post_id = p.post_id AND a.content_hash IS NOT DISTINCT FROM p.content_hash AND a.model = ?)"
)


def backlog_sql(after: bool = False) -> str:
    """Posts of a workspace that have no analysis, an analysis of older text, or one by another model.

    With `after`, only keys past (platform, post_id) given as three more parameters: a reader that keeps several
    batches in flight (the Ray engine) reads ahead of what has been saved.
    """
    past = " AND (p.platform > ? OR (p.platform = ? AND p.post_id > ?))" if after else ""
    return f"SELECT {_BACKLOG_COLUMNS} {_BACKLOG_WHERE}{past} ORDER BY p.platform, p.post_id LIMIT ?"


def backlog_count_sql() -> str:
    return f"SELECT count(*) {_BACKLOG_WHERE}"


def clear_staged_sql(batch: str) -> list[str]:
    """Remove existing per-post rows for the keys in the staged table `batch` (workspace, platform, post_id)."""
    return [f"DELETE FROM {t} WHERE EXISTS (SELECT 1 FROM {batch} b WHERE b.workspace = {t}.workspace "
            f"AND b.platform = {t}.platform AND b.post_id = {t}.post_id)" for t in PER_POST_TABLES]


def orphan_cleanup_sql() -> list[str]:
    """Drop analysis rows of posts that were deleted since (platform deletion requests are honoured)."""
    return [f"DELETE FROM {t} WHERE workspace = ? AND EXISTS (SELECT 1 FROM posts p WHERE p.workspace = "
            f"{t}.workspace AND p.platform = {t}.platform AND p.post_id = {t}.post_id AND p.deleted)"
            for t in PER_POST_TABLES]


# A place as people read it: the recognized name, with its province when that says more.
_PLACE_LABEL = ("CASE WHEN province_2025 IS NULL OR province_2025 = name THEN name "
                "ELSE name || ', ' || province_2025 END")


def analysed_posts_sql(columns: Sequence[str], aggregate: str = "list", empty: str = "[]::VARCHAR[]") -> str:
    """Posts with their labels, in export order; topics and places are NULL (not []) for posts not analysed yet.

    `aggregate` and `empty` are the dialect's list aggregate and empty list (PostgreSQL: array_agg, '{}'::text[]).
    """
    selected = ", ".join(f"p.{c}" for c in columns)
    return (
        f"WITH t AS (SELECT platform, post_id, {aggregate}(topic ORDER BY score DESC NULLS LAST, topic) AS topics "
        "FROM post_topics WHERE workspace = ? GROUP BY platform, post_id), "
        f"pl AS (SELECT platform, post_id, {aggregate}(DISTINCT {_PLACE_LABEL} ORDER BY {_PLACE_LABEL}) AS places "
        "FROM post_places WHERE workspace = ? AND name IS NOT NULL GROUP BY platform, post_id) "
        f"SELECT {selected}, a.language, a.sentiment, a.sentiment_score, a.emotion, "
        f"CASE WHEN a.post_id IS NULL THEN NULL ELSE coalesce(t.topics, {empty}) END, "
        f"CASE WHEN a.post_id IS NULL THEN NULL ELSE coalesce(pl.places, {empty}) END "
        "FROM posts p LEFT JOIN post_analysis a ON a.workspace = p.workspace AND a.platform = p.platform "
        "AND a.post_id = p.post_id "
        "LEFT JOIN t ON t.platform = p.platform AND t.post_id = p.post_id "
        "LEFT JOIN pl ON pl.platform = p.platform AND pl.post_id = p.post_id "
        "WHERE p.workspace = ? AND NOT p.deleted ORDER BY p.created_at NULLS LAST, p.platform, p.post_id"
    )

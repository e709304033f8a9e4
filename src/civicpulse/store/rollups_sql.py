"""Dashboard rollups: analysed posts pre-aggregated per workspace, UTC hour and author, in portable SQL.

One table per dimension a dashboard groups by: every analysed post (`rollup_all`), its taxonomy topics
(`rollup_topics`), its 2025 and pre-2025 provinces (`rollup_places_2025`, `rollup_places_legacy`, each province once
per post, as the raw views count them). A row is one (hour, key, platform, language, sentiment, emotion,
discovered topic, author) cell with its posts and sentiment-score sum. Keeping the author in the cell is what keeps
k-suppression exact: a distinct-author count over any union of cells is count(DISTINCT author_id), the same
number the raw scan finds, never an estimate. The cells save the joins with post_topics / post_places and the wide
rows; they are no smaller than the raw rows where an author posts once an hour at most (docs/deploy.md, "Dashboards
at scale: rollups").

Cells are recomputed per (workspace, hour) from post_analysis whenever a write changes the analysed posts of that
hour (store/rollups.py), in the write's transaction. Posts without a time sit in the `hour_utc IS NULL` cell.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

ROLLUP_TABLES = {"all": "rollup_all", "topics": "rollup_topics", "places_2025": "rollup_places_2025",
                 "places_legacy": "rollup_places_legacy"}
# Per dimension: the grouping key and the join that yields it. A place counts once per post (as places_join has
# it: a ward and its province name one province), by a DISTINCT over the few joined rows of the posts asked for.
# post_key digests the workspace, so the joined tables need no workspace condition of their own.
_SOURCES = {
    "all": ("CAST(NULL AS TEXT)", ""),
    "topics": ("t.topic", "JOIN post_topics t ON t.post_key = a.post_key"),
    "places_2025": ("pl.province_2025", "JOIN post_places pl ON pl.post_key = a.post_key "
                                        "AND pl.province_2025 IS NOT NULL"),
    "places_legacy": ("pl.province_legacy", "JOIN post_places pl ON pl.post_key = a.post_key "
                                            "AND pl.province_legacy IS NOT NULL"),
}
DIMENSION_COLUMNS = ("dim_key", "platform", "language", "sentiment", "emotion", "discovered_topic", "author_id")
CELL_COLUMNS = ("hour_utc", *DIMENSION_COLUMNS, "posts", "score_sum", "score_n")

ROLLUP_DDL = [
    f"CREATE TABLE IF NOT EXISTS {table} (workspace TEXT NOT NULL, hour_utc TIMESTAMP, dim_key TEXT, platform TEXT, "
    "language TEXT, sentiment TEXT, emotion TEXT, discovered_topic BIGINT, author_id BIGINT, posts BIGINT NOT NULL, "
    "score_sum DOUBLE, score_n BIGINT NOT NULL)"
    for table in ROLLUP_TABLES.values()
]
# meta key present once the rollups hold every workspace's cells (a store opened before rollups existed is
# rebuilt when it is first opened for writing).
READY_KEY = "rollups_ready"
_HOUR = "date_trunc('hour', a.created_at)"


_ROW_COLUMNS = ("hour_utc", "t", *DIMENSION_COLUMNS, "posts", "score_sum", "score_n")


def post_rows_sql(dimension: str, condition: str) -> str:
    """One row per analysed post (per topic / place of it) in cell columns plus `t`, its exact time.

    Parameters: the workspace, then `condition`'s.
    """
    key, join = _SOURCES[dimension]
    rows = (f"SELECT {'DISTINCT a.post_key, ' if dimension.startswith('places') else ''}{_HOUR} AS hour_utc, "
            f"a.created_at AS t, {key} AS dim_key, a.platform, a.language, a.sentiment, a.emotion, "
            "a.discovered_topic, a.author_id, 1 AS posts, a.sentiment_score AS score_sum, "
            "CASE WHEN a.sentiment_score IS NULL THEN 0 ELSE 1 END AS score_n "
            f"FROM post_analysis a {join} WHERE a.workspace = ? AND {condition}")
    return f"SELECT {', '.join(_ROW_COLUMNS)} FROM ({rows}) p" if dimension.startswith("places") else rows


def fill_sql(dimension: str, condition: str, ordered: bool = False) -> str:
    """INSERT of the cells of the posts matching `condition` (parameters as `post_rows_sql`, workspace first).

    `ordered`: in time order, so that DuckDB's per-row-group min/max of the hour skip what a period leaves out."""
    columns = ", ".join(DIMENSION_COLUMNS)
    return (f"INSERT INTO {ROLLUP_TABLES[dimension]} (workspace, {', '.join(CELL_COLUMNS)}) "
            f"SELECT ?, hour_utc, {columns}, count(*), sum(score_sum), sum(score_n) "
            f"FROM ({post_rows_sql(dimension, condition)}) r GROUP BY hour_utc, {columns}"
            + (" ORDER BY hour_utc" if ordered else ""))


# The hours a refresh recomputes: the first and past-the-last hour (a range that per-row-group min/max and indexes
# can narrow), the list of hours, then a flag for the cell of posts without a time.
HOURS_CONDITION = ("(({time} >= ? AND {time} < ? AND {column} IN (SELECT unnest(CAST(? AS TIMESTAMP[])))) "
                   "OR (? AND {time} IS NULL))")
# And of some authors only (cells are per author: the others' cells of those hours did not change): a flag for
# "every author", the list of author ids, a flag for posts without an author.
AUTHORS_CONDITION = "(? OR {author} IN (SELECT unnest(CAST(? AS BIGINT[]))) OR (? AND {author} IS NULL))"


def refresh_sql(dimension: str) -> tuple[str, str]:
    """(DELETE, INSERT) recomputing a workspace's cells of some hours and authors. Parameters: the DELETE's
    (workspace, *cells); the INSERT's (workspace, workspace, *cells), where cells are `cells_params`."""
    delete = (f"DELETE FROM {ROLLUP_TABLES[dimension]} WHERE workspace = ? AND "
              f"{HOURS_CONDITION.format(time='hour_utc', column='hour_utc')} AND "
              f"{AUTHORS_CONDITION.format(author='author_id')}")
    insert = fill_sql(dimension, f"{HOURS_CONDITION.format(time='a.created_at', column=_HOUR)} AND "
                                 f"{AUTHORS_CONDITION.format(author='a.author_id')}")
    return delete, insert


def cells_params(hours: set[datetime | None], authors: set[int | None] | None) -> list[Any]:
    """HOURS_CONDITION's and AUTHORS_CONDITION's parameters: cells of `hours` (None: the no-time cell) and of
    `authors` (None: of every author; None in it: posts without an author)."""
    timed = sorted(h for h in hours if h is not None)
    first, end = (timed[0], timed[-1] + timedelta(hours=1)) if timed else (None, None)
    ids = sorted(a for a in authors if a is not None) if authors is not None else []
    return [first, end, timed, None in hours, authors is None, ids, authors is not None and None in authors]


def rebuild_sql(dimension: str) -> tuple[str, str]:
    """(DELETE, INSERT) of all of a workspace's cells. Parameters: (workspace); (workspace, workspace)."""
    return (f"DELETE FROM {ROLLUP_TABLES[dimension]} WHERE workspace = ?", fill_sql(dimension, "TRUE", ordered=True))


def touched_cells_sql(condition: str) -> str:
    """Workspaces, hours (NULL: no time) and authors of the analysed posts matching `condition` over
    post_analysis `a`."""
    return f"SELECT DISTINCT a.workspace, {_HOUR}, a.author_id FROM post_analysis a WHERE {condition}"


def staged_keys_condition(batch: str) -> str:
    """Posts of the staged table `batch` (workspace, platform, post_id)."""
    return (f"EXISTS (SELECT 1 FROM {batch} b WHERE b.workspace = a.workspace AND b.platform = a.platform "
            "AND b.post_id = a.post_id)")


# Analysed posts whose denormalized columns `sync_analysis_keys` is about to fill (rows written by hand, with their
# topics and places): the hours of their cells now (often the no-time cell) and of their posts' time, which the
# sync copies (every author's cells of those hours: the author id is not known before the sync).
_UNSYNCED_ROWS = "a.post_key IS NULL OR a.folded_text IS NULL"
UNSYNCED_HOURS_SQL = (f"SELECT DISTINCT a.workspace, {_HOUR} FROM post_analysis a WHERE {_UNSYNCED_ROWS} "
                      "UNION SELECT DISTINCT a.workspace, date_trunc('hour', p.created_at) FROM post_analysis a "
                      "JOIN posts p ON p.workspace = a.workspace AND p.platform = a.platform "
                      f"AND p.post_id = a.post_id WHERE {_UNSYNCED_ROWS}")
# Posts of one workspace (parameter) whose post was deleted since (analysis_sql.orphan_cleanup_sql).
DELETED_POSTS_CONDITION = ("a.workspace = ? AND EXISTS (SELECT 1 FROM posts p WHERE p.workspace = a.workspace "
                           "AND p.platform = a.platform AND p.post_id = a.post_id AND p.deleted)")
# Posts of one workspace expiring at a cut-off (parameters: workspace, cut-off; as lifecycle_sql.EXPIRE_POSTS).
EXPIRED_POSTS_CONDITION = ("a.workspace = ? AND EXISTS (SELECT 1 FROM posts p WHERE p.workspace = a.workspace AND "
                           "p.platform = a.platform AND p.post_id = a.post_id AND NOT p.deleted AND "
                           "COALESCE(p.created_at, p.first_seen_at) < ?)")
# Discovered-topic assignments staged as (platform, post_id) for one workspace (parameter).
STAGED_TOPICS_CONDITION = ("a.workspace = ? AND EXISTS (SELECT 1 FROM staged_topics s WHERE s.platform = a.platform "
                           "AND s.post_id = a.post_id)")

"""Day rollups: the hourly cells (store/rollups_sql.py) summarised per workspace-local day, in portable SQL.

A long period's dashboard would otherwise read one hourly cell per author and hour. A day cell holds, per
(workspace, local day, dimension, key): posts, posts per sentiment, the score sum and count, the exact number of
distinct authors (and of authors of negative posts), and the day's author ids as a *theta sketch*: the SKETCH_SIZE
smallest ids (`rollup_day_ids`), with `theta`, the largest id kept, set only when ids were left out.

Author ids are keyed digests, uniform over [0, 2^63), so the ids at or below any threshold are a uniform sample. A
union of cells is exact when no cell left ids out (every id is there); otherwise every cell holds all of its ids at
or below the smallest theta, and (distinct ids <= theta) * 2^63 / (theta + 1) estimates the union's authors. A
group whose union left ids out has at least SKETCH_SIZE distinct authors, so k-suppression (k <= SKETCH_SIZE) is
decided exactly either way.

Days are summarised by `compact` (store/rollups.py) from the hourly cells: after analysis runs, on a rebuild, on a
change of time zone. Every write that changes hourly cells marks its UTC hours dirty (`rollup_dirty_hours`); a day
with a dirty hour, or summarised in another zone (`rollup_day_state`), is read from the hourly cells until the next
compaction, so a dashboard never sees a day cell that disagrees with the hourly ones.
"""

from __future__ import annotations

SKETCH_SIZE = 256  # author ids kept per day cell: unions of up to this many authors are exact, larger ones ~6%
# Per dimension: the hourly table and the key over its cells `c` (None: the one key '' of all posts).
DIMENSIONS = {
    "all": ("rollup_all", None),
    "emotion": ("rollup_all", "c.emotion"),
    "discovered": ("rollup_all", "CAST(c.discovered_topic AS TEXT)"),
    "topics": ("rollup_topics", "c.dim_key"),
    "places_2025": ("rollup_places_2025", "c.dim_key"),
    "places_legacy": ("rollup_places_legacy", "c.dim_key"),
}
# Per workspace, a counter every process's view cache keys its answers on (web/cache.py): bumped by every write of
# analysed posts (with the rollups) and every write request, so one web process sees another's writes.
VERSION_DDL = "CREATE TABLE IF NOT EXISTS data_versions (workspace TEXT PRIMARY KEY, version BIGINT NOT NULL)"
BUMP_VERSION = ("INSERT INTO data_versions (workspace, version) VALUES (?, 1) ON CONFLICT (workspace) "
                "DO UPDATE SET version = data_versions.version + 1")
GET_VERSION = "SELECT version FROM data_versions WHERE workspace = ?"
DAY_DDL = [
    "CREATE TABLE IF NOT EXISTS rollup_days (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, dimension TEXT NOT NULL, "
    "dim_key TEXT NOT NULL, posts BIGINT NOT NULL, positive BIGINT NOT NULL, neutral BIGINT NOT NULL, "
    "negative BIGINT NOT NULL, score_sum DOUBLE, score_n BIGINT NOT NULL, authors BIGINT NOT NULL, "
    "negative_authors BIGINT NOT NULL, theta BIGINT)",
    "CREATE TABLE IF NOT EXISTS rollup_day_ids (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, "
    "dimension TEXT NOT NULL, dim_key TEXT NOT NULL, author_id BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_day_state (workspace TEXT NOT NULL, day TIMESTAMP NOT NULL, tz TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rollup_dirty_hours (workspace TEXT NOT NULL, hour_utc TIMESTAMP NOT NULL)",
    VERSION_DDL,
]
DAY_TABLES = ("rollup_days", "rollup_day_ids", "rollup_day_state")

MARK_DIRTY = "INSERT INTO rollup_dirty_hours SELECT ?, h FROM (SELECT unnest(CAST(? AS TIMESTAMP[])) AS h) x"
DIRTY_HOURS = "SELECT DISTINCT hour_utc FROM rollup_dirty_hours WHERE workspace = ?"
CLEAR_DIRTY = ("DELETE FROM rollup_dirty_hours WHERE workspace = ? AND hour_utc IN "
               "(SELECT unnest(CAST(? AS TIMESTAMP[])))")
STATE_ZONES = "SELECT DISTINCT tz FROM rollup_day_state WHERE workspace = ?"
_DAYS = "day IN (SELECT unnest(CAST(? AS TIMESTAMP[])))"


def all_days_sql(local_day: str) -> str:
    """The local days (`local_day`: SQL over `c.hour_utc`) holding a workspace's (parameter) timed hourly cells."""
    return f"SELECT DISTINCT {local_day} FROM rollup_all c WHERE c.workspace = ? AND c.hour_utc IS NOT NULL"


def dirty_days_sql(local_day: str) -> str:
    """The local days holding a workspace's (parameter) dirty hours."""
    return f"SELECT DISTINCT {local_day} FROM rollup_dirty_hours c WHERE c.workspace = ?"


def delete_days_sql() -> list[str]:
    """DELETEs of a workspace's day cells, ids and states of some days. Parameters: (workspace, days)."""
    return [f"DELETE FROM {table} WHERE workspace = ? AND {_DAYS}" for table in DAY_TABLES]


def _author_rows(dimension: str, local_day: str) -> str:
    """The hourly cells of some days in (day, dim_key, cell) rows. Parameters: workspace, first hour, end hour,
    days."""
    table, key = DIMENSIONS[dimension]
    keyed, key = (f" AND {key} IS NOT NULL", key) if key else ("", "''")
    return (f"SELECT {local_day} AS day, {key} AS dim_key, c.author_id, c.sentiment, c.posts, c.score_sum, "
            f"c.score_n FROM {table} c WHERE c.workspace = ? AND c.hour_utc >= ? AND c.hour_utc < ?{keyed}")


def fill_ids_sql(dimension: str, local_day: str, size: int) -> str:
    """INSERT of the SKETCH_SIZE smallest author ids per day cell. Parameters: workspace, dimension, then
    `_author_rows`' (workspace, first hour, end hour), days."""
    return ("INSERT INTO rollup_day_ids (workspace, day, dimension, dim_key, author_id) "
            "SELECT ?, day, ?, dim_key, author_id FROM (SELECT day, dim_key, author_id, row_number() OVER "
            "(PARTITION BY day, dim_key ORDER BY author_id) AS rn FROM (SELECT DISTINCT day, dim_key, author_id "
            f"FROM ({_author_rows(dimension, local_day)}) r WHERE author_id IS NOT NULL AND {_DAYS}) d) n "
            f"WHERE rn <= {int(size)}")


def fill_days_sql(dimension: str, local_day: str, size: int) -> str:
    """INSERT of the day cells, after their ids (theta: the largest id kept where ids were left out). Parameters:
    workspace, dimension, `_author_rows`' (workspace, first hour, end hour), days, then the ids' (workspace,
    dimension, days)."""
    positive, neutral, negative = (f"coalesce(sum(r.posts) FILTER (WHERE r.sentiment = '{s}'), 0)"
                                   for s in ("positive", "neutral", "negative"))
    return ("INSERT INTO rollup_days (workspace, day, dimension, dim_key, posts, positive, neutral, negative, "
            "score_sum, score_n, authors, negative_authors, theta) "
            "SELECT ?, g.day, ?, g.dim_key, g.posts, g.positive, g.neutral, g.negative, g.score_sum, g.score_n, "
            f"g.authors, g.negative_authors, CASE WHEN g.authors > {int(size)} THEN i.top END FROM ("
            f"SELECT r.day, r.dim_key, sum(r.posts) AS posts, {positive} AS positive, {neutral} AS neutral, "
            f"{negative} AS negative, sum(r.score_sum) AS score_sum, sum(r.score_n) AS score_n, "
            "count(DISTINCT r.author_id) AS authors, "
            "count(DISTINCT r.author_id) FILTER (WHERE r.sentiment = 'negative') AS negative_authors "
            f"FROM ({_author_rows(dimension, local_day)}) r WHERE {_DAYS} GROUP BY r.day, r.dim_key) g "
            "LEFT JOIN (SELECT day, dim_key, max(author_id) AS top FROM rollup_day_ids WHERE workspace = ? "
            f"AND dimension = ? AND {_DAYS} GROUP BY day, dim_key) i ON i.day = g.day AND i.dim_key = g.dim_key")


STATE_SQL = ("INSERT INTO rollup_day_state (workspace, day, tz) SELECT ?, d, ? "
             "FROM (SELECT unnest(CAST(? AS TIMESTAMP[])) AS d) x")

"""The storage interface every backend implements, and the portable SQL they share.

Only this package writes to the tables and knows which database it talks to. The statements here use syntax that
DuckDB and PostgreSQL both accept (UPDATE ... FROM, IS DISTINCT FROM, NOT EXISTS); backends supply the type names,
the way a batch is staged as a table, and connection handling. Dashboards read through `Store.query` in portable
SQL, with the few fragments the backends spell differently from `Store.dialect` (store/dialect.py).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from civicpulse.schema import COLUMN_NAMES, POST_COLUMNS, Deletion, Post
from civicpulse.store.accounts_sql import ACCOUNTS_DDL
from civicpulse.store.alerts_sql import ALERTS_DDL
from civicpulse.store.analysis_sql import ANALYSIS_DDL, clear_staged_sql
from civicpulse.store.collect_sql import COLLECT_DDL
from civicpulse.store.day_rollups_sql import DAY_DDL
from civicpulse.store.dialect import Dialect
from civicpulse.store.migrations import SchemaMigrations
from civicpulse.store.queries_sql import QUERIES_DDL
from civicpulse.store.reports_sql import REPORTS_DDL
from civicpulse.store.rollups_sql import ROLLUP_DDL
from civicpulse.store.web_sql import WEB_DDL

KEY = ("workspace", "platform", "post_id")
_WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Columns an upsert may change; the key and first_seen_at never change after insert.
_CONTENT_COLUMNS = ("text", "place_name", "place_country", "place_lon", "place_lat", "content_hash")
_METRIC_COLUMNS = ("likes", "replies", "shares", "quotes", "views")
_DESCRIPTIVE_COLUMNS = ("parent_id", "thread_id", "kind", "author_key", "language", "created_at", "url",
                        "source_format", "collected_at")


_ARROW_TYPES = {"TEXT": pa.string(), "TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(),
                "BIGINT": pa.int64(), "BOOLEAN": pa.bool_()}


def arrow_schema(columns: Sequence[str] = COLUMN_NAMES) -> pa.Schema:
    """Arrow types of post columns: how batches are staged and how Parquet exports are typed."""
    types = dict(POST_COLUMNS)
    return pa.schema([(c, _ARROW_TYPES[types[c]]) for c in columns])


def validate_workspace_name(name: str) -> str:
    if not _WORKSPACE_NAME.match(name or ""):
        raise ValueError(f"invalid workspace name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    return name


@dataclass(frozen=True)
class WorkspaceInfo:
    name: str
    created_at: datetime
    keep_raw: bool


@dataclass
class UpsertCounts:
    stored: int = 0      # new posts
    updated: int = 0     # existing posts whose content or engagement changed
    unchanged: int = 0   # seen before, identical (re-ingest, duplicates)
    suppressed: int = 0  # arrived for a post already deleted: content stays deleted
    deleted: int = 0     # deletions newly applied


def ddl(type_names: dict[str, str]) -> list[str]:
    cols = ",\n  ".join(f"{name} {type_names.get(t, t)}" for name, t in POST_COLUMNS)
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE TABLE IF NOT EXISTS workspaces (name TEXT PRIMARY KEY, created_at TIMESTAMP NOT NULL, "
        "keep_raw BOOLEAN NOT NULL DEFAULT FALSE, settings TEXT)",
        f"CREATE TABLE IF NOT EXISTS posts (\n  {cols},\n  PRIMARY KEY (workspace, platform, post_id))",
        "CREATE TABLE IF NOT EXISTS ingest_runs (run_id TEXT, workspace TEXT, source TEXT, format TEXT, "
        "started_at TIMESTAMP, finished_at TIMESTAMP, read_count BIGINT, stored BIGINT, updated BIGINT, "
        "unchanged BIGINT, deleted BIGINT, rejected BIGINT, warnings BIGINT)",
        "CREATE TABLE IF NOT EXISTS audit_log (logged_at TIMESTAMP NOT NULL, actor TEXT, workspace TEXT, "
        "action TEXT NOT NULL, detail TEXT)",
        *ANALYSIS_DDL,
        *ACCOUNTS_DDL,
        *QUERIES_DDL,
        *ALERTS_DDL,
        *REPORTS_DDL,
        *WEB_DDL,
        *COLLECT_DDL,
        *ROLLUP_DDL,
        *DAY_DDL,
    ]


def _key_match(a: str, b: str) -> str:
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in KEY)


def _changed(p: str, b: str) -> str:
    return " OR ".join(
        [f"{p}.{c} IS DISTINCT FROM {b}.{c}" for c in (*_CONTENT_COLUMNS, *_METRIC_COLUMNS, *_DESCRIPTIVE_COLUMNS)
         if c != "collected_at"] + [f"({b}.edited AND NOT {p}.edited)"]
    )


def group_outcome_sql(batch: str, group: str) -> str:
    """Per group of a staged batch (one input file each): how many rows the upsert will store, suppress, update.

    Run before `upsert_statements` in the same transaction; keys must be unique across groups.
    """
    return (f"SELECT b.{group}, count(*) FILTER (WHERE p.post_id IS NULL), count(*) FILTER (WHERE p.deleted), "
            f"count(*) FILTER (WHERE NOT p.deleted AND ({_changed('p', 'b')})) "
            f"FROM {batch} b LEFT JOIN posts p ON {_key_match('p', 'b')} GROUP BY b.{group}")


def group_counts(groups: Sequence[int], outcome: dict[int, tuple[int, int, int]]) -> dict[int, UpsertCounts]:
    """Per group, the counts `group_outcome_sql` found (stored, suppressed, updated); the rest were unchanged."""
    sizes: dict[int, int] = {}
    for group in groups:
        sizes[group] = sizes.get(group, 0) + 1
    counts = {}
    for group, size in sizes.items():
        stored, suppressed, updated = outcome.get(group, (0, 0, 0))
        counts[group] = UpsertCounts(stored=stored, updated=updated, suppressed=suppressed,
                                     unchanged=size - stored - updated - suppressed)
    return counts


def upsert_statements(batch: str) -> dict[str, str]:
    """Portable statements that merge the staged table `batch` into posts, in the order they must run."""
    changed = _changed("p", "b")
    sets = ", ".join(f"{c} = b.{c}" for c in (*_CONTENT_COLUMNS, *_METRIC_COLUMNS, *_DESCRIPTIVE_COLUMNS))
    insert_cols = ", ".join(COLUMN_NAMES)
    return {
        "suppressed": f"SELECT count(*) FROM {batch} b JOIN posts p ON {_key_match('p', 'b')} WHERE p.deleted",
        "updated": (
            f"UPDATE posts AS p SET {sets}, "
            "edited = p.edited OR b.edited OR p.content_hash <> b.content_hash, "
            "raw = COALESCE(b.raw, p.raw), updated_at = b.updated_at "
            f"FROM {batch} AS b WHERE {_key_match('p', 'b')} AND NOT p.deleted AND ({changed})"
        ),
        "stored": (
            f"INSERT INTO posts ({insert_cols}) SELECT {', '.join('b.' + c for c in COLUMN_NAMES)} FROM {batch} b "
            f"WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE {_key_match('p', 'b')})"
        ),
    }


def delete_statements(batch: str) -> dict[str, str]:
    """Deletions: remove content of known posts, keep tombstones so a later copy cannot bring it back."""
    return {
        "deleted": (
            "UPDATE posts AS p SET text = NULL, raw = NULL, url = NULL, author_key = NULL, place_name = NULL, "
            "place_country = NULL, place_lon = NULL, place_lat = NULL, content_hash = NULL, deleted = TRUE, "
            f"updated_at = b.updated_at FROM {batch} AS b WHERE {_key_match('p', 'b')} AND NOT p.deleted"
        ),
        "tombstones": (
            "INSERT INTO posts (workspace, platform, post_id, source_format, edited, deleted, first_seen_at, "
            "updated_at) SELECT b.workspace, b.platform, b.post_id, b.source_format, FALSE, TRUE, b.updated_at, "
            f"b.updated_at FROM {batch} b WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE {_key_match('p', 'b')})"
        ),
        # What was derived from a deleted post goes with it.
        **{f"cleared_{i}": sql for i, sql in enumerate(clear_staged_sql(batch))},
    }


def post_rows(workspace: str, posts: Sequence[Post], now: datetime) -> dict[str, list[Any]]:
    """Column lists for a batch of posts, in POST_COLUMNS order (backends stage them as a table)."""
    cols: dict[str, list[Any]] = {name: [] for name in COLUMN_NAMES}
    for p in posts:
        cols["workspace"].append(workspace)
        cols["platform"].append(p.platform)
        cols["post_id"].append(p.post_id)
        cols["parent_id"].append(p.parent_id)
        cols["thread_id"].append(p.thread_id)
        cols["kind"].append(p.kind.value)
        cols["author_key"].append(p.author_key)
        cols["text"].append(p.text)
        cols["language"].append(p.language)
        cols["created_at"].append(p.created_at)
        cols["collected_at"].append(p.collected_at or now)
        cols["url"].append(p.url)
        cols["place_name"].append(p.place_name)
        cols["place_country"].append(p.place_country)
        cols["place_lon"].append(p.place_lon)
        cols["place_lat"].append(p.place_lat)
        cols["likes"].append(p.likes)
        cols["replies"].append(p.replies)
        cols["shares"].append(p.shares)
        cols["quotes"].append(p.quotes)
        cols["views"].append(p.views)
        cols["source_format"].append(p.source_format)
        cols["edited"].append(p.edited)
        cols["deleted"].append(False)
        cols["content_hash"].append(p.content_hash())
        cols["raw"].append(p.raw)
        cols["first_seen_at"].append(now)
        cols["updated_at"].append(now)
    return cols


def deletion_rows(workspace: str, deletions: Sequence[Deletion], now: datetime) -> dict[str, list[Any]]:
    return {
        "workspace": [workspace] * len(deletions),
        "platform": [d.platform for d in deletions],
        "post_id": [d.post_id for d in deletions],
        "source_format": [f"deletion:{d.reason}" for d in deletions],
        "updated_at": [now] * len(deletions),
    }


class Store(ABC):
    """What the rest of civicpulse may ask of storage."""

    # Errors that one post's values can cause while a batch is written: the ingest then splits the batch
    # to find that post, instead of failing the run. Anything else (I/O, a full disk) stays fatal.
    data_errors: tuple[type[Exception], ...] = (pa.ArrowException, OverflowError, UnicodeError, ValueError,
                                                TypeError)
    # Errors of a write that lost a race with a concurrent transaction: worth retrying, or skipping when best
    # effort (backends name their own).
    conflict_errors: tuple[type[Exception], ...] = ()
    # Where the store lives: a DuckDB file path or a postgresql:// URL (as given to open_store).
    path: str

    @abstractmethod
    def fork(self) -> Store:
        """Another handle on the same store for one thread or request (a cursor, or a connection)."""

    @abstractmethod
    def ensure_workspace(self, name: str, keep_raw: bool | None = None) -> WorkspaceInfo: ...

    @abstractmethod
    def get_workspace(self, name: str) -> WorkspaceInfo | None: ...

    @abstractmethod
    def list_workspaces(self) -> list[WorkspaceInfo]: ...

    @abstractmethod
    def set_keep_raw(self, name: str, keep_raw: bool) -> None: ...

    @abstractmethod
    def upsert_posts(self, workspace: str, posts: Sequence[Post]) -> UpsertCounts:
        """Idempotent on (workspace, platform, post_id); an edit updates text and marks the post edited."""

    def upsert_post_groups(self, workspace: str, posts: Sequence[Post],
                           groups: Sequence[int]) -> dict[int, UpsertCounts]:
        """`upsert_posts` for posts of several inputs at once, counted per input (`groups[i]` is posts[i]'s).

        A post key may repeat only within one group. Backends override this to merge the batch in one go.
        """
        by_group: dict[int, list[Post]] = {}
        for post, group in zip(posts, groups, strict=True):
            by_group.setdefault(group, []).append(post)
        return {group: self.upsert_posts(workspace, members) for group, members in by_group.items()}

    @abstractmethod
    def apply_deletions(self, workspace: str, deletions: Sequence[Deletion]) -> UpsertCounts: ...

    @abstractmethod
    def iter_posts(self, workspace: str, columns: Sequence[str], batch_size: int = 10_000,
                   include_deleted: bool = False) -> Iterator[list[tuple]]:
        """Stored posts as batches of tuples in `columns` order, ordered by created_at then key."""

    @abstractmethod
    def iter_analysed_posts(self, workspace: str, columns: Sequence[str],
                            batch_size: int = 10_000) -> Iterator[list[tuple]]:
        """Like iter_posts, each row followed by language (detected), sentiment, sentiment_score, emotion, topics
        and places (lists); those six are empty (None) for posts not analysed yet."""

    @abstractmethod
    def stats(self, workspace: str | None = None) -> dict[str, Any]: ...

    @abstractmethod
    def record_run(self, run: dict[str, Any]) -> None: ...

    def record_runs(self, runs: Sequence[dict[str, Any]]) -> None:
        """Several `record_run`s; backends may write them in one transaction."""
        for run in runs:
            self.record_run(run)

    @abstractmethod
    def audit(self, actor: str, workspace: str | None, action: str, detail: str) -> None: ...

    @abstractmethod
    def audit_entries(self, workspace: str | None = None) -> list[dict[str, Any]]: ...

    # backups ----------------------------------------------------------------------------------------------------
    @abstractmethod
    def export_dump(self, folder: Path) -> dict[str, int]:
        """Write every table (and the schema) into `folder` for `restore_store`; returns each table's row count."""

    @abstractmethod
    def table_counts(self) -> dict[str, int]:
        """Row count of every table (a restore is checked against the counts the dump recorded)."""

    # analysis results (see store/analysis_sql.py) -----------------------------------------------------------
    @abstractmethod
    def analysis_backlog(self, workspace: str, model: str, limit: int,
                         after: tuple[str, str] | None = None) -> list[tuple]:
        """Up to `limit` posts needing (re-)analysis: (platform, post_id, text, content_hash, place_name,
        place_country, place_lon, place_lat), in key order; with `after`, only keys past (platform, post_id)."""

    @abstractmethod
    def count_backlog(self, workspace: str, model: str) -> int: ...

    @abstractmethod
    def save_analysis(self, workspace: str, tables: dict[str, dict[str, list[Any]]]) -> None:
        """Replace the analysis of the posts in tables["post_analysis"], atomically."""

    @abstractmethod
    def sync_analysis_keys(self) -> None:
        """Copy each analysed post's time and author id into post_analysis and fill `post_key` everywhere."""

    @abstractmethod
    def drop_deleted_analysis(self, workspace: str) -> None: ...

    @abstractmethod
    def set_discovered_topics(self, workspace: str, assignments: Sequence[tuple[str, str, int | None]]) -> None:
        """(platform, post_id, topic id or None) for posts whose discovered topic changed."""

    @abstractmethod
    def get_setting(self, table: str, workspace: str) -> str | None:
        """The JSON document a workspace keeps in `taxonomies` or `discovery_state`."""

    @abstractmethod
    def put_setting(self, table: str, workspace: str, value: str) -> None: ...

    @abstractmethod
    def get_workspace_model(self, workspace: str, task: str) -> tuple[bytes, str] | None: ...

    @abstractmethod
    def put_workspace_model(self, workspace: str, task: str, model: bytes, meta: str) -> None: ...

    @abstractmethod
    def delete_workspace_model(self, workspace: str, task: str) -> bool: ...

    @abstractmethod
    def list_workspace_models(self, workspace: str) -> list[tuple[str, str, datetime]]: ...

    # retention and deletion (see store/lifecycle_sql.py) ------------------------------------------------------
    @abstractmethod
    def expire_posts(self, workspace: str, cutoff: datetime) -> dict[str, int]:
        """Delete posts created before `cutoff` and everything derived from them; rows deleted per table."""

    @abstractmethod
    def workspace_tables(self) -> list[str]:
        """Every table with a `workspace` column, from the database's catalogue."""

    @abstractmethod
    def delete_workspace_rows(self, workspace: str) -> dict[str, int]:
        """Every row of the workspace in every table, the workspace itself last, atomically."""

    @abstractmethod
    def purge_audit(self, cutoff: datetime) -> int: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Read-only SQL for analytics (callers pass parameters, never interpolate user input)."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One write statement from the store package's SQL modules (e.g. store/accounts_sql.py)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_migrations(self) -> SchemaMigrations:
        """The store's schema migrations: what is applied and pending, and applying it (store/migrations)."""
        raise NotImplementedError
    # The SQL fragments this backend spells its own way (store/dialect.py): analytics, web, alerts and reports build
    # their statements from portable SQL and these, never from a backend's name.
    dialect: Dialect

    # dashboard rollups (store/rollups.py) -------------------------------------------------------------------
    def rollups_ready(self) -> bool:
        """Whether dashboards may read the rollups (a backend without them scans raw)."""
        return False

    def rebuild_rollups(self, workspace: str | None = None) -> dict[str, int]:
        """Recompute the rollups of one workspace (default: all) from the analysed posts; cells per workspace."""
        raise NotImplementedError(f"{type(self).__name__} keeps no dashboard rollups")

    def compact_day_rollups(self, workspace: str, tz: str, local_day: str, full: bool = False) -> int:
        """Summarise the workspace's hourly rollup cells per local day (store/day_rollups_sql.py); days done."""
        return 0

    # data versions: what every process's view cache keys its answers on ------------------------------------
    def data_version(self, workspace: str) -> int:
        """A number that changes whenever a write (by any process) may have changed the workspace's views."""
        return 0

    def bump_data_version(self, workspace: str) -> None:
        """Record that the workspace's views may have changed (store writes of analysed posts do it themselves)."""
        return None

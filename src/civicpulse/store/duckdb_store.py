"""Embedded DuckDB backend: one file, one writing process (DuckDB's rule), batches staged as Arrow tables."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from civicpulse.fs import FILE_MODE, withhold_from_others
from civicpulse.schema import COLUMN_NAMES, Deletion, Post
from civicpulse.store.analysis_sql import clear_staged_sql
from civicpulse.store.base import (
    Store,
    UpsertCounts,
    WorkspaceInfo,
    arrow_schema,
    delete_statements,
    deletion_rows,
    group_counts,
    group_outcome_sql,
    post_rows,
    upsert_statements,
    validate_workspace_name,
)
from civicpulse.store.dialect import DUCKDB, Dialect
from civicpulse.store.duckdb_analysis import DuckDBAnalysisMixin
from civicpulse.store.duckdb_lifecycle import DuckDBLifecycleMixin
from civicpulse.store.migrations import DuckDBConnection, SchemaMigrations
from civicpulse.store.rollups import RollupMixin
from civicpulse.store.rollups_sql import staged_keys_condition

_POST_SCHEMA = arrow_schema()
_RUN_SCHEMA = pa.schema([*((c, pa.string()) for c in ("run_id", "workspace", "source", "format")),
                         *((c, pa.timestamp("us")) for c in ("started_at", "finished_at")),
                         *((c, pa.int64()) for c in ("read_count", "stored", "updated", "unchanged", "deleted",
                                                     "rejected", "warnings"))])
_GROUP = "batch_group"  # a staged batch's extra column: which input file a row came from
# Only the extensions built into the wheel: anything else would try to download at run time.
# A bounded buffer pool and no insertion-order bookkeeping keep a long ingest's memory from growing with the
# table (measured in benchmarks/ingest.py); every read that needs an order says ORDER BY.
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
           "preserve_insertion_order": False}
DEFAULT_MEMORY_LIMIT = "128MB"
_AUDIT_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StoreError(RuntimeError):
    pass


def _count_by(column: str, one_workspace: bool) -> str:
    """Live posts counted by a column; `language` is the detected one (platforms often leave theirs empty)."""
    live = "WHERE p.workspace = ? AND NOT p.deleted" if one_workspace else "WHERE NOT p.deleted"
    if column == "language":
        return ("SELECT coalesce(a.language, '(not analysed)'), count(*) FROM posts p LEFT JOIN post_analysis a "
                "ON a.workspace = p.workspace AND a.platform = p.platform AND a.post_id = p.post_id "
                f"{live} GROUP BY 1 ORDER BY 2 DESC, 1")
    return f"SELECT coalesce(p.{column}, '(none)'), count(*) FROM posts p {live} GROUP BY 1 ORDER BY 2 DESC, 1"


class DuckDBStore(DuckDBAnalysisMixin, DuckDBLifecycleMixin, RollupMixin, Store):
    data_errors = (*Store.data_errors, duckdb.DataError, duckdb.OutOfMemoryException, duckdb.InvalidInputException)
    conflict_errors = (duckdb.TransactionException,)

    def __init__(self, path: str, read_only: bool = False, memory_limit: str | None = None, *,
                 migrate: bool = True):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            if not read_only:  # DuckDB creates the file, its WAL and temporary files with no mode we could pass
                withhold_from_others()
        try:
            config = {**_CONFIG, "memory_limit": memory_limit or os.environ.get("CIVICPULSE_DUCKDB_MEMORY")
                      or DEFAULT_MEMORY_LIMIT}
            self.con = duckdb.connect(path, read_only=read_only, config=config)
        except duckdb.IOException as exc:
            raise StoreError(f"cannot open the store {path}: {exc}") from None
        if path != ":memory:" and not read_only:
            for file in (Path(path), Path(f"{path}.wal")):  # also a store made before, under a looser umask
                if file.exists():
                    os.chmod(file, FILE_MODE)
        if migrate:  # `civicpulse migrate` opens without, to show and apply them itself
            try:
                if read_only:
                    self.schema_migrations().ensure_current()
                else:
                    self._migrate()
            except BaseException:
                self.con.close()
                raise

    def fork(self) -> DuckDBStore:
        """Another handle on the same open database (a DuckDB cursor) for one thread or request.

        DuckDB connections are not safe to share between threads; cursors of one connection are, and they see
        each other's commits. The web app gives every request and every background job its own fork.
        """
        twin = object.__new__(type(self))
        twin.path = self.path
        twin.con = self.con.cursor()
        return twin

    # DuckDB 2 refuses new work on a connection while a result is unread, so every statement is drained here.
    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.con.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _migrate(self) -> None:
        self.schema_migrations().apply(actor="civicpulse")
        self.sync_analysis_keys()  # fills analysis columns a migration added (a no-op once filled)
        self._ensure_rollups()

    # workspaces -------------------------------------------------------------------------------------------
    def ensure_workspace(self, name: str, keep_raw: bool | None = None) -> WorkspaceInfo:
        validate_workspace_name(name)
        info = self.get_workspace(name)
        if info is None:
            self._all("INSERT INTO workspaces VALUES (?, ?, ?, ?)", [name, _now(), bool(keep_raw), "{}"])
        elif keep_raw is not None and keep_raw != info.keep_raw:
            self.set_keep_raw(name, keep_raw)
        return self.get_workspace(name)  # type: ignore[return-value]

    def get_workspace(self, name: str) -> WorkspaceInfo | None:
        row = self._one("SELECT name, created_at, keep_raw FROM workspaces WHERE name = ?", [name])
        return WorkspaceInfo(*row) if row else None

    def list_workspaces(self) -> list[WorkspaceInfo]:
        rows = self._all("SELECT name, created_at, keep_raw FROM workspaces ORDER BY name")
        return [WorkspaceInfo(*r) for r in rows]

    def set_keep_raw(self, name: str, keep_raw: bool) -> None:
        self._all("UPDATE workspaces SET keep_raw = ? WHERE name = ?", [keep_raw, name])

    # posts ------------------------------------------------------------------------------------------------
    def _merge(self, table: pa.Table, statements: dict[str, str], rollups: bool = False) -> dict[str, int]:
        """`rollups`: the statements change analysed posts, whose rollup cells are recomputed in the transaction."""
        counts: dict[str, int] = {}
        self.con.register("staged_batch", table)
        try:
            self._all("BEGIN TRANSACTION")
            touched = self._touched_hours(staged_keys_condition("staged_batch")) if rollups else {}
            for name, sql in statements.items():
                counts[name] = self._one(sql)[0]
            self._refresh_rollups(touched)
            self._all("COMMIT")
        except Exception:
            self._all("ROLLBACK")
            raise
        finally:
            self.con.unregister("staged_batch")
        return counts

    def upsert_posts(self, workspace: str, posts: Sequence[Post]) -> UpsertCounts:
        unique = list({(p.platform, p.post_id): p for p in posts}.values())  # last copy in a batch wins
        if not unique:
            return UpsertCounts(unchanged=len(posts))
        table = pa.table(post_rows(workspace, unique, _now()), schema=_POST_SCHEMA)
        c = self._merge(table, upsert_statements("staged_batch"))
        return UpsertCounts(stored=c["stored"], updated=c["updated"], suppressed=c["suppressed"],
                            unchanged=len(posts) - c["stored"] - c["updated"] - c["suppressed"])

    def upsert_post_groups(self, workspace: str, posts: Sequence[Post],
                           groups: Sequence[int]) -> dict[int, UpsertCounts]:
        # Many small files (one post each) would otherwise cost one merge, and one scan of posts, per file.
        latest = {(p.platform, p.post_id): (p, g) for p, g in zip(posts, groups, strict=True)}
        if not latest:
            return {}
        columns = post_rows(workspace, [p for p, _ in latest.values()], _now())
        columns[_GROUP] = [g for _, g in latest.values()]
        table = pa.table(columns, schema=_POST_SCHEMA.append(pa.field(_GROUP, pa.int64())))
        outcome: dict[int, tuple] = {}
        self.con.register("staged_batch", table)
        try:
            self._all("BEGIN TRANSACTION")
            for group, stored, suppressed, updated in self._all(group_outcome_sql("staged_batch", _GROUP)):
                outcome[group] = (stored, suppressed, updated)
            for sql in upsert_statements("staged_batch").values():
                self._all(sql)
            self._all("COMMIT")
        except Exception:
            self._all("ROLLBACK")
            raise
        finally:
            self.con.unregister("staged_batch")
        return group_counts(groups, outcome)

    def apply_deletions(self, workspace: str, deletions: Sequence[Deletion]) -> UpsertCounts:
        unique = list({(d.platform, d.post_id): d for d in deletions}.values())
        if not unique:
            return UpsertCounts()
        cols = deletion_rows(workspace, unique, _now())
        table = pa.table(cols, schema=pa.schema([(n, _POST_SCHEMA.field(n).type) for n in cols]))
        # Analysis rows go with the content: dashboards read them without looking at `posts`.
        purge = {f"purged_{i}": sql for i, sql in enumerate(clear_staged_sql("staged_batch"))}
        c = self._merge(table, {**delete_statements("staged_batch"), **purge}, rollups=True)
        done = c["deleted"] + c["tombstones"]
        return UpsertCounts(deleted=done, unchanged=len(deletions) - done)

    def iter_posts(self, workspace: str, columns: Sequence[str], batch_size: int = 10_000,
                   include_deleted: bool = False) -> Iterator[list[tuple]]:
        unknown = set(columns) - set(COLUMN_NAMES)
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        where = "workspace = ?" + ("" if include_deleted else " AND NOT deleted")
        cur = self.con.cursor()
        cur.execute(f"SELECT {', '.join(columns)} FROM posts WHERE {where} "
                    "ORDER BY created_at NULLS LAST, platform, post_id", [workspace])
        while rows := cur.fetchmany(batch_size):
            yield rows

    def stats(self, workspace: str | None = None) -> dict[str, Any]:
        where, params = ("WHERE workspace = ?", [workspace]) if workspace else ("", [])
        totals = self._one(f"SELECT count(*) FILTER (WHERE NOT deleted), count(*) FILTER (WHERE deleted), "
                   f"count(*) FILTER (WHERE edited AND NOT deleted), count(DISTINCT author_key), "
                   f"min(created_at), max(created_at) FROM posts {where}", params)
        by = {}
        for column in ("workspace", "platform", "kind", "language", "source_format"):
            by[column] = dict(self._all(_count_by(column, bool(workspace)), params))
        return {"posts": totals[0], "deleted": totals[1], "edited": totals[2], "distinct_authors": totals[3],
                "first_post_at": totals[4], "last_post_at": totals[5], "by": by}

    def record_run(self, run: dict[str, Any]) -> None:
        self.record_runs([run])

    def record_runs(self, runs: Sequence[dict[str, Any]]) -> None:
        if not runs:
            return
        # Staged as an Arrow table: one statement for any number of runs (a VALUES list grows its cost quadratically).
        table = pa.table({name: [run.get(name) for run in runs] for name in _RUN_SCHEMA.names}, schema=_RUN_SCHEMA)
        self.con.register("staged_runs", table)
        try:
            self._all(f"INSERT INTO ingest_runs ({', '.join(_RUN_SCHEMA.names)}) "
                      f"SELECT {', '.join(_RUN_SCHEMA.names)} FROM staged_runs")
        finally:
            self.con.unregister("staged_runs")

    def audit(self, actor: str, workspace: str | None, action: str, detail: str) -> None:
        # Audit rows are appends, which DuckDB does not report as conflicts today; should a concurrent
        # transaction still conflict, the entry is retried rather than turning a read into a server error.
        for attempt in range(_AUDIT_ATTEMPTS):
            try:
                self._all("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)", [_now(), actor, workspace, action, detail])
                return
            except duckdb.TransactionException:
                if attempt == _AUDIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.005 * 2 ** attempt)

    def audit_entries(self, workspace: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE workspace = ?", [workspace]) if workspace else ("", [])
        rows = self._all(f"SELECT logged_at, actor, workspace, action, detail FROM audit_log {where} "
                         "ORDER BY logged_at", params)
        return [dict(zip(("logged_at", "actor", "workspace", "action", "detail"), r, strict=True)) for r in rows]

    def close(self) -> None:
        self.con.close()

    def export_dump(self, folder: Path) -> dict[str, int]:
        """Every table as Parquet plus the schema (DuckDB's EXPORT DATABASE): portable across DuckDB versions."""
        self.con.execute("CHECKPOINT")
        counts = self.table_counts()
        self.con.execute(f"EXPORT DATABASE '{_sql_path(folder)}' (FORMAT parquet)")
        return counts

    def table_counts(self) -> dict[str, int]:
        return {name: self._one(f'SELECT count(*) FROM "{name}"')[0] for name in self._table_names()}

    def _table_names(self) -> list[str]:
        return [r[0] for r in self._all("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1")]

    def schema_migrations(self) -> SchemaMigrations:
        return SchemaMigrations(DuckDBConnection(self.con), self.path)
    dialect: Dialect = DUCKDB


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def restore_duckdb(path: str, folder: Path) -> DuckDBStore:
    """A new store at `path` from an `export_dump` folder; the schema is then brought up to date as on open."""
    if Path(path).exists():
        raise StoreError(f"{path} exists: restore into a new path")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    withhold_from_others()
    con = duckdb.connect(path, config=_CONFIG)
    try:
        con.execute(f"IMPORT DATABASE '{_sql_path(folder)}'")
    finally:
        con.close()
    return DuckDBStore(path)



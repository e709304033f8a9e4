"""PostgreSQL backend (`--db postgresql://…`): the same tables and portable statements as DuckDB, batches staged in
temporary tables filled with COPY. Requires psycopg 3 (`pip install 'civicpulse[postgres]'`) and the `unaccent`
extension (PostgreSQL's contrib package), which the store creates when it opens.

Shared with DuckDB: every statement of store/*_sql.py, and the analysis and lifecycle operations that only run
them (the mixins); what differs is how a batch is staged and the dialect fragments of postgres_sql.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civicpulse.schema import COLUMN_NAMES, Deletion, Post
from civicpulse.store.analysis_sql import clear_staged_sql
from civicpulse.store.base import (
    Store,
    UpsertCounts,
    WorkspaceInfo,
    delete_statements,
    deletion_rows,
    group_counts,
    group_outcome_sql,
    post_rows,
    upsert_statements,
    validate_workspace_name,
)
from civicpulse.store.day_rollups_sql import BUMP_VERSION, GET_VERSION
from civicpulse.store.dialect import POSTGRES, Dialect
from civicpulse.store.duckdb_analysis import DuckDBAnalysisMixin
from civicpulse.store.duckdb_lifecycle import DuckDBLifecycleMixin
from civicpulse.store.migrations import PostgresConnection, SchemaMigrations
from civicpulse.store.postgres_sql import SYNC_SQL, analysed_posts_sql, positional
from civicpulse.store.rollups import RollupMixin
from civicpulse.store.rollups_sql import STAGED_TOPICS_CONDITION, staged_keys_condition

_GROUP = "batch_group"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class PostgresStoreError(RuntimeError):
    pass


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise PostgresStoreError("a postgresql:// store needs psycopg: pip install 'civicpulse[postgres]'") from None
    return psycopg


class PostgresStore(DuckDBAnalysisMixin, DuckDBLifecycleMixin, RollupMixin, Store):
    """One connection per handle (`fork()` opens another for a thread); statements autocommit unless grouped."""

    def __init__(self, url: str, read_only: bool = False, *, migrate: bool = True) -> None:
        psycopg = _psycopg()
        self.path = url
        self.read_only = read_only
        try:
            self.con = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise PostgresStoreError(f"cannot open the store {_safe(url)}: {exc}") from None
        self.data_errors = (*Store.data_errors, psycopg.DataError)
        self.conflict_errors = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected,
                                psycopg.errors.LockNotAvailable)
        try:
            if read_only:
                self.con.execute("SET default_transaction_read_only = on")
                if migrate:
                    self.schema_migrations().ensure_current()
            elif migrate:
                self._migrate()
        except BaseException:
            self.con.close()
            raise

    def fork(self) -> PostgresStore:
        return PostgresStore(self.path, self.read_only, migrate=False)

    # Statements: DuckDB's `?` placeholders; a statement without a result set answers its row count, as DuckDB's
    # DML does, so the shared operations read counts the same way on both backends.
    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.con.execute(positional(sql), list(params))
        return cur.fetchall() if cur.description is not None else [(cur.rowcount,)]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _migrate(self) -> None:
        # Each migration runs under an advisory lock: processes opening a new store at once do not race.
        self.schema_migrations().apply(actor="civicpulse")
        self.sync_analysis_keys()
        self._ensure_rollups()

    @contextmanager
    def _staged(self, name: str, like: str, columns: dict[str, list[Any]]) -> Iterator[None]:
        """A temporary table with `like`'s column types (not its constraints) holding `columns`, for one
        transaction's statements."""
        names = list(columns)
        own = [n for n in names if n != _GROUP]
        group = f", NULL::BIGINT AS {_GROUP}" if _GROUP in names else ""
        self.con.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {', '.join(own)}{group} FROM {like} "
                         "WITH NO DATA")
        with self.con.cursor().copy(f"COPY {name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in zip(*(columns[n] for n in names), strict=True):
                copy.write_row(row)
        yield

    # workspaces ------------------------------------------------------------------------------------------------
    def ensure_workspace(self, name: str, keep_raw: bool | None = None) -> WorkspaceInfo:
        validate_workspace_name(name)
        self._all("INSERT INTO workspaces VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                  [name, _now(), bool(keep_raw), "{}"])
        info = self.get_workspace(name)
        if keep_raw is not None and info is not None and keep_raw != info.keep_raw:
            self.set_keep_raw(name, keep_raw)
        return self.get_workspace(name)  # type: ignore[return-value]

    def get_workspace(self, name: str) -> WorkspaceInfo | None:
        row = self._one("SELECT name, created_at, keep_raw FROM workspaces WHERE name = ?", [name])
        return WorkspaceInfo(*row) if row else None

    def list_workspaces(self) -> list[WorkspaceInfo]:
        return [WorkspaceInfo(*r) for r in self._all("SELECT name, created_at, keep_raw FROM workspaces "
                                                     "ORDER BY name")]

    def set_keep_raw(self, name: str, keep_raw: bool) -> None:
        self._all("UPDATE workspaces SET keep_raw = ? WHERE name = ?", [keep_raw, name])

    # posts -----------------------------------------------------------------------------------------------------
    def upsert_posts(self, workspace: str, posts: Sequence[Post]) -> UpsertCounts:
        unique = list({(p.platform, p.post_id): p for p in posts}.values())
        if not unique:
            return UpsertCounts(unchanged=len(posts))
        with self.con.transaction(), self._staged("staged_batch", "posts", post_rows(workspace, unique, _now())):
            # Rows of this key are written by one transaction at a time: concurrent writers of the same posts
            # wait here instead of both inserting (and one failing on the primary key).
            self.con.execute("LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE")
            c = {name: self._one(sql)[0] for name, sql in upsert_statements("staged_batch").items()}
        return UpsertCounts(stored=c["stored"], updated=c["updated"], suppressed=c["suppressed"],
                            unchanged=len(posts) - c["stored"] - c["updated"] - c["suppressed"])

    def upsert_post_groups(self, workspace: str, posts: Sequence[Post],
                           groups: Sequence[int]) -> dict[int, UpsertCounts]:
        latest = {(p.platform, p.post_id): (p, g) for p, g in zip(posts, groups, strict=True)}
        if not latest:
            return {}
        columns = post_rows(workspace, [p for p, _ in latest.values()], _now())
        columns[_GROUP] = [g for _, g in latest.values()]
        outcome: dict[int, tuple] = {}
        with self.con.transaction(), self._staged("staged_batch", "posts", columns):
            self.con.execute("LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE")
            for group, stored, suppressed, updated in self._all(group_outcome_sql("staged_batch", _GROUP)):
                outcome[group] = (stored, suppressed, updated)
            for sql in upsert_statements("staged_batch").values():
                self._all(sql)
        return group_counts(groups, outcome)

    def apply_deletions(self, workspace: str, deletions: Sequence[Deletion]) -> UpsertCounts:
        unique = list({(d.platform, d.post_id): d for d in deletions}.values())
        if not unique:
            return UpsertCounts()
        purge = {f"purged_{i}": sql for i, sql in enumerate(clear_staged_sql("staged_batch"))}
        with self.con.transaction(), self._staged("staged_batch", "posts", deletion_rows(workspace, unique, _now())):
            self.con.execute("LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE")
            touched = self._touched_hours(staged_keys_condition("staged_batch"))
            c = {name: self._one(sql)[0] for name, sql in {**delete_statements("staged_batch"), **purge}.items()}
            self._refresh_rollups(touched)
        done = c["deleted"] + c["tombstones"]
        return UpsertCounts(deleted=done, unchanged=len(deletions) - done)

    def iter_posts(self, workspace: str, columns: Sequence[str], batch_size: int = 10_000,
                   include_deleted: bool = False) -> Iterator[list[tuple]]:
        unknown = set(columns) - set(COLUMN_NAMES)
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        where = "workspace = %s" + ("" if include_deleted else " AND NOT deleted")
        yield from self._batches(f"SELECT {', '.join(columns)} FROM posts WHERE {where} "
                                 "ORDER BY created_at NULLS LAST, platform, post_id", [workspace], batch_size)

    def iter_analysed_posts(self, workspace: str, columns: Sequence[str],
                            batch_size: int = 10_000) -> Iterator[list[tuple]]:
        unknown = set(columns) - set(COLUMN_NAMES)
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        rows = self._batches(positional(analysed_posts_sql(columns)), [workspace] * 3, batch_size)
        for batch in rows:
            yield [(*row[:-2], *(list(v) if v is not None else None for v in row[-2:])) for row in batch]

    def _batches(self, sql: str, params: list[Any], batch_size: int) -> Iterator[list[tuple]]:
        # A server-side cursor on its own connection: a long export never holds this handle's connection.
        with self.fork() as other, other.con.transaction(), other.con.cursor(name="batches") as cur:
            cur.execute(sql, params)
            while rows := cur.fetchmany(batch_size):
                yield rows

    def stats(self, workspace: str | None = None) -> dict[str, Any]:
        from civicpulse.store.duckdb_store import _count_by

        where, params = ("WHERE workspace = ?", [workspace]) if workspace else ("", [])
        totals = self._one("SELECT count(*) FILTER (WHERE NOT deleted), count(*) FILTER (WHERE deleted), "
                           "count(*) FILTER (WHERE edited AND NOT deleted), count(DISTINCT author_key), "
                           f"min(created_at), max(created_at) FROM posts {where}", params)
        by = {column: dict(self._all(_count_by(column, bool(workspace)), params))
              for column in ("workspace", "platform", "kind", "language", "source_format")}
        return {"posts": totals[0], "deleted": totals[1], "edited": totals[2], "distinct_authors": totals[3],
                "first_post_at": totals[4], "last_post_at": totals[5], "by": by}

    def record_run(self, run: dict[str, Any]) -> None:
        self.record_runs([run])

    def record_runs(self, runs: Sequence[dict[str, Any]]) -> None:
        names = ("run_id", "workspace", "source", "format", "started_at", "finished_at", "read_count", "stored",
                 "updated", "unchanged", "deleted", "rejected", "warnings")
        with self.con.cursor() as cur:
            cur.executemany(f"INSERT INTO ingest_runs ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                            [[run.get(n) for n in names] for run in runs])

    def audit(self, actor: str, workspace: str | None, action: str, detail: str) -> None:
        self._all("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)", [_now(), actor, workspace, action, detail])

    def audit_entries(self, workspace: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE workspace = ?", [workspace]) if workspace else ("", [])
        rows = self._all(f"SELECT logged_at, actor, workspace, action, detail FROM audit_log {where} "
                         "ORDER BY logged_at", params)
        return [dict(zip(("logged_at", "actor", "workspace", "action", "detail"), r, strict=True)) for r in rows]

    # analysis: staging differs, the statements are shared ------------------------------------------------------
    def sync_analysis_keys(self) -> None:
        self._sync_keeping_rollups(SYNC_SQL)

    def save_analysis(self, workspace: str, tables: dict[str, dict[str, list[Any]]]) -> None:
        keys = tables["post_analysis"]
        with self.con.transaction():
            with self._staged("staged_keys", "post_analysis", {k: keys[k] for k in ("workspace", "platform",
                                                                                     "post_id")}):
                before = self._touched_hours(staged_keys_condition("staged_keys"))
                for sql in clear_staged_sql("staged_keys"):
                    self._all(sql)
            for table, columns in tables.items():
                if columns and next(iter(columns.values())):
                    with self.con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in zip(*columns.values(), strict=True):
                            copy.write_row(row)
            for sql in SYNC_SQL:  # the sync, its rows' cells known exactly: before and after
                self._all(sql)
            self._refresh_rollups(before, self._touched_hours(staged_keys_condition("staged_keys")))

    def set_discovered_topics(self, workspace: str, assignments: Sequence[tuple[str, str, int | None]]) -> None:
        if not assignments:
            return
        columns = {"platform": [a[0] for a in assignments], "post_id": [a[1] for a in assignments],
                   "discovered_topic": [a[2] for a in assignments]}
        with self.con.transaction(), self._staged("staged_topics", "post_analysis", columns):
            touched = self._touched_hours(STAGED_TOPICS_CONDITION, [workspace])
            self._all("UPDATE post_analysis AS a SET discovered_topic = s.discovered_topic FROM staged_topics s "
                      "WHERE a.workspace = ? AND a.platform = s.platform AND a.post_id = s.post_id", [workspace])
            self._refresh_rollups(touched)

    # backups ---------------------------------------------------------------------------------------------------
    def table_counts(self) -> dict[str, int]:
        names = [r[0] for r in self._all("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                         "current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")]
        return {name: self._one(f'SELECT count(*) FROM "{name}"')[0] for name in names}

    def export_dump(self, folder: Path) -> dict[str, int]:
        from civicpulse.store.postgres_backup import export_postgres

        return export_postgres(self, folder)

    def close(self) -> None:
        self.con.close()

    def schema_migrations(self) -> SchemaMigrations:
        return SchemaMigrations(PostgresConnection(self.con), _safe(self.path))
    dialect: Dialect = POSTGRES

    def data_version(self, workspace: str) -> int:
        found = self._one(GET_VERSION, [workspace])
        return int(found[0]) if found else 0

    def bump_data_version(self, workspace: str) -> None:
        # Several processes write here: their view caches must see each other's writes. (A DuckDB store has one
        # writing process, whose own cache knows its writes: it keeps the base class's constant version.)
        self._all(BUMP_VERSION, [workspace])

    def _lock_rollups(self, workspace: str) -> None:
        # Read committed: a second refresh waits here for the first to commit, then reads its rows.
        self._all("SELECT pg_advisory_xact_lock(7305418, hashtext(?))", [workspace])


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"

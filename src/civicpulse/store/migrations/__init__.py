"""Schema migrations: numbered modules in this folder, each applied once, in order, in its own transaction.

A store records what it has in `schema_migrations` (version, name, applied_at, checksum of the statements) and keeps
`meta.schema_version` at its highest version, so a civicpulse from before migrations refuses a newer store instead
of guessing. Opening a store for writing applies what is pending; a read-only open of a store that lacks some
refuses and names `civicpulse migrate`; a store with migrations this code does not know (written by a newer
civicpulse), or whose applied migration differs from this code's copy, is refused whichever way it is opened.

Stores made before migrations existed have `meta.schema_version` 1 and no `schema_migrations`: they are recorded
as at the baseline (0001) without running it when all its tables are there; otherwise its CREATE TABLE IF NOT
EXISTS statements add the missing ones. Later migrations then run as for any store.

Adding a migration (developers):
1. Add `NNNN_short_name.py` here, NNNN one past the highest (versions run 1, 2, 3, ... with no gaps). Its docstring
   says what it changes and why; its first line is what `civicpulse migrate --status` shows.
2. Give it `STATEMENTS`, a list of SQL strings both backends accept, with DuckDB's type names (DOUBLE, BLOB):
   on PostgreSQL they are translated as every store DDL is (`postgres_sql.pg_ddl`). Where the dialects differ,
   add `DUCKDB` and/or `POSTGRES` lists: that backend runs its list instead of STATEMENTS. Write the statements
   out in full (do not import them from the *_sql.py modules): an applied migration must never change, and
   its checksum is compared on every open.
3. Make the same change to the table's CREATE TABLE in its store/*_sql.py module (what `ddl()` declares):
   tests/test_migrations.py checks that a fresh store equals `ddl()`'s layout on both backends.
   A new table: `CREATE TABLE IF NOT EXISTS ...` copied from its *_sql.py list. A new column:
   `ALTER TABLE t ADD COLUMN c TYPE` (a NOT NULL column needs a DEFAULT for the rows already there; DuckDB
   refuses IF NOT EXISTS on a NOT NULL column). `python -m civicpulse.store.migrations.draft NAME` drafts both.
   Backfills are plain UPDATE ... statements in the same list: they run in the migration's transaction.
4. Never edit or renumber a migration once it is on the main branch; fix a mistake with the next one.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from civicpulse.store.postgres_sql import pg_ddl, positional

MIGRATIONS_TABLE = "schema_migrations"
_MODULE = re.compile(r"^(\d{4})_([a-z0-9_]+)$")
_CREATED_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)
_BOOTSTRAP = (f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
              "applied_at TIMESTAMP NOT NULL, checksum TEXT NOT NULL)")
# PostgreSQL: one lock for every process that migrates the same database (two servers starting at once).
_PG_LOCK = 7305417


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    title: str
    portable: tuple[str, ...]
    per_backend: dict[str, tuple[str, ...]]

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    def source(self, backend: str) -> tuple[str, ...]:
        return self.per_backend.get(backend, self.portable)

    def statements(self, backend: str) -> list[str]:
        """What runs on `backend`: its own list or the portable one, in PostgreSQL's type names there."""
        return [pg_ddl(s) if backend == "postgres" else s for s in self.source(backend)]

    def checksum(self, backend: str) -> str:
        # Of the statements as written, not as translated: a change to pg_ddl is not a change of the migration.
        return hashlib.sha256("\n;\n".join(self.source(backend)).encode()).hexdigest()


def _load(module_name: str) -> Migration:
    version, name = _MODULE.match(module_name).groups()  # type: ignore[union-attr]
    module = importlib.import_module(f"{__name__}.{module_name}")
    statements = getattr(module, "STATEMENTS", None)
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise MigrationError(f"migration {module_name} has no STATEMENTS list of SQL strings")
    per_backend = {backend: tuple(getattr(module, attribute))
                   for backend, attribute in (("duckdb", "DUCKDB"), ("postgres", "POSTGRES"))
                   if hasattr(module, attribute)}
    title = (module.__doc__ or name).strip().splitlines()[0]
    return Migration(int(version), name, title, tuple(statements), per_backend)


@cache
def known_migrations() -> tuple[Migration, ...]:
    """This code's migrations in order; versions must run 1, 2, 3, ... (a gap or a duplicate is a bug here)."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if _MODULE.match(m.name))
    migrations = tuple(_load(name) for name in names)
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise MigrationError(f"migration versions must be 1..{len(migrations)} without gaps: {versions}")
    return migrations


def latest_version() -> int:
    return known_migrations()[-1].version


# --- connections ----------------------------------------------------------------------------------------------
class Connection(Protocol):
    """What the runner needs of a backend's connection (the stores wrap theirs; no driver is imported here)."""

    backend: str

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    def transaction(self) -> Any: ...


class DuckDBConnection:
    backend = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.con.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # DuckDB's DDL is transactional (ALTER TABLE too): a failed migration leaves no trace.
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


class PostgresConnection:
    backend = "postgres"

    def __init__(self, con: Any) -> None:
        self.con = con  # a psycopg 3 connection in autocommit mode

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.con.execute(positional(sql), list(params))
        return cur.fetchall() if cur.description is not None else []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.con.transaction():
            self.con.execute(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            yield


# --- the runner -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MigrationState:
    version: int
    name: str
    title: str
    state: str  # applied | pending | changed (applied, but not as this code has it) | unknown (newer code's)
    applied_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SchemaMigrations:
    """The migrations of one store; `where` names it in messages (a path, or a URL without its password)."""

    def __init__(self, con: Connection, where: str) -> None:
        self.con = con
        self.where = where

    def _tables(self) -> set[str]:
        return {r[0] for r in self.con.run("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                           "current_schema() AND table_catalog = current_database() "
                                           "AND table_type = 'BASE TABLE'")}

    def _legacy_version(self, tables: set[str]) -> int | None:
        """meta.schema_version of a store made before migrations; None for a store that has no meta at all."""
        if "meta" not in tables:
            return None
        row = self.con.run("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0][0]) if row else 1

    def states(self) -> list[MigrationState]:
        """Every migration this code knows, and any the store has that it does not, by version."""
        tables = self._tables()
        applied: dict[int, tuple[str, datetime | None, str | None]] = {}
        if MIGRATIONS_TABLE in tables:
            for version, name, applied_at, checksum in self.con.run(
                    f"SELECT version, name, applied_at, checksum FROM {MIGRATIONS_TABLE} ORDER BY version"):
                applied[int(version)] = (name, applied_at, checksum)
        else:
            legacy = self._legacy_version(tables)
            if legacy is not None and legacy > 1:  # a newer civicpulse's store that lost schema_migrations
                applied = {v: (f"schema_version_{v}", None, None) for v in range(2, legacy + 1)}
        known = {m.version: m for m in known_migrations()}
        states = []
        for migration in known.values():
            name, applied_at, checksum = applied.get(migration.version, (None, None, None))
            if name is None:
                state = "pending"
            elif name != migration.name or checksum != migration.checksum(self.con.backend):
                state = "changed"
            else:
                state = "applied"
            states.append(MigrationState(migration.version, migration.name, migration.title, state, applied_at))
        states += [MigrationState(v, name, "(unknown to this civicpulse)", "unknown", at)
                   for v, (name, at, _) in sorted(applied.items()) if v not in known]
        return states

    def pending(self) -> list[Migration]:
        """The migrations to apply, after refusing a store this code must not change."""
        states = self.states()
        self._refuse_unknown_or_changed(states)
        todo = {s.version for s in states if s.state == "pending"}
        return [m for m in known_migrations() if m.version in todo]

    def _refuse_unknown_or_changed(self, states: list[MigrationState]) -> None:
        unknown = [f"{s.version:04d}_{s.name}" for s in states if s.state == "unknown"]
        if unknown:
            raise MigrationError(f"{self.where} has schema migrations this civicpulse does not know "
                                 f"({', '.join(unknown)}): it was written by a newer civicpulse; upgrade civicpulse "
                                 "to open it")
        changed = [f"{s.version:04d}_{s.name}" for s in states if s.state == "changed"]
        if changed:
            raise MigrationError(f"{self.where}: the applied schema migration(s) {', '.join(changed)} differ from "
                                 "this civicpulse's copy (checksum or name): a released migration must never be "
                                 "edited; use the civicpulse version that applied it, or restore the migration")

    def ensure_current(self) -> None:
        """For a read-only open: refuse a store that lacks migrations (it cannot be changed from here)."""
        pending = self.pending()
        if pending:
            raise MigrationError(f"{self.where} needs schema migrations ({', '.join(m.label for m in pending)}): "
                                 "run `civicpulse migrate` on it (or open it once for writing), then try again")

    def apply(self, actor: str, dry_run: bool = False) -> list[Migration]:
        """Apply what is pending, each migration in its own transaction; returns them (with dry_run: would)."""
        pending = self.pending()
        if dry_run:
            return pending
        # A new store is built by the same migrations; only changes to an existing one go into the audit log.
        existing = "meta" in self._tables()
        for migration in pending:
            with self.con.transaction():
                # Another process may have applied it while we waited for the lock (PostgreSQL).
                if MIGRATIONS_TABLE in self._tables() and self.con.run(
                        f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE version = ?", [migration.version]):
                    continue
                how = self._run(migration)
                self._record(migration, actor, how if existing else None)
        return pending

    def _run(self, migration: Migration) -> str:
        tables = self._tables()
        legacy = migration.version == 1 and MIGRATIONS_TABLE not in tables and self._legacy_version(tables) == 1
        if legacy and self._baseline_tables() <= tables:
            return "recorded: the store was made before migrations, with all of the baseline's tables"
        for statement in migration.statements(self.con.backend):
            self.con.run(statement)
        return "applied"

    @staticmethod
    def _baseline_tables() -> set[str]:
        baseline = known_migrations()[0]
        return {m.group(1) for s in baseline.portable if (m := _CREATED_TABLE.match(s))}

    def _record(self, migration: Migration, actor: str, how: str | None) -> None:
        now = _now()
        self.con.run(_BOOTSTRAP)
        self.con.run(f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)",
                     [migration.version, migration.name, now, migration.checksum(self.con.backend)])
        # Read by civicpulse versions from before migrations: they refuse a store newer than their version 1.
        self.con.run("DELETE FROM meta WHERE key = 'schema_version'")
        self.con.run("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", [str(migration.version)])
        if how is not None:
            self.con.run("INSERT INTO audit_log (logged_at, actor, workspace, action, detail) VALUES (?, ?, NULL, "
                         "'schema.migrate', ?)", [now, actor, f"{migration.label} {how}"])

"""Storage: one interface (`Store`), an embedded DuckDB backend, and room for a PostgreSQL one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from civicpulse.registry import Registry
from civicpulse.store.base import Store, UpsertCounts, WorkspaceInfo, validate_workspace_name

# Tables whose rows record the schema itself (applied migrations): a restore into PostgreSQL keeps the records of
# the schema it loads the rows into (store/postgres_backup.py), so their count may differ from the archive's.
SCHEMA_RECORD_TABLES = frozenset({"schema_migrations"})
# Bookkeeping that a restore's own writes add to (the rollup hours its key refold recomputes are marked dirty until
# the next compaction and bump the data version, store/day_rollups_sql.py): their counts may differ from the
# archive's too.
BOOKKEEPING_TABLES = frozenset({"rollup_dirty_hours", "data_versions"})

# Backends by URL scheme; anything without a registered scheme is a DuckDB file path. A plugin adds one under the
# `civicpulse.stores` entry-point group: a callable (url, read_only, migrate) -> Store.
BACKENDS: Registry[Callable[[str, bool, bool], Store]] = Registry(
    "store backend", entry_point_group="civicpulse.stores", entry_point_adds=True)
DEFAULT_BACKEND = "duckdb"


@BACKENDS.register("duckdb")
def _duckdb(path: str, read_only: bool, migrate: bool) -> Store:
    from civicpulse.store.duckdb_store import DuckDBStore

    return DuckDBStore(path, read_only=read_only, migrate=migrate)


@BACKENDS.register("postgresql")
@BACKENDS.register("postgres")
def _postgres(url: str, read_only: bool, migrate: bool) -> Store:
    from civicpulse.store.postgres_store import PostgresStore

    return PostgresStore(url, read_only=read_only, migrate=migrate)


def is_postgres_url(url_or_path: str) -> bool:
    return str(url_or_path).startswith(("postgres://", "postgresql://"))


def open_store(url_or_path: str, read_only: bool = False, *, migrate: bool = True) -> Store:
    """Open a store from a path (DuckDB file) or a `postgresql://` URL.

    Opened for writing, it gets the schema migrations it lacks; read-only, a store that lacks some is refused.
    `migrate=False` does neither (for `civicpulse migrate`, which shows and applies them itself).
    """
    return BACKENDS.get(backend_name(url_or_path))(url_or_path, read_only, migrate)


def backend_name(url_or_path: str) -> str:
    """The registered backend a store URL names by its scheme; a plain path is a DuckDB file."""
    scheme, sep, _ = str(url_or_path).partition("://")
    return scheme if sep and scheme != DEFAULT_BACKEND and scheme in BACKENDS else DEFAULT_BACKEND


def restore_store(url_or_path: str, folder: Path) -> Store:
    """A new store at `url_or_path` (a new DuckDB path, or an empty PostgreSQL database) holding what
    `Store.export_dump` of either backend wrote into `folder`."""
    from civicpulse.store.postgres_backup import refold_search_text

    if is_postgres_url(url_or_path):
        from civicpulse.store.postgres_backup import restore_postgres

        store: Store = restore_postgres(url_or_path, folder)
    else:
        from civicpulse.store.duckdb_store import restore_duckdb

        store = restore_duckdb(url_or_path, folder)
    refold_search_text(store)
    return store


__all__ = ["BACKENDS", "BOOKKEEPING_TABLES", "SCHEMA_RECORD_TABLES", "Store", "UpsertCounts", "WorkspaceInfo",
           "backend_name", "is_postgres_url", "open_store", "restore_store", "validate_workspace_name"]

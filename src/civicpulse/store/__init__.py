"""Storage: one interface (`Store`), an embedded DuckDB backend, and room for a PostgreSQL one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from civicpulse.registry import Registry
from civicpulse.store.base import Store, UpsertCounts, WorkspaceInfo, validate_workspace_name

# Backends by URL scheme; anything without a registered scheme is a DuckDB file path. A plugin adds one under the
# `civicpulse.stores` entry-point group: a callable (url, read_only) -> Store.
BACKENDS: Registry[Callable[[str, bool], Store]] = Registry("store backend", entry_point_group="civicpulse.stores",
                                                            entry_point_adds=True)
DEFAULT_BACKEND = "duckdb"


@BACKENDS.register("duckdb")
def _duckdb(path: str, read_only: bool) -> Store:
    from civicpulse.store.duckdb_store import DuckDBStore

    return DuckDBStore(path, read_only=read_only)


@BACKENDS.register("postgresql")
@BACKENDS.register("postgres")
def _postgres(url: str, read_only: bool) -> Store:
    from civicpulse.store.postgres_store import PostgresStore

    return PostgresStore(url, read_only=read_only)


def is_postgres_url(url_or_path: str) -> bool:
    return str(url_or_path).startswith(("postgres://", "postgresql://"))


def open_store(url_or_path: str, read_only: bool = False) -> Store:
    """Open a store from a path (DuckDB file) or a `postgresql://` URL."""
    return BACKENDS.get(backend_name(url_or_path))(url_or_path, read_only)


def backend_name(url_or_path: str) -> str:
    """The registered backend a store URL names by its scheme; a plain path is a DuckDB file."""
    scheme, sep, _ = str(url_or_path).partition("://")
    return scheme if sep and scheme != DEFAULT_BACKEND and scheme in BACKENDS else DEFAULT_BACKEND


def restore_store(url_or_path: str, folder: Path) -> Store:
    """A new store at `url_or_path` holding what `Store.export_dump` wrote into `folder`."""
    if is_postgres_url(url_or_path):
        raise NotImplementedError("restore a PostgreSQL store with pg_restore (docs/deploy.md); `civicpulse "
                                  "restore` writes DuckDB stores")
    from civicpulse.store.duckdb_store import restore_duckdb

    return restore_duckdb(url_or_path, folder)


__all__ = ["BACKENDS", "Store", "UpsertCounts", "WorkspaceInfo", "backend_name", "is_postgres_url", "open_store",
           "restore_store", "validate_workspace_name"]

"""Storage: one interface (`Store`), an embedded DuckDB backend, and room for a PostgreSQL one."""

from __future__ import annotations

from pathlib import Path

from civicpulse.store.base import Store, UpsertCounts, WorkspaceInfo, validate_workspace_name


def is_postgres_url(url_or_path: str) -> bool:
    return str(url_or_path).startswith(("postgres://", "postgresql://"))


def open_store(url_or_path: str, read_only: bool = False, *, migrate: bool = True) -> Store:
    """Open a store from a path (DuckDB file) or a `postgresql://` URL.

    Opened for writing, it gets the schema migrations it lacks; read-only, a store that lacks some is refused.
    `migrate=False` does neither (for `civicpulse migrate`, which shows and applies them itself).
    """
    if is_postgres_url(url_or_path):
        from civicpulse.store.postgres_store import PostgresStore

        return PostgresStore(url_or_path, read_only=read_only, migrate=migrate)
    from civicpulse.store.duckdb_store import DuckDBStore

    return DuckDBStore(url_or_path, read_only=read_only, migrate=migrate)


def restore_store(url_or_path: str, folder: Path) -> Store:
    """A new store at `url_or_path` holding what `Store.export_dump` wrote into `folder`."""
    if is_postgres_url(url_or_path):
        raise NotImplementedError("restore a PostgreSQL store with pg_restore (docs/deploy.md); `civicpulse "
                                  "restore` writes DuckDB stores")
    from civicpulse.store.duckdb_store import restore_duckdb

    return restore_duckdb(url_or_path, folder)


__all__ = ["Store", "UpsertCounts", "WorkspaceInfo", "is_postgres_url", "open_store", "restore_store",
           "validate_workspace_name"]

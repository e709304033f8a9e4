"""DuckDB side of retention and deletion: each operation in one transaction, with per-table counts."""

from __future__ import annotations

from datetime import datetime

from civicpulse.store.lifecycle_sql import (
    DELETE_DEPENDENT_ROWS,
    DELETE_WORKSPACE_ROW,
    EXPIRE_POSTS,
    PURGE_AUDIT,
    WORKSPACE_TABLES,
    delete_rows_sql,
)
from civicpulse.store.rollups_sql import EXPIRED_POSTS_CONDITION


class DuckDBLifecycleMixin:
    """Mixed into DuckDBStore; relies on its `_all` and `_one`."""

    def _counted(self, statements: list[tuple[str, str, list]],
                 rollups: tuple[str, list] | None = None) -> dict[str, int]:
        """`rollups`: (condition, parameters) of the analysed posts the statements change, whose rollup cells are
        recomputed in the transaction."""
        counts: dict[str, int] = {}
        with self._rollup_transaction():  # type: ignore[attr-defined]
            touched = self._touched_hours(*rollups) if rollups else {}  # type: ignore[attr-defined]
            for name, sql, params in statements:
                counts[name] = counts.get(name, 0) + self._one(sql, params)[0]  # type: ignore[attr-defined]
            self._refresh_rollups(touched)  # type: ignore[attr-defined]
        return counts

    def expire_posts(self, workspace: str, cutoff: datetime) -> dict[str, int]:
        return self._counted([(table, sql, [workspace, cutoff]) for table, sql in EXPIRE_POSTS.items()],
                             rollups=(EXPIRED_POSTS_CONDITION, [workspace, cutoff]))

    def workspace_tables(self) -> list[str]:
        return [r[0] for r in self._all(WORKSPACE_TABLES)]  # type: ignore[attr-defined]

    def delete_workspace_rows(self, workspace: str) -> dict[str, int]:
        statements = [*((t, sql, [workspace]) for t, sql in DELETE_DEPENDENT_ROWS),
                      *((t, delete_rows_sql(t), [workspace]) for t in self.workspace_tables())]
        counts = self._counted([*statements, ("workspaces", DELETE_WORKSPACE_ROW, [workspace])])
        return {table: n for table, n in counts.items() if n}

    def purge_audit(self, cutoff: datetime) -> int:
        return self._one(PURGE_AUDIT, [cutoff])[0]  # type: ignore[attr-defined]

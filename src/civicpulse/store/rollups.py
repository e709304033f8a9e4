"""Keeping the dashboard rollups (store/rollups_sql.py) current, for both backends.

Every write that changes analysed posts first asks which (workspace, hour) cells its posts sit in, makes its change,
then recomputes just those cells from post_analysis, inside the same transaction: a dashboard never sees a rollup
that disagrees with the raw rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from civicpulse.store import day_rollups_sql as days_sql
from civicpulse.store.lifecycle_sql import GET_META, PUT_META
from civicpulse.store.rollups_sql import (
    READY_KEY,
    ROLLUP_TABLES,
    UNSYNCED_HOURS_SQL,
    cells_params,
    rebuild_sql,
    refresh_sql,
    touched_cells_sql,
)

# Per workspace: the hours (None: no time) and the authors (None: every author) whose cells a write changes.
Touched = dict[str, tuple[set[datetime | None], set[int | None] | None]]


class RollupMixin:
    """Mixed into both stores; relies on their `_all`, `_one` and `con`."""

    def _touched_hours(self, condition: str, params: Sequence[Any] = ()) -> Touched:
        """The cells of the analysed posts matching `condition` (over post_analysis `a`)."""
        touched: Touched = {}
        for workspace, hour, author in self._all(touched_cells_sql(condition), params):  # type: ignore[attr-defined]
            hours, authors = touched.setdefault(workspace, (set(), set()))
            hours.add(hour)
            authors.add(author)  # type: ignore[union-attr]
        return touched

    def _sync_keeping_rollups(self, statements: Sequence[str]) -> None:
        """Run `sync_analysis_keys`' statements and recompute the cells of the rows they fill (so that rows
        written by hand, then synced, count in the rollups too)."""
        touched: Touched = {}
        for workspace, hour in self._all(UNSYNCED_HOURS_SQL):  # type: ignore[attr-defined]
            touched.setdefault(workspace, (set(), None))[0].add(hour)
        for sql in statements:
            self._all(sql)  # type: ignore[attr-defined]
        self._refresh_rollups(touched)

    def _refresh_rollups(self, *touched: Touched) -> None:
        """Recompute the touched cells (of several lookups), in the caller's transaction.

        Hours and authors are recomputed as a cross product, a superset of the cells that changed: DELETE and
        INSERT take the same condition, so the superset is recomputed whole.
        """
        merged: Touched = {}
        for found in touched:
            for workspace, (hours, authors) in found.items():
                kept_hours, kept_authors = merged.get(workspace, (set(), set()))
                merged[workspace] = (kept_hours | hours,
                                     None if kept_authors is None or authors is None else kept_authors | authors)
        for workspace, (hours, authors) in merged.items():
            if not hours:
                continue
            self._lock_rollups(workspace)
            # Their days are read from these hourly cells until the next compaction (day_rollups_sql).
            self._all(days_sql.MARK_DIRTY, [workspace, sorted(h for h in hours if h is not None)])  # type: ignore
            self.bump_data_version(workspace)  # type: ignore[attr-defined]
            cells = cells_params(hours, authors)
            for dimension in ROLLUP_TABLES:
                delete, insert = refresh_sql(dimension)
                self._all(delete, [workspace, *cells])  # type: ignore[attr-defined]
                self._all(insert, [workspace, workspace, *cells])  # type: ignore[attr-defined]

    def _lock_rollups(self, workspace: str) -> None:
        """Serialise concurrent refreshes of a workspace's cells until the transaction ends, where the backend
        lets several transactions write at once (PostgreSQL): a refresh must read the other's committed rows."""

    def rebuild_rollups(self, workspace: str | None = None) -> dict[str, int]:
        """Recompute every cell of one workspace (default: all) from post_analysis; cells per workspace."""
        names = [workspace] if workspace else [r[0] for r in self._all("SELECT name FROM workspaces")]  # type: ignore
        counts = {}
        with self._rollup_transaction():
            for name in names:
                self._lock_rollups(name)
                for table in days_sql.DAY_TABLES:  # summarised again from the new hourly cells by compaction
                    self._all(f"DELETE FROM {table} WHERE workspace = ?", [name])  # type: ignore[attr-defined]
                for dimension in ROLLUP_TABLES:
                    delete, insert = rebuild_sql(dimension)
                    self._all(delete, [name])  # type: ignore[attr-defined]
                    self._all(insert, [name, name])  # type: ignore[attr-defined]
                counts[name] = self._one(f"SELECT count(*) FROM {ROLLUP_TABLES['all']} "  # type: ignore
                                         "WHERE workspace = ?", [name])[0]
            if workspace is None:
                self._all(PUT_META, [READY_KEY, "1"])  # type: ignore[attr-defined]
        return counts

    def compact_day_rollups(self, workspace: str, tz: str, local_day: str, full: bool = False,
                            chunk: int = 31) -> int:
        """Summarise a workspace's hourly cells per local day (store/day_rollups_sql.py): the days holding dirty
        hours, or every day (`full`, a workspace never summarised, or summarised in another zone than `tz`).
        `local_day`: SQL over `c.hour_utc` for its local day in `tz` (a whole-hour zone). Days summarised."""
        with self._rollup_transaction():
            self._lock_rollups(workspace)
            dirty = [r[0] for r in self._all(days_sql.DIRTY_HOURS, [workspace])]  # type: ignore[attr-defined]
            zones = {r[0] for r in self._all(days_sql.STATE_ZONES, [workspace])}  # type: ignore[attr-defined]
            if full or zones != {tz}:  # everything (again), in this zone
                for table in days_sql.DAY_TABLES:
                    self._all(f"DELETE FROM {table} WHERE workspace = ?", [workspace])  # type: ignore
                days = [r[0] for r in self._all(days_sql.all_days_sql(local_day), [workspace])]  # type: ignore
            else:
                days = [r[0] for r in self._all(days_sql.dirty_days_sql(local_day), [workspace])]  # type: ignore
            wanted = sorted(set(days))
            for start in range(0, len(wanted), chunk):
                self._compact_days(workspace, tz, local_day, wanted[start:start + chunk])
            if dirty:
                self._all(days_sql.CLEAR_DIRTY, [workspace, dirty])  # type: ignore[attr-defined]
        return len(wanted)

    def _compact_days(self, workspace: str, tz: str, local_day: str, days: list[datetime]) -> None:
        # The UTC hours that can fall on these local days: a day either side covers any whole-hour offset.
        first, end = days[0] - timedelta(days=1), days[-1] + timedelta(days=2)
        for sql in days_sql.delete_days_sql():
            self._all(sql, [workspace, days])  # type: ignore[attr-defined]
        size = days_sql.SKETCH_SIZE
        for dimension in days_sql.DIMENSIONS:
            rows = [workspace, first, end, days]
            self._all(days_sql.fill_ids_sql(dimension, local_day, size), [workspace, dimension, *rows])  # type: ignore
            self._all(days_sql.fill_days_sql(dimension, local_day, size),  # type: ignore[attr-defined]
                      [workspace, dimension, *rows, workspace, dimension, days])
        self._all(days_sql.STATE_SQL, [workspace, tz, days])  # type: ignore[attr-defined]

    def rollups_ready(self) -> bool:
        """Whether the rollups hold every workspace's cells (dashboards read them only then)."""
        return self._one(GET_META, [READY_KEY]) is not None  # type: ignore[attr-defined]

    def _ensure_rollups(self) -> None:
        """On opening for writing: a store written before rollups existed gets them built once."""
        if not self.rollups_ready():
            self.rebuild_rollups()

    @contextmanager
    def _rollup_transaction(self) -> Iterator[None]:
        transaction = getattr(self.con, "transaction", None)  # type: ignore[attr-defined]
        if transaction is not None:  # psycopg
            with transaction():
                yield
            return
        self._all("BEGIN TRANSACTION")  # type: ignore[attr-defined]
        try:
            yield
            self._all("COMMIT")  # type: ignore[attr-defined]
        except Exception:
            self._all("ROLLBACK")  # type: ignore[attr-defined]
            raise

"""DuckDB side of analysis storage: staged Arrow tables merged in one transaction per batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from civicpulse.schema import COLUMN_NAMES
from civicpulse.store.analysis_sql import (
    FOLDED_TEXT_SQL,
    analysed_posts_sql,
    backlog_count_sql,
    backlog_sql,
    clear_staged_sql,
    orphan_cleanup_sql,
)
from civicpulse.store.rollups_sql import DELETED_POSTS_CONDITION, STAGED_TOPICS_CONDITION, staged_keys_condition

_SETTING_TABLES = {"taxonomies": "taxonomy", "discovery_state": "state"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _post_key(alias: str) -> str:
    # md5 rather than DuckDB's hash(): the digest must not change with the DuckDB version that computes it.
    return (f"CAST(md5_number_lower({alias}.workspace || chr(9) || {alias}.platform || chr(9) || {alias}.post_id) "
            ">> 1 AS BIGINT)")


SYNC_SQL = [
    "UPDATE post_analysis AS a SET created_at = p.created_at, "
    f"author_id = CAST(md5_number_lower(p.author_key) >> 1 AS BIGINT), post_key = {_post_key('a')}, "
    f"folded_text = {FOLDED_TEXT_SQL.format(expr='p.text')} FROM posts p "
    "WHERE (a.post_key IS NULL OR a.folded_text IS NULL) AND p.workspace = a.workspace AND p.platform = a.platform "
    "AND p.post_id = a.post_id",
    *(f"UPDATE {t} AS x SET post_key = {_post_key('x')} WHERE x.post_key IS NULL"
      for t in ("post_topics", "post_places", "post_terms")),
]


class DuckDBAnalysisMixin:
    """Mixed into DuckDBStore; relies on its `con`, `_all` and `_one`."""

    def sync_analysis_keys(self) -> None:
        """Fill the columns dashboards read instead of joining `posts` (analysis_sql.ANALYSIS_DDL; migration 0002)."""
        self._sync_keeping_rollups(SYNC_SQL)  # type: ignore[attr-defined]

    def iter_analysed_posts(self, workspace: str, columns: Sequence[str],
                            batch_size: int = 10_000) -> Iterator[list[tuple]]:
        """Live posts as batches of `columns` + (language, sentiment, sentiment_score, emotion, topics, places)."""
        unknown = set(columns) - set(COLUMN_NAMES)
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(sorted(unknown))}")
        cur = self.con.cursor()  # type: ignore[attr-defined]
        cur.execute(analysed_posts_sql(columns), [workspace, workspace, workspace])
        while rows := cur.fetchmany(batch_size):
            yield rows

    def analysis_backlog(self, workspace: str, model: str, limit: int,
                         after: tuple[str, str] | None = None) -> list[tuple]:
        past = [after[0], after[0], after[1]] if after else []
        rows = self._all(backlog_sql(after is not None), [workspace, model, *past, limit])  # type: ignore[attr-defined]
        return rows[:limit]  # belt and braces: a LIMIT the optimizer drops must not analyse past --limit

    def count_backlog(self, workspace: str, model: str) -> int:
        return self._one(backlog_count_sql(), [workspace, model])[0]  # type: ignore[attr-defined]

    def save_analysis(self, workspace: str, tables: dict[str, dict[str, list[Any]]]) -> None:
        keys = tables["post_analysis"]
        staged = pa.table({"workspace": keys["workspace"], "platform": keys["platform"], "post_id": keys["post_id"]})
        con = self.con  # type: ignore[attr-defined]
        con.register("staged_keys", staged)
        registered = ["staged_keys"]
        try:
            self._all("BEGIN TRANSACTION")  # type: ignore[attr-defined]
            before = self._touched_hours(staged_keys_condition("staged_keys"))  # type: ignore[attr-defined]
            for sql in clear_staged_sql("staged_keys"):
                self._all(sql)  # type: ignore[attr-defined]
            for table, columns in tables.items():
                if not columns or not next(iter(columns.values())):
                    continue
                name = f"staged_{table}"
                con.register(name, pa.table(columns))
                registered.append(name)
                self._all(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {name}")  # type: ignore
            for sql in SYNC_SQL:  # the sync, its rows' cells known exactly: before and after
                self._all(sql)  # type: ignore[attr-defined]
            after = self._touched_hours(staged_keys_condition("staged_keys"))  # type: ignore[attr-defined]
            self._refresh_rollups(before, after)  # type: ignore[attr-defined]
            self._all("COMMIT")  # type: ignore[attr-defined]
        except Exception:
            self._all("ROLLBACK")  # type: ignore[attr-defined]
            raise
        finally:
            for name in registered:
                con.unregister(name)

    def drop_deleted_analysis(self, workspace: str) -> None:
        with self._rollup_transaction():  # type: ignore[attr-defined]
            touched = self._touched_hours(DELETED_POSTS_CONDITION, [workspace])  # type: ignore[attr-defined]
            for sql in orphan_cleanup_sql():
                self._all(sql, [workspace])  # type: ignore[attr-defined]
            self._refresh_rollups(touched)  # type: ignore[attr-defined]

    def set_discovered_topics(self, workspace: str, assignments: Sequence[tuple[str, str, int | None]]) -> None:
        if not assignments:
            return
        con = self.con  # type: ignore[attr-defined]
        table = pa.table({"platform": [a[0] for a in assignments], "post_id": [a[1] for a in assignments],
                          "topic": pa.array([a[2] for a in assignments], type=pa.int64())})
        con.register("staged_topics", table)
        try:
            with self._rollup_transaction():  # type: ignore[attr-defined]
                touched = self._touched_hours(STAGED_TOPICS_CONDITION, [workspace])  # type: ignore[attr-defined]
                self._all("UPDATE post_analysis AS a SET discovered_topic = s.topic FROM staged_topics s "  # type: ignore
                          "WHERE a.workspace = ? AND a.platform = s.platform AND a.post_id = s.post_id", [workspace])
                self._refresh_rollups(touched)  # type: ignore[attr-defined]
        finally:
            con.unregister("staged_topics")

    def get_setting(self, table: str, workspace: str) -> str | None:
        column = _SETTING_TABLES[table]
        row = self._one(f"SELECT {column} FROM {table} WHERE workspace = ?", [workspace])  # type: ignore
        return row[0] if row else None

    def put_setting(self, table: str, workspace: str, value: str) -> None:
        column = _SETTING_TABLES[table]
        self._all(f"INSERT INTO {table} (workspace, {column}, updated_at) VALUES (?, ?, ?) "  # type: ignore
                  f"ON CONFLICT (workspace) DO UPDATE SET {column} = excluded.{column}, "
                  "updated_at = excluded.updated_at", [workspace, value, _now()])

    def get_workspace_model(self, workspace: str, task: str) -> tuple[bytes, str] | None:
        row = self._one("SELECT model, meta FROM workspace_models WHERE workspace = ? AND task = ?",  # type: ignore
                        [workspace, task])
        return (bytes(row[0]), row[1]) if row else None

    def put_workspace_model(self, workspace: str, task: str, model: bytes, meta: str) -> None:
        self._all("INSERT INTO workspace_models VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, task) DO UPDATE "  # type: ignore
                  "SET model = excluded.model, meta = excluded.meta, created_at = excluded.created_at",
                  [workspace, task, model, meta, _now()])

    def delete_workspace_model(self, workspace: str, task: str) -> bool:
        found = self.get_workspace_model(workspace, task) is not None
        self._all("DELETE FROM workspace_models WHERE workspace = ? AND task = ?", [workspace, task])  # type: ignore
        return found

    def list_workspace_models(self, workspace: str) -> list[tuple[str, str, datetime]]:
        return self._all("SELECT task, meta, created_at FROM workspace_models WHERE workspace = ? "  # type: ignore
                         "ORDER BY task", [workspace])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._all(sql, params)  # type: ignore[attr-defined]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._all(sql, params)  # type: ignore[attr-defined]

"""Dashboards read post_analysis alone: its copied post columns must stay right through saves, deletions and
upgrades of stores written before they existed."""

from __future__ import annotations

from datetime import datetime

import duckdb

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analytics import Analytics
from civicpulse.schema import Deletion, Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore


def _store(path: str) -> DuckDBStore:
    store = DuckDBStore(path)
    store.ensure_workspace("w")
    store.upsert_posts("w", [Post("x", f"p{i}", Kind.POST, "Ngập ở Thủ Đức #ngapnuoc", datetime(2026, 9, 1 + i % 3),
                                  "x", author_key=f"1.{i % 12:018x}") for i in range(36)])
    enrich_workspace(store, "w", Analyzer(mode="fast"), discover=False)
    return store


def test_saved_analysis_carries_time_author_and_keys(tmp_path) -> None:
    store = _store(str(tmp_path / "a.duckdb"))
    rows = store.query("SELECT a.created_at = p.created_at, a.author_id IS NOT NULL, a.post_key FROM post_analysis a "
                       "JOIN posts p USING (workspace, platform, post_id)")
    assert len(rows) == 36 and all(same and has_author for same, has_author, _ in rows)
    assert len({key for *_, key in rows}) == 36
    assert store.query("SELECT count(DISTINCT author_id) FROM post_analysis")[0][0] == 12
    orphans = store.query("SELECT count(*) FROM post_places pl WHERE NOT EXISTS (SELECT 1 FROM post_analysis a "
                          "WHERE a.post_key = pl.post_key)")[0][0]
    assert orphans == 0 and store.query("SELECT count(*) FROM post_places")[0][0] > 0


def test_a_platform_deletion_removes_the_analysis_at_once(tmp_path) -> None:
    store = _store(str(tmp_path / "d.duckdb"))
    before = sum(r.posts for r in Analytics(store, "w", k=1).volume())
    store.apply_deletions("w", [Deletion("x", "p0", "x")])
    for table in ("post_analysis", "post_topics", "post_places", "post_terms"):
        assert store.query(f"SELECT count(*) FROM {table} WHERE post_id = 'p0'")[0][0] == 0, table
    assert sum(r.posts for r in Analytics(store, "w", k=1).volume()) == before - 1


def test_a_store_from_before_the_columns_is_upgraded_and_filled(tmp_path) -> None:
    path = str(tmp_path / "old.duckdb")
    _store(path).close()
    con = duckdb.connect(path)  # make it look like a store written by the previous version
    for table, column in (("post_analysis", "created_at"), ("post_analysis", "author_id"),
                          ("post_analysis", "post_key"), ("post_topics", "post_key"), ("post_places", "post_key"),
                          ("post_terms", "post_key")):
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("DROP TABLE schema_migrations")  # written before schema migrations too (and what later ones add)
    for table in ("jobs", "rollup_all", "rollup_topics", "rollup_places_2025", "rollup_places_legacy"):
        con.execute(f"DROP TABLE {table}")
    con.execute("DELETE FROM meta WHERE key = 'rollups_ready'")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    store = DuckDBStore(path)
    assert store.query("SELECT count(*) FROM post_analysis WHERE post_key IS NULL OR created_at IS NULL")[0][0] == 0
    assert store.query("SELECT count(*) FROM post_topics WHERE post_key IS NULL")[0][0] == 0
    rows = Analytics(store, "w", k=1).volume()
    assert sum(r.posts for r in rows) == 36
    # Shown author counts are coarsened: the 4 authors of each day show through the suppression edge instead.
    assert [r.suppressed for k in (4, 5) for r in Analytics(store, "w", k=k).volume()] == [False] * 3 + [True] * 3
    assert store.query("SELECT count(DISTINCT author_id), count(author_id) FROM post_analysis")[0] == (12, 36)

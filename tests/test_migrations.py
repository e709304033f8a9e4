"""Schema migrations (store/migrations): a store written before them is upgraded with its rows intact, a fresh store
has exactly the layout the store's DDL declares, and stores the code must not touch are refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from civicpulse.store import open_store
from civicpulse.store.base import ddl
from civicpulse.store.migrations import Migration, MigrationError, known_migrations, latest_version
from civicpulse.store.postgres_sql import pg_ddl

FIXTURE = Path(__file__).parent / "fixtures" / "store" / "layout_v1_duckdb.sql"
FIXTURE_TABLES = {"meta": 1, "workspaces": 1, "posts": 4, "ingest_runs": 1, "audit_log": 1, "post_analysis": 4,
                  "post_topics": 4, "post_places": 2, "post_terms": 18}
ANALYSIS_COLUMNS = (("post_analysis", "created_at"), ("post_analysis", "author_id"), ("post_analysis", "post_key"),
                    ("post_analysis", "folded_text"), ("post_topics", "post_key"), ("post_places", "post_key"),
                    ("post_terms", "post_key"))


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


def _raw_execute(url: str, statements: list[str]) -> None:
    """Statements on a bare connection (as the civicpulse of before, or a hand edit, would write them)."""
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            for statement in statements:
                con.execute(pg_ddl(statement))
        return
    con = duckdb.connect(url)
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _old_store(url: str) -> None:
    """The store the fixture describes: today's layout and rows, as civicpulse wrote it before migrations."""
    # On PostgreSQL that civicpulse also created the unaccent extension on every open.
    extension = ["CREATE EXTENSION IF NOT EXISTS unaccent"] if url.startswith("postgresql://") else []
    _raw_execute(url, [*extension, *_statements(FIXTURE.read_text(encoding="utf-8"))])


def _layout(store) -> dict[str, set[tuple]]:
    """Every table's columns (name, type, nullability, default) and key columns, from the catalogue."""
    def here(alias: str) -> str:
        return f"{alias}table_schema = current_schema() AND {alias}table_catalog = current_database()"

    layout: dict[str, set[tuple]] = {}
    for table, *column in store.query("SELECT table_name, column_name, data_type, is_nullable, column_default "
                                      f"FROM information_schema.columns WHERE {here('')}"):
        layout.setdefault(table, set()).add(tuple(column))
    for table, kind, column in store.query(
            "SELECT tc.table_name, tc.constraint_type, k.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name "
            f"AND k.table_name = tc.table_name WHERE {here('tc.')} "
            "AND tc.constraint_type IN ('PRIMARY KEY', 'UNIQUE')"):
        layout.setdefault(table, set()).add((kind, column))
    layout.pop("schema_migrations", None)  # the runner's own table, in no DDL list
    return layout


def _counts(store) -> dict[str, int]:
    return {table: store.query(f"SELECT count(*) FROM {table}")[0][0] for table in FIXTURE_TABLES}


def _migration_log(store) -> list[tuple]:
    return store.query("SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version")


def _second_url(store_url: str, request, tmp_path: Path) -> str:
    if store_url.startswith("postgresql://"):
        return request.getfixturevalue("pg_cluster").new_database()
    return str(tmp_path / "second.duckdb")


def test_the_baseline_is_the_layout_civicpulse_wrote_before_migrations(store_url, request, tmp_path) -> None:
    _old_store(store_url)
    baseline = known_migrations()[0]
    other = _second_url(store_url, request, tmp_path)
    backend = "postgres" if other.startswith("postgresql://") else "duckdb"
    with open_store(other, migrate=False) as store:
        for statement in baseline.statements(backend):
            store.execute(statement)
        from_baseline = _layout(store)
    with open_store(store_url, migrate=False) as store:
        assert from_baseline == _layout(store)


@pytest.mark.parametrize("before_analysis_columns", [False, True], ids=["v1", "v1-without-analysis-columns"])
def test_a_store_from_before_migrations_is_upgraded_with_its_rows(store_url, request, tmp_path,
                                                                  before_analysis_columns: bool) -> None:
    _old_store(store_url)
    if before_analysis_columns:  # as written before the dashboards' copied columns (still schema_version 1)
        _raw_execute(store_url, [f"ALTER TABLE {t} DROP COLUMN {c}" for t, c in ANALYSIS_COLUMNS])
    with open_store(store_url) as store:
        assert [(v, n) for v, n, _, _ in _migration_log(store)] == [(m.version, m.name) for m in known_migrations()]
        assert {s.state for s in store.schema_migrations().states()} == {"applied"}
        assert store.query("SELECT value FROM meta WHERE key = 'schema_version'") == [(str(latest_version()),)]
        # meta gains the rollups' readiness key (their cells are built when an old store is first opened)
        assert _counts(store) == {**FIXTURE_TABLES, "audit_log": 1 + len(known_migrations()), "meta": 2}
        assert store.query("SELECT text FROM posts WHERE post_id = 'p1'") == [("Giá xăng lại tăng, khổ cho người đi "
                                                                                "làm",)]
        assert store.query("SELECT count(*) FROM post_analysis WHERE post_key IS NULL OR author_id IS NULL "
                           "OR created_at IS NULL OR folded_text IS NULL") == [(0,)]
        assert store.query("SELECT count(*) FROM post_terms WHERE post_key IS NULL") == [(0,)]
        details = [e["detail"] for e in store.audit_entries() if e["action"] == "schema.migrate"]
        assert details[0].startswith("0001_baseline recorded") and details[1] == "0002_analysis_post_columns applied"
        upgraded, log = _layout(store), _migration_log(store)
    with open_store(_second_url(store_url, request, tmp_path)) as fresh:
        assert upgraded == _layout(fresh)
    with open_store(store_url) as store:  # opening again changes nothing
        assert _migration_log(store) == log
        # meta gains the rollups' readiness key (their cells are built when an old store is first opened)
        assert _counts(store) == {**FIXTURE_TABLES, "audit_log": 1 + len(known_migrations()), "meta": 2}


def test_a_fresh_store_has_exactly_the_layout_the_ddl_declares(store_url, request, tmp_path) -> None:
    with open_store(store_url) as store:
        migrated = _layout(store)
        assert store.audit_entries() == []  # building a new store is not an upgrade worth an audit row
        assert [(v, n) for v, n, _, _ in _migration_log(store)] == [(m.version, m.name) for m in known_migrations()]
    declared_url = _second_url(store_url, request, tmp_path)
    _raw_execute(declared_url, ddl({"DOUBLE": "DOUBLE"}))
    with open_store(declared_url, migrate=False) as store:
        declared = _layout(store)
    drift = {t: (sorted(migrated.get(t, set()) ^ declared.get(t, set()), key=str))
             for t in migrated.keys() | declared.keys() if migrated.get(t) != declared.get(t)}
    assert drift == {}, ("the migrations and the DDL lists (store/*_sql.py) disagree: add a migration that makes "
                         f"the change (store/migrations/__init__.py says how): {drift}")


def test_a_migration_changed_after_it_was_applied_is_reported(store_url) -> None:
    open_store(store_url).close()
    _raw_execute(store_url, ["UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2"])
    with open_store(store_url, migrate=False) as store:
        states = [s.state for s in store.schema_migrations().states()]
        assert states[:2] == ["applied", "changed"] and set(states[2:]) <= {"applied"}
    for read_only in (False, True):
        with pytest.raises(MigrationError, match="0002_analysis_post_columns differ from this civicpulse's copy"):
            open_store(store_url, read_only=read_only)


def test_a_store_from_a_newer_civicpulse_is_refused(store_url) -> None:
    open_store(store_url).close()
    _raw_execute(store_url, ["INSERT INTO schema_migrations VALUES (99, 'from_the_future', "
                             "TIMESTAMP '2027-01-01 00:00:00', 'x')"])
    for read_only in (False, True):
        with pytest.raises(MigrationError, match=r"\(0099_from_the_future\).*upgrade civicpulse"):
            open_store(store_url, read_only=read_only)


def test_a_read_only_open_of_an_old_store_asks_for_migrate_and_changes_nothing(tmp_path) -> None:
    path = str(tmp_path / "old.duckdb")
    _old_store(path)
    with pytest.raises(MigrationError, match=r"needs schema migrations \(0001_baseline, 0002_analysis_post_columns[,)]"
                                             r".*civicpulse migrate"):
        open_store(path, read_only=True)
    with open_store(path, migrate=False) as store:
        assert "schema_migrations" not in {r[0] for r in store.query("SELECT table_name FROM information_schema"
                                                                     ".tables")}


def test_a_failing_migration_leaves_no_trace(store_url, monkeypatch) -> None:
    open_store(store_url).close()
    broken = Migration(latest_version() + 1, "broken", "adds a column, then fails", (
        "ALTER TABLE posts ADD COLUMN half_done BIGINT", "CREATE TABLE half_made (x BIGINT)",
        "INSERT INTO no_such_table VALUES (1)"), {})
    monkeypatch.setattr("civicpulse.store.migrations.known_migrations", lambda: (*known_migrations(), broken))
    with pytest.raises(Exception, match="no_such_table"):
        open_store(store_url)
    monkeypatch.undo()
    with open_store(store_url) as store:
        columns = {r[0] for r in store.query("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'posts'")}
        tables = {r[0] for r in store.query("SELECT table_name FROM information_schema.tables")}
        assert "half_done" not in columns and "half_made" not in tables
        assert [v for v, *_ in _migration_log(store)] == [m.version for m in known_migrations()]


def test_the_migrate_command_lists_rehearses_and_applies(run_cli) -> None:
    _old_store(str(run_cli.db))
    status = run_cli("migrate", "--status")
    assert status.code == 0 and "0001" in status.stdout and "pending" in status.stdout
    assert f"{len(known_migrations())} pending" in status.stderr
    rehearsal = run_cli("migrate", "--dry-run")
    assert rehearsal.code == 0 and "ADD COLUMN IF NOT EXISTS post_key BIGINT;" in rehearsal.stdout
    assert "nothing applied" in rehearsal.stderr
    applied = run_cli("migrate")
    assert applied.code == 0 and "applied 0002_analysis_post_columns" in applied.stderr
    assert f"schema version {latest_version()}" in applied.stderr
    with open_store(str(run_cli.db), read_only=True) as store:
        actors = [e["actor"] for e in store.audit_entries() if e["action"] == "schema.migrate"]
        # applied by the command's user, not on an open
        assert len(actors) == len(known_migrations()) and "civicpulse" not in actors


def test_the_migrate_command_on_a_postgres_url_reports_a_changed_migration(run_cli, pg_cluster) -> None:
    url = pg_cluster.new_database()
    _old_store(url)
    applied = run_cli("migrate", db_path=url)
    assert applied.code == 0 and "applied 0002_analysis_post_columns" in applied.stderr, applied.stderr
    _raw_execute(url, ["UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"])
    status = run_cli("migrate", "--status", db_path=url)
    assert status.code == 1 and "changed" in status.stdout and "0001_baseline differ" in status.stderr
    assert "Traceback" not in status.stderr


def test_a_drafted_migration_builds_what_a_branch_added_to_the_ddl(monkeypatch) -> None:
    """How new tables from other work become a migration: the draft, applied, leaves no drift."""
    import civicpulse.store.base as base
    from civicpulse.store.migrations.draft import draft

    today = base.ddl

    def extended(types: dict[str, str]) -> list[str]:
        statements = [s.replace("value TEXT)", "value TEXT, lease_owner TEXT NOT NULL DEFAULT '', "
                                "lease_until TIMESTAMP)") if "TABLE IF NOT EXISTS meta " in s else s
                      for s in today(types)]
        return [*statements, "CREATE TABLE IF NOT EXISTS rollup_daily (workspace TEXT NOT NULL, day TIMESTAMP "
                "NOT NULL, posts BIGINT NOT NULL, mean_score DOUBLE, PRIMARY KEY (workspace, day))"]

    monkeypatch.setattr(base, "ddl", extended)
    text = draft("job_leases_and_rollups")
    assert '"""Job leases and rollups:' in text and "CREATE TABLE IF NOT EXISTS rollup_daily" in text
    module: dict = {}
    exec(compile(text, "0003_job_leases_and_rollups.py", "exec"), module)  # the drafted module is valid Python
    assert module["STATEMENTS"][:2] == ["ALTER TABLE meta ADD COLUMN lease_owner TEXT NOT NULL DEFAULT ''",
                                        "ALTER TABLE meta ADD COLUMN lease_until TIMESTAMP"]
    with open_store(":memory:") as migrated:
        for statement in module["STATEMENTS"]:
            migrated.execute(statement)
        with open_store(":memory:", migrate=False) as declared:
            for statement in extended({"DOUBLE": "DOUBLE"}):
                declared.execute(statement)
            assert _layout(migrated) == _layout(declared)

"""`backup`/`restore` on PostgreSQL and across backends: the same answers and pseudonyms after a round trip."""

from __future__ import annotations

import subprocess
import tarfile
import traceback
from pathlib import Path

from click.testing import CliRunner

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.overview import totals
from civicpulse.cli import main
from civicpulse.store import BOOKKEEPING_TABLES, open_store, restore_store
from conftest import CLI, Result

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "demo" / "mastodon" / "public_timeline.json"
# `backup` and `restore` are audited; a restore's key refold marks rollup hours dirty (store/__init__.py)
TABLES_CHANGED_BY_THE_ROUND_TRIP = {"audit_log", *BOOKKEEPING_TABLES}


def cli(db: str, keys: Path, *args: str) -> Result:
    # In-process (the CLI's own code path, without a new interpreter per command): these tests run many commands.
    done = CliRunner().invoke(main, ["--db", db, "--keys-dir", str(keys), *args], env={"COLUMNS": "200"})
    trace = "".join(traceback.format_exception(done.exc_info[1])) if done.exc_info and done.exit_code not in (0, 1) \
        else ""
    return Result(done.exit_code, done.stdout, done.stderr + trace)


def ok(result: Result) -> Result:
    assert result.code == 0 and "Traceback" not in result.stderr, result.stderr
    return result


def answers(db: str, keys: Path) -> dict:
    """What a user sees of a store: rows, counts, the overview's totals, and which posts share an author."""
    with open_store(db, read_only=True) as store:
        counts = {t: n for t, n in store.table_counts().items() if t not in TABLES_CHANGED_BY_THE_ROUND_TRIP}
        found = {
            "counts": counts,
            "posts": store.query("SELECT platform, post_id, author_key, text, created_at, deleted FROM posts "
                                 "ORDER BY platform, post_id"),
            "analysis": store.query("SELECT post_id, sentiment, emotion, topic_scores, discovered_topic "
                                    "FROM post_analysis ORDER BY post_id"),
            "topics": store.query("SELECT post_id, topic FROM post_topics ORDER BY post_id, topic"),
            "workspaces": store.query("SELECT name, settings FROM workspaces ORDER BY name"),
        }
        found["overview"] = totals(store, "city", Filters(), k=1)
    found["export"] = ok(cli(db, keys, "export", "--workspace", "city", "--format", "jsonl",
                             "--with-analysis")).stdout
    return found


def assert_same(restored: dict, original: dict) -> None:
    """Equal answers on both backends."""
    shared = original.keys() & restored.keys()
    assert {"counts", "posts", "analysis", "export", "overview"} <= shared
    assert {k: restored[k] for k in shared} == {k: original[k] for k in shared}


def authors(db: str) -> list[tuple]:
    with open_store(db, read_only=True) as store:
        return store.query("SELECT DISTINCT author_key FROM posts ORDER BY 1")


def filled(db: str, keys: Path) -> str:
    ok(cli(db, keys, "ingest", str(SAMPLE), "--workspace", "city", "--no-progress"))
    ok(cli(db, keys, "analyze", "--workspace", "city", "--mode", "fast", "--no-progress"))
    return db


def round_trip(source: str, target: str, tmp_path: Path, name: str) -> dict:
    """Back `source` up, restore into `target` (new key folder), check the answers and the pseudonyms; return
    `source`'s answers."""
    archive = tmp_path / f"{name}.tar.gz"
    ok(cli(source, tmp_path / "keys", "backup", str(archive)))
    target_keys = tmp_path / f"keys-{name}"
    ok(cli(target, target_keys, "restore", str(archive)))
    original = answers(source, tmp_path / "keys")
    assert original["counts"]["posts"] > 0 and original["analysis"]
    assert_same(answers(target, target_keys), original)
    stats = ("stats", "--workspace", "city")
    assert ok(cli(target, target_keys, *stats)).stdout == ok(cli(source, tmp_path / "keys", *stats)).stdout
    # The pseudonym key came back with the data: the same authors ingested again get the same pseudonyms.
    ok(cli(target, target_keys, "ingest", str(SAMPLE), "--workspace", "city", "--no-progress"))
    assert authors(target) == authors(source)
    return original


def test_a_postgresql_store_restores_into_postgresql_with_the_same_answers(pg_cluster, tmp_path):
    source = filled(pg_cluster.new_database(), tmp_path / "keys")
    round_trip(source, pg_cluster.new_database(), tmp_path, "pg")


def test_a_duckdb_store_moves_to_postgresql_and_back(pg_cluster, tmp_path):
    source = filled(str(tmp_path / "box.duckdb"), tmp_path / "keys")
    server = pg_cluster.new_database()
    original = round_trip(source, server, tmp_path, "to-pg")
    # ... and the PostgreSQL copy's own archive restores into a new DuckDB file: the way back.
    archive = tmp_path / "from-pg.tar.gz"
    ok(cli(server, tmp_path / "keys-to-pg", "backup", str(archive)))
    back = str(tmp_path / "back.duckdb")
    ok(cli(back, tmp_path / "keys-back", "restore", str(archive)))
    restored = answers(back, tmp_path / "keys-back")
    assert_same(restored, answers(server, tmp_path / "keys-to-pg"))
    assert restored["overview"] == original["overview"]


def test_a_failed_restore_leaves_the_database_empty_and_a_filled_one_is_refused(pg_cluster, tmp_path):
    db = str(tmp_path / "box.duckdb")
    ok(cli(db, tmp_path / "keys", "ingest", str(SAMPLE), "--workspace", "city", "--no-progress"))
    archive = tmp_path / "box.tar.gz"
    ok(cli(db, tmp_path / "keys", "backup", str(archive)))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (tmp_path / "unpacked" / "db" / "posts.parquet").write_bytes(b"PAR1 not really parquet")
    broken = tmp_path / "broken.tar.gz"
    with tarfile.open(broken, "w:gz") as tar:
        for member in sorted((tmp_path / "unpacked").iterdir()):
            tar.add(member, member.name)
    target = pg_cluster.new_database()
    failed = cli(target, tmp_path / "new-keys", "restore", str(broken))
    assert failed.code != 0 and "posts.parquet" in failed.stderr and "Traceback" not in failed.stderr
    import psycopg

    with psycopg.connect(target) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                           ).fetchone() == (0,)
    assert not (tmp_path / "new-keys").exists()
    ok(cli(target, tmp_path / "new-keys", "restore", str(archive)))  # nothing was left behind to refuse it
    again = cli(target, tmp_path / "other-keys", "restore", str(archive))
    assert again.code != 0 and "not empty" in again.stderr and "Traceback" not in again.stderr
    unnamed = subprocess.run([str(CLI), "--db", pg_cluster.new_database(), "restore", str(archive)],
                             capture_output=True, timeout=120, cwd=tmp_path)
    assert unnamed.returncode != 0 and b"--keys-dir" in unnamed.stderr
    assert not (tmp_path / "other-keys").exists()


def test_columns_and_tables_only_postgresql_has_travel_in_the_archive(pg_cluster, tmp_path):
    """A PostgreSQL-only addition (the job queue adds columns to `jobs` there) is dumped, not dropped or refused."""
    url = pg_cluster.new_database()
    with open_store(url) as store:
        store.query("ALTER TABLE jobs ADD COLUMN lease_owner TEXT")
        store.query("CREATE TABLE pg_only_notes (note_id BIGINT, body TEXT, seen BOOLEAN, at TIMESTAMP)")
        store.query("INSERT INTO pg_only_notes VALUES (1, 'xin chào', true, '2026-12-07 10:00:00')")
        store.query("INSERT INTO jobs (job_id, workspace, kind, username, params, status, created_at, lease_owner) "
                    "VALUES ('j1', 'city', 'analyze', 'lan', '{}', 'queued', '2026-12-07 10:00:00', 'worker-7')")
        counts = store.export_dump(tmp_path / "dump")
    assert counts["pg_only_notes"] == 1 and counts["jobs"] == 1
    with restore_store(str(tmp_path / "copy.duckdb"), tmp_path / "dump") as copy:
        assert copy.query("SELECT note_id, body, seen FROM pg_only_notes") == [(1, "xin chào", True)]
        assert copy.query("SELECT job_id, lease_owner FROM jobs") == [("j1", "worker-7")]

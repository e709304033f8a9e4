"""`backup` and `restore`: the same answers after a round trip, the keys with them, hostile archives refused."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from civicpulse.store import open_store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "demo" / "mastodon" / "public_timeline.json"


def _rows(db: Path, sql: str) -> list[tuple]:
    store = open_store(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


@pytest.fixture
def backed_up(tmp_path, run_cli):
    assert run_cli("ingest", str(SAMPLE), "--workspace", "city", "--no-progress").code == 0
    assert run_cli("analyze", "--workspace", "city", "--mode", "fast", "--no-progress").code == 0
    archive = tmp_path / "city.tar.gz"
    done = run_cli("backup", str(archive))
    assert done.code == 0, done.stderr
    return archive


def test_a_restored_store_answers_the_same_and_keeps_the_pseudonyms(tmp_path, run_cli, backed_up):
    assert backed_up.stat().st_mode & 0o077 == 0  # it holds the keys
    restored = tmp_path / "restored" / "store.duckdb"
    done = run_cli("restore", str(backed_up), db_path=restored)
    assert done.code == 0, done.stderr
    for sql in ("SELECT platform, post_id, author_key, text, created_at FROM posts ORDER BY ALL",
                "SELECT post_id, sentiment, emotion, topic_scores, discovered_topic FROM post_analysis ORDER BY ALL",
                "SELECT name, settings FROM workspaces ORDER BY ALL"):
        assert _rows(restored, sql) == _rows(run_cli.db, sql)
    stats = ("stats", "--workspace", "city")
    assert run_cli(*stats, db_path=restored).stdout == run_cli(*stats).stdout
    # The pseudonym key came back: the same file ingested again adds nobody new.
    again = run_cli("ingest", str(SAMPLE), "--workspace", "city", "--no-progress", db_path=restored)
    assert again.code == 0
    authors = "SELECT count(DISTINCT author_key) FROM posts"
    assert _rows(restored, authors) == _rows(run_cli.db, authors)


def test_restore_never_overwrites(tmp_path, run_cli, backed_up):
    refused = run_cli("restore", str(backed_up))  # into the store it came from
    assert refused.code != 0 and "exists" in refused.stderr and "Traceback" not in refused.stderr
    assert run_cli("backup", str(backed_up)).code != 0  # an archive is not replaced without --force


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("members, message", [
    ({"../escape.txt": b"x", "manifest.json": b"{}"}, "cannot read the archive"),
    ({"notes.txt": b"x"}, "no manifest.json"),
    ({"manifest.json": b"not json"}, "manifest.json"),
    ({"manifest.json": json.dumps({"format": "civicpulse-backup", "version": 1, "tables": {},
                                   "keys": ["../../outside.key"]}).encode()}, "outside"),
])
def test_hostile_or_foreign_archives_are_refused_clearly(tmp_path, run_cli, members, message):
    archive = _archive(tmp_path / "bad.tar.gz", members)
    done = run_cli("restore", str(archive), db_path=tmp_path / "new" / "store.duckdb")
    assert done.code != 0 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "outside.key").exists()
    assert not (tmp_path / "new" / "store.duckdb").exists()


def test_a_file_that_is_not_an_archive_is_refused(tmp_path, run_cli):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b not really gzip")
    done = run_cli("restore", str(junk), db_path=tmp_path / "new.duckdb")
    assert done.code != 0 and "cannot read the archive" in done.stderr and "Traceback" not in done.stderr

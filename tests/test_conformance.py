"""Conformance: every real recorded payload in ../shared/fixtures ingests, and nothing identifying is stored.

These are third-party files that live beside the repository, never in it; on a fresh clone without them the
suite skips with a message.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.reader import INPUT_SUFFIXES, base_name
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store import open_store
from conftest import SHARED_FIXTURES

pytestmark = pytest.mark.skipif(not SHARED_FIXTURES.is_dir(),
                                reason=f"shared fixtures not found at {SHARED_FIXTURES} (conformance suite skipped)")

# Files that are meant to be refused, with the reason each must give. Everything else must land whole.
EXPECTED_REJECTS = {
    "facebook/errors/error.json": ["API error body"],
    "youtube/errors/error_response.json": ["API error body"],
    "mastodon/error_404.json": ["API error body: Not Found"],
    "mastodon/status_edit_history.json": ["edit history"],
    "x_twitter/v2_twarc2/streaming_output_with_error.jsonl": ["invalid JSON"],
    "telegram/desktop_export_2021/error.json": ["invalid JSON"],  # a comma is missing on line 4
}
HANDLE_KEYS = {"username", "screen_name", "acct", "handle", "authorDisplayName", "display_name", "displayName",
               "channelTitle"}


def fixture_files() -> list[Path]:
    if not SHARED_FIXTURES.is_dir():
        return []
    return sorted(p for p in SHARED_FIXTURES.rglob("*") if p.is_file()
                  and base_name(p.name).lower().endswith(INPUT_SUFFIXES))


def ingest(path: Path, tmp_path: Path):
    store = open_store(str(tmp_path / "c.duckdb"))
    store.ensure_workspace("conf", keep_raw=True)
    rejects = RejectWriter(tmp_path / "rejects.jsonl")
    key = KeyStore(tmp_path / "keys").load("conf")
    summary = Ingestor(store, "conf", Pseudonymizer(key), rejects).ingest(str(path))
    rejects.close()
    logged = [orjson.loads(line) for line in (tmp_path / "rejects.jsonl").read_bytes().splitlines()] \
        if (tmp_path / "rejects.jsonl").exists() else []
    return store, summary, logged


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(SHARED_FIXTURES)))
def test_fixture_ingests(path: Path, tmp_path: Path):
    rel = str(path.relative_to(SHARED_FIXTURES))
    store, summary, logged = ingest(path, tmp_path)
    errors = [r for r in logged if r["severity"] == "error"]
    expected = EXPECTED_REJECTS.get(rel)
    if expected:
        assert errors, f"{rel}: expected a reject"
        for needle in expected:
            assert any(needle in r["reason"] for r in errors), (needle, [r["reason"] for r in errors])
    else:
        assert not errors, [f"{r['path']}: {r['reason']}" for r in errors]
        assert summary.stored + summary.deleted + summary.skipped > 0, f"{rel}: nothing read"
    rows = [r for b in store.iter_posts("conf", ["post_id", "text", "url", "raw", "created_at", "author_key"],
                                         include_deleted=True) for r in b]
    for post_id, text, _url, _raw, created_at, _author in rows:
        if text is not None:
            assert created_at is not None, f"{rel}: {post_id} has no time"
    assert_no_handles_stored(path, rows)
    store.close()


def handles_in(value, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in HANDLE_KEYS and isinstance(v, str) and len(v) >= 4 and v not in ("[deleted]", "anonymous"):
                found.add(v.split("@")[0] if k == "acct" else v)
            handles_in(v, found)
    elif isinstance(value, list):
        for v in value:
            handles_in(v, found)
    return found


def assert_no_handles_stored(path: Path, rows: list[tuple]) -> None:
    found: set[str] = set()
    for line in path.read_bytes().splitlines() if path.suffix == ".jsonl" else [path.read_bytes()]:
        try:
            handles_in(orjson.loads(line), found)
        except orjson.JSONDecodeError:
            continue
    for handle in found:
        for post_id, _text, url, raw, _created, author_key in rows:
            for field, value in (("post_id", post_id), ("url", url), ("raw", raw), ("author_key", author_key)):
                assert value is None or handle not in value, f"{handle!r} stored in {field} of {post_id}"

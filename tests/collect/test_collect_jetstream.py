"""Bluesky Jetstream end to end against a local websocket server: keyword filtering, creates, edits and deletes,
the time cursor with a rewind on reconnect and duplicates dropped, refused and throttled connections."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_api import LOOPBACK, cli
from fake_streams import JetstreamServer, jet_event

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.collect.connectors.jetstream import REWIND_US, JetstreamConnector
from civicpulse.collect.service import Collector
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path, monkeypatch):
    for name in ("network_backoff", "http_backoff", "rate_backoff"):
        monkeypatch.setattr(JetstreamConnector, name, (0.01, 0.05))
    monkeypatch.setattr(JetstreamConnector, "batch_seconds", 0.05)
    monkeypatch.setenv("CIVICPULSE_STREAM_WINDOW", "10")

    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    return invoke


def _rows(db: Path, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, server, target: str = "ngập lụt, #NgapNuoc") -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", "bluesky-jetstream", "--target", target,
                "--api-base", server.base, "--no-test")
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def test_keywords_filter_the_firehose_and_edits_and_deletes_of_held_posts_are_applied(run, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "5")
    later = 1_790_000_100_000_000
    script = [jet_event(1, "Ngập lụt ở quận 7"), jet_event(2, "Trời đẹp quá"), jet_event(3, "#ngapnuoc hôm nay"),
              jet_event(4, collection="app.bsky.feed.like"), {"did": "did:plc:x", "time_us": later, "kind": "identity"},
              b"not json", jet_event(1, "Hết ngập rồi", operation="update", time_us=later + 1),
              jet_event(3, operation="delete", time_us=later + 2), jet_event(2, operation="delete", time_us=later + 3)]
    with JetstreamServer([script]) as server:
        _add(run, server)
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    assert server.queries[0] == {"wantedCollections": "app.bsky.feed.post"}
    rows = _rows(run.db, "SELECT post_id, text, deleted, edited FROM posts ORDER BY deleted")
    assert len(rows) == 2  # post 2 never matched: neither it nor a tombstone for its deletion is stored
    assert rows[0][1:] == ("Hết ngập rồi", False, True) and rows[1][1:] == (None, True, False)
    assert all("did:plc" not in r[0] for r in rows)  # the author's DID is pseudonymized in the id
    cursor = json.loads(_rows(run.db, "SELECT cursor FROM collect_cursors")[0][0])
    assert cursor["time_us"] == later + 3 and "did:plc" not in json.dumps(cursor)


def test_a_reconnect_rewinds_the_time_cursor_and_drops_the_events_it_already_stored(run, monkeypatch, tmp_path):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "3")
    events = [jet_event(n, f"Ngập lụt lần {n}") for n in range(1, 6)]
    # Run 1 reads 1-3; run 2 is sent 2-5 again from the rewound cursor (Jetstream replays the overlap).
    with JetstreamServer([[*events[:3], 30.0], [*events[1:], 30.0]]) as server:
        source_id = _add(run, server)
        assert run("collect", "--workspace", "w", "--once").code == 0
        monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "2")  # 4 and 5: the repeats of 2 and 3 do not count
        store = DuckDBStore(str(run.db))
        try:
            collector = Collector(store, Path(f"{run.db}.keys"), tmp_path / "spool", tmp_path / "rejects")
            source = collector.registry.get("w", source_id)
            summary = collector.run(source)
        finally:
            store.close()
    assert summary.status == "ok", summary.error
    assert server.queries[1]["cursor"] == str(events[2]["time_us"] - REWIND_US)
    assert (summary.stored, summary.unchanged) == (2, 0)  # 2 and 3 were dropped as duplicates, not re-stored
    assert _rows(run.db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0] == (5, 5)


def test_a_closed_connection_is_resumed_and_refusals_are_retried_or_fail(run, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "2")
    with JetstreamServer([503, [jet_event(1, "ngập lụt")], 429, [jet_event(2, "Ngập Lụt")]]) as server:
        _add(run, server)
        ok = run("collect", "--workspace", "w", "--once")
        assert ok.code == 0, ok.stderr
        assert server.connections == 4 and "cursor" in server.queries[3]
        server.scripts = [401]
        failed = run("collect", "--workspace", "w", "--once", "--now")
    assert failed.code == 2 and "refused the connection (HTTP 401)" in failed.stderr
    assert _rows(run.db, "SELECT count(*) FROM posts")[0][0] == 2


def test_targets_are_keyword_lists_and_accounts_are_refused():
    connector = get("bluesky-jetstream")
    assert connector.validate_target(" ngập lụt ,, #ngapnuoc ") == "ngập lụt, #ngapnuoc"
    for target in ("from:someone.bsky.social", "@someone.bsky.social", "did:plc:abc"):
        with pytest.raises(TargetError, match="per-person"):
            connector.validate_target(target)
    with pytest.raises(TargetError, match="no keyword"):
        connector.validate_target(" , ")

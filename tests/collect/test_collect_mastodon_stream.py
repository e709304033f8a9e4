"""Mastodon streaming (SSE) end to end through the CLI: updates, edits, deletes, heartbeats, reconnects with a
catch-up through the REST timeline, 429/5xx on connect, refused tokens."""

from __future__ import annotations

import threading
import time

import pytest
from fake_api import LOOPBACK, Reply, cli
from fake_platforms import MastodonWorld
from fake_streams import Scripts, Stream, StreamServer, sse, wait_until

from civicpulse.collect.base import Credentials
from civicpulse.collect.connectors.mastodon_stream import MastodonStreamConnector
from civicpulse.collect.service import Collector
from civicpulse.store.duckdb_store import DuckDBStore
from conftest import mastodon_status

pytestmark = LOOPBACK


class MastodonStreams(MastodonWorld):
    """The REST timelines of MastodonWorld plus /api/v1/streaming/*, one script per connection."""

    def __init__(self, statuses: list[dict], scripts: list[Reply | Stream]):
        super().__init__(statuses)
        self.scripts = Scripts(scripts)

    def __call__(self, request):
        if request.path.startswith("/api/v1/streaming/"):
            return self.scripts.next(Stream([], hold=True))
        return super().__call__(request)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setattr(MastodonStreamConnector, "network_backoff", (0.01, 0.05))
    monkeypatch.setattr(MastodonStreamConnector, "http_backoff", (0.01, 0.05))
    monkeypatch.setattr(MastodonStreamConnector, "rate_backoff", (0.01, 0.05))
    monkeypatch.setattr(MastodonStreamConnector, "batch_seconds", 0.05)
    monkeypatch.setenv("CIVICPULSE_STREAM_WINDOW", "10")

    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    return invoke


def _rows(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api, target: str = "#ngapnuoc") -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", target,
                "--api-base", api.base, "--no-test")
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def test_updates_edits_and_deletes_reach_the_store_and_strangers_deletes_leave_no_tombstone(run, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "6")
    first, second = mastodon_status("101", "Nước ngập đường Lê Lợi"), mastodon_status("102", "Mưa to quá")
    edited = mastodon_status("101", "Nước ngập đường Lê Lợi, đã rút", edited_at="2026-09-14T08:20:00.000Z")
    world = MastodonStreams([], [Stream([sse("update", first), b":thump\n", sse("update", second),
                                         sse("notification", {"id": "5"}), sse("status.update", edited),
                                         sse("delete", "102"), sse("delete", "99999"),
                                         sse("update", mastodon_status("103", "Kẹt xe"))], hold=True)])
    with StreamServer(world) as api:
        _add(run, api)
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    assert api.requests[0].path == "/api/v1/streaming/hashtag" and api.requests[0].query == {"tag": "ngapnuoc"}
    rows = {r[0]: r[1:] for r in _rows(run.db, "SELECT post_id, text, deleted, edited, author_key FROM posts")}
    assert set(rows) == {"101", "102", "103"}  # no tombstone for 99999, a status this workspace never held
    assert rows["101"][0] == "Nước ngập đường Lê Lợi, đã rút" and rows["101"][2] is True
    assert rows["102"][0] is None and rows["102"][1] is True
    assert rows["103"][3].startswith("1.") and all("lan_anh" not in (r[0] or "") for r in rows.values())
    cursor = _rows(run.db, "SELECT cursor FROM collect_cursors")[0][0]
    assert '"min_id": "103"' in cursor


def test_a_dropped_stream_reconnects_and_catches_up_through_the_timeline_without_loss_or_duplicates(run, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "4")
    statuses = [mastodon_status(str(200 + n), f"Triều cường lần {n}") for n in range(1, 7)]
    # Connection 1 delivers 201-203, then a truncated event (204) and closes; 204 and 205 appear only in the
    # timeline (posted while disconnected); connection 2 delivers 206.
    truncated = sse("update", statuses[3])[:40]
    world = MastodonStreams(statuses, [Stream([sse("update", s) for s in statuses[:3]] + [truncated]),
                                       Stream([sse("update", statuses[5])], hold=True)])
    with StreamServer(world) as api:
        _add(run, api)
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    assert world.scripts.connections == 2
    catch_up = [r for r in api.requests if r.path == "/api/v1/timelines/tag/ngapnuoc"]
    assert catch_up and catch_up[0].query["min_id"] == "203"
    assert _rows(run.db, "SELECT count(*), count(DISTINCT post_id) FROM posts")[0] == (6, 6)


def test_5xx_and_429_on_connect_are_retried_and_a_long_reset_defers_the_source(run, monkeypatch):
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "1")
    world = MastodonStreams([], [Reply(503, {"error": "unavailable"}),
                                 Reply(429, {"error": "Too many requests"},
                                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2000-01-01T00:00:00Z"}),
                                 Stream([sse("update", mastodon_status("301", "Cúp điện"))], hold=True)])
    with StreamServer(world) as api:
        _add(run, api, "public")
        ok = run("collect", "--workspace", "w", "--once")
        assert ok.code == 0, ok.stderr
        assert world.scripts.connections == 3 and api.requests[-1].path == "/api/v1/streaming/public"
        world.scripts.scripts = [Reply(429, {"error": "Too many requests"},
                                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2100-01-01T00:00:00Z"})]
        limited = run("collect", "--workspace", "w", "--once", "--now")
    assert limited.code == 0 and "rate-limited" in limited.stdout and "2100-01-01" in limited.stderr
    assert "no source is due" in run("collect", "--workspace", "w", "--once").stderr
    assert _rows(run.db, "SELECT post_id FROM posts") == [("301",)]


def test_a_refused_token_fails_the_source_without_retrying(run, tmp_path):
    world = MastodonStreams([], [Reply(401, {"error": "The access token is invalid"})] * 3)
    creds = tmp_path / "m.json"
    creds.write_text('{"access_token": "expired-token-123"}')
    with StreamServer(world) as api:
        added = run("sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", "local",
                    "--api-base", api.base, "--credentials", str(creds))
        assert added.code == 1 and "connection test failed" in added.stderr and "401" in added.stderr
        run("sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", "local",
            "--api-base", api.base, "--credentials", str(creds), "--no-test")
        failed = run("collect", "--workspace", "w", "--once")
    assert failed.code == 2 and "refused the credentials" in failed.stderr
    assert world.scripts.connections == 2  # the test and one run: a refused token is not retried
    assert api.requests[-1].path == "/api/v1/streaming/public/local"
    assert api.requests[-1].headers["authorization"] == "Bearer expired-token-123"
    assert "expired-token" not in failed.stdout + failed.stderr


def test_the_connection_test_connects_and_returns_at_once(run):
    world = MastodonStreams([], [])
    with StreamServer(world) as api:
        added = run("sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", "#lut",
                    "--api-base", api.base)
    assert added.code == 0, added.stderr
    assert "connected to the stream" in added.stderr and world.scripts.connections == 1


def test_per_person_targets_are_refused(run):
    refused = run("sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", "@lan@social.vn",
                  "--no-test")
    assert refused.code == 1 and "privacy by design" in refused.stderr


def test_run_stream_keeps_streaming_past_the_once_window_until_stopped(tmp_path, monkeypatch):
    """The server's entry point: no window, no event cap; the stop event ends it and what was read is stored."""
    monkeypatch.setattr(MastodonStreamConnector, "batch_seconds", 0.05)
    monkeypatch.setenv("CIVICPULSE_STREAM_WINDOW", "0.2")
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "1")
    world = MastodonStreams([], [Stream([sse("update", mastodon_status(str(400 + n), f"Bão số {n}"))
                                         for n in range(3)] + [1.0, sse("update", mastodon_status("410", "Gió"))],
                                        hold=True)])
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    try:
        collector = Collector(store, tmp_path / "keys", tmp_path / "spool", tmp_path / "rejects")
        with StreamServer(world) as api:
            source = collector.registry.add("w", "mastodon-stream", "public", creds=Credentials(), every_seconds=60,
                                            api_base=api.base, label=None, actor="test")
            stop = threading.Event()
            result = {}
            worker = threading.Thread(target=lambda: result.update(summary=collector.run_stream(source, stop)))
            worker.start()
            time.sleep(1.6)  # past the --once window and event cap: a server stream ignores both
            assert worker.is_alive()
            assert wait_until(lambda: api.requests and world.scripts.connections == 1)
            stop.set()
            worker.join(10)
            assert not worker.is_alive()
        summary = result["summary"]
        assert (summary.status, summary.stored) == ("ok", 4), summary.error
        assert collector.registry.cursor(source.source_id) == {"min_id": "410"}
    finally:
        store.close()

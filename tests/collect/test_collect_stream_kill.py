"""`kill -9` of a real `civicpulse collect --once` process while it reads a slow Mastodon stream: the restart
catches up from the last stored status and the store ends with every status exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from fake_api import LOOPBACK, cli
from fake_platforms import MastodonWorld
from fake_streams import Stream, StreamServer, sse, wait_until

from civicpulse.store.duckdb_store import DuckDBStore
from conftest import mastodon_status

pytestmark = LOOPBACK


class SlowInstance(MastodonWorld):
    """Statuses are published one by one: each lands on the REST timeline as the stream sends it."""

    def __init__(self) -> None:
        super().__init__([])
        self.published = 0
        self.next_id = 1000
        self.streams = 0
        self.per_connection: list[int] = []  # statuses each stream connection sends before going quiet

    def publish(self) -> dict:
        self.next_id += 1
        status = mastodon_status(str(self.next_id), f"Mưa lớn, nước dâng lần {self.next_id}")
        self.statuses.append(status)
        self.published += 1
        return status

    def _pieces(self, count: int):
        for _ in range(count):
            yield sse("update", self.publish())
            yield 0.1  # a slow stream: one status every 100 ms

    def __call__(self, request):
        if request.path.startswith("/api/v1/streaming/"):
            self.streams += 1
            count = self.per_connection.pop(0) if self.per_connection else 0
            return Stream(self._pieces(count), hold=True)
        return super().__call__(request)


def _rows(db: Path, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def test_kill_9_while_streaming_loses_nothing_and_duplicates_nothing(tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    monkeypatch.setenv("CIVICPULSE_STREAM_WINDOW", "10")
    world = SlowInstance()
    world.per_connection = [3, 200, 1]
    with StreamServer(world) as api:
        added = cli(db, "sources", "add", "--workspace", "w", "--platform", "mastodon-stream", "--target", "public",
                    "--api-base", api.base, "--no-test")
        assert added.code == 0, added.stderr
        monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "3")
        assert cli(db, "collect", "--workspace", "w", "--once").code == 0  # a cursor to resume from
        assert _rows(db, "SELECT count(*) FROM posts")[0][0] == 3

        env = {**os.environ, "CIVICPULSE_STREAM_WINDOW": "120", "CIVICPULSE_STREAM_MAX_EVENTS": "100000"}
        cmd = [str(Path(sys.executable).with_name("civicpulse")), "--db", str(db), "collect", "--workspace", "w",
               "--once", "--now"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            # Killed mid-stream: 30 statuses sent on its connection (about 3 s, past its first stored batch).
            assert wait_until(lambda: world.streams == 2 and world.published >= 33, 90), "the stream never started"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        stored_at_kill = _rows(db, "SELECT count(*) FROM posts")[0][0]
        assert 3 <= stored_at_kill < world.published  # what was read but not yet stored is gone with the process
        for _ in range(5):
            world.publish()  # posted while nothing was collecting

        monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", "1")
        resumed = cli(db, "collect", "--workspace", "w", "--once", "--now")
        assert resumed.code == 0, resumed.stderr
    ids = [r[0] for r in _rows(db, "SELECT post_id FROM posts")]
    assert len(ids) == len(set(ids)) == world.published
    assert sorted(ids) == sorted(s["id"] for s in world.statuses)

"""Collection on a PostgreSQL store that several processes (servers, workers, `collect`) share: one source is never
collected by two of them at once, a source another process has just collected is not collected again, and a
starting process closes only the runs of processes that are gone."""

from __future__ import annotations

from datetime import datetime

from fake_api import LOOPBACK, FakeApi
from fake_platforms import XSearch, tweet

from civicpulse.collect.base import Credentials
from civicpulse.collect.schedule import parse_every
from civicpulse.runtime.collection import CollectionRuntime
from civicpulse.store import open_store
from civicpulse.store.locks import source_lock, try_exclusive

pytestmark = LOOPBACK
NOW = datetime(2026, 9, 14, 8, 0, 0)
RUNS = "SELECT status FROM collect_runs WHERE source_id = ? ORDER BY started_at, run_id"


def test_one_source_is_collected_by_one_process_at_a_time(pg_cluster, tmp_path) -> None:
    url = pg_cluster.new_database()
    stores = [open_store(url) for _ in range(3)]
    a, b = (CollectionRuntime(s, tmp_path / "keys", tmp_path / "spool", tmp_path / "rejects", now=lambda: NOW,
                              sleep=lambda s: None) for s in stores[:2])
    try:
        with FakeApi(XSearch([tweet(1), tweet(2)])) as api:
            with a._collector() as c:
                source = c.registry.add("w", "x", "lụt", creds=Credentials({"bearer_token": "x-test-bearer"}),
                                        every_seconds=parse_every("15m"), api_base=api.base, label="k.json",
                                        actor="t", now=NOW)
            with try_exclusive(stores[2], source_lock(source.source_id)):  # a third process is collecting it
                assert a._run(source).status == "busy"
                assert b._run(source, requested=True).status == "busy"  # even a "run now" waits its turn
            assert stores[0].query(RUNS, [source.source_id]) == []
            assert a._run(source).status == "ok"
            # b saw the source due before a's run: once it gets the lock, it finds the source collected
            assert b._run(source).status == "busy"
            assert stores[0].query(RUNS, [source.source_id]) == [("ok",)]
            assert stores[0].query("SELECT count(*) FROM posts WHERE workspace = 'w'") == [(2,)]

            # A run left `running`: by a live process (holding the source's lock) it stays, by a dead one it closes.
            with a._collector() as c:
                c.registry.start_run("r-live", source.source_id, NOW)
            with try_exclusive(stores[2], source_lock(source.source_id)):
                b.start()
                b.stop(5)
            assert stores[0].query(RUNS, [source.source_id])[-1] == ("running",)
            restarted = CollectionRuntime(stores[1], tmp_path / "keys", tmp_path / "spool", tmp_path / "rejects",
                                          now=lambda: NOW, sleep=lambda s: None)
            restarted.start()
            restarted.stop(5)
            assert stores[0].query(RUNS, [source.source_id])[-1] == ("interrupted",)
    finally:
        a.stop(5)
        for s in stores:
            s.close()

"""The server's collection runtime with a controllable clock: persisted schedules, a bounded pool with
backpressure, fairness, failure backoff, run-now requests and supervised continuous sources. No sleeps: time is
the clock's, and the tests wait only for events and futures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fake_api import LOOPBACK, FakeApi, Reply
from fake_platforms import XSearch, tweet

from civicpulse import collect
from civicpulse.collect.base import Connector, Credentials, Page
from civicpulse.collect.http import CollectError
from civicpulse.collect.schedule import parse_every
from civicpulse.collect.sources import SourceError
from civicpulse.runtime.collection import CollectionRuntime, failure_backoff
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK
BEARER = {"bearer_token": "x-test-bearer"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 14, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    clock = Clock()
    runtimes: list[CollectionRuntime] = []

    def runtime(workers: int = 4, **kw) -> CollectionRuntime:
        rt = CollectionRuntime(store, tmp_path / "keys", tmp_path / "spool", tmp_path / "rejects", workers=workers,
                               now=clock, sleep=lambda s: None, **kw)
        runtimes.append(rt)
        return rt

    yield store, clock, runtime
    for rt in runtimes:
        rt.stop(5)
    store.close()


def _add(rt: CollectionRuntime, base: str, every: str = "15m", platform: str = "x", target: str = "lụt",
         creds: dict | None = None) -> str:
    with rt._collector() as c:
        return c.registry.add("w", platform, target, creds=Credentials(dict(BEARER if creds is None else creds)),
                              every_seconds=parse_every(every), api_base=base, label="k.json", actor="t",
                              now=rt.now()).source_id


def _cycle(rt: CollectionRuntime) -> list[str]:
    started = rt.tick()
    rt.drain(30)
    return sorted(started)


def test_schedules_are_kept_in_the_store_and_survive_a_restart(world):
    store, clock, runtime = world
    with FakeApi(XSearch([tweet(1)])) as api:
        rt = runtime()
        hourly, quarter = _add(rt, api.base, "1h"), _add(rt, api.base, "15m")
        assert _cycle(rt) == sorted([hourly, quarter])
        clock.now += timedelta(minutes=10)
        assert _cycle(rt) == []
        rt.stop(5)
        restarted = runtime()  # a new process: nothing is due before its time
        assert _cycle(restarted) == []
        clock.now += timedelta(minutes=5)
        assert _cycle(restarted) == [quarter]
        clock.now += timedelta(minutes=45)
        assert _cycle(restarted) == sorted([hourly, quarter])
    assert store.query("SELECT count(*) FROM posts")[0][0] == 1


def test_the_pool_is_bounded_and_due_sources_wait_their_turn_without_starving(world):
    _store, clock, runtime = world
    gate = threading.Event()
    inside = threading.Semaphore(0)
    search = XSearch([tweet(1)])

    def held(request):
        inside.release()
        gate.wait(30)
        return search(request)

    with FakeApi(held) as api:
        rt = runtime(workers=2)
        ids = []
        for _ in range(5):
            ids.append(_add(rt, api.base))
            clock.now += timedelta(seconds=1)  # added one after the other: served in that order
        first = rt.tick()
        assert first == ids[:2]  # oldest first, two slots
        assert inside.acquire(timeout=10) and inside.acquire(timeout=10)
        assert rt.tick() == []  # backpressure: the pool is full, nothing queues behind it
        assert rt.running() == set(first)
        gate.set()
        rt.drain(30)
        second = rt.tick()
        rt.drain(30)
        third = rt.tick()
        rt.drain(30)
    assert second == ids[2:4] and third == ids[4:]  # every due source ran once before any ran twice
    with rt._collector() as c:
        assert all(c.registry.last_run(i).status == "ok" for i in ids)


def test_a_failing_source_records_its_reason_and_backs_off_while_the_others_run(world):
    _store, clock, runtime = world
    broken = XSearch([])
    broken.fail_next = [Reply(400, {"title": "Invalid Request", "detail": "query is malformed"})] * 3
    with FakeApi(XSearch([tweet(1)])) as good_api, FakeApi(broken) as bad_api:
        rt = runtime()
        good, bad = _add(rt, good_api.base), _add(rt, bad_api.base)
        assert _cycle(rt) == sorted([good, bad])
        with rt._collector() as c:
            run = c.registry.last_run(bad)
            assert (run.status, run.error) == ("failed", "HTTP 400 from 127.0.0.1: query is malformed")
        clock.now += timedelta(minutes=15)
        assert _cycle(rt) == sorted([good, bad])  # first failure: the usual interval
        clock.now += timedelta(minutes=15)
        assert _cycle(rt) == [good]  # second failure in a row: twice the interval
        clock.now += timedelta(minutes=15)
        assert _cycle(rt) == sorted([good, bad])
    assert failure_backoff(900, 3) == 3600 and failure_backoff(3600, 30) == 86400


def test_run_now_runs_a_source_whatever_its_schedule_and_answers_with_its_summary(world):
    _store, _clock, runtime = world
    with FakeApi(XSearch([tweet(1), tweet(2)])) as api:
        rt = runtime()
        source = _add(rt, api.base, "1d")
        assert _cycle(rt) == [source]
        assert _cycle(rt) == []
        waiters = rt.run_now([source, source])  # asked twice: one run answers both
        assert rt.tick() == [source]
        rt.drain(30)
        asked = [r.query.get("since_id") for r in api.requests]
    summaries = [w.result(5) for w in waiters]
    assert summaries[0] is summaries[1]
    assert (summaries[0].source_id, summaries[0].status, summaries[0].fetched) == (source, "ok", 0)
    assert asked == [None, tweet(2)["id"]]  # the requested run caught up from the cursor


class FakeStream(Connector):
    """A continuous connector: the first connection yields two pages then breaks; the next one yields a page
    and stays open until stopped."""

    platform = "teststream"
    format_name = "x-v2"
    default_api_base = "http://127.0.0.1:9"
    continuous = True
    credential_keys = ()

    def __init__(self) -> None:
        self.connections: list[dict] = []
        self.open = threading.Event()

    def collect(self, session) -> Iterator[Page]:
        self.connections.append(dict(session.cursor))
        n = len(self.connections)
        if n == 1:
            yield Page({"data": [tweet(1)], "meta": {}}, {"last": 1}, fetched=1)
            yield Page({"data": [tweet(2)], "meta": {}}, {"last": 2}, fetched=1)
            raise CollectError("the stream was cut (HTTP 503)")
        yield Page({"data": [tweet(3)], "meta": {}}, {"last": 3}, fetched=1)
        self.open.set()
        session.stop.wait(30)


def test_a_continuous_source_is_supervised_reconnected_and_stopped_when_paused(world, monkeypatch):
    store, _clock, runtime = world
    fake = FakeStream()
    collect.all_connectors()
    monkeypatch.setitem(collect.CONNECTORS.entries, "teststream", fake)
    delays: list[float] = []

    def no_wait(event: threading.Event, seconds: float) -> bool:
        delays.append(seconds)
        return event.is_set()

    rt = runtime(wait=no_wait)
    source = _add(rt, fake.default_api_base, platform="teststream", target="anything", creds={})
    with rt._collector() as c:
        assert c.due_sources("w") == []  # no schedule for a stream: `collect --once` leaves it to the runtime
    assert rt.tick() == []  # not a polling run ...
    assert fake.open.wait(10)  # ... but a supervised connection, reconnected after the failure
    assert fake.connections == [{}, {"last": 2}]  # resumed from the cursor of the last stored page
    assert delays == [5.0]
    assert rt.running() == {source}
    supervisor = rt._streams[source]
    with rt._collector() as c:
        c.registry.set_paused("w", source, True)
    rt.tick()
    assert rt.running() == set()
    supervisor._thread.join(10)
    assert not supervisor.alive()
    assert store.query("SELECT count(*) FROM posts")[0][0] == 3
    statuses = [r[0] for r in store.query("SELECT status FROM collect_runs ORDER BY started_at, status")]
    assert sorted(statuses) == ["failed", "ok"]
    assert store.query("SELECT sum(stored) FROM collect_hours")[0][0] == 3


def test_a_run_now_request_for_a_source_paused_meanwhile_is_answered_and_not_run(world):
    _store, _clock, runtime = world
    rt = runtime()
    source = _add(rt, "http://127.0.0.1:9", "1d")  # never contacted: the source is paused before it runs
    (waiter,) = rt.run_now([source])
    with rt._collector() as c:
        c.registry.set_paused("w", source, True)
    assert rt.tick() == []
    with pytest.raises(SourceError, match="paused or removed before it ran"):
        waiter.result(5)

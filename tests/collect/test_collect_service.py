"""The collector service with a controllable clock: schedules, the store-then-cursor order, sealed credentials."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta

import pytest
from fake_api import LOOPBACK, FakeApi
from fake_platforms import XSearch, tweet

from civicpulse.collect.base import Credentials
from civicpulse.collect.credentials import KEY_FILE, CredentialBox, CredentialError
from civicpulse.collect.schedule import ScheduleError, format_every, parse_every
from civicpulse.collect.service import Collector
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK
BEARER = {"bearer_token": "x-test-bearer"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 14, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup(tmp_path):
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    clock = Clock()
    collector = Collector(store, tmp_path / "keys", tmp_path / "spool", tmp_path / "rejects", now=clock,
                          sleep=lambda s: None)
    yield store, clock, collector, tmp_path
    store.close()


def _add(collector: Collector, api: FakeApi, every: str = "15m", workspace: str = "w"):
    return collector.registry.add(workspace, "x", "lụt", creds=Credentials(dict(BEARER)),
                                  every_seconds=parse_every(every), api_base=api.base, label="x.json", actor="test",
                                  now=collector.now())


def test_sources_run_on_their_schedule_and_paused_ones_never(setup):
    _store, clock, collector, _ = setup
    with FakeApi(XSearch([tweet(1)])) as api:
        hourly = _add(collector, api, "1h")
        quarter = _add(collector, api, "15m")
        paused = _add(collector, api, "15m")
        collector.registry.set_paused("w", paused.source_id, True)
        ran = lambda: sorted(s.source_id for s in collector.run_due("w"))  # noqa: E731
        assert ran() == sorted([hourly.source_id, quarter.source_id])  # never ran: due at once
        clock.now += timedelta(minutes=14, seconds=59)
        assert ran() == []
        clock.now += timedelta(seconds=1)
        assert ran() == [quarter.source_id]
        clock.now += timedelta(minutes=45)
        assert ran() == sorted([hourly.source_id, quarter.source_id])
        assert collector.run_due("other") == []


def test_a_crash_after_the_write_but_before_the_cursor_repeats_one_page_and_stores_nothing_twice(setup, monkeypatch):
    store, _, collector, _ = setup
    collector.flush_posts = 1  # every page is its own flush (store merge, then cursor)
    with FakeApi(XSearch([tweet(n) for n in range(1, 31)], page_size=10)) as api:
        source = _add(collector, api)
        real_save = collector.registry.save_cursor
        saves = []

        def dies_on_second_save(source_id, cursor):
            if len(saves) == 1:
                raise SystemExit("killed")  # the process dies between the commit of page 2 and its cursor
            saves.append(cursor)
            real_save(source_id, cursor)

        monkeypatch.setattr(collector.registry, "save_cursor", dies_on_second_save)
        with pytest.raises(SystemExit):
            collector.run(source)
        assert store.query("SELECT count(*) FROM posts")[0][0] == 20
        assert collector.registry.cursor(source.source_id)["next_token"] == "p2"
        monkeypatch.setattr(collector.registry, "save_cursor", real_save)
        summary = collector.run(source)
        assert api.requests[-2].query["next_token"] == "p2"  # page 2 again, then page 3
    assert (summary.stored, summary.unchanged, summary.status) == (10, 10, "ok")
    assert store.query("SELECT count(*), count(DISTINCT post_id) FROM posts")[0] == (30, 30)


def test_credentials_are_sealed_with_a_private_key_outside_the_database(setup):
    store, _, collector, tmp_path = setup
    with FakeApi(XSearch([])) as api:
        source = _add(collector, api)
    sealed = store.query("SELECT credentials FROM collect_sources")[0][0]
    assert "x-test-bearer" not in sealed
    key = tmp_path / "keys" / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert collector.registry.credentials(source.source_id).values == BEARER
    assert "x-test-bearer" not in repr(collector.registry.credentials(source.source_id))
    with pytest.raises(CredentialError, match="do not match the key"):
        _other_box(tmp_path).open(sealed)


def _other_box(tmp_path) -> CredentialBox:
    box = CredentialBox(tmp_path / "other-keys")
    box.seal(Credentials({"k": "v"}))  # creates a different key
    return box


def test_a_missing_key_file_is_a_clear_error(tmp_path):
    with pytest.raises(CredentialError, match="no credential key"):
        CredentialBox(tmp_path / "none").open("gAAAA")


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("2h", 7200), ("1d", 86400), (" 5 min ", 300)])
def test_schedules(text, seconds):
    assert parse_every(text) == seconds
    assert parse_every(format_every(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "0m", "30s", "every hour", "-5m"])
def test_bad_schedules_are_refused(text):
    with pytest.raises(ScheduleError):
        parse_every(text)


def test_the_run_history_records_health(setup):
    store, _clock, collector, _ = setup
    with FakeApi(XSearch([tweet(1), tweet(2)])) as api:
        source = _add(collector, api)
        collector.run(source)
    run = collector.registry.last_run(source.source_id)
    assert (run.status, run.pages, run.fetched, run.stored, run.rejected, run.error) == ("ok", 1, 2, 2, 0, None)
    assert json.loads(store.query("SELECT cursor FROM collect_cursors")[0][0]) == {"since_id": tweet(2)["id"]}


def test_pages_are_stored_together_and_a_crash_before_their_cursor_repeats_them_without_duplicates(setup,
                                                                                                  monkeypatch):
    store, _, collector, _ = setup
    with FakeApi(XSearch([tweet(n) for n in range(1, 31)], page_size=10)) as api:
        source = _add(collector, api)
        real_save = collector.registry.save_cursor
        monkeypatch.setattr(collector.registry, "save_cursor", lambda *a: (_ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):
            collector.run(source)
        assert store.query("SELECT count(*) FROM posts")[0][0] == 30  # the three pages, in one merge
        assert collector.registry.cursor(source.source_id) == {}  # ... but the cursor never moved
        monkeypatch.setattr(collector.registry, "save_cursor", real_save)
        summary = collector.run(source)
        assert [r.query.get("next_token") for r in api.requests[-3:]] == [None, "p2", "p3"]  # all again
    assert (summary.pages, summary.stored, summary.unchanged) == (3, 0, 30)
    assert store.query("SELECT count(*), count(DISTINCT post_id) FROM posts")[0] == (30, 30)
    assert list(collector.spool_dir.iterdir()) == []  # raw pages do not outlive their flush

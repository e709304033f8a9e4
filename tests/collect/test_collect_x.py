"""X API v2 recent search end to end: bearer token, next_token sweeps, since_id, 429s, kill -9 mid-sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fake_api import LOOPBACK, FakeApi, Reply, cli
from fake_platforms import NEEDS_SHARED, SHARED, XSearch, tweet

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK
BEARER = "x-test-bearer"


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    creds = tmp_path / "x-credentials.json"
    creds.write_text(json.dumps({"bearer_token": BEARER}))
    invoke.creds = creds
    return invoke


def _query(db: Path, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api: FakeApi, query: str = "ngập nước lang:vi") -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", "x", "--target", query, "--api-base", api.base,
                "--credentials", str(run.creds))
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def test_a_sweep_pages_with_next_token_and_the_next_run_starts_at_since_id(run):
    search = XSearch([tweet(n) for n in range(1, 26)], page_size=10)
    with FakeApi(search) as api:
        _add(run, api)
        first = run("collect", "--workspace", "w", "--once")
        assert first.code == 0, first.stderr
        sweep = [r.query.get("next_token") for r in api.requests[1:]]  # [0] was the connection test
        assert sweep == [None, "p2", "p3"]
        assert all("since_id" not in r.query for r in api.requests)
        search.tweets += [tweet(n) for n in range(26, 29)]
        again = run("collect", "--workspace", "w", "--once", "--now")
        assert again.code == 0
        assert api.requests[-1].query["since_id"] == tweet(25)["id"]
    rows = _query(run.db, "SELECT post_id, text, author_key FROM posts")
    assert len(rows) == 28 and len({r[0] for r in rows}) == 28
    assert all("person_" not in r[1] and r[2].startswith("1.") for r in rows)


@NEEDS_SHARED
def test_recorded_search_pages_are_parsed_by_the_x_v2_source(run):
    recorded = [json.loads(line) for line in (SHARED / "x_twitter/v2_twarc2/noflat.jsonl").read_text().splitlines()]
    page1 = {k: v for k, v in recorded[0].items() if k != "__twarc"}
    page2 = {k: v for k, v in json.loads((SHARED / "x_twitter/v2_twarc2/two_tweets.jsonl").read_text()
                                         .splitlines()[0]).items() if k != "__twarc"}
    page2["meta"].pop("next_token", None)

    def route(request):
        return Reply(200, page2 if request.query.get("next_token") == page1["meta"]["next_token"] else page1)

    with FakeApi(route) as api:
        _add(run, api, "python")
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    stored = _query(run.db, "SELECT count(*) FROM posts")[0][0]
    assert stored == len({t["id"] for t in page1["data"] + page2["data"]})
    cursor = json.loads(_query(run.db, "SELECT cursor FROM collect_cursors")[0][0])
    assert cursor == {"since_id": page1["meta"]["newest_id"]}


def test_the_per_second_limit_and_5xx_are_retried_and_a_long_reset_defers_the_source(run):
    search = XSearch([tweet(n) for n in range(1, 6)])
    with FakeApi(search) as api:
        _add(run, api)
        search.fail_next = [Reply(429, {"title": "Too Many Requests"},
                                  {"x-rate-limit-remaining": "400", "x-rate-limit-reset": "1900000000"}),
                            Reply(503, {"title": "Service Unavailable"}, {"retry-after": "0"})]
        ok = run("collect", "--workspace", "w", "--once")
        assert ok.code == 0, ok.stderr
        assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 5
        search.fail_next = [Reply(429, {"title": "Too Many Requests"},
                                  {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "4102444800"})]
        limited = run("collect", "--workspace", "w", "--once", "--now")
        assert limited.code == 0 and "rate-limited" in limited.stdout and "2100-01-01" in limited.stderr
        listing = run("sources", "list", "--workspace", "w")
        assert "2100-01-01" in listing.stdout  # next run waits for the reset
        assert "no source is due" in run("collect", "--workspace", "w", "--once").stderr


def test_a_refused_token_fails_the_source_with_exit_2_and_never_shows_the_secret(run, tmp_path):
    with FakeApi(XSearch([tweet(1)])) as api:
        wrong = tmp_path / "wrong.json"
        wrong.write_text(json.dumps({"bearer_token": "expired-bearer-0000"}))
        refused = run("sources", "add", "--workspace", "w", "--platform", "x", "--target", "lụt", "--api-base",
                      api.base, "--credentials", str(wrong))
        assert refused.code == 1 and "connection test failed" in refused.stderr and "401" in refused.stderr
        saved = run("sources", "add", "--workspace", "w", "--platform", "x", "--target", "lụt", "--api-base",
                    api.base, "--credentials", str(wrong), "--no-test")
        failed = run("collect", "--workspace", "w", "--once")
    assert failed.code == 2 and "refused the credentials" in failed.stderr
    source_id = saved.stdout.strip()
    outputs = [refused.stderr, saved.stdout, saved.stderr, failed.stdout, failed.stderr,
               run("sources", "show", "--workspace", "w", source_id).stdout,
               run("sources", "list", "--workspace", "w").stdout]
    assert not any("expired-bearer" in text for text in outputs)
    assert "wrong.json (keys: bearer_token)" in outputs[-2]
    assert b"expired-bearer" not in Path(run.db).read_bytes()
    audit = _query(run.db, "SELECT detail FROM audit_log WHERE action = 'sources.add'")
    assert audit and "credential=wrong.json" in audit[0][0] and "expired" not in audit[0][0]


@pytest.mark.parametrize("query", ["from:nguyenvana", "lụt to:someone", "@nguyenvana", "(retweets_of:abc)"])
def test_account_queries_are_refused(query):
    with pytest.raises(TargetError, match="per-person"):
        get("x").validate_target(query)


def test_missing_bearer_token_is_named(run, tmp_path):
    creds = tmp_path / "c.json"
    creds.write_text(json.dumps({"api_key": "k"}))
    result = run("sources", "add", "--workspace", "w", "--platform", "x", "--target", "lụt", "--credentials",
                 str(creds), "--no-test")
    assert result.code == 1 and "lacks bearer_token" in result.stderr


def test_kill_9_mid_sweep_loses_nothing_and_duplicates_nothing(run, tmp_path):
    search = XSearch([tweet(n) for n in range(1, 51)], page_size=10)
    with FakeApi(search) as api:
        _add(run, api)
        search.hold_at = 3  # pages 1 and 2 are stored when the process dies waiting for page 3
        cmd = [str(Path(sys.executable).with_name("civicpulse")), "--db", str(run.db), "collect", "--workspace", "w",
               "--once"]
        # One store merge per page, so that pages 1 and 2 are in when it dies (by default pages wait for a bigger
        # merge, and a kill then repeats all of them: test_collect_service checks that case).
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "CIVICPULSE_COLLECT_FLUSH_POSTS": "1"})
        try:
            assert search.held.wait(60), "the collector never asked for page 3"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            search.hold_at = None
            search.release.set()
        assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 20
        cursor = json.loads(_query(run.db, "SELECT cursor FROM collect_cursors")[0][0])
        assert cursor["next_token"] == "p3" and cursor["sweep_newest"] == tweet(50)["id"]
        before = len(api.requests)
        resumed = run("collect", "--workspace", "w", "--once", "--now")
        assert resumed.code == 0, resumed.stderr
        assert api.requests[before].query.get("next_token") == "p3"  # resumed, not restarted
        search.tweets.append(tweet(51))
        run("collect", "--workspace", "w", "--once", "--now")
        assert api.requests[-1].query["since_id"] == tweet(50)["id"]
    ids = [r[0] for r in _query(run.db, "SELECT post_id FROM posts")]
    assert sorted(ids) == sorted(tweet(n)["id"] for n in range(1, 52))

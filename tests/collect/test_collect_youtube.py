"""YouTube end to end: comment sweeps, extra replies, search -> videos -> comments, and the daily quota ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fake_api import LOOPBACK, FakeApi, cli
from fake_platforms import NEEDS_SHARED, YouTubeApi, shared_json, yt_reply, yt_thread, yt_video

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.collect.quota import QuotaExhausted, QuotaLedger
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    return invoke


def _creds(tmp_path, **extra: str):
    path = tmp_path / "youtube.json"
    path.write_text(json.dumps({"api_key": "yt-key", **extra}))
    return str(path)


def _query(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api, target: str, creds: str) -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", "youtube", "--target", target,
                "--api-base", api.base, "--credentials", creds)
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def test_a_videos_comments_are_swept_with_extra_replies_and_every_call_is_charged(run, tmp_path):
    youtube = YouTubeApi({"vid00000001": [yt_thread(n, replies=7 if n == 3 else 0) for n in range(1, 46)]})
    youtube.replies = {"Ugx00000003": [yt_reply("Ugx00000003", i) for i in range(7)]}
    with FakeApi(youtube) as api:
        _add(run, api, "vid00000001", _creds(tmp_path))
        result = run("collect", "--workspace", "w", "--once")
        assert result.code == 0, result.stderr
        calls = [r.path for r in api.requests]
        assert calls.count("/comments") == 1 and calls.count("/commentThreads") == 1 + 3
        youtube.threads["vid00000001"].append(yt_thread(50))
        run("collect", "--workspace", "w", "--once", "--now")
        assert [r.path for r in api.requests].count("/commentThreads") == 1 + 3 + 1  # stopped at the mark
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 46 + 7
    units = _query(run.db, "SELECT sum(units) FROM collect_quota")[0][0]
    assert units == len(api.requests)  # 1 unit per commentThreads/comments call, the connection test included
    assert "9994/10000 units today" in run("sources", "list", "--workspace", "w").stdout


def test_search_finds_new_videos_stores_them_and_their_comments_and_respects_the_quota(run, tmp_path):
    youtube = YouTubeApi({"vidAAAAAAAA": [yt_thread(1, "vidAAAAAAAA")], "vidBBBBBBBB": []})
    youtube.found = [yt_video("vidAAAAAAAA", 1), yt_video("vidBBBBBBBB", 2)]
    youtube.disabled = {"vidBBBBBBBB"}
    with FakeApi(youtube) as api:
        _add(run, api, "search:lũ lụt miền Trung", _creds(tmp_path, daily_quota="200"))
        first = run("collect", "--workspace", "w", "--once")
        assert first.code == 0, first.stderr
        second = run("collect", "--workspace", "w", "--once", "--now")
    assert [r.path for r in api.requests] == ["/videos", "/search", "/videos", "/commentThreads", "/commentThreads"]
    assert api.requests[1].query.get("publishedAfter") is None
    assert "rate-limited" in second.stdout and "daily quota used up" in second.stderr and second.code == 0
    assert _query(run.db, "SELECT count(*) FROM posts WHERE kind = 'post'")[0][0] == 2
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 3
    not_before = _query(run.db, "SELECT not_before FROM collect_sources")[0][0]
    assert not_before.hour in (7, 8) and not_before.minute == 0  # midnight Pacific, in UTC


def test_the_platform_saying_quota_exceeded_defers_the_source_until_the_pacific_reset(run, tmp_path):
    youtube = YouTubeApi({"vid00000001": [yt_thread(1)]})
    with FakeApi(youtube) as api:
        _add(run, api, "video:vid00000001", _creds(tmp_path))
        youtube.fail_next = [YouTubeApi.error(403, "quotaExceeded", "The request cannot be completed because "
                                                                    "you have exceeded your quota.")]
        limited = run("collect", "--workspace", "w", "--once")
    assert limited.code == 0 and "rate-limited" in limited.stdout
    assert _query(run.db, "SELECT units FROM collect_quota")[0][0] == 10_000


def test_the_ledger_resets_at_midnight_pacific(tmp_path):
    store = DuckDBStore(str(tmp_path / "q.duckdb"))
    now = [datetime(2026, 9, 15, 6, 59, tzinfo=UTC).timestamp()]  # 23:59 in Los Angeles (PDT)
    ledger = QuotaLedger(store, "youtube:test", 150, lambda: now[0])
    ledger.charge(100, "search.list")
    with pytest.raises(QuotaExhausted) as info:
        ledger.charge(100, "search.list")
    assert info.value.until == datetime(2026, 9, 15, 7, 0, tzinfo=UTC).timestamp()
    now[0] += 60
    ledger.charge(100, "search.list")
    assert ledger.left() == 50
    store.close()


@NEEDS_SHARED
def test_recorded_comment_thread_pages_are_followed_and_stored(run, tmp_path):
    page1 = shared_json("youtube/commentThreads/comment_threads_by_video_paged_1.json")
    page2 = shared_json("youtube/commentThreads/comment_threads_by_video_paged_2.json")
    page2.pop("nextPageToken", None)
    youtube = YouTubeApi({})
    youtube.pages = {None: page1, page1["nextPageToken"]: page2}
    with FakeApi(youtube) as api:
        _add(run, api, "video:F1UP7wRCPH8", _creds(tmp_path))
        assert run("collect", "--workspace", "w", "--once").code == 0
    threads = page1["items"] + page2["items"]
    replies = [r["id"] for t in threads for r in (t.get("replies") or {}).get("comments", [])]
    expected = {t["id"] for t in threads} | set(replies)
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == len(expected)


@pytest.mark.parametrize("target", ["@somebody", "user:somebody", "https://www.youtube.com/user/somebody"])
def test_person_targets_are_refused(target):
    with pytest.raises(TargetError, match="per-person"):
        get("youtube").validate_target(target)

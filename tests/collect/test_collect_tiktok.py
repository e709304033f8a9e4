"""TikTok Research API end to end: token, 30-day windows with cursor and search_id, comments, refused targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fake_api import LOOPBACK, FakeApi, cli
from fake_platforms import NEEDS_SHARED, TikTokApi, shared_json, tiktok_video

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.collect.credentials import CredentialBox
from civicpulse.collect.sources import SourceRegistry
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    invoke.creds = tmp_path / "tiktok.json"
    invoke.creds.write_text(json.dumps({"client_key": "ck", "client_secret": "cs"}))
    return invoke


def _query(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def test_hashtag_query_pages_with_cursor_and_search_id_and_requeries_only_from_today(run):
    videos = [tiktok_video(n, _day(-(n % 5))) for n in range(1, 26)]
    tiktok = TikTokApi(videos, page_size=10, token_lifetime=2)
    with FakeApi(tiktok) as api:
        added = run("sources", "add", "--workspace", "w", "--platform", "tiktok", "--target", "#ngapnuoc region:vn",
                    "--api-base", api.base, "--credentials", str(run.creds))
        assert added.code == 0, added.stderr
        assert run("collect", "--workspace", "w", "--once").code == 0
        queries = [json.loads(r.body) for r in api.requests if r.path == "/v2/research/video/query/"]
        assert queries[-1]["search_id"] and queries[-1]["cursor"] == 20
        assert queries[-1]["query"]["and"][1] == {"operation": "IN", "field_name": "region_code",
                                                  "field_values": ["VN"]}
        assert tiktok.tokens >= 2  # refreshed when the token expired
        run("collect", "--workspace", "w", "--once", "--now")
        today = datetime.now(UTC).strftime("%Y%m%d")
        assert tiktok.windows[-1] == (today, today)
    rows = _query(run.db, "SELECT post_id, text FROM posts")
    assert len(rows) == 25 and len({r[0] for r in rows}) == 25


def test_a_long_backlog_is_queried_in_windows_of_at_most_30_days(run):
    tiktok = TikTokApi([tiktok_video(n, _day(-n * 10)) for n in range(0, 8)])
    with FakeApi(tiktok) as api:
        run("sources", "add", "--workspace", "w", "--platform", "tiktok", "--target", "keyword:ngập lụt",
            "--api-base", api.base, "--credentials", str(run.creds), "--no-test")
        store = DuckDBStore(str(run.db))
        start = (datetime.now(UTC).date() - timedelta(days=75)).strftime("%Y%m%d")
        registry = SourceRegistry(store, CredentialBox(f"{run.db}.keys"))
        registry.save_cursor(registry.list("w")[0].source_id, {"from": start})  # a source 75 days behind
        store.close()
        assert run("collect", "--workspace", "w", "--once").code == 0
    assert len(tiktok.windows) == 3 and tiktok.windows[0][0] == start
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 8  # days 0..70 back, all inside the windows


@NEEDS_SHARED
def test_recorded_comment_pages_are_stored(run):
    tiktok = TikTokApi([])
    tiktok.comments = shared_json("tiktok/example_resp_comments.json")
    tiktok.comments["data"]["has_more"] = False
    with FakeApi(tiktok) as api:
        run("sources", "add", "--workspace", "w", "--platform", "tiktok", "--target", "video:1234563451201523412",
            "--api-base", api.base, "--credentials", str(run.creds))
        assert run("collect", "--workspace", "w", "--once").code == 0
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == len(tiktok.comments["data"]["comments"])


def test_wrong_client_secret_is_refused_at_add(run, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"client_key": "ck", "client_secret": "nope"}))
    with FakeApi(TikTokApi([])) as api:
        result = run("sources", "add", "--workspace", "w", "--platform", "tiktok", "--target", "#lu",
                     "--api-base", api.base, "--credentials", str(wrong))
    assert result.code == 1 and "refused the credentials" in result.stderr and "nope" not in result.stderr


@pytest.mark.parametrize("target", ["username:creator1", "@creator1", "keyword:lũ username:a"])
def test_person_targets_are_refused(target):
    with pytest.raises(TargetError, match="per-person"):
        get("tiktok").validate_target(target)

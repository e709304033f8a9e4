"""Meta Graph end to end: a Page feed and its comments, usage headers and throttling, Instagram hashtag search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_api import LOOPBACK, FakeApi, Reply, cli
from fake_platforms import GraphApi, fb_post

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    invoke.creds = {"facebook": tmp_path / "meta.json", "instagram": tmp_path / "instagram.json"}
    invoke.creds["facebook"].write_text(json.dumps({"access_token": "meta-token"}))
    invoke.creds["instagram"].write_text(json.dumps({"access_token": "meta-token", "ig_user_id": "17841400000000001"}))
    return invoke


def _query(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api, platform: str, target: str) -> None:
    added = run("sources", "add", "--workspace", "w", "--platform", platform, "--target", target, "--api-base",
                api.base, "--credentials", str(run.creds[platform]))
    assert added.code == 0, added.stderr


def test_page_feed_and_comments_are_collected_and_the_token_never_lands_anywhere(run):
    graph = GraphApi([fb_post(n) for n in range(1, 8)])
    with FakeApi(graph) as api:
        graph.base = api.base
        _add(run, api, "facebook", "page:111")
        assert run("collect", "--workspace", "w", "--once").code == 0
        feed = [r for r in api.requests if r.path == "/111/feed"]
        assert [r.query.get("offset") for r in feed[1:]] == [None, "5"]
        assert all("access_token" not in r.query for r in api.requests)  # the header carries it
        graph.posts.append(fb_post(30))
        assert run("collect", "--workspace", "w", "--once", "--now").code == 0
        assert api.requests[-3].query.get("since")  # the new sweep asks only for posts since the last one
    kinds = dict(_query(run.db, "SELECT kind, count(*) FROM posts GROUP BY 1"))
    assert kinds == {"post": 8, "comment": 2 * 8}
    assert all("Nguyễn" not in t for (t,) in _query(run.db, "SELECT text FROM posts"))
    for file in Path(run.db).parent.rglob("*"):
        if file.is_file() and file.suffix != ".json":
            assert b"meta-token" not in file.read_bytes(), file


def test_usage_headers_near_the_limit_stop_the_source_until_access_is_regained(run):
    graph = GraphApi([fb_post(n) for n in range(1, 13)])
    with FakeApi(graph) as api:
        graph.base = api.base
        _add(run, api, "facebook", "page:111")
        graph.usage = {"X-Business-Use-Case-Usage": json.dumps({"111": [
            {"type": "pages", "call_count": 96, "total_cputime": 20, "total_time": 30,
             "estimated_time_to_regain_access": 42}]})}
        limited = run("collect", "--workspace", "w", "--once")
    assert limited.code == 0 and "rate-limited" in limited.stdout
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 5  # the page that warned was kept, no more
    assert "no source is due" in run("collect", "--workspace", "w", "--once").stderr


def test_throttling_error_codes_defer_the_source(run):
    graph = GraphApi([fb_post(1)])
    with FakeApi(graph) as api:
        graph.base = api.base
        _add(run, api, "facebook", "page:111")
        graph.fail_next = [Reply(400, {"error": {"message": "(#4) Application request limit reached",
                                                 "type": "OAuthException", "code": 4, "fbtrace_id": "A3"}})]
        limited = run("collect", "--workspace", "w", "--once")
    assert limited.code == 0 and "rate-limited" in limited.stdout and "request limit" in limited.stderr


def test_instagram_hashtag_search_stores_authorless_media_and_looks_the_hashtag_up_once(run):
    graph = GraphApi([])
    graph.hashtag_media = [
        {"id": "17900000000000201", "caption": "Nước ngập #ngapnuoc", "media_type": "IMAGE", "comments_count": 1,
         "like_count": 4, "permalink": "https://www.instagram.com/p/Cxyz/"},
        {"id": "17900000000000202", "caption": "Mưa to #ngapnuoc", "media_type": "VIDEO", "comments_count": 0,
         "permalink": "https://www.instagram.com/reel/Cuvw/", "timestamp": "2026-09-14T08:00:00+0000"}]
    with FakeApi(graph) as api:
        graph.base = api.base
        _add(run, api, "instagram", "#NgapNuoc")
        assert run("collect", "--workspace", "w", "--once").code == 0
        assert run("collect", "--workspace", "w", "--once", "--now").code == 0
        searches = [r for r in api.requests if r.path == "/ig_hashtag_search"]
    assert searches[-1].query == {"user_id": "17841400000000001", "q": "ngapnuoc"}
    assert len(searches) == 2  # the connection test and the first run; the id is kept in the cursor after that
    assert _query(run.db, "SELECT count(*) FROM posts WHERE platform = 'instagram'")[0][0] == 2


def test_instagram_media_comments_and_their_replies_are_stored_without_handles(run):
    graph = GraphApi([])
    with FakeApi(graph) as api:
        graph.base = api.base
        _add(run, api, "instagram", "media:17900000000000300")
        assert run("collect", "--workspace", "w", "--once").code == 0
    assert "media{id}" in api.requests[-2].query["fields"]
    rows = _query(run.db, "SELECT post_id, kind, parent_id, text FROM posts ORDER BY post_id")
    assert [(r[0], r[1], r[2]) for r in rows] == [("17950000000000301", "comment", "17900000000000300"),
                                                  ("17950000000000302", "reply", "17950000000000301")]
    assert "hoa.le" not in rows[1][3]


@pytest.mark.parametrize(("platform", "target"), [("facebook", "profile:100001"), ("facebook", "group:42"),
                                                  ("instagram", "@someone"), ("instagram", "business_discovery:x")])
def test_people_and_groups_are_refused(platform, target):
    with pytest.raises(TargetError, match="per-person"):
        get(platform).validate_target(target)

"""Bluesky searchPosts end to end: cursor paging, `since` between runs, sessions refreshed when they expire."""

from __future__ import annotations

import json

import pytest
from fake_api import LOOPBACK, FakeApi, cli
from fake_platforms import NEEDS_SHARED, BlueskySearch, bsky_post, shared_json

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    return invoke


def _query(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def test_search_pages_with_cursor_then_asks_only_for_newer_posts(run):
    search = BlueskySearch([bsky_post(n) for n in range(1, 61)], page_size=25)
    with FakeApi(search) as api:
        source = run("sources", "add", "--workspace", "w", "--platform", "bluesky", "--target", "ngập nước",
                     "--api-base", api.base)
        assert source.code == 0, source.stderr
        assert run("collect", "--workspace", "w", "--once").code == 0
        assert [r.query.get("cursor") for r in api.requests[1:]] == [None, "25", "50"]
        search.posts += [bsky_post(n) for n in range(61, 64)]
        assert run("collect", "--workspace", "w", "--once", "--now").code == 0
        assert api.requests[-1].query["since"] == bsky_post(60)["indexedAt"]
    rows = _query(run.db, "SELECT post_id, text, author_key FROM posts")
    assert len(rows) == 63 and len({r[0] for r in rows}) == 63
    assert all("nguoi" not in r[1] and r[2] for r in rows)


def test_an_expired_session_is_refreshed_and_a_wrong_password_is_refused(run, tmp_path):
    search = BlueskySearch([bsky_post(n) for n in range(1, 80)], page_size=20, require_session=True,
                           session_lifetime=2)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"identifier": "tester.bsky.social", "app_password": "app-pass-1234"}))
    bad.write_text(json.dumps({"identifier": "tester.bsky.social", "app_password": "wrong"}))
    with FakeApi(search) as api:
        refused = run("sources", "add", "--workspace", "w", "--platform", "bluesky", "--target", "lũ",
                      "--api-base", api.base, "--credentials", str(bad))
        assert refused.code == 1 and "Invalid identifier or password" in refused.stderr
        assert run("sources", "add", "--workspace", "w", "--platform", "bluesky", "--target", "lũ",
                   "--api-base", api.base, "--credentials", str(good)).code == 0
        assert run("collect", "--workspace", "w", "--once").code == 0
        assert "/xrpc/com.atproto.server.refreshSession" in api.paths()
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 79


@NEEDS_SHARED
def test_the_recorded_search_page_shape_is_stored(run):
    recorded = shared_json("bluesky/appview/searchPosts.json")
    search = BlueskySearch(recorded["posts"])
    with FakeApi(search) as api:
        run("sources", "add", "--workspace", "w", "--platform", "bluesky", "--target", "x", "--api-base", api.base)
        assert run("collect", "--workspace", "w", "--once").code == 0
    assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == len(recorded["posts"])


@pytest.mark.parametrize("query", ["from:alice.bsky.social", "lũ mentions:bob", "@alice.bsky.social", "did:plc:abc"])
def test_account_queries_are_refused(query):
    with pytest.raises(TargetError, match="per-person"):
        get("bluesky").validate_target(query)

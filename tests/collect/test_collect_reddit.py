"""Reddit end to end: client-credentials token (refreshed on 401), `after` sweeps, comment trees with `more`."""

from __future__ import annotations

import copy
import json

import pytest
from fake_api import LOOPBACK, FakeApi, Reply, cli
from fake_platforms import NEEDS_SHARED, RedditApi, reddit_post, shared_json

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    invoke.creds = tmp_path / "reddit.json"
    invoke.creds.write_text(json.dumps({"client_id": "cid", "client_secret": "csecret"}))
    return invoke


def _query(db, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api, target: str) -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", "reddit", "--target", target, "--api-base",
                api.base, "--credentials", str(run.creds))
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def test_new_posts_sweep_back_with_after_and_an_expired_token_is_refreshed(run):
    reddit = RedditApi([reddit_post(n) for n in range(1, 251)], token_lifetime=2)
    with FakeApi(reddit) as api:
        _add(run, api, "r/vietnam")
        first = run("collect", "--workspace", "w", "--once")
        assert first.code == 0, first.stderr
        listings = [r for r in api.requests if r.path == "/r/vietnam/new"]
        # (a request refused with 401 is repeated with the same `after` once the token is fresh)
        assert list(dict.fromkeys(r.query.get("after") for r in listings)) == [None, "t3_p00151", "t3_p00051"]
        assert reddit.tokens_issued >= 2  # the token expired mid-sweep and was fetched again
        assert _query(run.db, "SELECT count(*) FROM posts")[0][0] == 250
        reddit.posts += [reddit_post(n) for n in range(251, 256)]
        before = len(api.requests)
        assert run("collect", "--workspace", "w", "--once", "--now").code == 0
        sweep = [r for r in api.requests[before:] if r.path == "/r/vietnam/new"]
        assert len(sweep) == 1  # the first page reaches the previous sweep's newest post: stop
    rows = _query(run.db, "SELECT post_id, text, author_key FROM posts")
    assert len(rows) == 255 and len({r[0] for r in rows}) == 255
    assert all("minh_tran" not in r[1] and r[2] for r in rows)


@NEEDS_SHARED
def test_a_comment_tree_is_read_with_its_more_stubs_expanded(run):
    thread = copy.deepcopy(shared_json("reddit/thread_small_2016.json"))
    more = shared_json("reddit/morechildren_2016.json")
    ids = [t["data"]["id"] for t in more["json"]["data"]["things"]]
    thread[1]["data"]["children"].append({"kind": "more", "data": {"count": len(ids), "name": "t1_more",
                                                                   "id": "more", "children": ids, "depth": 0}})
    reddit = RedditApi([])
    reddit.thread, reddit.more = thread, {",".join(ids): more}
    post_id = thread[0]["data"]["children"][0]["data"]["id"]
    with FakeApi(reddit) as api:
        _add(run, api, f"r/test/comments/{post_id}")
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    assert api.requests[-1].path == "/api/morechildren" and api.requests[-1].query["link_id"] == f"t3_{post_id}"
    stored = _query(run.db, "SELECT count(*) FROM posts")[0][0]
    assert stored == 1 + 2 + len(ids)  # the post, its two comments, and the expanded ones


def test_refused_client_credentials_fail_the_test_and_a_5xx_storm_fails_the_run(run, tmp_path):
    reddit = RedditApi([reddit_post(1)])
    with FakeApi(reddit) as api:
        wrong = tmp_path / "wrong.json"
        wrong.write_text(json.dumps({"client_id": "cid", "client_secret": "nope"}))
        refused = run("sources", "add", "--workspace", "w", "--platform", "reddit", "--target", "r/vietnam",
                      "--api-base", api.base, "--credentials", str(wrong))
        assert refused.code == 1 and "refused the credentials" in refused.stderr and "nope" not in refused.stderr
        _add(run, api, "r/vietnam")
        reddit.fail_next = [Reply(500, b"<html>Internal</html>", {"retry-after": "0"})] * 5
        failed = run("collect", "--workspace", "w", "--once")
    assert failed.code == 2 and "gave up after 5 attempts: HTTP 500" in failed.stderr


@pytest.mark.parametrize("target", ["u/minh_tran", "/user/minh_tran/submitted", "search:author:minh_tran"])
def test_user_targets_are_refused(target):
    with pytest.raises(TargetError, match="per-person"):
        get("reddit").validate_target(target)


@pytest.mark.parametrize(("given", "normal"), [("r/VietNam", "r/VietNam"), ("/r/vietnam/new/", "r/vietnam"),
                                               ("r/vietnam/hot", "r/vietnam/hot"),
                                               ("r/vietnam/search:ngập lụt", "r/vietnam/search:ngập lụt"),
                                               ("r/vietnam/comments/2GMZQE/title/", "r/vietnam/comments/2gmzqe")])
def test_targets_are_normalized(given, normal):
    assert get("reddit").validate_target(given) == normal

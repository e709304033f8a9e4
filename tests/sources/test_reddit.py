"""Reddit JSON API source: listings, threads, morechildren, /api/info."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.sources import get
from civicpulse.sources.base import COMMON_AUTHOR_FIELDS, ParseContext, Reject, Skip

FIXTURES = Path(__file__).parent.parent / "fixtures" / "reddit"
SOURCE = get("reddit")


def ctx() -> ParseContext:
    return ParseContext(pseudonymize=lambda platform, author: f"k:{author}", keep_raw=True,
                        author_fields=COMMON_AUTHOR_FIELDS | SOURCE.author_fields)


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def parse(doc) -> list:
    return list(SOURCE.parse(doc, ctx()))


def by_id(items: list) -> dict:
    return {i.post_id: i for i in items if isinstance(i, (Post, Deletion))}


def comment(name: str, **data) -> dict:
    base = {"name": name, "parent_id": "t3_p", "link_id": "t3_p", "author": "someone", "body": "hi",
            "created_utc": 1700000000.0, "edited": False, "score": 1, "replies": ""}
    return {"kind": "t1", "data": {**base, **data}}


def listing(*things: dict) -> dict:
    return {"kind": "Listing", "data": {"after": None, "before": None, "children": list(things)}}


def test_thread_post_fields():
    items = by_id(parse(load("thread.json")))
    post = items["t3_abc123"]
    assert post.kind is Kind.POST
    assert post.text == ("Bus route 7 is changing & nobody told us\n\n"
                         "The council meeting is on Monday. Ask @user for the minutes.")
    assert post.thread_id == "t3_abc123" and post.parent_id is None
    assert post.created_at == datetime(2023, 11, 14, 22, 13, 20)
    assert post.edited is True  # `edited` is an epoch float
    assert (post.likes, post.replies) == (42, 4)
    assert post.author_key == "k:t2_otter42"  # author_fullname preferred over the name
    assert post.url == "https://www.reddit.com/r/civictest/comments/abc123/bus_route_7_is_changing/"
    assert post.language is None and post.source_format == "reddit"


def test_thread_comment_tree_more_stubs_and_deletions():
    items = parse(load("thread.json"))
    assert not [i for i in items if isinstance(i, Reject)]  # `more` stubs are neither posts nor rejects
    assert [getattr(i, "post_id", i) for i in items] == [
        "t3_abc123", "t1_c1", "t1_c2", "t1_c3", Skip("reddit more thing is not a post"), "t1_c4",
        Skip("reddit more thing is not a post")]
    found = by_id(items)
    first = found["t1_c1"]
    assert first.kind is Kind.COMMENT and first.parent_id == "t3_abc123" and first.thread_id == "t3_abc123"
    assert first.text == "Route 7 <3 was the only one that reached the clinic."
    assert first.edited is False and first.replies is None and first.likes == 5
    reply = found["t1_c3"]
    assert reply.kind is Kind.REPLY and reply.parent_id == "t1_c1" and reply.thread_id == "t3_abc123"
    assert reply.created_at == datetime(2023, 11, 14, 22, 18, 20)  # integer epoch also accepted
    assert reply.url is None  # 2016-style comments carry no permalink
    assert found["t1_c2"] == Deletion("reddit", "t1_c2", "removed")
    assert found["t1_c4"] == Deletion("reddit", "t1_c4", "deleted")


def test_raw_is_scrubbed():
    posts = [i for i in parse(load("thread.json")) if isinstance(i, Post)]
    for post in posts:
        for secret in ("river_otter_42", "t2_otter42", "maple_reader", "t2_maple", "Otter Ward", "lamp_post_jo"):
            assert secret not in post.raw, (post.post_id, secret)
    raw_c1 = json.loads(next(p.raw for p in posts if p.post_id == "t1_c1"))
    assert "replies" not in raw_c1 and raw_c1["body"].startswith("Route 7")


def test_profile_post_link_and_raw_drop_the_name():
    post = {"kind": "t3", "data": {
        "name": "t3_u1", "author": "river_otter_42", "author_fullname": "t2_otter42", "title": "My own page",
        "selftext": "", "created_utc": 1700000000.0, "edited": False, "subreddit": "u_river_otter_42",
        "subreddit_name_prefixed": "u/river_otter_42", "permalink": "/r/u_river_otter_42/comments/u1/my_own_page/"}}
    [item] = parse(listing(post))
    assert item.url is None
    assert "river_otter_42" not in item.raw and "t2_otter42" not in item.raw
    assert item.text == "My own page"


def test_morechildren_envelope():
    item, stub = parse(load("morechildren.json"))
    assert stub == Skip("reddit more thing is not a post")
    assert item.post_id == "t1_m1" and item.kind is Kind.REPLY and item.parent_id == "t1_c9"
    assert item.author_key == "k:quiet_heron"  # old payloads have no author_fullname


def test_api_info_deleted_comment():
    doc = listing(comment("t1_gone", author="[deleted]", body="[deleted]"))
    assert parse(doc) == [Deletion("reddit", "t1_gone", "deleted")]


def test_deleted_and_moderator_removed_posts():
    deleted = {"kind": "t3", "data": {"name": "t3_d", "author": "[deleted]", "title": "Gone", "selftext": "[deleted]",
                                      "created_utc": 1700000000.0}}
    by_category = {"kind": "t3", "data": {"name": "t3_e", "author": "[deleted]", "title": "Gone too",
                                          "selftext": "", "removed_by_category": "deleted",
                                          "created_utc": 1700000000.0}}
    removed = {"kind": "t3", "data": {"name": "t3_r", "author": "alder", "title": "Still titled",
                                      "selftext": "[removed]", "created_utc": 1700000000.0}}
    out = parse(listing(deleted, by_category, removed))
    assert out[:2] == [Deletion("reddit", "t3_d", "deleted"), Deletion("reddit", "t3_e", "deleted")]
    assert out[2].text == "Still titled" and out[2].author_key == "k:alder"


def test_deleted_author_with_body_keeps_text_without_author():
    [item] = parse(listing(comment("t1_orphan", author="[deleted]", body="Words remain")))
    assert item.text == "Words remain" and item.author_key is None


def test_bad_items_become_rejects_and_others_land():
    doc = listing(
        comment("t1_ok1"),
        comment("t1_bad", created_utc=None),
        comment("t1_bad2", edited="yesterday"),
        {"kind": "t9", "data": {}},
        "not a thing",
        comment("t1_ok2", replies={"kind": "Listing", "data": {"children": [comment("t1_nested", parent_id="t1_ok2",
                                                                                      score="many")]}}),
    )
    out = parse(doc)
    assert [i.post_id for i in out if isinstance(i, Post)] == ["t1_ok1", "t1_ok2"]
    assert not [i for i in out if isinstance(i, Skip)]
    rejects = [(r.path, r.reason) for r in out if isinstance(r, Reject)]
    assert rejects == [
        ("$.data.children[1].data.created_utc", "required field is missing"),
        ("$.data.children[2].data.edited", "expected false or an epoch time, got 'yesterday'"),
        ("$.data.children[3].kind", "unknown thing kind 't9'"),
        ("$.data.children[4]", "expected an object, got the string 'not a thing'"),
        ("$.data.children[5].data.replies.data.children[0].data.score", "expected an integer, got the string 'many'"),
    ]


def test_thread_with_a_broken_listing():
    doc = load("thread.json")
    doc[1] = {"kind": "Listing"}
    out = parse(doc)
    assert [i.post_id for i in out if isinstance(i, Post)] == ["t3_abc123"]
    [reject] = [i for i in out if isinstance(i, Reject)]
    assert reject.path == "$[1].data" and reject.reason == "required field is missing"


@pytest.mark.parametrize("body, message", [
    ({"message": "Forbidden", "error": 403}, "API error body: 403 / Forbidden"),
    ({"json": {"errors": [["RATELIMIT", "you are doing that too much", "ratelimit"]]}},
     "API error body: RATELIMIT / you are doing that too much / ratelimit"),
    ({"error": {"code": 500, "message": "Internal"}}, "API error body: 500 / Internal"),
])
def test_error_bodies(body, message):
    assert [(r.path, r.reason) for r in parse(body)] == [("$", message)]


def test_html_entities_in_non_raw_json_payloads():
    [item] = parse(listing(comment("t1_h", body="Tom &amp; Jerry &gt; cats &#39;n&#39; dogs")))
    assert item.text == "Tom & Jerry > cats 'n' dogs"


OTHER_PLATFORMS = [
    {"id": "1", "uri": "https://m.example/1", "content": "<p>x</p>", "account": {"id": "2"}},  # mastodon
    {"data": [{"id": "1", "text": "x"}], "includes": {}},  # X v2
    {"kind": "youtube#commentThreadListResponse", "items": []},  # YouTube
    {"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "record": {}, "author": {}}]},  # Bluesky
    {"name": "c", "type": "public_channel", "id": 1, "messages": []},  # Telegram
    {"data": {"videos": []}, "error": {"code": "ok"}},  # TikTok
    [{"id": "1", "content": "x", "account": {}, "uri": "u"}],
]


def test_sniff():
    assert SOURCE.sniff(load("thread.json"))
    assert SOURCE.sniff(load("morechildren.json"))
    assert SOURCE.sniff(listing())
    for doc in OTHER_PLATFORMS:
        assert not SOURCE.sniff(copy.deepcopy(doc)), doc

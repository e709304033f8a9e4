"""Bluesky sources: appview responses, repository records and Jetstream lines."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.sources import detect, get
from civicpulse.sources.base import COMMON_AUTHOR_FIELDS, ParseContext, Reject, Skip
from civicpulse.sources.bluesky import pseudo_uri

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bluesky"
APPVIEW, RECORD, JETSTREAM = get("bluesky-appview"), get("bluesky-record"), get("bluesky-jetstream")
FERN, BIRCH, CEDAR = "did:plc:fernwood0001", "did:plc:birch0002", "did:plc:cedar0005"


def ctx(pseudonymize=lambda platform, author: f"k:{author}") -> ParseContext:
    return ParseContext(pseudonymize=pseudonymize, keep_raw=True,
                        author_fields=COMMON_AUTHOR_FIELDS | APPVIEW.author_fields)


def hashed(platform: str, author: str) -> str:
    return "k" + hashlib.sha256(f"{platform}:{author}".encode()).hexdigest()[:10]


def uri(did: str, rkey: str) -> str:
    return f"at://k:{did}/app.bsky.feed.post/{rkey}"


def thread() -> dict:
    return json.loads((FIXTURES / "thread.json").read_text())


def jetstream_lines() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "jetstream.jsonl").read_text().splitlines()]


def post_view(did: str, rkey: str, text: str = "hello", **extra) -> dict:
    return {"uri": f"at://{did}/app.bsky.feed.post/{rkey}", "cid": "bafy", "author": {"did": did, "handle": "h.test"},
            "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2024-05-02T08:00:00.000Z"},
            "indexedAt": "2024-05-02T08:00:01.000Z", **extra}


def test_pseudo_uri_replaces_the_did_only():
    assert pseudo_uri(f"at://{FERN}/app.bsky.feed.post/3k", ctx()) == uri(FERN, "3k")
    with pytest.raises(Exception, match="expected an at:// URI"):
        pseudo_uri("https://bsky.app/profile/x/post/3k", ctx())


def test_thread_walks_parents_and_replies_and_skips_unavailable_nodes():
    items = list(APPVIEW.parse(thread(), ctx()))
    # notFound / blocked nodes are not errors, only skipped
    assert [i for i in items if not isinstance(i, Post)] == [
        Skip("thread node for a post that is not found or blocked")] * 2
    posts = {p.post_id: p for p in items if isinstance(p, Post)}
    assert set(posts) == {uri(FERN, "3kfern002"), uri(BIRCH, "3kbirch001"), uri(CEDAR, "3kcedar003")}

    fern = posts[uri(FERN, "3kfern002")]
    assert fern.kind is Kind.REPLY
    assert fern.parent_id == fern.thread_id == uri(BIRCH, "3kbirch001")
    assert fern.text == "Replying to @user: the library opens at nine now."
    assert fern.created_at == datetime(2024, 5, 1, 10, 0)  # createdAt without zone -> UTC, preferred
    assert fern.language == "en"
    assert (fern.likes, fern.replies, fern.shares, fern.quotes, fern.views) == (9, 2, 1, 0, None)
    assert fern.author_key == f"k:{FERN}" and fern.url is None

    birch = posts[uri(BIRCH, "3kbirch001")]
    assert birch.kind is Kind.POST and birch.parent_id is None and birch.thread_id == birch.post_id
    assert birch.language is None  # "und"

    cedar = posts[uri(CEDAR, "3kcedar003")]
    assert cedar.parent_id == fern.post_id and cedar.thread_id == birch.post_id
    assert cedar.created_at == datetime(2024, 5, 1, 11, 30)  # malformed createdAt -> indexedAt


def test_raw_pseudonymizes_dids_and_drops_people():
    for post in (p for p in APPVIEW.parse(thread(), ctx(hashed)) if isinstance(p, Post)):
        for secret in ("did:", "fernwood", "birch.bsky", "Fern Wood", "cedar.example", "viewer0009"):
            assert secret not in post.raw, (post.post_id, secret)
        assert "at://" in post.raw  # uris are kept, with the DID replaced (pseudonym or redaction)


def test_ids_agree_across_appview_records_and_jetstream():
    fern_view = next(p for p in APPVIEW.parse(thread(), ctx()) if getattr(p, "post_id", "").endswith("3kfern002"))
    record = {"uri": f"at://{FERN}/app.bsky.feed.post/3kfern002", "cid": "bafyfern002",
              "value": thread()["thread"]["post"]["record"]}
    [from_record] = RECORD.parse(record, ctx())
    delete = {"did": FERN, "time_us": 1714557720000000, "kind": "commit",
              "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": "3kfern002"}}
    [deletion] = JETSTREAM.parse(delete, ctx())
    assert fern_view.post_id == from_record.post_id == deletion.post_id
    assert from_record.parent_id == fern_view.parent_id and from_record.author_key == fern_view.author_key
    assert from_record.likes is None  # records carry no counts


def test_search_posts_get_posts_and_feeds():
    posts = {"posts": [post_view(FERN, "a1", "one"), post_view(BIRCH, "a2", "two", likeCount=3)], "cursor": "x"}
    out = list(APPVIEW.parse(posts, ctx()))
    assert [(p.post_id, p.text, p.likes) for p in out] == [(uri(FERN, "a1"), "one", None), (uri(BIRCH, "a2"), "two", 3)]
    feed = {"feed": [{"post": post_view(FERN, "f1")},
                     {"post": post_view(BIRCH, "f2"), "reason": {"$type": "app.bsky.feed.defs#reasonRepost",
                                                                  "by": {"did": FERN}}}], "cursor": "c"}
    assert [p.post_id for p in APPVIEW.parse(feed, ctx())] == [uri(FERN, "f1"), uri(BIRCH, "f2")]


def test_bad_item_among_good():
    broken = post_view(CEDAR, "b2")
    del broken["record"]
    bad_uri = post_view(CEDAR, "b3")
    bad_uri["uri"] = "https://bsky.app/profile/cedar/post/b3"
    bad_reply = post_view(CEDAR, "b4")
    bad_reply["record"]["reply"] = {"root": {"uri": "at://x/app.bsky.feed.post/1"}}
    out = list(APPVIEW.parse({"posts": [post_view(FERN, "b1"), broken, bad_uri, bad_reply, 7]}, ctx()))
    assert [p.post_id for p in out if isinstance(p, Post)] == [uri(FERN, "b1")]
    assert [(r.path, r.reason) for r in out if isinstance(r, Reject)] == [
        ("$.posts[1].record", "required field is missing"),
        ("$.posts[2].uri", "expected an at:// URI, got 'https://bsky.app/profile/cedar/post/b3'"),
        ("$.posts[3].record.reply.parent", "required field is missing"),
        ("$.posts[4]", "expected an object, got the number 7"),
    ]


def test_error_body():
    body = {"error": "InvalidRequest", "message": "Profile not found"}
    for source in (APPVIEW, RECORD, JETSTREAM):
        assert [(r.path, r.reason) for r in source.parse(body, ctx())] == [
            ("$", "API error body: InvalidRequest / Profile not found")]


def test_records():
    value = {"$type": "app.bsky.feed.post", "text": "From the repo", "createdAt": "2024-05-03T12:00:00+02:00",
             "langs": ["de"], "lol": "unknown keys are allowed"}
    listed = {"records": [
        {"uri": f"at://{FERN}/app.bsky.feed.like/3klike", "cid": "c1",
         "value": {"$type": "app.bsky.feed.like", "createdAt": "2024-05-03T12:00:00Z"}},
        {"uri": f"at://{FERN}/app.bsky.feed.post/3kr", "cid": "c2", "value": value},
    ], "cursor": "3kr"}
    skip, post = RECORD.parse(listed, ctx())
    assert skip == Skip("app.bsky.feed.like record is not a post")
    assert post.post_id == uri(FERN, "3kr") and post.author_key == f"k:{FERN}"
    assert post.created_at == datetime(2024, 5, 3, 10, 0) and post.language == "de" and post.kind is Kind.POST
    assert "did:plc" not in json.loads(post.raw)["uri"].replace(f"k:{FERN}", "")


def test_bare_record_is_rejected_clearly():
    bare = {"$type": "app.bsky.feed.post", "text": "orphan", "createdAt": "2024-05-03T12:00:00Z"}
    [reject] = RECORD.parse(bare, ctx())
    assert isinstance(reject, Reject) and reject.path == "$" and "no at:// URI" in reject.reason


def test_jetstream_events():
    out = [i for line in jetstream_lines() for i in JETSTREAM.parse(line, ctx())]
    assert [i for i in out if isinstance(i, Skip)] == [Skip("Jetstream app.bsky.feed.like commit is not a post"),
                                                       Skip("Jetstream identity event is not a post"),
                                                       Skip("Jetstream account event is not a post")]
    created, updated, deletion, reply = (i for i in out if not isinstance(i, Skip))
    assert isinstance(created, Post) and isinstance(reply, Post)
    assert created.post_id == updated.post_id == uri(FERN, "3kfern010")
    assert created.text == "Street lights are out on Elm Road." and created.language == "en"
    assert created.edited is False and updated.edited is True
    assert created.created_at == datetime(2024, 5, 1, 10, 0) and created.source_format == "bluesky-jetstream"
    assert deletion == Deletion("bluesky", uri(FERN, "3kfern010"), "deleted")
    assert reply.kind is Kind.REPLY and reply.parent_id == created.post_id and reply.thread_id == created.post_id
    assert reply.created_at == datetime(2024, 5, 1, 8, 6)  # +02:00 converted to UTC
    assert "did:plc" not in reply.raw.replace("k:did:plc", "")


def test_jetstream_falls_back_to_time_us_and_rejects_incomplete_commits():
    line = jetstream_lines()[0]
    del line["commit"]["record"]["createdAt"]
    [post] = JETSTREAM.parse(line, ctx())
    assert post.created_at == datetime(2024, 5, 1, 10, 0)  # from time_us (µs)
    broken = jetstream_lines()[0]
    del broken["commit"]["record"]
    [reject] = JETSTREAM.parse(broken, ctx())
    assert (reject.path, reject.reason) == ("$.commit.record", "required field is missing")


OTHER_PLATFORMS = [
    {"id": "1", "uri": "https://m.example/1", "content": "<p>x</p>", "account": {"id": "2"}},  # mastodon
    {"data": [{"id": "1", "text": "x"}], "includes": {}},  # X v2
    {"kind": "Listing", "data": {"children": []}},  # Reddit
    {"name": "c", "type": "public_channel", "id": 1, "messages": []},  # Telegram
    {"data": {"videos": []}, "error": {"code": "ok"}},  # TikTok
    {"kind": "youtube#videoListResponse", "items": [{"id": "v"}]},  # YouTube
    {"feed": [{"post": "at://did:plc:a/app.bsky.feed.post/1"}]},  # a feed skeleton holds no posts
]


def test_sniff():
    assert APPVIEW.sniff(thread())
    assert APPVIEW.sniff({"posts": [post_view(FERN, "s")]})
    assert APPVIEW.sniff({"feed": [{"post": post_view(FERN, "s")}]})
    assert RECORD.sniff({"uri": f"at://{FERN}/app.bsky.feed.post/3", "value": {"$type": "app.bsky.feed.post"}})
    assert RECORD.sniff({"$type": "app.bsky.feed.post", "text": "x"})
    assert RECORD.sniff({"records": [{"uri": f"at://{FERN}/app.bsky.feed.post/3", "value": {"$type": "x"}}]})
    assert all(JETSTREAM.sniff(line) for line in jetstream_lines())
    mine = [thread(), {"$type": "app.bsky.feed.post"}, jetstream_lines()[0]]
    for source in (APPVIEW, RECORD, JETSTREAM):
        for doc in OTHER_PLATFORMS:
            assert not source.sniff(copy.deepcopy(doc)), (source.name, doc)
        assert sum(source.sniff(doc) for doc in mine) == 1  # the three formats do not claim each other's shapes
    assert detect(jetstream_lines()[4]) is JETSTREAM  # identity events are claimed (then skipped), not unknown

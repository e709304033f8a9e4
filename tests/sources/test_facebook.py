"""Facebook Graph API source: feeds, single posts, comments edges, ?ids= batches, error bodies."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from support import make_context, parse_with, posts

from civicpulse.schema import Kind
from civicpulse.sources import detect, get
from civicpulse.sources.base import ParseContext, Reject

FIXTURES = Path(__file__).parent.parent / "fixtures" / "facebook"
SOURCE = get("facebook")
POST_LINK = "https://www.facebook.com/111/posts/222/"


def ctx() -> ParseContext:
    return make_context(SOURCE)


def parse(doc) -> list:
    return parse_with(SOURCE, doc)


def feed() -> dict:
    return json.loads((FIXTURES / "page_feed.json").read_text())


def comments_page(*comments: dict, edge: str | None = "111_222") -> dict:
    doc: dict = {"data": list(comments), "summary": {"total_count": len(comments)}}
    if edge:
        doc["paging"] = {"cursors": {"after": "A"},
                         "next": f"https://graph.facebook.com/v19.0/{edge}/comments?limit=2&after=A"}
    return doc


def test_post_fields():
    post = posts(parse(feed()))["111_222"]
    assert post.kind is Kind.POST and post.platform == "facebook"
    assert post.created_at == datetime(2024, 5, 1, 8, 30, 0)  # +0000 offset without colon
    assert (post.likes, post.replies, post.shares) == (31, 2, 4)
    assert post.author_key == "k:111"
    assert (post.place_name, post.place_country, post.place_lat, post.place_lon) == (
        "Le Loi Street", "Vietnam", 16.46, 107.59)
    assert post.language is None and post.edited is False
    # The page's permalink embeds the page id, which is the author: the base class drops it.
    assert post.url is None


def test_tagged_person_is_masked_and_story_is_not_text():
    post = posts(parse(feed()))["111_222"]
    assert post.text == "Road works on Le Loi street start Monday. Thanks @user for the photos 📷"
    assert "added" not in post.text


def test_tag_offsets_in_utf16_units():
    doc = {"id": "1_2", "created_time": "2024-01-01T00:00:00+0000", "message": "📷 Thanks Jane Roe!",
           "message_tags": [{"id": "5", "name": "Jane Roe", "type": "user", "offset": 10, "length": 8},
                            {"id": "6", "name": "Thanks", "type": "page", "offset": 3, "length": 6}]}
    assert parse(doc)[0].text == "📷 Thanks @user!"  # the page tag keeps its name


def test_post_without_from_or_message():
    post = posts(parse(feed()))["111_223"]
    assert post.author_key is None and post.text == ""
    assert post.url == "https://www.facebook.com/111/posts/223/"
    assert (post.likes, post.replies, post.shares) == (None, None, None)


def test_nested_comments_and_replies():
    got = posts(parse(feed()))
    comment, reply = got["222_333"], got["222_334"]
    assert comment.kind is Kind.COMMENT and comment.parent_id == "111_222" and comment.thread_id == "111_222"
    assert (comment.likes, comment.replies) == (2, 1) and comment.author_key == "k:888"
    assert reply.kind is Kind.REPLY and reply.parent_id == "222_333" and reply.thread_id == "111_222"


def test_bad_post_is_rejected_and_others_land():
    items = parse(feed())
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.path for r in rejects] == ["$.data[2].created_time"]
    assert set(posts(items)) == {"111_222", "111_223", "222_333", "222_334"}


def test_raw_is_scrubbed():
    for post in posts(parse(feed())).values():
        for secret in ("District Office", "Jane Roe", "Reacting Person", "777", "Commenter One", "Replier Two",
                       '"888"', '"999"'):
            assert secret not in post.raw, (post.post_id, secret)
    raw = json.loads(posts(parse(feed()))["111_222"].raw)
    assert raw["reactions"] == {"summary": {"total_count": 31, "viewer_reaction": "NONE"}}
    assert "data" not in raw["comments"]  # nested comments land as their own rows


def test_comments_edge_without_ids_uses_the_permalink():
    # `id` and `from` may be absent (no page token): ids come from comment_id / reply_comment_id.
    doc = comments_page(
        {"created_time": "2024-05-01T09:00:00+0000", "message": "top", "like_count": 1, "comment_count": 1,
         "permalink_url": f"{POST_LINK}?comment_id=333"},
        {"created_time": "2024-05-01T09:05:00+0000", "message": "reply", "like_count": 0, "comment_count": 0,
         "permalink_url": f"{POST_LINK}?comment_id=333&reply_comment_id=334"},
    )
    got = posts(parse(doc))
    assert got["222_333"].kind is Kind.COMMENT and got["222_333"].parent_id == "111_222"
    assert got["222_334"].kind is Kind.REPLY and got["222_334"].parent_id == "222_333"
    assert got["222_334"].thread_id == "111_222" and got["222_334"].author_key is None
    assert got["222_334"].url == f"{POST_LINK}?comment_id=333&reply_comment_id=334"


def test_comments_edge_object_is_the_parent():
    # No permalink: the post (or comment) named in paging.next is the parent.
    on_post = comments_page({"id": "222_340", "message": "a", "created_time": "2024-05-01T09:00:00+0000"})
    (comment,) = parse(on_post)
    assert comment.kind is Kind.COMMENT and comment.parent_id == "111_222" and comment.thread_id == "111_222"
    on_comment = comments_page({"id": "222_341", "message": "b", "created_time": "2024-05-01T09:00:00+0000"},
                               edge="222_340")
    (reply,) = parse(on_comment)
    assert reply.kind is Kind.REPLY and reply.parent_id == "222_340" and reply.thread_id is None


def test_parent_field_wins_and_three_part_ids_name_their_post():
    doc = comments_page({"id": "111_222_350", "message": "x", "created_time": "2024-05-01T09:00:00+0000",
                         "likes": 3}, edge=None)
    (comment,) = parse(doc)
    assert comment.kind is Kind.COMMENT and comment.parent_id == "111_222" and comment.likes == 3
    doc = comments_page({"id": "222_351", "message": "y", "created_time": "2024-05-01T09:00:00+0000",
                         "parent": {"id": "222_350"}})
    (reply,) = parse(doc)
    assert reply.kind is Kind.REPLY and reply.parent_id == "222_350" and reply.thread_id == "111_222"


def test_comment_without_id_or_permalink_is_rejected():
    doc = comments_page({"message": "x", "created_time": "2024-05-01T09:00:00+0000"},
                        {"id": "222_360", "message": "ok", "created_time": "2024-05-01T09:00:00+0000"})
    items = parse(doc)
    assert [(r.path, "missing" in r.reason) for r in items if isinstance(r, Reject)] == [("$.data[0].id", True)]
    assert set(posts(items)) == {"222_360"}


def test_ids_batch_and_single_objects():
    batch = {"111_222": {"id": "111_222", "message": "one", "created_time": "2024-05-01T00:00:00+0000",
                         "likes": {"data": [], "summary": {"total_count": 5}}},
             "111_223": {"id": "111_223", "message": "two", "created_time": "2024-05-02T00:00:00+0000",
                         "comments": {"data": [], "count": 9}}}
    assert SOURCE.sniff(batch)
    got = posts(parse(batch))
    assert got["111_222"].likes == 5 and got["111_223"].replies == 9
    single = {"id": "9_8", "message": "single", "created_time": "2024-05-01T00:00:00+0000", "status_type": "x"}
    assert SOURCE.sniff(single)
    assert parse(single)[0].post_id == "9_8"
    comment = {"id": "8_7", "message": "c", "created_time": "2024-05-01T00:00:00+0000", "comment_count": 0,
               "permalink_url": "https://www.facebook.com/9/posts/8/?comment_id=7"}
    (got_comment,) = parse(comment)
    assert got_comment.kind is Kind.COMMENT and got_comment.parent_id == "9_8"


def test_error_body_is_one_reject():
    doc = {"error": {"message": "(#100) Missing permission", "type": "OAuthException", "code": 100,
                     "fbtrace_id": "Abc"}}
    assert SOURCE.sniff(doc) and detect(doc) is SOURCE
    (reject,) = parse(doc)
    assert isinstance(reject, Reject) and reject.path == "$" and "Missing permission" in reject.reason


def test_sniff_accepts_feed_and_comment_pages():
    assert SOURCE.sniff(feed()) and detect(feed()) is SOURCE
    assert SOURCE.sniff(comments_page({"created_time": "2024-05-01T09:00:00+0000", "message": "m"}))
    assert not SOURCE.sniff({"data": []})


OTHER_SHAPES = {
    "x_v2": {"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2024-01-01T00:00:00.000Z"}]},
    "x_v1": {"id_str": "1", "full_text": "hi", "created_at": "Fri Jul 12 23:40:37 +0000 2019", "user": {}},
    "reddit": {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a", "title": "t"}}]}},
    "mastodon": {"id": "1", "uri": "https://m.example/1", "content": "<p>hi</p>", "account": {"id": "2"}},
    "bluesky": {"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": {"text": "hi"}}}]},
    "telegram": {"name": "c", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "hi"}]},
    "youtube": {"kind": "youtube#videoListResponse", "items": []},
    "youtube_error": {"error": {"code": 400, "message": "Bad", "errors": [{"domain": "usageLimits"}]}},
    "instagram_media": {"data": [{"id": "17", "caption": "hi", "timestamp": "2024-01-01T00:00:00+0000",
                                  "media_type": "IMAGE", "permalink": "https://www.instagram.com/p/x/"}]},
    "instagram_comments": {"data": [{"id": "17", "text": "hi", "timestamp": "2024-01-01T00:00:00+0000"}]},
    "instagram_single": {"id": "17", "caption": "hi", "timestamp": "2024-01-01T00:00:00+0000"},
    "tiktok": {"data": {"videos": [{"id": 1, "create_time": 1, "video_description": "d"}]},
               "error": {"code": "ok", "message": "", "log_id": "x"}},
    "tiktok_error": {"data": {}, "error": {"code": "invalid_params", "message": "bad", "log_id": "x"}},
    "mastodon_error": {"error": "Record not found"},
}


@pytest.mark.parametrize("name", sorted(OTHER_SHAPES))
def test_sniff_rejects_other_platforms(name):
    assert not SOURCE.sniff(OTHER_SHAPES[name])

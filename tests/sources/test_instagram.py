"""Instagram Graph API source: media lists, comments and replies edges, batches, business discovery."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from support import make_context, parse_with, posts

from civicpulse.schema import Kind
from civicpulse.sources import detect, get
from civicpulse.sources.base import ParseContext, Reject

FIXTURES = Path(__file__).parent.parent / "fixtures" / "instagram"
SOURCE = get("instagram")
MEDIA = "17900000000000001"


def ctx() -> ParseContext:
    return make_context(SOURCE)


def parse(doc) -> list:
    return parse_with(SOURCE, doc)


def media_list() -> dict:
    return json.loads((FIXTURES / "media_list.json").read_text())


def edge_page(edge: str, *items: dict) -> dict:
    return {"data": list(items), "paging": {"cursors": {"after": "A"},
                                            "next": f"https://graph.facebook.com/v19.0/{edge}?limit=2&after=A"}}


def test_media_fields():
    post = posts(parse(media_list()))[MEDIA]
    assert post.kind is Kind.POST and post.platform == "instagram"
    assert post.text == "Flooded street near the market this morning @user #flood"
    assert post.created_at == datetime(2024, 6, 10, 6, 15, 0)
    assert (post.likes, post.replies, post.shares) == (120, 2, None)
    assert post.url == "https://www.instagram.com/p/InventedCode1/"
    assert post.author_key == "k:17841400000000009"
    assert post.language is None and post.place_lat is None


def test_media_without_caption_or_like_count():
    post = posts(parse(media_list()))["17900000000000002"]
    assert post.text == "" and post.likes is None and post.replies == 0 and post.author_key is None


def test_nested_comments_and_replies():
    got = posts(parse(media_list()))
    comment, reply = got["17950000000000001"], got["17950000000000002"]
    assert comment.kind is Kind.COMMENT and comment.parent_id == MEDIA and comment.thread_id == MEDIA
    assert comment.likes == 3
    assert comment.author_key == "k:@neighbour_one"  # only the username is given: it is what gets keyed
    assert reply.kind is Kind.REPLY and reply.parent_id == "17950000000000001" and reply.thread_id == MEDIA
    assert reply.text == "@user thanks"


def test_bad_media_is_rejected_and_others_land():
    items = parse(media_list())
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.path for r in rejects] == ["$.data[2].timestamp"]
    assert len(posts(items)) == 4


def test_raw_is_scrubbed():
    for post in posts(parse(media_list())).values():
        for secret in ("city_reporter", "neighbour_one", "17841400000000009", "river_watch"):
            assert secret not in post.raw, (post.post_id, secret)
    # Nested replies land as their own rows, not inside their parent's raw.
    assert json.loads(posts(parse(media_list()))["17950000000000001"].raw)["replies"] == {}


def test_comments_edge_names_the_media():
    doc = edge_page("17900000000000005/comments",
                    {"id": "1801", "text": "nice", "timestamp": "2024-06-10T07:00:00+0000"},
                    {"id": "1802", "text": "reply", "timestamp": "2024-06-10T07:01:00+0000", "parent_id": "1801",
                     "from": {"id": "555", "username": "someone"}})
    got = posts(parse(doc))
    assert got["1801"].kind is Kind.COMMENT and got["1801"].parent_id == "17900000000000005"
    assert got["1802"].kind is Kind.REPLY and got["1802"].parent_id == "1801"
    assert got["1802"].thread_id == "17900000000000005" and got["1802"].author_key == "k:555"


def test_replies_edge_names_the_parent_comment():
    doc = edge_page("1801/replies", {"id": "1803", "text": "r", "timestamp": "2024-06-10T07:00:00+0000"})
    (reply,) = parse(doc)
    assert reply.kind is Kind.REPLY and reply.parent_id == "1801" and reply.thread_id is None


def test_comment_with_media_field_and_no_edge():
    doc = {"data": [{"id": "1804", "text": "x", "timestamp": "2024-06-10T07:00:00+0000",
                     "media": {"id": "17900000000000007"}}]}
    (comment,) = parse(doc)
    assert comment.kind is Kind.COMMENT and comment.parent_id == "17900000000000007"
    (bare,) = parse({"data": [{"id": "1805", "text": "y", "timestamp": "2024-06-10T07:00:00+0000"}]})
    assert bare.kind is Kind.COMMENT and bare.parent_id is None


def test_ids_batch_business_discovery_and_mentions():
    batch = {"1806": {"id": "1806", "text": "a", "timestamp": "2024-06-10T07:00:00+0000", "username": "u1"},
             "17900000000000008": {"id": "17900000000000008", "caption": "b", "media_type": "IMAGE",
                                   "timestamp": "2024-06-10T07:00:00+0000"}}
    assert SOURCE.sniff(batch)
    got = posts(parse(batch))
    assert got["1806"].kind is Kind.COMMENT and got["17900000000000008"].kind is Kind.POST
    discovery = {"business_discovery": {"id": "178414999", "username": "other_biz", "media": {"data": [
        {"id": "17900000000000009", "caption": "c", "timestamp": "2024-06-10T07:00:00+0000", "like_count": 5,
         "permalink": "https://www.instagram.com/p/InventedCode9/"}]}}, "id": "17841400000000009"}
    assert SOURCE.sniff(discovery)
    (post,) = parse(discovery)
    assert post.author_key == "k:178414999" and post.likes == 5 and "other_biz" not in (post.raw or "")
    mention = {"mentioned_comment": {"id": "1807", "text": "hi", "timestamp": "2024-06-10T07:00:00+0000"},
               "id": "17841400000000009"}
    assert SOURCE.sniff(mention)
    assert parse(mention)[0].post_id == "1807"


def test_error_body_is_parsed_but_claimed_by_facebook():
    doc = {"error": {"message": "Invalid OAuth access token", "type": "OAuthException", "code": 190,
                     "fbtrace_id": "Xyz"}}
    assert not SOURCE.sniff(doc)
    (reject,) = parse(doc)
    assert isinstance(reject, Reject) and reject.path == "$" and "Invalid OAuth" in reject.reason


def test_sniff_accepts_instagram_shapes():
    assert SOURCE.sniff(media_list()) and detect(media_list()) is SOURCE
    assert SOURCE.sniff({"data": [{"id": "1", "text": "t", "timestamp": "2024-06-10T07:00:00+0000"}]})
    assert SOURCE.sniff({"id": "1", "caption": "t", "timestamp": "2024-06-10T07:00:00+0000"})


OTHER_SHAPES = {
    "x_v2": {"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2024-01-01T00:00:00.000Z"}]},
    "reddit": {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a", "title": "t"}}]}},
    "mastodon": {"id": "1", "uri": "https://m.example/1", "content": "<p>hi</p>", "account": {"id": "2"}},
    "bluesky": {"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": {"text": "hi"}}}]},
    "telegram": {"name": "c", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "hi"}]},
    "youtube": {"kind": "youtube#commentThreadListResponse", "items": []},
    "facebook_feed": {"data": [{"id": "1_2", "message": "hi", "created_time": "2024-01-01T00:00:00+0000"}]},
    "facebook_comments": {"data": [{"message": "hi", "created_time": "2024-01-01T00:00:00+0000",
                                    "permalink_url": "https://www.facebook.com/1/posts/2/?comment_id=3"}]},
    "facebook_post": {"id": "1_2", "message": "hi", "created_time": "2024-01-01T00:00:00+0000"},
    "tiktok": {"data": {"comments": [{"id": 1, "video_id": 2, "text": "t", "create_time": 1}]},
               "error": {"code": "ok", "message": "", "log_id": "x"}},
    "generic_row": {"id": "1", "text": "hello", "timestamp": "2024-01-01 10:00:00"},
}


@pytest.mark.parametrize("name", sorted(OTHER_SHAPES))
def test_sniff_rejects_other_platforms(name):
    assert not SOURCE.sniff(OTHER_SHAPES[name])


def hashtag_page() -> dict:
    """A project-written /{hashtag-id}/recent_media page: no author at all, and no timestamp on the first item."""
    return edge_page("17843853986012965/recent_media",
                     {"id": "17900000000000101", "caption": "Nước ngập #ngapnuoc", "media_type": "IMAGE",
                      "comments_count": 3, "like_count": 12, "permalink": "https://www.instagram.com/p/Cabc123/"},
                     {"id": "17900000000000102", "caption": "Kẹt xe #ngapnuoc", "media_type": "VIDEO",
                      "comments_count": 0, "permalink": "https://www.instagram.com/reel/Cdef456/",
                      "timestamp": "2026-09-14T08:00:00+0000"})


def test_hashtag_media_without_author_or_timestamp_is_read():
    page = hashtag_page()
    assert SOURCE.sniff(page) and detect(page) is SOURCE
    found = posts(parse(page))
    assert sorted(found) == ["17900000000000101", "17900000000000102"]
    first, second = found["17900000000000101"], found["17900000000000102"]
    assert first.created_at is None and first.author_key is None and first.likes == 12
    assert second.created_at == datetime(2026, 9, 14, 8, 0)


def test_media_with_an_author_still_needs_its_timestamp():
    items = parse({"data": [{"id": "1", "caption": "c", "media_type": "IMAGE", "username": "someone",
                             "permalink": "https://www.instagram.com/p/X/"}]})
    assert isinstance(items[0], Reject) and items[0].path.endswith("timestamp")

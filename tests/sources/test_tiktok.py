"""TikTok Research API source: video query and comment list envelopes, big integer ids, error envelopes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest
from support import make_context, parse_with, posts

from civicpulse.schema import Kind
from civicpulse.sources import detect, get
from civicpulse.sources.base import ParseContext, Reject

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tiktok"
SOURCE = get("tiktok")
VIDEO = "7311111111111111111"


def ctx() -> ParseContext:
    return make_context(SOURCE)


def parse(doc) -> list:
    return parse_with(SOURCE, doc)


def videos() -> dict:
    return orjson.loads((FIXTURES / "video_query.json").read_bytes())


def comments(*items: dict) -> dict:
    return {"data": {"comments": list(items), "cursor": len(items), "has_more": False},
            "error": {"code": "ok", "message": "", "log_id": "L"}}


def test_video_fields():
    post = posts(parse(videos()))[VIDEO]
    assert post.kind is Kind.POST and post.platform == "tiktok"
    assert post.text == "Best pho in town #pho\n\ntoday we try the pho"
    assert post.created_at == datetime(2024, 5, 29, 16, 26, 40)
    assert (post.likes, post.replies, post.shares, post.views) == (1500, 42, 17, 98000)
    assert post.url == f"https://www.tiktok.com/@/video/{VIDEO}"
    assert post.author_key == "k:street_food_fan"
    assert post.language is None


def test_big_ids_stay_exact():
    got = posts(parse(videos()))
    # Through a float these would collapse to 7311111111111111xxx rounded to a multiple of 1024.
    assert set(got) == {"7311111111111111111", "7311111111111111113"}


def test_region_code_is_not_a_place():
    post = posts(parse(videos()))[VIDEO]
    assert (post.place_country, post.place_name, post.place_lat, post.place_lon) == (None, None, None, None)


def test_older_video_id_field_and_no_author():
    post = posts(parse(videos()))["7311111111111111113"]
    assert post.author_key is None and post.text == "older field name, no author"
    assert (post.likes, post.views) == (None, None)


def test_bad_video_is_rejected_and_others_land():
    items = parse(videos())
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.path for r in rejects] == ["$.data.videos[2].create_time"]
    assert len(posts(items)) == 2


def test_raw_is_scrubbed():
    for post in posts(parse(videos())).values():
        assert "street_food_fan" not in post.raw
    assert "7311111111111111111" in posts(parse(videos()))[VIDEO].raw


def test_comments_top_level_and_reply():
    doc = orjson.loads(
        b'{"data":{"comments":['
        b'{"id":7322222222222222221,"video_id":7311111111111111111,"parent_comment_id":7311111111111111111,'
        b'"text":"so good","like_count":4,"reply_count":1,"create_time":1717001000},'
        b'{"id":7322222222222222223,"video_id":7311111111111111111,"parent_comment_id":7322222222222222221,'
        b'"text":"agreed @pho_lover","like_count":0,"reply_count":0,"create_time":1717002000}'
        b'],"cursor":2,"has_more":false},"error":{"code":"ok","message":"","log_id":"L"}}')
    got = posts(parse(doc))
    top, reply = got["7322222222222222221"], got["7322222222222222223"]
    assert top.kind is Kind.COMMENT and top.parent_id == VIDEO and top.thread_id == VIDEO
    assert (top.likes, top.replies) == (4, 1) and top.author_key is None and top.url is None
    assert reply.kind is Kind.REPLY and reply.parent_id == "7322222222222222221" and reply.thread_id == VIDEO
    assert reply.text == "agreed @user"


def test_comment_without_parent_is_a_comment_on_the_video():
    (comment,) = parse(comments({"id": 5, "video_id": 6, "text": "x", "create_time": 1717001000}))
    assert comment.kind is Kind.COMMENT and comment.parent_id == "6"


def test_bad_comment_names_its_path():
    items = parse(comments({"id": 5, "video_id": 6, "text": "x", "create_time": 1717001000},
                           {"id": 7.5, "video_id": 6, "text": "y", "create_time": 1717001000}))
    assert [r.path for r in items if isinstance(r, Reject)] == ["$.data.comments[1].id"]


def test_error_envelope_is_one_reject():
    doc = {"data": {}, "error": {"code": "daily_quota_limit_exceeded", "message": "quota", "log_id": "L"}}
    assert SOURCE.sniff(doc) and detect(doc) is SOURCE
    (reject,) = parse(doc)
    assert isinstance(reject, Reject) and reject.path == "$" and "daily_quota_limit_exceeded" in reject.reason


def test_bare_items_and_lists():
    video = {"id": 9, "create_time": 1717000000, "video_description": "bare", "username": "someone"}
    assert SOURCE.sniff(video) and SOURCE.sniff([video])
    assert parse(video)[0].post_id == "9"
    items = parse([video, "not an object"])
    assert posts(items)["9"].text == "bare"
    assert [r.path for r in items if isinstance(r, Reject)] == ["$[1]"]


def test_sniff_accepts_envelopes():
    assert SOURCE.sniff(videos()) and detect(videos()) is SOURCE
    assert SOURCE.sniff(comments())
    assert not SOURCE.sniff({"data": {"display_name": "x", "follower_count": 1},
                             "error": {"code": "ok", "message": "", "log_id": "L"}})  # user info: not posts


OTHER_SHAPES = {
    "x_v2": {"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2024-01-01T00:00:00.000Z"}]},
    "reddit": {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a", "title": "t"}}]}},
    "reddit_error": {"message": "Forbidden", "error": 403},
    "mastodon": {"id": "1", "uri": "https://m.example/1", "content": "<p>hi</p>", "account": {"id": "2"}},
    "bluesky": {"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": {"text": "hi"}}}]},
    "telegram": {"name": "c", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "hi"}]},
    "youtube": {"kind": "youtube#videoListResponse", "items": []},
    "youtube_error": {"error": {"code": 400, "message": "Bad", "errors": [{"domain": "usageLimits"}]}},
    "facebook": {"data": [{"id": "1_2", "message": "hi", "created_time": "2024-01-01T00:00:00+0000"}]},
    "facebook_error": {"error": {"message": "bad", "type": "OAuthException", "code": 190, "fbtrace_id": "x"}},
    "instagram": {"data": [{"id": "17", "text": "hi", "timestamp": "2024-01-01T00:00:00+0000"}]},
}


@pytest.mark.parametrize("name", sorted(OTHER_SHAPES))
def test_sniff_rejects_other_platforms(name):
    assert not SOURCE.sniff(OTHER_SHAPES[name])

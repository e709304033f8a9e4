"""YouTube Data API v3 source: commentThreads.list, comments.list, videos.list, error bodies."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from support import make_context, parse_with, posts

from civicpulse.schema import Kind
from civicpulse.sources import detect, get
from civicpulse.sources.base import ParseContext, Reject

FIXTURES = Path(__file__).parent.parent / "fixtures" / "youtube"
SOURCE = get("youtube")


def ctx() -> ParseContext:
    return make_context(SOURCE)


def parse(doc) -> list:
    return parse_with(SOURCE, doc)


def threads() -> dict:
    return json.loads((FIXTURES / "comment_threads.json").read_text())


def video(**snippet) -> dict:
    base = {"publishedAt": "2024-02-01T12:00:00Z", "channelId": "UCchan999", "title": "Ward meeting",
            "description": "Agenda: budget.", "channelTitle": "City Hall Channel"}
    return {"kind": "youtube#video", "id": "vid0000001", "snippet": {**base, **snippet}}


def test_thread_top_level_comment_is_a_comment_on_the_video():
    top = posts(parse(threads()))["UgThreadAAA"]
    assert top.kind is Kind.COMMENT
    assert top.parent_id == "vidXYZ12345"
    assert top.thread_id == "vidXYZ12345"
    assert top.platform == "youtube" and top.source_format == "youtube"
    assert top.created_at == datetime(2024, 3, 1, 10, 0, 0)
    assert top.likes == 7 and top.replies == 2
    assert top.author_key == "k:UCalice111"
    assert top.url == "https://www.youtube.com/watch?v=vidXYZ12345&lc=UgThreadAAA"
    assert top.language is None
    assert top.edited is False


def test_html_text_display_is_converted_when_no_text_original():
    top = posts(parse(threads()))["UgThreadAAA"]
    assert top.text == "Bus lanes & bike paths\nsee 0:30"


def test_reply_prefers_text_original_and_links_to_thread():
    reply = posts(parse(threads()))["UgThreadAAA.reply1"]
    assert reply.kind is Kind.REPLY
    assert reply.parent_id == "UgThreadAAA"
    assert reply.thread_id == "vidXYZ12345"
    assert reply.text == 'Agreed, "finally" @user'  # the mention is masked, the quotes are the original's
    assert reply.url == "https://www.youtube.com/watch?v=vidXYZ12345&lc=UgThreadAAA.reply1"
    assert reply.edited is True  # updatedAt differs from publishedAt
    assert reply.author_key == "k:UCbob222"


def test_bad_thread_is_rejected_with_its_path_and_the_others_land():
    items = parse(threads())
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [r.path for r in rejects] == ["$.items[1].snippet.topLevelComment.snippet.publishedAt"]
    assert "missing" in rejects[0].reason
    assert set(posts(items)) == {"UgThreadAAA", "UgThreadAAA.reply1", "UgThreadCCC"}
    assert posts(items)["UgThreadCCC"].likes == 3  # digit-string count


def test_raw_is_scrubbed_of_author_fields():
    for post in posts(parse(threads())).values():
        assert post.raw is not None
        for secret in ("UCalice111", "UCbob222", "alice_example", "bob_example", "UCowner000", "yt3.example"):
            assert secret not in post.raw
    assert "vidXYZ12345" in posts(parse(threads()))["UgThreadAAA"].raw


def test_comments_list_reply_and_top_level():
    doc = {"kind": "youtube#commentListResponse", "items": [
        {"kind": "youtube#comment", "id": "UgP.r2", "snippet": {
            "authorChannelId": {"value": "UCx"}, "textDisplay": "r", "textOriginal": "r", "parentId": "UgP",
            "likeCount": 0, "publishedAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}},
        {"kind": "youtube#comment", "id": "UgQ", "snippet": {
            "authorChannelId": {"value": "UCy"}, "textDisplay": "top", "likeCount": 2,
            "publishedAt": "2024-01-01T00:00:00Z"}},
    ]}
    got = posts(parse(doc))
    assert got["UgP.r2"].kind is Kind.REPLY and got["UgP.r2"].parent_id == "UgP"
    assert got["UgP.r2"].thread_id is None and got["UgP.r2"].url is None  # no videoId in comments.list by id
    assert got["UgQ"].kind is Kind.COMMENT and got["UgQ"].parent_id is None
    assert got["UgQ"].edited is False  # no updatedAt


def test_video_fields_and_string_statistics():
    doc = {"kind": "youtube#videoListResponse", "items": [{
        **video(defaultAudioLanguage="vi"),
        "statistics": {"viewCount": "12345", "likeCount": "67", "favoriteCount": "0", "commentCount": "8"},
    }]}
    (post,) = parse(doc)
    assert post.kind is Kind.POST and post.post_id == "vid0000001"
    assert post.text == "Ward meeting\n\nAgenda: budget."
    assert post.language == "vi"
    assert (post.views, post.likes, post.replies, post.shares) == (12345, 67, 8, None)
    assert post.url == "https://www.youtube.com/watch?v=vid0000001"
    assert post.author_key == "k:UCchan999"
    assert post.created_at == datetime(2024, 2, 1, 12, 0, 0)
    assert "UCchan999" not in post.raw and "City Hall Channel" not in post.raw


def test_video_language_prefers_default_language_and_drops_und():
    assert parse({"kind": "youtube#videoListResponse",
                  "items": [video(defaultLanguage="en", defaultAudioLanguage="vi")]})[0].language == "en"
    assert parse(video(defaultLanguage="und"))[0].language is None


def test_video_recording_location():
    doc = {**video(), "recordingDetails": {"location": {"latitude": 21.03, "longitude": 105.85},
                                           "locationDescription": "Hoan Kiem"}}
    (post,) = parse(doc)
    assert (post.place_lat, post.place_lon, post.place_name) == (21.03, 105.85, "Hoan Kiem")


def test_video_without_statistics_has_unknown_counts():
    (post,) = parse(video())
    assert (post.views, post.likes, post.replies) == (None, None, None)


def test_single_thread_resource():
    thread = threads()["items"][0]
    assert SOURCE.sniff(thread)
    assert set(posts(parse(thread))) == {"UgThreadAAA", "UgThreadAAA.reply1"}


def test_error_body_is_one_reject():
    doc = {"error": {"code": 403, "message": "The video has disabled comments.",
                     "errors": [{"domain": "youtube.commentThread", "reason": "commentsDisabled"}]}}
    assert SOURCE.sniff(doc)
    (reject,) = parse(doc)
    assert isinstance(reject, Reject) and reject.path == "$"
    assert "403" in reject.reason and "disabled comments" in reject.reason


def test_non_object_document_is_a_reject_not_an_exception():
    (reject,) = parse([1, 2])
    assert isinstance(reject, Reject) and reject.path == "$"


def test_sniff_accepts_youtube_shapes():
    assert SOURCE.sniff(threads())
    assert SOURCE.sniff({"kind": "youtube#commentListResponse", "items": []})
    assert SOURCE.sniff({"kind": "youtube#videoListResponse", "items": []})
    assert detect(threads()) is SOURCE


OTHER_SHAPES = {
    "x_v2": {"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2024-01-01T00:00:00.000Z"}],
             "includes": {"users": [{"id": "2", "username": "u"}]}},
    "reddit": {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"id": "a", "title": "t"}}]}},
    "mastodon": {"id": "1", "uri": "https://m.example/1", "content": "<p>hi</p>", "account": {"id": "2"}},
    "bluesky": {"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": {"text": "hi"}}}]},
    "telegram": {"name": "c", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "hi"}]},
    "facebook": {"data": [{"id": "1_2", "message": "hi", "created_time": "2024-01-01T00:00:00+0000"}]},
    "facebook_error": {"error": {"message": "bad", "type": "OAuthException", "code": 190, "fbtrace_id": "x"}},
    "instagram": {"data": [{"id": "17", "caption": "hi", "timestamp": "2024-01-01T00:00:00+0000",
                            "media_type": "IMAGE"}]},
    "tiktok": {"data": {"videos": [{"id": 1, "create_time": 1, "video_description": "d"}], "has_more": False},
               "error": {"code": "ok", "message": "", "log_id": "x"}},
    "mastodon_error": {"error": "Record not found"},
}


@pytest.mark.parametrize("name", sorted(OTHER_SHAPES))
def test_sniff_rejects_other_platforms(name):
    assert not SOURCE.sniff(OTHER_SHAPES[name])

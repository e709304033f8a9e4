"""X / Twitter sources: API v2 pages and stream lines, twarc2 flat lines, API v1.1, batch compliance."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.sources import get
from civicpulse.sources.base import COMMON_AUTHOR_FIELDS, ParseContext, Reject, Source

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x"
X_FORMATS = ("x-v2", "x-v2-flat", "x-v1", "x-compliance")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def context(source: Source) -> ParseContext:
    # author_fields as the ingest pipeline sets them, so that the raw-scrubbing checks are real.
    return ParseContext(pseudonymize=lambda platform, author: f"k:{author}", keep_raw=True,
                        author_fields=COMMON_AUTHOR_FIELDS | source.author_fields)


def run(fmt: str, doc: Any) -> tuple[list[Any], ParseContext]:
    source = get(fmt)
    ctx = context(source)
    return list(source.parse(doc, ctx)), ctx


def posts(items: list[Any]) -> dict[str, Post]:
    return {p.post_id: p for p in items if isinstance(p, Post)}


def rejects(items: list[Any]) -> list[Reject]:
    return [r for r in items if isinstance(r, Reject)]


# ---------------------------------------------------------------- API v2 pages


def test_v2_page_fields() -> None:
    items, _ = run("x-v2", load("v2_page.json"))
    got = posts(items)
    assert list(got) == ["1800000000000000001", "1800000000000000002", "1800000000000000003", "1800000000000000005"]
    first = got["1800000000000000001"]
    assert first.kind is Kind.POST
    assert first.text == "Ward 7 bus stop flooded again & no reply from the council"  # &amp; decoded
    assert first.created_at == datetime(2024, 6, 1, 8, 30)
    assert first.collected_at == datetime(2024, 6, 2)  # twarc's retrieved_at
    assert first.thread_id == "1800000000000000001" and first.parent_id is None
    assert first.author_key == "k:9001"
    assert first.url == "https://x.com/i/web/status/1800000000000000001"
    assert (first.likes, first.replies, first.shares, first.quotes, first.views) == (12, 3, 4, 1, 900)
    assert first.edited is True  # two versions in edit_history_tweet_ids
    assert first.language == "en" and first.source_format == "x-v2" and first.platform == "x"


def test_v2_reply_links_to_parent_and_masks_mention() -> None:
    reply = posts(run("x-v2", load("v2_page.json"))[0])["1800000000000000002"]
    assert reply.kind is Kind.REPLY
    assert reply.parent_id == "1800000000000000001"
    assert reply.thread_id == "1800000000000000001"
    assert reply.text == "@user Same on Elm Street, the drains are blocked"
    assert reply.edited is False


def test_v2_place_from_includes_bbox_centre_and_exact_point() -> None:
    got = posts(run("x-v2", load("v2_page.json"))[0])
    first, reply = got["1800000000000000001"], got["1800000000000000002"]
    assert (first.place_name, first.place_country) == ("Hoan Kiem, Ha Noi", "VN")
    assert first.place_lon == pytest.approx(105.85) and first.place_lat == pytest.approx(21.05)
    # The exact point wins over the place's box, and it is [lon, lat].
    assert (reply.place_lon, reply.place_lat) == (105.85, 21.03)
    assert reply.place_name == "Hoan Kiem, Ha Noi"


def test_v2_retweet_takes_full_original_text() -> None:
    retweet = posts(run("x-v2", load("v2_page.json"))[0])["1800000000000000003"]
    assert retweet.kind is Kind.POST
    assert retweet.text == "Ward 7 bus stop flooded again & no reply from the council"
    assert retweet.language is None  # "qme" (media only) is not a language


def test_v2_retweet_without_expansion_keeps_masked_truncated_text() -> None:
    page = {"data": [{"id": "5", "text": "RT @someone: half a sente…", "author_id": "1",
                      "referenced_tweets": [{"type": "retweeted", "id": "4"}]}], "meta": {"result_count": 1}}
    (post,), _ = run("x-v2", page)
    assert post.text == "RT @user: half a sente…"


def test_v2_note_tweet_preferred_and_und_is_none() -> None:
    long_post = posts(run("x-v2", load("v2_page.json"))[0])["1800000000000000005"]
    assert long_post.text.endswith("followed by the rest of the argument.")
    assert long_post.language is None


def test_v2_bad_items_rejected_with_paths_others_land() -> None:
    items, _ = run("x-v2", load("v2_page.json"))
    errors = [r for r in rejects(items) if r.severity == "error"]
    assert [(r.path, r.reason) for r in errors] == [
        ("$.data[3].text", "required field is missing"),
        ("$.data[4]", "expected an object, got the string 'not a tweet'"),
    ]
    assert len(posts(items)) == 4


def test_v2_partial_error_is_a_warning_without_the_handle() -> None:
    items, _ = run("x-v2", load("v2_page.json"))
    (warning,) = [r for r in rejects(items) if r.severity == "warning"]
    assert warning.path == "$.errors[0]"
    assert warning.reason.startswith("API partial error: Forbidden / User has been suspended")
    assert "gonefornow" not in warning.reason and "gonefornow" not in json.dumps(warning.record)


def test_v2_raw_is_scrubbed() -> None:
    items, _ = run("x-v2", load("v2_page.json"))
    raws = " ".join(p.raw for p in posts(items).values())
    assert '"text"' in raws
    for secret in ("9001", "9002", "9003", "rivercitizen", "elmneighbour", "River Citizen", "amplifier99"):
        assert secret not in raws


def test_v2_error_bodies_give_one_reject() -> None:
    body = {"errors": [{"title": "Not Found Error", "detail": "Could not find tweet with ids: [1].",
                        "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
    assert get("x-v2").sniff(body)
    items, _ = run("x-v2", body)
    assert [(r.path, r.reason) for r in items] == [("$", "API error body: Could not find tweet with ids: [1].")]
    problem = {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429,
               "type": "https://api.twitter.com/2/problems/usage-capped"}
    assert get("x-v2").sniff(problem)
    items, _ = run("x-v2", problem)
    assert [(r.path, r.reason) for r in items] == [("$", "API error body: 429 / Too Many Requests / Too Many Requests")]


def test_v2_empty_page_and_bad_data() -> None:
    empty = {"meta": {"result_count": 0}, "__twarc": {"retrieved_at": "2024-06-02T00:00:00+00:00"}}
    assert get("x-v2").sniff(empty)
    assert run("x-v2", empty)[0] == []
    items, _ = run("x-v2", {"data": "oops", "meta": {"result_count": 1}})
    assert [(r.path, r.reason) for r in items] == [("$.data", "expected an array, got the string 'oops'")]


def test_v2_default_fields_time_from_snowflake_id() -> None:
    # A real id whose created_at X reports as 2021-05-18T19:24:56.000Z (the id keeps the milliseconds).
    page = {"data": [{"edit_history_tweet_ids": ["1394735776701816833"], "id": "1394735776701816833",
                      "text": "default fields only"}], "meta": {"result_count": 1, "next_token": "b26v"}}
    (post,), _ = run("x-v2", page)
    assert post.created_at == datetime(2021, 5, 18, 19, 24, 56, 760000)
    assert post.author_key is None and post.edited is False


def test_v2_filtered_stream_line() -> None:
    line = {
        "data": {"id": "1377650090978992134", "text": "Market fire near the river", "author_id": "42",
                 "created_at": "2021-04-01T15:52:31.000Z", "geo": {"place_id": "fj"},
                 "referenced_tweets": [{"type": "quoted", "id": "1377640162566496258"}]},
        "includes": {"users": [{"id": "42", "username": "firewatcher"}],
                     "places": [{"id": "fj", "full_name": "Taveuni, Fiji", "country_code": "FJ",
                                 "geo": {"bbox": [179.8, -17.0, -179.8, -16.6]}}]},
        "matching_rules": [{"id": 1377649934414049282, "tag": None}],
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/stream",
                    "retrieved_at": "2021-04-01T15:52:42+00:00"},
    }
    assert get("x-v2").sniff(line) and not get("x-v2-flat").sniff(line)
    (post,), _ = run("x-v2", line)
    assert post.post_id == "1377650090978992134" and post.collected_at == datetime(2021, 4, 1, 15, 52, 42)
    # The box crosses the antimeridian: its centre is at 180, not at 0.
    assert abs(post.place_lon) == pytest.approx(180.0) and post.place_lat == pytest.approx(-16.8)


def test_v2_bad_coordinates_dropped_with_warning() -> None:
    page = {"data": [{"id": "7", "text": "hi", "geo": {"coordinates": {"type": "Point", "coordinates": [0, 0]}}},
                     {"id": "8", "text": "hi", "geo": {"coordinates": {"coordinates": "here"}}}], "meta": {}}
    items, ctx = run("x-v2", page)
    assert [(p.place_lon, p.place_lat) for p in posts(items).values()] == [(None, None), (None, None)]
    assert [w.path for w in ctx.warnings] == ["$.data[0]", "$.data[1].geo.coordinates.coordinates"]


# ---------------------------------------------------------------- twarc2 flat


FLAT = {
    "id": "1380242611781386245",
    "text": "RT @opinionwriter: Parliament votes on the housing bill today and the debate has been lo…",
    "author_id": "1352661060663336960",
    "author": {"id": "1352661060663336960", "username": "housingfan", "name": "Housing Fan", "description": "me"},
    "conversation_id": "1380242611781386245",
    "created_at": "2021-04-08T19:34:16.000Z",
    "lang": "en",
    "public_metrics": {"retweet_count": 410, "reply_count": 0, "like_count": 0, "quote_count": 0},
    "referenced_tweets": [{
        "type": "retweeted", "id": "1380175475545362437", "author_id": "2718660392",
        "text": "Parliament votes on the housing bill today and the debate has been long &amp; loud.",
        "author": {"id": "2718660392", "username": "opinionwriter", "name": "Opinion Writer"},
    }],
    "geo": {"place_id": "pl9", "id": "pl9", "full_name": "Da Nang, Vietnam", "country_code": "VN",
            "name": "Da Nang", "geo": {"bbox": [108.0, 16.0, 108.4, 16.2]}},
    "in_reply_to_user": {"id": "55", "username": "someoneelse"},
    "__twarc": {"url": "https://api.twitter.com/2/tweets/search/recent", "version": "2.0.3",
                "retrieved_at": "2021-04-08T19:34:32+00:00"},
}


def test_flat_tweet() -> None:
    (post,), _ = run("x-v2-flat", FLAT)
    assert post.post_id == "1380242611781386245" and post.source_format == "x-v2-flat"
    assert post.text == "Parliament votes on the housing bill today and the debate has been long & loud."
    assert post.author_key == "k:1352661060663336960"
    assert post.collected_at == datetime(2021, 4, 8, 19, 34, 32)
    assert (post.place_name, post.place_country) == ("Da Nang, Vietnam", "VN")
    assert post.place_lon == pytest.approx(108.2) and post.place_lat == pytest.approx(16.1)
    assert post.shares == 410
    for secret in ("housingfan", "Housing Fan", "1352661060663336960", "opinionwriter", "2718660392", "someoneelse"):
        assert secret not in post.raw


def test_flat_bad_line_is_rejected() -> None:
    items, _ = run("x-v2-flat", {**FLAT, "created_at": "yesterday"})
    assert [(r.path, r.reason) for r in items] == [("$.created_at", "unrecognised time 'yesterday'")]


# ---------------------------------------------------------------- API v1.1


def test_v1_search_page() -> None:
    items, _ = run("x-v1", load("v1_search.json"))
    got = posts(items)
    # id_str, never the rounded `id` number.
    assert list(got) == ["1149825924029980674", "1149825924029980676", "1149825924029980677"]
    first = got["1149825924029980674"]
    assert first.text == "Road works on Main St start Monday & last 3 weeks, says the city <thread> https://t.co/xyz"
    assert first.created_at == datetime(2019, 7, 12, 23, 40, 37)
    assert first.kind is Kind.POST and first.thread_id is None
    assert (first.likes, first.replies, first.shares, first.quotes, first.views) == (5, 1, 2, 0, None)
    assert first.author_key == "k:7001"
    assert first.url == "https://x.com/i/web/status/1149825924029980674"
    assert (first.place_lon, first.place_lat) == (-0.1276, 51.5072)  # coordinates: [lon, lat]
    assert (first.place_name, first.place_country) == ("London, England", "GB")
    assert [(r.path, r.reason) for r in rejects(items)] == [("$.statuses[1].created_at", "required field is missing")]


def test_v1_reply_legacy_geo_is_lat_lon() -> None:
    reply = posts(run("x-v1", load("v1_search.json"))[0])["1149825924029980676"]
    assert reply.kind is Kind.REPLY and reply.parent_id == "1149825924029980674"
    assert reply.text == "@user Will the night buses be diverted?"  # extended mode: full_text
    assert (reply.place_lon, reply.place_lat) == (-0.12, 51.5)
    assert reply.language is None and reply.replies is None


def test_v1_retweet_and_antimeridian_place() -> None:
    retweet = posts(run("x-v1", load("v1_search.json"))[0])["1149825924029980677"]
    assert retweet.kind is Kind.POST
    assert retweet.text == "Road works on Main St start Monday & last 3 weeks, says the city <thread> https://t.co/xyz"
    assert abs(retweet.place_lon) == pytest.approx(180.0) and retweet.place_lat == pytest.approx(-18.0)


def test_v1_raw_is_scrubbed() -> None:
    raws = " ".join(p.raw for p in posts(run("x-v1", load("v1_search.json"))[0]).values())
    assert "Road works" in raws
    for secret in ("mainstwatch", "Main Street Watch", "7001", "nightrider", "Night Rider", "7003", "echoer"):
        assert secret not in raws


def test_v1_single_tweet_array_and_truncated_text() -> None:
    tweet = {"created_at": "Mon Oct 03 00:23:22 +0000 2016", "id_str": "782737772490600448",
             "text": "short and cut… https://t.co/et3", "truncated": True, "user": {"id_str": "1"},
             "entities": {"user_mentions": [], "urls": []}}
    assert get("x-v1").sniff(tweet) and get("x-v1").sniff([tweet])
    (single,), _ = run("x-v1", tweet)
    assert single.text == "short and cut… https://t.co/et3"  # compat mode without extended_tweet: all we have
    items, _ = run("x-v1", [tweet, 17])
    assert len(posts(items)) == 1
    assert [(r.path, r.reason) for r in rejects(items)] == [("$[1]", "expected an object, got the number 17")]


def test_v1_stream_delete_and_notices() -> None:
    delete = {"delete": {"status": {"id": 1, "id_str": "1149825924029980674", "user_id_str": "7001"},
                         "timestamp_ms": "1562984899000"}}
    assert get("x-v1").sniff(delete)
    assert run("x-v1", delete)[0] == [Deletion("x", "1149825924029980674", "deleted")]
    limit = {"limit": {"track": 12, "timestamp_ms": "1562984899000"}}
    assert get("x-v1").sniff(limit)
    (notice,), _ = run("x-v1", limit)
    assert notice.severity == "warning" and notice.reason.startswith("stream notice 'limit'")


def test_v1_error_body() -> None:
    body = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    assert get("x-v1").sniff(body) and not get("x-v2").sniff(body)
    assert [(r.path, r.reason) for r in run("x-v1", body)[0]] == [("$", "API error body: Rate limit exceeded")]


# ---------------------------------------------------------------- batch compliance


def test_compliance_lines() -> None:
    lines = [
        {"id": "1170025343920402432", "action": "delete", "created_at": "2019-09-06T17:25:54.667Z",
         "reason": "protected"},
        {"id": "1170147183095664640", "action": "delete", "created_at": "2019-09-07T01:30:03.390Z",
         "redacted_at": "2021-08-17T17:26:15.788Z", "reason": "scrub_geo"},
    ]
    got = [item for line in lines for item in run("x-compliance", line)[0]]
    assert got == [Deletion("x", "1170025343920402432", "protected"), Deletion("x", "1170147183095664640", "scrub_geo")]


def test_compliance_bad_lines() -> None:
    items, _ = run("x-compliance", {"id": "1", "action": "undelete", "reason": "deleted"})
    assert [(r.path, r.reason) for r in items] == [("$.action", "unknown compliance action 'undelete'")]
    items, _ = run("x-compliance", {"id": 1.5, "action": "delete"})
    assert [(r.path, r.reason) for r in items] == [("$.id", "expected an id (string or integer), got the number 1.5")]


# ---------------------------------------------------------------- sniffing


def _own_shapes() -> dict[str, list[Any]]:
    v1 = load("v1_search.json")
    return {
        "x-v2": [load("v2_page.json"), {"data": {"id": "1", "text": "t"}, "matching_rules": [{"id": 1}]},
                 {"data": [{"id": "1", "text": "t", "edit_history_tweet_ids": ["1"]}]}],
        "x-v2-flat": [FLAT, {"id": "1", "text": "t", "author": {"id": "2", "username": "u"}}],
        "x-v1": [v1, v1["statuses"], v1["statuses"][0], {"delete": {"status": {"id_str": "1"}}},
                 {"results": v1["statuses"], "requestParameters": {"maxResults": 100}}],
        "x-compliance": [{"id": "1", "action": "delete", "created_at": "2019-09-06T17:25:54.667Z",
                          "reason": "deleted"}],
    }


OTHER_PLATFORMS = [
    {"data": [{"id": "1_2", "message": "hello", "created_time": "2024-01-01T00:00:00+0000"}], "paging": {}},  # facebook
    {"data": [{"timestamp": "2024-01-01T00:00:00+0000", "text": "nice", "id": "17"}]},  # instagram comments
    {"data": [{"id": "17", "text": "nice", "timestamp": "2024"}], "paging": {"cursors": {}}},  # instagram page
    {"kind": "Listing", "data": {"children": [], "after": None}},  # reddit
    {"id": "1", "content": "<p>hi</p>", "account": {"id": "2"}, "uri": "https://m.example/1",
     "created_at": "2024-01-01T00:00:00Z"},  # mastodon
    {"uri": "at://did:plc:x/app.bsky.feed.post/1", "cid": "c",
     "author": {"did": "did:plc:x", "handle": "a.bsky.social"},
     "record": {"text": "hi", "createdAt": "2024-01-01T00:00:00Z"}},  # bluesky post view
    {"did": "did:plc:x", "time_us": 1, "kind": "commit", "commit": {"operation": "delete"}},  # jetstream
    {"kind": "youtube#commentThreadListResponse", "items": []},  # youtube
    {"data": {"videos": [], "has_more": False}, "error": {"code": "ok", "message": ""}},  # tiktok
    {"name": "Channel", "type": "public_channel", "id": 1, "messages": [{"id": 1, "text": "hi"}]},  # telegram
    {"id": "1", "text": "a telegram message", "date": "2024-01-01T00:00:00"},  # telegram-ish message
    {"error": {"message": "bad", "code": 190}},  # graph api error
    [], {}, "text", None,
]


@pytest.mark.parametrize("fmt", X_FORMATS)
def test_each_shape_claimed_by_exactly_its_format(fmt: str) -> None:
    for doc in _own_shapes()[fmt]:
        assert [name for name in X_FORMATS if get(name).sniff(doc)] == [fmt]


@pytest.mark.parametrize("doc", OTHER_PLATFORMS)
def test_other_platforms_not_claimed(doc: Any) -> None:
    assert [name for name in X_FORMATS if get(name).sniff(doc)] == []

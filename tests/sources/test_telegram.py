"""Telegram Desktop JSON export source."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

from civicpulse.schema import Kind, Post
from civicpulse.sources import detect, get
from civicpulse.sources.base import COMMON_AUTHOR_FIELDS, ParseContext, Reject, Skip

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegram"
SOURCE = get("telegram")


def ctx() -> ParseContext:
    return ParseContext(pseudonymize=lambda platform, author: f"k:{author}", keep_raw=True,
                        author_fields=COMMON_AUTHOR_FIELDS | SOURCE.author_fields)


def full_export() -> dict:
    return json.loads((FIXTURES / "full_export.json").read_text())


def parse(doc) -> list:
    return list(SOURCE.parse(doc, ctx()))


# A 2021-style single-chat export: bare numeric from_id, only the local `date`, a poll.
CHANNEL_2021 = {
    "name": "Town Hall Notes", "type": "public_channel", "id": 4242,
    "messages": [
        {"id": 1, "type": "service", "date": "2021-03-01T10:00:00", "actor": "Town Hall Notes", "actor_id": 4242,
         "action": "create_channel", "title": "Town Hall Notes", "text": ""},
        {"id": 2, "type": "message", "date": "2021-03-01T10:05:00", "from": "Town Hall Notes", "from_id": 4242,
         "text": "Budget vote tonight."},
        {"id": 3, "type": "message", "date": "2021-03-01T10:06:00", "from": "Town Hall Notes", "from_id": 4242,
         "reply_to_message_id": 2,
         "poll": {"question": "Will you attend?", "closed": False, "total_voters": 2,
                  "answers": [{"text": "Yes", "voters": 1, "chosen": False}, {"text": "No", "voters": 1}]},
         "text": ""},
    ],
}


def test_full_export_messages():
    out = parse(full_export())
    posts = {p.post_id: p for p in out if isinstance(p, Post)}
    assert list(posts) == ["1700000001:2", "1700000001:3", "1700000001:4", "1700000002:10"]
    assert out[0] == Skip("service message (create_group)")

    first = posts["1700000001:2"]
    assert first.kind is Kind.POST and first.parent_id is None and first.thread_id is None
    assert first.text == "The bridge is closed, see https://example.org/bridge and thanks @user and @user!"
    assert first.created_at == datetime(2023, 5, 1, 11, 0)  # from date_unixtime
    assert first.likes == 5  # sum of reaction counts
    assert first.author_key == "k:user600000001"
    assert (first.language, first.url, first.replies, first.shares, first.edited) == (None, None, None, None, False)

    reply = posts["1700000001:3"]
    assert reply.kind is Kind.REPLY and reply.parent_id == "1700000001:2" and reply.edited is True
    assert reply.likes is None

    venue = posts["1700000001:4"]
    assert (venue.place_lat, venue.place_lon, venue.place_name) == (52.3702, 4.8952, "Ferry terminal")
    assert venue.created_at == datetime(2023, 5, 1, 11, 20)  # only date_unixtime present
    assert venue.text == ""

    left = posts["1700000002:10"]
    assert left.created_at == datetime(2022, 1, 2, 8, 0) and left.author_key == "k:channel1700000002"


def test_bad_message_among_good():
    doc = full_export()
    doc["chats"]["list"][0]["messages"].append("garbage")
    doc["chats"]["list"][0]["messages"].append({"id": 9, "type": "message", "date": "2023-05-02T00:00:00",
                                               "text": 12})
    out = parse(doc)
    assert len([p for p in out if isinstance(p, Post)]) == 4
    rejects = [(r.path, r.reason) for r in out if isinstance(r, Reject)]
    assert rejects == [
        ("$.chats.list[0].messages[4]", "expected an object, got the string 'garbage'"),
        ("$.chats.list[0].messages[5].text", "expected a string or an array of text parts"),
        ("$.left_chats.list[0].messages[1].date", "required field is missing"),
    ]


def test_chat_without_id_is_one_reject():
    doc = full_export()
    del doc["left_chats"]["list"][0]["id"]
    rejects = [r for r in parse(doc) if isinstance(r, Reject)]
    assert [(r.path, r.reason) for r in rejects] == [("$.left_chats.list[0].id", "required field is missing")]


def test_broken_section_is_one_reject():
    doc = full_export()
    doc["left_chats"] = ["not", "a", "section"]
    out = parse(doc)
    assert len([p for p in out if isinstance(p, Post)]) == 3
    assert [(r.path, r.reason) for r in out if isinstance(r, Reject)] == [
        ("$.left_chats", "expected an object, got an array")]


def test_raw_is_scrubbed():
    for post in (p for p in parse(full_export()) if isinstance(p, Post)):
        for secret in ("Olive Grove", "Hazel Brook", "user600000001", "user600000002", "hazel_b", "Signing Editor",
                       "channel1700000002", "600000002"):
            assert secret not in post.raw, (post.post_id, secret)
    first = json.loads(next(p for p in parse(full_export()) if isinstance(p, Post)).raw)
    assert first["reactions"][0] == {"type": "emoji", "count": 3, "emoji": "👍"}


def test_single_chat_2021_schema():
    skip, post, poll = parse(CHANNEL_2021)
    assert skip == Skip("service message (create_channel)")
    assert [post.post_id, poll.post_id] == ["4242:2", "4242:3"]
    # No date_unixtime: `date` is the exporting computer's local time, taken as UTC.
    assert post.created_at == datetime(2021, 3, 1, 10, 5) and post.author_key == "k:4242"
    assert poll.kind is Kind.REPLY and poll.parent_id == "4242:2"
    assert poll.text == "Will you attend?\n\nYes\nNo"


def test_reply_into_another_chat():
    doc = copy.deepcopy(CHANNEL_2021)
    doc["messages"][2]["reply_to_peer_id"] = "channel777"
    assert parse(doc)[2].parent_id == "777:2"


def test_error_body():
    assert [(r.path, r.reason) for r in parse({"error": "Not Found"})] == [("$", "API error body: Not Found")]
    [reject] = parse(["not", "an", "export"])
    assert reject.path == "$" and "Telegram export" in reject.reason


OTHER_PLATFORMS = [
    {"id": "1", "uri": "https://m.example/1", "content": "<p>x</p>", "account": {"id": "2"}},  # mastodon
    {"data": [{"id": "1", "text": "x"}], "includes": {}},  # X v2
    {"kind": "Listing", "data": {"children": []}},  # Reddit
    {"posts": [{"uri": "at://did:plc:a/app.bsky.feed.post/1", "record": {}, "author": {}}]},  # Bluesky
    {"data": {"videos": []}, "error": {"code": "ok"}},  # TikTok
    {"did": "did:plc:a", "time_us": 1, "kind": "commit", "commit": {}},  # Jetstream
    {"id": "c1", "type": "x", "messages": [{"role": "user", "content": "chat log, not Telegram"}]},
]


def test_sniff():
    assert SOURCE.sniff(full_export()) and SOURCE.sniff(CHANNEL_2021)
    assert detect(CHANNEL_2021) is SOURCE
    assert SOURCE.sniff({"name": "Empty", "type": "personal_chat", "id": 1, "messages": []})
    for doc in OTHER_PLATFORMS:
        assert not SOURCE.sniff(copy.deepcopy(doc)), doc

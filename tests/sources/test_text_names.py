"""Each platform hands the names it knows to the base class, which takes them out of the stored text.

The payloads are small project-written shapes of each API; the author's display name, the people they mention
and the poster of a shared original are written into the text the way people write them.
"""

from __future__ import annotations

from typing import Any

import pytest

from civicpulse.schema import Post
from civicpulse.sources import get


def texts(fmt: str, doc: Any, keep_raw: bool = False) -> list[str]:
    """Stored texts; without keep_raw, as in a default workspace, no raw payload reaches the base class."""
    source = get(fmt)
    ctx = source.context(lambda platform, author: f"k:{author}", keep_raw=keep_raw)
    items = list(source.parse(doc, ctx))
    assert all(isinstance(i, Post) for i in items), items
    return [i.text for i in items]


X_V1 = {
    "id_str": "20", "created_at": "Mon Sep 14 08:15:00 +0000 2026", "lang": "vi",
    "full_text": "Thu Trang Lê nghĩ Hoàng Văn Nam đúng, hỏi thêm Phạm Minh Tuấn",
    "user": {"id_str": "783214999", "screen_name": "thu_trang", "name": "Thu Trang Lê"},
    "entities": {"user_mentions": [{"screen_name": "hoang_nam", "name": "Hoàng Văn Nam", "id_str": "5"}]},
    "quoted_status": {"id_str": "19", "full_text": "…", "created_at": "Mon Sep 14 08:00:00 +0000 2026",
                      "user": {"id_str": "6", "screen_name": "minhtuan", "name": "Phạm Minh Tuấn"}},
}
X_V2 = {
    "data": [{"id": "21", "author_id": "7", "created_at": "2026-09-14T08:15:00.000Z",
              "text": "Lan Anh Nguyễn cảm ơn Đỗ Quang Huy vì tin ngập lụt",
              "entities": {"mentions": [{"start": 0, "end": 5, "username": "quanghuy", "id": "8"}]}}],
    "includes": {"users": [{"id": "7", "username": "lananh", "name": "Lan Anh Nguyễn"},
                           {"id": "8", "username": "quanghuy", "name": "Đỗ Quang Huy"}]},
    "meta": {"result_count": 1},
}
MASTODON = {
    "id": "22", "uri": "https://social.vn/users/lan_anh/statuses/22", "created_at": "2026-09-14T08:15:00.000Z",
    "content": "<p>Lan Anh Nguyễn (lan_anh) ở Huế: mưa to quá</p>", "spoiler_text": "", "reblog": None,
    "account": {"id": "42", "username": "lan_anh", "acct": "lan_anh@social.vn", "display_name": "Lan Anh Nguyễn"},
}
BLUESKY = {"posts": [{
    "uri": "at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3k1", "cid": "c",
    "author": {"did": "did:plc:abcdefghijklmnopqrstuvwx", "handle": "minhchau.bsky.social",
               "displayName": "Minh Châu Trần"},
    "record": {"$type": "app.bsky.feed.post", "text": "Minh Châu Trần (minhchau) đây, kẹt xe ở Cầu Giấy",
               "createdAt": "2026-09-14T08:15:00.000Z"},
    "indexedAt": "2026-09-14T08:15:01.000Z",
}]}
FACEBOOK = {"data": [{
    "id": "111_223", "created_time": "2026-09-14T08:15:00+0000", "status_type": "mobile_status_update",
    "message": "Trần Thị Hồng báo: đường Lê Lợi ngập", "from": {"id": "100012345678901", "name": "Trần Thị Hồng"},
}]}
YOUTUBE = {"kind": "youtube#commentListResponse", "items": [{
    "kind": "youtube#comment", "id": "Ugx1",
    "snippet": {"videoId": "v1", "textOriginal": "Kênh @LanAnhVlog hay quá, LanAnhVlog ơi", "likeCount": 1,
                "authorDisplayName": "@LanAnhVlog", "authorChannelId": {"value": "UCabcdefghijklmnopqrstuv"},
                "publishedAt": "2026-09-14T08:15:00Z"},
}]}
TELEGRAM = {"name": "Tin Hà Nội", "type": "public_channel", "id": 1000, "messages": [{
    "id": 5, "type": "message", "date": "2026-09-14T15:15:00", "date_unixtime": "1789370100",
    "from": "Ngô Bảo Ngọc", "from_id": "user6000001", "forwarded_from": "Vũ Đức Thắng",
    "text": "Chuyển tiếp từ Vũ Đức Thắng: Ngô Bảo Ngọc xác nhận cầu đã thông xe",
}]}
REDDIT = {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {
    "name": "t1_a", "author": "saigon_rider88", "author_fullname": "t2_x", "parent_id": "t3_p", "link_id": "t3_p",
    "body": "saigon_rider88 here, see old.reddit.com/user/saigon_rider88", "created_utc": 1789370100,
    "score": 1, "permalink": "/r/saigon/comments/p/x/a/"}}]}}
INSTAGRAM = {"data": [{
    "id": "1790", "caption": "minh.tuan.photo chụp Hồ Gươm", "media_type": "IMAGE",
    "timestamp": "2026-09-14T08:15:00+0000", "username": "minh.tuan.photo",
    "permalink": "https://www.instagram.com/p/CP5Rq0bjBzn/"}]}
TIKTOK = {"data": {"videos": [{
    "id": 7301234567890123456, "create_time": 1789370100, "username": "bep_nha_lan",
    "video_description": "bep_nha_lan nấu phở #hanoi", "region_code": "VN"}]}, "error": {"code": "ok"}}

CASES = [
    ("x-v1", X_V1, ["Thu Trang Lê", "Hoàng Văn Nam", "Phạm Minh Tuấn"], "[author] nghĩ @user đúng, hỏi thêm @user"),
    ("x-v2", X_V2, ["Lan Anh", "Quang Huy"], "[author] cảm ơn @user vì tin ngập lụt"),
    ("mastodon", [MASTODON], ["Lan Anh", "lan_anh"], "[author] ([author]) ở Huế: mưa to quá"),
    ("bluesky-appview", BLUESKY, ["Minh Châu", "minhchau"], "[author] ([author]) đây, kẹt xe ở Cầu Giấy"),
    ("facebook", FACEBOOK, ["Trần Thị Hồng"], "[author] báo: đường Lê Lợi ngập"),
    ("youtube", YOUTUBE, ["LanAnhVlog"], "Kênh [author] hay quá, [author] ơi"),
    ("telegram", TELEGRAM, ["Bảo Ngọc", "Đức Thắng"], "Chuyển tiếp từ @user: [author] xác nhận cầu đã thông xe"),
    ("reddit", REDDIT, ["saigon_rider88"], "[author] here, see [profile link]"),
    ("instagram", INSTAGRAM, ["minh.tuan"], "[author] chụp Hồ Gươm"),
    ("tiktok", TIKTOK, ["bep_nha_lan"], "[author] nấu phở #hanoi"),
]


@pytest.mark.parametrize(("fmt", "doc", "names", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("keep_raw", [False, True], ids=["default", "keep_raw"])
def test_names_the_source_knows_leave_the_text(fmt, doc, names, expected, keep_raw):
    (text,) = texts(fmt, doc, keep_raw)
    for name in names:
        assert name.lower() not in text.lower(), (fmt, name, text)
    assert text == expected

"""Fake platform APIs with the paging rules of the real ones, over statuses/tweets the tests control."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from fake_api import Reply, Request

from conftest import SHARED_FIXTURES

# Beside the repository (../shared/fixtures); a worktree elsewhere can point at them with this variable.
SHARED = Path(os.environ.get("CIVICPULSE_SHARED_FIXTURES") or SHARED_FIXTURES)
NEEDS_SHARED = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared fixtures not found at {SHARED}")


def shared_json(relative: str) -> Any:
    return json.loads((SHARED / relative).read_text(encoding="utf-8"))


def _id_key(status: dict) -> tuple[int, str]:
    return (len(status["id"]), status["id"])


class MastodonWorld:
    """GET /api/v1/timelines/public and /tag/:tag with limit, min_id and max_id, and a Link header."""

    def __init__(self, statuses: list[dict], base: str = ""):
        self.statuses = list(statuses)
        self.base = base
        self.fail_next: list[Reply] = []  # replies served before the real one (429s, 5xx, garbage)

    def __call__(self, request: Request) -> Reply:
        if self.fail_next:
            return self.fail_next.pop(0)
        if not (request.path == "/api/v1/timelines/public" or request.path.startswith("/api/v1/timelines/tag/")):
            return Reply(404, {"error": "Not Found"})
        limit = int(request.query.get("limit", 20))
        ordered = sorted(self.statuses, key=_id_key)  # oldest first
        if "min_id" in request.query:
            floor = (len(request.query["min_id"]), request.query["min_id"])
            page = [s for s in ordered if _id_key(s) > floor][:limit]
        else:
            if "max_id" in request.query:
                ceiling = (len(request.query["max_id"]), request.query["max_id"])
                ordered = [s for s in ordered if _id_key(s) < ceiling]
            page = ordered[-limit:]
        page = sorted(page, key=_id_key, reverse=True)
        headers = {"x-ratelimit-limit": "300", "x-ratelimit-remaining": "299",
                   "x-ratelimit-reset": "2030-01-01T00:00:00.000Z"}
        if page:
            url = f"{self.base}{request.path}"
            headers["link"] = (f'<{url}?max_id={page[-1]["id"]}>; rel="next", '
                               f'<{url}?min_id={page[0]["id"]}>; rel="prev"')
        return Reply(200, page, headers)


class XSearch:
    """GET /2/tweets/search/recent over `tweets` (newest first), pages of `page_size` chained by next_token.

    `hold_at` (a page number) makes that request wait on `release` (the kill -9 test kills the client there).
    """

    def __init__(self, tweets: list[dict], page_size: int = 10):
        self.tweets = tweets
        self.page_size = page_size
        self.fail_next: list[Reply] = []
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: Request) -> Reply:
        if request.path != "/2/tweets/search/recent":
            return Reply(404, {"title": "Not Found"})
        if request.headers.get("authorization") != "Bearer x-test-bearer":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        if self.fail_next:
            return self.fail_next.pop(0)
        newest_first = sorted(self.tweets, key=lambda t: int(t["id"]), reverse=True)
        if since := request.query.get("since_id"):
            newest_first = [t for t in newest_first if int(t["id"]) > int(since)]
        page_no = int(request.query.get("next_token", "p1")[1:])
        if self.hold_at == page_no:
            self.held.set()
            self.release.wait(30)
        start = (page_no - 1) * self.page_size
        page = newest_first[start:start + self.page_size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if start + self.page_size < len(newest_first):
            meta["next_token"] = f"p{page_no + 1}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            authors = sorted({t["author_id"] for t in page})
            body["data"] = page
            body["includes"] = {"users": [{"id": a, "name": f"Person {a}", "username": f"person_{a}"}
                                          for a in authors]}
        return Reply(200, body, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                                 "x-rate-limit-reset": "1900000000"})


def tweet(n: int, text: str | None = None, author: str = "7001") -> dict:
    """A small project-written API v2 tweet; ids grow with n."""
    return {"id": str(1_800_000_000_000_000_000 + n), "text": text or f"Ngập nước ở quận {n % 12 + 1} sáng nay #{n}",
            "author_id": author, "created_at": f"2026-09-14T08:{n % 60:02d}:00.000Z", "lang": "vi",
            "conversation_id": str(1_800_000_000_000_000_000 + n),
            "public_metrics": {"retweet_count": 0, "reply_count": 1, "like_count": n, "quote_count": 0}}


def reddit_post(n: int, sub: str = "vietnam") -> dict:
    """A small project-written Reddit link (t3) thing; newer with n."""
    return {"kind": "t3", "data": {
        "id": f"p{n:05d}", "name": f"t3_p{n:05d}", "title": f"Ngập ở Thủ Đức lần {n}", "selftext": "Nước lên nhanh",
        "author": "minh_tran", "author_fullname": "t2_minh", "subreddit": sub, "created_utc": 1_790_000_000 + n * 60,
        "score": n, "num_comments": 0, "permalink": f"/r/{sub}/comments/p{n:05d}/ngap/", "url": "https://x.vn/",
        "is_self": True}}


class RedditApi:
    """Token endpoint (client credentials) and listings; a token stops working after `token_lifetime` calls."""

    def __init__(self, posts: list[dict], client_id: str = "cid", secret: str = "csecret",
                 token_lifetime: int = 1000):
        self.posts = posts
        self.basic = "Basic " + __import__("base64").b64encode(f"{client_id}:{secret}".encode()).decode()
        self.token_lifetime = token_lifetime
        self.tokens_issued = 0
        self.uses = 0
        self.thread: Any = None
        self.more: dict[str, Any] = {}
        self.fail_next: list[Reply] = []

    def _listing(self, children: list[dict], after: str | None) -> dict:
        return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(children),
                                            "children": children}}

    def __call__(self, request: Request) -> Reply:
        if request.path == "/api/v1/access_token":
            if request.method != "POST" or request.headers.get("authorization") != self.basic:
                return Reply(401, {"message": "Unauthorized", "error": 401})
            self.tokens_issued += 1
            self.uses = 0
            return Reply(200, {"access_token": f"tok{self.tokens_issued}", "token_type": "bearer",
                               "expires_in": 86400, "scope": "*"})
        if request.headers.get("authorization") != f"bearer tok{self.tokens_issued}" or \
                self.uses >= self.token_lifetime:
            return Reply(401, {"message": "Unauthorized", "error": 401})
        self.uses += 1
        if self.fail_next:
            return self.fail_next.pop(0)
        headers = {"x-ratelimit-used": "1", "x-ratelimit-remaining": "99.0", "x-ratelimit-reset": "300"}
        if request.path.endswith("/new") or request.path.endswith("/search"):
            newest_first = sorted(self.posts, key=lambda p: p["data"]["created_utc"], reverse=True)
            start = 0
            if after := request.query.get("after"):
                start = [p["data"]["name"] for p in newest_first].index(after) + 1
            limit = int(request.query.get("limit", 25))
            page = newest_first[start:start + limit]
            more = start + limit < len(newest_first)
            return Reply(200, self._listing(page, page[-1]["data"]["name"] if page and more else None), headers)
        if request.path.startswith("/comments/") and self.thread is not None:
            return Reply(200, self.thread, headers)
        if request.path == "/api/morechildren":
            return Reply(200, self.more.get(request.query.get("children", ""), {"json": {"errors": [],
                                                                                           "data": {"things": []}}}),
                         headers)
        return Reply(404, {"message": "Not Found", "error": 404})


def bsky_post(n: int, text: str | None = None) -> dict:
    """A small project-written app.bsky.feed.defs#postView; indexedAt grows with n."""
    did = f"did:plc:author{n % 4}"
    stamp = f"2026-09-14T{8 + n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
    return {"uri": f"at://{did}/app.bsky.feed.post/3k{n:08d}", "cid": f"bafyrei{n:010d}",
            "author": {"did": did, "handle": f"nguoi{n % 4}.bsky.social", "displayName": "Người dân"},
            "record": {"$type": "app.bsky.feed.post", "text": text or f"Ngập nước đường số {n}",
                       "createdAt": stamp, "langs": ["vi"]},
            "replyCount": 0, "repostCount": 0, "likeCount": n, "indexedAt": stamp, "labels": []}


class BlueskySearch:
    """searchPosts over `posts` newest first with `since` and an opaque offset cursor; optional sessions."""

    def __init__(self, posts: list[dict], page_size: int = 25, require_session: bool = False,
                 session_lifetime: int = 1000):
        self.posts = posts
        self.page_size = page_size
        self.require_session = require_session
        self.session_lifetime = session_lifetime
        self.sessions = 0
        self.uses = 0
        self.fail_next: list[Reply] = []

    def __call__(self, request: Request) -> Reply:
        if request.path == "/xrpc/com.atproto.server.createSession":
            body = json.loads(request.body or b"{}")
            if body != {"identifier": "tester.bsky.social", "password": "app-pass-1234"}:
                return Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
            return self._session()
        if request.path == "/xrpc/com.atproto.server.refreshSession":
            return self._session() if request.headers.get("authorization") == f"Bearer refresh{self.sessions}" \
                else Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if request.path != "/xrpc/app.bsky.feed.searchPosts":
            return Reply(404, {"error": "MethodNotImplemented"})
        if self.require_session:
            if request.headers.get("authorization") != f"Bearer access{self.sessions}" or \
                    self.uses >= self.session_lifetime:
                return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
            self.uses += 1
        if self.fail_next:
            return self.fail_next.pop(0)
        newest_first = sorted(self.posts, key=lambda p: p["indexedAt"], reverse=True)
        if since := request.query.get("since"):
            newest_first = [p for p in newest_first if p["indexedAt"] >= since]
        start = int(request.query.get("cursor", "0"))
        page = newest_first[start:start + self.page_size]
        body: dict[str, Any] = {"posts": page, "hitsTotal": len(newest_first)}
        if start + self.page_size < len(newest_first):
            body["cursor"] = str(start + self.page_size)
        return Reply(200, body, {"ratelimit-limit": "3000", "ratelimit-remaining": "2999",
                                 "ratelimit-reset": "1900000000", "ratelimit-policy": "3000;w=300"})

    def _session(self) -> Reply:
        self.sessions += 1
        self.uses = 0
        return Reply(200, {"did": "did:plc:tester", "handle": "tester.bsky.social",
                           "accessJwt": f"access{self.sessions}", "refreshJwt": f"refresh{self.sessions}"})


def yt_thread(n: int, video: str = "vid00000001", replies: int = 0) -> dict:
    """A small project-written commentThread; publishedAt grows with n; `replies` inline replies (at most 5)."""
    stamp = f"2026-09-{1 + n // 1440:02d}T{n // 60 % 24:02d}:{n % 60:02d}:00Z"
    thread_id = f"Ugx{n:08d}"
    comment = {"kind": "youtube#comment", "id": thread_id, "snippet": {
        "videoId": video, "textDisplay": f"Đường ngập {n}", "textOriginal": f"Đường ngập {n}",
        "authorDisplayName": "Trần Minh", "authorChannelId": {"value": f"UCauthor{n % 3}"}, "likeCount": n,
        "publishedAt": stamp, "updatedAt": stamp}}
    inline = [yt_reply(thread_id, i, video) for i in range(min(replies, 5))]
    thread = {"kind": "youtube#commentThread", "id": thread_id,
              "snippet": {"videoId": video, "topLevelComment": comment, "totalReplyCount": replies,
                          "canReply": True, "isPublic": True}}
    if inline:
        thread["replies"] = {"comments": inline}
    return thread


def yt_reply(thread_id: str, i: int, video: str = "vid00000001") -> dict:
    return {"kind": "youtube#comment", "id": f"{thread_id}.r{i:03d}", "snippet": {
        "videoId": video, "parentId": thread_id, "textDisplay": f"Trả lời {i}", "textOriginal": f"Trả lời {i}",
        "authorDisplayName": "Lê Hoa", "authorChannelId": {"value": "UCreplier"}, "likeCount": 0,
        "publishedAt": "2026-09-30T00:00:00Z", "updatedAt": "2026-09-30T00:00:00Z"}}


class YouTubeApi:
    """search, videos, commentThreads (order=time, pageToken) and comments (parentId) over controlled data."""

    def __init__(self, threads: dict[str, list[dict]], page_size: int = 20, key: str = "yt-key"):
        self.threads = threads          # video id -> threads
        self.page_size = page_size
        self.key = key
        self.replies: dict[str, list[dict]] = {}
        self.found: list[dict] = []     # search results (videos)
        self.disabled: set[str] = set()
        self.fail_next: list[Reply] = []
        self.pages: dict[str | None, dict] | None = None  # recorded pages by pageToken, replayed as they are

    @staticmethod
    def error(code: int, reason: str, message: str) -> Reply:
        return Reply(code, {"error": {"code": code, "message": message,
                                      "errors": [{"domain": "youtube", "reason": reason, "message": message}]}})

    def _page(self, items: list[dict], token: str | None, kind: str) -> dict:
        start = int(token or 0)
        body: dict[str, Any] = {"kind": kind, "items": items[start:start + self.page_size],
                                "pageInfo": {"totalResults": len(items), "resultsPerPage": self.page_size}}
        if start + self.page_size < len(items):
            body["nextPageToken"] = str(start + self.page_size)
        return body

    def __call__(self, request: Request) -> Reply:
        if request.query.get("key") != self.key:
            return self.error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        if self.fail_next:
            return self.fail_next.pop(0)
        q = request.query
        if request.path == "/commentThreads":
            if self.pages is not None:
                return Reply(200, self.pages[q.get("pageToken")])
            if q.get("videoId") in self.disabled:
                return self.error(403, "commentsDisabled", "The video has disabled comments.")
            threads = sorted(self.threads.get(q.get("videoId"), []), reverse=True,
                             key=lambda t: t["snippet"]["topLevelComment"]["snippet"]["publishedAt"])
            return Reply(200, self._page(threads, q.get("pageToken"), "youtube#commentThreadListResponse"))
        if request.path == "/comments":
            return Reply(200, self._page(self.replies.get(q["parentId"], []), q.get("pageToken"),
                                         "youtube#commentListResponse"))
        if request.path == "/search":
            return Reply(200, {"kind": "youtube#searchListResponse", "items": [
                {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": v["id"]},
                 "snippet": {"publishedAt": v["snippet"]["publishedAt"]}} for v in self.found]})
        if request.path == "/videos":
            wanted = q.get("id", self.found[0]["id"] if q.get("chart") and self.found else "").split(",")
            return Reply(200, {"kind": "youtube#videoListResponse",
                               "items": [v for v in self.found if v["id"] in wanted]})
        return self.error(404, "notFound", "Not Found")


def yt_video(video_id: str, n: int) -> dict:
    return {"kind": "youtube#video", "id": video_id, "snippet": {
        "publishedAt": f"2026-09-14T0{n}:00:00Z", "channelId": "UCchannel0000000000000000", "title": f"Lũ {n}",
        "description": "Tin lũ", "channelTitle": "Kênh tin"}, "statistics": {"viewCount": "10", "likeCount": "1",
                                                                               "commentCount": "2"}}


def tiktok_video(n: int, day: str) -> dict:
    """A small project-written Research API video; `day` is YYYY-MM-DD."""
    stamp = int(datetime.fromisoformat(f"{day}T12:00:00+00:00").timestamp()) + n
    return {"id": 7_300_000_000_000_000_000 + n, "video_description": f"Nước ngập ngang gối #{n} #ngapnuoc",
            "create_time": stamp, "region_code": "VN", "view_count": 100 + n, "like_count": n, "comment_count": 0,
            "share_count": 0, "hashtag_names": ["ngapnuoc"], "username": f"creator{n}"}


class TikTokApi:
    """Research API: client-credentials token, video query in <= 30-day windows with cursor/search_id, comments."""

    def __init__(self, videos: list[dict], page_size: int = 10, token_lifetime: int = 1000):
        self.videos = videos
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.tokens = 0
        self.uses = 0
        self.windows: list[tuple[str, str]] = []
        self.comments: dict[str, Any] | None = None
        self.fail_next: list[Reply] = []

    def __call__(self, request: Request) -> Reply:
        if request.path == "/v2/oauth/token/":
            form = parse_qs(request.body.decode())
            if form.get("client_key") != ["ck"] or form.get("client_secret") != ["cs"]:
                return Reply(401, {"error": "invalid_client", "error_description": "Client key or secret is invalid"})
            self.tokens += 1
            self.uses = 0
            return Reply(200, {"access_token": f"clt.{self.tokens}", "expires_in": 7200, "token_type": "Bearer"})
        if request.headers.get("authorization") != f"Bearer clt.{self.tokens}" or self.uses >= self.token_lifetime:
            return Reply(401, {"error": {"code": "access_token_invalid", "message": "The access token is invalid",
                                         "log_id": "x"}})
        self.uses += 1
        if self.fail_next:
            return self.fail_next.pop(0)
        body = json.loads(request.body)
        if request.path == "/v2/research/video/comment/list/":
            return Reply(200, self.comments)
        start, end = body["start_date"], body["end_date"]
        days = (datetime.strptime(end, "%Y%m%d") - datetime.strptime(start, "%Y%m%d")).days
        if days >= 30 or days < 0:
            return Reply(400, {"error": {"code": "invalid_params", "message": "window over 30 days", "log_id": "x"}})
        self.windows.append((start, end))
        hits = [v for v in self.videos
                if start <= datetime.fromtimestamp(v["create_time"], UTC).strftime("%Y%m%d") <= end]
        offset = int(body.get("cursor") or 0)
        page = hits[offset:offset + self.page_size]
        more = offset + self.page_size < len(hits)
        return Reply(200, {"data": {"videos": page, "cursor": offset + len(page), "has_more": more,
                                    "search_id": f"s-{start}-{end}"},
                           "error": {"code": "ok", "message": "", "log_id": "y"}})


def fb_post(n: int, page: str = "111") -> dict:
    return {"id": f"{page}_{9000 + n}", "message": f"Thông báo cắt nước khu {n}",
            "created_time": f"2026-09-14T{n // 60:02d}:{n % 60:02d}:00+0000",
            "permalink_url": f"https://www.facebook.com/{page}/posts/{9000 + n}"}


def fb_comment(post_id: str, i: int) -> dict:
    page, post = post_id.split("_")
    return {"id": f"{post}_{i}", "message": f"Khi nào có nước lại? {i}", "created_time": "2026-09-14T12:00:00+0000",
            "like_count": i, "comment_count": 0, "from": {"id": f"55{i}", "name": "Nguyễn Văn A"},
            "permalink_url": f"https://www.facebook.com/{page}/posts/{post}/?comment_id={i}"}


class GraphApi:
    """Page feed (since, paging.next with the token in it, as Graph does for query tokens), comments, IG hashtags."""

    def __init__(self, posts: list[dict], page_size: int = 5, token: str = "meta-token"):
        self.posts = posts
        self.page_size = page_size
        self.token = token
        self.base = ""
        self.usage: dict[str, str] = {}
        self.fail_next: list[Reply] = []
        self.hashtag_media: list[dict] = []

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(400, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                         "code": 190, "fbtrace_id": "A1"}})
        if self.fail_next:
            return self.fail_next.pop(0)
        q = request.query
        if request.path == "/111/feed":
            newest_first = sorted(self.posts, key=lambda p: p["created_time"], reverse=True)
            if since := q.get("since"):
                newest_first = [p for p in newest_first
                                if datetime.strptime(p["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
                                >= int(since)]
            start = int(q.get("offset", 0))
            page = newest_first[start:start + self.page_size]
            body: dict[str, Any] = {"data": page}
            if start + self.page_size < len(newest_first):
                body["paging"] = {"next": f"{self.base}/111/feed?access_token={self.token}&limit=5"
                                          f"&offset={start + self.page_size}"}
            return Reply(200, body, self.usage)
        if request.path == "/17900000000000300/comments":  # an Instagram media's comments, replies nested
            return Reply(200, {"data": [
                {"id": "17950000000000301", "text": "Ở đâu vậy?", "timestamp": "2026-09-14T09:00:00+0000",
                 "like_count": 1, "username": "hoa.le", "media": {"id": "17900000000000300"},
                 "replies": {"data": [{"id": "17950000000000302", "text": "@hoa.le Quận 7",
                                       "timestamp": "2026-09-14T09:05:00+0000", "like_count": 0}]}}],
                "paging": {"cursors": {"after": "A"},
                           "next": f"{self.base}/17900000000000300/comments?after=A&limit=50"}}, self.usage) \
                if "after" not in q else Reply(200, {"data": []})
        if request.path.endswith("/comments"):
            post_id = request.path.split("/")[1]
            return Reply(200, {"data": [fb_comment(post_id, i) for i in (1, 2)],
                               "paging": {"cursors": {"before": "B", "after": "A"},
                                          "previous": f"{self.base}/{post_id}/comments?before=B"}}, self.usage)
        if request.path == "/ig_hashtag_search":
            return Reply(200, {"data": [{"id": "17843853986012965"}]})
        if request.path == "/17843853986012965/recent_media":
            return Reply(200, {"data": self.hashtag_media, "paging": {
                "cursors": {"after": "X"}, "previous": f"{self.base}/17843853986012965/recent_media?before=Y"}})
        return Reply(404, {"error": {"message": "Unknown path", "type": "GraphMethodException", "code": 100,
                                     "fbtrace_id": "A2"}})

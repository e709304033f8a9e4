"""YouTube Data API v3 with an API key: a video's or a channel's comment threads, or a search's new videos and
their comments. Every call is charged to the project's daily quota ledger at its documented cost before it is
made (search.list 100 units; videos.list, commentThreads.list, comments.list 1 unit), reset at midnight Pacific.

Targets: `video:VIDEO_ID` (or the bare 11-character id), `channel:UC…` (comments on all the channel's videos),
`search:QUERY` (videos published since the last run, then the newest comment page of each). `@handle` and
`user:` targets are refused.

Comment sweeps page back (order=time) to the previous sweep's newest thread, like connectors/x.py. Threads
with more replies than the five sent inline get their replies from comments.list before the cursor moves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import (
    CollectError,
    HttpClient,
    QuotaExceeded,
    RateHeaders,
    RateLimited,
    Response,
    Unavailable,
)

COSTS = {"search": 100, "videos": 1, "commentThreads": 1, "comments": 1}
DAILY_UNITS = 10_000  # the default allocation of a Google Cloud project
_VIDEO_ID = re.compile(r"^(?:video:)?([A-Za-z0-9_-]{11})$")
_CHANNEL_ID = re.compile(r"^channel:(UC[A-Za-z0-9_-]{22})$")


@register
class YouTubeConnector(Connector):
    platform = "youtube"
    format_name = "youtube"
    default_api_base = "https://www.googleapis.com/youtube/v3"
    credential_keys = ("api_key",)
    optional_credential_keys = ("daily_quota",)
    target_help = "use video:VIDEO_ID, channel:UC… (a channel id) or search:QUERY"
    rate_headers = RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "epoch")  # Google sends none
    daily_quota = DAILY_UNITS
    quota_key = "api_key"
    person_patterns = ((r"^@", "a @handle"), (r"^(user|author):|/user/", "a user"))

    def normalize_target(self, target: str) -> str:
        if match := _VIDEO_ID.match(target):
            return f"video:{match.group(1)}"
        if _CHANNEL_ID.match(target):
            return target
        if target.startswith("search:") and target[7:].strip():
            return f"search:{target[7:].strip()}"
        raise TargetError(f"youtube: unsupported target {target!r}; {self.target_help}")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        api = _Api(client, creds.get("api_key"))
        if target.startswith("search:"):
            yield from self._search(api, target[7:], cursor)
        elif target.startswith("video:"):
            yield from self._threads(api, {"videoId": target[6:]}, cursor, self.max_pages)
        else:
            yield from self._threads(api, {"allThreadsRelatedToChannelId": target[8:]}, cursor, self.max_pages)

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        """One 1-unit call: the target's first comment thread, or (for a search, whose call costs 100) the key."""
        api = _Api(client, creds.get("api_key"))
        if target.startswith("search:"):
            api.call("videos", {"chart": "mostPopular", "part": "id", "maxResults": 1})
            return "ok: the API key works (the search itself runs with the first collection)"
        scope = ({"videoId": target[6:]} if target.startswith("video:")
                 else {"allThreadsRelatedToChannelId": target[8:]})
        reply = api.call("commentThreads", {**scope, "part": "id", "maxResults": 1})
        return f"ok: {len(_items(reply))} comment thread in the first page"

    def _threads(self, api: _Api, scope: dict[str, str], cursor: Cursor, max_pages: int) -> Iterator[Page]:
        for bodies, after in self._steps(api, scope, cursor, max_pages):
            yield from _pages(bodies, cursor, after)
            cursor = after

    def _steps(self, api: _Api, scope: dict[str, str], cursor: Cursor,
               max_pages: int) -> Iterator[tuple[list[Any], Cursor]]:
        """(the bodies of one thread page and its extra replies, the cursor once all are stored)."""
        stop = cursor.get("stop")
        token = cursor.get("page_token")
        newest = cursor.get("sweep_newest")
        for _ in range(max_pages):
            reply = api.call("commentThreads", {**scope, "part": "snippet,replies", "maxResults": 100,
                                                "order": "time", "textFormat": "plainText", "pageToken": token})
            items = _items(reply)
            times = [t for t in (_thread_time(i) for i in items) if t]
            if newest is None and times:
                newest = max(times)
            token = reply.body.get("nextPageToken")
            done = not token or not items or (stop is not None and bool(times) and min(times) <= stop)
            after = {"stop": newest or stop} if done else {"stop": stop, "page_token": token, "sweep_newest": newest}
            yield [reply.body, *self._replies(api, items)], after
            if done:
                return

    def _replies(self, api: _Api, threads: list[dict]) -> Iterator[Any]:
        for thread in threads:
            snippet = thread.get("snippet") or {}
            inline = len(((thread.get("replies") or {}).get("comments")) or [])
            if int(snippet.get("totalReplyCount") or 0) > inline:
                token = None
                while True:
                    reply = api.call("comments", {"parentId": thread.get("id"), "part": "snippet",
                                                  "maxResults": 100, "textFormat": "plainText", "pageToken": token})
                    yield reply.body
                    token = reply.body.get("nextPageToken")
                    if not token:
                        break

    def _search(self, api: _Api, query: str, cursor: Cursor) -> Iterator[Page]:
        since = cursor.get("published_after")
        pending = cursor.get("videos")
        newest = cursor.get("sweep_newest")
        if pending is None:
            found = api.call("search", {"q": query, "part": "snippet", "type": "video", "order": "date",
                                        "maxResults": 50, "publishedAfter": since})
            items = _items(found)
            pending = [i["id"]["videoId"] for i in items if isinstance(i.get("id"), dict) and i["id"].get("videoId")]
            times = [i["snippet"]["publishedAt"] for i in items if isinstance(i.get("snippet"), dict)
                     and i["snippet"].get("publishedAt")]
            newest = max(times) if times else since
            if not pending:
                yield Page(None, {"published_after": since}, fetched=0)
                return
            videos = api.call("videos", {"id": ",".join(pending), "part": "snippet,statistics"})
            yield Page(videos.body, {"published_after": since, "videos": pending, "sweep_newest": newest},
                       fetched=len(_items(videos)))
        cursor = {"published_after": since, "videos": pending, "sweep_newest": newest}
        while pending:
            video, rest = pending[0], pending[1:]
            after = ({"published_after": since, "videos": rest, "sweep_newest": newest} if rest
                     else {"published_after": newest})
            try:
                for bodies, _ in self._steps(api, {"videoId": video}, {}, 1):  # the newest comment page only
                    yield from _pages(bodies, cursor, after)
            except Unavailable:  # comments disabled on this video: the others still count
                yield Page(None, after, fetched=0)
            cursor, pending = after, rest


class _Api:
    def __init__(self, client: HttpClient, key: str):
        self.client = client
        self.key = key

    def call(self, resource: str, params: dict[str, Any]) -> Response:
        ledger = self.client.quota
        if ledger is not None:
            ledger.charge(COSTS[resource], f"{resource}.list")
        try:
            reply = self.client.get(f"/{resource}", {**params, "key": self.key})
        except QuotaExceeded as exc:
            if ledger is not None:
                raise ledger.exhausted() from None
            raise RateLimited(str(exc), self.client.clock() + 3600) from None
        if not isinstance(reply.body, dict) or not isinstance(reply.body.get("items", []), list):
            raise CollectError(f"youtube: {resource}.list answered without an items array")
        return reply


def _pages(bodies: list[Any], here: Cursor, after: Cursor) -> Iterator[Page]:
    """All but the last body keep the cursor where it was: replies land before the cursor passes their thread."""
    for i, body in enumerate(bodies):
        items = _items_of(body)
        yield Page(body if items else None, after if i == len(bodies) - 1 else here, fetched=len(items))


def _items(reply: Response) -> list[dict]:
    return _items_of(reply.body)


def _items_of(body: Any) -> list[dict]:
    items = body.get("items") if isinstance(body, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _thread_time(thread: dict) -> str | None:
    try:
        return thread["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    except (KeyError, TypeError):
        return None

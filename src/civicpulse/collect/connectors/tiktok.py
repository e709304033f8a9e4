"""TikTok Research API (approved researchers): video query by keyword or hashtag, and a video's comments.

Targets: `keyword:WORDS` or `#hashtag` (optionally followed by ` region:VN`), `video:VIDEO_ID` (its comments).
`username:` and `@handle` targets are refused.

Video queries run in date windows of at most 30 days (the API's limit), from the saved day to today, paging with
`cursor` and `search_id` inside a window; the cursor moves to the next window only when one is exhausted, and
today is queried again next run (late posts; the upsert makes repeats no-ops). Tokens come from the
client-credentials grant and are fetched again once when refused. Every request is charged to a daily ledger
(1,000 requests a day, reset at midnight UTC).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import AuthError, CollectError, HttpClient, RateHeaders, Response

QUERY = "/v2/research/video/query/"
COMMENTS = "/v2/research/video/comment/list/"
TOKEN = "/v2/oauth/token/"
VIDEO_FIELDS = ("id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,"
                "hashtag_names,voice_to_text")  # no username: the author is not needed and not wanted
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
WINDOW_DAYS = 30
FIRST_DAYS = 7  # how far back a new source starts
_TARGET = re.compile(r"^(keyword:(?P<words>[^\s].*?)|#(?P<tag>\w+)|video:(?P<video>\d{6,25}))"
                     r"(?:\s+region:(?P<region>[A-Za-z]{2}))?$", re.UNICODE)


@register
class TikTokConnector(Connector):
    platform = "tiktok"
    format_name = "tiktok"
    default_api_base = "https://open.tiktokapis.com"
    credential_keys = ("client_key", "client_secret")
    optional_credential_keys = ("daily_quota",)
    target_help = "use keyword:WORDS, #hashtag (each optionally followed by ' region:VN') or video:VIDEO_ID"
    rate_headers = RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "epoch")
    daily_quota = 1000
    quota_key = "client_key"
    quota_zone = "UTC"
    person_patterns = ((r"(^|\s)(username|user|author):", "a username"), (r"(^|\s)@\w", "an @handle"))

    def normalize_target(self, target: str) -> str:
        if not _TARGET.match(target):
            raise TargetError(f"tiktok: unsupported target {target!r}; {self.target_help}")
        return target

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        api = _Api(client, creds)
        match = _TARGET.match(target)
        if match is None:
            raise CollectError(f"tiktok: unsupported target {target!r}")
        if match.group("video"):
            yield from self._comments(api, int(match.group("video")), cursor)
        else:
            yield from self._videos(api, _query(match), cursor, _today(client))

    def _videos(self, api: _Api, query: dict[str, Any], cursor: Cursor, today: date) -> Iterator[Page]:
        start = _day(cursor.get("from")) or today - timedelta(days=FIRST_DAYS - 1)
        end = _day(cursor.get("to")) or min(start + timedelta(days=WINDOW_DAYS - 1), today)
        page_cursor, search_id = cursor.get("cursor"), cursor.get("search_id")
        for _ in range(self.max_pages):
            body = {"query": query, "start_date": f"{start:%Y%m%d}", "end_date": f"{end:%Y%m%d}", "max_count": 100}
            if page_cursor is not None:
                body.update(cursor=page_cursor, search_id=search_id)
            data = api.post(QUERY, VIDEO_FIELDS, body)
            videos = data.get("videos") or []
            if data.get("has_more"):
                page_cursor, search_id = data.get("cursor"), data.get("search_id") or search_id
                after: Cursor = {"from": f"{start:%Y%m%d}", "to": f"{end:%Y%m%d}", "cursor": page_cursor,
                                 "search_id": search_id}
            else:
                start = end + timedelta(days=1) if end < today else today
                end = min(start + timedelta(days=WINDOW_DAYS - 1), today)
                page_cursor = search_id = None
                after = {"from": f"{start:%Y%m%d}"}
            yield Page(api.last.body if videos else None, after, fetched=len(videos))
            if page_cursor is None and start >= today:
                return

    def _comments(self, api: _Api, video_id: int, cursor: Cursor) -> Iterator[Page]:
        page_cursor = cursor.get("cursor") or 0
        for _ in range(self.max_pages):
            data = api.post(COMMENTS, COMMENT_FIELDS, {"video_id": video_id, "max_count": 100, "cursor": page_cursor})
            comments = data.get("comments") or []
            page_cursor = data.get("cursor") if data.get("has_more") else None
            yield Page(api.last.body if comments else None, {"cursor": page_cursor} if page_cursor else {},
                       fetched=len(comments))
            if page_cursor is None:
                return


def _query(match: re.Match[str]) -> dict[str, Any]:
    if match.group("tag"):
        conditions = [{"operation": "IN", "field_name": "hashtag_name", "field_values": [match.group("tag")]}]
    else:
        conditions = [{"operation": "IN", "field_name": "keyword", "field_values": [match.group("words").strip()]}]
    if match.group("region"):
        conditions.append({"operation": "IN", "field_name": "region_code",
                           "field_values": [match.group("region").upper()]})
    return {"and": conditions}


def _today(client: HttpClient) -> date:
    return datetime.fromtimestamp(client.clock(), UTC).date()


def _day(text: str | None) -> date | None:
    return datetime.strptime(text, "%Y%m%d").date() if text else None


class _Api:
    def __init__(self, client: HttpClient, creds: Credentials):
        self.client = client
        self.creds = creds
        self.token: str | None = None
        self.last: Response

    def _fetch_token(self) -> str:
        self._charge("oauth/token")
        reply = self.client.request("POST", TOKEN, data={"client_key": self.creds.get("client_key"),
                                                         "client_secret": self.creds.get("client_secret"),
                                                         "grant_type": "client_credentials"})
        token = reply.body.get("access_token") if isinstance(reply.body, dict) else None
        if not isinstance(token, str):
            raise AuthError(f"tiktok: the token endpoint answered without an access_token "
                            f"({reply.body.get('error_description') if isinstance(reply.body, dict) else ''})")
        return token

    def _charge(self, what: str) -> None:
        if self.client.quota is not None:
            self.client.quota.charge(1, what)

    def post(self, path: str, fields: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.token is None:
            self.token = self._fetch_token()
        try:
            return self._post(path, fields, body)
        except AuthError:
            self.token = self._fetch_token()
            return self._post(path, fields, body)

    def _post(self, path: str, fields: str, body: dict[str, Any]) -> dict[str, Any]:
        self._charge(path)
        self.last = self.client.request("POST", path, params={"fields": fields}, json=body,
                                        headers={"Authorization": f"Bearer {self.token}"})
        envelope = self.last.body
        error = envelope.get("error") if isinstance(envelope, dict) else None
        if isinstance(error, dict) and error.get("code") not in (None, "ok"):
            raise CollectError(f"tiktok: {error.get('code')}: {error.get('message')}")
        data = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(data, dict):
            raise CollectError("tiktok: the answer has no `data` object")
        return data

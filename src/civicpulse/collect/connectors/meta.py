"""Meta Graph API: public Facebook Page feeds with their comments, Instagram hashtag search and media comments.

Facebook targets: `page:PAGE_ID` (needs Page Public Content Access, or a Page token for your own Page).
Instagram targets: `#hashtag` (recent media of the last 24 hours, through your Business account:
`ig_user_id` in the credentials) and `media:MEDIA_ID` (comments of a media of your Business account).
Profiles, groups and people are refused.

The token is sent in the Authorization header and stripped from paging links before they are stored or parsed.
Usage headers (`X-App-Usage`, `X-Business-Use-Case-Usage`, percentages of the hourly allowance) are obeyed:
above 90 % the source stops until the window frees up (`estimated_time_to_regain_access`, else an hour), and
throttling errors (codes 4, 17, 32, 613) do the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import CollectError, HttpClient, RateHeaders, Response

GRAPH = "https://graph.facebook.com/v21.0"
USAGE_LIMIT = 90  # percent of the hourly allowance at which a source stops
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80004})
FEED_FIELDS = "id,message,created_time,updated_time,permalink_url,shares,reactions.summary(total_count).limit(0)"
COMMENT_FIELDS = "id,message,created_time,like_count,comment_count,parent{id},permalink_url"
IG_MEDIA_FIELDS = "id,caption,media_type,comments_count,like_count,permalink,timestamp"
# media{id} names the media on every comment, whatever host the paging links point at.
IG_COMMENT_FIELDS = "id,text,timestamp,like_count,media{id},replies{id,text,timestamp,like_count}"
COMMENT_PAGES = 5  # per post and run: the newest comments first, older ones on later runs' re-reads


class _Graph(Connector):
    default_api_base = GRAPH
    credential_keys = ("access_token",)
    rate_headers = RateHeaders("x-none", "x-none", "epoch")  # Meta reports usage as percentages instead

    def throttle(self, status: int, headers: Any, body: bytes) -> float | None:
        if status >= 400:
            try:
                error = json.loads(body).get("error") or {}
            except (ValueError, AttributeError):
                error = {}
            return 3600.0 if isinstance(error, dict) and error.get("code") in THROTTLE_CODES else None
        worst, regain = 0.0, 0.0
        for name in ("x-app-usage", "x-business-use-case-usage", "x-ad-account-usage"):
            for usage in _usages(headers.get(name)):
                worst = max([worst, *(float(usage.get(k) or 0) for k in ("call_count", "total_time",
                                                                           "total_cputime"))])
                regain = max(regain, float(usage.get("estimated_time_to_regain_access") or 0) * 60)
        return (regain or 3600.0) if worst >= USAGE_LIMIT else None

    def _get(self, client: HttpClient, creds: Credentials, path: str, params: dict[str, Any] | None = None) -> Any:
        reply: Response = client.get(path, params, {"Authorization": f"Bearer {creds.get('access_token')}"})
        body = reply.body
        if not isinstance(body, dict):
            raise CollectError(f"{self.platform}: expected a Graph API object from {urlsplit(path).path}")
        paging = body.get("paging")
        if isinstance(paging, dict):
            for key in ("next", "previous"):
                if isinstance(paging.get(key), str):
                    paging[key] = _without_token(paging[key])
        return body

    def _edge(self, client: HttpClient, creds: Credentials, path: str, params: dict[str, Any],
              pages: int) -> Iterator[Any]:
        """Up to `pages` pages of an edge, following `paging.next`."""
        url: str | None = path
        for _ in range(pages):
            body = self._get(client, creds, url, params if url == path else None)
            yield body
            url = (body.get("paging") or {}).get("next")
            if not url or not body.get("data"):
                return


@register
class FacebookConnector(_Graph):
    platform = "facebook"
    format_name = "facebook"
    target_help = "use page:PAGE_ID (a public Page)"
    person_patterns = ((r"^(user|profile|group|me)\b", "a profile or group"), (r"^@", "an @name"))

    def normalize_target(self, target: str) -> str:
        if target.startswith("page:") and target[5:].strip().replace(".", "").isalnum():
            return f"page:{target[5:].strip()}"
        raise TargetError(f"facebook: unsupported target {target!r}; {self.target_help}")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        since = cursor.get("since")
        url = cursor.get("next") or f"/{target[5:]}/feed"
        newest = cursor.get("sweep_newest")
        first = cursor.get("next") is None
        for _ in range(self.max_pages):
            params = {"fields": FEED_FIELDS, "limit": 100, "since": since} if first else None
            body = self._get(client, creds, url, params)
            first = False
            posts = [p for p in body.get("data") or [] if isinstance(p, dict)]
            times = [_epoch(p.get("created_time")) for p in posts]
            times = [t for t in times if t is not None]
            if newest is None and times:
                newest = max(times)
            url = (body.get("paging") or {}).get("next")
            done = not url or not posts or (since is not None and bool(times) and min(times) <= since)
            after = {"since": newest or since} if done else {"since": since, "next": url, "sweep_newest": newest}
            here = dict(cursor)
            yield Page(body if posts else None, here, fetched=len(posts))
            for post in posts:  # comments land before the cursor passes their post
                for comments in self._edge(client, creds, f"/{post['id']}/comments",
                                           {"fields": COMMENT_FIELDS, "filter": "stream", "limit": 100,
                                            "order": "reverse_chronological"}, COMMENT_PAGES):
                    found = comments.get("data") or []
                    yield Page(comments if found else None, here, fetched=len(found))
            yield Page(None, after)
            if done:
                return
            cursor = after


@register
class InstagramConnector(_Graph):
    platform = "instagram"
    format_name = "instagram"
    optional_credential_keys = ("ig_user_id",)
    target_help = "use #hashtag (needs ig_user_id in the credentials) or media:MEDIA_ID"
    person_patterns = ((r"^@", "an @account"), (r"^(user|username|business_discovery):", "an account"))

    def normalize_target(self, target: str) -> str:
        if target.startswith("#") and target[1:].isalnum():
            return target.lower()
        if target.startswith("media:") and target[6:].isdigit():
            return target
        raise TargetError(f"instagram: unsupported target {target!r}; {self.target_help}")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        if target.startswith("media:"):
            for body in self._edge(client, creds, f"/{target[6:]}/comments", {"fields": IG_COMMENT_FIELDS,
                                                                               "limit": 50}, self.max_pages):
                yield Page(body if body.get("data") else None, {}, fetched=len(body.get("data") or []))
            return
        user = creds.get("ig_user_id")
        if not user:
            raise CollectError("instagram: hashtag search needs ig_user_id (your Business account) in the credentials")
        hashtag_id = cursor.get("hashtag_id")
        if not hashtag_id:  # each lookup counts against 30 unique hashtags per 7 days: looked up once, kept
            found = self._get(client, creds, "/ig_hashtag_search", {"user_id": user, "q": target[1:]})
            ids = [h.get("id") for h in found.get("data") or [] if isinstance(h, dict)]
            if not ids:
                raise CollectError(f"instagram: no hashtag {target} found")
            hashtag_id = ids[0]
        # recent_media holds the last 24 hours: every run re-reads it (upserts are idempotent).
        for body in self._edge(client, creds, f"/{hashtag_id}/recent_media",
                               {"user_id": user, "fields": IG_MEDIA_FIELDS, "limit": 50}, self.max_pages):
            yield Page(body if body.get("data") else None, {"hashtag_id": hashtag_id},
                       fetched=len(body.get("data") or []))


def _usages(header: str | None) -> list[dict]:
    if not header:
        return []
    try:
        value = json.loads(header)
    except ValueError:
        return []
    if isinstance(value, dict) and any(isinstance(v, list) for v in value.values()):
        return [u for v in value.values() if isinstance(v, list) for u in v if isinstance(u, dict)]
    return [value] if isinstance(value, dict) else []


def _without_token(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _epoch(value: Any) -> int | None:
    try:
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp())
    except (TypeError, ValueError):
        return None

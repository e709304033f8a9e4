"""Mastodon: hashtag and public timelines of an instance (`--api-base https://instance`).

Targets: `#tag` (GET /api/v1/timelines/tag/:tag), `public` (federated) or `local` (GET /api/v1/timelines/public).
The first run takes the newest page; later runs ask for what came after the cursor with `min_id` and follow the
Link header's `prev` (newer) until an empty page. Each page's newest id is the cursor once the page is stored.
An access token is optional (some instances require one for public timelines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import CollectError, HttpClient, RateHeaders

PAGE_SIZE = 40
_TAG = re.compile(r"^#?([\w]+)$", re.UNICODE)
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?(\w+)"?')


@register
class MastodonConnector(Connector):
    platform = "mastodon"
    format_name = "mastodon"
    default_api_base = "https://mastodon.social"
    optional_credential_keys = ("access_token",)
    target_help = "use #hashtag, `public` (federated timeline) or `local` (this instance's timeline)"
    rate_headers = RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "iso")
    person_patterns = (
        (r"^@", "an account (@user)"),
        (r"/accounts?/", "an account's statuses"),
        (r"^(user|account|from):", "an account"),
    )

    def normalize_target(self, target: str) -> str:
        if target.lower() in ("public", "local"):
            return target.lower()
        match = _TAG.match(target)
        if target.startswith("#") and match:
            return "#" + match.group(1)
        raise TargetError(f"mastodon: unsupported target {target!r}; {self.target_help}")

    def _request(self, target: str) -> tuple[str, dict[str, str | int]]:
        if target.startswith("#"):
            return f"/api/v1/timelines/tag/{quote(target[1:])}", {"limit": PAGE_SIZE}
        return "/api/v1/timelines/public", {"limit": PAGE_SIZE, **({"local": "true"} if target == "local" else {})}

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        path, params = self._request(target)
        headers = {"Authorization": f"Bearer {creds.get('access_token')}"} if creds.get("access_token") else None
        since = cursor.get("min_id")
        for _ in range(self.max_pages):
            query = dict(params, **({"min_id": since} if since else {}))
            reply = client.get(path, query, headers)
            statuses = reply.body
            if not isinstance(statuses, list):
                raise CollectError(f"mastodon: expected an array of statuses, got {type(statuses).__name__}")
            if not statuses:
                return
            newest = _prev_min_id(reply.headers.get("link")) or max((str(s.get("id")) for s in statuses
                                                                     if isinstance(s, dict)), key=_id_order)
            yield Page(statuses, {"min_id": newest}, fetched=len(statuses))
            if since is None:
                return  # first run: the newest page only; later runs catch up from here
            since = newest


def _id_order(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)  # numeric ids as strings: longer is newer, then lexical


def _prev_min_id(link: str | None) -> str | None:
    for url, rel in _LINK.findall(link or ""):
        if rel == "prev":
            values = parse_qs(urlsplit(url).query).get("min_id")
            if values:
                return values[0]
    return None

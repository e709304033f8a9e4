"""Bluesky: app.bsky.feed.searchPosts (newest first, `cursor` paging, `since` to stop at the previous sweep).

Target: a search query (`ngập lụt lang:vi`, `#ngapnuoc`). Account operators (`from:`, `to:`, `mentions:`, `@handle`,
`did:`) are refused. Without credentials the public AppView is asked; with `{"identifier", "app_password"}` a
session is created on the PDS (bsky.social) and refreshed once when it expires.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page
from civicpulse.collect.http import AuthError, CollectError, HttpClient, RateHeaders, Response

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PDS = "https://bsky.social"
PAGE_SIZE = 100


@register
class BlueskyConnector(Connector):
    platform = "bluesky"
    format_name = "bluesky-appview"
    default_api_base = "https://public.api.bsky.app"
    optional_credential_keys = ("identifier", "app_password")
    target_help = "use a search query, e.g. 'ngập lụt' or '#ngapnuoc'"
    rate_headers = RateHeaders("ratelimit-remaining", "ratelimit-reset", "epoch")
    person_patterns = (
        (r"(^|[\s(])-?(from|to|mentions|did):", "an account operator"),
        (r"(^|[\s(])@[\w.-]+", "an @handle"),
        (r"^at://", "an account's record"),
    )

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        session = _Session(client, creds, self.default_api_base)
        since = cursor.get("since")
        page_cursor = cursor.get("cursor")
        newest = cursor.get("sweep_newest")
        for _ in range(self.max_pages):
            reply = session.get(SEARCH, {"q": target, "sort": "latest", "limit": PAGE_SIZE, "since": since,
                                         "cursor": page_cursor})
            body = reply.body
            posts = body.get("posts") if isinstance(body, dict) else None
            if not isinstance(posts, list):
                raise CollectError("bluesky: the searchPosts response has no `posts` array")
            times = [p.get("indexedAt") for p in posts if isinstance(p, dict) and isinstance(p.get("indexedAt"), str)]
            if newest is None and times:
                newest = max(times)
            page_cursor = body.get("cursor") if posts else None
            reached = since is not None and bool(times) and min(times) <= since
            if page_cursor and not reached:
                after: Cursor = {"since": since, "cursor": page_cursor, "sweep_newest": newest}
            else:
                after = {"since": newest or since}
            yield Page(body if posts else None, after, fetched=len(posts))
            if "cursor" not in after:
                return


class _Session:
    def __init__(self, client: HttpClient, creds: Credentials, public_base: str):
        self.client = client
        self.creds = creds
        self.authenticated = bool(creds.get("identifier"))
        # The public AppView needs no session; a session lives on the PDS, which proxies searches to the AppView.
        self.base = PDS if self.authenticated and client.base_url == public_base else ""
        self.access: str | None = None
        self.refresh: str | None = None

    def _login(self) -> None:
        reply = self.client.request("POST", f"{self.base}/xrpc/com.atproto.server.createSession",
                                    json={"identifier": self.creds.get("identifier"),
                                          "password": self.creds.get("app_password")})
        self._take(reply)

    def _refresh(self) -> None:
        reply = self.client.request("POST", f"{self.base}/xrpc/com.atproto.server.refreshSession",
                                    headers={"Authorization": f"Bearer {self.refresh}"})
        self._take(reply)

    def _take(self, reply: Response) -> None:
        body = reply.body if isinstance(reply.body, dict) else {}
        self.access, self.refresh = body.get("accessJwt"), body.get("refreshJwt")
        if not isinstance(self.access, str):
            raise AuthError("bluesky: the session answer holds no accessJwt")

    def get(self, path: str, params: dict[str, Any]) -> Response:
        if not self.authenticated:
            return self.client.get(path, params)
        if self.access is None:
            self._login()
        try:
            return self.client.get(f"{self.base}{path}", params, {"Authorization": f"Bearer {self.access}"})
        except AuthError:
            if self.refresh:
                self._refresh()
            else:
                self._login()
            return self.client.get(f"{self.base}{path}", params, {"Authorization": f"Bearer {self.access}"})

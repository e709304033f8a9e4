"""Reddit (OAuth, application-only): subreddit listings, search, and comment trees with `more` expansion.

Targets: `r/sub` or `r/sub/new` (newest posts, incremental), `r/sub/hot` (the hot page, refreshed each run),
`r/sub/search:QUERY` or `search:QUERY` (newest matches), `r/sub/comments/ID` (a post's comment tree, re-read each
run so scores and edits update; `more` stubs are expanded through /api/morechildren).
User pages (`u/name`, `/user/...`) and `author:` searches are refused.

New-post sweeps page back with `after` from the newest post to the newest post of the previous sweep; the
sweep's newest post becomes the stop mark only when the sweep ends (see connectors/x.py for the same scheme).
The bearer token comes from the client-credentials grant and is fetched again once when the API says 401.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import AuthError, CollectError, HttpClient, RateHeaders, Response

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
PAGE_SIZE = 100
MORE_BATCH = 100  # /api/morechildren takes at most 100 ids per call
_SUB = r"r/([A-Za-z0-9][A-Za-z0-9_]{1,20})"
_TARGETS = (
    (re.compile(rf"^/?{_SUB}/?(new)?/?$", re.I), "new"),
    (re.compile(rf"^/?{_SUB}/hot/?$", re.I), "hot"),
    (re.compile(rf"^/?{_SUB}/search:(.+)$", re.I), "search"),
    (re.compile(r"^()search:(.+)$", re.I), "search"),
    (re.compile(rf"^/?{_SUB}/comments/([a-z0-9]{{4,10}})(/.*)?$", re.I), "comments"),
)


@register
class RedditConnector(Connector):
    platform = "reddit"
    format_name = "reddit"
    default_api_base = "https://oauth.reddit.com"
    credential_keys = ("client_id", "client_secret")
    optional_credential_keys = ("user_agent",)
    target_help = "use r/sub, r/sub/hot, r/sub/search:QUERY, search:QUERY or r/sub/comments/POST_ID"
    rate_headers = RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "seconds")
    person_patterns = (
        (r"(^|/)(u|user)/", "a user's page (u/name)"),
        (r"(^|[\s(:])author:", "an author: search"),
    )

    def normalize_target(self, target: str) -> str:
        for pattern, kind in _TARGETS:
            match = pattern.match(target)
            if match:
                sub = match.group(1)
                if kind == "new":
                    return f"r/{sub}"
                if kind == "hot":
                    return f"r/{sub}/hot"
                if kind == "search":
                    return f"r/{sub}/search:{match.group(2).strip()}" if sub else f"search:{match.group(2).strip()}"
                return f"r/{sub}/comments/{match.group(2).lower()}"
        raise TargetError(f"reddit: unsupported target {target!r}; {self.target_help}")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        session = _Session(client, creds)
        if "/comments/" in target:
            yield from self._thread(session, target)
        elif target.endswith("/hot"):
            reply = session.get(f"/{target}", {"limit": PAGE_SIZE, "raw_json": 1})
            yield Page(reply.body, {}, fetched=len(_children(reply.body)))
        else:
            yield from self._sweep(session, target, cursor)

    def _sweep(self, session: _Session, target: str, cursor: Cursor) -> Iterator[Page]:
        if "search:" in target:
            sub, _, query = target.partition("search:")
            path = f"/{sub.rstrip('/')}/search" if sub else "/search"
            params: dict[str, Any] = {"q": query, "sort": "new", "limit": PAGE_SIZE, "raw_json": 1, "type": "link"}
            if sub:
                params["restrict_sr"] = "on"
        else:
            path, params = f"/{target}/new", {"limit": PAGE_SIZE, "raw_json": 1}
        stop = float(cursor.get("stop_created") or 0)
        after = cursor.get("after")
        newest = cursor.get("sweep_newest")
        for _ in range(self.max_pages):
            reply = session.get(path, {**params, "after": after})
            children = _children(reply.body)
            created = [float(c["data"].get("created_utc") or 0) for c in children if isinstance(c.get("data"), dict)]
            if newest is None and created:
                newest = max(created)
            after = reply.body["data"].get("after")
            done = not after or not children or (stop and min(created, default=0) <= stop)
            page_cursor = ({"stop_created": newest if newest is not None else stop} if done
                           else {"stop_created": stop, "after": after, "sweep_newest": newest})
            yield Page(reply.body if children else None, page_cursor, fetched=len(children))
            if done:
                return

    def _thread(self, session: _Session, target: str) -> Iterator[Page]:
        post_id = target.rsplit("/", 1)[1]
        reply = session.get(f"/comments/{post_id}", {"limit": 500, "raw_json": 1})
        if not isinstance(reply.body, list):
            raise CollectError("reddit: a comment thread should be a [post, comments] array")
        pending = _more_ids(reply.body)
        yield Page(reply.body, {}, fetched=sum(len(_children(listing)) for listing in reply.body))
        for _ in range(self.max_pages - 1):
            if not pending:
                return
            batch, pending = pending[:MORE_BATCH], pending[MORE_BATCH:]
            more = session.get("/api/morechildren", {"link_id": f"t3_{post_id}", "children": ",".join(batch),
                                                     "api_type": "json", "raw_json": 1})
            things = ((more.body.get("json") or {}).get("data") or {}).get("things") or [] \
                if isinstance(more.body, dict) else []
            pending += _more_ids(things)
            yield Page(more.body, {}, fetched=len(things))

    def quota_left(self, cursor: Cursor) -> str | None:
        return None


class _Session:
    """An application-only OAuth session: the token is fetched lazily and once more after a 401."""

    def __init__(self, client: HttpClient, creds: Credentials):
        self.client = client
        self.creds = creds
        self.token: str | None = None
        self.agent = creds.get("user_agent") or "civicpulse-collector (public-opinion research)"
        self.token_url = TOKEN_URL if client.base_url == RedditConnector.default_api_base else "/api/v1/access_token"

    def _fetch_token(self) -> str:
        reply = self.client.request("POST", self.token_url, data={"grant_type": "client_credentials"},
                                    auth=(self.creds.get("client_id"), self.creds.get("client_secret")),
                                    headers={"User-Agent": self.agent})
        token = reply.body.get("access_token") if isinstance(reply.body, dict) else None
        if not isinstance(token, str):
            raise AuthError("reddit: the token endpoint answered without an access_token "
                            f"({reply.body.get('error') if isinstance(reply.body, dict) else 'not JSON'})")
        return token

    def get(self, path: str, params: dict[str, Any]) -> Response:
        if self.token is None:
            self.token = self._fetch_token()
        try:
            return self._get(path, params)
        except AuthError:
            self.token = self._fetch_token()  # expired: one fresh token, then a 401 is final
            return self._get(path, params)

    def _get(self, path: str, params: dict[str, Any]) -> Response:
        reply = self.client.get(path, params, {"Authorization": f"bearer {self.token}", "User-Agent": self.agent})
        if isinstance(reply.body, dict) and reply.body.get("kind") != "Listing" and "json" not in reply.body:
            raise CollectError(f"reddit: unexpected response from {path} (keys: {', '.join(list(reply.body)[:6])})")
        return reply


def _children(listing: Any) -> list[dict]:
    if isinstance(listing, dict) and isinstance(listing.get("data"), dict):
        children = listing["data"].get("children")
        if isinstance(children, list):
            return [c for c in children if isinstance(c, dict)]
    return []


def _more_ids(value: Any) -> list[str]:
    """Ids named by `more` stubs anywhere in a thread (a stub with no ids is "continue this thread": skipped)."""
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            found += _more_ids(item)
    elif isinstance(value, dict):
        if value.get("kind") == "more" and isinstance(value.get("data"), dict):
            found += [c for c in value["data"].get("children") or [] if isinstance(c, str)]
        else:
            for key in ("data", "children", "replies"):
                if key in value:
                    found += _more_ids(value[key])
    return found

"""X API v2 recent search (GET /2/tweets/search/recent) with an app bearer token.

Target: a search query in X's syntax (`ngập nước lang:vi -is:retweet`). Queries that name one account
(`from:`, `to:`, `@handle`, `retweets_of:`) are refused: civicpulse collects topics, not people.

A *sweep* starts at the newest tweet and pages back with `next_token` until `since_id` (the newest tweet of the
previous sweep). The sweep's newest id becomes `since_id` only when the sweep ends; in between, the cursor
holds the page token, so an interrupted or page-capped run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Cursor, Page, TargetError
from civicpulse.collect.http import CollectError, HttpClient, RateHeaders

SEARCH = "/2/tweets/search/recent"
FIELDS = {
    "max_results": 100,
    "tweet.fields": "created_at,lang,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,geo,"
                    "edit_history_tweet_ids,entities",
    "expansions": "author_id,geo.place_id,referenced_tweets.id",
    "user.fields": "id",  # only the id: the author is pseudonymized, so nothing else about them is needed
    "place.fields": "full_name,country_code,geo",
}
MAX_QUERY = 512  # characters, the recent-search limit on the basic and pro tiers


@register
class XConnector(Connector):
    platform = "x"
    format_name = "x-v2"
    default_api_base = "https://api.x.com"
    credential_keys = ("bearer_token",)
    target_help = "use a search query in X's syntax, e.g. 'ngập nước lang:vi -is:retweet'"
    rate_headers = RateHeaders("x-rate-limit-remaining", "x-rate-limit-reset", "epoch")
    person_patterns = (
        (r"(^|[\s(])-?(from|to|retweets_of|@?list|replies_to|in_reply_to_tweet_id|url):", "an account operator"),
        (r"(^|[\s(])@\w", "an @account"),
    )

    def normalize_target(self, target: str) -> str:
        if len(target) > MAX_QUERY:
            raise TargetError(f"x: the query is {len(target)} characters; recent search accepts at most {MAX_QUERY}")
        return target

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        headers = {"Authorization": f"Bearer {creds.get('bearer_token')}"}
        since = cursor.get("since_id")
        token = cursor.get("next_token")
        newest = cursor.get("sweep_newest")
        for _ in range(self.max_pages):
            reply = client.get(SEARCH, {**FIELDS, "query": target, "since_id": since, "next_token": token}, headers)
            body = reply.body
            meta = body.get("meta") if isinstance(body, dict) else None
            if not isinstance(meta, dict):
                raise CollectError("x: the search response has no `meta` object (not a recent-search page)")
            newest = newest or meta.get("newest_id")
            token = meta.get("next_token")
            after = ({"since_id": since, "next_token": token, "sweep_newest": newest} if token
                     else {"since_id": newest or since})
            count = int(meta.get("result_count") or 0)
            yield Page(body if body.get("data") or body.get("errors") else None, after, fetched=count)
            if not token:
                return

"""X API v2 filtered stream: the source's target is kept as the app's stream rule, matching posts arrive live.

Rules (GET/POST /2/tweets/search/stream/rules) belong to the app, not to a connection: civicpulse tags its rule
`civicpulse` and, at each run's start, makes the tagged rules exactly the target (adds it when missing, deletes
stale tagged rules, leaves rules with other tags alone). X allows one stream connection per app on most tiers,
so give each app (bearer token) one `x-stream` source.

The stream (GET /2/tweets/search/stream) is newline-delimited JSON: one post with its expansions per line, a
blank line as keep-alive every 20 seconds, and error objects such as `operational-disconnect` before X closes
the connection. Reconnects follow X's documented backoff: network errors wait 250 ms more each time up to 16 s,
HTTP errors double from 5 s up to 320 s, 429s double from a minute (or wait for `x-rate-limit-reset`).
Only posts that matched this source's rule are stored. The stream cannot be replayed: posts published while no
connection is open are not delivered (run a `x` recent-search source on the same query to fill gaps).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from civicpulse.collect import register
from civicpulse.collect.base import Cursor, Page, Session, TargetError
from civicpulse.collect.connectors.x import FIELDS, XConnector
from civicpulse.collect.http import CollectError, HttpClient, RateHeaders
from civicpulse.collect.streaming import EventBatch, StreamConnector, StreamEnded, StreamState, open_stream

RULES = "/2/tweets/search/stream/rules"
STREAM = "/2/tweets/search/stream"
RULE_TAG = "civicpulse"
MAX_RULE = 1024  # characters on Pro (512 on Basic: X says so when the rule is added)
STREAM_FIELDS = {k: v for k, v in FIELDS.items() if k != "max_results"}


@register
class XStreamConnector(StreamConnector):
    platform = "x-stream"
    format_name = "x-v2"
    default_api_base = XConnector.default_api_base
    credential_keys = ("bearer_token",)
    target_help = "use a filtered-stream rule in X's syntax, e.g. 'ngập nước lang:vi -is:retweet'"
    rate_headers = RateHeaders("x-rate-limit-remaining", "x-rate-limit-reset", "epoch")
    person_patterns = XConnector.person_patterns
    read_timeout = 60.0          # three missed keep-alives
    network_backoff = (0.25, 16.0)
    linear_network_backoff = True
    http_backoff = (5.0, 320.0)
    rate_backoff = (60.0, 960.0)
    backoff_jitter = 0.0

    def normalize_target(self, target: str) -> str:
        if len(target) > MAX_RULE:
            raise TargetError(f"x-stream: the rule is {len(target)} characters; X accepts at most {MAX_RULE}")
        return target

    def connect_and_read(self, session: Session, state: StreamState) -> Iterator[Page]:
        headers = {"Authorization": f"Bearer {session.creds.get('bearer_token')}"}
        rule_id = session.cursor.get("rule_id")
        if state.reconnects == 0 or not rule_id:  # once per run: someone may have edited the rules meanwhile
            rule_id = sync_rule(session.client, headers, session.target)
        with open_stream(session.client, state, STREAM, params=STREAM_FIELDS, headers=headers,
                         read_timeout=self.read_timeout, connect_timeout=self.connect_timeout) as response:
            if session.over():
                return
            batch = EventBatch(self.batch_events, self.batch_seconds)
            newest = session.cursor.get("since_id")
            for line in response.iter_lines():
                doc = _line(line)
                if isinstance(doc, str):  # cut off by a disconnect: the parser rejects it with the reason
                    batch.add(doc)
                elif isinstance(doc, dict) and "data" in doc:
                    if _matched(doc, rule_id):
                        batch.add(doc)
                        session.events += 1
                        tweet_id = str((doc.get("data") or {}).get("id") or "")
                        if tweet_id.isdigit() and (newest is None or int(tweet_id) > int(newest)):
                            newest = tweet_id
                elif isinstance(doc, dict) and doc.get("errors"):
                    if batch.docs:
                        yield _page(session, batch.take(), rule_id, newest)
                    raise StreamEnded(f"X ended the stream: {_error_title(doc)}")
                if batch.due() or (batch.docs and session.over()):
                    yield _page(session, batch.take(), rule_id, newest)
                if session.over():
                    return
            if batch.docs:
                yield _page(session, batch.take(), rule_id, newest)
            raise StreamEnded("X closed the stream")


def sync_rule(client: HttpClient, headers: dict[str, str], target: str) -> str:
    """Make the app's `civicpulse` rules exactly [target]; returns the rule's id."""
    body = client.get(RULES, None, headers).body
    rules = [r for r in (body.get("data") or []) if isinstance(r, dict)] if isinstance(body, dict) else []
    ours = [r for r in rules if r.get("tag") == RULE_TAG]
    keep = next((r for r in ours if r.get("value") == target), None)
    stale = [str(r["id"]) for r in ours if r is not keep and r.get("id")]
    if stale:
        client.request("POST", RULES, headers=headers, json={"delete": {"ids": stale}})
    if keep is not None:
        return str(keep["id"])
    added = client.request("POST", RULES, headers=headers, json={"add": [{"value": target, "tag": RULE_TAG}]}).body
    data = added.get("data") if isinstance(added, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict) or not data[0].get("id"):
        raise CollectError(f"x-stream: X did not accept the rule: {_error_title(added)}")
    return str(data[0]["id"])


def _line(line: str) -> object:
    """The line's JSON; None for a keep-alive; the text itself when it is not JSON (cut off by a disconnect)."""
    if not line.strip():
        return None
    try:
        return json.loads(line)
    except ValueError:
        return line[:1000]


def _matched(doc: dict, rule_id: str) -> bool:
    rules = doc.get("matching_rules")
    return isinstance(rules, list) and any(isinstance(r, dict) and (str(r.get("id")) == rule_id
                                                                    or r.get("tag") == RULE_TAG) for r in rules)


def _page(session: Session, docs: list[dict], rule_id: str, newest: str | None) -> Page:
    cursor: Cursor = {"rule_id": rule_id, **({"since_id": newest} if newest else {})}
    session.cursor = cursor
    return Page(docs, cursor, fetched=len(docs), lines=True)


def _error_title(body: object) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("title") or first.get("message") or first.get("detail") or first)[:200]
    return "no reason given"

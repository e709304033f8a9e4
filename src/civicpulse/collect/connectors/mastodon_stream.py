"""Mastodon streaming API (server-sent events): a hashtag or public stream, with deletions and edits.

Targets as for `mastodon`: `#tag` (GET /api/v1/streaming/hashtag?tag=), `public` (/api/v1/streaming/public) or
`local` (/api/v1/streaming/public/local). Events: `update` (a new status), `status.update` (an edit: the stored
post is updated), `delete` (a status id: applied when the workspace holds that status), heartbeats (`:thump`).

The streaming API has no replay, so every (re)connection first catches up through the REST timeline from the
newest status stored (`min_id`, as the polling connector does) while the stream buffers: a disconnect, a
restart or a `kill -9` loses nothing. The cursor is that newest status id, saved after its page is stored.
Point `--api-base` at the instance, or at its streaming host when the instance serves it elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from civicpulse.collect import register
from civicpulse.collect.base import Cursor, Page, Session
from civicpulse.collect.connectors.mastodon import MastodonConnector, _id_order
from civicpulse.collect.http import RateHeaders
from civicpulse.collect.streaming import EventBatch, StreamConnector, StreamEnded, StreamState, open_stream, sse_events

PLATFORM = "mastodon"


@register
class MastodonStreamConnector(StreamConnector):
    platform = "mastodon-stream"
    format_name = "mastodon-stream"
    default_api_base = MastodonConnector.default_api_base
    optional_credential_keys = ("access_token",)
    target_help = MastodonConnector.target_help
    rate_headers = RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "iso")
    person_patterns = MastodonConnector.person_patterns

    def normalize_target(self, target: str) -> str:
        return MastodonConnector().normalize_target(target)

    @staticmethod
    def stream_request(target: str) -> tuple[str, dict[str, str]]:
        if target.startswith("#"):
            return "/api/v1/streaming/hashtag", {"tag": target[1:]}
        return ("/api/v1/streaming/public/local" if target == "local" else "/api/v1/streaming/public"), {}

    def connect_and_read(self, session: Session, state: StreamState) -> Iterator[Page]:
        token = session.creds.get("access_token")
        headers = {"Accept": "text/event-stream", **({"Authorization": f"Bearer {token}"} if token else {})}
        path, params = self.stream_request(session.target)
        with open_stream(session.client, state, path, params=params, headers=headers,
                         read_timeout=self.read_timeout, connect_timeout=self.connect_timeout) as response:
            if session.over():  # a connection test, or a window that ended while connecting
                return
            if session.cursor.get("min_id"):  # what was posted while no stream was open
                for page in MastodonConnector().pages(session.client, session.creds, session.target,
                                                      dict(session.cursor)):
                    session.cursor = page.cursor
                    yield Page(page.body, page.cursor, fetched=page.fetched, format_name="mastodon")
            yield from self._read(session, sse_events(response.iter_lines()))
            if not session.over():
                raise StreamEnded("the server closed the stream")

    def _read(self, session: Session, events: Iterator[tuple[str, str] | None]) -> Iterator[Page]:
        batch = EventBatch(self.batch_events, self.batch_seconds)
        newest = session.cursor.get("min_id")
        for item in events:
            if item is not None:
                event, data = item
                doc = _event_doc(event, data)
                if doc is not None:
                    batch.add(doc)
                    session.events += 1
                    status_id = _status_id(doc)
                    if event == "update" and status_id:
                        newest = status_id if newest is None else max(newest, status_id, key=_id_order)
            if batch.due() or (session.over() and batch.docs):
                yield self._page(session, batch.take(), newest)
            if session.over():
                return
        if batch.docs:
            yield self._page(session, batch.take(), newest)

    def _page(self, session: Session, docs: list[dict], newest: str | None) -> Page:
        """Deletions only of statuses the workspace holds (or that arrived in this same page)."""
        in_page = {_status_id(d) for d in docs if d["event"] != "delete"}
        deleted = [str(d["payload"]) for d in docs if d["event"] == "delete"]
        held = session.held(PLATFORM, [i for i in deleted if i not in in_page]) if deleted else set()
        kept = [d for d in docs if d["event"] != "delete" or str(d["payload"]) in held | in_page]
        cursor: Cursor = {"min_id": newest} if newest else {}
        session.cursor = cursor
        return Page(kept or None, cursor, fetched=len(docs), lines=True)


def _status_id(doc: dict) -> str | None:
    payload = doc["payload"]
    return str(payload["id"]) if isinstance(payload, dict) and payload.get("id") is not None else None


def _event_doc(event: str, data: str) -> dict | None:
    """The line the `mastodon-stream` parser reads; None for events that are not about statuses."""
    if event == "delete":
        return {"event": event, "payload": data.strip()}
    if event not in ("update", "status.update"):
        return None  # notification, conversation, filters_changed…: not public statuses
    try:
        payload = json.loads(data)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or "id" not in payload:
        # Kept for the parser to reject with a reason (a truncated or foreign event is not silently lost).
        return {"event": event, "payload": payload if payload is not None else data[:1000]}
    return {"event": event, "payload": payload}

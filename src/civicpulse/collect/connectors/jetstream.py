"""Bluesky Jetstream (websocket): every new post of the network, filtered here by the target's keywords.

Jetstream has no search, so the target is a list of keywords or phrases separated by commas (`ngập lụt,
#ngapnuoc`), matched case-insensitively against each post's text. Creates that match are stored; edits
(`update`) and deletions of posts the workspace holds are applied; the rest of the firehose is dropped.

`wantedCollections=app.bsky.feed.post`. The cursor is the newest event time read (`time_us`, microseconds),
saved only after the page holding the events before it is stored. A reconnect asks for events from a few
seconds before it (Jetstream's time cursor has gaps between instances), and the events seen in that overlap
(kept in the cursor as short hashes, never DIDs) are dropped as duplicates.
"""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from civicpulse.collect import register
from civicpulse.collect.base import Cursor, Page, Session, TargetError
from civicpulse.collect.connectors.bluesky import BlueskyConnector
from civicpulse.collect.http import AuthError, CollectError
from civicpulse.collect.streaming import EventBatch, StreamConnector, StreamEnded, StreamState

POST_COLLECTION = "app.bsky.feed.post"
PLATFORM = "bluesky"
REWIND_US = 5_000_000        # a reconnect starts this far before the saved cursor
RECENT_LIMIT = 2000          # overlap keys kept in the cursor, at most
CURSOR_EVERY = 5.0           # seconds: the cursor moves on even while nothing matches


@register
class JetstreamConnector(StreamConnector):
    platform = "bluesky-jetstream"
    format_name = "bluesky-jetstream"
    default_api_base = "https://jetstream2.us-east.bsky.network"
    target_help = "use keywords or phrases separated by commas, e.g. 'ngập lụt, #ngapnuoc' (matched in post text)"
    person_patterns = BlueskyConnector.person_patterns

    def normalize_target(self, target: str) -> str:
        terms = _terms(target)
        if not terms:
            raise TargetError(f"bluesky-jetstream: no keyword in {target!r}; {self.target_help}")
        return ", ".join(terms)

    def connect_and_read(self, session: Session, state: StreamState) -> Iterator[Page]:
        saved = session.cursor.get("time_us")
        params: dict[str, Any] = {"wantedCollections": POST_COLLECTION}
        if isinstance(saved, int):
            params["cursor"] = max(0, saved - REWIND_US)
        url = f"{_ws_base(session.client.base_url)}/subscribe?{urlencode(params)}"
        try:
            ws = connect(url, open_timeout=self.connect_timeout, close_timeout=1, max_size=2 ** 21,
                         user_agent_header="civicpulse-collector")
        except InvalidStatus as exc:
            _refused(exc.response.status_code, state)
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            state.kind = "network"
            raise StreamEnded(f"{type(exc).__name__} connecting to Jetstream") from None
        state.connected = True
        with ws:
            if session.over():
                return
            yield from _Reader(self, session).read(ws)
            if not session.over():
                raise StreamEnded("Jetstream closed the connection")


class _Reader:
    def __init__(self, connector: JetstreamConnector, session: Session):
        self.session = session
        self.terms = [_fold(t) for t in _terms(session.target)]
        self.batch = EventBatch(connector.batch_events, connector.batch_seconds)
        self.newest: int | None = session.cursor.get("time_us")
        self.saved_at = time.monotonic()
        # Events already stored in the overlap a reconnect asks for again: key -> time_us.
        recent = session.cursor.get("recent")
        self.recent: dict[str, int] = dict(recent) if isinstance(recent, dict) else {}
        self.pending: set[str] = set()

    def read(self, ws: Any) -> Iterator[Page]:
        while True:
            try:
                message = ws.recv(timeout=0.5)
            except TimeoutError:
                message = None
            except ConnectionClosed:
                if self.batch.docs:
                    yield self.page()
                raise StreamEnded("Jetstream closed the connection") from None
            if message is not None:
                self.take(message)
            if self.batch.due() or (self.batch.docs and self.session.over()) or self.cursor_stale():
                yield self.page()
            if self.session.over():
                return

    def cursor_stale(self) -> bool:
        """Nothing matched for a while but time moved on: save the cursor, so a restart does not re-read it."""
        return (not self.batch.docs and self.newest is not None and self.newest != self.session.cursor.get("time_us")
                and time.monotonic() - self.saved_at >= CURSOR_EVERY)

    def take(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            return  # not JSON: nothing of it can be stored or matched
        if not isinstance(event, dict) or not isinstance(event.get("time_us"), int):
            return
        stamp = event["time_us"]
        self.newest = stamp if self.newest is None else max(self.newest, stamp)
        commit = event.get("commit")
        if event.get("kind") != "commit" or not isinstance(commit, dict) or commit.get("collection") != POST_COLLECTION:
            return
        key = _key(event, commit)
        if key in self.recent or key in self.pending:
            return  # seen before the reconnect's rewind, or twice in this batch
        operation = commit.get("operation")
        record = commit.get("record")
        text = record.get("text") if isinstance(record, dict) else None
        matches = isinstance(text, str) and any(t in _fold(text) for t in self.terms)
        if operation == "create" and not matches:
            return
        if operation not in ("create", "update", "delete"):
            return
        self.pending.add(key)
        self.batch.add({"event": event, "matches": matches, "operation": operation, "key": key})
        self.session.events += 1

    def page(self) -> Page:
        items = self.batch.take()
        self.pending.clear()
        in_page = {self._id(i["event"]) for i in items if i["operation"] == "create"}
        # Edits that no longer match and deletions count only for posts the workspace holds.
        doubtful = [self._id(i["event"]) for i in items if i["operation"] != "create" and not i["matches"]]
        held = (self.session.held(PLATFORM, doubtful) if doubtful else set()) | in_page
        docs = [i for i in items if i["operation"] == "create" or i["matches"] or self._id(i["event"]) in held]
        for item in docs:
            self.recent[item["key"]] = item["event"]["time_us"]
        if self.newest is not None:
            floor = self.newest - REWIND_US
            self.recent = {k: t for k, t in self.recent.items() if t >= floor}
        recent = dict(sorted(self.recent.items(), key=lambda kv: kv[1])[-RECENT_LIMIT:])
        cursor: Cursor = {"time_us": self.newest, "recent": recent} if self.newest is not None else {}
        self.session.cursor = cursor
        self.saved_at = time.monotonic()
        return Page([i["event"] for i in docs] or None, cursor, fetched=len(items), lines=True)

    def _id(self, event: dict) -> str:
        """The stored post id: the AT URI with the DID pseudonymized, as the Jetstream parser writes it."""
        did = str(event.get("did"))
        return f"at://{self.session.pseudonymize(PLATFORM, did)}/{POST_COLLECTION}/{event['commit'].get('rkey')}"


def _refused(status: int, state: StreamState) -> None:
    if status in (401, 403):
        raise AuthError(f"Jetstream refused the connection (HTTP {status})")
    if status == 429:
        state.kind = "rate"
        raise StreamEnded("HTTP 429 from Jetstream")
    if status >= 500:
        state.kind = "http"
        raise StreamEnded(f"HTTP {status} from Jetstream")
    raise CollectError(f"Jetstream refused the subscription (HTTP {status})")


def _ws_base(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://"):]
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://"):]
    return base_url


def _key(event: dict, commit: dict) -> str:
    """A short hash naming one event (no DID is stored in the cursor)."""
    raw = f"{event.get('did')}/{commit.get('rkey')}/{commit.get('operation')}/{commit.get('rev')}/{event['time_us']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _terms(target: str) -> list[str]:
    return [t.strip() for t in (target or "").split(",") if t.strip()]

"""What every connector declares and does: its credentials, its targets, and `pages(cursor)` or `collect(session)`.

A connector fetches; it never stores. It yields `Page`s, each an API response body in the format a source
parser already reads, plus the cursor that is true once that page is stored. The service stores the page and
only then saves the cursor, so a crash repeats at most one page (idempotent upsert) and never skips one.

Continuous sources (streams: Mastodon streaming, Bluesky Jetstream, X filtered stream) set `continuous = True`
and implement `collect(session)`: a supervised connection that reconnects with backoff and yields a page per
batch of events until `session.stop` is set or the session's window ends. Two ways to run one:

- `collect --once`: `Collector.run(source)` gives the stream a bounded window (`CIVICPULSE_STREAM_WINDOW`
  seconds, default 30, or `CIVICPULSE_STREAM_MAX_EVENTS` events, default 5000), then the stream stops cleanly
  after storing what it read; the next run resumes from the saved cursor.
- a server: its runtime (runtime/collection.py) runs one supervised thread per active continuous source, which
  calls `Collector.run(source, stop_event)` (blocking; `run_stream` is the same) and streams until
  `stop_event` is set, storing each batch and then its cursor; it returns the run's `RunSummary`. Reconnect
  waits (429s included) are slept here, interruptibly; it returns early only with status `failed` (refused
  credentials, a bad request: do not restart it before someone fixes the source) or `rate-limited` (a REST
  catch-up told to wait long; `not_before` is set: restart it after that time). The stop
  event is seen at the next event, heartbeat or keep-alive (Jetstream: within half a second; Mastodon and X
  send one every 10-20 seconds); what was read is stored before it returns. Run only continuous sources
  (`connector.continuous`) this way; polled ones keep their schedule through `run_due`.

`collect(session)` also serves connectors that need the store's view (X compliance uploads the ids it holds);
the default implementation calls `pages(client, creds, target, cursor)`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from civicpulse.collect.http import HttpClient, RateHeaders

Cursor = dict[str, Any]


class TargetError(ValueError):
    """A target this connector cannot or must not collect (per-person targets are refused here)."""


PRIVACY_REFUSAL = ("civicpulse collects from queries and public venues, never from one person: {what} is a "
                   "per-person target (privacy by design, see docs/collection.md)")


@dataclass
class Page:
    body: Any                    # decoded JSON, handed to the source parser `format_name`
    cursor: Cursor               # the source's cursor once this page is durably stored
    fetched: int = 0             # items the platform returned in this page
    format_name: str | None = None  # overrides the connector's format (e.g. comments vs videos)
    lines: bool = False          # body is a list of documents, stored one per line (stream events, JSONL results)


@dataclass
class Credentials:
    values: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # a stray log line or traceback must not print a secret
        return f"Credentials(keys={sorted(self.values)})"

    __str__ = __repr__

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class Session:
    """One run of a source, as a connector sees it: where to fetch, how long, and read-only questions to the store.

    `held(platform, post_ids)` answers which of these stored post ids the workspace holds (deletions of posts it
    never stored are dropped, not kept as tombstones); `stored_ids(platform)` lists the ids it holds (compliance);
    `pseudonymize(platform, value)` is the workspace's pseudonymizer (to name a stored id without storing a DID).
    """

    client: HttpClient
    creds: Credentials
    target: str
    cursor: Cursor
    stop: threading.Event = field(default_factory=threading.Event)
    deadline: float | None = None          # time.monotonic() at which a bounded run ends; None: until `stop`
    max_events: int | None = None          # a bounded run also ends after this many events
    held: Callable[[str, list[str]], set[str]] = lambda platform, ids: set()
    stored_ids: Callable[[str], list[str]] = lambda platform: []
    pseudonymize: Callable[[str, str], str] = lambda platform, value: value
    events: int = 0

    def over(self) -> bool:
        """The run should end: stopped, past its window, or enough events."""
        return (self.stop.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline)
                or (self.max_events is not None and self.events >= self.max_events))

    def left(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, less if the run ends first; False when the run is over."""
        left = self.left()
        if left is not None and seconds >= left:
            self.stop.wait(left)
            return False
        return not self.stop.wait(seconds) and not self.over()


class Connector:
    """Base class: subclasses set the declarations and implement `normalize_target` and `pages`."""

    platform: ClassVar[str]
    format_name: ClassVar[str]           # the source parser (civicpulse.sources) that reads its pages
    default_api_base: ClassVar[str]
    credential_keys: ClassVar[tuple[str, ...]] = ()   # required keys in the --credentials file
    optional_credential_keys: ClassVar[tuple[str, ...]] = ()
    target_help: ClassVar[str] = ""
    rate_headers: ClassVar[RateHeaders] = RateHeaders()
    max_pages: ClassVar[int] = 20        # per run: bounds a run's time so other sources get their turn
    daily_quota: ClassVar[int | None] = None  # units per day, for platforms with a quota ledger (YouTube)
    quota_key: ClassVar[str] = ""        # the credential that names the ledger (one ledger per API project)
    quota_zone: ClassVar[str] = "America/Los_Angeles"  # where the platform's quota day starts
    # Prefixes / patterns that name a person rather than a venue or query, with what to call them.
    person_patterns: ClassVar[tuple[tuple[str, str], ...]] = ()
    continuous: ClassVar[bool] = False   # a stream: runs for a window under --once, until stopped in a server

    continuous: ClassVar[bool] = False   # True: implement `stream`, run as a supervised long-lived connection

    def throttle(self, status: int, headers: Any, body: bytes) -> float | None:
        """Seconds to wait when an answer says the platform is throttling beyond its rate headers; None if not."""
        return None

    def validate_target(self, target: str) -> str:
        target = (target or "").strip()
        if not target:
            raise TargetError(f"{self.platform}: the target is empty; {self.target_help}")
        for pattern, what in self.person_patterns:
            if re.search(pattern, target, flags=re.IGNORECASE):
                raise TargetError(PRIVACY_REFUSAL.format(what=what))
        return self.normalize_target(target)

    def normalize_target(self, target: str) -> str:
        return target

    def check_credentials(self, creds: Credentials) -> None:
        missing = [k for k in self.credential_keys if not creds.get(k)]
        if missing:
            raise TargetError(f"{self.platform}: the credentials file lacks {', '.join(missing)} "
                              f"(expected keys: {', '.join(self.credential_keys + self.optional_credential_keys)})")
        unknown = set(creds.values) - set(self.credential_keys) - set(self.optional_credential_keys)
        if unknown:
            raise TargetError(f"{self.platform}: unknown credential keys {', '.join(sorted(unknown))} "
                              f"(expected: {', '.join(self.credential_keys + self.optional_credential_keys)})")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor) -> Iterator[Page]:
        raise NotImplementedError

    def collect(self, session: Session) -> Iterator[Page]:
        return self.pages(session.client, session.creds, session.target, session.cursor)

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        """One cheap request that proves the credentials and target work; returns a short description."""
        for page in self.pages(client, creds, target, {}):
            return f"ok: {page.fetched} items in the first page"
        return "ok: no items yet"

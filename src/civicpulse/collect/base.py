"""What every connector declares and does: its credentials, its targets, and `pages(cursor)` (or `stream`).

A connector fetches; it never stores. It yields `Page`s, each an API response body in the format a source
parser already reads, plus the cursor that is true once that page is stored. The service stores the page and
only then saves the cursor, so a crash repeats at most one page (idempotent upsert) and never skips one.

Two kinds of connector:
* **polling** (the default): `pages(client, creds, target, cursor)` yields at most `max_pages` pages and returns;
  the server's runtime calls it again on the source's schedule (`--every`).
* **continuous** (`continuous = True`): `stream(client, creds, target, cursor, stop)` keeps a connection open and
  yields a `Page` whenever the platform pushes enough items (a few hundred, or every few seconds), until `stop`
  is set or the connection ends. It must check `stop.is_set()` at least every few seconds (a read timeout on the
  connection does it) and return promptly once it is set. The runtime (runtime/collection.py) runs one
  supervised thread per active continuous source: it stores each page, then saves the page's cursor (to resume
  after a reconnect or a restart), and reconnects with a backoff when `stream` ends or raises. The schedule does
  not apply to a continuous source; pausing or deleting it stops its thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
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


@dataclass
class Credentials:
    values: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # a stray log line or traceback must not print a secret
        return f"Credentials(keys={sorted(self.values)})"

    __str__ = __repr__

    def get(self, key: str) -> str:
        return self.values.get(key, "")


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

    def stream(self, client: HttpClient, creds: Credentials, target: str, cursor: Cursor,
               stop: threading.Event) -> Iterator[Page]:
        """Continuous connectors: pages as the platform pushes them, until `stop` is set (see the module doc)."""
        raise NotImplementedError(f"{self.platform} is a polling connector: it has no stream")

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        """One cheap request that proves the credentials and target work; returns a short description."""
        for page in self.pages(client, creds, target, {}):
            return f"ok: {page.fetched} items in the first page"
        return "ok: no items yet"

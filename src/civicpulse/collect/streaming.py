"""What the stream connectors share: one supervised connection, reconnect backoff, event batches, SSE framing.

A stream is read through one connection at a time. When it drops (network error, server close, a platform's
"operational disconnect", a silence longer than `read_timeout`), the supervisor waits a backoff and connects
again; refused credentials and bad requests end the run instead, since retrying cannot fix them. Events are
grouped into pages (`batch_events` events or `batch_seconds` after the first one) so that each store commit
carries many events and its cursor; a stream that disconnects first stores what it has read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import httpx

from civicpulse.collect.base import Connector, Credentials, Page, Session
from civicpulse.collect.http import AuthError, CollectError, HttpClient, RateLimited


@dataclass
class Backoff:
    """Waits before reconnecting: linear (`step` more each time) or exponential (doubling), up to `ceiling`."""

    first: float
    ceiling: float
    linear: bool = False
    jitter: float = 0.0          # a share of each wait drawn at random, so many clients do not reconnect at once
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next(self) -> float:
        self.attempts += 1
        wait = (self.first * self.attempts if self.linear else self.first * 2 ** (self.attempts - 1))
        wait = min(wait, self.ceiling)
        return wait * (1 - self.jitter) + self.rng.uniform(0, wait * self.jitter) if self.jitter else wait

    def reset(self) -> None:
        self.attempts = 0


class EventBatch:
    """Events waiting for their page: full after `size` events or `seconds` after the first one."""

    def __init__(self, size: int, seconds: float):
        self.size, self.seconds = size, seconds
        self.docs: list[Any] = []
        self.started: float | None = None

    def add(self, doc: Any) -> None:
        if self.started is None:
            self.started = time.monotonic()
        self.docs.append(doc)

    def due(self) -> bool:
        return bool(self.docs) and (len(self.docs) >= self.size
                                    or time.monotonic() - (self.started or 0.0) >= self.seconds)

    def take(self) -> list[Any]:
        docs, self.docs, self.started = self.docs, [], None
        return docs


class StreamEnded(Exception):
    """The connection closed or failed in a way a reconnect may fix; the message says why."""


class StreamConnector(Connector):
    """Base of the stream connectors: `collect(session)` supervises `connect_and_read`, which they implement."""

    continuous = True
    batch_events: ClassVar[int] = 200
    batch_seconds: ClassVar[float] = 2.0
    read_timeout: ClassVar[float] = 90.0   # longer than any platform's heartbeat interval
    connect_timeout: ClassVar[float] = 15.0
    # (first wait, ceiling) of the reconnect backoffs; X documents its own (see x_stream.py).
    network_backoff: ClassVar[tuple[float, float]] = (1.0, 60.0)
    http_backoff: ClassVar[tuple[float, float]] = (5.0, 320.0)
    rate_backoff: ClassVar[tuple[float, float]] = (60.0, 960.0)
    linear_network_backoff: ClassVar[bool] = False
    backoff_jitter: ClassVar[float] = 0.25  # a share of each wait drawn at random (0: exactly as documented)

    def collect(self, session: Session) -> Iterator[Page]:
        network = Backoff(*self.network_backoff, linear=self.linear_network_backoff, jitter=self.backoff_jitter)
        http = Backoff(*self.http_backoff, jitter=self.backoff_jitter)
        rate = Backoff(*self.rate_backoff, jitter=self.backoff_jitter)
        state = StreamState()
        while True:  # at least one connection, even for a session that is over at once (a connection test)
            state.kind, state.reset_at = "network", None
            try:
                for page in self.connect_and_read(session, state):
                    network.reset(), http.reset(), rate.reset()
                    yield page
                break  # the reader returns only when the session is over
            except StreamEnded as exc:
                state.problem = str(exc)
                wait = {"network": network, "http": http, "rate": rate}[state.kind].next()
                if state.kind == "rate" and state.reset_at is not None:
                    wait = max(wait, state.reset_at - time.time())
                left = session.left()
                if state.kind == "rate" and left is not None and wait > left:
                    until = time.time() + wait
                    raise RateLimited(f"{self.platform}: {exc}; retry after "
                                      f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(until))}", until) from None
                if not session.wait(wait):
                    break
                state.reconnects += 1
        if not state.connected and state.problem:
            raise CollectError(f"{self.platform}: could not read the stream: {state.problem}")

    def connect_and_read(self, session: Session, state: StreamState) -> Iterator[Page]:
        """Connect, then yield pages until the session is over; raise `StreamEnded` (after setting
        `state.kind`) when the connection drops and a reconnect may help."""
        raise NotImplementedError

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        session = Session(client, creds, target, {}, deadline=time.monotonic() + self.connect_timeout,
                          max_events=0)
        for _ in self.collect(session):
            pass
        return "ok: connected to the stream"


@dataclass
class StreamState:
    """What the supervisor and the reader tell each other across reconnects."""

    connected: bool = False      # a connection was established at least once in this run
    reconnects: int = 0
    kind: str = "network"        # which backoff the next wait uses: network | http | rate
    reset_at: float | None = None
    problem: str | None = None


@contextmanager
def open_stream(client: HttpClient, state: StreamState, path: str, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, read_timeout: float = 90.0,
                connect_timeout: float = 15.0) -> Iterator[httpx.Response]:
    """One streaming GET; the status sorted into fatal (raised as is) and retryable (StreamEnded)."""
    timeout = httpx.Timeout(connect_timeout, read=read_timeout)
    url = client.url(path)
    host = httpx.URL(url).host
    with httpx.Client(timeout=timeout, follow_redirects=False,
                      headers={"User-Agent": "civicpulse-collector"}) as http:
        try:
            with http.stream("GET", url, params={k: v for k, v in (params or {}).items() if v is not None},
                             headers=headers) as response:
                _check_status(response, state, host)
                state.connected = True
                yield response
        except (httpx.TransportError, httpx.StreamError) as exc:
            state.kind = "network"
            raise StreamEnded(f"{type(exc).__name__} reading from {host}") from None


def _check_status(response: httpx.Response, state: StreamState, host: str | None) -> None:
    status = response.status_code
    if status == 200:
        return
    response.read()
    detail = response.text[:200].strip()
    if status in (401, 403):
        raise AuthError(f"{host} refused the credentials (HTTP {status}): {detail}")
    if status == 429:
        state.kind = "rate"
        state.reset_at = _reset_epoch(response.headers)
        raise StreamEnded(f"HTTP 429 from {host}: {detail}")
    if status >= 500:
        state.kind = "http"
        raise StreamEnded(f"HTTP {status} from {host}")
    raise CollectError(f"HTTP {status} from {host}: {detail}")


def _reset_epoch(headers: httpx.Headers) -> float | None:
    """The window's reset as epoch seconds: X and Bluesky send an epoch, Mastodon an ISO time."""
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        if value:
            try:
                return float(value)
            except ValueError:
                try:
                    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
                except ValueError:
                    return None
    return None


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, str] | None]:
    """Server-sent events as (event, data); None for a heartbeat or comment line (`:thump`), so that a reader
    gets control back while the stream is quiet. An event cut off before its blank line is never yielded."""
    event, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            yield None
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)

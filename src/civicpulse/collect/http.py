"""The one HTTP client every connector uses: retries with exponential backoff and jitter, reset-aware waits.

Response headers are the truth about rate limits. A 429 or 5xx is retried after the wait the headers ask for
(or a backoff when they say nothing); a wait longer than `max_wait` is not slept through but raised as
`RateLimited`, so one exhausted source ends its run and the others still get their turn. The clock and the
sleeper are injectable, so tests drive time instead of waiting for it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import orjson

Clock = Callable[[], float]  # seconds since the epoch
Sleeper = Callable[[float], None]
ResetKind = Literal["epoch", "seconds", "iso"]
# (status, headers, body) -> seconds to wait when the platform says it is throttling (Meta's usage headers).
Throttle = Callable[[int, "httpx.Headers", bytes], float | None]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class CollectError(Exception):
    """A source's run cannot go on; the message is shown in the run summary and health (never a secret)."""


class RateLimited(CollectError):
    """The platform asks for a wait longer than a run may sleep; `until` is when to try again (epoch seconds)."""

    def __init__(self, message: str, until: float):
        super().__init__(message)
        self.until = until


class AuthError(CollectError):
    """The credentials were refused (401/403)."""


class QuotaExceeded(CollectError):
    """The platform refused a call because a daily quota is used up (Google's 403 quotaExceeded)."""


class Unavailable(CollectError):
    """This item cannot be read (comments disabled, video gone); the rest of the source can."""


_UNAVAILABLE_REASONS = frozenset({"commentsDisabled", "videoNotFound", "channelNotFound"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"})


@dataclass(frozen=True)
class RateHeaders:
    """Where a platform reports its limits. `reset` is an epoch (X), seconds from now (Reddit) or a time (Mastodon)."""

    remaining: str = "x-rate-limit-remaining"
    reset: str = "x-rate-limit-reset"
    reset_kind: ResetKind = "epoch"


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: Any  # decoded JSON
    url: str


@dataclass
class RateState:
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds


class HttpClient:
    """GET/POST JSON against one API base with the retry policy above. Never logs or returns credentials."""

    def __init__(self, base_url: str, *, rate: RateHeaders = RateHeaders(), clock: Clock = time.time,
                 sleep: Sleeper = time.sleep, max_retries: int = 4, base_delay: float = 1.0,
                 max_wait: float = 60.0, timeout: float = 30.0, rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None, throttle: Throttle | None = None):
        self.base_url = base_url.rstrip("/")
        self.rate = rate
        self.throttle = throttle
        self.clock = clock
        self.sleep = sleep
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_wait = max_wait
        self.rng = rng or random.Random()
        self.state = RateState()
        self.requests = 0
        self.quota: Any = None  # a QuotaLedger, for platforms that count units per day (set by the collector)
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False,
                                  headers={"User-Agent": "civicpulse-collector"})

    def close(self) -> None:
        self._http.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, params=params, headers=headers)

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, data: dict[str, str] | None = None,
                json: Any = None, auth: tuple[str, str] | None = None, content: bytes | None = None,
                raw: bool = False) -> Response:
        """`raw`: the body is returned as bytes, not decoded (uploads, JSONL downloads)."""
        url = self.url(path)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            self._wait_for_window()
            problem: str
            wait: float | None = None
            try:
                self.requests += 1
                # No params at all rather than {}: an empty mapping would wipe a paging link's own query.
                reply = self._http.request(method, url, params=clean or None, headers=headers, data=data,
                                           json=json, auth=auth, content=content)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__} contacting {_host(url)}"
            else:
                self._note_limits(reply.headers)
                throttled = self.throttle(reply.status_code, reply.headers, reply.content) if self.throttle else None
                if throttled is not None and reply.status_code < 400:
                    # Usage headers near the limit: this answer counts, the next request waits for the window.
                    self.state.remaining, self.state.reset_at = 0, self.clock() + throttled
                elif throttled is not None:
                    raise RateLimited(f"throttled by {_host(url)}: {_error_text(reply)}; retry after "
                                      f"{_iso(self.clock() + throttled)}", self.clock() + throttled)
                # AT Protocol answers an expired session with 400 ExpiredToken: a credential problem, not bad input.
                reason = _google_reason(reply) if reply.status_code in (403, 404) else None
                if reason in _QUOTA_REASONS:
                    raise QuotaExceeded(f"{_host(url)}: {_error_text(reply)}")
                if reason in _UNAVAILABLE_REASONS:
                    raise Unavailable(f"{_host(url)}: {reason}: {_error_text(reply)}")
                if reply.status_code in (401, 403) or (reply.status_code == 400 and _expired_token(reply)):
                    raise AuthError(f"{_host(url)} refused the credentials (HTTP {reply.status_code}): "
                                    f"{_error_text(reply)}")
                if reply.status_code in RETRY_STATUSES:
                    problem = f"HTTP {reply.status_code} from {_host(url)}"
                    wait = self._retry_after(reply)
                elif reply.status_code >= 400:
                    raise CollectError(f"HTTP {reply.status_code} from {_host(url)}: {_error_text(reply)}")
                elif raw:
                    return Response(reply.status_code, reply.headers, reply.content, str(reply.url))
                else:
                    try:
                        return Response(reply.status_code, reply.headers, orjson.loads(reply.content), str(reply.url))
                    except orjson.JSONDecodeError as exc:  # truncated or malformed: usually transient
                        problem = f"malformed JSON from {_host(url)} ({exc.msg} at byte {exc.pos})"
            attempt += 1
            if attempt > self.max_retries:
                raise CollectError(f"gave up after {attempt} attempts: {problem}")
            delay = wait if wait is not None else self._backoff(attempt)
            if delay > self.max_wait:
                raise RateLimited(f"rate limited by {_host(url)}: {problem}; retry after "
                                  f"{_iso(self.clock() + delay)}", self.clock() + delay)
            self.sleep(delay)

    # ------------------------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: spreads retries of many sources over time."""
        ceiling = self.base_delay * 2 ** (attempt - 1)
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _retry_after(self, reply: httpx.Response) -> float | None:
        after = reply.headers.get("retry-after")
        if after is not None:
            try:
                return max(0.0, float(after))
            except ValueError:
                pass
        if reply.status_code == 429:
            # X's per-second limit answers 429 while the 15-minute window still has requests left: a short
            # backoff, not a wait for the window's reset.
            if self.state.remaining is not None and self.state.remaining > 0:
                return None
            if self.state.reset_at is not None:
                return max(0.0, self.state.reset_at - self.clock()) + self.rng.uniform(0, 1)
        return None

    def _wait_for_window(self) -> None:
        """Headers said the window is used up: wait for its reset (or end the run if that is far away)."""
        if self.state.remaining is None or self.state.remaining > 0 or self.state.reset_at is None:
            return
        delay = self.state.reset_at - self.clock()
        if delay <= 0:
            return
        if delay > self.max_wait:
            raise RateLimited(f"rate limit used up until {_iso(self.state.reset_at)}", self.state.reset_at)
        self.sleep(delay)
        self.state.remaining = None

    def _note_limits(self, headers: httpx.Headers) -> None:
        remaining = headers.get(self.rate.remaining)
        if remaining is not None:
            try:
                self.state.remaining = int(float(remaining))
            except ValueError:
                self.state.remaining = None
        reset = headers.get(self.rate.reset)
        if reset is not None:
            self.state.reset_at = _parse_reset(reset, self.rate.reset_kind, self.clock())


def _parse_reset(value: str, kind: ResetKind, now: float) -> float | None:
    try:
        if kind == "epoch":
            return float(value)
        if kind == "seconds":
            return now + float(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _google_reason(reply: httpx.Response) -> str | None:
    try:
        body = orjson.loads(reply.content)
        return body["error"]["errors"][0]["reason"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return None


def _expired_token(reply: httpx.Response) -> bool:
    try:
        body = orjson.loads(reply.content)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("error") in ("ExpiredToken", "InvalidToken")


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_text(reply: httpx.Response) -> str:
    """A short reason from an error body (platform envelopes vary); never the request, which holds credentials."""
    try:
        body = orjson.loads(reply.content)
    except orjson.JSONDecodeError:
        return reply.text[:200].strip() or reply.reason_phrase
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message") or err.get("code") or err)[:200]
        for key in ("error_description", "detail", "message", "title", "error"):
            if isinstance(body.get(key), str):
                return body[key][:200]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or errors[0].get("detail") or errors[0])[:200]
    return str(body)[:200]

"""Signed webhook delivery: JSON POSTs whose body and timestamp are authenticated with HMAC-SHA256.

A receiver recomputes `sign(secret, X-Civicpulse-Timestamp, raw_body)` and compares it to X-Civicpulse-Signature
(see `verify`); the timestamp inside the signed string stops an old delivery from being replayed later.

Every hop is vetted by `targets.vet` and the connection goes to the address that was vetted (no second lookup
for the socket to race), with the URL's host name kept for the Host header, TLS SNI and certificate checks.
Redirects are followed by hand, at most `MAX_REDIRECTS`, each vetted again; HTTP proxies from the environment
are not used. An attempt has a connect timeout and a total deadline enforced by a watchdog, and at most
`BODY_LIMIT` bytes of the answer are read.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from typing import Any

from civicpulse.notify.targets import AllowList, Target, TargetRefused, vet

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "civicpulse-webhook/1"
_BACKOFF_S = (1.0, 4.0, 10.0)  # deliveries run on their own worker (alerts/outbox.py), not inside evaluation
CONNECT_TIMEOUT_S = 3.0
TOTAL_TIMEOUT_S = 10.0  # per attempt, redirects included
MAX_REDIRECTS = 3
BODY_LIMIT = 4096
_REDIRECTS = frozenset((301, 302, 307, 308))


class DeliveryError(RuntimeError):
    """The webhook could not be delivered (after retries); the message names the URL and the last failure."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, timestamp: int | str, body: bytes, signature: str, now: float | None = None,
           tolerance: int = 300) -> bool:
    """True when `signature` matches and the timestamp is within `tolerance` seconds of now (either side)."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


def post_signed(url: str, secret: str, payload: dict[str, Any], timeout: float | None = None, retries: int = 2,
                allow: AllowList | None = None, cancel: threading.Event | None = None) -> int:
    """POST `payload` as signed JSON; retry on 5xx and connection errors. Returns the final HTTP status (< 500).

    A 4xx answer is final (the receiver rejected the request; retrying will not help) and is returned, not raised.
    A target the policy refuses raises TargetRefused (a ValueError) at once: nothing is sent, nothing retried.
    `timeout` bounds each attempt as a whole (default TOTAL_TIMEOUT_S); `allow` defaults to the environment's.
    Setting `cancel` (a stopping server) ends the backoff at once and makes no further attempt.
    """
    timeout = TOTAL_TIMEOUT_S if timeout is None else timeout
    stopping = cancel or threading.Event()
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    event_id = str(payload.get("event_id") or uuid.uuid4())
    last = ""
    for attempt in range(retries + 1):
        if attempt and stopping.wait(_BACKOFF_S[min(attempt - 1, len(_BACKOFF_S) - 1)]):
            last += " (no further attempt: server stopping)"
            break
        timestamp = int(time.time())  # re-signed per attempt so a late retry is not stale
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "X-Civicpulse-Timestamp": str(timestamp), "X-Civicpulse-Signature": sign(secret, timestamp, body),
                   "X-Civicpulse-Event-Id": event_id}
        try:
            status = _attempt(url, body, headers, time.monotonic() + timeout, allow)
        except (OSError, http.client.HTTPException) as exc:
            last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            continue
        if status < 500:
            return status
        last = f"HTTP {status}"
    raise DeliveryError(f"webhook {url} failed after {retries + 1} attempt(s): {last}")


def _attempt(url: str, body: bytes, headers: dict[str, str], deadline: float, allow: AllowList | None) -> int:
    """One POST, following up to MAX_REDIRECTS redirects, each target vetted before it is contacted."""
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        target = vet(current, allow)
        status, location = _post_once(target, body, headers, deadline)
        if status not in _REDIRECTS or not location:
            return status
        following = urllib.parse.urljoin(current, location)
        if target.parsed.scheme == "https" and not following.lower().startswith("https:"):
            raise TargetRefused("redirect from https to http")
        current = following
    raise DeliveryError(f"webhook {url}: more than {MAX_REDIRECTS} redirects")


def _post_once(target: Target, body: bytes, headers: dict[str, str], deadline: float) -> tuple[int, str | None]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("attempt deadline passed")
    parsed = target.parsed
    connect_timeout = min(CONNECT_TIMEOUT_S, remaining)
    conn: http.client.HTTPConnection = (
        _PinnedHTTPS(parsed.host, parsed.port, target.addresses, connect_timeout) if parsed.scheme == "https"
        else _PinnedHTTP(parsed.host, parsed.port, target.addresses, connect_timeout))
    expired = threading.Event()
    watchdog = threading.Timer(remaining, _abort, args=(conn, expired))  # a receiver dripping bytes cannot outlast it
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.connect()
        conn.sock.settimeout(max(0.05, deadline - time.monotonic()))
        conn.request("POST", parsed.target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(BODY_LIMIT)  # the answer's body is not needed; never read more than a little of it
        return response.status, response.getheader("Location")
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):  # the watchdog or the socket's own timeout
            raise TimeoutError(f"no complete answer within {remaining:.1f} s") from None
        raise
    finally:
        watchdog.cancel()
        conn.close()


def _abort(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the delivering thread


def _connect_pinned(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first vetted address that answers; no name is resolved here."""
    failure: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    raise failure


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the vetted addresses; `host` (the URL's name) still goes into the Host header."""

    def __init__(self, host: str, port: int, addresses: tuple[str, ...], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned = addresses

    def connect(self) -> None:
        self.sock = _connect_pinned(self.pinned, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the vetted addresses, verifying the certificate for the URL's host name (also sent as SNI)."""

    def __init__(self, host: str, port: int, addresses: tuple[str, ...], timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.pinned = addresses

    def connect(self) -> None:
        raw = _connect_pinned(self.pinned, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise

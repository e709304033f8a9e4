"""Signed webhook delivery: JSON POSTs whose body and timestamp are authenticated with HMAC-SHA256.

A receiver recomputes `sign(secret, X-Civicpulse-Timestamp, raw_body)` and compares it to X-Civicpulse-Signature
(see `verify`); the timestamp inside the signed string stops an old delivery from being replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "civicpulse-webhook/1"
_BACKOFF_S = (0.2, 0.5, 1.0, 2.0)  # short: deliveries run inside alert evaluation


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as its 3xx status: following it would re-send the event somewhere unvetted."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


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


def check_url(url: str) -> str:
    """Only absolute http(s) URLs with a host: no file:, ftp: or other schemes urllib would happily open."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be an absolute http:// or https:// URL, got {url!r}")
    return url


def post_signed(url: str, secret: str, payload: dict[str, Any], timeout: float = 5, retries: int = 2) -> int:
    """POST `payload` as signed JSON; retry on 5xx and connection errors. Returns the final HTTP status (< 500).

    A 4xx answer is final (the receiver rejected the request; retrying will not help) and is returned, not raised.
    """
    check_url(url)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    event_id = str(payload.get("event_id") or uuid.uuid4())
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(_BACKOFF_S[min(attempt - 1, len(_BACKOFF_S) - 1)])
        timestamp = int(time.time())  # re-signed per attempt so a late retry is not stale
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "X-Civicpulse-Timestamp": str(timestamp), "X-Civicpulse-Signature": sign(secret, timestamp, body),
            "X-Civicpulse-Event-Id": event_id})
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return exc.code
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
    raise DeliveryError(f"webhook {url} failed after {retries + 1} attempt(s): {last}")

"""Password guessing: per-user back-off, per-address limits, and device cookies for known-good browsers.

A hard lockout (N failures -> refuse everyone for M minutes) lets anyone lock out any account, the
administrator's included, just by typing its name wrongly N times. Instead:

- per user name: after `free_failures` consecutive failures, each further failure opens a back-off window of
  1 s, 2 s, 4 s ... up to `max_delay`; attempts inside the window get 429 + Retry-After, attempts after it
  are checked normally. Guessing slows to one try per `max_delay`; the owner waits at most that long.
- per client address: at most `per_client` failures in `client_window` seconds (an office shares one address,
  so this allowance is larger than a single account's).
- a browser that signed in successfully as that user gets a device cookie (OWASP "device cookies"); with it
  the user and address limits do not apply, only a back-off of the cookie's own. An attacker elsewhere cannot
  lock the owner of that browser out.

A success resets the back-off it was subject to (the device's, or else the user name's), never the address
count: one valid account must not let an address keep guessing at others. State is in memory (one server
process owns the store) and bounded.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, deque

DEVICE_COOKIE = "cp_device"
DEVICE_LIFETIME_S = 180 * 86400


class LoginLimiter:
    def __init__(self, free_failures: int = 3, base_delay: float = 1.0, max_delay: float = 300.0,
                 per_client: int = 30, client_window: float = 900.0, forget_after: float = 86400.0,
                 max_keys: int = 50_000, clock=time.monotonic) -> None:
        self.free_failures, self.base_delay, self.max_delay = free_failures, base_delay, max_delay
        self.per_client, self.client_window = per_client, client_window
        self.forget_after, self.max_keys, self.clock = forget_after, max_keys, clock
        self._streaks: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (failures in a row, last)
        self._clients: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def delay(self, failures: int) -> float:
        """The back-off after `failures` consecutive failures."""
        over = failures - self.free_failures
        return 0.0 if over <= 0 else min(self.base_delay * 2 ** (over - 1), self.max_delay)

    def retry_after(self, username: str, client: str, device: str | None = None) -> int:
        """Seconds until another attempt is allowed (0: now). `device`: the id of a valid device cookie for
        this user name, which replaces the user and address limits by its own back-off."""
        now = self.clock()
        with self._lock:
            waits = [self._streak_wait(f"d:{device}" if device else f"u:{username}", now)]
            if not device:
                recent = self._recent(client, now)
                if len(recent) >= self.per_client:
                    waits.append(self.client_window - (now - recent[0]))
        wait = max(waits)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, username: str, client: str, device: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            key = f"d:{device}" if device else f"u:{username}"
            failures, last = self._streaks.pop(key, (0, now))
            if now - last > self.forget_after:
                failures = 0
            self._remember(self._streaks, key, (failures + 1, now))
            if not device:
                self._remember(self._clients, client, self._recent(client, now))
                self._clients[client].append(now)

    def succeeded(self, username: str, device: str | None = None) -> None:
        """Reset the back-off that applied to this attempt: the device's own, or else the user name's (a
        success on a known device leaves an attacker's back-off on the name in place)."""
        with self._lock:
            self._streaks.pop(f"d:{device}" if device else f"u:{username}", None)

    def _streak_wait(self, key: str, now: float) -> float:
        failures, last = self._streaks.get(key, (0, now))
        return self.delay(failures) - (now - last)

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self._clients.get(client, deque())
        while q and now - q[0] > self.client_window:
            q.popleft()
        return q

    def _remember(self, table: OrderedDict, key: str, value) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.max_keys:  # bounded memory against floods of invented names or addresses
            table.popitem(last=False)


class DeviceCookies:
    """`<nonce>.<mac>` where mac = HMAC(key, user name + nonce): proof that this browser once signed in as that
    user. The key lives in memory, so a restart forgets known devices until their next successful sign-in."""

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _mac(self, username: str, nonce: str) -> str:
        return hmac.new(self.key, f"{username}\n{nonce}".encode(), hashlib.sha256).hexdigest()

    def issue(self, username: str) -> str:
        nonce = secrets.token_urlsafe(16)
        return f"{nonce}.{self._mac(username, nonce)}"

    def device_for(self, username: str, cookie: str | None) -> str | None:
        """The cookie's id (its nonce) if it proves an earlier sign-in as `username`; otherwise None."""
        nonce, _, mac = (cookie or "").partition(".")
        if nonce and mac and hmac.compare_digest(mac, self._mac(username, nonce)):
            return nonce
        return None

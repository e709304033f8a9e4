"""Daily quota ledgers: every call charged at its documented cost before it is made, reset at the platform's
midnight (YouTube: midnight Pacific time). Charging first errs on the safe side: a crash after the charge
over-counts a call, it never lets a project run past its quota.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from civicpulse.collect.http import RateLimited
from civicpulse.store import collect_sql as sql
from civicpulse.store.base import Store

PACIFIC = ZoneInfo("America/Los_Angeles")


class QuotaExhausted(RateLimited):
    pass


def ledger_name(platform: str, secret: str) -> str:
    """A stable name for one API project's ledger; a hash, so the key itself never lands in the database."""
    return f"{platform}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


class QuotaLedger:
    def __init__(self, store: Store, ledger: str, daily_units: int, clock: Callable[[], float],
                 zone: ZoneInfo = PACIFIC):
        self.store = store
        self.ledger = ledger
        self.daily_units = daily_units
        self.clock = clock
        self.zone = zone

    def _today(self) -> tuple[str, float]:
        local = datetime.fromtimestamp(self.clock(), UTC).astimezone(self.zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self.zone)
        return local.date().isoformat(), midnight.timestamp()

    def used(self) -> int:
        day, _ = self._today()
        rows = self.store.query(sql.QUOTA_USED, [self.ledger, day])
        return int(rows[0][0]) if rows else 0

    def left(self) -> int:
        return max(0, self.daily_units - self.used())

    def charge(self, units: int, what: str) -> None:
        day, reset = self._today()
        if self.used() + units > self.daily_units:
            raise QuotaExhausted(f"daily quota used up ({self.used()} of {self.daily_units} units; {what} costs "
                                 f"{units}); resets at midnight ({self.zone.key})", reset)
        self.store.execute(sql.QUOTA_CHARGE, [self.ledger, day, units])

    def exhausted(self) -> QuotaExhausted:
        """The platform says the quota is gone (another client shares the project): believe it until the reset."""
        day, reset = self._today()
        self.store.execute(sql.QUOTA_EXHAUST, [self.ledger, day, self.daily_units])
        return QuotaExhausted(f"the platform reports the daily quota exceeded; resets at midnight ({self.zone.key})",
                              reset)

    def describe(self) -> str:
        return f"{self.left()}/{self.daily_units} units today"

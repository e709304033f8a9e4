"""Schedules: every N minutes (or hours, days). A source is due when it never ran or its interval has passed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d)\s*$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400}
MIN_EVERY = 60  # seconds: no platform wants polling faster than once a minute


class ScheduleError(ValueError):
    pass


def parse_every(text: str) -> int:
    """'15m', '2h', '1d' -> seconds."""
    match = _DURATION.match(text or "")
    if not match:
        raise ScheduleError(f"invalid schedule {text!r}: use minutes, hours or days, e.g. 15m, 2h, 1d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < MIN_EVERY:
        raise ScheduleError(f"schedule {text!r} is too frequent: at least every 1m")
    return seconds


def format_every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def next_run(last_started: datetime | None, every_seconds: int, not_before: datetime | None = None) -> datetime | None:
    """When the source is due next: None means now (never ran). A rate-limit wait can push it later."""
    due = None if last_started is None else last_started + timedelta(seconds=every_seconds)
    if not_before is not None and (due is None or not_before > due):
        return not_before
    return due


def is_due(now: datetime, last_started: datetime | None, every_seconds: int,
           not_before: datetime | None = None) -> bool:
    due = next_run(last_started, every_seconds, not_before)
    return due is None or now >= due

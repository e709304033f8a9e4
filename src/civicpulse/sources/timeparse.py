"""Every time format the platforms use, to naive UTC datetimes (the store's convention)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class TimeError(ValueError):
    pass


_TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # Fri Jul 12 23:40:37 +0000 2019 (X v1.1)


def to_utc(value: Any) -> datetime:
    """Parse ISO-8601 (Z, +0000, +00:00, or no zone = UTC), X v1.1 times, or epoch s/ms/µs (number or digits)."""
    if isinstance(value, bool):
        raise TimeError(f"expected a time, got {value!r}")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value.strip():
        raise TimeError(f"expected a time, got {value!r}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)  # the common case first: ISO-8601, "Z" and "+0000" included
    except ValueError:
        if text.replace(".", "", 1).isdigit():
            return _from_epoch(float(text))
        try:
            parsed = datetime.strptime(text, _TWITTER_FORMAT)
        except ValueError:
            raise TimeError(f"unrecognised time {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _from_epoch(seconds: float) -> datetime:
    # Magnitude tells the unit: ms since 1970 are > 1e11 until the year 5138; µs > 1e14.
    if seconds > 1e14:
        seconds /= 1e6
    elif seconds > 1e11:
        seconds /= 1e3
    if seconds < 0:
        raise TimeError(f"negative epoch time {seconds!r}")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        raise TimeError(f"epoch time {seconds!r} is out of range") from None

"""A workspace's time zone: the local days and hours its dashboards, filters, alerts and digests count in.

Posts are stored as naive UTC. Everything a person reads or types is local to the workspace: bucket keys are
local wall-clock times (naive ISO, with the zone named beside them in every API answer), a bare date in a filter
is a local day, an alert's "day" window and a digest's day run from local midnight to local midnight.
The zone is the workspace setting `timezone` (an IANA name), default Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from civicpulse.store.base import Store

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# IANA names are letters, digits and _ + - / only: checked before a name is ever written into SQL as a literal.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def validate_timezone(name: str) -> str:
    """The IANA name itself when zoneinfo knows it; ValueError naming it otherwise."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise ValueError(f"timezone: {name[:60]!r} is not an IANA time zone name such as Asia/Ho_Chi_Minh or UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: unknown time zone {name!r} (use an IANA name such as Asia/Ho_Chi_Minh, "
                         "Europe/Berlin or UTC)") from None
    return name


def _settings(store: Store, workspace: str) -> dict | None:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    return json.loads(rows[0][0] or "{}") if rows else None


def timezone_for(store: Store, workspace: str) -> str:
    """The workspace's zone; a stored name this Python cannot resolve falls back to the default."""
    name = (_settings(store, workspace) or {}).get("timezone") or DEFAULT_TIMEZONE
    try:
        return validate_timezone(name)
    except ValueError:
        return DEFAULT_TIMEZONE


def set_timezone(store: Store, workspace: str, name: str) -> str:
    name = validate_timezone(name)
    settings = _settings(store, workspace)
    if settings is None:
        raise ValueError(f"no workspace {workspace!r}")
    store.execute("UPDATE workspaces SET settings = ? WHERE name = ?",
                  [json.dumps({**settings, "timezone": name}), workspace])
    return name


def to_local(moment: datetime, tz: str) -> datetime:
    """Naive UTC -> naive local wall-clock time (an aware moment is converted from its own offset)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def to_utc(moment: datetime, tz: str) -> datetime:
    """Naive local wall-clock time -> naive UTC (for a time a DST change skips or repeats: its first reading)."""
    local = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def local_day_start(day: date, tz: str) -> datetime:
    """Naive UTC of local midnight at the start of `day`."""
    return to_utc(datetime(day.year, day.month, day.day), tz)


def local_today(tz: str, now: datetime | None = None) -> date:
    return to_local(now or datetime.now(UTC), tz).date()


def local_sql(column: str, tz: str) -> str:
    """SQL for the local wall-clock time of naive-UTC `column`.

    A zone whose offset has not changed since FIXED_SINCE (Vietnam: UTC+7 since 1975) adds that offset: nearly free.
    Others (daylight saving time) convert through the database's time zones (DuckDB: ICU), about five times slower
    per row. Both spellings mean the same in DuckDB and PostgreSQL: a naive timestamp AT TIME ZONE 'UTC' is that
    UTC moment, and a moment AT TIME ZONE a zone is its naive local time there.
    """
    tz = validate_timezone(tz)  # a checked IANA name: safe as a quoted literal
    offset = fixed_offset(tz)
    if offset is not None:
        return column if not offset else f"({column} + INTERVAL '{offset} seconds')"
    return f"(({column} AT TIME ZONE 'UTC') AT TIME ZONE '{tz}')"


FIXED_SINCE = 1976  # posts older than this in a zone that changed its offset before are bucketed a little off


@lru_cache(maxsize=64)
def fixed_offset(tz: str) -> int | None:
    """The zone's UTC offset in seconds when it is the same on every half month from FIXED_SINCE to 2100, else
    None (a change of offset lasts months, so half-monthly samples see every one)."""
    zone = ZoneInfo(tz)
    offsets = {datetime(year, month, day, tzinfo=zone).utcoffset()
               for year in range(FIXED_SINCE, 2101) for month in range(1, 13) for day in (1, 15)}
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def bucket_sql(bucket: str, column: str, tz: str) -> str:
    """date_trunc of the local time: weeks start on Monday, months on the 1st, local midnight."""
    if bucket not in (*_STEPS, "month"):
        raise ValueError(f"unknown time bucket {bucket!r}")
    return f"date_trunc('{bucket}', {local_sql(column, tz)})"


def truncate(moment: datetime, bucket: str) -> datetime:
    """A local time truncated as `bucket_sql` truncates it."""
    t = moment.replace(minute=0, second=0, microsecond=0)
    if bucket != "hour":
        t = t.replace(hour=0)
    if bucket == "week":
        t -= timedelta(days=t.weekday())
    if bucket == "month":
        t = t.replace(day=1)
    return t


def next_bucket(t: datetime, bucket: str) -> datetime:
    if bucket == "month":
        return t.replace(year=t.year + t.month // 12, month=t.month % 12 + 1)
    return t + _STEPS[bucket]


def bucket_starts(start: datetime, end: datetime, bucket: str) -> Iterator[datetime]:
    """Local bucket starts covering the local period [start, end)."""
    t = truncate(start, bucket)
    while t < end:
        yield t
        t = next_bucket(t, bucket)

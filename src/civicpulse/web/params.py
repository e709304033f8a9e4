"""Dashboard filters from a request's query string: every dashboard, export and alert shares them.

`q` is a query in the listening language; `query` names a saved query (they combine with AND). Periods are
ISO dates or datetimes; `end` is exclusive, and a bare date as `end` includes that whole day. A bare date is a day
of the workspace's time zone (analytics.localtime); a date-time with a UTC offset is converted to UTC, one without
is UTC already. `period` picks a preset instead (today, 7d, 30d: local days; all: no bounds). Periods lie within
FIRST_DAY..LAST_DAY: date arithmetic (previous periods, one-day fallbacks) stays far from the limits of `datetime`
and of the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from fastapi import Depends, HTTPException, Query

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import local_day_start, timezone_for
from civicpulse.analytics.periods import DEFAULT_PRESET, PresetPeriod, preset_period
from civicpulse.store.base import Store
from civicpulse.web.deps import VIEWER, Access, store


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for raw in values or [] for v in raw.split(",") if v.strip())


FIRST_DAY = datetime(1900, 1, 1)
LAST_DAY = datetime(2199, 12, 31)


def _when(value: str | None, name: str, tz: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD) or ISO date-time") from None
    if not FIRST_DAY <= parsed.replace(tzinfo=None) < LAST_DAY + timedelta(days=1):
        raise HTTPException(422, f"{name}: {value!r} is outside the supported period, "
                                 f"{FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}")
    if _is_day(value):  # a local day: from (or, as an end, up to) the workspace's local midnight
        return local_day_start(parsed.date() + timedelta(days=1 if end else 0), tz)
    if parsed.tzinfo is not None:  # to UTC, like every stored time (never the server's local time)
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Scope:
    """The workspace access plus the filters of one request."""

    access: Access
    filters: Filters
    description: str  # for the audit log and report headers
    timezone: str = "UTC"  # the workspace's (analytics.localtime)
    period: str | None = None  # the preset asked for ("all" included), None for none
    preset: PresetPeriod | None = None  # the preset's days, once resolved

    @property
    def workspace(self) -> str:
        return self.access.workspace

    def period_info(self) -> dict[str, Any]:
        """What an answer says about its period: the zone, and the preset with the days it stands for."""
        return {"timezone": self.timezone, "preset": self.preset.to_dict() if self.preset else None}


def with_default_period(s: Scope, db: Store) -> Scope:
    """`s`, or, with no period at all (no start, end nor preset), `s` over the default preset (the last 7 days):
    the dashboards that compare with a previous period use it, so a first look compares two real weeks."""
    if s.filters.start or s.filters.end or s.period:
        return s
    return _with_preset(s, db, DEFAULT_PRESET)


def _with_preset(s: Scope, db: Store, name: str) -> Scope:
    found = preset_period(db, s.workspace, name, s.timezone)
    return replace(s, filters=replace(s.filters, start=found.start, end=found.end), preset=found)


def scope(a: Access = Depends(VIEWER), db: Store = Depends(store),
          q: str | None = Query(None, description="query in the listening language, e.g. ngập AND lang:vi"),
          query: str | None = Query(None, description="id of a saved query of this workspace"),
          start: str | None = Query(None, description="period start (inclusive), YYYY-MM-DD or ISO date-time"),
          end: str | None = Query(None, description="period end (exclusive for date-times, inclusive for dates)"),
          period: Literal["today", "7d", "30d", "all"] | None = Query(
              None, description="a preset in the workspace's local days, ending today or, when the data ends "
                                "earlier, on the latest post's day; ignored with start or end; all: no bounds"),
          platform: list[str] | None = Query(None), lang: list[str] | None = Query(None),
          place: list[str] | None = Query(None, description="2025 province names"),
          topic: list[str] | None = Query(None), sentiment: list[str] | None = Query(None)) -> Scope:
    from civicpulse.analytics.query import QuerySyntaxError, validate
    from civicpulse.analytics.saved_queries import SavedQueries

    parts = []
    if query:
        try:
            saved = SavedQueries(db).get(a.workspace, query)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
        parts.append(f"({saved.query})")
    if q and q.strip():
        parts.append(f"({q.strip()})" if parts else q.strip())
    text = " AND ".join(parts)
    if text:
        try:
            validate(text)
        except QuerySyntaxError as exc:
            raise HTTPException(400, {"message": str(exc), "position": exc.position}) from None
    tz = timezone_for(db, a.workspace)
    try:
        f = Filters(start=_when(start, "start", tz), end=_when(end, "end", tz, end=True), platforms=_split(platform),
                    languages=_split(lang), provinces=_split(place), topics=_split(topic),
                    sentiments=_split(sentiment), query=text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    described = {"query": query, "q": q, "start": start, "end": end, "period": period, "platform": platform,
                 "lang": lang, "place": place, "topic": topic, "sentiment": sentiment}
    found = Scope(a, f, " ".join(f"{k}={v}" for k, v in described.items() if v), tz, period)
    return _with_preset(found, db, period) if period and period != "all" and not (start or end) else found

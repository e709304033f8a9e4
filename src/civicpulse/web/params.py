"""Dashboard filters from a request's query string: every dashboard, export and alert shares them.

`q` is a query in the listening language; `query` names a saved query (they combine with AND). Periods are
ISO dates or datetimes; `end` is exclusive, and a bare date as `end` includes that whole day. A date-time with a
UTC offset is converted to UTC; one without is UTC already. Periods lie within FIRST_DAY..LAST_DAY: date arithmetic
(previous periods, one-day fallbacks) stays far from the limits of `datetime` and of the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi import Depends, HTTPException, Query

from civicpulse.analytics.filters import Filters
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.deps import VIEWER, Access, store


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for raw in values or [] for v in raw.split(",") if v.strip())


FIRST_DAY = datetime(1900, 1, 1)
LAST_DAY = datetime(2199, 12, 31)


def _when(value: str | None, name: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD) or ISO date-time") from None
    if not FIRST_DAY <= parsed.replace(tzinfo=None) < LAST_DAY + timedelta(days=1):
        raise HTTPException(422, f"{name}: {value!r} is outside the supported period, "
                                 f"{FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}")
    if parsed.tzinfo is not None:  # to UTC, like every stored time (never the server's local time)
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed + timedelta(days=1) if end and _is_day(value) else parsed


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

    @property
    def workspace(self) -> str:
        return self.access.workspace


def scope(a: Access = Depends(VIEWER), db: DuckDBStore = Depends(store),
          q: str | None = Query(None, description="query in the listening language, e.g. ngập AND lang:vi"),
          query: str | None = Query(None, description="id of a saved query of this workspace"),
          start: str | None = Query(None, description="period start (inclusive), YYYY-MM-DD or ISO date-time"),
          end: str | None = Query(None, description="period end (exclusive for date-times, inclusive for dates)"),
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
    try:
        f = Filters(start=_when(start, "start"), end=_when(end, "end", end=True), platforms=_split(platform),
                    languages=_split(lang), provinces=_split(place), topics=_split(topic),
                    sentiments=_split(sentiment), query=text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    described = {"query": query, "q": q, "start": start, "end": end, "platform": platform, "lang": lang,
                 "place": place, "topic": topic, "sentiment": sentiment}
    return Scope(a, f, " ".join(f"{k}={v}" for k, v in described.items() if v))

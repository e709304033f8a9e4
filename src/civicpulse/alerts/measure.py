"""What a rule measures over its current window, resting only on k-suppressed aggregates.

Saved queries and spike detection live in sibling modules (`analytics.saved_queries`, `analytics.trends`); they
are imported when a rule needs them so alerts work, and fail per rule with a clear message, without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from civicpulse.alerts.models import Rule
from civicpulse.analytics.aggregates import Analytics
from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import timezone_for, to_local, to_utc, truncate
from civicpulse.store.base import Store

_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass
class Reading:
    """One figure that reached a rule's threshold in one window (and, for spikes, one key)."""

    window_start: datetime
    value: float
    key: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def utc_naive(moment: datetime | None) -> datetime:
    """Posts are stored as naive UTC; an aware `now` is converted, a naive one taken as UTC."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def window_bounds(now: datetime, window: str, tz: str = "UTC") -> tuple[datetime, datetime]:
    """The naive-UTC bounds of the hour or the *local* day (midnight to midnight in `tz`) holding naive-UTC `now`."""
    start = truncate(to_local(now, tz), window)
    return to_utc(start, tz), to_utc(start + _LENGTH[window], tz)


def saved_query_text(store: Store, workspace: str, query_id: str) -> str:
    """The text of a saved query of this workspace; ValueError when there is none (or no saved queries at all)."""
    try:
        from civicpulse.analytics.saved_queries import SavedQueries
    except ImportError:
        raise ValueError("saved queries are not available in this installation") from None
    try:
        saved = SavedQueries(store).get(workspace, query_id)
    except LookupError:
        saved = None
    if saved is None:
        raise ValueError(f"no saved query {query_id!r} in workspace {workspace!r}")
    return saved.query


def rule_filters(store: Store, rule: Rule, start: datetime | None, end: datetime | None) -> Filters:
    kwargs: dict[str, Any] = {"start": start, "end": end, "topics": (rule.topic,) if rule.topic else (),
                              "provinces": (rule.place,) if rule.place else ()}
    if rule.query_id:
        kwargs["query"] = saved_query_text(store, rule.workspace, rule.query_id)
    return Filters(**kwargs)


def measure(store: Store, rule: Rule, now: datetime) -> list[Reading]:
    """Readings at or above the rule's threshold in the window containing `now`; empty when suppressed."""
    tz = timezone_for(store, rule.workspace)
    start, end = window_bounds(now, rule.window, tz)
    return readings(store, rule, start, end)


def readings(store: Store, rule: Rule, start: datetime, end: datetime, *, explain: int | None = None) -> list[Reading]:
    """Readings at or above the threshold in every window starting in [start, end) (naive UTC), oldest first.

    Live evaluation reads one window through here and a preview reads many: both fire on the same figures.
    Windows are the workspace's local hours or days. `explain` bounds how many spikes get their drivers worked
    out (None: as the detector does by default).
    """
    tz = timezone_for(store, rule.workspace)
    if rule.metric == "spike":
        return _spikes(store, rule, start, end, explain, tz)
    rows = Analytics(store, rule.workspace, timezone=tz).volume(rule_filters(store, rule, start, end),
                                                                bucket=rule.window)
    found = []
    for row in sorted(rows, key=lambda r: r.key):
        window = to_utc(row.key, tz)  # volume's keys are local
        if row.suppressed or not start <= window < end:  # under k authors the figure does not exist
            continue
        value = float(row.posts if rule.metric == "volume" else row.values["negative_share"])
        if value >= rule.threshold:
            found.append(Reading(window, value, detail={"posts": row.posts}))
    return found


def _spikes(store: Store, rule: Rule, start: datetime, end: datetime, explain: int | None, tz: str) -> list[Reading]:
    try:
        from civicpulse.analytics.trends import detect_spikes
    except ImportError:
        raise ValueError("spike detection is not available in this installation") from None
    # No start: the detector needs the earlier windows as its baseline; `since` keeps only the judged ones.
    f = rule_filters(store, rule, None, end)
    options: dict[str, Any] = {} if explain is None else {"explain": explain, "limit": 10_000}
    spikes = detect_spikes(store, rule.workspace, f, bucket=rule.window, dimensions=("all",),
                           threshold=rule.threshold, since=start, **options)
    # Volume and negative-share spikes of one window are separate findings: each keys its own event.
    found = [Reading(to_utc(s.bucket_start, tz), float(s.score), key=f"{s.metric}:{s.dimension}:{s.key or 'all'}",
                     detail={"spike": s.to_dict()})
             for s in spikes if start <= to_utc(s.bucket_start, tz) < end and s.score >= rule.threshold]
    return sorted(found, key=lambda r: (r.window_start, r.key or ""))

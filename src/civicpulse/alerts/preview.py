"""What a rule would have fired over stored history, and where its posts are in the post explorer.

Rules are evaluated live for the current window only, so a rule made after an import never fires on that history.
A preview walks the windows of a past period with the very code live evaluation uses (`measure.readings`) and
stores nothing: analysts tune a threshold before saving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from civicpulse.alerts import measure as m
from civicpulse.alerts.models import Rule
from civicpulse.analytics.localtime import timezone_for, to_local
from civicpulse.analytics.topic_trends import data_span
from civicpulse.store.base import Store

MAX_DAYS = 366
EXPLAINED = 0  # a preview lists when and how much; drivers are worked out on the trends page


@dataclass
class Preview:
    start: datetime
    end: datetime
    readings: list[m.Reading] = field(default_factory=list)
    timezone: str = "UTC"  # the workspace's: windows are its local hours and days

    def to_dict(self, rule: Rule) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "fired": len(self.readings),
                "windows": [{"window_start": r.window_start.isoformat(), "value": r.value, "key": r.key,
                             "posts_url": posts_link(rule, r.window_start, self.timezone)} for r in self.readings]}


def history_period(store: Store, workspace: str, days: int, end: datetime | None = None) -> tuple[datetime, datetime]:
    """The `days` before `end`, by default before the end of the stored data's last local day (imported history
    may be old); naive UTC."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a preview covers 1 to {MAX_DAYS} days (asked: {days})")
    if end is None:
        span = data_span(store, workspace)
        last = span[1] if span else m.utc_naive(None)
        end = m.window_bounds(m.utc_naive(last), "day", timezone_for(store, workspace))[1]
    end = m.utc_naive(end)
    return end - timedelta(days=days), end


def preview(store: Store, rule: Rule, days: int = 30, end: datetime | None = None) -> Preview:
    start, stop = history_period(store, rule.workspace, days, end)
    return Preview(start, stop, m.readings(store, rule, start, stop, explain=EXPLAINED),
                   timezone_for(store, rule.workspace))


def posts_link(rule: Rule, window_start: datetime, tz: str = "UTC") -> str:
    """The post explorer filtered to the rule's scope and one window (naive UTC start): a day as its local date
    (the filter bar reads a bare date as a local day), an hour as UTC times."""
    params: list[tuple[str, str]] = []
    if rule.query_id:
        params.append(("query", rule.query_id))
    if rule.topic:
        params.append(("topic", rule.topic))
    if rule.place:
        params.append(("place", rule.place))
    if rule.window == "day":
        day = to_local(window_start, tz).date().isoformat()
        params += [("start", day), ("end", day)]  # a bare end date includes that whole day
    else:
        params += [("start", window_start.isoformat()), ("end", (window_start + timedelta(hours=1)).isoformat())]
    return f"/w/{rule.workspace}/posts?{urlencode(params)}"

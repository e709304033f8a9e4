"""Period presets of the filter bar (today, last 7 days, last 30 days), in the workspace's local days.

A preset ends with a whole local day: today, or the day of the workspace's latest post when its data ends before
today (an imported history: "the last 7 days" of a quiet workspace would show nothing). The answer says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from civicpulse.analytics.localtime import local_day_start, local_today, to_local
from civicpulse.analytics.topic_trends import data_span
from civicpulse.store.base import Store

PRESETS = {"today": 1, "7d": 7, "30d": 30}
DEFAULT_PRESET = "7d"  # the dashboards' period when none is chosen: the last 7 days against the 7 before


@dataclass(frozen=True)
class PresetPeriod:
    preset: str
    start: datetime  # naive UTC, inclusive: local midnight of the first day
    end: datetime  # naive UTC, exclusive: local midnight after the last day
    first_day: date
    last_day: date
    anchor: str  # "today" | "latest_post"

    def to_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(),
                "anchor": self.anchor}


def preset_period(store: Store, workspace: str, preset: str, tz: str, now: datetime | None = None) -> PresetPeriod:
    if preset not in PRESETS:
        raise ValueError(f"unknown period {preset!r}; choose from {', '.join(PRESETS)}")
    today = local_today(tz, now)
    span = data_span(store, workspace)
    latest = to_local(span[1], tz).date() if span else None
    last_day, anchor = (latest, "latest_post") if latest is not None and latest < today else (today, "today")
    first_day = last_day - timedelta(days=PRESETS[preset] - 1)
    return PresetPeriod(preset, local_day_start(first_day, tz), local_day_start(last_day + timedelta(days=1), tz),
                        first_day, last_day, anchor)

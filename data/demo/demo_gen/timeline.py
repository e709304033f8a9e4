"""When things are posted: a 12-week window with weekly and daily rhythm, plus the injected events."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
END = datetime(2026, 10, 25, 23, 59, 59, tzinfo=UTC)  # a Sunday
DAYS = 84
VN = timedelta(hours=7)  # Asia/Ho_Chi_Minh, no DST
RETRIEVED = datetime(2026, 10, 26, 2, 15, tzinfo=UTC)

# Relative posting volume by local hour (Vietnam time): quiet at night, peaks at commute, lunch and evening.
HOUR_W = (1.2, 0.6, 0.3, 0.2, 0.3, 0.9, 2.6, 4.6, 5.0, 4.0, 3.4, 4.2, 4.8, 3.6, 3.0, 3.0, 3.4, 4.4, 4.6,
          5.2, 6.0, 6.2, 5.0, 2.8)
WEEKDAY_W = (1.05, 1.0, 1.0, 1.02, 1.08, 0.86, 0.8)
WEEKEND_TOPICS = {"culture": 1.9, "tourism": 1.9, "words": 1.3}
WEEKDAY_TOPICS = {"traffic": 0.5, "transit": 0.55, "metro": 0.7, "jobs": 0.5, "admin": 0.35, "edu": 0.6}

TOPIC_W: dict[str, float] = {
    "traffic": 14, "transit": 7, "metro": 5, "flood": 9, "air": 6, "health": 6, "edu": 5, "admin": 7,
    "housing": 6, "prices": 8, "jobs": 5, "safety": 6, "utilities": 7, "culture": 8, "tourism": 7, "words": 2,
}


@dataclass(frozen=True)
class Event:
    key: str
    start_local: datetime  # naive local time the spike begins
    cities: tuple[tuple[str, float], ...]
    title: str


EVENTS: dict[str, Event] = {
    "metro_fare": Event("metro_fare", datetime(2026, 8, 19, 9, 0), (("hcm", 0.92), ("hn", 0.08)),
                        "Metro Line 1 (Bến Thành–Suối Tiên) announces its new fare table and monthly pass"),
    "fireworks": Event("fireworks", datetime(2026, 9, 2, 20, 30), (("hn", 0.5), ("hcm", 0.36), ("dn", 0.14)),
                       "National Day (2/9) fireworks night in Hà Nội, TP.HCM and Đà Nẵng"),
    "storm": Event("storm", datetime(2026, 9, 14, 17, 0), (("hcm", 0.84), ("bd", 0.06), ("ct", 0.1)),
                   "Storm + heavy rain + high tide: flooding spike in Sài Gòn/TP.HCM"),
    "trung_thu": Event("trung_thu", datetime(2026, 9, 24, 17, 0), (("hn", 0.45), ("hcm", 0.4), ("hue", 0.15)),
                       "Mid-Autumn Festival (Trung thu, 25 Sep 2026)"),
}


def weighted(rng: random.Random, items: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
    pairs = list(items.items()) if isinstance(items, dict) else list(items)
    return rng.choices([k for k, _ in pairs], weights=[w for _, w in pairs])[0]


def base_time(rng: random.Random, topic: str) -> datetime:
    """A time for an ordinary (non-event) post on this topic."""
    weights = []
    for day in range(DAYS):
        wd = day % 7
        w = WEEKDAY_W[wd] * (1.0 + 0.18 * day / DAYS)
        if wd >= 5:
            w *= WEEKEND_TOPICS.get(topic, 1.0) * WEEKDAY_TOPICS.get(topic, 1.0)
        if topic == "flood" and 35 <= day <= 70:  # rainy season peak, September to mid-October
            w *= 1.6
        if topic == "air" and day >= 60:  # air quality worsens toward late October
            w *= 2.0
        weights.append(w)
    day = rng.choices(range(DAYS), weights=weights)[0]
    hour = rng.choices(range(24), weights=HOUR_W)[0]
    local = datetime(2026, 8, 3) + timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
    t = local.replace(tzinfo=UTC) - VN
    if t < START:  # early-morning local times on the first day fall before the window: move them a day on
        t += timedelta(days=1)
    return clamp(t)


def event_time(rng: random.Random, key: str) -> datetime:
    """A time inside an event's spike: most in the first hours, a tail over the next days."""
    ev = EVENTS[key]
    start = ev.start_local
    if key == "fireworks":
        if rng.random() < 0.8:
            local = start + timedelta(minutes=rng.triangular(0, 200, 60))
        else:
            local = start + timedelta(hours=rng.uniform(10, 20))
    elif key == "storm":
        local = start + timedelta(hours=min(rng.gammavariate(2.2, 9.0), 70))
        if 1 <= local.hour < 5 and rng.random() < 0.6:  # fewer posts in the small hours
            local += timedelta(hours=5)
    elif key == "metro_fare":
        local = start + timedelta(hours=min(rng.expovariate(1 / 14), 72))
    else:  # trung_thu: evenings over three days
        local = start + timedelta(days=rng.choice((0, 1, 1, 2)), hours=rng.uniform(0, 6))
    local += timedelta(seconds=rng.randrange(60))
    return clamp(local.replace(tzinfo=UTC) - VN)


def later(rng: random.Random, parent: datetime, mean_minutes: float = 90) -> datetime:
    """A reply time after `parent`; replies that would fall after the window are squeezed into its last hours."""
    t = parent + timedelta(minutes=1 + rng.expovariate(1 / mean_minutes))
    if t > END:
        t = parent + (END - parent) * rng.random()
    return clamp(t)


def clamp(t: datetime) -> datetime:
    return min(max(t, START), END).replace(microsecond=0)


def iso_z(t: datetime, millis: bool = True) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if millis else "Z")


def plan(rng: random.Random, n_base: int, events: dict[str, int]) -> list[tuple[datetime, str, str | None]]:
    """(time, topic, event) for n_base ordinary posts plus the given number of posts per event, time-sorted."""
    out: list[tuple[datetime, str, str | None]] = []
    for _ in range(n_base):
        topic = weighted(rng, TOPIC_W)
        out.append((base_time(rng, topic), topic, None))
    for key, n in events.items():
        out.extend((event_time(rng, key), key, key) for _ in range(n))
    out.sort(key=lambda x: (x[0], x[1]))
    return out

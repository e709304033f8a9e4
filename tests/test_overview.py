"""Overview figures against hand counts of tests/report_data.py: totals, previous period, suppression, isolation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from civicpulse.analytics import Filters
from civicpulse.analytics.overview import overview, totals
from civicpulse.analytics.privacy import publish_authors
from civicpulse.analytics.timeline import auto_bucket
from report_data import HANOI, HCMC, WEEK_END, WEEK_START, city_store

WEEK = Filters(start=WEEK_START, end=WEEK_END)


@pytest.fixture(scope="module")
def store():
    s = city_store()
    s.ensure_workspace("empty")
    yield s
    s.close()


def test_totals_and_change_against_the_previous_week(store) -> None:
    ov = overview(store, "city", WEEK)
    assert ov["period"] == {"start": "2026-09-08T00:00:00", "end": "2026-09-15T00:00:00"}
    assert ov["previous"]["period"] == {"start": "2026-09-01T00:00:00", "end": "2026-09-08T00:00:00"}
    # 15 negative (-0.8), 9 neutral (0), 6 positive (0.6) by 12 authors.
    # Author counts are shown coarsened (privacy.publish_authors); the exact ones show through the k edge.
    assert ov["totals"] == {"posts": 30, "authors": publish_authors(12, 10), "negative_share": 0.5,
                            "neutral_share": 0.3, "positive_share": 0.2, "net": -0.3, "mean_score": -0.28,
                            "suppressed": False}
    # 5 negative, 10 neutral, 5 positive by 10 authors: mean (5 * -0.8 + 5 * 0.6) / 20.
    assert ov["previous"]["totals"] == {"posts": 20, "authors": publish_authors(10, 10), "negative_share": 0.25,
                                        "neutral_share": 0.5, "positive_share": 0.25, "net": 0.0, "mean_score": -0.05,
                                        "suppressed": False}
    assert ov["change"] == {"posts_pct": 50.0, "net_points": -30.0, "negative_share_points": 25.0,
                            "neutral_share_points": -20.0, "positive_share_points": -5.0, "mean_score": -0.23}
    assert ov["bucket"] == "day" and ov["k"] == 10
    assert [totals(store, "city", WEEK, k)[0]["authors"] for k in (12, 13)] == [publish_authors(12, 12), None]


def test_breakdowns_keep_suppressed_flags_and_are_json_safe(store) -> None:
    ov = overview(store, "city", WEEK)
    json.dumps(ov)  # raises on datetimes or other non-JSON values
    places = {r["key"]: r for r in ov["places"]}
    assert places[HCMC]["posts"] == 15 and places[HCMC]["authors"] == publish_authors(12, 10)
    assert places[HCMC]["negative_share"] == 1.0
    assert places[HANOI] == {"key": HANOI, "posts": None, "authors": None, "mean_score": None,
                             "negative_share": None, "suppressed": True}  # 3 authors only
    topics = {r["key"]: (r["posts"], r["authors"]) for r in ov["topics"]}
    assert topics == {"flooding_weather": (15, publish_authors(12, 10)), "traffic": (15, publish_authors(12, 10))}
    emotions = {r["key"]: r["suppressed"] for r in ov["emotions"]}
    assert emotions == {"anger": False, "joy": True, "sadness": True, "neutral": True}
    # About 5 posts by 5 authors a day: every daily bucket is suppressed, yet listed.
    assert [r["key"][:10] for r in ov["volume"]] == [f"2026-09-{d:02d}" for d in range(8, 15)]
    assert all(r["suppressed"] and r["posts"] is None for r in ov["volume"])


def test_an_open_period_spans_the_data_and_picks_its_bucket(store) -> None:
    ov = overview(store, "city", Filters())
    # First post: the stray one of 20 August; last: c29 at WEEK_START + 145 h; the end is exclusive.
    assert ov["period"] == {"start": "2026-08-20T12:00:00", "end": "2026-09-14T01:00:01"}
    # Daily buckets of ~5 authors are nearly all hidden: the automatic unit widens to weeks.
    assert ov["totals"]["posts"] == 51 and ov["bucket"] == "week"
    assert ov["bucket_choice"] == {"auto": True, "widened_from": "day"}
    assert ov["previous"]["totals"]["suppressed"] and ov["change"]["posts_pct"] is None
    # A post every 2 hours by one author: every hour is hidden, every day (12 authors) shown.
    three_days = Filters(start=WEEK_START, end=WEEK_START + timedelta(days=3))
    widened = overview(store, "other", three_days)
    assert widened["bucket"] == "day" and widened["bucket_choice"]["widened_from"] == "hour"
    assert [(r["key"], r["posts"]) for r in widened["volume"]] == [(f"2026-09-{d:02d}T00:00:00", 12)
                                                                   for d in (8, 9, 10)]
    hourly = overview(store, "other", three_days, bucket="hour")  # asked for: kept, dense
    assert hourly["bucket_choice"] == {"auto": False, "widened_from": None} and len(hourly["volume"]) == 72
    assert [r["posts"] for r in hourly["volume"][:3]] == [None, 0, None]  # suppressed, empty, suppressed
    weekly = overview(store, "city", WEEK, bucket="week")
    # ISO weeks start on Monday: 14 September opens a new week, holding the last post alone.
    assert [(r["key"], r["posts"]) for r in weekly["volume"]] == [("2026-09-07T00:00:00", 29),
                                                                  ("2026-09-14T00:00:00", None)]
    assert [auto_bucket(WEEK_START, WEEK_START + timedelta(days=d)) for d in (3, 4, 120, 121)] == \
        ["hour", "day", "day", "week"]


def test_totals_over_fewer_than_k_authors_are_suppressed(store) -> None:
    ov = overview(store, "city", Filters(start=WEEK_START, end=WEEK_END, sentiments=("positive",)))
    assert ov["totals"]["suppressed"] and ov["totals"]["posts"] is None and ov["totals"]["net"] is None
    assert set(ov["change"].values()) == {None}
    assert overview(store, "city", Filters(start=WEEK_START, end=WEEK_END, sentiments=("negative",)))[
        "totals"]["posts"] == 15


def test_a_workspace_never_sees_another(store) -> None:
    other = overview(store, "other", WEEK)
    assert other["totals"]["posts"] == 60 and other["totals"]["positive_share"] == 1.0
    assert {r["key"] for r in other["topics"]} == {"festival"}
    assert overview(store, "city", WEEK)["totals"]["posts"] == 30
    empty = overview(store, "empty", Filters())
    assert empty["period"] == {"start": None, "end": None} and empty["volume"] == [] and empty["totals"]["suppressed"]
    assert overview(store, "empty", WEEK)["totals"]["suppressed"]


def test_unknown_bucket_and_half_open_periods(store) -> None:
    with pytest.raises(ValueError, match="unknown time bucket 'fortnight'"):
        overview(store, "city", WEEK, bucket="fortnight")
    since = overview(store, "city", Filters(start=WEEK_START))
    assert since["period"]["end"] == "2026-09-14T01:00:01" and since["totals"]["posts"] == 30
    after = overview(store, "city", Filters(start=datetime(2027, 1, 1)))  # nothing after: a one-day period
    assert after["period"] == {"start": "2027-01-01T00:00:00", "end": "2027-01-02T00:00:00"}

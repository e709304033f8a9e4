"""The workspace's time zone: local day buckets, local alert windows and digest days, period presets, the choice
of time unit (widening), dense series and the inclusive period title."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicpulse.alerts.measure import measure
from civicpulse.alerts.models import Rule
from civicpulse.analytics import Filters
from civicpulse.analytics.aggregates import BUCKETS, Analytics
from civicpulse.analytics.localtime import (
    DEFAULT_TIMEZONE,
    fixed_offset,
    local_day_start,
    local_sql,
    set_timezone,
    timezone_for,
    to_local,
    validate_timezone,
)
from civicpulse.analytics.overview import overview
from civicpulse.analytics.periods import preset_period
from civicpulse.analytics.timeline import PASSING, choose_bucket, dense, shown_share
from civicpulse.analytics.topic_trends import topic_trends
from civicpulse.reports.digests import DigestService
from civicpulse.reports.model import build_report, period_text
from civicpulse.store.duckdb_store import DuckDBStore
from report_data import add_posts

VN = "Asia/Ho_Chi_Minh"
# 16:30 UTC is 23:30 in Vietnam, still 20 September; 17:30 UTC is 00:30 on 21 September there.
LATE = datetime(2026, 9, 20, 16, 30)
AFTER_MIDNIGHT = datetime(2026, 9, 20, 17, 30)
PREVIOUS_WEEK = datetime(2026, 9, 12, 5)  # noon in Vietnam


def batch(prefix: str, at: datetime, n: int = 12, authors: int = 12, topic: str = "traffic") -> list[tuple]:
    return [(f"{prefix}{i}", f"{prefix}-author{i % authors}", at + timedelta(minutes=i), "negative", "anger", topic,
             None) for i in range(n)]


@pytest.fixture(scope="module")
def store():
    s = DuckDBStore(":memory:")
    for ws in ("vn", "utc"):
        s.ensure_workspace(ws)
        add_posts(s, ws, batch("late", LATE) + batch("night", AFTER_MIDNIGHT) + batch("prev", PREVIOUS_WEEK))
    set_timezone(s, "utc", "UTC")
    yield s
    s.close()


def test_the_default_zone_and_validation(store) -> None:
    assert timezone_for(store, "vn") == DEFAULT_TIMEZONE == VN and timezone_for(store, "utc") == "UTC"
    assert validate_timezone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "Asia/Ho_Chi_Minh'; DROP TABLE posts; --", "", "../etc/passwd"):
        with pytest.raises(ValueError, match="timezone"):
            validate_timezone(bad)
    with pytest.raises(ValueError, match="no workspace"):
        set_timezone(store, "nowhere", "UTC")


def test_the_sql_local_time_matches_python_s_in_fixed_and_daylight_saving_zones() -> None:
    # Around Europe's 2026 clock changes (29 March, 25 October at 01:00 UTC) and across Vietnam's midnight.
    times = [datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 1, 30), datetime(2026, 10, 25, 0, 30),
             datetime(2026, 10, 25, 1, 30), datetime(2026, 6, 1, 16, 59), datetime(2026, 6, 1, 17)]
    assert fixed_offset(VN) == 7 * 3600 and fixed_offset("UTC") == 0 and fixed_offset("Europe/Berlin") is None
    s = DuckDBStore(":memory:")
    for tz in (VN, "Europe/Berlin", "America/New_York", "UTC"):
        rows = s.query(f"SELECT {local_sql('t', tz)} FROM (SELECT unnest(?) AS t, generate_subscripts(?, 1) AS i) "
                       "ORDER BY i", [times, times])
        assert [r[0] for r in rows] == [to_local(t, tz) for t in times], tz
    s.close()


def test_day_buckets_are_local_days_across_the_17_utc_boundary(store) -> None:
    f = Filters(start=datetime(2026, 9, 19), end=datetime(2026, 9, 22))
    local = {r.key: r.posts for r in Analytics(store, "vn").volume(f, "day")}
    assert local == {datetime(2026, 9, 20): 12, datetime(2026, 9, 21): 12}
    assert {r.key: r.posts for r in Analytics(store, "utc").volume(f, "day")} == {datetime(2026, 9, 20): 24}
    # Hours are local wall-clock hours too.
    assert [r.key for r in Analytics(store, "vn").volume(f, "hour")] == [datetime(2026, 9, 20, 23),
                                                                          datetime(2026, 9, 21, 0)]
    # Topic series count in the same local days.
    (traffic,) = topic_trends(store, "vn", Filters(start=local_day_start(datetime(2026, 9, 20).date(), VN),
                                                   end=local_day_start(datetime(2026, 9, 22).date(), VN)))
    assert traffic["series"] == [["2026-09-20T00:00:00", 12], ["2026-09-21T00:00:00", 12]]


def test_a_local_day_filter_starts_at_local_midnight(store) -> None:
    day = datetime(2026, 9, 20).date()
    vn = Filters(start=local_day_start(day, VN), end=local_day_start(day + timedelta(days=1), VN))
    assert vn.start == datetime(2026, 9, 19, 17) and vn.end == datetime(2026, 9, 20, 17)
    assert overview(store, "vn", vn)["totals"]["posts"] == 12  # the 23:30 posts; the 00:30 ones are the next day
    utc = Filters(start=local_day_start(day, "UTC"), end=local_day_start(day + timedelta(days=1), "UTC"))
    assert overview(store, "utc", utc)["totals"]["posts"] == 24


def test_an_alert_day_window_is_the_local_day(store) -> None:
    rule = Rule("vn", "r1", "busy", "volume", 10, "day")
    # 18:00 UTC on 20 September is 01:00 on 21 September in Vietnam: that local day holds the 00:30 posts only.
    (reading,) = measure(store, rule, datetime(2026, 9, 20, 18))
    assert reading.window_start == datetime(2026, 9, 20, 17) and reading.value == 12
    # At 16:45 UTC it is still 20 September there: the 23:30 posts.
    (earlier,) = measure(store, rule, datetime(2026, 9, 20, 16, 45))
    assert earlier.window_start == datetime(2026, 9, 19, 17) and earlier.value == 12
    (utc,) = measure(store, Rule("utc", "r2", "busy", "volume", 10, "day"), datetime(2026, 9, 20, 18))
    assert utc.window_start == datetime(2026, 9, 20) and utc.value == 24


def test_digests_cover_whole_local_days(store) -> None:
    service = DigestService(store, None)
    digest = service.create("vn", "Daily", "daily", "ops@example.org")
    sent_at = datetime(2026, 9, 20, 17, 5)  # 00:05 on 21 September in Vietnam: just after local midnight
    store.execute("UPDATE digests SET last_sent_at = ? WHERE digest_id = ?", [sent_at, digest.digest_id])
    assert service.due(datetime(2026, 9, 21, 16, 59)) == []  # 23:59 the same local day
    assert [d.digest_id for d in service.due(datetime(2026, 9, 21, 17))] == [digest.digest_id]  # local midnight
    service.delete("vn", digest.digest_id)


def test_presets_end_today_or_on_the_latest_posts_day(store) -> None:
    # The data ends on 21 September (local): "the last 7 days" seen months later are the data's last 7 days.
    later = preset_period(store, "vn", "7d", VN, now=datetime(2026, 12, 7, 18))
    assert (later.first_day.isoformat(), later.last_day.isoformat(), later.anchor) == ("2026-09-15", "2026-09-21",
                                                                                        "latest_post")
    assert later.start == datetime(2026, 9, 14, 17) and later.end == datetime(2026, 9, 21, 17)
    # On the data's last day itself, today is the anchor; 23:30 UTC on the 20th is already the 21st in Vietnam.
    same_day = preset_period(store, "vn", "today", VN, now=datetime(2026, 9, 20, 23, 30))
    assert same_day.anchor == "today" and same_day.first_day == same_day.last_day == datetime(2026, 9, 21).date()
    month = preset_period(store, "utc", "30d", "UTC", now=datetime(2026, 9, 25))
    assert (month.first_day.isoformat(), month.last_day.isoformat(), month.anchor) == ("2026-08-22", "2026-09-20",
                                                                                        "latest_post")
    with pytest.raises(ValueError, match="unknown period"):
        preset_period(store, "vn", "fortnight", VN)


def test_the_default_week_compares_with_the_week_before_and_draws_both_densely(store) -> None:
    week = preset_period(store, "vn", "7d", VN, now=datetime(2026, 12, 7))
    ov = overview(store, "vn", Filters(start=week.start, end=week.end), bucket="day")
    assert ov["timezone"] == VN
    assert ov["period"] == {"start": "2026-09-15T00:00:00", "end": "2026-09-22T00:00:00"}
    assert ov["previous"]["period"] == {"start": "2026-09-08T00:00:00", "end": "2026-09-15T00:00:00"}
    assert ov["totals"]["posts"] == 24 and ov["previous"]["totals"]["posts"] == 12
    assert ov["change"]["posts_pct"] == 100.0
    # Dense: every day of the week, empty days as 0 posts with no shares (a gap in share charts, not a slope).
    assert [(r["key"][:10], r["posts"]) for r in ov["volume"]] == [
        ("2026-09-15", 0), ("2026-09-16", 0), ("2026-09-17", 0), ("2026-09-18", 0), ("2026-09-19", 0),
        ("2026-09-20", 12), ("2026-09-21", 12)]
    empty = ov["volume"][0]
    assert empty["negative_share"] is None and empty["net"] is None and not empty["suppressed"]
    assert ov["volume"][-1]["negative_share"] == 1.0
    # The previous week, moved onto this week's axis: 12 September falls on this week's 19 September.
    previous = {r["key"][:10]: (r["aligned"][:10], r["posts"]) for r in ov["previous"]["volume"]}
    assert len(previous) == 7 and previous["2026-09-12"] == ("2026-09-19", 12) and previous["2026-09-08"][1] == 0


def test_dense_fills_only_inside_the_period_and_keeps_suppressed_rows() -> None:
    from civicpulse.analytics.aggregates import Row

    rows = [Row(datetime(2026, 9, 2), None, None, {"net": None}, suppressed=True),
            Row(datetime(2026, 9, 4), 30, 10, {"net": 0.5})]
    out = dense(rows, datetime(2026, 9, 1), datetime(2026, 9, 5), "day")
    assert [(r["key"][:10], r["posts"], r["suppressed"]) for r in out] == [
        ("2026-09-01", 0, False), ("2026-09-02", None, True), ("2026-09-03", 0, False), ("2026-09-04", 30, False)]
    assert out[0]["authors"] is None  # no author count is ever published under k, not even 0
    assert dense([], datetime(2026, 9, 1), datetime(2026, 9, 5), "day") == []  # nothing at all: no series


def test_widening_picks_the_first_unit_whose_published_chart_is_mostly_shown() -> None:
    """The choice depends only on what each unit's chart publishes (which buckets are hidden), so it can be
    recomputed from the answers anyone gets by asking for each unit explicitly."""
    s = DuckDBStore(":memory:")
    s.ensure_workspace("w")
    set_timezone(s, "w", "UTC")
    # 3 days; each day 12 authors post once, 2 hours apart: every hour holds 1 author, every day 12.
    add_posts(s, "w", [(f"p{d}-{i}", f"a{i}", datetime(2026, 9, 1 + d, 2 * i), "neutral", "neutral", None, None)
                       for d in range(3) for i in range(12)])
    f = Filters(start=datetime(2026, 9, 1), end=datetime(2026, 9, 4))
    analytics = Analytics(s, "w")
    bucket, rows, widened_from = choose_bucket(analytics, f, f.start, f.end)
    assert (bucket, widened_from) == ("day", "hour") and all(not r.suppressed for r in rows)
    published = {b: overview(s, "w", f, bucket=b)["volume"] for b in BUCKETS}
    shares = {b: sum(not r["suppressed"] for r in v if r["posts"] != 0) / max(1, sum(r["posts"] != 0 for r in v))
              for b, v in published.items()}
    assert shares["hour"] < PASSING <= shares["day"]
    assert shown_share(analytics.volume(f, "hour")) == shares["hour"] == 0.0
    auto = overview(s, "w", f)
    assert auto["bucket"] == "day" and auto["bucket_choice"] == {"auto": True, "widened_from": "hour"}
    # A period too short for two days stays hourly (and says which buckets are hidden).
    one_day = overview(s, "w", Filters(start=datetime(2026, 9, 1), end=datetime(2026, 9, 2)))
    assert one_day["bucket"] == "hour" and one_day["bucket_choice"]["widened_from"] is None
    s.close()


def test_the_report_period_names_its_last_day_inclusively(store) -> None:
    week = preset_period(store, "vn", "7d", VN, now=datetime(2026, 12, 7))
    report = build_report(store, "vn", Filters(start=week.start, end=week.end))
    assert period_text(report) == "2026-09-15 – 2026-09-21 (Asia/Ho_Chi_Minh)"
    assert period_text(report, previous=True) == "2026-09-08 – 2026-09-14 (Asia/Ho_Chi_Minh)"
    odd = build_report(store, "utc", Filters(start=datetime(2026, 9, 20, 6), end=datetime(2026, 9, 21, 6)))
    assert period_text(odd) == "2026-09-20 06:00 – 2026-09-21 06:00 (UTC)"


def test_timezone_through_the_cli(run_cli) -> None:
    run_cli("workspaces", "create", "desk")
    assert run_cli("workspaces", "set", "desk", "--timezone", "Europe/Berlin").code == 0
    bad = run_cli("workspaces", "set", "desk", "--timezone", "Mars/Olympus", "--min-authors", "7")
    assert bad.code == 1 and "unknown time zone 'Mars/Olympus'" in bad.stderr
    s = DuckDBStore(str(run_cli.db))
    try:
        assert timezone_for(s, "desk") == "Europe/Berlin"
        assert Analytics(s, "desk").k == 10  # a refused zone changes nothing else either
    finally:
        s.close()


def test_spikes_are_judged_and_explained_by_local_day() -> None:
    from civicpulse.analytics.trends import detect_spikes
    from trend_data import START, add_items, burst, daily_background

    s = DuckDBStore(":memory:")
    s.ensure_workspace("vn")  # made before add_items: keeps the default zone
    # 60 posts by 25 authors at 18:00-18:59 UTC on day 20: 01:00-01:59 on day 21 in Vietnam.
    items = daily_background("b", days=30) + burst("f", day=20, posts=60, authors=25, hour=18)
    add_items(s, "vn", items)
    add_items(s, "utc", items)
    for ws, day in (("vn", (START + timedelta(days=21)).date()), ("utc", (START + timedelta(days=20)).date())):
        tz = timezone_for(s, ws)
        spikes = [x for x in detect_spikes(s, ws, Filters(), since=START + timedelta(days=15), dimensions=("all",))
                  if x.metric == "volume"]
        assert [x.bucket_start.date() for x in spikes] == [day], ws
        (spike,) = spikes
        assert spike.timezone == tz and spike.to_dict()["timezone"] == tz
        assert spike.posts == sum(1 for i in items if to_local(i.when, tz).date() == day)
        assert spike.explanation["bucket_posts"] == spike.posts
    s.close()

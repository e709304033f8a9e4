"""Spikes grouped into events: one flood over two days is one event with its facets, title, timeline and posts;
an unrelated, smaller burst the same day stays its own event."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicpulse.analysis.taxonomy import default_taxonomy
from civicpulse.analytics import Filters
from civicpulse.analytics.events import events, group, jaccard, title
from civicpulse.analytics.trends import detect_spikes
from civicpulse.store.duckdb_store import DuckDBStore
from trend_data import DANANG, HCMC, START, add_items, burst, daily_background

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def found():
    store = DuckDBStore(":memory:")
    items = daily_background("c")
    for day in (27, 28):
        items += burst(f"f{day}-", day, 60, 25, topics=("flooding_weather",), provinces=(HCMC,), terms=("#ngapnuoc",))
    items += burst("s", 28, 25, 12, sentiment="neutral", topics=("public_safety",), provinces=(DANANG,),
                   terms=("#antoan",))
    add_items(store, "city", items)
    spikes = [s.to_dict() for s in detect_spikes(store, "city", Filters(), since=START + 20 * DAY)]
    yield spikes, events(store, "city", Filters(), spikes, "day", {}, default_taxonomy())
    store.close()


def test_the_spikes_of_one_flood_make_one_event_with_readable_facets(found) -> None:
    spikes, found_events = found
    flood = found_events[0]
    assert flood["title"] == {"en": "Flooding & weather in Hồ Chí Minh, 28–29 Sep",
                              "vi": "Ngập lụt & thời tiết tại Hồ Chí Minh, 28–29/9"}
    kinds = {(s["dimension"], s["key"]) for s in flood["spikes"]}
    assert {("topic", "flooding_weather"), ("place", HCMC), ("all", None)} <= kinds
    assert flood["start"] == datetime(2026, 9, 28).isoformat() and flood["end"] == datetime(2026, 9, 30).isoformat()
    assert flood["topics"][0]["id"] == "flooding_weather" and flood["places"][0] == HCMC
    assert "flooding_weather" not in flood["title"]["en"]
    assert flood["examples"] and all("author" not in e for e in flood["examples"])
    timeline = dict(flood["timeline"])
    assert timeline[datetime(2026, 9, 28).isoformat()] >= 60
    assert sum(len(e["spikes"]) for e in found_events) == len(spikes)  # every spike in exactly one event
    assert len(found_events) < len(spikes)


def test_an_unrelated_burst_the_same_day_is_its_own_event(found) -> None:
    _, found_events = found
    safety = [e for e in found_events if any(s["key"] == "public_safety" for s in e["spikes"])]
    assert len(safety) == 1 and safety[0] is not found_events[0]
    assert safety[0]["title"]["en"].startswith("Public safety")


def test_grouping_links_same_bucket_overlap_and_consecutive_buckets_of_one_series() -> None:
    def spike(dimension, key, day, score=5.0):
        return {"dimension": dimension, "key": key, "bucket_start": datetime(2026, 10, day).isoformat(),
                "score": score}
    spikes = [spike("topic", "a", 12), spike("all", None, 12), spike("topic", "a", 13), spike("topic", "b", 12),
              spike("topic", "a", 15)]
    posts = [frozenset(range(0, 60)), frozenset(range(0, 100)), frozenset(range(200, 260)),
             frozenset(range(90, 100)), frozenset(range(300, 360))]
    assert jaccard(posts[0], posts[1]) == 0.6 and jaccard(posts[3], posts[1]) == 0.1
    assert group(spikes, posts, DAY) == [[0, 1, 2], [3], [4]]
    # The overall spike overlaps b a little too, but joins only the event it overlaps most: no chaining through it.
    assert group(spikes, posts, DAY, threshold=0.05) == [[0, 1, 2], [3], [4]]
    posts[3] = frozenset(range(50, 70))  # b shares posts with a itself
    assert group(spikes, posts, DAY, threshold=0.1) == [[0, 1, 2, 3], [4]]


def test_titles_name_the_dates_in_each_language() -> None:
    flood = [{"id": "flooding_weather", "label_en": "Flooding & weather", "label_vi": "Ngập lụt & thời tiết"}]
    assert title(flood, [], [], datetime(2026, 9, 30), datetime(2026, 10, 2), "day") == {
        "en": "Flooding & weather, 30 Sep–2 Oct", "vi": "Ngập lụt & thời tiết, 30/9–2/10"}
    assert title([], ["Tỉnh Quảng Ninh"], [], datetime(2026, 10, 12, 8), datetime(2026, 10, 12, 9), "hour") == {
        "en": "Unusual activity in Quảng Ninh, 12 Oct 08:00–10:00 UTC",
        "vi": "Hoạt động bất thường tại Quảng Ninh, 08:00–10:00 UTC 12/10"}

"""Dashboard aggregates: correct counts, filters, one workspace only, small groups suppressed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analytics import MIN_K, Analytics, Filters, k_for
from civicpulse.analytics.privacy import publish_authors, set_k
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore

FLOOD = "Ngập nặng ở Thủ Đức, TP.HCM, khổ quá 😭"
PRAISE = "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️"


def _posts(prefix: str, text: str, authors: int, day: int, platform: str = "mastodon") -> list[Post]:
    return [Post(platform, f"{prefix}{i}", Kind.POST, text, datetime(2026, 9, day, 8, i % 60), platform,
                 author_key=f"1.{prefix}{i % authors:018x}") for i in range(authors * 2)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    s = DuckDBStore(str(Path(tmp_path_factory.mktemp("a")) / "a.duckdb"))
    for ws in ("city", "other"):
        s.ensure_workspace(ws)
    s.upsert_posts("city", _posts("f", FLOOD, authors=12, day=14) + _posts("p", PRAISE, authors=3, day=15)
                   + _posts("x", FLOOD, authors=11, day=15, platform="x"))
    s.upsert_posts("other", _posts("o", PRAISE, authors=30, day=14))
    analyzer = Analyzer(mode="fast")
    for ws in ("city", "other"):
        enrich_workspace(s, ws, analyzer, discover=False)
    yield s
    s.close()


def test_volume_counts_posts_and_authors_per_day_and_suppresses_small_days(store) -> None:
    analytics = Analytics(store, "city")
    rows = {r.key.day: r for r in analytics.volume()}
    # Shown author counts are coarsened; the exact counts show through the suppression edge below.
    assert rows[14].posts == 24 and rows[14].authors == publish_authors(12, analytics.k) and not rows[14].suppressed
    assert rows[14].values["negative"] == 24 and rows[14].values["net"] == -1.0
    # Day 15: 22 flood posts by 11 authors + 6 praise posts by 3 authors = 14 authors.
    assert rows[15].posts == 28 and rows[15].authors == publish_authors(14, analytics.k)
    for k in (12, 13, 14):  # exactly 12 authors on day 14 and 14 on day 15: suppressed from k = 13 and 15
        shown = {r.key.day: r.authors for r in Analytics(store, "city", k=k).volume() if not r.suppressed}
        assert shown == {day: publish_authors(n, k) for day, n in ((14, 12), (15, 14)) if n >= k}
    small = Analytics(store, "city", k=15).volume()
    assert all(r.suppressed and r.posts is None and r.values["negative"] is None for r in small)


def test_breakdowns_hide_groups_with_few_authors(store) -> None:
    provinces = {r.key: r for r in Analytics(store, "city").provinces()}
    hcmc = provinces["Thành phố Hồ Chí Minh"]
    assert hcmc.posts == 46 and hcmc.authors == publish_authors(23, 10) and hcmc.values["negative_share"] == 1.0
    edge = {k: {r.key: r for r in Analytics(store, "city", k=k).provinces()}[hcmc.key].suppressed for k in (23, 24)}
    assert edge == {23: False, 24: True}  # exactly 23 authors
    hanoi = provinces["Thành phố Hà Nội"]  # 3 authors only
    assert hanoi.suppressed and hanoi.posts is None and hanoi.authors is None
    emotions = Analytics(store, "city").emotions()
    assert all(r.key in ("sadness", "joy", "anger", "fear", "disgust", "surprise", "neutral") for r in emotions)


def test_filters_narrow_every_aggregate(store) -> None:
    analytics = Analytics(store, "city", k=MIN_K)
    by_platform = sum(r.posts for r in analytics.volume(Filters(platforms=("x",))))
    assert by_platform == 22
    period = Filters(start=datetime(2026, 9, 15), end=datetime(2026, 9, 16))
    assert sum(r.posts or 0 for r in analytics.volume(period)) == 28
    flood = Filters(topics=("flooding_weather",))
    assert sum(r.posts for r in analytics.volume(flood)) == 46
    place = Filters(provinces=("Thành phố Hà Nội",))
    assert [r.suppressed for r in analytics.volume(place)] == [True]
    with pytest.raises(ValueError, match="unknown sentiment"):
        Filters(sentiments=("angry",))
    with pytest.raises(ValueError, match="start must come before"):
        Filters(start=datetime(2026, 9, 2), end=datetime(2026, 9, 1))


def test_a_workspace_never_sees_another(store) -> None:
    city = Analytics(store, "city")
    assert sum(r.posts or 0 for r in city.volume()) == 24 + 28
    assert "Thành phố Hà Nội" not in {r.key for r in city.provinces() if not r.suppressed}
    other = Analytics(store, "other")
    assert sum(r.posts for r in other.volume()) == 60
    assert {r.key for r in other.topics()} & {"flooding_weather"} == set()


def test_k_is_configurable_per_workspace_but_never_below_the_minimum(store) -> None:
    assert k_for(store, "city") == 10
    set_k(store, "other", 7)
    assert k_for(store, "other") == 7 and Analytics(store, "other").k == 7
    with pytest.raises(ValueError, match="cannot go below 5"):
        set_k(store, "other", 2)


def test_min_authors_through_the_cli(run_cli) -> None:
    run_cli("workspaces", "create", "desk")
    assert run_cli("workspaces", "set", "desk", "--min-authors", "6").code == 0
    low = run_cli("workspaces", "set", "desk", "--min-authors", "3")
    assert low.code == 1 and "cannot go below 5" in low.stderr
    assert run_cli("workspaces", "set", "desk").code == 1


def test_unknown_time_bucket_is_refused(store) -> None:
    with pytest.raises(ValueError, match="unknown time bucket 'fortnight'"):
        Analytics(store, "city").volume(bucket="fortnight")

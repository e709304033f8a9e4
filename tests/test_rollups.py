"""Dashboard rollups: every view answers from them exactly what the raw scan answers, k-suppression included, and
every write that changes analysed posts keeps them equal to a rebuild from scratch (both backends).

The data is seeded random; sentiment scores are multiples of 1/8, so sums are exact in any order and a mean from
the rollups is the very float the raw avg() gives.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from civicpulse.analytics.aggregates import Analytics
from civicpulse.analytics.day_source import compact
from civicpulse.analytics.day_source import groups as day_groups
from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import set_timezone
from civicpulse.analytics.overview import data_period, overview
from civicpulse.analytics.privacy import set_k
from civicpulse.analytics.rollup_source import SWITCH, cells, whole_hour_zone
from civicpulse.analytics.topic_trends import topic_trends
from civicpulse.analytics.trends import detect_spikes
from civicpulse.schema import Deletion, Kind, Post
from civicpulse.store import day_rollups_sql as days_sql
from civicpulse.store import is_postgres_url, open_store
from civicpulse.store.base import Store
from civicpulse.store.rollups_sql import ROLLUP_TABLES

WS = "w"
T0 = datetime(2026, 9, 1)
K = 5
PLATFORMS = ("x", "facebook", "mastodon")
TOPICS = ("flooding", "traffic", "prices", "health")
PROVINCES = (("Hà Nội", "Hà Nội cũ"), ("Huế", "Thừa Thiên Huế"), ("Cần Thơ", "Hậu Giang"), ("Lạng Sơn", None))
EMOTIONS = {"negative": ("anger", "sadness"), "neutral": ("neutral",), "positive": ("joy", "surprise")}
FILTERS = (
    Filters(),
    Filters(start=T0 + timedelta(hours=26, minutes=17), end=T0 + timedelta(days=8, seconds=-30)),  # cut hours
    Filters(platforms=("x", "mastodon"), sentiments=("negative", "neutral"), languages=("vi",)),
    Filters(topics=("flooding",)),  # one topic or one province: from those rollups' cells of that key
    Filters(provinces=("Huế",), start=T0 + timedelta(hours=30, minutes=5), end=T0 + timedelta(days=9)),
)


def _post(rng: random.Random, n: int, author: int | None = None, when: datetime | None = None) -> Post:
    when = when or T0 + timedelta(seconds=rng.randrange(10 * 86400))
    return Post(rng.choice(PLATFORMS), f"p{n}", Kind.POST, f"bài {n} {rng.random()}", when, "test",
                author_key=f"1.a{author if author is not None else rng.randrange(24)}")


def _analysis(rng: random.Random, posts: list[Post]) -> dict[str, dict[str, list[Any]]]:
    main: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "model", "analyzed_at", "language",
                                             "sentiment", "sentiment_score", "emotion", "discovered_topic")}
    topics: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "topic", "score")}
    places: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "kind", "name", "province_2025",
                                               "province_legacy")}
    for p in posts:
        sentiment = rng.choice(("negative", "neutral", "neutral", "positive"))
        score = None if rng.random() < 0.05 else rng.randrange(-8, 9) / 8
        for column, value in (("workspace", WS), ("platform", p.platform), ("post_id", p.post_id),
                              ("model", "test"), ("analyzed_at", T0), ("language", rng.choice(("vi", "vi", "en"))),
                              ("sentiment", sentiment), ("sentiment_score", score),
                              ("emotion", rng.choice(EMOTIONS[sentiment])),
                              ("discovered_topic", rng.choice((None, 1, 2, 3)))):
            main[column].append(value)
        for topic in rng.sample(TOPICS, rng.choice((0, 1, 1, 2))):
            for column, value in zip(topics, (WS, p.platform, p.post_id, topic, 0.5), strict=True):
                topics[column].append(value)
        for province, legacy in rng.sample(PROVINCES, rng.choice((0, 0, 1, 2))):
            for name in (f"phường ở {province}", province):  # a ward and its province: the province counts once
                for column, value in zip(places, (WS, p.platform, p.post_id, "vn_ward", name, province, legacy),
                                         strict=True):
                    places[column].append(value)
    return {"post_analysis": main, "post_topics": topics, "post_places": places}


def _answers(store: Store, tz: str) -> dict[str, Any]:
    """Every rollup-backed view, as JSON-like values."""
    out: dict[str, Any] = {}
    analytics = Analytics(store, WS)
    for i, f in enumerate(FILTERS):
        for bucket in (None, "hour") if f.start else (None,):
            out[f"overview {i} {bucket}"] = overview(store, WS, f, bucket)
        out[f"volume {i}"] = [r.to_dict() for b in ("week", "month") for r in analytics.volume(f, b)]
        out[f"emotions {i}"] = [r.to_dict() for r in analytics.emotions(f)]
        out[f"topics {i}"] = [r.to_dict() for r in analytics.topics(f, limit=3)]
        out[f"places {i}"] = [r.to_dict() for era in ("2025", "legacy") for r in analytics.provinces(f, era=era)]
        for kind in ("taxonomy", "discovered"):
            out[f"topic trends {i} {kind}"] = topic_trends(store, WS, f, bucket="day", kind=kind)
    for bucket in ("day", "hour"):
        spikes = detect_spikes(store, WS, Filters(), bucket=bucket, baseline=7, threshold=0.5, min_posts=1,
                               since=T0, explain=0)
        out[f"spikes {bucket}"] = [s.to_dict() for s in spikes]
    return out


def _assert_same_answers(store: Store, tz: str, monkeypatch: pytest.MonkeyPatch, days: bool = True) -> None:
    """Raw scans, hourly cells, then (`days`) day cells summarised from them answer alike."""
    # The rollups must really answer here (not a raw scan compared with itself), where the zone allows them.
    assert cells(store, WS, FILTERS[2], tz) is not None
    monkeypatch.setenv(SWITCH, "off")
    raw = _answers(store, tz)
    monkeypatch.setenv(SWITCH, "on")
    rolled = _answers(store, tz)
    for name in raw:
        assert rolled[name] == raw[name], name
    assert _suppressed_flags(raw) == {True, False}  # both sides of k are exercised
    if days:
        compact(store, WS)
        assert day_groups(store, WS, FILTERS[1], tz, "topics", K) is not None  # day cells answer this period
        summarised = _answers(store, tz)
        for name in raw:
            assert summarised[name] == raw[name], name


def _suppressed_flags(value: Any) -> set[bool]:
    if isinstance(value, dict):
        own = {value["suppressed"]} if isinstance(value.get("suppressed"), bool) else set()
        return own.union(*(_suppressed_flags(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_suppressed_flags(v) for v in value))
    return set()


def _cells_snapshot(store: Store) -> dict[str, list[tuple]]:
    return {t: sorted(store.query(f"SELECT * FROM {t} WHERE workspace = ?", [WS]), key=repr)
            for t in ROLLUP_TABLES.values()}


def _assert_current(store: Store) -> None:
    """The incrementally kept cells are those a rebuild from post_analysis makes."""
    kept = _cells_snapshot(store)
    store.rebuild_rollups(WS)
    assert _cells_snapshot(store) == kept


def _raw_analytics_runs(store: Store) -> bool:
    """The raw dashboard scans on PostgreSQL arrive with the SQL-dialect work; until then only maintenance is
    compared there."""
    try:
        data_period(store, WS, Filters())  # a raw scan through filters.FROM
        return True
    except Exception:  # any refusal of the scan's SQL means the same
        return False


@pytest.fixture
def filled(store_url: str):
    store = open_store(store_url)
    rng = random.Random(13)
    store.ensure_workspace(WS)
    set_k(store, WS, K)
    posts = [_post(rng, n) for n in range(360)] + [
        Post("x", "untimed", Kind.POST, "bài", None, "test", author_key="1.a1"),  # the no-time cell
        Post("x", "anonymous", Kind.POST, "bài", T0 + timedelta(days=3), "test")]  # no author: no author id
    store.upsert_posts(WS, posts)
    store.save_analysis(WS, _analysis(rng, posts))
    yield store, rng, posts
    store.close()


@pytest.mark.parametrize("tz", ["Asia/Ho_Chi_Minh", "Europe/Berlin"])  # a fixed offset; daylight saving time
def test_views_from_rollups_equal_raw_scans(filled, tz: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _, _ = filled
    if is_postgres_url(store.path) and not _raw_analytics_runs(store):
        pytest.skip("raw dashboard scans on PostgreSQL come with the dialect work")
    set_timezone(store, WS, tz)
    _assert_current(store)
    _assert_same_answers(store, tz, monkeypatch)


def test_rollups_follow_edits_deletions_reanalysis_and_retention(filled, monkeypatch: pytest.MonkeyPatch) -> None:
    store, rng, posts = filled
    compare = not is_postgres_url(store.path) or _raw_analytics_runs(store)
    tz = "Asia/Ho_Chi_Minh"
    set_timezone(store, WS, tz)
    # Edits move posts to other hours and the re-analysis changes their labels, topics and places.
    edited = [_post(rng, int(p.post_id[1:]), when=p.created_at + timedelta(hours=rng.randrange(1, 30)))
              for p in rng.sample(posts[:-1], 50)]
    store.upsert_posts(WS, edited)
    store.save_analysis(WS, _analysis(rng, edited))
    _assert_current(store)
    store.apply_deletions(WS, [Deletion(p.platform, p.post_id) for p in rng.sample(posts, 30)])
    _assert_current(store)
    analysed = store.query("SELECT platform, post_id FROM post_analysis WHERE workspace = ?", [WS])
    store.set_discovered_topics(WS, [(pl, pid, rng.choice((None, 4, 5))) for pl, pid in rng.sample(analysed, 40)])
    _assert_current(store)
    expired = store.expire_posts(WS, T0 + timedelta(days=2, minutes=30))
    assert expired["post_analysis"] > 0
    _assert_current(store)
    if compare:
        _assert_same_answers(store, tz, monkeypatch)
    store.delete_workspace_rows(WS)
    assert all(not rows for rows in _cells_snapshot(store).values())


def test_rollups_answer_only_what_they_can(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    store = open_store(str(tmp_path / "s.duckdb"))
    try:
        assert cells(store, WS, Filters(platforms=("x",)), "Asia/Ho_Chi_Minh") is not None
        assert cells(store, WS, Filters(), "Europe/Berlin") is not None
        # Half- and quarter-hour offsets: a UTC hour straddles two local hours.
        assert not whole_hour_zone("Asia/Kolkata") and not whole_hour_zone("Asia/Kathmandu")
        assert cells(store, WS, Filters(), "Asia/Kolkata") is None
        for f in (Filters(query="ngập"), Filters(topics=("flooding", "traffic")),
                  Filters(topics=("flooding",), provinces=("Huế",))):
            assert cells(store, WS, f, "UTC") is None  # a post's text; a post that several keys would count twice
        for f in (Filters(topics=("flooding",)), Filters(provinces=("Huế",))):
            assert cells(store, WS, f, "UTC") is not None  # each post once in that rollup
            assert cells(store, WS, f, "UTC", "topics") is None  # grouped by topic besides: raw
        monkeypatch.setenv(SWITCH, "off")
        assert cells(store, WS, Filters(), "UTC") is None
    finally:
        store.close()


def test_k_suppression_stays_exact_at_a_cut_hour(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Five authors behind a topic, one of them only in the part of an hour outside the period: the period's
    topic rests on four (suppressed); the whole hour's on five (shown). The rollup cell of that hour holds all
    five, so only an exact reading of the cut hour gets both right."""
    store = open_store(store_url)
    try:
        if is_postgres_url(store.path) and not _raw_analytics_runs(store):
            pytest.skip("raw dashboard scans on PostgreSQL come with the dialect work")
        store.ensure_workspace(WS)
        set_k(store, WS, K)
        set_timezone(store, WS, "UTC")
        hour = T0 + timedelta(hours=5)
        posts = [_post(random.Random(n), n, author=n % 4, when=hour + timedelta(minutes=30 + n)) for n in range(12)]
        posts.append(_post(random.Random(99), 99, author=4, when=hour + timedelta(minutes=10)))
        store.upsert_posts(WS, posts)
        analysis = _analysis(random.Random(1), posts)
        analysis["post_topics"] = {"workspace": [WS] * len(posts), "platform": [p.platform for p in posts],
                                   "post_id": [p.post_id for p in posts], "topic": ["flooding"] * len(posts),
                                   "score": [0.5] * len(posts)}
        store.save_analysis(WS, analysis)
        cut = Filters(start=hour + timedelta(minutes=20), end=hour + timedelta(hours=2))
        whole = Filters(start=hour, end=hour + timedelta(hours=2))
        for switch in ("off", "on"):
            monkeypatch.setenv(SWITCH, switch)
            analytics = Analytics(store, WS)
            assert [r.suppressed for r in analytics.topics(cut)] == [True], switch
            assert [(r.suppressed, r.posts, r.authors) for r in analytics.topics(whole)] == [(False, 13, K)], switch
            trend = topic_trends(store, WS, cut, bucket="hour")
            assert [row["suppressed"] for row in trend] == [True], switch
    finally:
        store.close()


def test_cli_rebuild_repairs_damaged_rollups(run_cli) -> None:
    store = open_store(str(run_cli.db))
    rng = random.Random(5)
    store.ensure_workspace(WS)
    posts = [_post(rng, n) for n in range(40)]
    store.upsert_posts(WS, posts)
    store.save_analysis(WS, _analysis(rng, posts))
    kept = _cells_snapshot(store)
    store.execute("DELETE FROM rollup_topics WHERE workspace = ?", [WS])
    store.close()
    result = run_cli("rollups", "rebuild", "--workspace", WS)
    assert result.code == 0, result.stderr
    assert f"workspace {WS}: " in result.stderr
    store = open_store(str(run_cli.db))
    try:
        assert _cells_snapshot(store) == kept and kept["rollup_topics"]
    finally:
        store.close()
    missing = run_cli("rollups", "rebuild", "--workspace", "nope")
    assert missing.code != 0 and "no workspace 'nope'" in missing.stderr


def _without_authors(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_authors(v) for k, v in value.items() if k != "authors"}
    if isinstance(value, list):
        return [_without_authors(v) for v in value]
    return value


def test_day_rollups_follow_writes_until_compacted(filled, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes after a compaction mark their hours dirty: those days are read from the hourly cells (same answers),
    until the next compaction summarises them again."""
    store, rng, posts = filled
    if is_postgres_url(store.path):
        pytest.skip("the PostgreSQL run of test_views_from_rollups_equal_raw_scans covers the day cells there")
    tz = "Asia/Ho_Chi_Minh"
    set_timezone(store, WS, tz)
    assert compact(store, WS) == 11  # ten UTC days of posts fall on eleven local days (UTC+7)
    edited = [_post(rng, int(p.post_id[1:]), when=p.created_at + timedelta(hours=rng.randrange(1, 30)))
              for p in rng.sample(posts[:-1], 20)]
    store.upsert_posts(WS, edited)
    store.save_analysis(WS, _analysis(rng, edited))
    store.apply_deletions(WS, [Deletion(p.platform, p.post_id) for p in rng.sample(posts, 10)])
    assert store.query("SELECT count(*) FROM rollup_dirty_hours WHERE workspace = ?", [WS])[0][0] > 0
    monkeypatch.setenv(SWITCH, "off")
    raw = _answers(store, tz)
    monkeypatch.setenv(SWITCH, "on")
    assert _answers(store, tz) == raw  # clean days from day cells, dirty ones from hourly cells
    assert 0 < compact(store, WS) < 12
    assert store.query("SELECT count(*) FROM rollup_dirty_hours WHERE workspace = ?", [WS])[0][0] == 0
    assert _answers(store, tz) == raw
    set_timezone(store, WS, "Europe/Berlin")  # day cells of another zone are never read; compaction redoes them
    raw = _answers_raw(store, monkeypatch)
    assert _answers(store, "Europe/Berlin") == raw
    compact(store, WS)
    assert store.query("SELECT DISTINCT tz FROM rollup_day_state WHERE workspace = ?", [WS]) == [("Europe/Berlin",)]
    assert _answers(store, "Europe/Berlin") == raw


def _answers_raw(store: Store, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv(SWITCH, "off")
    try:
        return _answers(store, "")
    finally:
        monkeypatch.setenv(SWITCH, "on")


def test_day_sketches_keep_suppression_exact_when_they_estimate(filled, monkeypatch: pytest.MonkeyPatch) -> None:
    """With sketches smaller than a day's authors, unions of days estimate their authors: every figure but the
    author counts, and every suppression decision, are still the raw scan's."""
    store, _, _ = filled
    if is_postgres_url(store.path):
        pytest.skip("one backend is enough for the sketch arithmetic")
    set_timezone(store, WS, "UTC")
    monkeypatch.setattr(days_sql, "SKETCH_SIZE", K + 1)
    compact(store, WS, full=True)
    assert store.query("SELECT count(*) FROM rollup_days WHERE theta IS NOT NULL")[0][0] > 0
    raw = _answers_raw(store, monkeypatch)
    summarised = _answers(store, "UTC")
    for name in raw:
        assert _without_authors(summarised[name]) == _without_authors(raw[name]), name
    week = Filters(start=T0, end=T0 + timedelta(days=7))
    (group,) = day_groups(store, WS, week, "UTC", "all", K)
    assert group.estimated and group.authors >= K + 1


def test_day_sketch_estimates_are_close(tmp_path) -> None:
    """2,000 authors over a week, 256 ids kept per day: the week's estimate is within 15% of the truth, each whole
    day's count is exact."""
    store = open_store(str(tmp_path / "s.duckdb"))
    try:
        store.ensure_workspace(WS)
        set_timezone(store, WS, "UTC")
        rng = random.Random(3)
        posts = [_post(rng, n, author=n % 2000, when=T0 + timedelta(seconds=rng.randrange(7 * 86400)))
                 for n in range(3000)]
        store.upsert_posts(WS, posts)
        store.save_analysis(WS, _analysis(rng, posts))
        compact(store, WS)
        (week,) = day_groups(store, WS, Filters(start=T0, end=T0 + timedelta(days=7)), "UTC", "all", K)
        assert week.estimated and week.posts == 3000
        assert abs(week.authors - 2000) / 2000 < 0.15, week.authors
        (day,) = day_groups(store, WS, Filters(start=T0, end=T0 + timedelta(days=1)), "UTC", "all", K)
        exact = store.query("SELECT count(DISTINCT author_id) FROM post_analysis WHERE created_at < ?",
                            [T0 + timedelta(days=1)])[0][0]
        assert not day.estimated and day.authors == exact
    finally:
        store.close()

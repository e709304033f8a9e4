"""A small hand-labelled store for overview, report and digest tests: every expected figure can be counted by hand.

Analysis rows are written directly (no model), so sentiments, emotions, topics and places are exactly as listed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from civicpulse.analytics.localtime import set_timezone
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore

HCMC = "Thành phố Hồ Chí Minh"
HANOI = "Thành phố Hà Nội"
WEEK_START = datetime(2026, 9, 8)
WEEK_END = datetime(2026, 9, 15)
SCORES = {"negative": -0.8, "neutral": 0.0, "positive": 0.6}


def add_posts(store: DuckDBStore, ws: str, specs: list[tuple]) -> None:
    """Store posts with their analysis. A spec: (post_id, author, when, sentiment, emotion, topic, province)."""
    store.upsert_posts(ws, [Post("mastodon", pid, Kind.POST, f"bài {pid}", when, "mastodon", author_key=f"1.{author}",
                                 url=f"https://social.example/{pid}") for pid, author, when, *_ in specs])
    _insert(store, "post_analysis (workspace, platform, post_id, model, analyzed_at, language, sentiment, "
            "sentiment_score, emotion)", [(ws, "mastodon", pid, "test", when, "vi", sentiment, SCORES[sentiment],
                                           emotion) for pid, _, when, sentiment, emotion, _, _ in specs])
    _insert(store, "post_topics (workspace, platform, post_id, topic, score)",
            [(ws, "mastodon", s[0], s[5], 1.0) for s in specs if s[5]])
    _insert(store, "post_places (workspace, platform, post_id, kind, name, province_2025)",
            [(ws, "mastodon", s[0], "province", s[6], s[6]) for s in specs if s[6]])
    store.sync_analysis_keys()  # rows inserted by hand: fill what save_analysis would


def _insert(store: DuckDBStore, table: str, rows: list[tuple]) -> None:
    """One multi-row INSERT: row-by-row statements would make the fixture several times slower."""
    if rows:
        values = ", ".join(f"({', '.join('?' * len(rows[0]))})" for _ in rows)
        store.execute(f"INSERT INTO {table} VALUES {values}", [v for row in rows for v in row])


def add_city_week(store: DuckDBStore, ws: str = "city", start: datetime = WEEK_START, prefix: str = "c") -> None:
    """30 posts by 12 authors: 15 negative (HCMC flooding; 10 anger, 5 sadness), 9 neutral traffic, 6 positive
    (3 of them about Hanoi, by 3 authors only)."""
    specs = []
    for i in range(30):
        sentiment = "negative" if i < 15 else "neutral" if i < 24 else "positive"
        emotion = {"negative": "anger" if i < 10 else "sadness", "neutral": "neutral", "positive": "joy"}[sentiment]
        province = HCMC if sentiment == "negative" else HANOI if 24 <= i < 27 else None
        specs.append((f"{prefix}{i}", f"a{i % 12}", start + timedelta(hours=5 * i), sentiment, emotion,
                      "flooding_weather" if sentiment == "negative" else "traffic", province))
    add_posts(store, ws, specs)


def add_previous_week(store: DuckDBStore, ws: str = "city", start: datetime = WEEK_START - timedelta(days=7)) -> None:
    """20 posts by 10 authors: 5 negative, 10 neutral, 5 positive."""
    add_posts(store, ws, [(f"p{i}", f"b{i % 10}", start + timedelta(hours=7 * i),
                           "negative" if i < 5 else "neutral" if i < 15 else "positive", "neutral", "traffic", None)
                          for i in range(20)])


def city_store() -> DuckDBStore:
    """`city`: the week, the week before, one stray August post; `other`: 60 positive posts by 30 authors over
    five days (12 posts by 12 authors a day, so its daily volume is never suppressed).

    The hand counts are by UTC days: both workspaces are set to UTC (tests of local days set their own zone)."""
    store = DuckDBStore(":memory:")
    for ws in ("city", "other"):
        store.ensure_workspace(ws)
        set_timezone(store, ws, "UTC")
    add_city_week(store)
    add_previous_week(store)
    add_posts(store, "city", [("stray", "z", datetime(2026, 8, 20, 12), "neutral", "neutral", None, None)])
    add_posts(store, "other", [(f"o{i}", f"o{i % 30}", WEEK_START + timedelta(hours=2 * i), "positive", "joy",
                                "festival", HANOI) for i in range(60)])
    return store

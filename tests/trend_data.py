"""Synthetic labelled posts for trend, spike and explorer tests, written straight into the analysis tables.

Every row is a plain `Item`, so tests compute their expected figures from the same list in Python, independently
of the SQL under test.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from civicpulse.analytics.localtime import set_timezone
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore

HCMC = "Thành phố Hồ Chí Minh"
HANOI = "Thành phố Hà Nội"
DANANG = "Thành phố Đà Nẵng"
HUE = "Thành phố Huế"
SCORES = {"negative": -0.7, "neutral": 0.0, "positive": 0.6}
START = datetime(2026, 9, 1)


@dataclass
class Item:
    post_id: str
    author: str
    when: datetime
    sentiment: str = "neutral"
    topics: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # "#tag" is a hashtag, anything else a keyword
    text: str = ""
    platform: str = "mastodon"
    confidence: float = 0.5
    score: float | None = None
    likes: int = 0
    discovered: int | None = None
    extra: dict = field(default_factory=dict)


def add_items(store: DuckDBStore, ws: str, items: list[Item]) -> None:
    """Expected figures here count UTC days: a workspace made here is set to UTC (tests of local days set theirs)."""
    if store.get_workspace(ws) is None:
        store.ensure_workspace(ws)
        set_timezone(store, ws, "UTC")
    store.upsert_posts(ws, [Post(i.platform, i.post_id, Kind.POST, i.text or f"bài {i.post_id}", i.when, i.platform,
                                 author_key=f"1.{i.author}", url=f"https://social.example/{i.post_id}",
                                 likes=i.likes) for i in items])
    main: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "model", "analyzed_at", "language",
                                             "sentiment", "sentiment_score", "sentiment_confidence", "emotion",
                                             "keywords", "hashtags", "why", "discovered_topic")}
    topics: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "topic", "score")}
    places: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "kind", "name", "province_2025")}
    terms: dict[str, list] = {c: [] for c in ("workspace", "platform", "post_id", "term", "kind")}
    for i in items:
        keywords = [t for t in i.terms if not t.startswith("#")]
        hashtags = [t for t in i.terms if t.startswith("#")]
        _add(main, workspace=ws, platform=i.platform, post_id=i.post_id, model="test", analyzed_at=i.when,
             language="vi", sentiment=i.sentiment,
             sentiment_score=i.score if i.score is not None else SCORES[i.sentiment],
             sentiment_confidence=i.confidence, emotion="neutral", keywords=json.dumps(keywords, ensure_ascii=False),
             hashtags=json.dumps(hashtags, ensure_ascii=False), why=json.dumps({"sentiment": [i.sentiment]}),
             discovered_topic=i.discovered)
        for n, topic in enumerate(i.topics):
            _add(topics, workspace=ws, platform=i.platform, post_id=i.post_id, topic=topic, score=1.0 - n / 10)
        for province in i.provinces:  # a ward and its province: the post names the province twice
            for name in (f"phường ở {province}", province):
                _add(places, workspace=ws, platform=i.platform, post_id=i.post_id, kind="ward", name=name,
                     province_2025=province)
        for term in i.terms:
            _add(terms, workspace=ws, platform=i.platform, post_id=i.post_id, term=term,
                 kind="hashtag" if term.startswith("#") else "keyword")
    store.save_analysis(ws, {"post_analysis": main, "post_topics": topics, "post_places": places,
                             "post_terms": terms})


def _add(columns: dict[str, list], **values: object) -> None:
    for c, v in values.items():
        columns[c].append(v)


def daily_background(prefix: str, days: int = 30, seed: int = 1, negative: float = 0.2) -> list[Item]:
    """25-35 posts a day by 15 of 40 authors, traffic or healthcare, Hanoi or Da Nang, about 20% negative."""
    rng = random.Random(seed)
    items = []
    for day in range(days):
        for n in range(rng.randint(25, 35)):
            when = START + timedelta(days=day, hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            topic = "traffic_transport" if n % 2 else "healthcare"
            items.append(Item(f"{prefix}{day}-{n}", f"{prefix}a{(day * 3 + n % 15) % 40}", when,
                              "negative" if rng.random() < negative else "neutral", (topic,),
                              (HANOI if n % 3 else DANANG,), ("kẹt xe",) if n % 2 else ("bệnh viện",),
                              confidence=rng.random()))
    return items


def burst(prefix: str, day: int, posts: int, authors: int, *, sentiment: str = "negative",
          topics: tuple[str, ...] = (), provinces: tuple[str, ...] = (), terms: tuple[str, ...] = (),
          hour: int | None = None) -> list[Item]:
    """`posts` posts by `authors` authors on one day (spread over the day, or all in one hour)."""
    return [Item(f"{prefix}{day}-{n}", f"{prefix}b{n % authors}",
                 START + timedelta(days=day, hours=hour if hour is not None else n % 24, minutes=n % 60),
                 sentiment, topics, provinces, terms, text=f"{' '.join(terms)} tin số {n}", confidence=0.9)
            for n in range(posts)]

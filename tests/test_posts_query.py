"""Post explorer: paging, sorting, filters, corrected labels, one workspace only, and never an author."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from civicpulse.analytics import Filters
from civicpulse.analytics.posts import MAX_PAGE_SIZE, explore, get_post, representative
from civicpulse.schema import Deletion
from civicpulse.store import open_store
from trend_data import HANOI, HCMC, START, Item, add_items

SENTIMENTS = ("negative", "neutral", "positive")


def _items() -> list[Item]:
    """30 posts an hour apart: scores spread from -0.9 upwards, likes in a shuffled order, every 10th in Hanoi."""
    return [Item(f"p{n:02d}", f"a{n % 7}", START + timedelta(hours=n), SENTIMENTS[n % 3],
                 ("flooding_weather",) if n % 2 else ("traffic_transport", "public_safety"),
                 (HANOI,) if n % 10 == 0 else (HCMC,), ("#ngapnuoc", "ngập") if n % 2 else ("kẹt xe",),
                 text=f"Bài số {n}" if n != 29 else "Bài số 28", platform="x" if n % 5 == 0 else "mastodon",
                 confidence=n / 30, score=round(-0.9 + n * 0.06, 2), likes=(n * 7) % 31) for n in range(30)]


ITEMS = _items()


@pytest.fixture(scope="module")
def store(module_store_url: str):
    s = open_store(module_store_url)  # on DuckDB and on PostgreSQL
    add_items(s, "city", ITEMS)
    add_items(s, "other", [Item("p01", "z1", START, "negative", text="bài của workspace khác")])
    s.apply_deletions("city", [Deletion("mastodon", "p03")])
    s.execute("INSERT INTO label_corrections VALUES ('city', 'mastodon', 'p01', 'sentiment', 'neutral', "
              "'analyst.lan', ?)", [START])
    s.execute("INSERT INTO label_corrections VALUES ('other', 'mastodon', 'p07', 'sentiment', 'positive', "
              "'analyst.z', ?)", [START])
    yield s
    s.close()


LIVE = [i for i in ITEMS if i.post_id != "p03"]


def test_pages_cover_every_post_once_in_order(store) -> None:
    first = explore(store, "city", Filters(), page_size=10)
    assert (first["total"], first["pages"], first["page"]) == (29, 3, 1)
    ids = [p["post_id"] for page in (1, 2, 3) for p in explore(store, "city", Filters(), page=page,
                                                               page_size=10)["posts"]]
    assert ids == [i.post_id for i in sorted(LIVE, key=lambda i: i.when, reverse=True)]
    assert explore(store, "city", Filters(), page=4, page_size=10)["posts"] == []
    assert explore(store, "city", Filters(), page_size=10_000)["page_size"] == MAX_PAGE_SIZE
    with pytest.raises(ValueError, match="page numbers start at 1"):
        explore(store, "city", Filters(), page=0)
    with pytest.raises(ValueError, match="unknown sort 'random'"):
        explore(store, "city", Filters(), sort="random")


@pytest.mark.parametrize(("sort", "key"), [
    ("oldest", lambda i: i.when),
    ("most_negative", lambda i: i.score),
    ("most_positive", lambda i: -i.score),
    ("engagement", lambda i: (-i.likes, -i.when.timestamp())),
])
def test_sorts(store, sort, key) -> None:
    posts = explore(store, "city", Filters(), sort=sort, page_size=100)["posts"]
    assert [p["post_id"] for p in posts] == [i.post_id for i in sorted(LIVE, key=key)]


def test_filters_narrow_the_list(store) -> None:
    hanoi = explore(store, "city", Filters(provinces=(HANOI,)))
    assert {p["post_id"] for p in hanoi["posts"]} == {"p00", "p10", "p20"} and hanoi["total"] == 3
    flood_x = explore(store, "city", Filters(platforms=("x",), topics=("flooding_weather",)))
    assert [p["post_id"] for p in flood_x["posts"]] == ["p25", "p15", "p05"]
    negative = explore(store, "city", Filters(sentiments=("negative",), end=START + timedelta(hours=10)))
    assert [p["post_id"] for p in negative["posts"]] == ["p09", "p06", "p00"]
    query = explore(store, "city", Filters(query='"bài số 28"'), sort="oldest")
    assert [p["post_id"] for p in query["posts"]] == ["p28", "p29"]


def test_a_post_carries_its_analysis_and_corrections_but_no_author(store) -> None:
    (post,) = [p for p in explore(store, "city", Filters(), page_size=100)["posts"] if p["post_id"] == "p01"]
    assert post["sentiment"] == "neutral" and post["sentiment_score"] == -0.84
    assert post["topics"] == ["flooding_weather"] and post["hashtags"] == ["#ngapnuoc"]
    assert post["keywords"] == ["ngập"] and post["why"] == {"sentiment": ["neutral"]}
    assert {p["province_2025"] for p in post["places"]} == {HCMC} and len(post["places"]) == 2
    assert post["corrections"] == {"sentiment": "neutral"} and post["engagement"]["likes"] == 7
    assert post["created_at"] == "2026-09-01T01:00:00" and post["url"] == "https://social.example/p01"
    encoded = json.dumps(explore(store, "city", Filters(), page_size=100), ensure_ascii=False)
    assert "author" not in encoded and "1.a" not in encoded and "analyst.lan" not in encoded
    two = get_post(store, "city", "mastodon", "p02")
    assert two is not None and two["topics"] == ["traffic_transport", "public_safety"] and two["corrections"] == {}


def test_deleted_and_foreign_posts_never_show(store) -> None:
    assert get_post(store, "city", "mastodon", "p03") is None
    assert "p03" not in {p["post_id"] for p in explore(store, "city", Filters(), page_size=100)["posts"]}
    foreign = get_post(store, "other", "mastodon", "p01")
    assert foreign is not None and foreign["text"] == "bài của workspace khác" and foreign["corrections"] == {}
    assert foreign["topics"] == [] and get_post(store, "other", "mastodon", "p02") is None
    assert get_post(store, "city", "mastodon", "p07")["corrections"] == {}  # the correction is other's
    assert explore(store, "other", Filters())["total"] == 1


def test_representative_posts_are_confident_and_distinct(store) -> None:
    picked = representative(store, "city", Filters(), n=3)
    # Highest confidence first (p29 > p28 > ...), but p28 repeats p29's text, so it gives way.
    assert [p["post_id"] for p in picked] == ["p29", "p27", "p26"]
    assert set(picked[0]) == {"platform", "post_id", "text", "created_at", "url", "language", "sentiment",
                              "sentiment_score", "emotion"}
    negative = representative(store, "city", Filters(), n=5, extra_sql="a.sentiment = ?", params=["negative"])
    assert [p["post_id"] for p in negative] == ["p27", "p24", "p21", "p18", "p15"]
    assert representative(store, "city", Filters(platforms=("telegram",))) == []

"""Incremental enrichment of stored posts: only what changed, resumable, deletions honoured."""

from __future__ import annotations

from datetime import datetime

import pytest

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.schema import Deletion, Kind, Post
from civicpulse.store import Store, open_store

TEXTS = [
    "Kẹt xe kinh khủng trên cầu Sài Gòn sáng nay 😡 #ketxe",
    "Ngập nước tới đầu gối ở Thủ Đức sau cơn mưa lớn",
    "Giá xăng lại tăng, đi làm tốn kém quá",
    "Cảm ơn bệnh viện quận 8 chăm sóc chu đáo",
    "Lễ hội pháo hoa ở Đà Nẵng đẹp tuyệt vời",
    "Mất điện cả khu phố từ trưa tới giờ",
]


def post(i: int, text: str) -> Post:
    return Post("mastodon", str(i), Kind.POST, text, datetime(2026, 9, 14, 8, i % 60), "mastodon",
                author_key=f"1.{i:020x}", place_country="VN" if i == 0 else None,
                place_lon=106.7 if i == 0 else None, place_lat=10.78 if i == 0 else None)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(mode="fast")


@pytest.fixture
def store(store_url: str):
    s = open_store(store_url)
    s.ensure_workspace("city")
    s.upsert_posts("city", [post(i, t) for i, t in enumerate(TEXTS)])
    yield s
    s.close()


def count(store: Store, table: str, where: str = "") -> int:
    return store.query(f"SELECT count(*) FROM {table} WHERE workspace = 'city' {where}")[0][0]


def test_every_post_is_enriched_and_queryable_beside_it(store, analyzer) -> None:
    report = enrich_workspace(store, "city", analyzer, discover=False)
    assert report.analyzed == report.backlog == len(TEXTS)
    rows = dict(store.query("SELECT a.post_id, a.sentiment FROM post_analysis a JOIN posts p USING "
                            "(workspace, platform, post_id) WHERE a.workspace = 'city'"))
    assert rows["0"] == "negative" and rows["3"] == "positive"
    topics = store.query("SELECT post_id, topic FROM post_topics WHERE workspace = 'city' ORDER BY post_id, topic")
    assert ("0", "traffic_transport") in topics and ("1", "flooding_weather") in topics
    places = store.query("SELECT post_id, province_2025, matched FROM post_places WHERE workspace = 'city'")
    assert any(pid == "1" and "Hồ Chí Minh" in (prov or "") for pid, prov, _ in places)
    assert any(pid == "0" and matched == "platform" for pid, _, matched in places)
    assert ("0", "#ketxe", "hashtag") in store.query("SELECT post_id, term, kind FROM post_terms")


def test_a_second_run_does_nothing_and_an_edit_is_reanalysed(store, analyzer) -> None:
    enrich_workspace(store, "city", analyzer, discover=False)
    assert enrich_workspace(store, "city", analyzer, discover=False).analyzed == 0
    store.upsert_posts("city", [post(2, "Giá xăng giảm rồi, vui ghê 😍")])
    again = enrich_workspace(store, "city", analyzer, discover=False)
    assert again.analyzed == 1
    assert store.query("SELECT sentiment FROM post_analysis WHERE post_id = '2'") == [("positive",)]
    assert count(store, "post_analysis") == len(TEXTS)


def test_it_resumes_where_it_stopped(store, analyzer) -> None:
    first = enrich_workspace(store, "city", analyzer, limit=2, batch_size=1, discover=False)
    assert first.analyzed == 2 and first.backlog == len(TEXTS)
    rest = enrich_workspace(store, "city", analyzer, discover=False)
    assert rest.backlog == rest.analyzed == len(TEXTS) - 2


def test_another_model_reanalyses_everything(store, analyzer) -> None:
    enrich_workspace(store, "city", analyzer, discover=False)
    other = Analyzer(("language", "sentiment"), mode="fast")
    assert enrich_workspace(store, "city", other, discover=False).analyzed == len(TEXTS)


def test_a_deleted_post_loses_its_analysis(store, analyzer) -> None:
    enrich_workspace(store, "city", analyzer, discover=False)
    store.apply_deletions("city", [Deletion("mastodon", "0")])
    for table in ("post_analysis", "post_topics", "post_places", "post_terms"):
        assert count(store, table, "AND post_id = '0'") == 0, table
    assert enrich_workspace(store, "city", analyzer, discover=False).analyzed == 0


def test_discovered_topics_are_stored_and_stable(store_url: str, analyzer) -> None:
    store = open_store(store_url)
    store.ensure_workspace("city")
    flood = [f"ngập nước đường {n} sau mưa lớn, triều cường dâng cao" for n in range(30)]
    metro = [f"tàu metro tuyến số 1 chạy ga {n} đông khách, vé metro rẻ" for n in range(30)]
    store.upsert_posts("city", [post(i, t) for i, t in enumerate(flood + metro)])
    report = enrich_workspace(store, "city", analyzer)
    assert report.discovery["topics_active"] >= 2
    rows = dict(store.query("SELECT post_id, discovered_topic FROM post_analysis WHERE workspace = 'city'"))
    flood_topics = {rows[str(i)] for i in range(30)}
    metro_topics = {rows[str(i)] for i in range(30, 60)}
    assert None not in flood_topics | metro_topics
    assert not flood_topics & metro_topics
    # New posts on a known subject join its topic instead of making a new one.
    store.upsert_posts("city", [post(100, "ngập nước đường 99 sau mưa lớn, triều cường dâng cao")])
    enrich_workspace(store, "city", analyzer)
    (new_topic,) = store.query("SELECT discovered_topic FROM post_analysis WHERE post_id = '100'")[0]
    assert new_topic in flood_topics
    store.close()


def test_a_labeller_reading_ahead_sees_each_post_once_and_results_are_saved_in_order(store, analyzer) -> None:
    """A labeller may pull several batches before the first is saved (the Ray engine does): the backlog reader
    must continue past the last key read, not from what is still unsaved."""
    from civicpulse.analysis.labellers import InProcessLabeller

    seen: list[str] = []

    class ReadAhead(InProcessLabeller):
        def map(self, batches, items_of):
            pulled = list(batches)  # everything read before anything is saved
            for batch in pulled:
                seen.extend(row[1] for row in batch)
                yield batch, self.analyzer.analyze(items_of(batch))

    report = enrich_workspace(store, "city", ReadAhead(analyzer), batch_size=2, discover=False)
    assert report.analyzed == len(TEXTS)
    assert sorted(seen) == sorted(str(i) for i in range(len(TEXTS))) and len(seen) == len(set(seen))
    assert count(store, "post_analysis") == len(TEXTS)
    assert store.analysis_backlog("city", analyzer.signature, 10) == []

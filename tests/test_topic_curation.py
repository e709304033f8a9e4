"""Discovered topics curated by analysts: renamed, merged (B's posts count as A's), hidden and restored; the
curation survives re-discovery, is audited, and merges are counted before k-suppression."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicpulse.analysis.discovery_state import MERGED, DiscoveryState, TopicRecord
from civicpulse.analytics import Filters
from civicpulse.analytics import topic_curation as curation
from civicpulse.analytics.topic_trends import topic_trends
from civicpulse.store.duckdb_store import DuckDBStore
from trend_data import Item, add_items

DAY = datetime(2026, 9, 10)


def _items() -> list[Item]:
    """Topic 1: 30 posts by 12 authors; 2: 15 by 12; 3: 8 by 4 (under k = 10 alone); 4: 6 by 6."""
    plan = {1: (30, 12), 2: (15, 12), 3: (8, 4), 4: (6, 6)}
    return [Item(f"t{topic}-{n}", f"{topic}{n % authors:017x}", DAY + timedelta(hours=n % 20), discovered=topic)
            for topic, (posts, authors) in plan.items() for n in range(posts)]


def _state(*extra: TopicRecord) -> str:
    records = [TopicRecord(i, [f"từ{i}", f"khóa{i}", "chung"], [], [], 0.5, size, 1)
               for i, size in ((1, 30), (2, 15), (3, 8), (4, 6))]
    return DiscoveryState(topics={t.id: t for t in (*records, *extra)}).to_json()


@pytest.fixture
def store():
    s = DuckDBStore(":memory:")
    add_items(s, "city", _items())
    s.ensure_workspace("other")
    s.put_setting("discovery_state", "city", _state())
    yield s
    s.close()


def _figures(store: DuckDBStore) -> dict:
    return {r["id"]: (r["label"], r["posts"]) for r in topic_trends(store, "city", Filters(), kind="discovered")}


def test_renamed_topics_show_their_name_and_an_empty_name_restores_the_label(store) -> None:
    curation.rename(store, "city", 1, "Ngập lụt Thủ Đức", user="lan")
    assert _figures(store)[1] == ("Ngập lụt Thủ Đức", 30)
    page = curation.listing(store, "city")
    assert page["topics"][0]["label"] == "Ngập lụt Thủ Đức" and page["topics"][0]["renamed"]
    assert page["topics"][0]["discovered_label"].startswith("từ1")
    curation.rename(store, "city", 1, "", user="lan")
    assert _figures(store)[1][0].startswith("từ1")
    with pytest.raises(ValueError, match="at most 80"):
        curation.rename(store, "city", 1, "x" * 81)
    with pytest.raises(LookupError, match="no discovered topic 99"):
        curation.rename(store, "city", 99, "x")
    with pytest.raises(LookupError):
        curation.rename(store, "other", 1, "x")  # another workspace has no such topic


def test_a_merged_topic_counts_for_its_target_and_authors_are_counted_over_the_union(store) -> None:
    before = _figures(store)
    assert before[2][1] == 15 and before[3][1] is None  # 3 alone rests on 4 authors: suppressed
    curation.merge(store, "city", 3, 2, user="lan")
    after = _figures(store)
    assert 3 not in after and after[2][1] == 15 + 8
    curation.merge(store, "city", 2, 1, user="lan")  # 3 follows 2 into 1
    assert curation.load(store, "city").merged == {2: 1, 3: 1}
    assert _figures(store) == {1: (before[1][0], 30 + 15 + 8), 4: (before[4][0], None)}
    with pytest.raises(ValueError, match="into itself"):
        curation.merge(store, "city", 1, 2)  # 2 lives on in 1 now
    curation.unmerge(store, "city", 2, user="lan")
    assert _figures(store)[2][1] == 15 and _figures(store)[1][1] == 38
    with pytest.raises(LookupError, match="not merged"):
        curation.unmerge(store, "city", 4)


def test_hidden_topics_leave_the_dashboards_until_restored(store) -> None:
    curation.set_hidden(store, "city", 2, True, user="minh")
    assert set(_figures(store)) == {1, 3, 4}
    assert [t["hidden"] for t in curation.listing(store, "city")["topics"] if t["id"] == 2] == [True]
    curation.merge(store, "city", 3, 2)  # merged into a hidden topic: hidden with it
    assert set(_figures(store)) == {1, 4}
    curation.set_hidden(store, "city", 2, False, user="minh")
    assert _figures(store)[2][1] == 23


def test_curation_survives_re_discovery_and_every_change_is_audited(store) -> None:
    curation.rename(store, "city", 1, "Ngập", user="lan")
    curation.merge(store, "city", 4, 1, user="lan")
    curation.set_hidden(store, "city", 2, True, user="lan")
    # A refresh: discovery rewrites its state, keeps the ids, merges 3 into 1 itself and finds a new topic 5.
    refreshed = DiscoveryState.from_json(_state(TopicRecord(5, ["mới"], [], [], 0.5, 3, 2)))
    refreshed.topics[3].status, refreshed.topics[3].merged_into = MERGED, 1
    refreshed.topics[1].keywords = ["ngập", "mưa"]
    store.put_setting("discovery_state", "city", refreshed.to_json())
    figures = _figures(store)
    assert figures[1] == ("Ngập", 30 + 6) and 2 not in figures and 4 not in figures
    page = curation.listing(store, "city")
    assert page["total"] == 5 and [t["id"] for t in page["topics"]][-1] == 3  # discovery's merged topic last
    assert [t["id"] for t in curation.listing(store, "city", offset=1, limit=2)["topics"]] == [2, 4]
    actions = [(e["actor"], e["action"]) for e in store.audit_entries("city")]
    assert actions == [("lan", "topics.discovered.rename"), ("lan", "topics.discovered.merge"),
                       ("lan", "topics.discovered.hide")]
    assert "Ngập" not in store.get_setting("discovery_state", "city")  # kept apart from discovery's state


def test_the_sql_mapping_interpolates_only_integers() -> None:
    mapped = curation.topic_key_sql(curation.Curation(merged={3: 2}, hidden={5}), "a.discovered_topic")
    assert mapped == "(CASE a.discovered_topic WHEN 3 THEN 2 WHEN 5 THEN NULL ELSE a.discovered_topic END)"
    assert curation.topic_key_sql(curation.Curation(), "a.discovered_topic") == "a.discovered_topic"
    with pytest.raises(ValueError):
        curation.Curation.from_json({"merged": {"3": "2; DROP TABLE posts"}})


def test_the_topics_command_shows_the_analysts_names(store) -> None:
    from civicpulse.analytics.discovered import discovered_topics

    curation.rename(store, "city", 2, "Kẹt xe giờ cao điểm")
    curation.set_hidden(store, "city", 4, True)
    listed = {t["id"]: t for t in discovered_topics(store, "city")["topics"]}
    assert listed[2]["label"] == "Kẹt xe giờ cao điểm" and listed[4]["hidden"] and not listed[2]["hidden"]

"""Discovered topics: clusters with readable labels, stable ids, incremental runs, merges, splits, outliers."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from civicpulse.analysis.discovery import DiscoveryState, TopicDiscovery

# Small project-written vocabularies: word-segmented, lowercased keywords as the keyword extractor produces them.
VOCAB = {
    "traffic": ["kẹt xe", "ùn tắc", "giờ cao điểm", "ngã tư", "xe máy", "đèn đỏ", "cảnh sát giao thông", "lấn làn",
                "xe buýt", "bóp còi"],
    "flood": ["ngập nước", "mưa lớn", "triều cường", "cống", "nước dâng", "lội", "áo mưa", "bơm nước", "sạt lở",
              "rác thải"],
    "prices": ["giá xăng", "tăng giá", "chợ", "lạm phát", "thịt heo", "rau", "siêu thị", "tiền điện", "hóa đơn",
               "lương"],
    "power": ["mất điện", "cúp điện", "điện lực", "máy phát", "quạt", "tối om", "sự cố", "trạm biến áp", "đèn pin",
              "nến"],
    "heat": ["nắng nóng", "oi bức", "điều hòa", "40 độ", "say nắng", "kem", "khát", "mồ hôi", "chống nắng",
             "nước đá"],
    "storm": ["bão", "gió giật", "cây đổ", "sấm sét", "dây điện", "mái tôn", "lốc xoáy", "áp thấp", "sơ tán",
              "mưa đá"],
}
FILLER = ["hôm nay", "sài gòn", "hà nội", "quận", "sáng", "tối", "mọi người", "trời ơi", "thiệt", "khu"]
NOISE = [f"chuyện {i}" for i in range(300)]  # posts about nothing in particular: no two share much


def posts(prefix: str, n: int, seed: int, **mix: int) -> list[tuple[str, list[str]]]:
    """n posts drawing `count` keywords from each named vocabulary, plus two everyday words."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tokens = [w for name, count in mix.items() for w in rng.sample(VOCAB[name], count)] + rng.sample(FILLER, 2)
        rng.shuffle(tokens)
        out.append((f"{prefix}{i:04d}", tokens))
    return out


def noise(n: int, seed: int) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    return [(f"n{i:04d}", rng.sample(NOISE, 3)) for i in range(n)]


def corpus() -> list[tuple[str, list[str]]]:
    return (posts("t", 40, 1, traffic=4) + posts("f", 40, 2, flood=4) + posts("p", 40, 3, prices=4)
            + noise(12, 4))


# Project-written sentence parts, segmented with pyvi the way the keyword extractor does, for an end-to-end check.
SENTENCES = {
    "flood": (["Đường", "Hẻm nhà mình", "Khu phố"], ["ngập nước", "ngập sâu", "lội nước"],
              ["sau cơn mưa lớn", "vì triều cường", "do cống nghẹt"]),
    "traffic": (["Giao thông", "Đường về nhà", "Ngã tư"], ["ùn tắc nghiêm trọng", "kẹt cứng", "tắc nghẽn"],
                ["giờ cao điểm", "vì công trình", "do tai nạn"]),
    "power": (["Khu phố", "Chung cư", "Cả phường"], ["mất điện", "cúp điện", "mất điện cả đêm"],
              ["điện lực chưa khắc phục sự cố", "trạm biến áp hỏng", "máy phát chạy ồn"]),
}
STOPWORDS = {"sau", "vì", "do", "cả", "nhà", "mình", "về", "chưa", "cơn"}


def segmented(text: str) -> list[str]:
    from pyvi import ViTokenizer

    words = (w.replace("_", " ").lower() for w in ViTokenizer.tokenize(text).split())
    return [w for w in words if w not in STOPWORDS and any(c.isalpha() for c in w)]


def labelled(discovery: TopicDiscovery, docs: list[tuple[str, list[str]]]) -> dict[str, int | None]:
    return {a.doc_id: a.topic_id for a in discovery.predict(docs)}


def test_finds_each_topic_with_a_readable_word_segmented_label():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    report = discovery.refresh()
    assert report.topics_active == 3 and report.new_topics == [1, 2, 3]
    topics = discovery.topics()
    for topic in topics:
        words = topic.label.split(" · ")
        assert 3 <= len(words) <= 5 and words == topic.keywords[: len(words)]
        # every label word comes from one vocabulary, and compounds keep their space ("kẹt xe", not "kẹt_xe")
        owners = {name for name, vocab in VOCAB.items() for w in words if w in vocab}
        assert len(owners) == 1, topic.label
    labels = labelled(discovery, corpus())
    for prefix in "tfp":
        got = Counter(labels[d] for d, _ in corpus() if d.startswith(prefix))
        topic, count = got.most_common(1)[0]
        assert topic is not None and count >= 38, got


def test_pyvi_segmented_posts_get_topics_labelled_with_whole_compounds():
    rng = random.Random(5)
    docs = [(f"{name}{i:03d}", segmented(" ".join(rng.choice(part) for part in parts)))
            for name, parts in SENTENCES.items() for i in range(30)]
    discovery = TopicDiscovery()
    discovery.assign(docs)
    assert discovery.refresh().topics_active == 3
    labels = labelled(discovery, docs)
    for name in SENTENCES:
        got = Counter(labels[d] for d, _ in docs if d.startswith(name)).most_common(1)[0]
        assert got[0] is not None and got[1] >= 27
    words = [w for topic in discovery.topics() for w in topic.keywords]
    assert "_" not in "".join(words) and any(" " in w for w in words)  # "triều cường", not "triều_cường"


def test_outliers_are_posts_that_fit_no_topic_and_are_reported():
    discovery = TopicDiscovery()
    docs = corpus()
    discovery.assign(docs)
    report = discovery.refresh()
    labels = labelled(discovery, docs)
    noise_outliers = sum(labels[d] is None for d, _ in docs if d.startswith("n"))
    topical_outliers = sum(labels[d] is None for d, _ in docs if not d.startswith("n"))
    assert noise_outliers == 12 and topical_outliers <= 3
    assert report.assigned + report.outliers == len(docs)
    assert report.outlier_share == pytest.approx(report.outliers / len(docs), abs=1e-4)
    assert report.outliers >= 12


def test_same_data_in_any_order_gives_the_same_topics_and_ids():
    docs = corpus()
    shuffled = docs[:]
    random.Random(9).shuffle(shuffled)
    first, second = TopicDiscovery(), TopicDiscovery()
    first.assign(docs)
    first.refresh()
    second.assign(shuffled[:50])
    second.assign(shuffled[50:])
    second.refresh()
    assert first.state.to_json() == second.state.to_json()
    assert labelled(first, docs) == labelled(second, docs)


def test_posts_joining_topics_leave_the_same_state_whatever_their_order():
    first, second = TopicDiscovery(sample_size=8), TopicDiscovery(sample_size=8)
    for discovery in (first, second):
        discovery.assign(corpus())
        discovery.refresh()
    more = posts("T", 60, 13, traffic=4) + posts("F", 60, 14, flood=4)  # many more than the samples hold
    first.assign(more)
    second.assign(more[::-1])
    assert first.state.to_json() == second.state.to_json()


def test_assign_depends_only_on_the_last_refresh_not_on_order_or_batching():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    discovery.refresh()
    saved = discovery.state.to_json()
    more = posts("T", 30, 11, traffic=4) + posts("F", 30, 12, flood=4)
    at_once = {a.doc_id: (a.topic_id, a.score) for a in discovery.assign(more)}
    again = TopicDiscovery(DiscoveryState.from_json(saved))
    reversed_batches = [*again.assign(more[30:][::-1]), *again.assign(more[:30])]
    assert {a.doc_id: (a.topic_id, a.score) for a in reversed_batches} == at_once


def test_new_posts_join_existing_topics_and_a_new_subject_gets_a_new_id():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    discovery.refresh()
    before = {t.id: t.label for t in discovery.topics()}
    labels = labelled(discovery, corpus())
    traffic_id = Counter(labels[d] for d, _ in corpus() if d.startswith("t")).most_common(1)[0][0]

    assigned = discovery.assign(posts("T", 30, 21, traffic=4) + posts("W", 30, 22, power=4))
    joined = Counter(a.topic_id for a in assigned if a.doc_id.startswith("T"))
    assert joined[traffic_id] >= 28
    assert all(a.topic_id is None for a in assigned if a.doc_id.startswith("W"))  # nothing to join yet: the pool

    report = discovery.refresh()
    assert report.new_topics == [4]  # the next id; old ids keep their topics
    assert {t.id: t.label for t in discovery.topics() if t.id in before} == before
    late = {a.doc_id: a.topic_id for a in discovery.pool_assignments()}  # every post that waited, old ones too
    assert sum(late[d] == 4 for d in late if d.startswith("W")) >= 28
    assert discovery.state.events[-1] == {"run": 2, "event": "created", "topic": 4}
    final = {a.doc_id: a.topic_id if a.topic_id is not None else late.get(a.doc_id) for a in assigned}
    assert report.outliers == sum(t is None for t in final.values()) and report.assigned == 60 - report.outliers


def test_refreshing_again_without_new_posts_changes_nothing():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    discovery.refresh()
    labels = labelled(discovery, corpus())
    report = discovery.refresh()
    assert report.new_topics == [] and report.merged == [] and report.split == []
    assert labelled(discovery, corpus()) == labels


def test_topics_that_grow_together_are_merged_into_the_older_id():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    discovery.refresh()
    labels = labelled(discovery, corpus())
    traffic = Counter(labels[d] for d, _ in corpus() if d.startswith("t")).most_common(1)[0][0]
    flood = Counter(labels[d] for d, _ in corpus() if d.startswith("f")).most_common(1)[0][0]
    # a storm season: posts about traffic in floods, some mostly traffic, some mostly flood, join both topics
    discovery.assign(posts("a", 150, 31, traffic=4, flood=3) + posts("b", 150, 32, traffic=3, flood=4))
    report = discovery.refresh()
    survivor, gone = min(traffic, flood), max(traffic, flood)
    assert report.merged == [(gone, survivor)]
    assert discovery.resolve(gone) == [survivor]
    merged = {t.id: t for t in discovery.topics(include_inactive=True)}
    assert merged[gone].status == "merged" and merged[gone].merged_into == survivor
    assert {"run": 2, "event": "merged", "topic": gone, "into": survivor} in discovery.state.events


def test_a_topic_whose_posts_drift_apart_is_split_into_new_ids():
    discovery = TopicDiscovery()
    discovery.assign(posts("w", 40, 41, power=4) + posts("t", 40, 42, traffic=4) + posts("p", 40, 43, prices=4))
    discovery.refresh()
    power = {a.topic_id for a in discovery.predict(posts("w", 40, 41, power=4))} - {None}
    assert len(power) == 1
    parent = power.pop()
    # a heat wave and a storm: outage posts that say little about the outage and much about their cause
    discovery.assign(posts("h", 80, 44, power=1, heat=4) + posts("s", 80, 45, power=1, storm=4))
    report = discovery.refresh()
    assert len(report.split) == 1 and report.split[0][0] == parent
    children = report.split[0][1]
    assert children == [4, 5] and discovery.resolve(parent) == children
    labels = {t.id: t.label for t in discovery.topics()}
    themes = [{name for name, vocab in VOCAB.items() for w in labels[c].split(" · ") if w in vocab} for c in children]
    assert {"heat"} in themes or {"storm"} in themes, labels
    assert discovery.state.topics[parent].status == "split"
    assert {"run": 2, "event": "split", "topic": parent, "into": children} in discovery.state.events


def test_state_survives_json_and_the_next_run_matches():
    docs, later = corpus(), posts("T", 20, 51, traffic=4) + posts("W", 30, 52, power=4)
    live = TopicDiscovery()
    live.assign(docs)
    live.refresh()
    restored = TopicDiscovery(DiscoveryState.from_json(live.state.to_json()))
    assert restored.state.to_json() == live.state.to_json()
    for discovery in (live, restored):
        discovery.assign(later)
        discovery.refresh()
    assert restored.state.to_json() == live.state.to_json()
    assert labelled(restored, docs + later) == labelled(live, docs + later)


def test_the_pool_is_bounded_and_keeps_the_same_posts_whatever_the_order():
    docs = noise(300, 61)
    first, second = TopicDiscovery(pool_size=50), TopicDiscovery(pool_size=50)
    first.assign(docs)
    second.assign(docs[::-1])
    assert len(first.state.pool) == 50 and set(first.state.pool) == set(second.state.pool)


def test_empty_posts_are_outliers_and_do_not_enter_the_pool():
    discovery = TopicDiscovery()
    assert [a.topic_id for a in discovery.assign([("e1", []), ("e2", [])])] == [None, None]
    assert discovery.state.pool == {}
    assert discovery.refresh().outliers == 2


def test_max_topics_caps_the_active_topics():
    discovery = TopicDiscovery(max_topics=2)
    discovery.assign(corpus())
    assert discovery.refresh().topics_active == 2


def test_assigning_a_post_costs_well_under_a_millisecond():
    discovery = TopicDiscovery()
    discovery.assign(corpus())
    discovery.refresh()
    docs = posts("x", 4000, 71, traffic=3, flood=2)
    start = time.perf_counter()
    discovery.assign(docs)
    assert (time.perf_counter() - start) / len(docs) < 0.2e-3

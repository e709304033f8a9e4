"""Readable discovered-topic labels: diacritics, multi-syllable words, no filler, a phrase, steady on refits."""

from __future__ import annotations

import random
from collections import Counter

from civicpulse.analysis.discovery import TopicDiscovery
from civicpulse.analysis.discovery_labels import describe
from civicpulse.analysis.discovery_terms import keyed, spell, term_keys

# Project-written vocabularies, as the keyword extractor gives them for text typed with diacritics (pyvi keeps
# compounds whole) and without (pyvi leaves single syllables).
FLOOD = ["ngập nước", "mưa lớn", "triều cường", "sạt lở", "áo mưa", "cống nghẹt", "lội"]
TRAFFIC = ["kẹt xe", "ùn tắc", "giờ cao điểm", "ngã tư", "xe máy", "đèn đỏ", "bóp còi"]
POWER = ["mất điện", "cúp điện", "điện lực", "tối om", "sự cố", "đèn pin", "nến"]
ENGLISH = ["flooding", "storm drain", "sandbags", "waterlogged", "rainfall", "evacuation", "pumps"]
EVERYDAY = ["sài gòn", "quận", "sáng", "tối", "khu", "trời ơi"]
FILLER = ["nhà", "video", "2024", "x", "thật sự"]  # frequent in every post, never label words


def plain(tokens: list[str]) -> list[str]:
    """The same words typed without diacritics: pyvi cannot segment them, so they arrive as single syllables."""
    from civicpulse.analysis.text import fold

    return [syllable for token in tokens for syllable in fold(token).split()]


def posts(prefix: str, vocab: list[str], n: int, seed: int, *, typed_plain: float = 0.0,
          extra: list[str] | None = None) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tokens = rng.sample(vocab, 4) + rng.sample(EVERYDAY, 2) + list(extra or [])
        rng.shuffle(tokens)
        out.append((f"{prefix}{i:04d}", plain(tokens) if rng.random() < typed_plain else tokens))
    return out


def discovered(docs: list[tuple[str, list[str]]]) -> TopicDiscovery:
    discovery = TopicDiscovery()
    discovery.assign(docs)
    discovery.refresh()
    return discovery


def test_plain_syllables_are_joined_into_the_words_they_spell():
    assert term_keys(["cam", "on", "thong", "tin", "huu", "ich"]) == ["cam on", "thong tin", "huu ich"]
    assert keyed(["Ngập nước", "gio", "cao", "diem"]) == [("ngap nuoc", "ngập nước"), ("gio cao diem",) * 2]
    # syllables with diacritics are joined only when they spell a dictionary word exactly as written
    assert keyed(["ngập", "nước"]) == [("ngap nuoc", "ngập nước")]
    assert term_keys(["cam", "ơn"]) == ["cam", "on"]


def test_a_spelling_needs_enough_posts_with_diacritics_and_is_borrowed_only_for_whole_words():
    corpus = {"ngap nuoc": Counter({"ngập nước": 9, "ngap nuoc": 30}), "ngap": Counter({"ngập": 9}),
              "mat dien": Counter({"mất điện": 5, "mắt điện": 4})}
    assert spell("ngap nuoc", {}, corpus) == "ngập nước"
    assert spell("ngap", {}, corpus) == "ngap"  # one syllable: "gio" may be giờ or gió, so never borrowed
    assert spell("mat dien", {}, corpus) == "mat dien"  # no spelling clearly dominates: left as typed
    assert spell("gio", {"gio": Counter({"gió": 2, "gio": 3})}, corpus) == "gió"  # the topic's own posts decide
    assert spell("gio", {"gio": Counter({"gió": 1, "gio": 9})}, corpus) == "gio"  # ... when there are enough


def test_labels_count_both_spellings_as_one_word_and_show_the_one_with_diacritics():
    members = [tokens for _, tokens in posts("f", FLOOD, 40, 1, typed_plain=0.4)]
    assert any(t == plain(t) for t in members) and any(t != plain(t) for t in members)
    keywords = describe(members, lambda term: 1.0).keywords
    assert set(keywords) <= set(FLOOD) | set(EVERYDAY), keywords
    # "cống nghẹt" is in no dictionary: posts typed without diacritics have "cong", "nghet", joined for the label
    assert {"ngập nước", "cống nghẹt", "lội", "mưa lớn"} <= set(keywords)


def test_topics_are_labelled_with_diacritics_and_whole_words():
    docs = posts("f", FLOOD, 60, 1) + posts("t", TRAFFIC, 60, 2)
    discovery = discovered(docs)
    topics = discovery.topics()
    assert len(topics) == 2
    labels = {a.doc_id: a.topic_id for a in discovery.predict(docs)}
    for prefix, vocab in (("f", FLOOD), ("t", TRAFFIC)):
        ids = Counter(labels[d] for d, _ in docs if d.startswith(prefix))
        topic = next(t for t in topics if t.id == ids.most_common(1)[0][0])
        assert len(topic.keywords) >= 4 and set(topic.keywords[:4]) <= set(vocab), topic.keywords
    assert any(" " in word for t in topics for word in t.label.split(" · "))  # multi-syllable words stay whole


def test_a_topic_typed_only_without_diacritics_borrows_spellings_from_the_corpus():
    # the flood posts also write "sự cố" with diacritics; no post anywhere writes "tối om" with them
    docs = posts("a", FLOOD, 50, 3, extra=["sự cố"]) + posts("b", POWER[:5], 50, 4, typed_plain=1.0)
    discovery = discovered(docs)
    power_id = Counter(a.topic_id for a in discovery.predict(docs) if a.doc_id.startswith("b")).most_common(1)[0][0]
    power = next(t for t in discovery.topics() if t.id == power_id)
    assert "sự cố" in power.keywords  # borrowed: the corpus writes it one way only
    assert "toi om" in power.keywords  # nothing to borrow: left as typed, but one word, not "toi · om"
    assert {"mất điện", "mat dien", "cúp điện", "cup dien"} & set(power.keywords)


def test_filler_words_never_label_a_topic():
    docs = posts("f", FLOOD, 60, 5, extra=FILLER) + posts("t", TRAFFIC, 60, 15, extra=FILLER)
    for topic in discovered(docs).topics():
        assert topic.keywords and not set(topic.keywords) & set(FILLER), topic.keywords
        assert set(topic.keywords[:4]) <= set(FLOOD + TRAFFIC)


def test_a_phrase_is_a_run_of_keywords_that_several_posts_share():
    rng = random.Random(6)
    docs = [(f"t{i:03d}", ["kẹt xe", "giờ cao điểm", *rng.sample(TRAFFIC[2:], 3), *rng.sample(EVERYDAY, 2)])
            for i in range(40)]
    docs += posts("f", FLOOD, 40, 16)
    traffic = next(t for t in discovered(docs).topics() if "kẹt xe" in t.keywords)
    assert traffic.phrase == "kẹt xe giờ cao điểm"
    # a run only two posts share is their wording, not the topic's: no phrase
    lonely = describe([["ngập nước", "mưa lớn"], ["ngập nước", "mưa lớn"], ["ngập nước"], ["mưa lớn"]],
                      lambda key: 1.0)
    assert all(count < lonely.phrase_bar for _, count in lonely.phrases)


def test_label_and_phrase_stay_across_a_refit_with_a_small_sample_change():
    discovery = discovered(posts("f", FLOOD, 80, 7, typed_plain=0.3) + posts("t", TRAFFIC, 80, 8))
    before = {t.id: (t.label, t.phrase) for t in discovery.topics()}
    discovery.assign(posts("g", FLOOD, 8, 9, typed_plain=0.3) + posts("u", TRAFFIC, 8, 10))
    discovery.refresh()
    assert {t.id: (t.label, t.phrase) for t in discovery.topics()} == before


def test_english_topics_keep_their_english_keywords():
    docs = posts("e", ENGLISH, 60, 11) + posts("f", FLOOD, 60, 12)
    english = next(t for t in discovered(docs).topics() if set(t.keywords) & set(ENGLISH))
    assert len(english.keywords) >= 4 and set(english.keywords[:4]) <= set(ENGLISH)
    assert "storm drain" in english.keywords  # an English multi-word token stays one keyword

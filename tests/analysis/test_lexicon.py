"""Lexicon sentiment: Vietnamese rules (negation, intensifiers, diacritics), VADER for English, emoji everywhere."""

from __future__ import annotations

import time

import pytest

from civicpulse.analysis.lexicon import LexiconScore, emoji_scores, get_lexicon
from civicpulse.analysis.text import LEXICONS


def score(text: str, lang: str = "vi") -> LexiconScore:
    return get_lexicon().score(text, lang)


@pytest.mark.parametrize("text", ["Phim này hay quá", "dịch vụ tận tình, rất hài lòng", "đỉnh của chóp luôn",
                                  "xịn xò", "ngon bổ rẻ", "Cảm ơn các anh công an 🙏", "quá đã", "ổn áp"])
def test_vietnamese_positive(text: str) -> None:
    result = score(text)
    assert result.compound > 0.2 and result.pos > 0 and result.neg == 0, result


@pytest.mark.parametrize("text", ["dịch vụ như hạch", "cạn lời", "ức chế vãi", "bực mình ghê", "phèn quá",
                                  "tệ thật sự", "thủ tục rườm rà, nhân viên hách dịch", "toang rồi"])
def test_vietnamese_negative(text: str) -> None:
    result = score(text)
    assert result.compound < -0.2 and result.neg > 0 and result.pos == 0, result


def test_text_without_diacritics_matches_folded() -> None:
    with_marks, without = score("không tốt"), score("khong tot")
    assert with_marks == without
    assert with_marks.compound < 0 and with_marks.hits == ["không tốt"]


def test_teencode_negation() -> None:
    result = score("ko thik")
    assert result.compound < 0 and result.hits == ["không thích"]


def test_negation_flips_and_weakens() -> None:
    good, not_good = score("tốt"), score("không tốt")
    bad, not_bad = score("tệ"), score("không tệ")
    assert not_good.compound < 0 < good.compound
    assert abs(not_good.compound) < good.compound
    assert bad.compound < 0 < not_bad.compound < good.compound
    assert score("chẳng ai thích").compound < 0


def test_negation_window_and_clause() -> None:
    assert score("không, tốt lắm").compound > 0  # comma ends the negator's clause
    assert score("chưa bao giờ thấy dịch vụ tệ như vậy").compound < 0  # too far back to negate "tệ"


def test_clause_final_negator() -> None:
    assert score("có tốt đâu").compound < 0
    assert score("đẹp gì đâu").compound < 0


def test_negator_inside_compound_is_not_negation() -> None:
    assert score("không khí trong lành").compound > 0
    assert score("cảm ơn mọi người đã giúp đỡ tận tình").compound > 0
    assert score("chả giò ngon").compound > 0


def test_intensifiers_and_softeners() -> None:
    assert score("rất đẹp").pos > score("đẹp").pos > score("hơi đẹp").pos
    assert score("đẹp quá trời luôn").pos > score("đẹp quá").pos > score("đẹp").pos
    assert score("đắt").neg < score("đắt vãi").neg


def test_intensifier_that_is_also_an_opinion_word() -> None:
    assert score("đẹp kinh khủng").compound > 0.3
    assert score("kinh khủng").compound < -0.3
    assert score("đẹp kinh khủng").hits == ["đẹp"]


def test_ambiguous_words_need_context() -> None:
    assert score("đi bộ hay đi xe").hits == []  # "hay" = or
    assert score("phim này hay").compound > 0  # clause-final
    assert score("không hay lắm").compound < 0


def test_contrast_weights_the_second_half() -> None:
    assert score("đồ ăn ngon nhưng phục vụ chậm quá").compound < 0
    assert score("hơi đắt nhưng mà ngon tuyệt vời").compound > 0


def test_diacritic_text_reads_plain_words_literally() -> None:
    assert score("Xin giấy xác nhận ở phường").hits == []  # xin is not xịn
    assert score("Đi tham quan bảo tàng").hits == []  # tham is not thảm
    assert score("Ba mất vì ung thư").hits == []  # ung is not ưng
    assert score("di ngu thoi").hits == []  # đi ngủ, not "ngu"


def test_topic_words_are_not_opinions() -> None:
    for text in ("kẹt xe ở ngã tư", "ngập nước", "thi tốt nghiệp", "quý khách vui lòng chờ", "an toàn giao thông"):
        assert score(text).hits == [], text


def test_elongation() -> None:
    assert score("ngonnn quáaaa").hits == ["ngon"]
    assert score("ngonnn quáaaa").pos > score("ngon").pos


def test_emoji_only_any_language() -> None:
    assert score("😡", "und").compound < -0.3
    assert score("😍", "und").compound > 0.3
    assert score("😂😂😂", "und") == score("😂", "und")  # a run of one emoji counts once
    assert score("今天交通太堵了 😡", "zh").hits == ["😡"]
    assert score("Bonjour 😍", "fr").compound > 0


def test_emoticons() -> None:
    assert score("chán wá :(((").compound < score("chán quá").compound < 0
    assert score("=))").compound > 0
    assert score("T_T").compound < 0
    assert score("lúc 10:30 sáng").hits == []


def test_empty_and_neutral() -> None:
    assert score("") == LexiconScore(0.0, 0.0, 0.0, [])
    assert score("   ", "en") == LexiconScore(0.0, 0.0, 0.0, [])
    assert score("hôm nay tôi đi học").hits == []


def test_html_remnants() -> None:
    result = score("dịch vụ tệ &amp; chậm quá<br>không bao giờ quay lại")
    assert result.compound < -0.5
    assert "tệ" in result.hits and "không bao giờ quay lại" in result.hits


def test_english_uses_vader_with_hits() -> None:
    result = score("This is not good at all", "en")
    assert result.compound < 0 and result.hits == ["not good"]
    assert score("I love this city ❤️", "en").hits == ["love", "❤"]
    assert score("great service!!!", "en").compound > score("great service", "en").compound > 0


def test_english_negation_does_not_flip_emoji() -> None:
    result = score("The service was terrible, never again 👎", "en")
    assert result.pos == 0 and result.compound < -0.5
    assert result.hits == ["terrible", "👎"]


def test_compound_is_bounded() -> None:
    result = score("tuyệt vời xuất sắc hoàn hảo đỉnh cao 😍😘❤️🎉!!!!!!" * 20)
    assert 0.99 < result.compound <= 1.0


def test_long_text_is_fast() -> None:
    text = ("Dịch vụ như hạch &amp; nhân viên thô lỗ <br> ko bao giờ quay lại 😡 https://t.co/x. " * 150)[:10_000]
    start = time.perf_counter()
    result = score(text)
    assert result.compound < -0.9
    assert time.perf_counter() - start < 0.5


def test_lexicon_resource_is_well_formed() -> None:
    rows = [line.split("\t") for line in (LEXICONS / "vi_sentiment.tsv").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    terms = [r[0] for r in rows]
    assert len(set(terms)) == len(terms)
    assert sum(1 for r in rows if float(r[1]) != 0) >= 700
    assert all(-3 <= float(r[1]) <= 3 for r in rows)
    assert all(t == t.strip().lower() for t in terms)
    assert {f for r in rows if len(r) > 2 for f in r[2].split(",") if f} <= {"mod", "exact"}


def test_emoji_table_combines_emosent_and_project_rows() -> None:
    scores = emoji_scores()
    assert scores["❤"] > 0.5  # from emosent's data
    assert scores["🤬"] < -0.5 and scores["🥰"] > 0.5  # newer emoji from emoji_extra.tsv
    assert scores[":(("] < 0


def test_lexicon_is_cached() -> None:
    assert get_lexicon() is get_lexicon()

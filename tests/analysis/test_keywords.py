"""Hashtags and content keywords: Vietnamese segmentation, stopwords, privacy filter, edge cases."""

from __future__ import annotations

import time

import pytest

from civicpulse.analysis.keywords import hashtags, keywords
from civicpulse.analysis.text import word_list


def test_hashtags_lowercase_deduplicated_unicode() -> None:
    text = "#SàiGòn #saigon #SAIGON kẹt quá #KẹtXe abc#def &#39; #123 #2024vote C# #Kẹt_Xe #sàigòn"
    assert hashtags(text) == ["#sàigòn", "#saigon", "#kẹtxe", "#2024vote", "#kẹt_xe"]


def test_hashtags_nfd_input_is_normalised() -> None:
    import unicodedata

    assert hashtags(unicodedata.normalize("NFD", "#HàNội")) == ["#hànội"]
    assert hashtags("no tags here") == []


def test_vietnamese_keywords_segmented_in_order() -> None:
    text = "Sáng nay kẹt xe kinh khủng ở ngã tư Hàng Xanh, đi làm trễ #KetXe @user 😡 https://t.co/x"
    out = keywords(text, "vi")
    assert out[:4] == ["kẹt xe", "kinh khủng", "ngã tư", "hàng xanh"]
    assert not any(k.startswith(("#", "@")) or "ketxe" in k or "user" in k or "http" in k for k in out)
    assert "😡" not in out


def test_pyvi_words_are_joined_with_spaces() -> None:
    out = keywords("Bệnh viện quá tải, bệnh nhân phải nằm ghép, bảo hiểm y tế chờ lâu", "vi")
    assert {"bệnh viện", "quá tải", "bệnh nhân", "bảo hiểm y tế"} <= set(out)
    assert not any("_" in k for k in out)


def test_vietnamese_without_diacritics_and_teencode() -> None:
    out = keywords("ket xe qua troi o nga tu hang xanh, ko dc di dau het", "vi")
    assert out[:2] == ["ket xe", "nga tu"]
    assert not {"ko", "dc", "không", "được", "qua", "o"} & set(out)


def test_stopwords_numbers_single_characters_dropped() -> None:
    out = keywords("Mình thấy giá 50k, 2 tr mà 2024 vẫn tăng a b c giá xăng", "vi")
    assert "giá xăng" in out
    assert not [k for k in out if k[0].isdigit() or len(k) < 2 or k in {"mình", "thấy", "mà", "vẫn"}]


def test_deduplicated_first_spelling_wins() -> None:
    assert keywords("Kẹt xe, kẹt xe, KẸT XE nữa", "vi") == ["kẹt xe"]
    assert keywords("ket xe, KET XE, Ket Xe nua", "vi") == ["ket xe"]


def test_limit_and_order() -> None:
    text = "giá xăng tăng, giá vàng tăng, học phí tăng, tiền điện tăng, tiền nước tăng"
    assert keywords(text, "vi", limit=3) == ["giá xăng", "tăng", "giá vàng"]
    assert keywords(text, "vi", limit=0) == []


@pytest.mark.parametrize(("text", "banned"), [
    ("Anh Tuấn với chị Lan đi chợ Bến Thành", {"tuấn", "lan"}),
    ("Ông Nguyễn Văn An phát biểu ở hội nghị", {"nguyễn văn an", "nguyễn", "văn", "an"}),
    ("Chị Mai bán hàng ở chợ", {"mai"}),
    ("Tran Thi Mai posted about the flood", {"tran thi mai", "tran", "thi", "mai"}),
])
def test_person_names_are_not_keywords(text: str, banned: set[str]) -> None:
    lang = "en" if "posted" in text else "vi"
    assert not banned & set(keywords(text, lang))


def test_place_after_street_word_is_kept() -> None:
    assert "nguyễn huệ" in keywords("Kẹt cứng trên đường Nguyễn Huệ", "vi")
    assert "nguyen hue" in keywords("Traffic on Nguyen Hue was insane", "en")
    assert "saigon river" in keywords("Trash in the Saigon River again", "en")


def test_english_keywords() -> None:
    out = keywords("Mr Smith said the power outage in District 7 lasted 5 hours!!! lol", "en")
    assert out == ["power", "outage", "district", "lasted", "hours"]


def test_code_switched_vietnamese_keeps_english_content_words() -> None:
    assert keywords("deadline gấp quá mà sếp vẫn chưa reply", "vi") == ["deadline", "gấp", "sếp", "reply"]


@pytest.mark.parametrize(("text", "lang"), [("", "vi"), ("😂😂😂", "und"), ("#only #tags", "vi"), ("@user", "en"),
                                            ("ko dc j đâu", "vi"), ("&amp; <br>", "en")])
def test_nothing_left_gives_no_keywords(text: str, lang: str) -> None:
    assert keywords(text, lang) == []


def test_other_scripts_and_languages() -> None:
    assert keywords("今天交通太堵了", "zh") == ["今天交通太堵了"]
    assert "retard" in keywords("Le métro est encore en retard ce matin", "fr")


def test_very_long_post_is_fast() -> None:
    text = "Kẹt xe ở ngã tư. " * 600 + "Giá xăng tăng quá."
    start = time.perf_counter()
    out = keywords(text, "vi")
    assert out[:2] == ["kẹt xe", "ngã tư"]
    assert time.perf_counter() - start < 1.0


def test_stopword_lists_have_expected_size() -> None:
    assert 300 <= len(word_list("vi_stopwords.txt")) <= 600
    assert {"không", "được", "ko", "dc", "mik", "của"} <= word_list("vi_stopwords.txt")
    assert {"the", "lol", "don't"} <= word_list("en_stopwords.txt")

"""Styles real posts use and hand-written sentences under-represent, through the bulk `cascade` mode with the
shipped models: sarcasm with cues, Vietnamese/English code-switching, complaints phrased as facts.

None of these strings is in data/training (checked below; the issue's own examples are, in vi_mixed.jsonl, so
these are variants of them), so they test what the models learned, not what they memorised; a handful per style
keeps one lucky string from passing a whole style.
"""

from __future__ import annotations

import pytest

from civicpulse.analysis import Analyzer
from civicpulse.analysis.dataset import default_data_dir, load_jsonl
from civicpulse.analysis.text import clean, fold

# Known misses, kept visible: praise words outweigh the complaint for the student, and the text is not unsure
# enough to reach the encoder (docs/analysis.md, Limits). strict: the test says so once a model gets them right.
KNOWN_MISS = pytest.mark.xfail(strict=True, reason="sarcasm: praise words outweigh the complaint (see Limits)")
# Lost when every Vietnamese text began to reach the encoder (per-language routing, chosen on the out-of-domain
# checks): the student alone had these right, the teacher's 70% vote reads the praise, or the bare fact, at face value.
ENCODER_MISS = pytest.mark.xfail(strict=True, reason="the teacher reads the surface (see Limits); the student alone "
                                 "was right")
SARCASM = [
    pytest.param("Hay thật, mưa có nửa tiếng mà phố thành sông luôn 🙂", marks=KNOWN_MISS),
    "Great, another Monday with no water. Love it.",
    "Oh perfect, the bus skipped our stop again. Just wonderful 🙃",
    pytest.param("Tuyệt vời ghê, vừa trải nhựa xong tuần sau lại đào lên 🙂", marks=ENCODER_MISS),
    pytest.param("Wow, three hours on hold with the city office. Amazing service, truly.", marks=KNOWN_MISS),
]
CODE_SWITCHING = [
    "app ngân hàng lag quá, hotline support thì như không có",
    "shipper giao trễ 3 ngày, support thì không reply luôn",
    "wifi ký túc xá speed như rùa bò, complain hoài mà không ai fix",
    "order online mà hàng tới bị bể hết, refund thì chờ mãi",
]
IMPLICIT_COMPLAINTS = [
    pytest.param("cúp nc từ thứ 2 tới giờ", marks=ENCODER_MISS),
    "nước ngập tới đầu gối cả tuần nay vẫn chưa ai xử lý",
    "đặt hàng 10 ngày rồi mà vẫn chưa thấy giao",
    "gọi tổng đài 5 lần vẫn chưa ai bắt máy",
    "rác để đầu hẻm cả tuần chưa ai dọn",
]
SARCASM_TEXTS, IMPLICIT_TEXTS = ([p if isinstance(p, str) else p.values[0] for p in cases]
                                 for cases in (SARCASM, IMPLICIT_COMPLAINTS))
# Texts whose topic the accurate mode finds, and that the cascade must find too.
TOPICAL = {
    "cúp nc 3 ngày": "utilities",
    "cúp nước từ sáng tới giờ vẫn chưa có lại": "utilities",
    "đường ngập tới đầu gối, phường không ai xử lý": "flooding_weather",
    "mưa chút xíu mà đường ngập tới yên xe": "flooding_weather",
}


def _key(text: str) -> str:
    return " ".join(fold(clean(text)).split())


def test_the_cases_are_not_training_sentences() -> None:
    training = {_key(e.text) for e in load_jsonl(default_data_dir().glob("*.jsonl")).examples}
    cases = SARCASM_TEXTS + CODE_SWITCHING + IMPLICIT_TEXTS + list(TOPICAL)
    assert not [c for c in cases if _key(c) in training]


@pytest.fixture(scope="module")
def cascade() -> Analyzer:
    return Analyzer(("sentiment", "emotion", "topics"), mode="cascade")


@pytest.fixture(scope="module")
def cascade_results(cascade: Analyzer) -> dict[str, object]:
    texts = SARCASM_TEXTS + CODE_SWITCHING + IMPLICIT_TEXTS + list(TOPICAL)
    return dict(zip(texts, cascade.analyze_texts(texts), strict=True))


@pytest.mark.parametrize("text", CODE_SWITCHING + IMPLICIT_COMPLAINTS)
def test_complaints_in_real_post_styles_come_out_negative(cascade_results: dict, text: str) -> None:
    assert cascade_results[text].sentiment == "negative"


@pytest.mark.parametrize("text", SARCASM)
def test_sarcasm_with_cues_comes_out_negative(cascade_results: dict, text: str) -> None:
    assert cascade_results[text].sentiment == "negative"


@pytest.mark.parametrize("text", list(TOPICAL))
def test_cascade_finds_the_topics_accurate_mode_finds(cascade_results: dict, text: str) -> None:
    accurate = Analyzer(("topics",), mode="accurate").analyze_texts([text])[0]
    assert TOPICAL[text] in accurate.topics
    assert TOPICAL[text] in cascade_results[text].topics

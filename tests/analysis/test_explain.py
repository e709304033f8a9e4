"""The words quoted under "Why these labels?": the model's strongest words, filler left out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from civicpulse.analysis.explain import is_filler, top_words
from civicpulse.analysis.features import TextFeatures


def explained(words_by_margin: list[str], k: int = 3) -> list[str]:
    """top_words over a two-class head where the words' weights for class 0 fall in the order given."""
    n = len(words_by_margin)
    weights = np.zeros((n, 2))
    weights[:, 0] = np.linspace(2.0, 1.0, n)  # all push towards class 0, the first the most
    head = SimpleNamespace(weights=weights, multilabel=False)
    features = TextFeatures(np.arange(n), dict(enumerate(words_by_margin)))
    return top_words(head, features, 0, k)  # type: ignore[arg-type]


def test_filler_is_skipped_and_the_next_real_words_are_quoted() -> None:
    assert explained(["thang", "nuoc", "duoc", "thì", "ngập", "the", "kẹt xe", "là của", "traffic"]) == [
        "nuoc", "ngập", "kẹt xe"]


def test_negators_opinion_words_and_negated_words_stay() -> None:
    assert explained(["không", "good", "… được", "bad"], k=4) == ["không", "good", "… được", "bad"]
    assert not any(is_filler(w) for w in ("không", "not", "good", "bad", "like", "khổ", "tốt", "… được"))


def test_filler_is_recognised_with_or_without_diacritics_but_content_is_not() -> None:
    assert all(is_filler(w) for w in ("được", "duoc", "thì", "thi", "the", "is", "là của", "tháng"))
    # "cầu" (bridge), "đường" (road) fold to words that are also stopwords: typed plain, they stay content.
    assert not any(is_filler(w) for w in ("ngập", "ngap", "nước", "cau", "duong", "kẹt xe", "bệnh viện"))

"""Explanations an analyst can check: the words (and example phrases) that pushed a text towards its label."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from civicpulse.analysis.features import NEGATORS, TextFeatures
from civicpulse.analysis.keywords import _en_stopwords, _vi_stopwords  # the lists keywords use, not a copy
from civicpulse.analysis.linear import LinearHead
from civicpulse.analysis.taxonomy import Topic
from civicpulse.analysis.text import fold


def top_words(head: LinearHead, features: TextFeatures, class_index: int, k: int = 3) -> list[str]:
    """Words whose weight for this class exceeds their average weight over the classes the most.

    Filler ("được", "thì", "the", "duoc" typed without diacritics) is skipped: the model may lean on it, but it
    explains nothing to a reader. Negators stay ("không" is why "không tốt" is negative).
    """
    if not len(features.columns):
        return []
    w = head.weights[features.columns]
    margin = w[:, class_index] if head.multilabel else w[:, class_index] - w.mean(axis=1)
    words: list[str] = []
    for j in np.argsort(-margin, kind="stable"):
        if margin[j] <= 0 or len(words) == k:
            break
        word = features.shown[int(features.columns[j])]
        if word not in words and not is_filler(word):
            words.append(word)
    return words


def is_filler(shown: str) -> bool:
    """Whether an explanation's word or word pair is made of stopwords only (Vietnamese or English)."""
    if shown.startswith("…"):  # a word under negation ("… được"): the negation is the point
        return False
    return all(_is_stopword(word) for word in shown.split())


def _is_stopword(word: str) -> bool:
    if word in NEGATORS:
        return False
    stop, stop_folded = _vi_stopwords()
    listed = word in stop or word in _en_stopwords() or (word.isascii() and word in stop_folded)
    return listed and not _carries_sentiment(word)


@lru_cache(maxsize=4096)
def _carries_sentiment(word: str) -> bool:
    # The keyword stoplists hold opinion words too ("good", "bad", "like"): for a label's explanation they count.
    from civicpulse.analysis.lexicon import get_lexicon

    lexicon = get_lexicon()
    return any(lexicon.score(word, lang).hits for lang in ("en", "vi"))


def matching_examples(topic: Topic, folded_text: str, k: int = 2) -> list[str]:
    """Example phrases of the topic that occur in the text, diacritics ignored."""
    padded = f" {folded_text} "
    return [p for p in topic.examples if f" {fold(p)} " in padded][:k]

"""Explanations an analyst can check: the words (and example phrases) that pushed a text towards its label."""

from __future__ import annotations

import numpy as np

from civicpulse.analysis.features import TextFeatures
from civicpulse.analysis.linear import LinearHead
from civicpulse.analysis.taxonomy import Topic
from civicpulse.analysis.text import fold


def top_words(head: LinearHead, features: TextFeatures, class_index: int, k: int = 3) -> list[str]:
    """Words whose weight for this class exceeds their average weight over the classes the most."""
    if not len(features.columns):
        return []
    w = head.weights[features.columns]
    margin = w[:, class_index] if head.multilabel else w[:, class_index] - w.mean(axis=1)
    words: list[str] = []
    for j in np.argsort(-margin, kind="stable"):
        if margin[j] <= 0 or len(words) == k:
            break
        word = features.shown[int(features.columns[j])]
        if word not in words:
            words.append(word)
    return words


def matching_examples(topic: Topic, folded_text: str, k: int = 2) -> list[str]:
    """Example phrases of the topic that occur in the text, diacritics ignored."""
    padded = f" {folded_text} "
    return [p for p in topic.examples if f" {fold(p)} " in padded][:k]

"""Label sets and the per-post analysis record every task writes into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
TASKS: tuple[str, ...] = ("language", "sentiment", "emotion", "topics", "places", "keywords")
MODES: tuple[str, ...] = ("cascade", "fast", "accurate")  # when the sentence encoder is consulted


@dataclass
class Analysis:
    """Everything civicpulse derives from one text. Serialises to the JSON `analyze-text` prints."""

    language: str = "und"
    language_confidence: float = 0.0
    sentiment: str | None = None
    sentiment_score: float | None = None  # P(positive) - P(negative), in [-1, 1]
    sentiment_confidence: float | None = None
    emotion: str | None = None
    emotion_scores: dict[str, float] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    topic_scores: dict[str, float] = field(default_factory=dict)
    places: list[dict[str, Any]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    why: dict[str, Any] = field(default_factory=dict)  # task -> evidence an analyst can check
    model: str = ""  # model bundle version that produced the labels

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

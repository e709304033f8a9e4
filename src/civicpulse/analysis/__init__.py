"""civicpulse.analysis: language, sentiment, emotion, topics, places, keywords for Vietnamese and English posts.

    >>> from civicpulse.analysis import analyze_texts
    >>> analyze_texts(["Kẹt xe kinh khủng ở Q1 sáng nay 😡"])[0].sentiment
    'negative'

`Analyzer` is the reusable object (load once, call `analyze_texts` on batches); `analyze_texts` uses a
process-wide default analyzer. See docs/analysis.md for the label sets, models, measured accuracy and limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS, TASKS, Analysis

if TYPE_CHECKING:
    from civicpulse.analysis.pipeline import Analyzer, TextItem
    from civicpulse.analysis.taxonomy import Taxonomy, Topic, default_taxonomy

# Imported on first use, so `import civicpulse.analysis.taxonomy` does not load numpy, scikit-learn and the models.
_LAZY = {"Analyzer": "pipeline", "TextItem": "pipeline", "Taxonomy": "taxonomy", "Topic": "taxonomy",
         "default_taxonomy": "taxonomy"}
_default: Analyzer | None = None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"civicpulse.analysis.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'civicpulse.analysis' has no attribute {name!r}")


def analyze_texts(texts: Sequence[str], tasks: Sequence[str] = TASKS) -> list[Analysis]:
    """Analyse texts with the default models and taxonomy."""
    global _default
    from civicpulse.analysis.pipeline import Analyzer

    if _default is None or _default.tasks != tuple(tasks):
        _default = Analyzer(tasks)
    return _default.analyze_texts(texts)


__all__ = ["EMOTIONS", "SENTIMENTS", "TASKS", "Analysis", "Analyzer", "Taxonomy", "TextItem", "Topic",
           "analyze_texts", "default_taxonomy"]

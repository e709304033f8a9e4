"""Per-language routing budgets and batch centring: the cascade's two label-free levers (docs/analysis.md)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from civicpulse.analysis.linear import LinearHead
from civicpulse.analysis.models import TaskModel, default_model
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analysis.priors import MIN_CENTRING_GROUP, centre_log_probs
from civicpulse.analysis.training import ROUTE_ALL, set_routing, student_confidence


class RecordingEncoder:
    """Zero vectors (the teacher then sees only the lexicon columns), recording what reaches the encoder."""

    name, dim = "test/zero", 384

    def __init__(self) -> None:
        self.texts: list[str] = []

    def passages(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return np.zeros((len(texts), self.dim), dtype=np.float32)

    queries = passages


def _random_models(rng: np.random.Generator) -> list[TaskModel]:
    def model(task: str, classes: int, multilabel: bool = False) -> TaskModel:
        head = LinearHead([f"c{k}" for k in range(classes)], rng.normal(size=(16, classes)).astype(np.float32),
                          np.zeros(classes, np.float32), multilabel)
        return TaskModel(task, head, head, 1.0, {})

    return [model("sentiment", 3), model("emotion", 7), model("topics", 5, multilabel=True)]


def _routed(models: list[TaskModel], x: np.ndarray, lang: str | None) -> float:
    return float(np.any([student_confidence(m, x) < (m.meta["language_thresholds"][lang] if lang else m.threshold)
                         for m in models], axis=0).mean())


def test_a_language_gets_its_own_budget_on_the_same_calibration_texts() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2000, 16)).astype(np.float32)
    models = _random_models(rng)
    routing = set_routing(models, x, 0.15, {"vi": 0.5, "km": 1.0})
    assert _routed(models, x, None) == pytest.approx(0.15, abs=0.005)  # every other language: the main budget
    assert _routed(models, x, "vi") == pytest.approx(0.5, abs=0.005)
    assert all(m.meta["language_thresholds"]["km"] == ROUTE_ALL for m in models)
    assert _routed(models, x, "km") == 1.0
    assert routing["languages"]["vi"]["share"] == 0.5 and routing["share"] == 0.15


def _copies(**meta) -> dict[str, TaskModel]:
    out = {}
    for task in ("sentiment", "emotion"):
        model = copy.deepcopy(default_model(task))
        model.meta.pop("language_thresholds", None)
        model.meta.pop("batch_centring", None)
        model.meta.update(meta)
        out[task] = model
    return out


def test_the_cascade_routes_by_each_texts_language() -> None:
    models = _copies(language_thresholds={"vi": ROUTE_ALL})
    for model in models.values():
        model.threshold = 0.0  # no other text is ever unsure
    vietnamese = ["Kẹt xe kinh khủng ở Q1 sáng nay", "Cảm ơn thầy cô rất nhiều, môn học rất bổ ích"]
    english = ["The bus was late again this morning", "Thanks so much, the new park looks great"]
    encoder = RecordingEncoder()
    analyzer = Analyzer(("language", "sentiment", "emotion"), models=models, encoder=encoder, mode="cascade")
    results = analyzer.analyze_texts(vietnamese + english)
    assert [r.language for r in results] == ["vi", "vi", "en", "en"]
    assert sorted(encoder.texts) == sorted(vietnamese)
    assert [r.why["sentiment"]["model"] for r in results] == ["student+encoder"] * 2 + ["student"] * 2


def test_centring_removes_the_batch_average_tilt_and_alpha_zero_changes_nothing() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(300, 3)) + np.array([2.0, 0.0, -1.0])  # class 0 dominates the batch
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(centre_log_probs(probs, 0.0), probs)
    centred = centre_log_probs(probs, 1.0)
    assert np.allclose(centred.sum(axis=1), 1.0)
    means = np.log(centred).mean(axis=0)
    assert np.ptp(means) < 1e-6  # no class is favoured on average any more
    assert (centred.argmax(1) == 0).mean() < (probs.argmax(1) == 0).mean()
    half = centre_log_probs(probs, 0.5)
    assert (centred.argmax(1) == 0).mean() <= (half.argmax(1) == 0).mean() <= (probs.argmax(1) == 0).mean()


def _labels(analyzer: Analyzer, texts: list[str]) -> list[str]:
    return [r.sentiment for r in analyzer.analyze_texts(texts)]


def test_the_analyzer_centres_large_enough_batches_only_where_the_model_says() -> None:
    # One complaint style repeated with distinct numbers: the batch leans heavily one way.
    batch = [f"xe buýt tuyến {i} trễ cả tiếng, bực mình quá" for i in range(MIN_CENTRING_GROUP + 10)]
    kwargs = {"encoder": RecordingEncoder(), "mode": "fast"}
    plain = _labels(Analyzer(("sentiment",), models=_copies(), **kwargs), batch)
    centred_models = _copies(batch_centring=1.0)
    centred = _labels(Analyzer(("sentiment",), models=centred_models, **kwargs), batch)
    majority = max(set(plain), key=plain.count)
    assert centred.count(majority) < plain.count(majority)
    off = _labels(Analyzer(("sentiment",), models=centred_models, batch_centring=False, **kwargs), batch)
    assert off == plain
    small = batch[:MIN_CENTRING_GROUP - 1]
    assert _labels(Analyzer(("sentiment",), models=centred_models, **kwargs), small) == plain[:len(small)]

"""Per-language routing budgets, per-language teacher shares and the batch-centred prototype vote (docs/analysis.md)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from civicpulse.analysis.linear import LinearHead
from civicpulse.analysis.models import TaskModel, default_model
from civicpulse.analysis.pipeline import Analyzer, _teacher_weights
from civicpulse.analysis.prototypes import MIN_GROUP, centred_prototype_probs
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
        for key in ("language_thresholds", "language_teacher_weight", "prototype_weight", "prototype_temperature",
                    "language_class_offsets"):
            model.meta.pop(key, None)
        model.prototypes = None
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


def test_the_teacher_share_follows_the_language_unless_a_workspace_model_chose_its_own() -> None:
    model = TaskModel("sentiment", None, None, 0.5, {"language_teacher_weight": {"vi": 0.7}})
    assert _teacher_weights(model, ["vi", "en", "vi"]).tolist() == [0.7, 0.5, 0.7]
    model.meta["teacher_weight"] = 0.25
    assert _teacher_weights(model, ["vi", "en"]).tolist() == [0.25, 0.25]


def test_centred_prototype_probs_remove_the_batch_tilt() -> None:
    rng = np.random.default_rng(5)
    sims = rng.normal(0.0, 0.02, size=(200, 3)) + np.array([0.9, 0.8, 0.7])  # every text nearest class 0
    assert (sims.argmax(1) == 0).all()
    probs = centred_prototype_probs(sims, 50.0)
    assert np.allclose(probs.sum(axis=1), 1.0)
    shares = np.bincount(probs.argmax(1), minlength=3) / len(sims)
    assert shares.max() < 0.6 and shares.min() > 0.15  # what is left is each text's own lean


class AxisEncoder:
    """Texts mentioning "xấu" point along axis 0, all others along axis 2: a controllable embedding space."""

    name, dim = "test/axis", 384

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i, 0 if "xấu" in text else 2] = 1.0
        return out

    queries = passages


def _with_prototypes(weight: float) -> dict[str, TaskModel]:
    models = _copies(language_thresholds={"vi": ROUTE_ALL}, prototype_weight=weight, prototype_temperature=50.0)
    models["sentiment"].prototypes = np.eye(3, 384, dtype=np.float32)  # negative, neutral, positive = axes 0, 1, 2
    return models


def test_the_prototype_vote_adapts_to_the_batch_and_needs_a_group_large_enough() -> None:
    texts = [f"sản phẩm số {i} {'xấu' if i % 3 == 0 else 'được'} lắm, giao hàng bình thường"
             for i in range(MIN_GROUP + 10)]
    kwargs = {"encoder": AxisEncoder(), "mode": "cascade"}
    voted = _labels(Analyzer(("sentiment",), models=_with_prototypes(1.0), **kwargs), texts)
    assert voted == ["negative" if i % 3 == 0 else "positive" for i in range(len(texts))]
    own = _labels(Analyzer(("sentiment",), models=_with_prototypes(0.0), **kwargs), texts)
    assert _labels(Analyzer(("sentiment",), models=_with_prototypes(1.0), prototypes=False, **kwargs), texts) == own
    small = texts[:MIN_GROUP - 1]
    assert _labels(Analyzer(("sentiment",), models=_with_prototypes(1.0), **kwargs), small) == own[:len(small)]


def _labels(analyzer: Analyzer, texts: list[str]) -> list[str]:
    return [r.sentiment for r in analyzer.analyze_texts(texts)]


def test_serving_settings_mark_the_signature_so_analyze_relabels() -> None:
    plain, routed = _copies(), _copies(language_thresholds={"vi": ROUTE_ALL})
    signatures = [Analyzer(("sentiment", "emotion"), models=m, encoder=RecordingEncoder()).signature
                  for m in (plain, routed, _copies(language_thresholds={"vi": 0.9}))]
    assert len(set(signatures)) == 3
    assert f"sentiment={plain['sentiment'].version};" in signatures[0]  # models without them: as before


def test_class_offsets_move_only_the_texts_of_their_language() -> None:
    texts = ["Wow, I did not expect the new bridge to open so early!", "Ủa, cầu mới thông xe sớm vậy hả trời!"]
    kwargs = {"encoder": RecordingEncoder(), "mode": "fast"}
    plain = Analyzer(("language", "emotion"), models=_copies(), **kwargs).analyze_texts(texts)
    assert [r.language for r in plain] == ["en", "vi"]
    english_label = plain[0].emotion
    offsets = {"en": {english_label: -20.0}, "fr": {label: -20.0 for label in plain[1].emotion_scores}}
    shifted = Analyzer(("language", "emotion"), models=_copies(language_class_offsets=offsets),
                       **kwargs).analyze_texts(texts)
    assert shifted[0].emotion != english_label and shifted[0].emotion_scores[english_label] < 1e-6
    assert sum(shifted[0].emotion_scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert shifted[1].emotion_scores == plain[1].emotion_scores  # Vietnamese: no offsets of its own
    mild = Analyzer(("language", "emotion"), models=_copies(language_class_offsets={"en": {english_label: -0.1}}),
                    **kwargs).analyze_texts(texts)
    assert mild[0].emotion_scores[english_label] < plain[0].emotion_scores[english_label]
    signatures = {Analyzer(("emotion",), models=m, **kwargs).signature
                  for m in (_copies(), _copies(language_class_offsets=offsets))}
    assert len(signatures) == 2  # a change of offsets relabels stored posts

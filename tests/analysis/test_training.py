"""`civicpulse train` is reproducible and its artifacts load; a stand-in encoder keeps this fast."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from civicpulse.analysis.dataset import default_data_dir, load_jsonl
from civicpulse.analysis.models import TaskModel, default_bundle_path, default_model
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analysis.taxonomy import default_taxonomy
from civicpulse.analysis.training import train_default


class HashEncoder:
    """Deterministic bag-of-words vectors: enough to exercise the teacher path without the real encoder."""

    name = "test/hash-encoder"
    dim = 64

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    queries = passages


def _subset(tmp_path: Path, per_file: int = 150) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for path in sorted(default_data_dir().glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()[:per_file]
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_training_twice_gives_identical_models_and_a_complete_card(tmp_path: Path) -> None:
    data = _subset(tmp_path)
    cards = [train_default(data, tmp_path / run, HashEncoder(), default_taxonomy()) for run in ("a", "b")]
    for task in ("sentiment", "emotion", "topics"):
        a, b = (TaskModel.load(tmp_path / run / f"{task}.npz") for run in ("a", "b"))
        assert np.array_equal(a.student.weights, b.student.weights), task
        assert np.array_equal(a.teacher.weights, b.teacher.weights), task
        assert a.threshold == b.threshold
    card = json.loads((tmp_path / "a" / "card.json").read_text())
    assert card["heldout_metrics"] == cards[1]["heldout_metrics"]
    assert set(card["data"]) == {p.name for p in data.glob("*.jsonl")}
    assert card["examples"]["train"] + card["examples"]["heldout"] == len(load_jsonl(data.glob("*.jsonl")).examples)
    for task in ("sentiment", "emotion"):
        assert {"student", "teacher", "cascade", "ensemble", "encoder_share"} <= set(card["heldout_metrics"][task])
    assert "Held-out scores" in (tmp_path / "a" / "MODEL_CARD.md").read_text()


def test_trained_models_plug_into_the_analyzer(tmp_path: Path) -> None:
    out = tmp_path / "m"
    train_default(_subset(tmp_path), out, HashEncoder(), default_taxonomy())
    models = {t: TaskModel.load(out / f"{t}.npz") for t in ("sentiment", "emotion", "topics")}
    result = Analyzer(("sentiment", "emotion", "topics"), models=models, encoder=HashEncoder(),
                      mode="accurate").analyze_texts(["kẹt xe quá trời luôn"])[0]
    assert result.sentiment in ("negative", "neutral", "positive") and result.emotion


def test_the_shipped_models_match_the_shipped_data_and_taxonomy() -> None:
    card = json.loads((default_bundle_path() / "card.json").read_text())
    for name, digest in card["data"].items():
        actual = hashlib.sha256((default_data_dir() / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} changed since the models were trained: run `make models`"
    assert default_model("topics").meta["taxonomy"] == default_taxonomy().fingerprint()


def test_joint_thresholds_route_one_budget_for_all_tasks_together() -> None:
    from civicpulse.analysis.linear import LinearHead
    from civicpulse.analysis.training import joint_thresholds, student_confidence

    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 16)).astype(np.float32)

    def model(task: str, classes: int, multilabel: bool = False) -> TaskModel:
        head = LinearHead([f"c{k}" for k in range(classes)], rng.normal(size=(16, classes)).astype(np.float32),
                          np.zeros(classes, np.float32), multilabel)
        return TaskModel(task, head, head, 1.0, {})

    models = [model("sentiment", 3), model("emotion", 7), model("topics", 5, multilabel=True)]
    q = joint_thresholds(models, x, 0.15)
    routed = [student_confidence(m, x) < m.threshold for m in models]
    assert abs(np.any(routed, axis=0).mean() - 0.15) < 0.005  # the union is the budget
    assert 0.05 < q < 0.15  # each task alone routes less than the whole budget
    for unsure in routed:
        assert abs(unsure.mean() - q) < 0.005

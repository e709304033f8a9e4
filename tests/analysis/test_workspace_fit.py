"""Workspace heads chosen by cross-validation: specialisation when the domain disagrees with the default model, the
minimum number of labels, the estimate and its interval, and the live gate (no silent regression)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from civicpulse.analysis.dataset import Example
from civicpulse.analysis.linear import LinearHead
from civicpulse.analysis.models import TaskModel, default_model
from civicpulse.analysis.workspace import train_workspace_model
from civicpulse.analysis.workspace_eval import (
    MIN_LABELS,
    TooFewLabels,
    check_labels,
    cross_validate,
    fit_final,
    learn,
    served_proba,
)
from civicpulse.analysis.workspace_fit import Choice, metric, stratified_folds
from civicpulse.store.duckdb_store import DuckDBStore

LABELS = ["negative", "neutral", "positive"]
VOCAB = ["xanh", "đỏ", "ổn", "kẹt", "vui", "buồn"] + [f"w{i}" for i in range(30)]


class BagFeats:
    """Bag-of-words columns over VOCAB for both heads: small, exact and fast, so the tests check the logic."""

    class encoder:
        name = "test/bag"

    def _x(self, texts):
        x = np.zeros((len(texts), len(VOCAB)))
        for i, text in enumerate(texts):
            for word in text.split():
                if word in VOCAB:
                    x[i, VOCAB.index(word)] += 1
        return x

    student = teacher = _x


def head(weights: dict[str, str]) -> LinearHead:
    """A confident default head: each listed word votes strongly for its label."""
    w = np.zeros((len(VOCAB), 3), dtype=np.float32)
    for word, label in weights.items():
        w[VOCAB.index(word), LABELS.index(label)] = 4.0
    return LinearHead(LABELS, w, np.zeros(3, dtype=np.float32))


# The general model's reading: "xanh" (green, as in a traffic map) means a jam; "đỏ" (red) a free road.
GENERAL = {"xanh": "negative", "đỏ": "positive", "vui": "positive", "buồn": "negative", "ổn": "neutral"}


def default() -> TaskModel:
    return TaskModel("sentiment", head(GENERAL), head(GENERAL), 0.9, {"version": "default"})


def rows(n: int, seed: int = 0, flip: float = 0.0) -> list[Example]:
    """This desk's labels: "xanh" is a smooth commute (positive), "đỏ" a jam (negative); `flip` adds label noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        word, label = [("xanh", "positive"), ("đỏ", "negative"), ("ổn", "neutral")][i % 3]
        if rng.random() < flip:
            label = LABELS[(LABELS.index(label) + 1) % 3]
        out.append(Example(f"{word} w{rng.integers(30)} w{rng.integers(30)} {seed}-{i}", "vi", sentiment=label))
    return out


def test_the_choice_specialises_when_the_workspace_disagrees_with_the_default() -> None:
    labelled = rows(90)
    cv = cross_validate(labelled, "sentiment", LABELS, BagFeats(), default())
    assert not cv.choice.default
    assert cv.scores[cv.choice] > cv.scores[Choice(None, None, 0.0, default=True)] + 0.5
    model = fit_final(labelled, "sentiment", LABELS, BagFeats(), default(), cv, "v1")
    fresh = ["xanh w3", "đỏ w4", "ổn w5"]
    pred = served_proba(model, BagFeats().student(fresh), BagFeats().teacher(fresh)).argmax(axis=1)
    assert [LABELS[k] for k in pred] == ["positive", "negative", "neutral"]
    # Words the analyst never labelled keep the default model's reading when the head starts from it.
    if cv.choice.teacher.prior:
        assert LABELS[int(model.teacher.proba(BagFeats().teacher(["vui"])).argmax())] == "positive"


def test_the_default_is_kept_when_the_labels_agree_with_it() -> None:
    agree = [Example(f"{w} w{i % 30} n{i}", "vi", sentiment=GENERAL[w]) for i, w in
             enumerate(["xanh", "đỏ", "ổn"] * 20)]
    cv = cross_validate(agree, "sentiment", LABELS, BagFeats(), default())
    assert cv.scores[Choice(None, None, 0.0, default=True)] == pytest.approx(1.0)
    assert cv.choice.default  # ties go to the default model, listed first
    assert cv.estimate.value == pytest.approx(1.0) and cv.estimate.high == pytest.approx(1.0)


def test_the_estimate_has_an_interval_around_the_cross_validated_score() -> None:
    cv = cross_validate(rows(120, flip=0.2), "sentiment", LABELS, BagFeats(), default())
    e = cv.estimate
    assert e.low <= e.value <= e.high and e.high - e.low > 0.02
    assert e.value <= e.cv  # corrected for picking the best of many combinations, never upwards
    assert e.folds == 5 and e.n == 120


def test_folds_are_stratified_and_deterministic() -> None:
    y = np.array([0] * 50 + [1] * 10 + [2] * 5)
    keys = [f"t{i}" for i in range(len(y))]
    folds = stratified_folds(keys, y)
    assert np.array_equal(folds, stratified_folds(keys, y))
    for label, count in ((0, 50), (1, 10), (2, 5)):
        assert sorted(np.bincount(folds[y == label], minlength=5)) == [count // 5] * 5


def test_vectorised_metrics_match_the_evaluation_module() -> None:
    from civicpulse.analysis.evaluation import scores

    rng = np.random.default_rng(3)
    gold, pred = rng.integers(0, 3, 80), rng.integers(0, 3, 80)
    expected = scores([LABELS[g] for g in gold], [LABELS[p] for p in pred], LABELS)
    for name in ("macro_f1", "weighted_f1", "macro_recall", "accuracy"):
        assert metric(gold, pred, 3, name) == pytest.approx(expected[name])


def test_too_few_labels_is_a_clear_error() -> None:
    with pytest.raises(TooFewLabels, match=f"needs at least {MIN_LABELS}"):
        check_labels(["positive"] * 30 + ["negative"] * 10, LABELS, "labels.csv")
    with pytest.raises(TooFewLabels, match="at least two labels need 5 examples each"):
        check_labels(["positive"] * 60 + ["negative"] * 3, LABELS, "labels.csv")
    warnings = check_labels(["positive"] * 40 + ["negative"] * 20 + ["neutral"] * 2, LABELS, "labels.csv")
    assert warnings == ["neutral: only 2 example(s); the model will rarely predict it"]


def word_rows(n: int, seed: int, flip: float = 0.0) -> list[Example]:
    """A domain with many cues: each of w0..w29 means one label; few rows see each cue only once or twice."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        j = int(rng.integers(30))
        label = LABELS[(j + (rng.random() < flip)) % 3]
        out.append(Example(f"w{j} filler-{seed}-{i}", "vi", sentiment=label))
    return out


def test_a_worse_retrain_is_refused_and_force_overrides() -> None:
    feats = BagFeats()
    live, first = learn(word_rows(600, seed=1), "sentiment", feats, default(), None, "v1", "macro_f1", False,
                        "a.csv")
    assert first["live"] and first["baseline"]["model"] == "default"
    # A later, small and noisy file: a model learnt from it predicts its labels worse than the live model does.
    noisy = word_rows(60, seed=2, flip=0.3)
    _, refused = learn(noisy, "sentiment", feats, default(), live, "v2", "macro_f1", False, "b.csv")
    assert refused["baseline"]["model"] == "workspace" and "60 rows it never saw" in refused["baseline"]["note"]
    assert not refused["live"] and refused["estimate"]["value"] < refused["baseline"]["score"]
    _, forced = learn(noisy, "sentiment", feats, default(), live, "v2", "macro_f1", True, "b.csv")
    assert forced["live"] and forced["forced"]


def test_rows_the_live_model_was_trained_on_are_scored_out_of_fold() -> None:
    feats = BagFeats()
    labelled = rows(90, seed=4)
    live, _ = learn(labelled, "sentiment", feats, default(), None, "v1", "macro_f1", False, "a.csv")
    _, again = learn(labelled, "sentiment", feats, default(), live, "v2", "macro_f1", False, "a.csv")
    assert "0 rows it never saw" in again["baseline"]["note"] and "90 it was trained on" in again["baseline"]["note"]
    # The same labels and the same recipe: the retrain is no worse, so it goes live.
    assert again["live"]


class HashEncoder:
    """Bag-of-words vectors of the real encoder's width, so the shipped default heads apply (fast, no model)."""

    name = "test/hash-encoder-384"
    dim = 384

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    queries = passages


def write_labels(path: Path, examples: list[Example]) -> Path:
    path.write_text("text,label\n" + "".join(f"{e.text},{e.sentiment}\n" for e in examples), encoding="utf-8")
    return path


def test_the_store_keeps_the_live_model_when_a_retrain_is_refused(tmp_path: Path) -> None:
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    store.ensure_workspace("desk")
    encoder = HashEncoder()
    first = train_workspace_model(store, "desk", "sentiment", write_labels(tmp_path / "a.csv", word_rows(300, 1)),
                                  encoder=encoder)
    assert first["live"] and json.loads(store.get_workspace_model("desk", "sentiment")[1])["version"] == \
        first["version"]
    stored = json.loads(store.get_workspace_model("desk", "sentiment")[1])
    assert stored["estimate"]["n"] == 300 and stored["estimate"]["low"] <= stored["estimate"]["value"]
    noisy = write_labels(tmp_path / "b.csv", word_rows(60, 2, flip=0.3))
    refused = train_workspace_model(store, "desk", "sentiment", noisy, encoder=encoder)
    assert not refused["live"]
    assert json.loads(store.get_workspace_model("desk", "sentiment")[1])["version"] == first["version"]
    forced = train_workspace_model(store, "desk", "sentiment", noisy, encoder=encoder, force=True)
    assert forced["live"] and forced["forced"]
    assert json.loads(store.get_workspace_model("desk", "sentiment")[1])["workspace_examples"] == 60
    with pytest.raises(TooFewLabels, match=r"b\.csv: 20 labelled rows"):
        train_workspace_model(store, "desk", "sentiment", write_labels(tmp_path / "b.csv", word_rows(20, 3)),
                              encoder=encoder)


def test_cascade_sends_every_text_of_a_workspace_model_to_its_embedding_head() -> None:
    from civicpulse.analysis.pipeline import Analyzer
    from civicpulse.analysis.workspace_eval import ALWAYS_ENCODE

    shipped = default_model("sentiment")
    width = shipped.teacher.weights.shape[0]
    # An embedding head that always says "negative", with the whole vote: only it can produce that label everywhere.
    bias = np.array([8.0 if c == "negative" else 0.0 for c in shipped.teacher.classes], dtype=np.float32)
    teacher = LinearHead(shipped.teacher.classes, np.zeros((width, len(bias)), np.float32), bias)
    model = TaskModel("sentiment", shipped.student, teacher, ALWAYS_ENCODE, {"version": "ws", "teacher_weight": 1.0})
    encoder = HashEncoder()
    texts = ["Cảm ơn shop, hàng đẹp lắm", "Tuyệt vời quá ❤️", "great service, thank you", "ok"]
    analyzer = Analyzer(("sentiment",), models={"sentiment": model}, encoder=encoder, mode="cascade")
    results = analyzer.analyze_texts(texts)
    assert analyzer.encoded == len(texts)
    assert [r.sentiment for r in results] == ["negative"] * len(texts)
    fast = Analyzer(("sentiment",), models={"sentiment": model}, encoder=encoder, mode="fast")
    assert fast.analyze_texts(texts[:1])[0].sentiment == "positive" and fast.encoded == 0  # the n-gram head alone


def test_labels_that_agree_with_the_default_leave_the_workspace_on_it() -> None:
    agree = [Example(f"{w} w{i % 30} n{i}", "vi", sentiment=GENERAL[w])
             for i, w in enumerate(["xanh", "đỏ", "ổn"] * 20)]
    # The default is chosen with no optimism to take off (it is the live model itself): it is not a regression.
    model, report = learn(agree, "sentiment", BagFeats(), default(), None, "v1", "macro_f1", False, "a.csv")
    assert report["live"] and report["choice"] == "the default model unchanged" and model.meta["fit"]["default"]

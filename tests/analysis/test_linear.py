from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from civicpulse.analysis.linear import LinearHead, fit_multilabel, fit_softmax
from civicpulse.analysis.models import ModelError, TaskModel


def _toy() -> tuple[sp.csr_matrix, list[str]]:
    # Three classes, each signalled by its own feature; feature 3 is noise.
    rows = []
    y = []
    for i in range(60):
        k = i % 3
        row = np.zeros(8)
        row[k] = 1.0
        row[3] = (i * 7) % 5 / 5
        rows.append(row)
        y.append(["neg", "neu", "pos"][k])
    return sp.csr_matrix(np.array(rows)), y


def test_softmax_learns_separable_classes_and_orders_them_as_asked() -> None:
    x, y = _toy()
    head = fit_softmax(x, y, ["pos", "neu", "neg"], c=10.0)
    assert head.classes == ["pos", "neu", "neg"]
    pred = [head.classes[k] for k in head.proba(x).argmax(1)]
    assert pred == y
    assert np.allclose(head.proba(x).sum(1), 1.0)


def test_softmax_refuses_a_label_set_the_data_lacks() -> None:
    x, y = _toy()
    with pytest.raises(ValueError, match="no example of: joy"):
        fit_softmax(x, y, ["neg", "neu", "pos", "joy"], c=1.0)


def test_multilabel_heads_are_independent_and_a_label_without_positives_never_fires() -> None:
    x, y = _toy()
    targets = np.array([[label == "neg", label in ("neg", "pos"), False] for label in y], dtype=int)
    head = fit_multilabel(x, targets, ["a", "b", "never"], c=10.0)
    p = head.proba(x)
    assert ((p[:, 0] >= 0.5) == targets[:, 0].astype(bool)).all()
    assert ((p[:, 1] >= 0.5) == targets[:, 1].astype(bool)).all()
    assert (p[:, 2] < 0.01).all()


def test_task_model_round_trips_through_bytes_with_sparse_weights() -> None:
    x, y = _toy()
    student = fit_softmax(x, y, ["neg", "neu", "pos"], c=10.0)
    student.weights[5:] = 0  # unseen hashed features carry no weight and are not stored
    model = TaskModel("sentiment", student, None, 0.42, {"version": "t1"})
    again = TaskModel.from_bytes(model.to_bytes())
    assert again.task == "sentiment" and again.threshold == pytest.approx(0.42) and again.version == "t1"
    assert np.array_equal(again.student.weights, student.weights)
    assert again.teacher is None


def test_corrupt_model_bytes_raise_a_model_error() -> None:
    with pytest.raises(ModelError, match="not a civicpulse model"):
        TaskModel.from_bytes(b"not a zip", source="mine.npz")


def test_linear_head_arrays_keep_the_multilabel_flag() -> None:
    head = LinearHead(["a"], np.ones((4, 1), dtype=np.float32), np.zeros(1, dtype=np.float32), multilabel=True)
    again = LinearHead.from_arrays(head.to_arrays("h"), "h")
    assert again.multilabel and again.proba(np.ones((1, 4)))[0, 0] == pytest.approx(1 / (1 + np.exp(-4)))

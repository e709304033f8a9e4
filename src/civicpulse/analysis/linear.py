"""Linear classification heads: trained with scikit-learn, served with numpy only.

Weights are stored sparsely (only the hashed features seen in training carry weight) and in float16, so a head
over 2^18 hashed features costs a few hundred kB on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class LinearHead:
    classes: list[str]
    weights: np.ndarray  # (n_features, n_classes) float32
    bias: np.ndarray  # (n_classes,)
    multilabel: bool = False  # one sigmoid per class instead of one softmax over all

    def decision(self, x: sp.spmatrix | np.ndarray) -> np.ndarray:
        return np.asarray(x @ self.weights) + self.bias

    def proba(self, x: sp.spmatrix | np.ndarray) -> np.ndarray:
        z = self.decision(x)
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        rows = np.flatnonzero(np.any(self.weights != 0, axis=1)).astype(np.int32)
        return {f"{prefix}.classes": np.array(self.classes), f"{prefix}.rows": rows,
                f"{prefix}.values": self.weights[rows].astype(np.float16), f"{prefix}.bias": self.bias,
                f"{prefix}.shape": np.array(self.weights.shape), f"{prefix}.multilabel": np.array(self.multilabel)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> LinearHead:
        shape = tuple(int(v) for v in arrays[f"{prefix}.shape"])
        weights = np.zeros(shape, dtype=np.float32)
        weights[arrays[f"{prefix}.rows"]] = arrays[f"{prefix}.values"]
        return cls([str(c) for c in arrays[f"{prefix}.classes"]], weights,
                   arrays[f"{prefix}.bias"].astype(np.float32), bool(arrays[f"{prefix}.multilabel"]))


def _used_columns(x: sp.spmatrix | np.ndarray) -> tuple[sp.spmatrix | np.ndarray, np.ndarray | None]:
    """Hashed inputs use a few percent of their columns: fit on those only (same optimum, 10x faster)."""
    if not sp.issparse(x):
        return x, None
    x = sp.csr_matrix(x)
    used = np.unique(x.indices)
    return x[:, used], used


def _expand(coef: np.ndarray, used: np.ndarray | None, n_features: int) -> np.ndarray:
    """(classes, used) coefficients back to (n_features, classes) weights, rounded to float16 as they are stored
    (half the artifact size; a head scores the same before and after saving)."""
    coef = coef.astype(np.float16).astype(np.float32)
    if used is None:
        return coef.T.copy()
    weights = np.zeros((n_features, coef.shape[0]), dtype=np.float32)
    weights[used] = coef.T
    return weights


def fit_softmax(x: sp.spmatrix | np.ndarray, y: list[str], classes: list[str], c: float,
                sample_weight: np.ndarray | None = None) -> LinearHead:
    """Multinomial logistic regression with balanced class weights (lbfgs: deterministic)."""
    from sklearn.linear_model import LogisticRegression  # training only: serving needs numpy alone
    from threadpoolctl import threadpool_limits

    n_features = x.shape[1]
    x, used = _used_columns(x)
    model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced", tol=1e-4)
    with threadpool_limits(limits=1):  # BLAS threads make these small solves 10-20x slower on 2 cores
        model.fit(x, y, sample_weight=sample_weight)
    order = [list(model.classes_).index(k) for k in classes if k in model.classes_]
    if len(order) != len(classes):
        missing = sorted(set(classes) - set(model.classes_))
        raise ValueError(f"training data has no example of: {', '.join(missing)}")
    weights = _expand(model.coef_[order], used, n_features)
    return LinearHead(list(classes), weights, model.intercept_[order].astype(np.float32))


def fit_multilabel(x: sp.spmatrix | np.ndarray, targets: np.ndarray, classes: list[str], c: float,
                   sample_weight: np.ndarray | None = None) -> LinearHead:
    """One balanced binary logistic regression per label; a label without positives gets a never-firing head."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    n_features = x.shape[1]
    x, used = _used_columns(x)
    weights = np.zeros((n_features, len(classes)), dtype=np.float32)
    bias = np.full(len(classes), -10.0, dtype=np.float32)
    for j in range(len(classes)):
        column = targets[:, j]
        if column.min() == column.max():
            continue
        model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced", tol=1e-4)
        with threadpool_limits(limits=1):
            model.fit(x, column, sample_weight=sample_weight)
        weights[:, j] = _expand(model.coef_, used, n_features)[:, 0]
        bias[j] = model.intercept_[0]
    return LinearHead(list(classes), weights, bias, multilabel=True)

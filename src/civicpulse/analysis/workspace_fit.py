"""Workspace heads that specialise: how far to move from the default model is chosen by cross-validation on the
workspace's own labels.

Each candidate head is a softmax over the model's inputs (the teacher's sentence embedding + lexicon columns, or the
student's hashed n-grams) fitted to the analyst's labels with the default head's logits as a fixed offset scaled by
`prior`: prior 1 starts from the default model and the L2 penalty (strength 1/C) pulls the weights back towards it;
prior 0 is a head on the workspace's labels alone. Because the default head is linear in the same inputs, the fitted
head folds back into one linear head (weights prior*W_default + W), served by the unchanged pipeline.

Candidates are compared on out-of-fold predictions of a stratified k-fold split: teacher configurations x student
configurations x the student's share of the served blend, plus the default model itself. The winner's estimate is
its cross-validated score minus the optimism of picking the best of many (bootstrap bias correction, Tibshirani &
Tibshirani 2009), with a percentile bootstrap interval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from civicpulse.analysis.linear import LinearHead

TEACHER_C = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
STUDENT_C = (0.1, 1.0, 10.0)
STUDENT_SHARES = (0.0, 0.25, 0.5)  # the n-gram head's share of the served probabilities
FOLDS = 5
BOOTSTRAP = 400
METRICS = ("macro_f1", "weighted_f1", "macro_recall", "accuracy")


@dataclass(frozen=True)
class HeadConfig:
    prior: float  # scale of the default head's logits used as offset (0: workspace labels only)
    c: float  # inverse L2 strength on the weights learned on top of the offset
    balanced: bool  # weight classes inversely to their frequency in the labels

    def describe(self) -> str:
        start = "from the default head" if self.prior else "on your labels only"
        return f"{start}, C={self.c:g}{', balanced classes' if self.balanced else ''}"


@dataclass(frozen=True)
class Choice:
    """One served combination: teacher head, n-gram head and the n-gram head's share; `default` = default model."""

    teacher: HeadConfig | None
    student: HeadConfig | None
    share: float
    default: bool = False

    def describe(self) -> str:
        if self.default:
            return "the default model unchanged"
        text = f"sentence-embedding head {self.teacher.describe()}"
        if self.share and self.student:
            text += f" + n-gram head {self.student.describe()} ({self.share:.0%} of the vote)"
        return text

    def to_dict(self) -> dict:
        return {"default": self.default, "share": self.share,
                "teacher": asdict(self.teacher) if self.teacher else None,
                "student": asdict(self.student) if self.student else None}

    @classmethod
    def from_dict(cls, data: dict) -> Choice:
        return cls(HeadConfig(**data["teacher"]) if data.get("teacher") else None,
                   HeadConfig(**data["student"]) if data.get("student") else None,
                   float(data.get("share", 0.0)), bool(data.get("default", False)))


def teacher_grid(with_prior: bool) -> list[HeadConfig]:
    priors = (0.0, 1.0) if with_prior else (0.0,)
    return [HeadConfig(p, c, b) for p in priors for c in TEACHER_C for b in (True, False)]


def student_grid() -> list[HeadConfig]:
    return [HeadConfig(1.0, c, True) for c in STUDENT_C]


# ---- fitting -------------------------------------------------------------------------------------------------

def _weights(y: np.ndarray, n_classes: int, balanced: bool) -> np.ndarray:
    if not balanced:
        return np.ones(len(y))
    counts = np.bincount(y, minlength=n_classes).astype(float)
    present = np.count_nonzero(counts)
    return len(y) / (present * counts[y])


def one_thread():
    """Run fits under this: BLAS threads make these small solves many times slower (once per batch: it is slow)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def fit_offset_head(x: sp.spmatrix | np.ndarray, y: np.ndarray, classes: Sequence[str], config: HeadConfig,
                    base: LinearHead | None) -> LinearHead:
    """Softmax regression on top of `prior * base` logits (L2 on what is learned); returns one folded head."""
    from scipy.optimize import minimize

    k = len(classes)
    offset = config.prior * base.decision(x) if base is not None and config.prior else np.zeros((x.shape[0], k))
    used = None
    if sp.issparse(x):  # hashed inputs: optimise over the columns these rows use only
        x = sp.csr_matrix(x)
        used = np.unique(x.indices)
        x = x[:, used]
    d = x.shape[1]
    s = _weights(y, k, config.balanced)
    target = np.zeros((len(y), k))
    target[np.arange(len(y)), y] = 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d * k].reshape(d, k), theta[d * k:]
        z = np.asarray(x @ w) + b + offset
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(s * (log_p * target).sum(axis=1)).sum() + (w * w).sum() / (2 * config.c) + 1e-4 * (b * b).sum()
        diff = (np.exp(log_p) - target) * s[:, None]
        grad_w = np.asarray(x.T @ diff) + w / config.c
        return value, np.concatenate([grad_w.ravel(), diff.sum(axis=0) + 2e-4 * b])

    result = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 300})
    w, b = result.x[:d * k].reshape(d, k), result.x[d * k:]
    n_features = base.weights.shape[0] if base is not None else (used.max() + 1 if used is not None else d)
    weights = np.zeros((n_features, k), dtype=np.float32)
    if used is None:
        weights[:d] = w
    else:
        weights[used] = w
    bias = b.astype(np.float32)
    if base is not None and config.prior:
        weights += config.prior * base.weights
        bias += config.prior * base.bias
    return LinearHead(list(classes), weights, bias)


# ---- folds and scores ----------------------------------------------------------------------------------------

def stratified_folds(keys: Sequence[str], y: np.ndarray, k: int = FOLDS) -> np.ndarray:
    """Fold number per row: each label's rows, ordered by a hash of their text, dealt round-robin (deterministic)."""
    fold = np.zeros(len(y), dtype=int)
    start = 0
    for label in np.unique(y):
        rows = sorted(np.flatnonzero(y == label), key=lambda i: hashlib.sha1(keys[i].encode()).hexdigest())
        for j, i in enumerate(rows):
            fold[i] = (start + j) % k
        start += len(rows)  # the next label starts where this one stopped: folds stay equal in size
    return fold


def metric(gold: np.ndarray, pred: np.ndarray, k: int, name: str) -> float:
    """The metrics of evaluation.scores, vectorised (the bootstrap computes thousands of them)."""
    matrix = np.bincount(gold * k + pred, minlength=k * k).reshape(k, k).astype(float)
    tp, support, predicted = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    if name == "accuracy":
        return float(tp.sum() / len(gold)) if len(gold) else 0.0
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    if name == "macro_recall":
        return float(recall[support > 0].mean()) if support.any() else 0.0
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros(k), where=total > 0)
    if name == "weighted_f1":
        return float((f1 * support).sum() / len(gold)) if len(gold) else 0.0
    return float(f1[support > 0].mean()) if support.any() else 0.0


@dataclass
class Estimate:
    metric: str
    value: float  # cross-validated score, corrected for the optimism of the choice
    low: float
    high: float
    cv: float  # the raw cross-validated score of the chosen combination
    folds: int
    n: int

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def describe(self) -> str:
        return (f"{self.metric.replace('_', '-')} {self.value:.3f} (95% interval {self.low:.3f}-{self.high:.3f}; "
                f"{self.folds}-fold cross-validation on {self.n} labels)")


def bootstrap_interval(gold: np.ndarray, pred: np.ndarray, k: int, name: str, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    values = [metric(gold[idx], pred[idx], k, name) for idx in rng.integers(0, len(gold), (BOOTSTRAP, len(gold)))]
    low, high = np.quantile(values, [0.025, 0.975])
    return float(low), float(high)


def select(gold: np.ndarray, predictions: dict[Choice, np.ndarray], k: int, name: str,
           folds: int) -> tuple[Choice, Estimate, dict[Choice, float]]:
    """The best combination by out-of-fold score (ties: the earlier, simpler one) and its corrected estimate."""
    scored = {c: metric(gold, p, k, name) for c, p in predictions.items()}
    best = max(scored, key=lambda c: scored[c])  # max keeps the first of equals: insertion order is the tiebreak
    # Optimism of taking the best of many: in each bootstrap sample, the best score minus the chosen one's.
    contenders = sorted(scored, key=lambda c: -scored[c])[:10]
    rng = np.random.default_rng(1)
    gaps = []
    for idx in rng.integers(0, len(gold), (BOOTSTRAP // 2, len(gold))):
        values = {c: metric(gold[idx], predictions[c][idx], k, name) for c in contenders}
        gaps.append(max(values.values()) - values[best])
    bias = float(np.mean(gaps))
    low, high = bootstrap_interval(gold, predictions[best], k, name)
    estimate = Estimate(name, scored[best] - bias, max(0.0, low - bias), high - bias, scored[best], folds, len(gold))
    return best, estimate, scored

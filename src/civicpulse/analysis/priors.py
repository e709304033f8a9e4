"""Label-free prior re-estimation on a batch (Saerens, Latinne & Decaestecker, Neural Computation 2002).

A classifier trained with balanced class weights assumes equal class priors; real batches are skewed (most
course feedback is positive, most tweets neutral). EM alternates between estimating the batch's priors as the
mean of the adjusted posteriors and re-weighting each posterior by new prior / training prior.
"""

from __future__ import annotations

import numpy as np

MIN_BATCH = 100  # below this the batch's priors are too noisy to estimate
PRIOR_FLOOR = 1e-3  # no class is ever ruled out entirely


def reestimate_priors(probs: np.ndarray, train_priors: np.ndarray | None = None, max_iter: int = 100,
                      tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(adjusted posteriors, estimated batch priors) for an (n, classes) matrix of posteriors."""
    k = probs.shape[1]
    base = np.full(k, 1.0 / k) if train_priors is None else np.asarray(train_priors, dtype=float)
    priors = base.copy()
    adjusted = probs.astype(float)
    for _ in range(max_iter):
        weighted = probs * (priors / base)
        adjusted = weighted / weighted.sum(axis=1, keepdims=True)
        new = np.maximum(adjusted.mean(axis=0), PRIOR_FLOOR)
        new /= new.sum()
        done = np.abs(new - priors).max() < tol
        priors = new
        if done:
            break
    weighted = probs * (priors / base)
    return (weighted / weighted.sum(axis=1, keepdims=True)).astype(probs.dtype), priors


MIN_CENTRING_GROUP = 50  # texts of one language in a batch below which centring is left out (too noisy)


def centre_log_probs(probs: np.ndarray, alpha: float) -> np.ndarray:
    """Posteriors with each class's log-probability moved by -alpha x its mean over the batch, renormalised.

    The label-free adaptation of the zero-shot prototype baseline (each class score centred on the incoming texts),
    applied to the models' own output: a class the models over-predict on this batch (neutral for film lines, for
    example) loses ground in proportion to how much it dominates, and alpha=1 removes the batch's average tilt.
    Unlike EM prior re-estimation (above) it does not trust the posteriors' calibration.
    """
    logs = np.log(np.clip(probs.astype(float), 1e-9, 1.0))
    logs -= alpha * logs.mean(axis=0, keepdims=True)
    e = np.exp(logs - logs.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(probs.dtype)

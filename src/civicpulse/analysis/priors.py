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

"""Prior re-estimation (Saerens et al. 2002) on synthetic batches whose true class priors are known."""

from __future__ import annotations

import numpy as np
import pytest

from civicpulse.analysis.priors import reestimate_priors


def _posteriors(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exact posteriors under equal training priors for two unit-variance Gaussians at -1 and +1."""
    x = rng.normal(np.where(labels == 0, -1.0, 1.0), 1.0)
    likelihood = np.stack([np.exp(-(x + 1) ** 2 / 2), np.exp(-(x - 1) ** 2 / 2)], axis=1)
    return likelihood / likelihood.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("share", [0.8, 0.3])
def test_em_recovers_the_batch_priors(share: float) -> None:
    rng = np.random.default_rng(7)
    labels = (rng.random(4000) > share).astype(int)  # class 0 has `share` of the batch
    probs = _posteriors(labels, rng)
    naive = probs.mean(axis=0)[0]
    adjusted, priors = reestimate_priors(probs)
    assert priors[0] == pytest.approx(share, abs=0.03)
    assert abs(priors[0] - share) < abs(naive - share)  # closer than averaging the unadjusted posteriors
    assert np.allclose(adjusted.sum(axis=1), 1.0)
    # Bayes-optimal decisions under the true prior beat the balanced ones.
    assert (adjusted.argmax(1) == labels).mean() > (probs.argmax(1) == labels).mean()


def test_a_batch_matching_the_training_priors_is_left_almost_alone() -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], 2000)
    probs = _posteriors(labels, rng)
    adjusted, priors = reestimate_priors(probs)
    assert priors == pytest.approx([0.5, 0.5], abs=0.03)
    assert np.abs(adjusted - probs).max() < 0.1


def test_no_class_is_ruled_out() -> None:
    probs = np.tile([[0.98, 0.01, 0.01]], (200, 1))
    _, priors = reestimate_priors(probs)
    assert priors.min() > 0 and priors.sum() == pytest.approx(1.0)

"""Batch prior re-estimation inside the Analyzer: only where asked, only on batches large enough."""

from __future__ import annotations

import numpy as np

from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analysis.priors import MIN_BATCH


class ZeroEncoder:
    """Stands in for the sentence encoder (the teacher then sees only the lexicon columns): keeps this fast."""

    name, dim = "test/zero", 384

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)

    queries = passages


def _scores(analyzer: Analyzer, texts: list[str]) -> list[dict[str, float]]:
    return [r.emotion_scores for r in analyzer.analyze_texts(texts)]


def test_prior_shift_is_off_in_fast_mode_and_follows_the_flag_elsewhere() -> None:
    assert not Analyzer(("sentiment",), mode="fast", prior_shift=True).prior_shift
    assert Analyzer(("sentiment",), mode="cascade", encoder=ZeroEncoder(), prior_shift=True).prior_shift
    assert not Analyzer(("sentiment",), mode="cascade", encoder=ZeroEncoder(), prior_shift=False).prior_shift


def test_prior_shift_moves_a_skewed_batch_towards_its_majority_and_leaves_small_batches_alone() -> None:
    batch = [f"xe buýt tuyến {i} trễ cả tiếng, bực mình quá" for i in range(MIN_BATCH + 20)]
    plain = Analyzer(("emotion",), mode="accurate", encoder=ZeroEncoder(), prior_shift=False)
    shifted = Analyzer(("emotion",), mode="accurate", encoder=ZeroEncoder(), prior_shift=True)
    before, after = _scores(plain, batch), _scores(shifted, batch)
    majority = max(before[0], key=before[0].get)
    assert np.mean([s[majority] for s in after]) > np.mean([s[majority] for s in before])
    small = batch[:MIN_BATCH - 1]
    assert _scores(plain, small) == _scores(shifted, small)

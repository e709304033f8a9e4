"""Where the labelling of `analyze` runs: in this process, or spread over workers (see runtime/ray_enrich.py).

`enrich_workspace` reads the backlog, hands batches to a labeller and saves the results in the order it read them,
so discovery and saving stay in one process whichever labeller runs the models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from civicpulse.analysis.labels import Analysis
from civicpulse.analysis.pipeline import Analyzer, TextItem

Batch = TypeVar("Batch")


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

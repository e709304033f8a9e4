"""Collection inside the server: each workspace's sources run on their schedules in a small worker pool.

* **Schedules live in the store** (a source's `every_seconds`, its last run and `not_before`), so a restart picks
  up where the last process stopped; nothing about the plan is kept only in memory.
* **Bounded concurrency and backpressure:** at most `workers` runs at a time. A tick hands out only the free
  slots; a due source that finds none stays due (in the store) and gets a slot at a later tick. Nothing queues
  without bound: "run now" requests are one flag per source, however often they are made.
* **No source starves the others:** due sources are served most overdue first, a run is capped at its
  connector's `max_pages`, and a long rate-limit wait ends the run (collect/http.py) instead of holding a slot.
* **Failures back off:** a failed run is recorded with its reason (health), and the source is not due again
  before `failure_backoff()`: its interval doubled per consecutive failure, up to a day. The runtime goes on.
* **Continuous sources** (connectors with `continuous = True`, see collect/base.py) get one supervised thread
  each, which reconnects with a backoff when the stream ends or fails, and stops when the source is paused or
  deleted or the server stops.

Fetches overlap; writes to the store take turns under one lock (DuckDB allows one writer transaction per row).
Time is injectable (`now`, `wait`), so tests drive schedules with a controllable clock and `tick()` / `drain()`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from datetime import datetime, timedelta
from pathlib import Path

from civicpulse.collect import get as get_connector
from civicpulse.collect.schedule import next_run
from civicpulse.collect.service import Collector, Now, RunSummary
from civicpulse.collect.sources import SourceError, SourceRecord, utcnow
from civicpulse.store.base import Store
from civicpulse.store.collect_sql import CLOSE_STALE_RUNS_OF_SOURCE
from civicpulse.store.locks import shared_between_processes, source_lock, try_exclusive

log = logging.getLogger("civicpulse.collect")
DEFAULT_WORKERS = 4
TICK_EVERY = 15.0          # seconds between looks at the schedules when nothing wakes the loop earlier
MAX_BACKOFF = 86400        # a failing source is retried at least once a day
STREAM_BACKOFF = (5.0, 300.0)  # first and longest wait before a stream reconnects after a failure
Wait = Callable[[threading.Event, float], bool]  # (event, seconds) -> True when the event was set


def workers_from_env() -> int:
    """CIVICPULSE_COLLECT_WORKERS: how many sources the server fetches at once (default 4)."""
    import os

    value = os.environ.get("CIVICPULSE_COLLECT_WORKERS", "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_WORKERS


def failure_backoff(every_seconds: int, failures: int) -> int:
    """Seconds before a source that failed `failures` times in a row is tried again."""
    if failures <= 0:
        return every_seconds
    return min(every_seconds * 2 ** (failures - 1), max(every_seconds, MAX_BACKOFF))


def stream_backoff(failures: int) -> float:
    first, longest = STREAM_BACKOFF
    return 0.0 if failures <= 0 else min(first * 2 ** (failures - 1), longest)


def _event_wait(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


class CollectionRuntime:
    def __init__(self, store: Store, keys_dir: Path, spool_dir: Path, rejects_dir: Path, *,
                 workers: int = DEFAULT_WORKERS, now: Now = utcnow, sleep: Callable[[float], None] = time.sleep,
                 wait: Wait = _event_wait, tick_every: float = TICK_EVERY, workspace: str | None = None,
                 on_run: Callable[[SourceRecord, RunSummary], None] = lambda source, summary: None) -> None:
        self.store, self.keys_dir, self.spool_dir, self.rejects_dir = store, keys_dir, spool_dir, rejects_dir
        self.workers, self.now, self.sleep, self.wait = max(1, workers), now, sleep, wait
        self.tick_every, self.on_run, self.workspace = tick_every, on_run, workspace
        self.write_lock = threading.Lock()
        self._lock = threading.Lock()  # guards the dicts below
        self._running: dict[str, Future[RunSummary]] = {}
        self._requested: dict[str, list[Future[RunSummary]]] = {}  # run-now waiters, one entry per source
        self._streams: dict[str, StreamSupervisor] = {}
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="civicpulse-collect")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="civicpulse-collect-scheduler", daemon=True)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        with self._collector() as collector:
            if shared_between_processes(collector.store):  # only runs whose process is gone (its lock is free)
                close_orphaned_runs(collector, self.now())
            else:
                collector.registry.close_stale_runs(self.now())
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop scheduling, stop the streams, let the runs in hand finish (each ends within its page cap)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._lock:
            streams = list(self._streams.values())
            self._streams.clear()
            waiters = [w for ws in self._requested.values() for w in ws]
            self._requested.clear()
        for supervisor in streams:
            supervisor.stop(timeout)
        for waiter in waiters:
            waiter.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a broken store row or a bug must not end collection for every workspace
                log.exception("the collection scheduler's tick failed")
            self._wake.wait(self.tick_every)
            self._wake.clear()

    # scheduling ------------------------------------------------------------------------------------------
    def tick(self) -> list[str]:
        """Start the due (and requested) polling sources that fit in the free slots; align the streams.
        Returns the ids started, in order."""
        if self._stop.is_set():
            return []
        with self._collector() as collector:
            sources = {s.source_id: s for s in collector.registry.list(self.workspace)}
            polling = [s for s in sources.values() if not s.paused and not _continuous(s)]
            due = sorted((s for s in polling if self._due(collector, s)), key=lambda s: self._next(collector, s))
            self._align_streams([s for s in sources.values() if not s.paused and _continuous(s)])
        with self._lock:
            requested = [sources[i] for i in self._requested if i in sources and not sources[i].paused]
            for gone in [i for i in self._requested if i not in sources or sources[i].paused]:
                for waiter in self._requested.pop(gone):
                    waiter.set_exception(SourceError(f"source {gone} was paused or removed before it ran"))
            started = []
            for source in _unique([*requested, *due]):
                if len(self._running) >= self.workers:
                    break  # backpressure: the rest stay due and get a slot at a later tick
                if source.source_id in self._running:
                    continue
                waiters = self._requested.pop(source.source_id, [])
                future = self._pool.submit(self._run, source, None, bool(waiters))
                self._running[source.source_id] = future
                future.add_done_callback(lambda f, sid=source.source_id, ws=waiters: self._done(sid, f, ws))
                started.append(source.source_id)
        return started

    def run_now(self, source_ids: list[str]) -> list[Future[RunSummary]]:
        """Ask for runs now, whatever the schedules; each future gets its source's summary. A source already
        running runs again after its current run, so the answer reflects the request's time."""
        waiters = []
        with self._lock:
            for source_id in source_ids:
                waiter: Future[RunSummary] = Future()
                self._requested.setdefault(source_id, []).append(waiter)
                waiters.append(waiter)
        self._wake.set()
        return waiters

    def run_and_wait(self, source_ids: list[str], timeout: float = 3600.0) -> list[RunSummary]:
        """Run these sources now and wait for all of them (`collect --once` handed over by the CLI). Ticks itself,
        so it also works when the scheduler loop is not running; each source gets its own summary."""
        waiters = self.run_now(source_ids)
        deadline = time.monotonic() + timeout
        pending = set(waiters)
        while pending and time.monotonic() < deadline:
            self.tick()
            _done, pending = wait_futures(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        summaries = []
        for source_id, waiter in zip(source_ids, waiters, strict=True):
            try:
                summaries.append(waiter.result(0))
            except Exception as exc:  # paused or removed meanwhile, or still running at the deadline
                summaries.append(RunSummary(source_id, "?", "?", "failed", error=str(exc) or type(exc).__name__))
        return summaries

    def forget(self, source_id: str, timeout: float = 30.0) -> None:
        """Before a source is paused or removed: stop its stream, wait for its run in hand."""
        with self._lock:
            supervisor = self._streams.pop(source_id, None)
            running = self._running.get(source_id)
        if supervisor is not None:
            supervisor.stop(timeout)
        if running is not None:
            with contextlib.suppress(Exception):
                running.result(timeout)

    def wake(self) -> None:
        self._wake.set()

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for the runs in hand (tests; `collect --once` handed over waits on its own futures)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                running = list(self._running.values())
            if not running:
                return
            for future in running:
                future.result(max(0.0, deadline - time.monotonic()))

    def running(self) -> set[str]:
        with self._lock:
            return set(self._running) | {i for i, s in self._streams.items() if s.alive()}

    # runs --------------------------------------------------------------------------------------------------
    def _run(self, source: SourceRecord, stop: threading.Event | None = None, requested: bool = False) -> RunSummary:
        with self._collector() as collector, try_exclusive(collector.store, source_lock(source.source_id)) as mine:
            if not mine:  # PostgreSQL: another process (server, worker, `collect`) is running this source now
                return RunSummary(source.source_id, source.platform, source.target, "busy",
                                  error="another civicpulse process is collecting from this source now")
            try:
                source = collector.registry.get(source.workspace, source.source_id)  # paused or edited since?
            except SourceError as exc:
                return RunSummary(source.source_id, source.platform, source.target, "failed", error=str(exc))
            if not (requested or _continuous(source) or self._due(collector, source)):
                # Another process ran it between our look at the schedule and the lock: not due any more.
                return RunSummary(source.source_id, source.platform, source.target, "busy",
                                  error="another civicpulse process has just collected from this source")
            summary = collector.run(source, stop)
            if summary.failed:
                failures = collector.registry.consecutive_failures(source.source_id)
                if not _continuous(source):
                    collector.registry.set_not_before(
                        source.source_id, self.now() + timedelta(seconds=failure_backoff(source.every_seconds,
                                                                                        failures)))
                log.warning("source %s (%s, %s) failed (%d in a row): %s", source.source_id, source.platform,
                            source.workspace, failures, summary.error)
        try:
            self.on_run(source, summary)  # the server: analyze what landed; the CLI: print the summary
        except Exception:
            log.exception("after collecting into %s", source.workspace)
        return summary

    def _done(self, source_id: str, future: Future[RunSummary], waiters: list[Future[RunSummary]]) -> None:
        with self._lock:
            self._running.pop(source_id, None)
        for waiter in waiters:
            if future.cancelled():
                waiter.cancel()
            elif future.exception() is not None:
                waiter.set_exception(future.exception())  # type: ignore[arg-type]
            else:
                waiter.set_result(future.result())
        self._wake.set()  # a slot is free: give it to the next due source now

    # helpers -----------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _collector(self) -> Iterator[Collector]:
        handle = self.store.fork()
        try:
            yield Collector(handle, self.keys_dir, self.spool_dir, self.rejects_dir, now=self.now, sleep=self.sleep,
                            write_lock=self.write_lock)
        finally:
            handle.close()

    def _next(self, collector: Collector, source: SourceRecord) -> datetime:
        last = collector.registry.last_run(source.source_id)
        return next_run(last.started_at if last else None, source.every_seconds, source.not_before) or datetime.min

    def _due(self, collector: Collector, source: SourceRecord) -> bool:
        return self._next(collector, source) <= self.now()

    def _align_streams(self, active: list[SourceRecord]) -> None:
        wanted = {s.source_id: s for s in active}
        with self._lock:
            stale = [self._streams.pop(i) for i in list(self._streams) if i not in wanted]
            for source_id, source in wanted.items():
                if source_id not in self._streams and not self._stop.is_set():
                    supervisor = StreamSupervisor(self, source)
                    self._streams[source_id] = supervisor
                    supervisor.start()
        for supervisor in stale:
            supervisor.stop(0)  # its thread ends at the stream's next `stop` check


class StreamSupervisor:
    """One thread per continuous source: connect, store pages as they come, reconnect with a backoff."""

    def __init__(self, runtime: CollectionRuntime, source: SourceRecord) -> None:
        self.runtime, self.source = runtime, source
        self.stop_event = threading.Event()
        self.sessions = 0
        self.failures = 0
        self._thread = threading.Thread(target=self._loop, name=f"civicpulse-stream-{source.source_id}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float) -> None:
        self.stop_event.set()
        if timeout and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            self.sessions += 1
            try:
                summary = self.runtime._run(self.source, self.stop_event)
            except Exception:  # never let one stream's bug end its supervision
                log.exception("stream %s crashed", self.source.source_id)
                summary = RunSummary(self.source.source_id, self.source.platform, self.source.target, "failed")
            if self.stop_event.is_set():
                return
            self.failures = self.failures + 1 if summary.failed else 0
            delay = stream_backoff(self.failures)
            if summary.status == "rate-limited":
                with self.runtime._collector() as collector:
                    known = collector.registry.list(self.source.workspace)
                until = next((s.not_before for s in known if s.source_id == self.source.source_id), None)
                delay = max(delay, (until - self.runtime.now()).total_seconds() if until else STREAM_BACKOFF[0])
            elif not summary.failed:
                delay = STREAM_BACKOFF[0]  # the platform closed a healthy stream: reconnect soon, not in a loop
            if self.runtime.wait(self.stop_event, delay):
                return


def close_orphaned_runs(collector: Collector, now: datetime) -> None:
    """PostgreSQL: close the runs left `running` by dead processes, not those of live ones (they hold the lock)."""
    for source in collector.registry.list(None):
        last = collector.registry.last_run(source.source_id)
        if last is None or last.status != "running":
            continue
        with try_exclusive(collector.store, source_lock(source.source_id)) as free:
            if free:
                collector.store.execute(CLOSE_STALE_RUNS_OF_SOURCE, [now, source.source_id])


def _continuous(source: SourceRecord) -> bool:
    try:
        return get_connector(source.platform).continuous
    except KeyError:
        return False


def _unique(sources: list[SourceRecord]) -> list[SourceRecord]:
    seen: set[str] = set()
    return [s for s in sources if not (s.source_id in seen or seen.add(s.source_id))]  # type: ignore[func-returns-value]

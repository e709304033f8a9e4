"""`civicpulse worker`: a process that runs background jobs of a PostgreSQL store, beside (or instead of) the web
servers' own job threads; optionally the collection schedules and the periodic alert pass too.

Any number of workers, on any machines that reach the database, share the queue (runtime/job_queue.py). SIGTERM
or Ctrl-C stops a worker cleanly: it claims nothing more, lets the jobs in hand finish within `--grace` seconds and
hands back the rest, which another process then runs from the start.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from civicpulse.cli import Fatal, State, err, main


@main.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jobs this process runs at once.")
@click.option("--collect/--no-collect", default=False, show_default=True,
              help="Also run the collection schedules and the periodic alert pass, digests and daily retention "
                   "(several processes may: each source is collected by one of them at a time).")
@click.option("--grace", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Seconds a stopping worker waits for its jobs before it hands them back to the queue.")
@click.option("--lease", default=60.0, show_default=True, type=click.FloatRange(0.5), hidden=True,
              help="Seconds without a heartbeat after which a job is taken to be orphaned.")
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05), hidden=True,
              help="Seconds between looks at the queue when idle.")
@click.pass_obj
def worker_cmd(state: State, threads: int, collect: bool, grace: float, lease: float, poll: float) -> None:
    """Run background jobs (imports, analysis, retraining, retention) of a PostgreSQL store until stopped."""
    from civicpulse.alerts.outbox import DeliveryQueue
    from civicpulse.collect.service import RunSummary
    from civicpulse.collect.sources import SourceRecord
    from civicpulse.runtime.collection import CollectionRuntime, workers_from_env
    from civicpulse.runtime.job_handlers import make_handlers
    from civicpulse.runtime.job_queue import QueueRunner
    from civicpulse.runtime.scheduler import Scheduler
    from civicpulse.store import is_postgres_url, open_store

    if not is_postgres_url(state.db):
        raise Fatal(f"{state.db} is a DuckDB store, which one process writes: `civicpulse serve` runs its jobs; "
                    "`civicpulse worker` is for PostgreSQL stores (--db postgresql://…)")
    if state.keys_dir == Path(f"{state.db}.keys"):
        raise Fatal("a worker needs the key folder named: --keys-dir (env CIVICPULSE_KEYS_DIR), the same as the "
                    "servers'")
    # The servers' folders: a PostgreSQL store has no folder of its own, so the app's files sit beside the keys
    # (KEYS.rejects, KEYS.collect; web/app.py). Uploads are read where the servers wrote them (job params).
    base = state.keys_dir.with_suffix("")
    try:
        store = open_store(state.db)
    except RuntimeError as exc:  # the database refused or is unreachable: its message, without the password
        raise Fatal(str(exc)) from None
    rejects_dir = Path(f"{base}.rejects")
    deliveries = DeliveryQueue(store)
    collection = None
    runner: QueueRunner

    def analyze_collected(source: SourceRecord, summary: RunSummary) -> None:
        if (summary.stored or summary.updated) and not runner.queued("analyze", source.workspace):
            runner.submit("analyze", source.workspace, f"system:collect:{source.source_id}")

    if collect:
        collection = CollectionRuntime(store, state.keys_dir, Path(f"{base}.collect"), rejects_dir,
                                       workers=workers_from_env(), on_run=analyze_collected)
    handlers = make_handlers(state.keys_dir, rejects_dir, deliveries=deliveries, collection=collection)
    # A handed-over `collect --once` needs a collection runtime: only collecting workers take it.
    runner = QueueRunner(store, handlers, threads=threads, lease=lease, poll=poll,
                         kinds=set(handlers) - (set() if collect else {"collect"}))
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    runner.start()
    scheduler = None
    if collection is not None:
        collection.start()
        scheduler = Scheduler(store, keys_dir=state.keys_dir, deliveries=deliveries,
                              daily=lambda: runner.submit("maintenance", "", "system:retention"))
        scheduler.start()
    err.print(f"worker {runner.owner} ready: {threads} job thread(s){', collecting' if collect else ''}",
              highlight=False)
    while not stopping.wait(1.0):  # a timed wait lets the signal handlers run promptly
        pass
    err.print("stopping: the jobs in hand finish first", highlight=False)
    if scheduler is not None:
        scheduler.stop()
    if collection is not None:
        collection.stop(grace)
    runner.stop(grace)
    deliveries.stop()
    store.close()
    err.print("worker stopped", highlight=False)

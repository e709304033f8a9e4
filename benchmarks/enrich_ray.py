"""`analyze` throughput with the Ray engine (1 and 2 workers) against the in-process engine, on the same posts.

    python benchmarks/enrich_ray.py                     # 2,000 posts, cascade mode, workers 1,2
    python benchmarks/enrich_ray.py --n 10000 --workers 1,2,4 --mode fast

Each engine analyses a fresh copy of the same store (posts from benchmarks/throughput.py's corpus, ingested through
the CLI) in a process of its own, so that each starts cold and sets its own thread count before any engine loads:

- in-process at 1 thread, and at the thread budget of the largest Ray run (workers x threads per worker);
- Ray with each worker count (a local Ray instance per run, one thread and one Ray CPU per actor); the driver
  process (store, discovery) runs at 1 thread, like the in-process engine at 1 thread.

Printed per engine: start-up (models loaded and warmed up; for Ray also `import ray`, the local instance and the
actors), the labelling phase in posts/s (first batch read to last batch saved: the part Ray spreads) and in CPU
milliseconds per post (the driver's process and, for Ray, the actors' processes: the work done whatever the
machine's load; Ray's own daemons are not counted), the discovery refresh that closes the run on the driver (the
same work for every engine), the stop (for Ray: actors and the local instance shut down), and end-to-end posts/s
(start-up and stop included). Goals, on the labelling phase: 2 workers >= 1.8x 1 worker; Ray overhead <= 10% at
1 worker against the in-process engine at the same thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]

MAPPING = 'platform = "other"\n[columns]\npost_id = "id"\ntext = "text"\ncreated_at = "time"\n'


def build_store(folder: Path, n: int) -> Path:
    from throughput import corpus

    start = datetime(2026, 10, 1, tzinfo=UTC)
    data = folder / "posts.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(corpus(n)):
            fh.write(json.dumps({"id": str(i), "text": text, "time": (start + timedelta(minutes=i)).isoformat()},
                                ensure_ascii=False) + "\n")
    (folder / "posts.mapping.toml").write_text(MAPPING)
    db = folder / "base.duckdb"
    subprocess.run([str(Path(sys.executable).with_name("civicpulse")), "--db", str(db), "ingest", str(data),
                    "--workspace", "bench", "--no-progress"], check=True, capture_output=True)
    return db


def measure(db: str, engine: str, workers: int, threads: int, mode: str, batch_size: int) -> dict[str, float]:
    """One engine in this (fresh) process: start-up, then the whole `analyze` of the store's backlog."""
    from civicpulse.analysis.labellers import limit_threads, thread_counts, warm_up

    limit_threads(threads if engine == "local" else 1)  # before any engine loads
    from civicpulse.analysis.enrich import enrich_workspace
    from civicpulse.analysis.pipeline import Analyzer
    from civicpulse.store import open_store

    started = time.perf_counter()
    analyzer = Analyzer(mode=mode)
    labeller = analyzer
    if engine == "ray":
        from civicpulse.runtime.ray_enrich import AnalyzerRecipe, RayLabeller

        labeller = RayLabeller(AnalyzerRecipe.of(analyzer, None, {}), workers=workers, threads_per_worker=threads)
        pools = labeller.threads
    else:
        warm_up(analyzer)
        pools = [thread_counts()]
    ready = time.perf_counter()
    marks: list[tuple[float, float]] = []  # (wall, CPU of this process and of the actors): start, end of labelling

    def mark(done: int, total: int) -> None:
        if done in (0, total):  # not in between: an actor answers only once its queued batches are done
            actors = labeller.cpu_seconds() if engine == "ray" else 0.0
            marks.append((time.perf_counter(), time.process_time() + actors))

    store = open_store(db)
    try:
        report = enrich_workspace(store, "bench", labeller, batch_size=batch_size, progress=mark)
        enriched = time.perf_counter()
    finally:
        store.close()
        if labeller is not analyzer:
            labeller.close()
    ended = time.perf_counter()
    return {"analyzed": report.analyzed, "startup_s": ready - started, "labelling_s": marks[-1][0] - marks[0][0],
            "labelling_cpu_s": marks[-1][1] - marks[0][1], "refresh_s": enriched - marks[-1][0],
            "stop_s": ended - enriched, "total_s": ended - started,
            "threads": max(max(p.values(), default=0) for p in pools)}


def run_one(folder: Path, base: Path, engine: str, workers: int, threads: int, args: argparse.Namespace
            ) -> dict[str, float]:
    db = folder / f"{engine}{workers}x{threads}.duckdb"
    shutil.copy(base, db)
    keys = base.with_name(base.name + ".keys")
    if keys.exists():
        shutil.copytree(keys, db.with_name(db.name + ".keys"))
    child = subprocess.run([sys.executable, __file__, "--measure", engine, "--db", str(db), "--workers", str(workers),
                            "--threads", str(threads), "--mode", args.mode, "--batch-size", str(args.batch_size)],
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        sys.exit(f"{engine} x{workers} failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--mode", default="cascade", choices=["fast", "cascade", "accurate"])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--measure", choices=["local", "ray"], help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db, args.measure, int(args.workers), args.threads, args.mode,
                                 args.batch_size)))
        return
    counts = [int(w) for w in args.workers.split(",")]
    budget = max(counts)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = build_store(folder, args.n)
        print(f"posts: {args.n}  mode: {args.mode}  batch: {args.batch_size}  cores: {os.cpu_count()}  "
              f"load at start: {load}")
        print(f"{'engine':26s} {'threads':>7s} {'start-up':>9s} {'labelling':>15s} {'CPU ms/post':>11s} "
              f"{'refresh':>8s} {'stop':>6s} {'end-to-end':>15s}")
        runs = [("local", 1, 1), *([("local", 1, budget)] if budget > 1 else []), *[("ray", w, 1) for w in counts]]
        rates: dict[tuple[str, int, int], tuple[float, float]] = {}
        for engine, workers, threads in runs:
            r = run_one(folder, base, engine, workers, threads, args)
            steady, overall = r["analyzed"] / r["labelling_s"], r["analyzed"] / r["total_s"]
            rates[engine, workers, threads] = steady, overall
            name = f"in-process, {threads} thread(s)" if engine == "local" else f"ray, {workers} worker(s)"
            total_threads = threads * workers
            cpu_ms = 1000 * r["labelling_cpu_s"] / r["analyzed"]
            print(f"{name:26s} {total_threads:7d} {r['startup_s']:8.1f}s {steady:9.1f} posts/s {cpu_ms:11.1f} "
                  f"{r['refresh_s']:7.1f}s {r['stop_s']:5.1f}s {overall:9.1f} posts/s  "
                  f"(pools at {int(r['threads'])} thread(s))")
    print(f"load at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    local, one = rates[("local", 1, 1)], rates.get(("ray", 1, 1))
    if one:
        print(f"ray overhead at 1 worker vs in-process at 1 thread: labelling {100 * (1 - one[0] / local[0]):.1f}%, "
              f"end-to-end {100 * (1 - one[1] / local[1]):.1f}%")
        for w in counts:
            if w > 1:
                many = rates[("ray", w, 1)]
                print(f"ray {w} workers / 1 worker: labelling {many[0] / one[0]:.2f}x, "
                      f"end-to-end {many[1] / one[1]:.2f}x")
                same = rates.get(("local", 1, w))
                if same:
                    print(f"ray {w} workers / in-process at {w} threads: labelling {many[0] / same[0]:.2f}x, "
                          f"end-to-end {many[1] / same[1]:.2f}x")


if __name__ == "__main__":
    main()

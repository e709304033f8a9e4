"""`analyze` throughput with the Ray engine (1 and 2 workers) against the in-process engine, on the same posts.

    python benchmarks/enrich_ray.py                     # 3,000 posts, cascade mode
    python benchmarks/enrich_ray.py --n 10000 --workers 1,2,4 --mode fast

Each engine analyses a fresh copy of the same store (posts from benchmarks/throughput.py's corpus, ingested through
the CLI), discovery included, start-up included (a local Ray cluster is started per engine, actors load the models).
The in-process engine runs with one encoder thread, as each Ray worker does, so "1 worker" against "local" is the
engine's overhead. Goals: 2 workers >= 1.8x 1 worker; Ray overhead <= 10% at 1 worker.
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

os.environ["OMP_NUM_THREADS"] = "1"  # before any encoder loads: the local engine matches one Ray worker
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "benchmarks")]

from civicpulse.analysis.enrich import enrich_workspace  # noqa: E402
from civicpulse.analysis.pipeline import Analyzer  # noqa: E402
from civicpulse.store import open_store  # noqa: E402
from throughput import corpus  # noqa: E402

MAPPING = 'platform = "other"\n[columns]\npost_id = "id"\ntext = "text"\ncreated_at = "time"\n'


def build_store(folder: Path, n: int) -> Path:
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


def run(db: Path, engine: str, workers: int, mode: str, batch_size: int) -> tuple[float, int]:
    started = time.perf_counter()
    analyzer = Analyzer(mode=mode)
    labeller = analyzer
    if engine == "ray":
        from civicpulse.runtime.ray_enrich import AnalyzerRecipe, RayLabeller

        labeller = RayLabeller(AnalyzerRecipe.of(analyzer, None, {}), workers=workers)
    store = open_store(str(db))
    try:
        report = enrich_workspace(store, "bench", labeller, batch_size=batch_size)
    finally:
        store.close()
        if labeller is not analyzer:
            labeller.close()
    return time.perf_counter() - started, report.analyzed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--mode", default="cascade", choices=["fast", "cascade", "accurate"])
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = build_store(folder, args.n)
        print(f"posts: {args.n}  mode: {args.mode}  batch: {args.batch_size}  cores: {os.cpu_count()}  "
              "start-up included")
        rates: dict[str, float] = {}
        for engine, workers in [("local", 1), *[("ray", int(w)) for w in args.workers.split(",")]]:
            db = folder / f"{engine}{workers}.duckdb"
            shutil.copy(base, db)
            keys = base.with_name(base.name + ".keys")
            if keys.exists():
                shutil.copytree(keys, db.with_name(db.name + ".keys"))
            seconds, analyzed = run(db, engine, workers, args.mode, args.batch_size)
            name = "in-process (1 thread)" if engine == "local" else f"ray, {workers} worker(s)"
            rates[name] = analyzed / seconds
            print(f"{name:24s}: {analyzed} posts in {seconds:6.1f} s = {rates[name]:7.1f} posts/s")
        local = rates["in-process (1 thread)"]
        one = rates.get("ray, 1 worker(s)")
        if one:
            print(f"ray overhead at 1 worker: {100 * (1 - one / local):.1f}%")
            for name, rate in rates.items():
                if name.startswith("ray") and name != "ray, 1 worker(s)":
                    print(f"{name} / 1 worker: {rate / one:.2f}x")


if __name__ == "__main__":
    main()

"""Ingest throughput and peak memory: N synthetic posts in a platform format, through the real CLI.

    python benchmarks/ingest.py                 # N = 100k and 1M, X API v2 pages (twarc2 JSONL), one core
    python benchmarks/ingest.py --n 20000 --format mastodon
    python benchmarks/ingest.py --n 10000 --files 10000   # 10,000 one-post files, then the same in one file
    python benchmarks/ingest.py --backend postgres --writers 2 --posts 1000000
    python benchmarks/ingest.py --backend postgres --db postgresql://bench@db.internal/bench --writers 4

Without --backend/--writers: one ingesting process pinned to one CPU core, DuckDB; prints posts/second and its peak
RSS. The goal is at least 20,000 posts/s and a peak memory that does not grow with N.

With --backend or --writers: W writer processes ingest into one workspace of one store at once (see
`benchmarks/ingest_writers.py`): each its own disjoint share of the posts and, first, the head of the next
writer's share, so writers also meet on the same posts. Prints posts/s over the wall clock and per CPU-second
(writers plus PostgreSQL's own processes when the cluster is local), the writers' and PostgreSQL's peak memory,
and checks that no post was lost or doubled. `--backend postgres` without `--db` starts a throwaway cluster
(tests/pg_cluster.py: Debian's binaries, loopback, fsync off).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

WORDS = ("kẹt xe", "ngập nước", "giá xăng", "mất điện", "Sài Gòn", "Hà Nội", "metro", "xe buýt", "traffic",
         "flooding", "quá trời", "hôm nay", "ko đi được", "😡", "🙏", "#HaNoi", "#ngapnuoc", "bệnh viện", "học phí")
PAGE = 100


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30)))


def write_x_v2(path: Path, n: int, seed: int = 7, first_id: int = 0) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    with open(path, "wb") as fh:
        for first in range(first_id, first_id + n, PAGE):
            tweets, users = [], {}
            for i in range(first, min(first_id + n, first + PAGE)):
                uid = str(rng.randint(1, n // 20 + 1))
                users[uid] = {"id": uid, "username": f"user{uid}", "name": f"User {uid}"}
                tweet = {"id": str(10**18 + i), "text": _text(rng), "author_id": uid, "lang": "vi",
                         "conversation_id": str(10**18 + i - i % 5),
                         "created_at": (start + timedelta(seconds=i * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                         "public_metrics": {"like_count": rng.randint(0, 500), "reply_count": rng.randint(0, 40),
                                            "retweet_count": rng.randint(0, 90), "quote_count": 0}}
                if i % 5:
                    tweet["referenced_tweets"] = [{"type": "replied_to", "id": str(10**18 + i - 1)}]
                tweets.append(tweet)
            page = {"data": tweets, "includes": {"users": list(users.values())},
                    "meta": {"result_count": len(tweets)}}
            fh.write(orjson.dumps(page) + b"\n")


def write_mastodon(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    with open(path, "wb") as fh:
        for first in range(0, n, PAGE):
            page = [{"id": str(first + i), "uri": f"https://x.y/s/{first + i}", "content": f"<p>{_text(rng)}</p>",
                     "created_at": (start + timedelta(seconds=(first + i) * 7)).isoformat(), "language": "vi",
                     "account": {"id": str(rng.randint(1, 5000)), "acct": "someone"}, "favourites_count": 1}
                    for i in range(min(PAGE, n - first))]
            fh.write(orjson.dumps(page) + b"\n")


WRITERS = {"x-v2": write_x_v2, "mastodon": write_mastodon}


def measure(n: int, fmt: str, workdir: Path, files: int = 0) -> dict:
    """Ingest N posts from one file, or (files > 0) from a folder of that many files of N/files posts each."""
    if files:
        data = workdir / f"bench-{fmt}-{n}-in-{files}"
        data.mkdir()
        for f in range(files):
            WRITERS[fmt](data / f"part-{f:06d}.jsonl", n // files, seed=f, first_id=f * (n // files))
    else:
        data = workdir / f"bench-{fmt}-{n}.jsonl"
        WRITERS[fmt](data, n)
    db = workdir / f"bench-{n}-{files}.duckdb"
    cmd = [sys.executable, "-m", "civicpulse", "--db", str(db), "ingest", str(data), "-w", "bench",
           "--no-progress", "--rejects", str(workdir / "rejects.jsonl")]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: os.sched_setaffinity(0, {0}))  # one core
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ingest failed:\n{stderr}")
    size = sum(f.stat().st_size for f in data.iterdir()) if files else data.stat().st_size
    result = {"n": n, "format": fmt, "seconds": elapsed, "posts_per_s": n / elapsed, "files": files or 1,
              "peak_rss_mib": usage.ru_maxrss / 1024, "input_mib": size / 2**20}
    shutil.rmtree(data) if files else data.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", "--posts", type=int, nargs="+", default=None,
                        help="Posts per run (default: 100k and 1M; with --writers: 100k).")
    parser.add_argument("--format", choices=sorted(WRITERS), default="x-v2")
    parser.add_argument("--files", type=int, default=0,
                        help="Spread the N posts over this many files in a folder (per-file overhead), and also "
                             "ingest them from one file for comparison.")
    parser.add_argument("--backend", choices=("duckdb", "postgres"), default=None,
                        help="Store of the concurrent-writers run (default duckdb).")
    parser.add_argument("--writers", type=int, default=None, help="Concurrent writer processes (default 1).")
    parser.add_argument("--overlap", type=float, default=0.2,
                        help="Share of each writer's posts that the previous writer also ingests.")
    parser.add_argument("--db", default=None, help="postgresql:// URL of an existing, empty database to use.")
    args = parser.parse_args()
    if args.backend or args.writers or args.db:
        from ingest_writers import run_writers

        backend = args.backend or ("postgres" if args.db else "duckdb")
        for n in args.n or [100_000]:
            run_writers(n, args.writers or 1, backend, args.db, args.overlap, write_x_v2)
        return
    args.n = args.n or [100_000, 1_000_000]
    print(f"{'N':>10} {'files':>7} {'format':>9} {'input MiB':>10} {'seconds':>8} {'posts/s':>9} {'files/s':>8} "
          f"{'peak RSS MiB':>13}")
    with tempfile.TemporaryDirectory(prefix="civicpulse-bench-") as tmp:
        for n in args.n:
            for files in ([args.files, 0] if args.files else [0]):
                r = measure(n, args.format, Path(tmp), files)
                print(f"{r['n']:>10} {r['files']:>7} {r['format']:>9} {r['input_mib']:>10.1f} {r['seconds']:>8.1f} "
                      f"{r['posts_per_s']:>9.0f} {r['files'] / r['seconds']:>8.0f} {r['peak_rss_mib']:>13.0f}",
                      flush=True)


if __name__ == "__main__":
    main()

"""Concurrent writers for benchmarks/ingest.py: W `civicpulse ingest` processes into one workspace of one store.

Writer w ingests the head of writer w+1's share first (so two writers meet on the same posts at the same time),
then its own disjoint share. Afterwards the store must hold every post exactly once: rows = distinct keys = N, and
the runs' `stored` counts sum to N (a post stored by two writers would count twice).

CPU is what the writers used (their rusage) plus, for a local throwaway cluster, what PostgreSQL's processes
used (the postmaster's own and reaped children's times, and its live children's); memory is each writer's peak RSS
and PostgreSQL's peak proportional set size (PSS: shared buffers counted once), sampled every 0.2 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = 100
TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int, reaped: bool) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = int(fields[11]) + int(fields[12])  # utime, stime
    return (own + (int(fields[13]) + int(fields[14]) if reaped else 0)) / TICK  # cutime, cstime


def _pss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


class ServerProcesses:
    """CPU and memory of a local PostgreSQL: the postmaster and its children."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster
        self.peak_pss = 0.0
        self.cpu_used = 0.0
        self._start = 0.0

    def cpu(self) -> float:
        live = sum(_cpu_seconds(child, reaped=False) for child in _children(self.postmaster))
        return _cpu_seconds(self.postmaster, reaped=True) + live

    def sample(self) -> None:
        pids = [self.postmaster, *_children(self.postmaster)]
        self.peak_pss = max(self.peak_pss, sum(_pss_mib(p) for p in pids))

    def start(self) -> None:
        self._start = self.cpu()

    def finish(self) -> None:
        self.cpu_used = self.cpu() - self._start


def _shares(n: int, writers: int, overlap: float, folder: Path,
            write_x_v2: Callable[..., None]) -> list[tuple[Path, Path]]:
    """(head of the next writer's share, own share) per writer; shares are disjoint and whole pages."""
    share = n // writers
    own = []
    for w in range(writers):
        path = folder / f"share-{w}.jsonl"
        write_x_v2(path, share if w < writers - 1 else n - share * (writers - 1), seed=w, first_id=w * share)
        own.append(path)
    pairs = []
    for w in range(writers):
        head = folder / f"head-of-{(w + 1) % writers}.jsonl"
        with open(own[(w + 1) % writers], "rb") as src, open(head, "wb") as dst:
            for _ in range(max(1, round(share * overlap / PAGE))):
                dst.write(src.readline())
        pairs.append((head, own[w]))
    return pairs


def _postgres(url: str | None) -> tuple[str, ServerProcesses | None, Callable[[], None], str]:
    if url:
        return url, None, lambda: None, "existing server"
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_cluster import Cluster, available

    why = available()
    if why:
        raise SystemExit(f"cannot start a throwaway cluster: {why}")
    cluster = Cluster()
    postmaster = int((cluster.dir / "data" / "postmaster.pid").read_text().split()[0])
    return cluster.new_database(), ServerProcesses(postmaster), cluster.stop, "throwaway cluster, fsync off"


def run_writers(n: int, writers: int, backend: str, url: str | None, overlap: float,
                write_x_v2: Callable[..., None]) -> None:
    with tempfile.TemporaryDirectory(prefix="civicpulse-bench-") as tmp:
        work = Path(tmp)
        pairs = _shares(n, writers, overlap, work, write_x_v2)
        read = sum(_posts_in(p) for pair in pairs for p in pair)
        stop: Callable[[], None] = lambda: None  # noqa: E731
        server: ServerProcesses | None = None
        where = "embedded file: one writer at a time, the others wait for it"
        if backend == "postgres":
            db, server, stop, where = _postgres(url)
        else:
            db = str(work / "bench.duckdb")
        try:
            wall, cpu, rss = _run(db, work, pairs, server)
            check = _check(db, n)
        finally:
            stop()
    pg_cpu = server.cpu_used if server else 0.0
    print(f"backend: {backend} ({where})  writers: {writers}  posts: {n:,} distinct, {read:,} read "
          f"({read - n:,} twice)  cores: {os.cpu_count()}")
    print(f"wall: {wall:.1f} s = {read / wall:,.0f} posts/s read ({n / wall:,.0f} distinct posts/s)")
    server_part = f" + PostgreSQL {pg_cpu:.1f} s" if server else \
        (" (server CPU not measured)" if backend == "postgres" else " (embedded: no server)")
    print(f"CPU: writers {cpu:.1f} s{server_part} = {cpu + pg_cpu:.1f} s -> {read / (cpu + pg_cpu):,.0f} posts read "
          "per CPU-second")
    server_memory = f"; PostgreSQL peak PSS {server.peak_pss:,.0f} MiB (all its processes)" if server else ""
    print(f"peak RSS: writers max {max(rss):,.0f} MiB, sum {sum(rss):,.0f} MiB{server_memory}")
    print(f"check: {check}", flush=True)


def _posts_in(path: Path) -> int:
    import orjson

    with open(path, "rb") as fh:
        return sum(len(orjson.loads(line)["data"]) for line in fh)


def _run(db: str, work: Path, pairs: list[tuple[Path, Path]],
         server: ServerProcesses | None) -> tuple[float, float, list[float]]:
    env = {**os.environ, "CIVICPULSE_WAIT": "3600", "PYTHONPATH": str(ROOT / "src")}
    if server:
        server.start()
    started = time.perf_counter()
    procs = {}
    for w, (head, own) in enumerate(pairs):
        cmd = [sys.executable, "-m", "civicpulse", "--db", db, "--keys-dir", str(work / "keys"), "ingest",
               str(head), str(own), "-w", "bench", "--no-progress", "--rejects", str(work / f"rejects-{w}.jsonl")]
        with open(work / f"writer-{w}.log", "wb") as log:  # a file, not a pipe nobody reads while it runs
            procs[subprocess.Popen(cmd, stdout=log, stderr=log, env=env).pid] = w
    cpu, rss, failed = 0.0, [], []
    while procs:
        for pid in list(procs):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                writer = procs.pop(pid)
                cpu += usage.ru_utime + usage.ru_stime
                rss.append(usage.ru_maxrss / 1024)
                if os.waitstatus_to_exitcode(status) != 0:
                    failed.append(writer)
        if server:
            server.sample()
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if server:
        server.finish()
    if failed:
        logs = "\n".join((work / f"writer-{w}.log").read_text(errors="replace")[-2000:] for w in failed)
        raise SystemExit(f"{len(failed)} writer(s) failed:\n{logs}")
    return wall, cpu, rss


def _check(db: str, n: int) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from civicpulse.store import open_store

    with open_store(db, read_only=True) as store:
        rows, keys = store.query("SELECT count(*), count(DISTINCT platform || ':' || post_id) FROM posts "
                                 "WHERE workspace = 'bench'")[0]
        stored = store.query("SELECT sum(stored) FROM ingest_runs WHERE workspace = 'bench'")[0][0]
        size = store.query("SELECT pg_database_size(current_database())")[0][0] if db.startswith("postgres") \
            else Path(db).stat().st_size
    verdict = "ok" if rows == keys == stored == n else "FAILED"
    message = (f"{rows:,} rows, {keys:,} distinct keys, stored counts sum to {stored:,}, expected {n:,}: {verdict}"
               f"\nstore size: {size / 2**20:,.0f} MiB = {size / n:,.0f} bytes per post")
    if verdict != "ok":
        raise SystemExit(f"check: {message}")
    return message

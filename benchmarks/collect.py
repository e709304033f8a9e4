"""Collection throughput and peak memory: posts from a local fake API server through collection (HTTP, paging,
cursors), parsing, pseudonymization and ingest into the embedded store, on one core.

    python benchmarks/collect.py                       # 100k posts, X recent search (pages of 100) and a stream
    python benchmarks/collect.py --posts 1000000       # memory must stay flat to 1M
    python benchmarks/collect.py --mode search --posts 20000

The fake server runs in its own process (so its JSON encoding is not counted); the collecting process is pinned
to one CPU core. Prints posts/second (wall clock, and per CPU second of the collecting process: the wall clock
also holds the waits for the fake server, which a busy machine slows) and the peak RSS of the collecting process,
with its RSS at each tenth of the way, so a growth with N shows. The goal is at least 5,000 posts/s and flat
memory.

`search` drives the real X connector (`GET /2/tweets/search/recent`, `next_token` paging, run after run as the
server's runtime would). `stream` drives `Collector.run(source, stop)`, the path the runtime's stream supervisor
uses, with `BenchStream`, a continuous connector reading X-filtered-stream-shaped NDJSON in pages of 500. Hook:
to measure a real streaming connector (collect/connectors, h/streams), register it instead of BenchStream and
point `serve_stream` at the wire format it reads.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

WORDS = ("kẹt xe", "ngập nước", "giá xăng", "mất điện", "Sài Gòn", "Hà Nội", "metro", "xe buýt", "traffic",
         "flooding", "quá trời", "hôm nay", "ko đi được", "😡", "🙏", "#HaNoi", "#ngapnuoc", "bệnh viện", "học phí")
PAGE = 100
STREAM_PAGE = 500
START = datetime(2026, 8, 1, tzinfo=UTC)


def tweet(i: int, rng: random.Random, authors: int) -> tuple[dict, str]:
    uid = str(rng.randint(1, authors))
    return ({"id": str(10**18 + i), "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 30))),
             "author_id": uid, "lang": "vi", "conversation_id": str(10**18 + i - i % 5),
             "created_at": (START + timedelta(seconds=i * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
             "public_metrics": {"like_count": rng.randint(0, 500), "reply_count": rng.randint(0, 40),
                                "retweet_count": rng.randint(0, 90), "quote_count": 0}}, uid)


def _users(uids: set[str]) -> list[dict]:
    return [{"id": u, "username": f"user{u}", "name": f"User {u}"} for u in sorted(uids)]


def search_page(n: int, page_no: int) -> bytes:
    """Page `page_no` (1-based) of a recent search over n tweets, newest first, generated on demand."""
    rng = random.Random(page_no)
    top = n - (page_no - 1) * PAGE
    items = [tweet(i, rng, n // 20 + 1) for i in range(top - 1, max(-1, top - 1 - PAGE), -1)]
    meta: dict = {"result_count": len(items)}
    if items:
        meta.update(newest_id=items[0][0]["id"], oldest_id=items[-1][0]["id"])
    if top - PAGE > 0:
        meta["next_token"] = f"p{page_no + 1}"
    body: dict = {"meta": meta}
    if items:
        body["data"] = [t for t, _ in items]
        body["includes"] = {"users": _users({u for _, u in items})}
    return orjson.dumps(body)


def serve(n: int, port_out: multiprocessing.Queue) -> None:
    # A real API answers while the collector parses the page before: the next page is prepared ahead, so the
    # collector does not wait for this process to generate it.
    ahead: dict[int, bytes] = {}
    lock = threading.Lock()

    def prepare(page_no: int) -> None:
        body = search_page(n, page_no)
        with lock:
            ahead[page_no] = body

    def page(page_no: int) -> bytes:
        with lock:
            body = ahead.pop(page_no, None)
        if body is None:
            body = search_page(n, page_no)
        if (page_no + 1) * PAGE - PAGE < n:
            threading.Thread(target=prepare, args=(page_no + 1,), daemon=True).start()
        return body

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/stream":
                return self._stream()
            if "since_id" in query:  # a later sweep: nothing newer
                payload = orjson.dumps({"meta": {"result_count": 0}})
            else:
                payload = page(int(query.get("next_token", "p1")[1:]))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.send_header("x-rate-limit-remaining", "449")
            self.send_header("x-rate-limit-reset", "4102444800")
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/x-ndjson")
            self.send_header("connection", "close")
            self.end_headers()
            rng = random.Random(1)
            chunk = []
            for i in range(n):
                item, uid = tweet(i, rng, n // 20 + 1)
                chunk.append(orjson.dumps({"data": item, "includes": {"users": _users({uid})}}) + b"\n")
                if len(chunk) == 200:
                    self.wfile.write(b"".join(chunk))
                    chunk = []
            self.wfile.write(b"".join(chunk))
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.put(server.server_address[1])
    server.serve_forever()


class Rss:
    """Resident memory of this process now (Linux /proc) and its peak (getrusage)."""

    @staticmethod
    def now_mib() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    @staticmethod
    def peak_mib() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_stream_connector():
    from civicpulse.collect.base import Connector, Page
    from civicpulse.collect.http import CollectError

    class BenchStream(Connector):
        """A continuous connector over NDJSON lines (X filtered stream's shape), pages of STREAM_PAGE tweets."""

        platform = "bench-stream"
        format_name = "x-v2"
        default_api_base = "http://127.0.0.1"
        continuous = True

        def collect(self, session) -> Iterator[Page]:
            client, stop = session.client, session.stop
            seen = int(session.cursor.get("seen", 0))
            data: list[dict] = []
            users: dict[str, dict] = {}
            with httpx.stream("GET", client.url("/stream"), timeout=30) as reply:
                if reply.status_code != 200:
                    raise CollectError(f"stream answered HTTP {reply.status_code}")
                for line in reply.iter_lines():
                    if stop.is_set():
                        return
                    if not line:
                        continue
                    item = orjson.loads(line)
                    data.append(item["data"])
                    users.update((u["id"], u) for u in item["includes"]["users"])
                    if len(data) == STREAM_PAGE:
                        seen += len(data)
                        yield Page({"data": data, "includes": {"users": list(users.values())}, "meta": {}},
                                   {"seen": seen}, fetched=len(data))
                        data, users = [], {}
            if data:
                yield Page({"data": data, "includes": {"users": list(users.values())}, "meta": {}},
                           {"seen": seen + len(data)}, fetched=len(data))

    return BenchStream


def warm_up(work: Path) -> None:
    """Load what the store imports lazily on its first merge (pandas, pyarrow), as a running server has."""
    from civicpulse.schema import Kind, Post
    from civicpulse.store.duckdb_store import DuckDBStore

    store = DuckDBStore(str(work / "warm.duckdb"))
    store.upsert_posts("warm", [Post("x", "1", Kind.POST, "warm", START.replace(tzinfo=None), "x-v2")])
    store.close()


def ingest_baseline(n: int, work: Path) -> None:
    """The same posts as search pages in one file, through the file ingest pipeline in this process: what
    collection adds to ingest shows in the ratio, whatever the machine's load."""
    from civicpulse.ingest.pipeline import Ingestor
    from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
    from civicpulse.ingest.rejects import RejectWriter
    from civicpulse.store.duckdb_store import DuckDBStore

    path = work / "pages.jsonl"
    with path.open("wb") as fh:
        for page_no in range(1, (n + PAGE - 1) // PAGE + 1):
            fh.write(search_page(n, page_no) + b"\n")
    warm_up(work)
    store = DuckDBStore(str(work / "file.duckdb"))
    rejects = RejectWriter(work / "file-rejects.jsonl")
    ingestor = Ingestor(store, "bench", Pseudonymizer(KeyStore(work / "keys").load("bench")), rejects,
                        format_name="x-v2")
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = ingestor.ingest(str(path))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rejects.close()
    store.close()
    print(f"{'file':>6}: {summary.read:,} read, {summary.stored:,} stored in {elapsed:.2f} s: "
          f"{summary.stored / elapsed:,.0f} posts/s ({cpu:.2f} CPU s: {summary.stored / cpu:,.0f} posts per CPU "
          f"second); peak RSS {Rss.peak_mib():.0f} MiB (plain ingest, same posts)")


def run(mode: str, n: int, base: str, work: Path) -> None:
    from civicpulse import collect
    from civicpulse.collect.base import Credentials
    from civicpulse.collect.service import Collector
    from civicpulse.store.duckdb_store import DuckDBStore

    warm_up(work)

    if mode == "stream":
        collect.all_connectors()
        collect.register(bench_stream_connector())
    store = DuckDBStore(str(work / f"{mode}.duckdb"))
    collector = Collector(store, work / "keys", work / "spool", work / "rejects")
    platform, target, creds = (("x", "ngập nước lang:vi", {"bearer_token": "bench"}) if mode == "search"
                               else ("bench-stream", "anything", {}))
    source = collector.registry.add("bench", platform, target, creds=Credentials(creds), every_seconds=60,
                                    api_base=base, label=None, actor="bench")
    marks: list[tuple[int, float]] = []
    fetched = stored = runs = 0
    next_mark = n // 10
    started, cpu_started = time.perf_counter(), time.process_time()
    while fetched < n:
        summary = collector.run(source)  # a search run stops after 20 pages; a stream run at the stream's end
        runs += 1
        if summary.failed or summary.fetched == 0:
            sys.exit(f"{mode}: run {runs} {summary.status}: {summary.error or 'nothing fetched'}")
        fetched += summary.fetched
        stored += summary.stored
        while fetched >= next_mark and len(marks) < 10:
            marks.append((next_mark, Rss.now_mib()))
            next_mark += n // 10
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    in_store = store.query("SELECT count(*) FROM posts WHERE workspace = 'bench'")[0][0]
    store.close()
    print(f"{mode:>6}: {fetched:,} fetched, {stored:,} stored ({in_store:,} in the store) in {elapsed:.2f} s "
          f"over {runs} run(s): {stored / elapsed:,.0f} posts/s ({cpu:.2f} CPU s: {stored / cpu:,.0f} posts per CPU "
          f"second); peak RSS {Rss.peak_mib():.0f} MiB")
    print(f"{'':>8}RSS (MiB) at each tenth: " + ", ".join(f"{m // 1000}k={r:.0f}" for m, r in marks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--mode", choices=("search", "stream", "both"), default="both")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also ingest the same posts from a file, back to back (the machine's yardstick)")
    parser.add_argument("--cpu", type=int, default=0, help="core to pin the collecting process to")
    args = parser.parse_args()
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.posts, ports), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    print(f"civicpulse collect benchmark: {args.posts:,} posts, one core (cpu {args.cpu}), fake server {base}")
    work = Path(tempfile.mkdtemp(prefix="civicpulse-bench-collect-"))
    try:
        jobs = [(run, (mode, args.posts, base, work))
                for mode in (("search", "stream") if args.mode == "both" else (args.mode,))]
        if args.baseline:
            jobs.append((ingest_baseline, (args.posts, work)))
        for target, job_args in jobs:
            # Each in a fresh process, so one's peak memory is not the other's.
            proc = multiprocessing.get_context("fork").Process(target=target, args=job_args)
            proc.start()
            proc.join()
            if proc.exitcode:
                sys.exit(proc.exitcode)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

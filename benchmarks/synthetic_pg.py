"""The synthetic store (synthetic_store.py) copied into PostgreSQL, for benchmarks of the PostgreSQL backend.

DuckDB writes each table in chunks of rows as CSV into a temporary file, which streams into PostgreSQL's COPY in
blocks: memory stays flat at any size (10 million posts included), and no row passes through Python objects.
The PostgreSQL store then builds its own dashboard rollups and planner statistics.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from civicpulse.analytics.day_source import compact
from civicpulse.store import open_store

TABLES = ("workspaces", "posts", "post_analysis", "post_topics", "post_places", "post_terms")
CHUNK_ROWS = 500_000
BLOCK = 1 << 20


def copy_to_postgres(duck_path: str, url: str, chunk_rows: int = CHUNK_ROWS, progress: bool = False) -> dict[str, int]:
    """Rows copied per table into the (new, empty) PostgreSQL store at `url`; rollups rebuilt there."""
    store = open_store(url)  # makes the schema
    source = duckdb.connect(duck_path, read_only=True, config={"memory_limit": "1GB"})
    copied: dict[str, int] = {}
    try:
        existing = {r[0] for r in store.query("SELECT name FROM workspaces")}
        with tempfile.TemporaryDirectory(prefix="civicpulse-pgcopy-") as tmp:
            part = Path(tmp) / "part.csv"
            for table in TABLES:
                started = time.perf_counter()
                columns = [r[0] for r in source.execute(f"DESCRIBE {table}").fetchall()]
                total = source.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                end = source.execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {table}").fetchone()[0]
                skip = f" AND name NOT IN ({', '.join(repr(n) for n in sorted(existing))})" \
                    if table == "workspaces" and existing else ""
                for lo in range(0, end, chunk_rows):
                    source.execute(f"COPY (SELECT {', '.join(columns)} FROM {table} WHERE rowid >= {lo} AND rowid < "
                                   f"{lo + chunk_rows}{skip}) TO '{part}' (FORMAT csv, HEADER false)")
                    _stream(store, table, columns, part)
                    if progress:
                        print(f"  {table}: {min(end, lo + chunk_rows):,}/{end:,}", flush=True)
                copied[table] = total
                if progress:
                    print(f"  {table}: {total:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        store.rebuild_rollups()
        for (name,) in store.query("SELECT name FROM workspaces"):
            compact(store, name)
        store.execute("ANALYZE")
        if progress:
            print(f"  rollups and ANALYZE: {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        source.close()
        store.close()
    return copied


def _stream(store, table: str, columns: list[str], part: Path) -> None:
    with store.con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy, \
            part.open("rb") as file:
        while block := file.read(BLOCK):
            copy.write(block)


def start_cluster():
    """A throwaway local cluster (tests/pg_cluster.py): loopback only, removed by its `stop()`."""
    tests = Path(__file__).resolve().parents[1] / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    from pg_cluster import Cluster, available

    why = available()
    if why:
        raise RuntimeError(f"cannot start a PostgreSQL cluster: {why}; pass --db postgresql://...")
    return Cluster()

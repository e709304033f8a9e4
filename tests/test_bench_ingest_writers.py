"""benchmarks/ingest.py's concurrent-writers mode: shares are disjoint, writers meet on the heads, and the final
check (every post stored once) passes on PostgreSQL and fails when a post is missing. No timing is asserted."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import orjson
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def _ids(path: Path) -> list[str]:
    return [t["id"] for line in path.read_bytes().splitlines() for t in orjson.loads(line)["data"]]


def test_each_writer_gets_a_disjoint_share_and_the_head_of_the_next(tmp_path):
    writers, ingest = _load("ingest_writers"), _load("ingest")
    pairs = writers._shares(1000, 3, 0.2, tmp_path, ingest.write_x_v2)
    shares = [_ids(own) for _, own in pairs]
    everything = [i for share in shares for i in share]
    assert len(everything) == len(set(everything)) == 1000
    for w, (head, _) in enumerate(pairs):
        nxt = shares[(w + 1) % 3]
        assert _ids(head) == nxt[:len(_ids(head))] and 0 < len(_ids(head)) < len(nxt)


def test_two_writers_into_postgresql_store_every_post_once(pg_cluster, capsys):
    writers, ingest = _load("ingest_writers"), _load("ingest")
    url = pg_cluster.new_database()
    writers.run_writers(1000, 2, "postgres", url, 0.2, ingest.write_x_v2)
    printed = capsys.readouterr().out
    assert "1,000 rows, 1,000 distinct keys, stored counts sum to 1,000, expected 1,000: ok" in printed
    assert "posts read per CPU-second" in printed
    with pytest.raises(SystemExit, match="FAILED"):  # the check is a real one
        writers._check(url, 1001)

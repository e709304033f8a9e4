"""Smoke run of benchmarks/dashboard.py: a small synthetic store, every endpoint answers 200, the table prints.

Correctness only: timings on a shared test machine mean nothing, so none are asserted.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import duckdb
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    """Import a benchmark script as a module (benchmarks/ is not a package)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def bench():
    return _load("dashboard")


def test_synthetic_store_is_deterministic_analyzed_and_isolated(tmp_path: Path) -> None:
    synthetic = _load("synthetic_store")
    report = synthetic.build(str(tmp_path / "s.duckdb"), 3_000, other_posts=100, batch=1_000)
    assert report.rows["posts"] == report.rows["post_analysis"] == 3_000
    assert 0 < report.rows["post_places"] < 3_000 and report.rows["post_terms"] >= 3_000
    con = duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True)
    try:
        by_ws = dict(con.execute("SELECT workspace, count(*) FROM posts GROUP BY 1").fetchall())
        assert by_ws == {"bench": 3_000, "other": 100}
        # Every analysis, topic, place and term row belongs to a post of the same workspace.
        for table in ("post_analysis", "post_topics", "post_places", "post_terms"):
            orphans = con.execute(f"SELECT count(*) FROM {table} x WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE "
                                  "p.workspace = x.workspace AND p.platform = x.platform AND p.post_id = x.post_id)")
            assert orphans.fetchone()[0] == 0, table
        spike_day = con.execute("SELECT CAST(created_at AS DATE), count(*) FROM posts WHERE workspace = 'bench' "
                                "GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
        assert spike_day[0] == synthetic.SPIKE_DAY.date()
        provinces = {r[0] for r in con.execute("SELECT DISTINCT province_2025 FROM post_places").fetchall()}
        assert "Thành phố Hồ Chí Minh" in provinces and None not in provinces
        texts = [r[0] for r in con.execute("SELECT text FROM posts WHERE language = 'vi' LIMIT 50").fetchall()]
        assert any("#" in t for t in texts) and any(not t.isascii() for t in texts)
    finally:
        con.close()


def test_every_endpoint_answers_and_the_table_is_printed(bench, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--posts", "2000", "--requests", "2", "--warmup", "1", "--db", str(tmp_path / "b.duckdb")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "loaded 2,000 posts" in out
    rows = {line.split("  ")[0].strip(): line for line in out.splitlines()}
    for endpoint in [*bench.endpoints(), bench.Endpoint("report pdf", "")]:
        assert endpoint.name in rows, f"{endpoint.name} missing from:\n{out}"
        assert " 200 " in rows[endpoint.name], rows[endpoint.name]
    assert "alerts evaluate (POST, once):" in out


def test_percentiles_are_nearest_rank(bench) -> None:
    timing = bench.Timing(bench.Endpoint("x", "/x"), ms=[float(v) for v in range(1, 21)])
    assert (timing.pct(50), timing.pct(95), timing.pct(100)) == (10.0, 19.0, 20.0)


def test_synthetic_store_streams_into_postgres_with_its_rollups(pg_cluster, tmp_path: Path) -> None:
    synthetic, synthetic_pg = _load("synthetic_store"), _load("synthetic_pg")
    from civicpulse.store import open_store

    source = str(tmp_path / "s.duckdb")
    synthetic.build(source, 1_500, other_posts=50, batch=1_000)
    url = pg_cluster.new_database()
    copied = synthetic_pg.copy_to_postgres(source, url, chunk_rows=400)  # several chunks per table
    con = duckdb.connect(source, read_only=True)
    target = open_store(url)
    try:
        for table in synthetic_pg.TABLES:
            expected = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert copied[table] == expected == target.query(f"SELECT count(*) FROM {table}")[0][0], table
        # Keys, author ids and cells come out as DuckDB computes them: the backends digest alike.
        for table in ("rollup_all", "rollup_topics", "rollup_places_2025"):
            sql = f"SELECT count(*), sum(posts), count(DISTINCT author_id) FROM {table} WHERE workspace = 'bench'"
            assert [tuple(int(v) for v in target.query(sql)[0])] == con.execute(sql).fetchall(), table
    finally:
        con.close()
        target.close()

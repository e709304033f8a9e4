"""`analyze --engine ray` on a real local Ray cluster: a head and a worker node, started by the test on loopback.

Heavy for a 2-core machine (two Ray nodes, actors loading the models), so the module shares one cluster and keeps
to two tests, marked `ray`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from civicpulse.store import open_store

pytest.importorskip("ray")
pytestmark = pytest.mark.ray

BIN = Path(sys.executable).parent
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "demo" / "mastodon" / "public_timeline.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(roots: set[int]) -> set[int]:
    """The processes below `roots` (Ray's daemons detach from `ray start`, but stay under its raylet)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, grew = set(roots), True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found


def _cluster_processes(temp_dir: str) -> set[int]:
    roots = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if temp_dir.encode() in (entry / "cmdline").read_bytes():
                    roots.add(int(entry.name))
            except OSError:
                continue
    return _tree(roots)


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    temp_dir = str(tmp_path_factory.mktemp("ray"))  # the short pytest tmp path keeps Ray's socket paths legal
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    common = ["--num-cpus=1", f"--temp-dir={temp_dir}", "--disable-usage-stats"]
    try:
        subprocess.run([str(BIN / "ray"), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                        "--include-dashboard=false", "--dashboard-port=0", *common],
                       env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([str(BIN / "ray"), "start", f"--address=127.0.0.1:{port}", "--node-ip-address=127.0.0.1",
                        *common], env=env, check=True, capture_output=True, timeout=120)
        yield f"127.0.0.1:{port}", env
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in _cluster_processes(temp_dir):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            time.sleep(1)


LABELS = "SELECT platform, post_id, language, sentiment, emotion, topic_scores FROM post_analysis ORDER BY 1, 2"
LONG_TABLES = ("post_topics", "post_terms", "post_places")


def _contents(db: Path) -> tuple[list[tuple], dict[str, int], int]:
    """Labels post by post, the row count of each table the analysis writes several rows into, and how many posts
    have a discovered topic (a stopped run's unclustered posts may keep none, as with the local engine)."""
    store = open_store(str(db), read_only=True)
    try:
        discovered = store.query("SELECT count(discovered_topic) FROM post_analysis")[0][0]
        counts = {table: store.query(f"SELECT count(*) FROM {table}")[0][0] for table in LONG_TABLES}
        return store.query(LABELS), counts, discovered
    finally:
        store.close()


def _cli(db: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "civicpulse"), "--db", str(db), *args], capture_output=True, text=True,
                          env=env, timeout=600)


# A driver killed (SIGKILL) by itself right after its second batch is saved, while up to four more batches are read
# ahead and being labelled on the actors. It prints the actors' thread pools first.
KILLED_RUN = """
import json, os, signal, sys
from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.runtime.ray_enrich import AnalyzerRecipe, RayLabeller
from civicpulse.store import open_store

labeller = RayLabeller(AnalyzerRecipe.of(Analyzer(mode="fast"), None, {}), workers=2, address=sys.argv[2])
print(json.dumps(labeller.threads), flush=True)

def kill_after_two_batches(done, total):
    if done >= 32:
        os.kill(os.getpid(), signal.SIGKILL)

enrich_workspace(open_store(sys.argv[1]), "demo", labeller, batch_size=16, progress=kill_after_two_batches)
"""


def test_a_killed_ray_run_resumes_with_the_labels_of_the_local_engine(tmp_path, ray_cluster):
    address, env = ray_cluster
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    for db in (local_db, ray_db):
        assert _cli(db, "ingest", str(SAMPLE), "--workspace", "demo", "--no-progress").returncode == 0
    ran = _cli(local_db, "analyze", "--workspace", "demo", "--mode", "fast", "--batch-size", "16", "--no-progress")
    assert ran.returncode == 0, ran.stderr

    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(ray_db), address], capture_output=True, text=True,
                            env=env, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pools = json.loads(killed.stdout.splitlines()[0])
    assert len(pools) == 2 and all(set(p.values()) == {1} for p in pools), pools  # one thread per Ray CPU
    assert len(_contents(ray_db)[0]) == 32  # the two saved batches, none of those in flight

    # A fresh run (joining with `auto`, as on a cluster node) resumes at the first unsaved post.
    rest = _cli(ray_db, "analyze", "--workspace", "demo", "--mode", "fast", "--batch-size", "16", "--engine", "ray",
                "--address", "auto", "--workers", "2", "--no-progress", env={**env, "RAY_ADDRESS": address})
    assert rest.returncode == 0, rest.stderr
    (local, local_counts, _), (distributed, counts, discovered) = _contents(local_db), _contents(ray_db)
    assert f"analyzed {len(local) - 32} of {len(local) - 32} " in rest.stdout, rest.stdout
    assert len(local) > 32 and distributed == local
    assert counts == local_counts and discovered > 0  # nothing saved twice; discovery ran on the driver
    again = _cli(ray_db, "analyze", "--workspace", "demo", "--mode", "fast", "--engine", "ray", "--address", address,
                 "--no-progress", env=env)
    assert again.returncode == 0 and "analyzed 0 of 0" in again.stdout, again.stdout + again.stderr


def test_ray_engine_without_a_cluster_says_so(tmp_path):
    db = tmp_path / "db.duckdb"
    assert _cli(db, "ingest", str(SAMPLE), "--workspace", "demo", "--no-progress").returncode == 0
    ran = _cli(db, "analyze", "--workspace", "demo", "--engine", "ray", "--address", f"127.0.0.1:{_free_port()}",
               "--no-progress", env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    assert ran.returncode != 0
    assert "Traceback" not in ran.stderr and "--engine ray" in ran.stderr

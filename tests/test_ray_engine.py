"""`analyze --engine ray` on a real local Ray cluster: a head and a worker node, started by the test on loopback.

Heavy for a 2-core machine (two Ray nodes, two actors loading the models), so it is one test, marked `ray`.
"""

from __future__ import annotations

import contextlib
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


@pytest.fixture
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


def _labels(db: Path) -> list[tuple]:
    store = open_store(str(db), read_only=True)
    try:
        return store.query("SELECT platform, post_id, language, sentiment, emotion, topic_scores, discovered_topic "
                           "FROM post_analysis WHERE workspace = 'demo' ORDER BY platform, post_id")
    finally:
        store.close()


def _cli(db: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "civicpulse"), "--db", str(db), *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_ray_engine_labels_like_the_local_engine_and_resumes(tmp_path, ray_cluster):
    address, env = ray_cluster
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    for db in (local_db, ray_db):
        assert _cli(db, "ingest", str(SAMPLE), "--workspace", "demo", "--no-progress").returncode == 0

    ran = _cli(local_db, "analyze", "--workspace", "demo", "--mode", "fast", "--batch-size", "16", "--no-progress")
    assert ran.returncode == 0, ran.stderr
    # Part of the backlog, then the rest: the second run must start where the first stopped.
    first = _cli(ray_db, "analyze", "--workspace", "demo", "--mode", "fast", "--batch-size", "16", "--limit", "40",
                 "--engine", "ray", "--address", address, "--workers", "2", "--no-progress", env=env)
    assert first.returncode == 0, first.stderr
    assert "analyzed 40 of" in first.stdout
    rest = _cli(ray_db, "analyze", "--workspace", "demo", "--mode", "fast", "--batch-size", "16",
                "--engine", "ray", "--address", address, "--workers", "2", "--no-progress", env=env)
    assert rest.returncode == 0, rest.stderr

    local, distributed = _labels(local_db), _labels(ray_db)
    assert len(local) > 40 and len(distributed) == len(local)
    assert [row[:6] for row in distributed] == [row[:6] for row in local]
    assert any(row[6] is not None for row in distributed)  # discovery ran on the driver
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

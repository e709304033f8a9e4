"""`civicpulse collect --once` while the server holds the store: handed over, the same summary and exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.collect.base import Credentials
from civicpulse.collect.credentials import CredentialBox
from civicpulse.collect.sources import SourceRegistry
from civicpulse.handoff import LOCAL_HEADER, live_server
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.app import create_app
from fake_mastodon import FakeMastodon, status

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1"])
CLI = Path(sys.executable).with_name("civicpulse")


def _sources(store: DuckDBStore, keys: Path, good: str, bad: str) -> tuple[str, str]:
    registry = SourceRegistry(store, CredentialBox(keys))
    ok = registry.add("demo", "mastodon", "#lut", creds=Credentials(), every_seconds=900, api_base=good,
                      label=None, actor="t").source_id
    broken = registry.add("demo", "mastodon", "#lut", creds=Credentials(), every_seconds=900, api_base=bad,
                          label=None, actor="t").source_id
    return ok, broken


def test_the_local_collect_job_runs_the_due_sources_in_the_runtime(tmp_path: Path) -> None:
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    with FakeMastodon([status(n) for n in range(1, 4)]) as good, FakeMastodon([], token="needed") as bad:
        ok, broken = _sources(store, tmp_path / "keys", good.base, bad.base)
        app = create_app(store, keys_dir=tmp_path / "keys", background=False)
        app.state.local_token = "s3cret"
        with TestClient(app) as client:
            client.headers[LOCAL_HEADER] = "s3cret"
            job = client.post("/api/local/jobs", json={"kind": "collect", "workspace": "", "user": "ops"}).json()
            for _ in range(600):
                job = client.get(f"/api/local/jobs/{job['id']}").json()
                if job["status"] not in ("queued", "running"):
                    break
                time.sleep(0.05)
    runs = {r["source_id"]: r for r in job["result"]["runs"]}
    assert (job["status"], job["user"]) == ("done", "cli:ops")
    assert (runs[ok]["status"], runs[ok]["fetched"], runs[ok]["stored"]) == ("ok", 3, 3)
    assert runs[broken]["status"] == "failed" and "refused the credentials (HTTP 401)" in runs[broken]["error"]


@pytest.mark.slow
def test_collect_once_is_handed_over_to_a_running_server_with_the_same_summary_and_exit_code(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    env = {**os.environ, "COLUMNS": "200", "CIVICPULSE_WAIT": "60"}
    with FakeMastodon([status(n) for n in range(1, 4)]) as good, FakeMastodon([], token="needed") as bad:
        store = DuckDBStore(str(db))
        ok, broken = _sources(store, Path(f"{db}.keys"), good.base, bad.base)
        store.close()
        with (tmp_path / "serve.log").open("w") as log:
            server = subprocess.Popen([str(CLI), "--db", str(db), "serve", "--port", "0", "--log-level", "warning"],
                                      stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 60
            while live_server(str(db)) is None:
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
            once = subprocess.run([str(CLI), "--db", str(db), "collect", "--once", "--now"], capture_output=True,
                                  text=True, env=env, timeout=120)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    assert once.returncode == 2, once.stderr
    assert "handing this over" in once.stderr
    lines = {line.split("│")[1].strip(): line for line in once.stdout.splitlines() if line.count("│") > 5}
    assert " ok " in lines[ok] and " failed " in lines[broken]
    assert f"{broken} (mastodon): 127.0.0.1 refused the credentials (HTTP 401)" in once.stderr

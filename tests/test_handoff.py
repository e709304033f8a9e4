"""The hand-off file, waiting for a busy store, and the server's /api/local routes (in-process, fast)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.handoff import (
    LOCAL_HEADER,
    HandoffError,
    ServerInfo,
    acquire,
    handoff_path,
    live_server,
    lock_holder,
    publish,
    read_server,
    shown,
    withdraw,
)
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.app import create_app

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "mastodon" / "public_timeline.json"
LOCK_MESSAGE = ('IO Error: Could not set lock on file "/x.duckdb": Conflicting lock is held in /usr/bin/python3.11 '
                "(PID 4242). See also https://duckdb.org/docs/current/connect/concurrency")


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_handoff_file_is_private_and_only_its_writer_removes_it(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    ours = publish(db, ServerInfo("http://127.0.0.1:1", os.getpid(), "secret"))
    assert stat.S_IMODE(handoff_path(db).stat().st_mode) == 0o600
    assert read_server(db) == ours
    withdraw(db, ServerInfo(ours.url, ours.pid, "another server's"))
    assert handoff_path(db).exists()
    withdraw(db, ours)
    assert not handoff_path(db).exists() and read_server(db) is None


@pytest.mark.parametrize("pid", [dead_pid(), os.getpid()], ids=["process gone", "url not answering"])
def test_stale_handoff_files_are_ignored(tmp_path: Path, pid: int) -> None:
    db = str(tmp_path / "s.duckdb")
    publish(db, ServerInfo("http://127.0.0.1:9", pid, "t"))  # port 9 (discard) is closed here
    assert live_server(db, timeout=1) is None
    store = acquire(db, wait=0)
    assert isinstance(store, DuckDBStore)
    store.close()


def test_lock_conflicts_are_told_apart_from_other_errors() -> None:
    assert lock_holder(RuntimeError(LOCK_MESSAGE)) == 4242
    assert lock_holder(RuntimeError('Could not set lock on file "/x"')) == 0
    assert lock_holder(RuntimeError("Catalog Error: Table with name posts does not exist")) is None


def hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the store read-write, as a CLI ingest would."""
    proc = subprocess.Popen([sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); "
                             f"print('held', flush=True); time.sleep({seconds})"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_acquire_waits_for_the_other_process_then_opens(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    holder = hold(db, 1.5)
    said: list[str] = []
    started = time.monotonic()
    store = acquire(str(db), wait=30, say=said.append)
    assert isinstance(store, DuckDBStore) and time.monotonic() - started > 0.5
    store.close()
    assert said[0].startswith(f"waiting for another civicpulse process (pid {holder.pid}) to release {db}")
    assert said[-1] == f"{db} is free now; going on"
    holder.wait()


def test_acquire_gives_up_after_the_wait_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    holder = hold(db, 30)
    try:
        with pytest.raises(HandoffError, match=r"still in use by another civicpulse process \(pid \d+\) after 0 s"):
            acquire(str(db), wait=0.2)
    finally:
        holder.kill()
        holder.wait()


# --- the server's side ------------------------------------------------------------------------------------
@pytest.fixture
def local(tmp_path: Path):
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    app = create_app(store, keys_dir=tmp_path / "keys", background=False)
    app.state.local_token = "s3cret"
    with TestClient(app) as client:
        client.headers[LOCAL_HEADER] = "s3cret"
        yield client, tmp_path


def finished(client: TestClient, job: dict) -> dict:
    for _ in range(600):
        job = client.get(f"/api/local/jobs/{job['id']}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['status']}")


def test_local_routes_need_the_secret_and_stay_out_of_openapi(local) -> None:
    client, _ = local
    for headers in ({LOCAL_HEADER: ""}, {LOCAL_HEADER: "s3cre"}, {LOCAL_HEADER: "s3cret "}):
        assert client.get("/api/local/stats", headers=headers).status_code == 403
    assert client.get("/api/local/stats").json()["posts"] == 0
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/api/local")]


def test_local_ingest_job_lands_posts_and_reports_like_the_cli(local) -> None:
    client, tmp = local
    bad = tmp / "bad.jsonl"
    bad.write_text('{"text": "no id"}\n', encoding="utf-8")
    rejects = tmp / "rejects.jsonl"
    job = client.post("/api/local/jobs", json={
        "kind": "ingest", "workspace": "demo", "user": "ops", "keys_dir": str(tmp / "keys"), "analyze": False,
        "paths": [str(DEMO), str(bad)], "names": ["demo.json", "bad.jsonl"], "rejects": str(rejects)})
    assert job.status_code == 202, job.text
    done = finished(client, job.json())
    assert done["status"] == "done" and done["user"] == "cli:ops" and "paths" not in done["params"]
    files = {f["file"]: f for f in done["result"]["files"]}
    assert files["demo.json"]["stored"] == 90 and files["bad.jsonl"]["rejected"] == 1
    assert files["bad.jsonl"]["messages"] and "analysis" not in done["result"]
    assert rejects.read_text(encoding="utf-8").count("\n") == 1
    assert client.get("/api/local/stats", params={"workspace": "demo"}).json()["posts"] == 90


def test_local_jobs_are_refused_with_reasons(local) -> None:
    client, tmp = local
    base = {"kind": "ingest", "workspace": "demo", "user": "ops", "paths": [str(DEMO)]}
    cases = [({"paths": ["data/demo.json"]}, 422, "absolute path"),
             ({"keys_dir": str(tmp / "other-keys")}, 409, "same --keys-dir"),
             ({"workspace": "../etc"}, 422, "invalid workspace name"),
             ({"kind": "analyze", "workspace": "nowhere"}, 404, "no workspace 'nowhere'"),
             ({"kind": "analyze", "mode": "turbo"}, 422, "mode 'turbo'")]
    for change, status, reason in cases:
        response = client.post("/api/local/jobs", json={**base, **change})
        assert response.status_code == status and reason in response.json()["detail"], response.text
    assert client.get("/api/local/jobs/nope").status_code == 404


def test_a_job_interrupted_by_a_stopping_server_is_left_to_the_cli() -> None:
    from civicpulse.cli_serve import _follow
    from civicpulse.handoff import ServerGone

    class Stopping:  # the server answers once more, with the job it dropped while shutting down
        def job(self, job_id: str) -> dict:
            return {"id": job_id, "kind": "ingest", "status": "interrupted", "phase": "", "done": 0, "total": None,
                    "error": "the server stopped before this job ran"}

    queued = {"id": "j1", "kind": "ingest", "status": "queued", "phase": "", "done": 0, "total": None}
    with pytest.raises(ServerGone, match="stopped before finishing this ingest"):
        _follow(Stopping(), queued, False, ())  # type: ignore[arg-type]


def test_a_postgresql_store_has_no_hand_off_file_and_messages_hide_its_password(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a URL taken for a path would make folders here
    url = "postgresql://civicpulse:s3cret@db.internal:5432/city"
    info = ServerInfo("http://127.0.0.1:1", os.getpid(), "token")
    assert publish(url, info) == info and read_server(url) is None
    withdraw(url, info)
    assert list(tmp_path.iterdir()) == []
    assert shown(url) == "postgresql://***@db.internal:5432/city" and shown("store.duckdb") == "store.duckdb"


def test_serving_a_postgresql_store_needs_a_named_key_folder(run_cli) -> None:
    result = run_cli("serve", db_path="postgresql://civicpulse:s3cret@127.0.0.1:9/city")  # type: ignore[arg-type]
    assert result.code != 0 and "--keys-dir" in result.stderr and "s3cret" not in result.stderr

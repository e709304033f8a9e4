"""`civicpulse serve` and the CLI sharing one DuckDB file, with real processes in every order of starting them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest

from civicpulse.accounts import Accounts
from civicpulse.handoff import LocalClient, ServerInfo, handoff_path, live_server, publish
from civicpulse.store.duckdb_store import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("civicpulse")
DEMO = ROOT / "data" / "demo" / "mastodon" / "public_timeline.json"  # 100 records: 90 posts, 38 authors
PASSWORD = "correct horse battery"
LOCK_ERRORS = ("database is locked", "Could not set lock", "Conflicting lock", "Traceback")
pytestmark = pytest.mark.slow  # real processes: a server, CLI runs, the models loaded in each
ENV = {**os.environ, "COLUMNS": "200", "CIVICPULSE_WAIT": "60"}


def cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(CLI), "--db", str(db), *args], input=stdin, capture_output=True, text=True,
                            env=ENV, timeout=120, cwd=db.parent)
    assert not any(e in result.stdout + result.stderr for e in LOCK_ERRORS), result.stderr
    return result


def start(db: Path, log: Path, *args: str, stdin: int | None = None, env: dict | None = None) -> subprocess.Popen:
    """A long-running command; output goes to a file so that a full pipe never blocks it."""
    with log.open("w") as fh:
        return subprocess.Popen([str(CLI), "--db", str(db), *args], stdin=stdin, stdout=fh,
                                stderr=subprocess.STDOUT, env=env or ENV, cwd=db.parent, text=True)


def until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def serve(db: Path, log: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    proc = start(db, log, "serve", "--port", "0", "--log-level", "warning", env=env)
    server = until(lambda: proc.poll() is None and live_server(str(db)), f"the server ({log.read_text()})")
    return proc, server.url


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def locked(db: Path) -> bool:
    """Whether another process holds the store (probing may take the lock for an instant: others then wait)."""
    try:
        duckdb.connect(str(db), read_only=True).close()
    except duckdb.IOException as exc:
        return "lock" in str(exc)
    return False


def owner_before_start(db: Path) -> None:
    assert cli(db, "workspaces", "create", "demo").returncode == 0
    assert cli(db, "users", "create", "alice", stdin=PASSWORD + "\n").returncode == 0
    assert cli(db, "workspaces", "grant", "demo", "alice", "--role", "owner").returncode == 0


def test_server_running_ingest_and_analyze_are_handed_over(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    owner_before_start(db)
    publish(str(db), ServerInfo("http://127.0.0.1:9", 999_999, "stale"))  # a crashed server's leftover
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no id, no time"}\n', encoding="utf-8")
    proc, url = serve(db, tmp_path / "serve.log")
    try:
        ingest = cli(db, "ingest", str(DEMO), "-w", "demo", "--no-progress")
        assert ingest.returncode == 0, ingest.stderr
        assert "handing this over" in ingest.stderr
        assert "public_timeline.json │ mastodon │  100 │     90" in ingest.stdout

        rejected = cli(db, "ingest", str(bad), "-w", "demo", "--no-progress", "--rejects", "r.jsonl")
        assert rejected.returncode == 2, rejected.stderr
        assert "details in r.jsonl" in rejected.stderr and (tmp_path / "r.jsonl").stat().st_size > 0

        analyze = cli(db, "analyze", "-w", "demo", "--mode", "fast", "--no-progress")
        assert analyze.returncode == 0, analyze.stderr
        assert "analyzed 90 of 90 waiting posts" in analyze.stdout

        held = cli(db, "users", "create", "bob", stdin=PASSWORD + "\n")  # cannot be handed over: says why, fast
        assert held.returncode == 1 and f"in use by the civicpulse server at {url}" in held.stderr

        with httpx.Client(base_url=url) as web:
            assert web.post("/api/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
            page = web.get("/api/w/demo/posts", params={"page_size": 5}).json()
        assert page["total"] == 90 and all(p["sentiment"] for p in page["posts"])
        assert "posts: 90" in cli(db, "stats", "-w", "demo").stdout
    finally:
        assert stop(proc) == 0


def test_server_started_during_an_ingest_waits_then_serves(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    # The ingest reads stdin, so it holds the store for exactly as long as the test keeps the pipe open.
    ingest = start(db, tmp_path / "ingest.log", "ingest", "-", "-w", "demo", "--no-progress", stdin=subprocess.PIPE)
    ingest.stdin.write(DEMO.read_text(encoding="utf-8"))
    ingest.stdin.flush()
    until(lambda: db.exists() and locked(db), "the ingest to hold the store")
    log = tmp_path / "serve.log"
    proc = start(db, log, "serve", "--port", "0", "--log-level", "warning")
    try:
        until(lambda: "waiting for another civicpulse process" in log.read_text(), "the server to wait")
        assert live_server(str(db)) is None
        ingest.stdin.close()
        assert ingest.wait(timeout=60) == 0, (tmp_path / "ingest.log").read_text()
        until(lambda: live_server(str(db)), "the server to serve")
        stats = cli(db, "stats", "-w", "demo")
        assert "posts: 90" in stats.stdout  # answered by the server: the store is its own now
    finally:
        assert stop(proc) == 0
    assert not any(e in log.read_text() for e in LOCK_ERRORS)


def test_two_ingests_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    first = start(db, tmp_path / "first.log", "ingest", "-", "-w", "one", "--no-progress", stdin=subprocess.PIPE)
    until(lambda: db.exists() and locked(db), "the first ingest to hold the store")
    second_log = tmp_path / "second.log"
    second = start(db, second_log, "ingest", str(DEMO), "-w", "two", "--no-progress")
    until(lambda: "waiting for another civicpulse process" in second_log.read_text(), "the second to wait")
    first.communicate(DEMO.read_text(encoding="utf-8"), timeout=60)
    assert first.returncode == 0 and second.wait(timeout=60) == 0
    for log in ("first.log", "second.log"):
        assert not any(e in (tmp_path / log).read_text() for e in LOCK_ERRORS)
    stats = cli(db, "stats")
    assert "workspace: one 90, two 90" in stats.stdout


def test_sigterm_stops_the_server_cleanly_even_mid_job(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    assert cli(db, "ingest", str(DEMO), "-w", "demo", "--no-progress").returncode == 0
    proc, _ = serve(db, tmp_path / "serve.log")
    analyze = start(db, tmp_path / "analyze.log", "analyze", "-w", "demo", "--mode", "fast", "--no-progress")
    until(lambda: "handing this over" in (tmp_path / "analyze.log").read_text(), "the hand-over")
    started = time.monotonic()
    assert stop(proc) == 0
    assert time.monotonic() - started < 20
    assert not handoff_path(str(db)).exists()
    # The job in hand was finished or, if the server left first, the CLI carried on by itself: either way done.
    assert analyze.wait(timeout=60) == 0, (tmp_path / "analyze.log").read_text()
    after = cli(db, "analyze", "-w", "demo", "--mode", "fast", "--no-progress")
    assert after.returncode == 0 and "analyzed 0 of 0" in after.stdout and "handing" not in after.stderr


def test_serve_on_a_busy_port_fails_clearly_and_lets_go(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = cli(db, "serve", "--port", str(busy.getsockname()[1]), "--log-level", "critical")
    assert result.returncode == 1 and "could not start" in result.stderr
    assert not handoff_path(str(db)).exists()
    assert cli(db, "stats").returncode == 0


def statuses(n: int) -> bytes:
    """Mastodon statuses as JSON lines: each line is a document, so an import commits every batch of them."""
    return b"\n".join(json.dumps({
        "id": str(i), "uri": f"https://social.example/users/u{i % 40}/statuses/{i}",
        "url": f"https://social.example/@u{i % 40}/{i}", "created_at": "2026-11-03T08:00:00.000Z",
        "in_reply_to_id": None, "language": "vi", "content": f"<p>Kẹt xe ở Cầu Giấy lần {i}</p>", "spoiler_text": "",
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "reblog": None,
        "account": {"id": str(i % 40), "username": f"u{i % 40}", "acct": f"u{i % 40}@social.example"}}).encode()
        for i in range(n))


@contextmanager
def signed_in(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as web:
        login = web.post("/api/login", json={"username": "alice", "password": PASSWORD})
        assert login.status_code == 200, login.text
        web.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield web


def test_kill_9_mid_import_then_restart_interrupts_cleans_and_analyzes_what_landed(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with DuckDBStore(str(db)) as store:  # in this process: quicker than three CLI runs
        store.ensure_workspace("demo")
        Accounts(store).create_user("alice", PASSWORD)
        Accounts(store).grant("demo", "alice", "owner")
    env = {**ENV, "CIVICPULSE_IMPORT_BATCH": "50"}  # commits every 50 posts: some land long before the end
    proc, url = serve(db, tmp_path / "serve.log", env)
    try:
        with signed_in(url) as web:
            sent = web.post("/api/w/demo/imports", files={"files": ("big.jsonl", statuses(20_000), "application/json")})
            assert sent.status_code == 202, sent.text
            job_id = sent.json()["id"]
            local = LocalClient(live_server(str(db)))
            until(lambda: local.stats("demo")["posts"] > 0, "the first posts to land", timeout=60)
            running = web.get(f"/api/w/demo/jobs/{job_id}").json()
            assert running["status"] == "running" and running["phase"].startswith("importing")
    finally:
        proc.kill()  # SIGKILL: no shutdown hook runs
        proc.wait(timeout=30)
    uploads = Path(f"{db}.uploads")
    assert [p for p in uploads.rglob("*") if p.is_file()]  # what the dead server left behind

    proc, url = serve(db, tmp_path / "restart.log", env)
    try:
        with signed_in(url) as web:
            job = web.get(f"/api/w/demo/jobs/{job_id}").json()
            assert job["status"] == "interrupted" and "posts stored until then are kept" in job["error"]
            assert not [p for p in uploads.rglob("*") if p.is_file()]
            (analysis,) = [j for j in web.get("/api/w/demo/jobs").json() if j["kind"] == "analyze"]
            analysis = until(lambda: (j := web.get(f"/api/w/demo/jobs/{analysis['id']}").json())["status"]
                             not in ("queued", "running") and j, "the analysis of what landed", timeout=60)
            landed = LocalClient(live_server(str(db))).stats("demo")["posts"]
            assert analysis["status"] == "done" and analysis["result"]["analyzed"] == landed
            assert 0 < landed < 20_000 and landed % 50 == 0  # whole batches, nothing half-written

            # The same upload again: what landed is not stored twice (only its first 300 posts, to stay quick).
            again = web.post("/api/w/demo/imports", files={"files": ("big.jsonl", statuses(300), "application/json")})
            done = until(lambda: (j := web.get(f"/api/w/demo/jobs/{again.json()['id']}").json())["status"]
                         not in ("queued", "running") and j, "the second import", timeout=60)
            counts = done["result"]["files"][0]
            assert done["status"] == "done" and counts["unchanged"] == min(landed, 300)
            assert LocalClient(live_server(str(db))).stats("demo")["posts"] == max(landed, 300)
    finally:
        assert stop(proc) == 0

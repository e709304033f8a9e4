"""The web app on a PostgreSQL store puts its jobs (here an owner's "apply retention now") in the shared queue:
with no job threads of its own (CIVICPULSE_JOB_THREADS=0) a separate worker runs them, and the app learns when
they finish (its view cache)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.runtime.job_handlers import make_handlers
from civicpulse.runtime.job_queue import QueueRunner
from civicpulse.store import open_store
from civicpulse.web import create_app

from .conftest import PASSWORD, sign_in


def test_a_web_process_without_job_threads_leaves_its_jobs_to_a_worker(pg_cluster, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the app's folders sit beside the store's name
    monkeypatch.setenv("CIVICPULSE_JOB_THREADS", "0")
    url = pg_cluster.new_database()
    store = open_store(url)
    store.ensure_workspace("city")
    Accounts(store).create_user("alice", PASSWORD)
    Accounts(store).grant("city", "alice", "owner")
    app = create_app(store, keys_dir=tmp_path / "keys", background=False)
    ctx = app.state.ctx
    worker = QueueRunner(open_store(url), make_handlers(ctx.keys_dir, ctx.rejects_dir), threads=1, poll=0.1)
    with TestClient(app):
        client = sign_in(app, "alice")
        sent = client.post("/api/w/city/retention/apply")
        assert sent.status_code == 202, sent.text
        job_id = sent.json()["id"]
        time.sleep(1.0)
        assert client.get(f"/api/w/city/jobs/{job_id}").json()["status"] == "queued"  # no thread here runs it
        worker.start()
        try:
            finished = ctx.jobs.wait(ctx.jobs.find(job_id), timeout=120)
        finally:
            worker.stop(30)
            worker.store.close()
        assert finished.status == "done", finished.error
        shown = client.get(f"/api/w/city/jobs/{job_id}").json()
        assert (shown["status"], shown["kind"], shown["error"]) == ("done", "retention", None)
        deadline = time.monotonic() + 10
        while not ctx.cache._versions.get("city") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ctx.cache._versions.get("city")  # the app cleared its cached views of the workspace

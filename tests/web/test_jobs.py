"""Jobs are recorded in the store: they outlive the process, a dead process's jobs show as interrupted, what an
interrupted import stored gets analyzed, and no upload outlives its job. Uploads are capped while streaming."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.runtime.jobs import Job, JobRunner, WorkspaceBusy, public_error
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.store.web_sql import GET_JOB, INSERT_JOB
from civicpulse.web import create_app
from civicpulse.web.uploads import UploadLimits

from .conftest import PASSWORD, sign_in


def statuses(n: int, prefix: str = "7") -> bytes:
    return json.dumps([{
        "id": f"{prefix}{i}", "uri": f"https://social.example/users/u{i % 12}/statuses/{prefix}{i}",
        "url": f"https://social.example/@u{i % 12}/{prefix}{i}", "created_at": "2026-11-03T08:00:00.000Z",
        "in_reply_to_id": None, "language": "vi", "content": f"<p>Kẹt xe ở Cầu Giấy lần {i}</p>", "spoiler_text": "",
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "reblog": None,
        "account": {"id": str(i % 12), "username": f"u{i % 12}", "acct": f"u{i % 12}@social.example"}}
        for i in range(n)]).encode()


def small_store(path: Path) -> DuckDBStore:
    store = DuckDBStore(str(path))
    store.ensure_workspace("city")
    Accounts(store).create_user("alice", PASSWORD)
    Accounts(store).grant("city", "alice", "owner")
    return store


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_jobs_outlive_the_server_and_a_dead_servers_jobs_are_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "jobs.duckdb"
    app = create_app(small_store(db), background=False)
    with TestClient(app):
        client = sign_in(app, "alice")
        sent = client.post("/api/w/city/imports", files={"files": ("a.json", statuses(20), "application/json")})
        finished = app.state.ctx.jobs.wait(app.state.ctx.jobs.find(sent.json()["id"]), timeout=120)
        assert finished.status == "done", finished.error
    # What a process killed mid-import leaves: its jobs running/queued in the store, uploads on disk, and the
    # posts it stored before dying (not analyzed yet).
    store = DuckDBStore(str(db))
    uploads = Path(f"{db}.uploads") / "city"
    running = Job("ingest", "city", "alice", {"paths": [str(uploads / "r1" / "000-big.json")], "names": ["big.json"],
                                              "uploaded": str(uploads / "r1")}, status="running", done=10, total=99)
    queued = Job("ingest", "city", "alice", {"paths": [str(uploads / "q1" / "000-next.json")],
                                             "names": ["next.json"], "uploaded": str(uploads / "q1")})
    for job in (running, queued):
        store.execute(INSERT_JOB, job.row())
        Path(job.params["paths"][0]).parent.mkdir(parents=True)
        Path(job.params["paths"][0]).write_bytes(statuses(5))
    (uploads / "partial").mkdir()
    (uploads / "partial" / "000-cut.json").write_bytes(b"[{")  # a request cut off mid-transfer
    from civicpulse.ingest.pipeline import Ingestor
    from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
    from civicpulse.ingest.rejects import RejectWriter

    landed = tmp_path / "landed.json"
    landed.write_bytes(statuses(15, prefix="8"))
    Ingestor(store, "city", Pseudonymizer(KeyStore(f"{db}.keys").load("city")),
             RejectWriter(tmp_path / "r.jsonl")).ingest(str(landed))

    app = create_app(store, background=False)
    with TestClient(app):
        client = sign_in(app, "alice")
        assert client.get(f"/api/w/city/jobs/{finished.id}").json()["result"]["files"][0]["stored"] == 20
        crashed = client.get(f"/api/w/city/jobs/{running.id}").json()
        assert crashed["status"] == "interrupted" and crashed["finished_at"]
        assert "posts stored until then are kept and are being analyzed" in crashed["error"]
        assert "upload the files again" in crashed["error"]
        never_ran = client.get(f"/api/w/city/jobs/{queued.id}").json()
        assert never_ran["status"] == "interrupted" and "before this import started" in never_ran["error"]
        assert not files_under(uploads.parent)  # raw uploads (author names inside) are gone
        listed = client.get("/api/w/city/jobs").json()
        (resumed,) = [j for j in listed if j["kind"] == "analyze"]
        assert resumed["params"] == {"resumes": running.id} and resumed["id"] in crashed["error"]
        done = app.state.ctx.jobs.wait(app.state.ctx.jobs.find(resumed["id"]), timeout=120)
        assert done.status == "done" and done.result["analyzed"] == 15  # exactly the posts that landed
    assert stat.S_IMODE(uploads.parent.stat().st_mode) == 0o700


def test_uploads_are_private_files_deleted_if_the_job_never_runs(tmp_path: Path) -> None:
    app = create_app(small_store(tmp_path / "s.duckdb"), background=False)
    client = sign_in(app, "alice")  # no lifespan: the worker is not started, so the upload waits in the queue
    sent = client.post("/api/w/city/imports", files=[("files", ("a.json", statuses(3), "application/json")),
                                                     ("files", ("../../b.json", statuses(2), "application/json"))])
    assert sent.status_code == 202, sent.text
    uploads = app.state.ctx.uploads_dir
    paths = files_under(uploads)
    assert sorted(p.name for p in paths) == ["000-a.json", "001-b.json"]  # the client's path is not trusted
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o700 for d in (uploads, paths[0].parent.parent, paths[0].parent))
    app.state.ctx.jobs.stop(timeout=1)  # a shutdown drops queued jobs: interrupted, upload deleted
    job = Job.from_row(app.state.ctx.store.query(GET_JOB, [sent.json()["id"]])[0])
    assert job.status == "interrupted" and "upload them again" in job.error
    assert not files_under(uploads)


@pytest.fixture
def capped(app, monkeypatch):
    monkeypatch.setattr(app.state.ctx, "upload_limits", UploadLimits(max_bytes=64 * 1024, max_files=2))
    return app.state.ctx.uploads_dir


def test_uploads_over_the_caps_are_refused_and_leave_nothing(server, app, capped) -> None:
    client = sign_in(app, "arun")
    big = ("big.json", b"[" + b" " * 100_000 + b"]", "application/json")
    refused = client.post("/api/w/city/imports", files={"files": big})
    assert refused.status_code == 413
    assert "larger than 65536 bytes (CIVICPULSE_UPLOAD_MAX_MB)" in refused.json()["detail"]
    three = [("files", (f"{i}.json", statuses(1), "application/json")) for i in range(3)]
    too_many = client.post("/api/w/city/imports", files=three)
    assert too_many.status_code == 413 and "at most 2" in too_many.json()["detail"]
    # Without a Content-Length the cap is checked as the bytes arrive.
    boundary = "cpboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"s.json\"\r\n"
            "Content-Type: application/json\r\n\r\n").encode()

    def body():
        yield head
        for _ in range(40):
            yield b" " * 4096

    streamed = client.post("/api/w/city/imports", content=body(),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert streamed.status_code == 413, streamed.text
    assert client.post("/api/w/city/imports", data={"format": "mastodon"}, files={}).status_code in (400, 422)
    assert client.post("/api/w/city/imports", json={"files": []}).status_code == 400
    assert not files_under(capped)


def test_a_bad_format_name_is_refused_and_its_upload_deleted(server, app) -> None:
    client = sign_in(app, "arun")
    sent = client.post("/api/w/city/imports", data={"format": "nope"},
                       files={"files": ("a.json", statuses(1), "application/json")})
    assert sent.status_code == 400 and "nope" in sent.text
    assert not files_under(app.state.ctx.uploads_dir)


def test_a_workspace_being_deleted_takes_no_job_and_one_with_a_job_is_not_deleted(tmp_path: Path) -> None:
    store = small_store(tmp_path / "s.duckdb")
    runner = JobRunner(store, {"noop": lambda db, job: {}})  # not started: submitted jobs stay queued
    job = runner.submit("noop", "city", "alice")
    with pytest.raises(WorkspaceBusy, match=job.id), runner.exclusive("city"):
        pass
    with runner.exclusive("other"), pytest.raises(WorkspaceBusy, match="being deleted"):
        runner.submit("noop", "other", "alice")
    assert runner.submit("noop", "other", "alice").status == "queued"  # once the deletion is over


def test_errors_shown_to_users_carry_no_server_paths() -> None:
    params = {"paths": ["/srv/cp/db.uploads/city/ab12/000-x.json"], "names": ["x.json"]}
    message = public_error(FileNotFoundError("no such file: /srv/cp/db.uploads/city/ab12/000-x.json and "
                                             "/var/lib/civicpulse/keys/city.key"), params)
    assert message == "FileNotFoundError: no such file: x.json and city.key"

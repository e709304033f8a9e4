"""Retention and deletion through the API: expired posts go with their analysis, the audit log and rejects files
are purged past the instance's settings, and deleting a workspace leaves no row, key or file of it behind."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from civicpulse.accounts import Accounts
from civicpulse.alerts import AlertService
from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.collect.base import Credentials
from civicpulse.collect.credentials import CredentialBox
from civicpulse.collect.sources import SourceRegistry
from civicpulse.ingest.pseudonymize import KeyStore
from civicpulse.runtime.scheduler import Scheduler
from civicpulse.schema import Deletion, Kind, Post

from .conftest import sign_in
from .test_jobs import statuses


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def wait_job(app, client, job: dict, path: str = "/api/w/{ws}/jobs/{id}") -> dict:
    found = app.state.ctx.jobs.find(job["id"])
    app.state.ctx.jobs.wait(found, timeout=120)
    answer = client.get(path.format(ws=job["workspace"], id=job["id"])).json()
    assert answer["status"] == "done", answer
    return answer


def count(store, table: str, workspace: str) -> int:
    return store.query(f'SELECT count(*) FROM "{table}" WHERE workspace = ?', [workspace])[0][0]


def test_workspace_retention_expires_old_posts_and_their_analysis(server, app, app_store) -> None:
    app_store.ensure_workspace("aging")
    Accounts(app_store).grant("aging", "alice", "owner")
    Accounts(app_store).grant("aging", "vera", "viewer")
    owner = sign_in(app, "alice")
    now = _now()
    posts = [Post("mastodon", f"{age}-{i}", Kind.POST, f"Kẹt xe ở Cầu Giấy, Hà Nội {i}", now - timedelta(days=age),
                  "mastodon", author_key=f"1.a{i:018x}") for age in (100, 1) for i in range(12)]
    app_store.upsert_posts("aging", posts)
    enrich_workspace(app_store, "aging", Analyzer(mode="fast"), discover=False)
    app_store.apply_deletions("aging", [Deletion("mastodon", "100-0", "platform")])  # a tombstone, kept
    assert sign_in(app, "vera").put("/api/w/aging/retention", json={"days": 30}).status_code == 403
    assert owner.put("/api/w/aging/retention", json={"days": 0}).status_code == 422
    assert owner.put("/api/w/aging/retention", json={"days": 30}).json() == {"retention_days": 30}
    assert owner.get("/api/w/aging/settings").json()["retention_days"] == 30

    job = wait_job(app, owner, owner.post("/api/w/aging/retention/apply").json())
    assert job["result"]["retention"]["aging"]["posts"] == 11
    ids = {r[0] for r in app_store.query("SELECT post_id FROM posts WHERE workspace = 'aging' AND NOT deleted")}
    assert ids == {f"1-{i}" for i in range(12)}
    assert app_store.query("SELECT count(*) FROM posts WHERE workspace = 'aging' AND deleted")[0][0] == 1
    for table in ("post_analysis", "post_topics", "post_terms"):
        assert not app_store.query(f"SELECT post_id FROM {table} WHERE workspace = 'aging' AND post_id LIKE '100-%'")
    assert count(app_store, "post_analysis", "aging") == 12
    audit = [e for e in app_store.audit_entries("aging") if e["action"] == "retention.apply"]
    assert "posts=11" in audit[-1]["detail"] and audit[-1]["actor"] == "alice"
    # Importing an expired post again does not bring it back.
    old = statuses(1, prefix="9").replace(b"2026-11-03T08:00:00.000Z",
                                          (now - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S.000Z").encode())
    sent = owner.post("/api/w/aging/imports", files={"files": ("old.json", old, "application/json")}).json()
    assert wait_job(app, owner, sent)["result"]["expired"]["posts"] == 1
    assert not app_store.query("SELECT 1 FROM posts WHERE workspace = 'aging' AND post_id = '90'")
    assert owner.put("/api/w/aging/retention", json={"days": None}).json() == {"retention_days": None}


def test_audit_log_and_rejects_retention_run_as_the_daily_maintenance(server, app, app_store) -> None:
    root, owner = sign_in(app, "root"), sign_in(app, "alice")
    assert owner.get("/api/admin/retention").status_code == 403
    assert root.get("/api/admin/retention").json() == {"audit_days": 365, "rejects_days": 30}
    assert root.put("/api/admin/retention", json={"audit_days": 0}).status_code == 422
    assert root.put("/api/admin/retention", json={"audit_days": 90}).json() == {"audit_days": 90, "rejects_days": 30}
    app_store.audit("someone", "city", "view.overview", "ancient")
    app_store.execute("UPDATE audit_log SET logged_at = ? WHERE detail = 'ancient'", [_now() - timedelta(days=91)])
    rejects = app.state.ctx.rejects_dir
    rejects.mkdir(exist_ok=True)
    old, fresh = rejects / "city-20250101T000000.jsonl", rejects / "city-20261201T000000.jsonl"
    for path in (old, fresh):
        path.write_text("{}\n")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    recent_rows = len(app_store.audit_entries())

    job = wait_job(app, root, root.post("/api/admin/retention/apply").json(), "/api/admin/jobs/{id}")
    assert job["result"]["audit_rows"] == 1 and job["result"]["rejects"]["files"] == 1
    assert not old.exists() and fresh.exists()
    entries = app_store.audit_entries()
    assert not [e for e in entries if e["detail"] == "ancient"] and len(entries) >= recent_rows
    purge = [e for e in entries if e["action"] == "audit.purge"][-1]
    assert purge["workspace"] is None and purge["detail"] == "older_than_days=90 rows=1"
    assert root.put("/api/admin/retention", json={"audit_days": 365}).status_code == 200


def test_the_scheduler_queues_the_maintenance_once_a_day(app_store) -> None:
    calls = []
    scheduler = Scheduler(app_store, daily=lambda: calls.append(1))
    scheduler.tick()
    scheduler.tick()
    assert calls == [1]
    scheduler._daily_due = time.monotonic() - 1  # a day later
    scheduler.tick()
    assert calls == [1, 1]


def test_deleting_a_workspace_leaves_nothing_of_it(server, app, app_store) -> None:
    root, owner = sign_in(app, "root"), sign_in(app, "alice")
    assert root.post("/api/admin/workspaces", json={"name": "doomed", "owner": "alice"}).status_code == 201
    assert root.put("/api/w/doomed/members", json={"username": "vera", "role": "viewer"}).status_code == 404
    assert owner.put("/api/w/doomed/members", json={"username": "vera", "role": "viewer"}).status_code == 200
    bad = b'[{"id": "x"}]'
    sent = owner.post("/api/w/doomed/imports", files=[("files", ("a.json", statuses(30), "application/json")),
                                                      ("files", ("bad.json", bad, "application/json"))]).json()
    imported = wait_job(app, owner, sent)
    assert imported["result"]["rejects_file"]
    query = owner.post("/api/w/doomed/queries", json={"name": "jams", "query": "kẹt xe"}).json()
    assert owner.post("/api/w/doomed/alerts/rules", json={"name": "busy", "metric": "volume", "threshold": 1,
                                                          "query_id": query["query_id"]}).status_code == 201
    # 10:00 UTC is 17:00 on 3 November in Vietnam (the workspace's zone): the day of the 08:00 UTC posts.
    assert AlertService(app_store).evaluate("doomed", now=datetime(2026, 11, 3, 10))
    assert owner.post("/api/w/doomed/digests", json={"name": "d", "frequency": "daily",
                                                     "recipients": ["a@example.org"]}).status_code == 201
    post = owner.get("/api/w/doomed/posts").json()["posts"][0]
    assert owner.put(f"/api/w/doomed/posts/{post['platform']}/{post['post_id']}/labels",
                     json={"task": "emotion", "label": "anger"}).status_code == 200
    app_store.put_setting("taxonomies", "doomed", "{}")
    app_store.put_setting("discovery_state", "doomed", "{}")
    app_store.put_workspace_model("doomed", "sentiment", b"model", "{}")
    # A write since the last compaction of the day rollups: a dirty hour (store/day_rollups_sql.py).
    app_store.execute("INSERT INTO rollup_dirty_hours VALUES ('doomed', TIMESTAMP '2026-11-03 08:00:00')")
    app_store.execute("INSERT INTO data_versions VALUES ('doomed', 7)")  # kept by PostgreSQL stores only
    # A collection source with its cursor and a run: rows keyed by the source, not by the workspace.
    sources = SourceRegistry(app_store, CredentialBox(app.state.ctx.keys_dir))
    source = sources.add("doomed", "mastodon", "#ngapnuoc", creds=Credentials(), every_seconds=900,
                         api_base="http://127.0.0.1:9", label=None, actor="alice")
    sources.save_cursor(source.source_id, {"min_id": "7"})
    sources.start_run("run-doomed", source.source_id, datetime(2026, 11, 3, 20))
    by_source = ("SELECT (SELECT count(*) FROM collect_cursors WHERE source_id = ?) + "
                 "(SELECT count(*) FROM collect_runs WHERE source_id = ?)")
    assert app_store.query(by_source, [source.source_id] * 2)[0][0] == 2
    keys, uploads = app.state.ctx.keys_dir, app.state.ctx.uploads_dir
    KeyStore(keys).rotate("doomed")  # the current key and a retired one
    (uploads / "doomed" / "leftover").mkdir(parents=True)
    (uploads / "doomed" / "leftover" / "000-x.json").write_text("[]")
    tables = app_store.workspace_tables()
    assert {"posts", "post_analysis", "jobs", "audit_log", "memberships", "alert_events"} <= set(tables)
    # Every table that can hold a workspace's rows holds some now, so the check below covers each of them.
    assert [t for t in tables if not count(app_store, t, "doomed")] == []
    files = sorted(p.name for p in [*keys.iterdir(), *app.state.ctx.rejects_dir.iterdir()] if "doomed" in p.name)
    assert len(files) == 3 and any(".retired" in f for f in files)
    other_posts = count(app_store, "posts", "other")

    assert owner.delete("/api/admin/workspaces/doomed").status_code == 403
    assert root.delete("/api/admin/workspaces/nowhere").status_code == 404
    done = root.delete("/api/admin/workspaces/doomed")
    assert done.status_code == 200, done.text
    assert done.json()["rows"]["posts"] == 30 and done.json()["files"] == 4

    assert [t for t in app_store.workspace_tables() if count(app_store, t, "doomed")] == []
    assert app_store.query(by_source, [source.source_id] * 2)[0][0] == 0
    assert app_store.get_workspace("doomed") is None
    assert not [p for p in [*keys.iterdir(), *app.state.ctx.rejects_dir.iterdir()] if "doomed" in p.name]
    assert not (uploads / "doomed").exists()
    assert count(app_store, "posts", "other") == other_posts
    (entry,) = [e for e in app_store.audit_entries() if e["action"] == "workspaces.delete"]
    assert entry["workspace"] is None and entry["actor"] == "root" and entry["detail"].startswith("doomed rows=")
    assert owner.get("/api/w/doomed/overview").status_code == 404
    assert owner.get(f"/api/w/doomed/jobs/{sent['id']}").status_code == 404

"""The sources API: roles, sealed credentials that never come back (nor reach the audit log), the per-person
refusal, the api_base policy, run now -> health and coverage, and the management verbs."""

from __future__ import annotations

import json

import pytest

from fake_mastodon import FakeMastodon, status

from .conftest import sign_in

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1"])
TOKEN = "mastodon-secret-token-123"


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("CIVICPULSE_COLLECT_ALLOW", "127.0.0.1")


@pytest.fixture(scope="module")
def instance():
    with FakeMastodon([status(n) for n in range(1, 6)], token=TOKEN) as fake:
        yield fake


def _new(instance, **extra) -> dict:
    return {"platform": "mastodon", "target": "#ngapnuoc", "every": "1h", "api_base": instance.base,
            "credentials": {"access_token": TOKEN}, **extra}


def test_an_analyst_adds_runs_and_reads_the_health_and_coverage_of_a_source(app, app_store, instance,
                                                                            loopback_allowed):
    arun = sign_in(app, "arun")
    added = arun.post("/api/w/city/sources", json=_new(instance))
    assert added.status_code == 201, added.text
    source = added.json()
    assert source["test"] == "ok: 5 items in the first page"
    assert TOKEN not in added.text and source["credential"].startswith("keys access_token sha256:")
    sealed = app_store.query("SELECT credentials FROM collect_sources WHERE source_id = ?", [source["id"]])[0][0]
    assert TOKEN not in sealed
    run = arun.post(f"/api/w/city/sources/{source['id']}/run")
    assert run.status_code == 202
    app.state.ctx.collection.drain(30)
    listed = {s["id"]: s for s in arun.get("/api/w/city/sources").json()}
    health = listed[source["id"]]["health"]
    assert (health["state"], health["last_run"]["fetched"], health["last_run"]["stored"]) == ("ok", 5, 5)
    assert health["error"] is None and health["next_run"] is not None
    coverage = arun.get("/api/w/city/sources/coverage?days=1").json()
    assert len(coverage["hours"]) == 24
    ours = next(s for s in coverage["sources"] if s["id"] == source["id"])
    assert sum(ours["stored"]) == 5 and sum(ours["fetched"]) == 5
    audit = json.dumps(app_store.audit_entries("city"), default=str)
    assert "sources.add" in audit and f"source={source['id']}" in audit and TOKEN not in audit


def test_viewers_read_health_only_and_non_members_see_nothing(app, instance, loopback_allowed):
    arun = sign_in(app, "arun")
    source = arun.post("/api/w/city/sources", json=_new(instance, test=False)).json()
    vera = sign_in(app, "vera")
    seen = {s["id"]: s for s in vera.get("/api/w/city/sources").json()}
    assert "health" in seen[source["id"]] and "credential" not in seen[source["id"]]
    assert vera.get("/api/w/city/sources/coverage").status_code == 200
    for method, path in (("post", ""), ("post", f"/{source['id']}/pause"), ("post", f"/{source['id']}/run"),
                         ("patch", f"/{source['id']}"), ("delete", f"/{source['id']}")):
        answer = getattr(vera, method)(f"/api/w/city/sources{path}", **({"json": {}} if method != "delete" else {}))
        assert answer.status_code == 403, (method, path, answer.text)
    assert sign_in(app, "olga").get("/api/w/city/sources").status_code == 404


def test_bad_credentials_per_person_targets_and_unknown_keys_are_refused_with_a_reason(app, instance,
                                                                                     loopback_allowed):
    arun = sign_in(app, "arun")
    wrong = arun.post("/api/w/city/sources", json=_new(instance, credentials={"access_token": "nope"}))
    assert wrong.status_code == 422 and "connection test failed" in wrong.json()["detail"]
    assert "nope" not in wrong.text
    person = arun.post("/api/w/city/sources", json=_new(instance, target="@lan_anh"))
    assert person.status_code == 422 and "per-person target" in person.json()["detail"]
    unknown = arun.post("/api/w/city/sources", json=_new(instance, credentials={"password": "x"}))
    assert unknown.status_code == 422 and "unknown credential keys password" in unknown.json()["detail"]
    tested = arun.post("/api/w/city/sources/test", json=_new(instance, credentials={"access_token": "nope"}))
    assert tested.json()["ok"] is False and "refused the credentials" in tested.json()["message"]


@pytest.mark.parametrize("base", ["http://127.0.0.1:9", "https://10.1.2.3", "http://169.254.169.254",
                                  "https://[::1]:443", "ftp://example.org"])
def test_the_server_does_not_fetch_internal_addresses_unless_allow_listed(app, base):
    answer = sign_in(app, "arun").post("/api/w/city/sources", json={
        "platform": "mastodon", "target": "#lut", "api_base": base, "test": False})
    assert answer.status_code == 422 and "api_base not allowed" in answer.json()["detail"]


def test_edit_pause_resume_and_delete_are_audited(app, app_store, instance, loopback_allowed):
    alice = sign_in(app, "alice")
    source = alice.post("/api/w/city/sources", json=_new(instance, test=False)).json()
    path = f"/api/w/city/sources/{source['id']}"
    edited = alice.patch(path, json={"target": "#lut", "every": "2h", "credentials": {"access_token": TOKEN}})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["target"], edited.json()["every"]) == ("#lut", "2h")
    assert alice.patch(path, json={"target": "from:someone"}).status_code == 422
    assert alice.post(f"{path}/pause").json()["health"]["state"] == "paused"
    assert alice.post(f"{path}/run").status_code == 409
    assert alice.post(f"{path}/resume").json()["paused"] is False
    assert alice.post(f"{path}/test").json() == {"ok": True, "message": "ok: 5 items in the first page"}
    assert alice.delete(path).json() == {"id": source["id"], "deleted": True}
    assert alice.get(path).status_code == 404
    actions = [e["action"] for e in app_store.audit_entries("city") if f"source={source['id']}" in e["detail"]]
    assert {"sources.add", "sources.edit", "sources.pause", "sources.resume", "sources.delete"} <= set(actions)
    assert TOKEN not in json.dumps(app_store.audit_entries("city"), default=str)

"""The taxonomy editor's API: bounded input with clear 413/422 answers, and retraining in a background job."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.analysis.taxonomy import default_taxonomy
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web import create_app
from civicpulse.web.api_config import MAX_PHRASE_LENGTH, MAX_TAXONOMY_BYTES, MAX_TOPICS

from .conftest import PASSWORD


def _records() -> list[dict]:
    return [{"id": t.id, "label_en": t.label_en, "label_vi": t.label_vi, "description": t.description,
             "examples": list(t.examples)} for t in default_taxonomy().topics]


def _analyst(app) -> TestClient:
    client = TestClient(app)
    response = client.post("/api/login", json={"username": "arun", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def _app(folder: Path):
    store = DuckDBStore(str(folder / "t.duckdb"))
    store.ensure_workspace("city")
    accounts = Accounts(store)
    accounts.create_user("arun", PASSWORD)
    accounts.grant("city", "arun", "analyst")
    return create_app(store, background=False)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    app = _app(Path(tmp_path_factory.mktemp("taxonomy")))
    yield app
    app.state.ctx.store.close()


@pytest.fixture(scope="module")
def idle(app) -> TestClient:
    """The app without its lifespan: the job runner never starts, so queued jobs stay queued."""
    return _analyst(app)


def test_the_request_only_queues_the_retraining(app, idle: TestClient) -> None:
    edited = _records()
    edited[0]["label_en"] = "Renamed"
    response = idle.put("/api/w/city/taxonomy", json=edited)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["status"]) == ("taxonomy", "queued")
    assert idle.get("/api/w/city/taxonomy").json()[0]["label_en"] != "Renamed"  # the job stores it, not the request


def test_the_job_stores_the_taxonomy(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app):  # the lifespan starts the job runner (and closes the store at the end)
        client = _analyst(app)
        records = _records()
        job = client.put("/api/w/city/taxonomy", json=records).json()
        done = app.state.ctx.jobs.wait(app.state.ctx.jobs.get("city", job["id"]), timeout=60)
        assert done.status == "done", done.error
        assert done.result == {"topics": len(records), "retrained": False}  # the default needs no training
        assert client.get("/api/w/city/taxonomy").json() == records
        audit = app.state.ctx.store.query("SELECT action FROM audit_log WHERE workspace = 'city'")
        assert ("taxonomy.set",) in audit


@pytest.mark.parametrize(("change", "field"), [
    (lambda r: r + [{**r[0], "id": f"extra_{i}"} for i in range(MAX_TOPICS + 1 - len(r))], "topics"),
    (lambda r: [{**r[0], "examples": ["x" * (MAX_PHRASE_LENGTH + 1)]}], "topics[0].examples.0"),
    (lambda r: [r[0], {**r[1], "examples": [f"phrase {i}" for i in range(201)]}], "topics[1].examples"),
    (lambda r: [{**r[0], "label_en": "x" * 121}], "topics[0].label_en"),
    (lambda r: [], "topics"),
])
def test_oversized_parts_are_refused_with_422(idle: TestClient, change, field: str) -> None:
    response = idle.put("/api/w/city/taxonomy", json=change(_records()))
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}:") or f"; {field}:" in response.json()["detail"]


def test_a_body_past_the_byte_limit_is_refused_with_413(idle: TestClient) -> None:
    records = _records()
    records[0]["description"] = "x" * MAX_TAXONOMY_BYTES
    response = idle.put("/api/w/city/taxonomy", json=records)
    assert response.status_code == 413
    assert "KiB" in response.json()["detail"]


def test_a_streamed_body_without_length_is_cut_at_the_limit(idle: TestClient) -> None:
    chunk = b" " * 65536

    def body() -> Iterator[bytes]:
        yield b"["
        for _ in range(MAX_TAXONOMY_BYTES // len(chunk) + 2):
            yield chunk
        yield b"]"

    response = idle.put("/api/w/city/taxonomy", content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_invalid_json_and_taxonomy_errors_are_clear(idle: TestClient) -> None:
    response = idle.put("/api/w/city/taxonomy", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    duplicate = _records()[:2]
    duplicate[1]["id"] = duplicate[0]["id"]
    response = idle.put("/api/w/city/taxonomy", json=duplicate)
    assert response.status_code == 400 and "duplicate id" in response.json()["detail"]


def test_the_schema_documents_the_body(app) -> None:
    body = app.openapi()["paths"]["/api/w/{workspace}/taxonomy"]["put"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["maxItems"] == MAX_TOPICS and "label_en" in schema["items"]["properties"]
    assert json.dumps(schema).count("$ref") == 0


def test_access_is_checked_before_the_body_is_read(app) -> None:
    stranger = TestClient(app)
    assert stranger.put("/api/w/city/taxonomy", content=b"x" * (MAX_TAXONOMY_BYTES + 1)).status_code == 401

"""A web app over a temporary store with two workspaces and users of every role, driven through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web import create_app

PASSWORD = "correct horse battery"
USERS = {  # user -> (admin, {workspace: role})
    "root": (True, {}),
    "alice": (False, {"city": "owner"}),
    "arun": (False, {"city": "analyst"}),
    "vera": (False, {"city": "viewer"}),
    "olga": (False, {"other": "owner"}),
}
TEXTS = ["Ngập nặng ở Thủ Đức, TP.HCM, khổ quá 😭 #ngapnuoc", "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️",
         "Traffic jam again on Nguyen Hue street, so annoying", "Kẹt xe kinh khủng ở Cầu Giấy, Hà Nội"]


def seed(store: DuckDBStore) -> None:
    accounts = Accounts(store)
    for ws in ("city", "other"):
        store.ensure_workspace(ws)
    for name, (admin, roles) in USERS.items():
        accounts.create_user(name, PASSWORD, admin=admin)
        for ws, role in roles.items():
            accounts.grant(ws, name, role)
    for ws, offset in (("city", 0), ("other", 2)):
        posts = [Post("mastodon", f"{ws}{i}", Kind.POST, TEXTS[(i + offset) % 4], datetime(2026, 9, 1 + i % 20, 8),
                      "mastodon", author_key=f"1.{ws}{i % 30:018x}", url=f"https://social.example/{ws}/{i}")
                 for i in range(120)]
        store.upsert_posts(ws, posts)
        enrich_workspace(store, ws, Analyzer(mode="fast"), discover=False)


@pytest.fixture(scope="module")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    store = DuckDBStore(str(Path(tmp_path_factory.mktemp("web")) / "web.duckdb"))
    seed(store)
    yield store


@pytest.fixture(scope="module")
def app(app_store: DuckDBStore):
    return create_app(app_store, background=False)


@pytest.fixture(scope="module")
def server(app) -> Iterator[TestClient]:
    with TestClient(app) as client:  # runs the lifespan: jobs start, and stop at the end
        yield client


def sign_in(app, username: str, password: str = PASSWORD) -> TestClient:
    """A separate browser: its own cookie jar, CSRF token sent on writes like the pages do."""
    client = TestClient(app)
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client

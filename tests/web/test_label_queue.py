"""GET /api/w/{w}/label-queue: the posts the workspace's model is least sure of, not yet labelled, no author."""

from __future__ import annotations

import json
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

from .conftest import PASSWORD, sign_in

TEXTS = ["Ngập nặng ở Thủ Đức, khổ quá 😭", "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️", "Traffic jam again, so annoying",
         "Kẹt xe ở Cầu Giấy", "xe buýt hôm nay", "the council met on tuesday", "giá điện tăng", "ok",
         "mưa to quá", "new park opened downtown, lovely", "hmm not sure about the new metro", "đường sá thế này à",
         "Love the new bike lanes", "The bridge is closed again", "trường học mới khai giảng", "nước sạch về làng"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    store = DuckDBStore(str(Path(tmp_path_factory.mktemp("queue")) / "q.duckdb"))
    accounts = Accounts(store)
    for ws in ("desk", "elsewhere"):
        store.ensure_workspace(ws)
    for name, ws, role in (("ana", "desk", "analyst"), ("viv", "desk", "viewer"), ("out", "elsewhere", "owner")):
        accounts.create_user(name, PASSWORD)
        accounts.grant(ws, name, role)
    for ws in ("desk", "elsewhere"):
        posts = [Post("mastodon", f"{ws}{i}", Kind.POST, f"{text} ({ws})", datetime(2026, 9, 1 + i, 8), "mastodon",
                      author_key=f"1.{ws}{i:018x}") for i, text in enumerate(TEXTS)]
        # A copy of the first text: the queue shows one text once.
        posts.append(Post("mastodon", f"{ws}-copy", Kind.POST, posts[0].text, datetime(2026, 9, 30, 8), "mastodon",
                          author_key=f"1.{ws}{99:018x}"))
        store.upsert_posts(ws, posts)
        enrich_workspace(store, ws, Analyzer(mode="fast"), discover=False)
    return create_app(store, background=False), store


@pytest.fixture(scope="module")
def clients(app) -> Iterator[dict[str, TestClient]]:
    with TestClient(app[0]):  # the lifespan runs once per app
        yield {name: sign_in(app[0], name) for name in ("ana", "viv", "out")}


@pytest.fixture(scope="module")
def analyst(clients) -> TestClient:
    return clients["ana"]


def stored(store: DuckDBStore, task: str) -> dict[str, float]:
    """Uncertainty per post computed here from the stored analysis, independently of the module under test."""
    rows = store.query("SELECT post_id, sentiment_confidence, emotion_scores FROM post_analysis "
                       "WHERE workspace = 'desk'")
    if task == "sentiment":
        return {pid: 1 - conf for pid, conf, _ in rows if conf}
    out = {}
    for pid, _, scores in rows:
        top = sorted(json.loads(scores).values(), reverse=True)
        out[pid] = 1 - (top[0] - top[1])
    return out


@pytest.mark.parametrize("task", ["sentiment", "emotion"])
def test_most_uncertain_first_and_no_author(app, analyst, task: str) -> None:
    answer = analyst.get("/api/w/desk/label-queue", params={"task": task, "n": 5})
    assert answer.status_code == 200, answer.text
    posts = answer.json()["posts"]
    assert len(posts) == 5
    expected = stored(app[1], task)
    got = [p["uncertainty"] for p in posts]
    assert got == sorted(got, reverse=True)
    assert got[0] == pytest.approx(max(expected.values()), abs=1e-4)
    for post in posts:
        assert post["uncertainty"] == pytest.approx(expected[post["post_id"]], abs=1e-4)
        assert not any("author" in key for key in post) and "(desk)" in post["text"]
    assert len({p["text"] for p in analyst.get("/api/w/desk/label-queue", params={"n": 100}).json()["posts"]}) \
        == len(TEXTS)


def test_labelled_posts_leave_the_queue_for_that_task_only(analyst) -> None:
    first = analyst.get("/api/w/desk/label-queue", params={"task": "sentiment", "n": 3}).json()["posts"][0]
    put = analyst.put(f"/api/w/desk/posts/mastodon/{first['post_id']}/labels",
                      json={"task": "sentiment", "label": "neutral"})
    assert put.status_code == 200, put.text
    after = analyst.get("/api/w/desk/label-queue", params={"task": "sentiment", "n": 100}).json()["posts"]
    assert first["post_id"] not in {p["post_id"] for p in after}
    emotion = analyst.get("/api/w/desk/label-queue", params={"task": "emotion", "n": 100}).json()["posts"]
    assert first["text"] in {p["text"] for p in emotion}


def test_workspace_isolation_roles_and_bad_parameters(clients, analyst) -> None:
    assert analyst.get("/api/w/elsewhere/label-queue").status_code == 404  # not a member: not even its name
    assert clients["viv"].get("/api/w/desk/label-queue").status_code == 403  # labelling is the analysts' job
    theirs = clients["out"].get("/api/w/elsewhere/label-queue", params={"n": 100}).json()["posts"]
    assert theirs and all("(elsewhere)" in p["text"] for p in theirs)
    assert analyst.get("/api/w/desk/label-queue", params={"task": "topics"}).status_code == 422
    assert analyst.get("/api/w/desk/label-queue", params={"n": 0}).status_code == 422

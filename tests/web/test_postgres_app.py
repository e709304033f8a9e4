"""The web app on PostgreSQL: every GET route of the API answers there, dashboards answer exactly what the same data
answers on DuckDB, and the writes people make (sign-in, saved queries, alert rules, label corrections) work.

The routes come from the app itself (its OpenAPI document and its pages), so a new endpoint is covered as soon as
it exists: one with a path parameter this module cannot fill fails until PATH_VALUES names a value for it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.schema import Kind, Post
from civicpulse.store import open_store
from civicpulse.web import create_app, pages

from .conftest import PASSWORD

BACKENDS = ("duckdb", "postgres")
TEXTS = ["Ngập nặng ở Thủ Đức, TP.HCM, khổ quá 😭 #ngapnuoc", "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️",
         "Traffic jam again on Nguyen Hue street, so annoying", "Kẹt xe kinh khủng ở Cầu Giấy, Hà Nội",
         "Giá điện tăng quá cao, người dân Đà Nẵng rất bức xúc", "Great new park opened in District 7, love it"]
SPIKE = "Ngập sâu ở Thủ Đức sau mưa lớn, xe chết máy giữa đường #ngapnuoc"
START = datetime(2026, 9, 1, 1)
# Dashboards and exports over the whole period (no default "last 7 days" that moves with the clock).
ALL = "period=all"
FILTERS = [ALL, f"{ALL}&q=ng%E1%BA%ADp%20OR%20flood*", f"{ALL}&q=place%3A%22th%E1%BB%A7%20%C4%91%E1%BB%A9c%22%20-spam",
           f"{ALL}&sentiment=negative&lang=vi"]
# Query strings per route, beyond the defaults; every one is asked on both backends.
VARIANTS = {
    "/api/w/{workspace}/overview": [*FILTERS, f"{ALL}&bucket=hour"],
    "/api/w/{workspace}/topics": [*FILTERS, f"{ALL}&kind=discovered"],
    "/api/w/{workspace}/places": [*FILTERS, f"{ALL}&era=legacy",
                                  f"{ALL}&province=Th%C3%A0nh%20ph%E1%BB%91%20H%E1%BB%93%20Ch%C3%AD%20Minh"],
    "/api/w/{workspace}/trends": [*FILTERS[:3], f"{ALL}&bucket=hour&threshold=2"],
    "/api/w/{workspace}/posts": [*FILTERS, f"{ALL}&sort=most_negative", f"{ALL}&sort=engagement"],
    "/api/w/{workspace}/label-queue": ["task=sentiment", "task=emotion"],
    "/api/w/{workspace}/report": [f"{ALL}&format=csv&report_lang=vi&q=ng%E1%BA%ADp"],
    "/api/w/{workspace}/export": ["format=jsonl&with_analysis=true", "format=csv"],
    "/api/w/{workspace}/queries/check": ["q=ng%E1%BA%ADp%20NEAR%2F3%20%22th%E1%BB%A7%20%C4%91%E1%BB%A9c%22"],
    "/api/w/{workspace}/audit": ["action=view.overview"],
    "/api/w/{workspace}/alerts": ["unseen=true"],
    "/api/w/{workspace}/sources/coverage": ["days=30"],
}
# Answers other than 200 that are right here.
EXPECTED = {"/api/w/{workspace}/jobs/{job_id}/rejects": 404}  # an analysis rejects nothing
# Answers that depend only on the data, not on ids, clocks or tokens: equal on both backends.
SAME_ON_BOTH = {"/api/w/{workspace}/overview", "/api/w/{workspace}/topics", "/api/w/{workspace}/places",
                "/api/w/{workspace}/trends", "/api/w/{workspace}/posts", "/api/w/{workspace}/label-queue",
                "/api/w/{workspace}/labels", "/api/w/{workspace}/queries/check", "/api/w/{workspace}/taxonomy",
                "/api/w/{workspace}/discovered-topics", "/api/w/{workspace}/alerts/rules/{rule_id}/preview",
                "/api/w/{workspace}/alerts/channels", "/api/w/{workspace}/settings", "/api/shapes/{era}",
                "/api/w/{workspace}/members", "/api/admin/users/{username}/workspaces"}


def _posts() -> list[Post]:
    """Three weeks of ordinary posts from 30 people, then a flood that 25 of them post about within the hour."""
    posts = [Post("mastodon" if i % 4 else "x", f"b{i}", Kind.POST, f"{TEXTS[i % len(TEXTS)]} {i}",
                  START + timedelta(hours=3 * i), "mastodon", author_key=f"1.{i % 30:018x}",
                  url=f"https://social.example/b{i}", likes=i % 7, replies=i % 3) for i in range(160)]
    posts += [Post("mastodon", f"s{i}", Kind.POST, f"{SPIKE} {i}", START + timedelta(days=20, hours=2, minutes=i),
                   "mastodon", author_key=f"1.{i % 25:018x}", shares=i) for i in range(40)]
    return posts


def _seed(store: Any, analyzer: Analyzer) -> None:
    store.ensure_workspace("city")
    accounts = Accounts(store)
    accounts.create_user("root", PASSWORD, admin=True)
    accounts.create_user("alice", PASSWORD)
    accounts.grant("city", "alice", "owner")
    store.upsert_posts("city", _posts())
    enrich_workspace(store, "city", analyzer, discover=True)


def _sign_in(app: Any, username: str) -> TestClient:
    client = TestClient(app)
    response = client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def _writes(alice: TestClient, root: TestClient) -> dict[str, str]:
    """What people write through the app, on one backend; the ids the GET routes then read."""
    ids: dict[str, str] = {"workspace": "city", "era": "2025", "username": "alice"}
    created = alice.post("/api/w/city/queries", json={"name": "floods", "query": "ngập OR flood*"})
    assert created.status_code == 201, created.text
    assert alice.put(f"/api/w/city/queries/{created.json()['query_id']}",
                     json={"name": "floods", "query": "ngập OR lụt"}).status_code == 200
    rule = alice.post("/api/w/city/alerts/rules", json={"name": "busy", "metric": "volume", "threshold": 10,
                                                        "window": "day", "query": "ngập"})
    assert rule.status_code == 201, rule.text
    ids["rule_id"] = str(rule.json()["rule_id"])
    assert alice.post("/api/w/city/alerts/preview", json={"metric": "volume", "threshold": 10, "days": 30,
                                                          "query": "ngập"}).status_code == 200
    assert alice.post("/api/w/city/alerts/evaluate").status_code == 200
    assert alice.put("/api/w/city/posts/mastodon/b1/labels", json={"task": "sentiment", "label": "negative"}) \
        .status_code == 200
    assert alice.post("/api/w/city/annotations", json={"date": "2026-09-21", "text": "flood"}).status_code == 201
    assert alice.post("/api/w/city/digests", json={"name": "d", "frequency": "daily",
                                                   "recipients": ["a@example.org"]}).status_code == 201
    topics = alice.get("/api/w/city/discovered-topics").json()["topics"]
    assert topics and alice.patch(f"/api/w/city/discovered-topics/{topics[0]['id']}",
                                  json={"name": "Ngập lụt"}).status_code == 200
    assert alice.put("/api/w/city/retention", json={"days": 3650}).status_code == 200
    token = alice.post("/api/tokens", json={"name": "script"})
    assert token.status_code in (200, 201), token.text
    ids["token"] = token.json()["token"]
    source = alice.post("/api/w/city/sources", json={"platform": "mastodon", "target": "#ngapnuoc", "every": "1h",
                                                      "api_base": "http://127.0.0.1:9", "test": False,
                                                      "credentials": {"access_token": "secret-token-1"}})
    assert source.status_code == 201, source.text
    ids["source_id"] = str(source.json()["id"])
    job = alice.post("/api/w/city/analyze")
    assert job.status_code in (200, 202), job.text
    ids["job_id"] = str(job.json()["id"])
    assert root.get("/api/admin/users").status_code == 200
    return ids


@pytest.fixture(scope="module")
def apps(pg_cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """Per backend: the app's signed-in owner and administrator, and the ids their writes made."""
    folder = Path(tmp_path_factory.mktemp("pg-web"))
    analyzer = Analyzer()  # the mode the app analyses in: its analysis job then finds nothing to do
    urls = {"duckdb": str(folder / "web.duckdb"), "postgres": pg_cluster.new_database()}
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        env.setenv("CIVICPULSE_COLLECT_ALLOW", "127.0.0.1")  # the source below is only stored, never called
        out = {}
        for backend, url in urls.items():
            store = open_store(url)
            _seed(store, analyzer)
            app = create_app(store, background=False, keys_dir=folder / backend / "keys")
            stack.enter_context(TestClient(app))  # the lifespan: job runner up, store closed at the end
            alice, root = _sign_in(app, "alice"), _sign_in(app, "root")
            out[backend] = {"app": app, "alice": alice, "root": root, "ids": _writes(alice, root), "url": url,
                            "keys": folder / backend / "keys"}
        yield out


def get_routes(app: Any) -> list[str]:
    """Every GET route: the API's (OpenAPI) and the pages'."""
    api = [path for path, operations in app.openapi()["paths"].items() if "get" in operations]
    return api + [route.path for route in pages.router.routes if "GET" in route.methods]


def _fill(path: str, ids: dict[str, str]) -> str:
    missing = [name for name in re.findall(r"\{(\w+)\}", path) if name not in ids]
    assert not missing, f"{path}: name a value for {missing} in _writes (a new route needs one)"
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def _answer(client: TestClient, url: str) -> tuple[int, Any]:
    response = client.get(url)
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.status_code, response.json()
    return response.status_code, response.text


def test_every_get_route_answers_on_postgres_as_on_duckdb(apps: dict[str, dict[str, Any]]) -> None:
    routes = get_routes(apps["postgres"]["app"])
    assert "/api/w/{workspace}/overview" in routes and "/" in routes
    differences, failures = [], []
    for route in routes:
        for query in VARIANTS.get(route, [""]):
            answers = {}
            for backend, side in apps.items():
                url = _fill(route, side["ids"]) + (f"?{query}" if query else "")
                client = side["root"] if route.startswith(("/api/admin", "/admin")) else side["alice"]
                answers[backend] = _answer(client, url)
                if answers[backend][0] != EXPECTED.get(route, 200):
                    failures.append((backend, url, answers[backend][0], str(answers[backend][1])[:200]))
            if route in SAME_ON_BOTH and answers["duckdb"] != answers["postgres"]:
                differences.append((route, query, answers["duckdb"], answers["postgres"]))
    assert not failures, failures
    assert not differences, [(*d[:2], _first_difference(d[2], d[3])) for d in differences]


def _first_difference(a: Any, b: Any, path: str = "$") -> str:
    """Where two answers first differ, and how (a readable assertion message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {str(a)[:300]} != {str(b)[:300]}"


def test_what_people_wrote_reads_back_the_same_on_both(apps: dict[str, dict[str, Any]]) -> None:
    for backend, side in apps.items():
        alice = side["alice"]
        assert [(q["name"], q["query"]) for q in alice.get("/api/w/city/queries").json()] == \
            [("floods", "ngập OR lụt")], backend
        assert [r["name"] for r in alice.get("/api/w/city/alerts/rules").json()] == ["busy"], backend
        post = alice.get(f"/api/w/city/posts?{ALL}&sort=oldest&page_size=2").json()["posts"][1]
        assert (post["post_id"], post["corrections"]) == ("b1", {"sentiment": "negative"}), backend
        assert [n["text"] for n in alice.get("/api/w/city/annotations").json()] == ["flood"], backend
        assert alice.get(f"/api/w/city/alerts/rules/{side['ids']['rule_id']}/preview").status_code == 200
        bearer = TestClient(side["app"], headers={"Authorization": f"Bearer {side['ids']['token']}"})
        assert bearer.get("/api/me").json()["username"] == "alice", backend
        job = alice.get(f"/api/w/city/jobs/{side['ids']['job_id']}").json()
        for _ in range(200):  # the analysis job queued by _writes: nothing left to analyse, it ends at once
            if job["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
            job = alice.get(f"/api/w/city/jobs/{side['ids']['job_id']}").json()
        assert job["status"] == "done", (backend, job)


def test_two_web_processes_on_one_postgresql_store_see_each_others_writes(apps: dict[str, dict[str, Any]]) -> None:
    """Each web process caches answers; a label correction made through another one (its own store handle, as a
    second `serve` would have) shows in the first one's next answer: the caches key on the store's data version."""
    side = apps["postgres"]
    other = create_app(open_store(side["url"]), background=False, keys_dir=side["keys"])
    with TestClient(other):
        alice, elsewhere = side["alice"], _sign_in(other, "alice")
        url = f"/api/w/city/posts?{ALL}&sort=oldest&page_size=3"
        post = alice.get(url).json()["posts"][2]
        assert alice.get(url).json()["posts"][2] == post  # cached now
        assert elsewhere.put(f"/api/w/city/posts/{post['platform']}/{post['post_id']}/labels",
                             json={"task": "emotion", "label": "fear"}).status_code == 200
        assert alice.get(url).json()["posts"][2]["corrections"].get("emotion") == "fear"

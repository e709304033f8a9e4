"""Sign-in, sessions, CSRF, rate limiting, password change and API tokens over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from civicpulse.web.throttle import LoginLimiter

from .conftest import PASSWORD, sign_in


def test_sign_in_sets_an_http_only_session_and_me_lists_workspaces(server, app) -> None:
    client = TestClient(app)
    response = client.post("/api/login", json={"username": "Alice", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "cp_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    me = client.get("/api/me").json()
    assert me["username"] == "alice" and me["workspaces"] == [{"name": "city", "role": "owner"}]


def test_wrong_password_is_401_and_unknown_user_looks_the_same(server, app) -> None:
    client = TestClient(app)
    wrong = client.post("/api/login", json={"username": "alice", "password": "nope nope nope"})
    unknown = client.post("/api/login", json={"username": "nobody", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert client.get("/api/me").status_code == 401


def test_writes_from_a_session_need_the_csrf_token(server, app) -> None:
    client = sign_in(app, "arun")
    body = {"name": "flood", "query": "ngập OR flood"}
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post("/api/w/city/queries", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    client.headers["X-CSRF-Token"] = "forged"
    assert client.post("/api/w/city/queries", json=body).status_code == 403
    client.headers["X-CSRF-Token"] = token
    created = client.post("/api/w/city/queries", json=body)
    assert created.status_code == 201, created.text
    assert client.delete(f"/api/w/city/queries/{created.json()['query_id']}").status_code == 200


def test_logout_ends_the_session_on_the_server(server, app) -> None:
    client = sign_in(app, "vera")
    stolen = client.cookies.get("cp_session")
    assert client.post("/api/logout").status_code == 200
    replay = TestClient(app, cookies={"cp_session": stolen})
    assert replay.get("/api/me").status_code == 401


def test_api_tokens_work_without_cookies_or_csrf_and_die_with_a_password_change(server, app) -> None:
    client = sign_in(app, "olga")
    token = client.post("/api/tokens", json={"name": "script"}).json()["token"]
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/w/other/overview").status_code == 200
    assert api.post("/api/w/other/queries", json={"name": "t", "query": "x"}).status_code == 201
    assert TestClient(app, headers={"Authorization": "Bearer cp_forged"}).get("/api/me").status_code == 401
    other_browser = sign_in(app, "olga")
    changed = client.post("/api/password", json={"current_password": PASSWORD, "new_password": "a new long secret"})
    assert changed.status_code == 200, changed.text
    assert api.get("/api/me").status_code == 401  # tokens revoked
    assert other_browser.get("/api/me").status_code == 401  # other sessions ended
    assert client.get("/api/me").status_code == 200  # the session that changed it stays
    client.post("/api/password", json={"current_password": "a new long secret", "new_password": PASSWORD})


def test_weak_new_password_and_wrong_current_password_are_refused(server, app) -> None:
    client = sign_in(app, "vera")
    weak = client.post("/api/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 400
    wrong = client.post("/api/password", json={"current_password": "not it at all", "new_password": "x" * 20})
    assert wrong.status_code == 400 and "current password" in wrong.json()["detail"]


def test_failed_logins_back_off_per_user_and_the_right_password_works_once_the_window_closes(app) -> None:
    limiter = app.state.ctx.limiter
    now = [1000.0]
    app.state.ctx.limiter = LoginLimiter(free_failures=2, base_delay=30, max_delay=120, clock=lambda: now[0])
    try:
        client = TestClient(app)
        codes = [client.post("/api/login", json={"username": "alice", "password": f"bad guess {i}"}).status_code
                 for i in range(4)]
        assert codes == [401, 401, 401, 429]  # the third failure opened a 30 s window
        # Inside the window even the right password waits: guessing cannot continue in the background.
        blocked = client.post("/api/login", json={"username": "alice", "password": PASSWORD})
        assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 30
        assert client.post("/api/login", json={"username": "vera", "password": PASSWORD}).status_code == 200
        now[0] += 31  # the window closed: no lockout beyond it
        assert client.post("/api/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    finally:
        app.state.ctx.limiter = limiter


def test_login_is_audited(server, app, app_store) -> None:
    TestClient(app).post("/api/login", json={"username": "vera", "password": "wrong wrong wrong"})
    actions = [e["action"] for e in app_store.audit_entries()]
    assert "login.failed" in actions and "login" in actions

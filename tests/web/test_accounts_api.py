"""Accounts over HTTP: token listing and revocation, what a token may not do, throttled password changes,
device cookies, administrators disabling, enabling and deleting users, workspace ownership rules, user-name
probing by owners, sign-ins in the workspace audit log and the `next` address after sign-in."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.web.throttle import LoginLimiter

from .conftest import PASSWORD, sign_in


@contextmanager
def limiter(app, **options):
    now = [1000.0]
    saved = app.state.ctx.limiter
    app.state.ctx.limiter = LoginLimiter(clock=lambda: now[0], **options)
    try:
        yield now
    finally:
        app.state.ctx.limiter = saved


def _bearer(app, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_tokens_are_listed_without_their_secret_and_revoked_one_by_one(server, app) -> None:
    olga = sign_in(app, "olga")
    first = olga.post("/api/tokens", json={"name": "ingest"}).json()
    second = olga.post("/api/tokens", json={"name": "report"}).json()
    assert _bearer(app, first["token"]).get("/api/me").status_code == 200
    listed = olga.get("/api/tokens")
    assert listed.status_code == 200
    rows = {t["name"]: t for t in listed.json()}
    assert {"ingest", "report"} <= set(rows) and rows["ingest"]["id"] == first["id"]
    assert rows["ingest"]["last_used_at"] is not None and rows["report"]["last_used_at"] is None
    assert first["token"] not in listed.text and second["token"] not in listed.text
    assert sign_in(app, "alice").delete(f"/api/tokens/{first['id']}").status_code == 404  # not hers
    assert olga.delete(f"/api/tokens/{first['id']}").status_code == 200
    assert _bearer(app, first["token"]).get("/api/me").status_code == 401
    assert _bearer(app, second["token"]).get("/api/me").status_code == 200
    assert olga.delete(f"/api/tokens/{first['id']}").status_code == 404  # already revoked
    assert olga.delete("/api/tokens/zzz").status_code == 404
    assert first["id"] not in [t["id"] for t in olga.get("/api/tokens").json()]


def test_an_api_token_cannot_mint_more_tokens(server, app) -> None:
    token = sign_in(app, "olga").post("/api/tokens", json={"name": "script"}).json()["token"]
    refused = _bearer(app, token).post("/api/tokens", json={"name": "more"})
    assert refused.status_code == 403 and "API token cannot" in refused.json()["detail"]


def test_password_changes_are_throttled_like_sign_ins(server, app) -> None:
    with limiter(app, free_failures=1, base_delay=30) as now:
        vera = sign_in(app, "vera")
        wrong = {"current_password": "not my password", "new_password": "another long secret"}
        assert [vera.post("/api/password", json=wrong).status_code for _ in range(3)] == [400, 400, 429]
        right = {"current_password": PASSWORD, "new_password": PASSWORD}
        assert vera.post("/api/password", json=right).status_code == 429
        now[0] += 31
        assert vera.post("/api/password", json=right).status_code == 200


def test_a_browser_that_signed_in_before_is_not_locked_out_by_someone_guessing(server, app) -> None:
    with limiter(app, free_failures=1, base_delay=120):
        known = sign_in(app, "alice")
        assert known.cookies.get("cp_device")
        attacker = TestClient(app)
        for i in range(4):
            attacker.post("/api/login", json={"username": "alice", "password": f"guess {i}"})
        assert attacker.post("/api/login", json={"username": "alice", "password": PASSWORD}).status_code == 429
        again = known.post("/api/login", json={"username": "alice", "password": PASSWORD})
        assert again.status_code == 200, again.text
        other_user_cookie = TestClient(app, cookies={"cp_device": sign_in(app, "arun").cookies["cp_device"]})
        assert other_user_cookie.post("/api/login", json={"username": "alice", "password": PASSWORD}) \
            .status_code == 429  # a device cookie vouches only for its own user


def test_an_administrator_reset_ends_the_users_sessions_and_tokens(server, app) -> None:
    arun = sign_in(app, "arun")
    token = arun.post("/api/tokens", json={"name": "t"}).json()["token"]
    assert sign_in(app, "alice").post("/api/admin/users/arun/password", json={"password": "x" * 20}) \
        .status_code == 403
    root = sign_in(app, "root")
    assert root.post("/api/admin/users/arun/password", json={"password": "a fresh long secret"}).status_code == 200
    assert arun.get("/api/me").status_code == 401 and _bearer(app, token).get("/api/me").status_code == 401
    assert root.post("/api/admin/users/ghost/password", json={"password": "a fresh long secret"}).status_code == 404
    assert root.post("/api/admin/users/arun/password", json={"password": PASSWORD}).status_code == 200


def test_disable_enable_and_delete_leave_nothing_behind(server, app, app_store) -> None:
    root = sign_in(app, "root")
    assert root.post("/api/admin/users", json={"username": "temp", "password": PASSWORD}).status_code == 201
    Accounts(app_store).grant("city", "temp", "viewer")
    temp = sign_in(app, "temp")
    token = temp.post("/api/tokens", json={"name": "t"}).json()["token"]
    assert sign_in(app, "alice").post("/api/admin/users/temp/disable").status_code == 403

    assert root.post("/api/admin/users/temp/disable").status_code == 200
    assert temp.get("/api/me").status_code == 401 and _bearer(app, token).get("/api/me").status_code == 401
    assert TestClient(app).post("/api/login", json={"username": "temp", "password": PASSWORD}).status_code == 401
    assert root.post("/api/admin/users/temp/enable").status_code == 200
    assert _bearer(app, token).get("/api/w/city/overview").status_code == 200  # tokens survive a disable
    temp = sign_in(app, "temp")

    assert root.delete("/api/admin/users/temp").status_code == 200
    assert temp.get("/api/me").status_code == 401 and _bearer(app, token).get("/api/me").status_code == 401
    for table in ("users", "web_sessions", "api_tokens", "memberships"):
        assert app_store.query(f"SELECT count(*) FROM {table} WHERE username = 'temp'") == [(0,)], table
    actions = {a for (a,) in app_store.query("SELECT action FROM audit_log WHERE actor = 'temp'")}
    assert {"login", "token.create"} <= actions  # the history stays
    assert ("users.delete", "temp") in app_store.query("SELECT action, detail FROM audit_log WHERE actor = 'root'")
    reuse = root.post("/api/admin/users", json={"username": "temp", "password": PASSWORD})
    assert reuse.status_code == 400 and "retired" in reuse.json()["detail"]
    assert root.delete("/api/admin/users/temp").status_code == 404


def test_administrators_cannot_remove_the_last_owner_or_themselves(server, app) -> None:
    root = sign_in(app, "root")
    sole = root.delete("/api/admin/users/olga")
    assert sole.status_code == 400 and "only owner of other" in sole.json()["detail"]
    assert root.delete("/api/admin/users/root").status_code == 400
    assert root.post("/api/admin/users/root/disable").status_code == 400


def test_the_only_owner_cannot_demote_or_remove_themselves(server, app) -> None:
    alice = sign_in(app, "alice")
    demote = alice.put("/api/w/city/members", json={"username": "alice", "role": "viewer"})
    assert demote.status_code == 400 and "only owner of city" in demote.json()["detail"]
    assert alice.delete("/api/w/city/members/alice").status_code == 400
    assert alice.put("/api/w/city/members", json={"username": "arun", "role": "owner"}).status_code == 200
    assert alice.put("/api/w/city/members", json={"username": "alice", "role": "analyst"}).status_code == 200
    arun = sign_in(app, "arun")
    assert arun.put("/api/w/city/members", json={"username": "alice", "role": "owner"}).status_code == 200
    assert arun.put("/api/w/city/members", json={"username": "arun", "role": "analyst"}).status_code == 200
    roles = dict((m["username"], m["role"]) for m in alice.get("/api/w/city/members").json())
    assert roles["alice"] == "owner" and roles["arun"] == "analyst"


def test_owners_cannot_probe_which_user_names_exist(server, app) -> None:
    alice = sign_in(app, "alice")
    existing = alice.put("/api/w/city/members", json={"username": "olga", "role": "viewer"})  # another team's
    missing = alice.put("/api/w/city/members", json={"username": "nosuchuser", "role": "viewer"})
    assert existing.status_code == missing.status_code == 400
    assert existing.json()["detail"].replace("olga", "X") == missing.json()["detail"].replace("nosuchuser", "X")
    gone_a, gone_b = alice.delete("/api/w/city/members/olga"), alice.delete("/api/w/city/members/nosuchuser")
    assert gone_a.status_code == gone_b.status_code == 404
    assert gone_a.json()["detail"].replace("olga", "X") == gone_b.json()["detail"].replace("nosuchuser", "X")
    assert "olga" not in [m["username"] for m in alice.get("/api/w/city/members").json()]


def test_sign_ins_of_members_show_in_the_workspace_audit_log(server, app) -> None:
    sign_in(app, "vera")
    city = sign_in(app, "alice").get("/api/w/city/audit", params={"action": "login"}).json()
    assert any(e["actor"] == "vera" and e["action"] == "login" for e in city)
    assert all(e["action"].startswith("login") for e in city)
    other = sign_in(app, "olga").get("/api/w/other/audit", params={"action": "login"}).json()
    assert {e["actor"] for e in other} == {"olga"}


def test_the_login_page_only_ever_sends_the_browser_to_this_site(server, app) -> None:
    page = TestClient(app).get("/login", params={"next": "/\\attacker.example/"})
    assert 'data-next="/"' in page.text
    assert 'data-next="/w/city/"' in TestClient(app).get("/login", params={"next": "/w/city/"}).text
    signed_in = sign_in(app, "vera")
    for hostile in ("//evil.example", "/%09/evil.example", "https://evil.example"):
        response = signed_in.get("/login", params={"next": hostile}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/", hostile
    kept = signed_in.get("/login", params={"next": "/w/city/posts"}, follow_redirects=False)
    assert kept.headers["location"] == "/w/city/posts"

"""What the administration and settings pages do, through the API they call: each action is done, refused to
who may not do it, refused where it would lock everyone out, and audited."""

from __future__ import annotations

import pytest

from civicpulse.accounts import AccountError, Accounts

from .conftest import PASSWORD, sign_in


def audited(store, action: str, workspace: str | None = None) -> list[tuple[str, str]]:
    sql = "SELECT actor, detail FROM audit_log WHERE action = ?" + (" AND workspace = ?" if workspace else "")
    return store.query(sql + " ORDER BY logged_at", [action, workspace] if workspace else [action])


def test_admin_role_is_given_and_taken_but_never_by_oneself(server, app, app_store) -> None:
    root = sign_in(app, "root")
    assert root.post("/api/admin/users/vera/admin", json={"admin": True}).json() == {"username": "vera",
                                                                                     "is_admin": True}
    users = {u["username"]: u for u in root.get("/api/admin/users").json()}
    assert users["vera"]["is_admin"] is True
    vera = sign_in(app, "vera")
    assert vera.get("/api/admin/users").status_code == 200  # the new administrator can administer
    assert root.post("/api/admin/users/vera/admin", json={"admin": False}).status_code == 200
    assert vera.get("/api/admin/users").status_code == 403
    refused = root.post("/api/admin/users/root/admin", json={"admin": False})
    assert refused.status_code == 400 and "your own" in refused.json()["detail"]
    assert sign_in(app, "alice").post("/api/admin/users/alice/admin", json={"admin": True}).status_code == 403
    assert root.post("/api/admin/users/nobody/admin", json={"admin": True}).status_code == 404
    assert audited(app_store, "users.admin")[-2:] == [("root", "vera admin=True"), ("root", "vera admin=False")]


def test_the_last_active_administrator_stays_one(app_store) -> None:
    accounts = Accounts(app_store)
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_admin("root", False)
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_disabled("root", True)


def test_users_are_disabled_and_enabled_and_nobody_disables_themselves(server, app, app_store) -> None:
    root = sign_in(app, "root")
    refused = root.post("/api/admin/users/root/disable")
    assert refused.status_code == 400 and "yourself" in refused.json()["detail"]
    assert sign_in(app, "alice").post("/api/admin/users/arun/disable").status_code == 403
    assert root.post("/api/admin/users/arun/disable").json()["disabled"] is True
    assert server.post("/api/login", json={"username": "arun", "password": PASSWORD}).status_code == 401
    assert root.post("/api/admin/users/arun/enable").json()["disabled"] is False
    sign_in(app, "arun")
    assert [d for _, d in audited(app_store, "users.disable")][-1:] == ["arun"]
    assert [d for _, d in audited(app_store, "users.enable")][-1:] == ["arun"]


def test_an_administrator_changes_roles_in_any_workspace(server, app, app_store) -> None:
    root = sign_in(app, "root")
    assert root.put("/api/admin/workspaces/other/members", json={"username": "arun", "role": "viewer"}).json() == {
        "workspace": "other", "username": "arun", "role": "viewer"}
    assert {"workspace": "other", "role": "viewer"} in root.get("/api/admin/users/arun/workspaces").json()
    assert sign_in(app, "arun").get("/api/w/other/settings").status_code == 200  # arun may read `other` now
    assert audited(app_store, "members.grant", "other")[-1] == ("root", "arun=viewer")
    only_owner = root.put("/api/admin/workspaces/other/members", json={"username": "olga", "role": "viewer"})
    assert only_owner.status_code == 400 and "only owner" in only_owner.json()["detail"]
    assert root.put("/api/admin/workspaces/nowhere/members",
                    json={"username": "arun", "role": "viewer"}).status_code == 404
    assert root.get("/api/admin/users/nobody/workspaces").status_code == 404
    assert sign_in(app, "alice").put("/api/admin/workspaces/other/members",
                                     json={"username": "alice", "role": "owner"}).status_code == 403
    assert root.delete("/api/admin/workspaces/other/members/arun").json() == {"removed": True}
    assert root.delete("/api/admin/workspaces/other/members/arun").status_code == 404
    assert sign_in(app, "arun").get("/api/w/other/settings").status_code == 404
    assert audited(app_store, "members.revoke", "other")[-1] == ("root", "arun")


def test_owners_set_k_time_zone_and_retention(server, app, app_store) -> None:
    alice = sign_in(app, "alice")  # owner of `city`
    assert alice.get("/api/w/city/settings").json()["timezone"] == "Asia/Ho_Chi_Minh"  # the default
    saved = alice.put("/api/w/city/settings", params={"min_authors": 12, "timezone": "Asia/Bangkok"})
    assert saved.json() == {"min_authors": 12, "timezone": "Asia/Bangkok"}
    assert alice.put("/api/w/city/retention", json={"days": 400}).json() == {"retention_days": 400}
    settings = alice.get("/api/w/city/settings").json()
    assert (settings["min_authors"], settings["timezone"], settings["retention_days"]) == (12, "Asia/Bangkok", 400)
    bad = alice.put("/api/w/city/settings", params={"min_authors": 12, "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "unknown time zone" in bad.json()["detail"]
    assert alice.get("/api/w/city/settings").json()["timezone"] == "Asia/Bangkok"
    assert alice.put("/api/w/city/settings", params={"min_authors": 3}).status_code == 400  # below the floor
    analyst = sign_in(app, "arun")
    assert analyst.put("/api/w/city/settings", params={"min_authors": 20, "timezone": "UTC"}).status_code == 403
    assert analyst.put("/api/w/city/retention", json={"days": 1}).status_code == 403
    assert audited(app_store, "settings.timezone", "city")[-1] == ("alice", "Asia/Bangkok")
    assert audited(app_store, "settings.min_authors", "city")[-1] == ("alice", "12")
    assert audited(app_store, "settings.retention", "city")[-1] == ("alice", "days=400")
    assert alice.put("/api/w/city/retention", json={"days": None}).status_code == 200
    restored = alice.put("/api/w/city/settings", params={"min_authors": 10, "timezone": "Asia/Ho_Chi_Minh"})
    assert restored.status_code == 200
    # The page: owners only.
    assert alice.get("/w/city/settings").status_code == 200
    assert analyst.get("/w/city/settings").status_code == 403


def test_a_password_reset_ends_the_old_password(server, app, app_store) -> None:
    root = sign_in(app, "root")
    assert sign_in(app, "alice").post("/api/admin/users/vera/password", json={"password": "x"}).status_code == 403
    assert root.post("/api/admin/users/vera/password", json={"password": "Another-Pulse-2026!"}).status_code == 200
    assert server.post("/api/login", json={"username": "vera", "password": PASSWORD}).status_code == 401
    sign_in(app, "vera", "Another-Pulse-2026!")
    assert root.post("/api/admin/users/nobody/password", json={"password": "Another-Pulse-2026!"}).status_code == 404
    assert audited(app_store, "users.reset-password")[-1] == ("root", "vera")
    root.post("/api/admin/users/vera/password", json={"password": PASSWORD})

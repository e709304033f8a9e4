"""Users, roles and tokens: the service and its commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicpulse.accounts import AccountError, Accounts, Role
from civicpulse.store import open_store
from civicpulse.store.duckdb_store import DuckDBStore

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path: Path):
    store = DuckDBStore(str(tmp_path / "a.duckdb"))
    for ws in ("hcmc", "hanoi"):
        store.ensure_workspace(ws)
    yield Accounts(store)
    store.close()


def test_passwords_are_hashed_and_checked(accounts: Accounts) -> None:
    accounts.create_user("Lan", PASSWORD)
    (stored,) = accounts.store.query("SELECT password_hash FROM users WHERE username = 'lan'")[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate("lan", PASSWORD).username == "lan"
    assert accounts.authenticate("LAN ", PASSWORD) is not None
    assert accounts.authenticate("lan", PASSWORD + "x") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


@pytest.mark.parametrize(("name", "password", "message"), [
    ("lan", "short", "too short"),
    ("lan", "aaaaaaaaaaaa", "too repetitive"),
    ("lan", "my-lan-password", "must not contain the user name"),
    ("Bad Name!", PASSWORD, "invalid user name"),
])
def test_bad_users_and_passwords_are_refused(accounts: Accounts, name: str, password: str, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        accounts.create_user(name, password)


def test_duplicate_user_is_refused(accounts: Accounts) -> None:
    accounts.create_user("lan", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user("lan", PASSWORD)


def test_roles_are_per_workspace(accounts: Accounts) -> None:
    lan = accounts.create_user("lan", PASSWORD)
    accounts.grant("hcmc", "lan", "analyst")
    assert accounts.role_in(lan, "hcmc") is Role.ANALYST
    assert accounts.role_in(lan, "hanoi") is None
    accounts.grant("hcmc", "lan", Role.VIEWER)  # a new grant replaces the old role
    assert accounts.memberships(lan) == [("hcmc", Role.VIEWER)]
    assert accounts.revoke("hcmc", "lan") and accounts.role_in(lan, "hcmc") is None
    assert not accounts.revoke("hcmc", "lan")
    with pytest.raises(AccountError, match="unknown role"):
        accounts.grant("hcmc", "lan", "boss")
    with pytest.raises(AccountError, match="no workspace"):
        accounts.grant("danang", "lan", "viewer")
    assert Role.OWNER.at_least(Role.ANALYST) and not Role.VIEWER.at_least(Role.ANALYST)


def test_tokens_identify_their_user_until_the_password_changes(accounts: Accounts) -> None:
    accounts.create_user("bot", PASSWORD)
    token = accounts.create_token("bot", "ingest script")
    assert token.startswith("cp_") and len(token) > 40
    assert token not in str(accounts.store.query("SELECT * FROM api_tokens"))
    assert accounts.user_for_token(token).username == "bot"
    assert accounts.user_for_token("cp_" + "x" * 43) is None and accounts.user_for_token("nope") is None
    accounts.set_password("bot", "another long secret")
    assert accounts.user_for_token(token) is None


def test_users_and_grants_through_the_cli(run_cli) -> None:
    assert run_cli("workspaces", "create", "hcmc").code == 0
    created = run_cli("users", "create", "lan", "--admin", stdin=f"{PASSWORD}\n".encode())
    assert created.code == 0, created.stderr
    weak = run_cli("users", "create", "minh", stdin=b"123\n")
    assert weak.code == 1 and "too short" in weak.stderr
    assert run_cli("workspaces", "grant", "hcmc", "lan", "--role", "owner").code == 0
    listed = run_cli("users", "list").stdout
    assert "lan" in listed and "hcmc (owner)" in listed
    token = run_cli("users", "token", "lan").stdout.strip()
    assert token.startswith("cp_")
    assert run_cli("users", "reset-password", "lan", stdin=b"a brand new secret\n").code == 0
    assert run_cli("workspaces", "revoke", "hcmc", "lan").code == 0
    again = run_cli("workspaces", "revoke", "hcmc", "lan")
    assert again.code == 1 and "has no role" in again.stderr
    assert run_cli("workspaces", "grant", "hcmc", "ghost", "--role", "viewer").code == 1
    with open_store(str(run_cli.db)) as store:
        actions = [a for (a,) in store.query("SELECT action FROM audit_log ORDER BY logged_at")]
    assert {"users.create", "workspaces.grant", "users.token", "users.reset-password",
            "workspaces.revoke"} <= set(actions)

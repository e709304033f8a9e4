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
    assert run_cli("workspaces", "grant", "hcmc", "lan", "--role", "analyst").code == 0
    listed = run_cli("users", "list").stdout
    assert "lan" in listed and "hcmc (analyst)" in listed
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


def test_only_owner_is_kept_and_deleting_a_user_retires_the_name(accounts: Accounts) -> None:
    accounts.create_user("lan", PASSWORD)
    accounts.create_user("minh", PASSWORD)
    accounts.grant("hcmc", "lan", Role.OWNER)
    with pytest.raises(AccountError, match="only owner of hcmc"):
        accounts.grant("hcmc", "lan", Role.VIEWER)
    with pytest.raises(AccountError, match="only owner of hcmc"):
        accounts.revoke("hcmc", "lan")
    with pytest.raises(AccountError, match="only owner of hcmc"):
        accounts.delete_user("lan")
    accounts.grant("hcmc", "minh", Role.OWNER)
    accounts.revoke("hcmc", "lan")  # another owner remains
    accounts.create_token("lan", "x")
    accounts.delete_user("lan")
    assert accounts.get_user("lan") is None
    assert accounts.store.query("SELECT count(*) FROM api_tokens WHERE username = 'lan'") == [(0,)]
    accounts.store.audit("admin", None, "users.delete", "lan")
    with pytest.raises(AccountError, match="retired"):
        accounts.create_user("lan", PASSWORD)


def test_the_last_active_administrator_stays(accounts: Accounts) -> None:
    accounts.create_user("root", PASSWORD, admin=True)
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.set_disabled("root", True)
    with pytest.raises(AccountError, match="last active administrator"):
        accounts.delete_user("root")
    accounts.create_user("root2", PASSWORD, admin=True)
    assert accounts.set_disabled("root", True).disabled
    assert accounts.authenticate("root", PASSWORD) is None


@pytest.mark.slow  # some twenty CLI runs
def test_disable_delete_and_tokens_through_the_cli(run_cli) -> None:
    from civicpulse.web.security import Sessions

    assert run_cli("workspaces", "create", "hcmc").code == 0
    assert run_cli("users", "create", "lan", stdin=f"{PASSWORD}\n".encode()).code == 0
    assert run_cli("workspaces", "grant", "hcmc", "lan", "--role", "owner").code == 0
    token = run_cli("users", "token", "lan", "--name", "nightly").stdout.strip()
    run_cli("users", "token", "lan", "--name", "other")
    with open_store(str(run_cli.db)) as store:
        Sessions(store).create("lan")
        [(token_id,)] = [(t.token_id,) for t in Accounts(store).tokens("lan") if t.name == "nightly"]
    listed = run_cli("users", "tokens", "lan").stdout
    assert token_id in listed and "nightly" in listed and "never" in listed and token not in listed
    assert run_cli("users", "revoke-token", "lan", token_id).code == 0
    again = run_cli("users", "revoke-token", "lan", token_id)
    assert again.code == 1 and "no live API token" in again.stderr
    assert run_cli("users", "reset-password", "lan", stdin=b"a brand new secret\n").code == 0
    with open_store(str(run_cli.db)) as store:
        assert store.query("SELECT count(*) FROM web_sessions WHERE username = 'lan'") == [(0,)]
        Sessions(store).create("lan")
    assert run_cli("users", "disable", "lan").code == 0
    assert run_cli("users", "enable", "lan").code == 0
    sole = run_cli("users", "delete", "lan", "--yes")
    assert sole.code == 1 and "only owner of hcmc" in sole.stderr
    assert run_cli("users", "create", "minh", stdin=f"{PASSWORD}\n".encode()).code == 0
    assert run_cli("workspaces", "grant", "hcmc", "minh", "--role", "owner").code == 0
    assert run_cli("users", "delete", "lan", "--yes").code == 0
    with open_store(str(run_cli.db)) as store:
        for table in ("users", "web_sessions", "api_tokens", "memberships"):
            assert store.query(f"SELECT count(*) FROM {table} WHERE username = 'lan'") == [(0,)], table
        actions = [a for (a,) in store.query("SELECT action FROM audit_log ORDER BY logged_at")]
    assert {"users.disable", "users.enable", "users.delete", "users.revoke-token"} <= set(actions)
    retired = run_cli("users", "create", "lan", stdin=f"{PASSWORD}\n".encode())
    assert retired.code == 1 and "retired" in retired.stderr

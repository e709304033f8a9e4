"""Administration commands: users (create, list, reset-password, disable, enable, delete, token, tokens,
revoke-token) and workspace grants."""

from __future__ import annotations

import getpass
import sys

import click
from rich.table import Table

from civicpulse.accounts import AccountError, Accounts, Role
from civicpulse.cli import Fatal, State, _workspace, err, main, out, workspaces


def _read_password(prompt: bool) -> str:
    """From a hidden, confirmed prompt on a terminal; otherwise the first line of stdin (for scripts)."""
    if prompt and sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True, err=True)
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        raise Fatal("no password given: type it at the prompt, or pipe it on stdin")
    return line


@main.group("users")
def users_group() -> None:
    """Accounts of this civicpulse instance (passwords are stored as Argon2id hashes)."""


@users_group.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Instance administrator: creates workspaces and invites users.")
@click.pass_obj
def users_create(state: State, username: str, admin: bool) -> None:
    """Create a user; the password is read from a hidden prompt or from stdin."""
    try:
        user = Accounts(state.store()).create_user(username, _read_password(prompt=True), admin=admin)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), None, "users.create", f"{user.username} admin={user.is_admin}")
    out.print(f"user {user.username} created" + (" (administrator)" if admin else ""), highlight=False)


@users_group.command("list")
@click.pass_obj
def users_list(state: State) -> None:
    """Users with their workspaces and roles."""
    accounts = Accounts(state.store())
    table = Table("user", "admin", "disabled", "created", "workspaces")
    for user, created in accounts.list_users():
        roles = ", ".join(f"{ws} ({role})" for ws, role in accounts.memberships(user))
        table.add_row(user.username, "yes" if user.is_admin else "", "yes" if user.disabled else "",
                      f"{created:%Y-%m-%d}", roles)
    out.print(table)


@users_group.command("reset-password")
@click.argument("username")
@click.pass_obj
def users_reset_password(state: State, username: str) -> None:
    """Set a new password (read like `create`); the user's API tokens are revoked and web sessions ended."""
    try:
        Accounts(state.store()).set_password(username, _read_password(prompt=True))
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), None, "users.reset-password", username)
    out.print(f"password of {username} changed; its API tokens were revoked and its web sessions ended",
              highlight=False)


def _set_disabled(state: State, username: str, disabled: bool) -> None:
    try:
        Accounts(state.store()).set_disabled(username, disabled)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    action = "disable" if disabled else "enable"
    state.store().audit(getpass.getuser(), None, f"users.{action}", username)
    out.print(f"{username} {action}d" + ("; its web sessions ended" if disabled else ""), highlight=False)


@users_group.command("disable")
@click.argument("username")
@click.pass_obj
def users_disable(state: State, username: str) -> None:
    """Stop a user from signing in: web sessions end, API tokens are refused until `enable`."""
    _set_disabled(state, username, True)


@users_group.command("enable")
@click.argument("username")
@click.pass_obj
def users_enable(state: State, username: str) -> None:
    """Let a disabled user sign in again (their unrevoked API tokens work again)."""
    _set_disabled(state, username, False)


@users_group.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def users_delete(state: State, username: str, yes: bool) -> None:
    """Delete a user with their sessions, API tokens and memberships. Audit rows keep the name, which stays
    retired (no new account can take it)."""
    if not yes and not click.confirm(f"delete user {username} for good?", err=True):
        raise Fatal("nothing deleted")
    try:
        Accounts(state.store()).delete_user(username)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), None, "users.delete", username.strip().lower())
    out.print(f"user {username} deleted", highlight=False)


@users_group.command("tokens")
@click.argument("username")
@click.pass_obj
def users_tokens(state: State, username: str) -> None:
    """A user's live API tokens: id, name, created, last used (never the token itself)."""
    try:
        tokens = Accounts(state.store()).tokens(username)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    table = Table("id", "name", "created", "last used")
    for t in tokens:
        table.add_row(t.token_id, t.name, f"{t.created_at:%Y-%m-%d %H:%M}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never")
    out.print(table)


@users_group.command("revoke-token")
@click.argument("username")
@click.argument("token_id")
@click.pass_obj
def users_revoke_token(state: State, username: str, token_id: str) -> None:
    """Revoke one API token of a user by its id (see `users tokens`)."""
    try:
        revoked = Accounts(state.store()).revoke_token(username, token_id)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    if not revoked:
        raise Fatal(f"{username} has no live API token {token_id!r}: see `civicpulse users tokens {username}`")
    state.store().audit(getpass.getuser(), None, "users.revoke-token", f"{username} {token_id}")
    out.print(f"token {token_id} of {username} revoked", highlight=False)


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.pass_obj
def users_token(state: State, username: str, name: str) -> None:
    """Issue an API token for programmatic access (printed once; only its hash is kept)."""
    try:
        token = Accounts(state.store()).create_token(username, name)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), None, "users.token", f"{username} name={name}")
    click.echo(token)
    err.print("keep it secret: it acts as the user on every workspace the user belongs to", highlight=False)


@workspaces.command("grant")
@click.argument("workspace")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.pass_obj
def workspaces_grant(state: State, workspace: str, username: str, role: str) -> None:
    """Give a user a role in a workspace (owner, analyst or viewer); replaces an earlier role."""
    try:
        Accounts(state.store()).grant(_workspace(workspace), username, role)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), workspace, "workspaces.grant", f"{username} role={role}")
    out.print(f"{username} is now {role} of {workspace}", highlight=False)


@workspaces.command("revoke")
@click.argument("workspace")
@click.argument("username")
@click.pass_obj
def workspaces_revoke(state: State, workspace: str, username: str) -> None:
    """Remove a user from a workspace."""
    try:
        had = Accounts(state.store()).revoke(_workspace(workspace), username)
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    if not had:
        raise Fatal(f"{username} has no role in {workspace}")
    state.store().audit(getpass.getuser(), workspace, "workspaces.revoke", username)
    out.print(f"{username} removed from {workspace}", highlight=False)

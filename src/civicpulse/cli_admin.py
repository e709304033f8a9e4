"""Administration commands: users (create, list, reset-password, token) and workspace grants."""

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
    """Set a new password (read like `create`); the user's API tokens are revoked."""
    try:
        Accounts(state.store()).set_password(username, _read_password(prompt=True))
    except AccountError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), None, "users.reset-password", username)
    out.print(f"password of {username} changed; its API tokens were revoked", highlight=False)


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

"""Instance administration: workspaces and users (administrators), members (administrators and owners)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from civicpulse.accounts import AccountError, Accounts, Role
from civicpulse.store.base import Store, validate_workspace_name
from civicpulse.web.deps import OWNER, Access, Caller, admin, store

router = APIRouter(prefix="/api", tags=["administration"])


class NewWorkspace(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    owner: str | None = Field(default=None, description="user to make its owner (default: you)")


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    admin: bool = False


class Grant(BaseModel):
    username: str
    role: Role


class NewPassword(BaseModel):
    password: str = Field(min_length=1, max_length=1024)


@router.get("/admin/workspaces", summary="All workspaces (administrators)")
def list_workspaces(c: Caller = Depends(admin), db: Store = Depends(store)) -> list[dict]:
    return [{"name": w.name, "created_at": w.created_at.isoformat()} for w in db.list_workspaces()]


@router.post("/admin/workspaces", status_code=201, summary="Create a workspace and name its owner")
def create_workspace(body: NewWorkspace, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    try:
        name = validate_workspace_name(body.name)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    if db.get_workspace(name) is not None:
        raise HTTPException(409, f"workspace {name!r} already exists")
    db.ensure_workspace(name)
    owner = body.owner or c.user.username
    try:
        Accounts(db).grant(name, owner, Role.OWNER)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    db.audit(c.user.username, name, "workspaces.create", f"owner={owner}")
    return {"name": name, "owner": owner}


@router.get("/admin/users", summary="All users (administrators)")
def list_users(c: Caller = Depends(admin), db: Store = Depends(store)) -> list[dict]:
    return [{"username": u.username, "is_admin": u.is_admin, "disabled": u.disabled, "created_at": t.isoformat()}
            for u, t in Accounts(db).list_users()]


@router.post("/admin/users", status_code=201, summary="Create (invite) a user with a first password")
def create_user(body: NewUser, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    try:
        user = Accounts(db).create_user(body.username, body.password, admin=body.admin)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    db.audit(c.user.username, None, "users.create", f"{user.username} admin={user.is_admin}")
    return {"username": user.username, "is_admin": user.is_admin}


def _user_change(change) -> None:
    try:
        change()
    except AccountError as exc:
        raise HTTPException(404 if str(exc).startswith("no user") else 400, str(exc)) from None


@router.post("/admin/users/{username}/password", summary="Reset a user's password (administrators); ends their "
                                                        "sessions and revokes their API tokens")
def reset_password(username: str, body: NewPassword, c: Caller = Depends(admin),
                   db: Store = Depends(store)) -> dict:
    _user_change(lambda: Accounts(db).set_password(username, body.password))
    db.audit(c.user.username, None, "users.reset-password", username)
    return {"username": username}


@router.post("/admin/users/{username}/disable", summary="Disable a user (administrators): sessions end, tokens "
                                                       "are refused until enabled again")
def disable_user(username: str, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    if username.strip().lower() == c.user.username:
        raise HTTPException(400, "you cannot disable yourself; ask another administrator")
    _user_change(lambda: Accounts(db).set_disabled(username, True))
    db.audit(c.user.username, None, "users.disable", username)
    return {"username": username, "disabled": True}


@router.post("/admin/users/{username}/enable", summary="Enable a disabled user again (administrators)")
def enable_user(username: str, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    _user_change(lambda: Accounts(db).set_disabled(username, False))
    db.audit(c.user.username, None, "users.enable", username)
    return {"username": username, "disabled": False}


class AdminFlag(BaseModel):
    admin: bool


@router.post("/admin/users/{username}/admin", summary="Make a user an administrator or take it away "
                                                     "(administrators; never yourself, never the last one)")
def set_admin(username: str, body: AdminFlag, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    if username.strip().lower() == c.user.username and not body.admin:
        raise HTTPException(400, "you cannot take away your own administrator role; ask another administrator")
    _user_change(lambda: Accounts(db).set_admin(username, body.admin))
    db.audit(c.user.username, None, "users.admin", f"{username.strip().lower()} admin={body.admin}")
    return {"username": username.strip().lower(), "is_admin": body.admin}


@router.get("/admin/users/{username}/workspaces", summary="A user's workspaces and roles (administrators)")
def user_workspaces(username: str, c: Caller = Depends(admin), db: Store = Depends(store)) -> list[dict]:
    accounts = Accounts(db)
    user = accounts.get_user(username)
    if user is None:
        raise HTTPException(404, f"no user {username!r}")
    return [{"workspace": w, "role": r.value} for w, r in accounts.memberships(user)]


@router.put("/admin/workspaces/{name}/members", summary="Give a user a role in any workspace (administrators)")
def admin_grant(name: str, body: Grant, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    try:
        Accounts(db).grant(name, body.username, body.role)
    except AccountError as exc:
        raise HTTPException(404 if str(exc).startswith("no ") else 400, str(exc)) from None
    db.audit(c.user.username, name, "members.grant", f"{body.username.strip().lower()}={body.role.value}")
    return {"workspace": name, "username": body.username.strip().lower(), "role": body.role.value}


@router.delete("/admin/workspaces/{name}/members/{username}", summary="Remove a user from any workspace "
                                                                     "(administrators)")
def admin_revoke(name: str, username: str, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    try:
        removed = Accounts(db).revoke(name, username)
    except AccountError as exc:
        raise HTTPException(404 if str(exc).startswith("no ") else 400, str(exc)) from None
    if not removed:
        raise HTTPException(404, f"{username!r} is not a member of {name!r}")
    db.audit(c.user.username, name, "members.revoke", username.strip().lower())
    return {"removed": True}


@router.delete("/admin/users/{username}", summary="Delete a user with their sessions, tokens and memberships "
                                                 "(administrators); the name stays retired")
def delete_user(username: str, c: Caller = Depends(admin), db: Store = Depends(store)) -> dict:
    if username.strip().lower() == c.user.username:
        raise HTTPException(400, "you cannot delete yourself; ask another administrator")
    _user_change(lambda: Accounts(db).delete_user(username))
    db.audit(c.user.username, None, "users.delete", username)  # also retires the name (accounts_sql.NAME_RETIRED)
    return {"deleted": username}


@router.get("/w/{workspace}/members", summary="Members of the workspace and their roles (owners)")
def members(a: Access = Depends(OWNER), db: Store = Depends(store)) -> list[dict]:
    return [{"username": u, "role": r.value} for u, r in Accounts(db).members(a.workspace)]


@router.put("/w/{workspace}/members", summary="Add a member or change their role (owners)")
def grant(body: Grant, a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    accounts = Accounts(db)
    # An unknown name and a person from another team answer alike, so owners cannot probe which names exist.
    if not accounts.may_add_by_name(a.caller.user, body.username) or accounts.get_user(body.username) is None:
        raise HTTPException(400, f"no user {body.username!r} you can add: an administrator adds people who are not "
                                 "yet in one of your workspaces")
    try:
        accounts.grant(a.workspace, body.username, body.role)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    db.audit(a.username, a.workspace, "members.grant", f"{body.username}={body.role.value}")
    return {"username": body.username, "role": body.role.value}


@router.delete("/w/{workspace}/members/{username}", summary="Remove a member (owners)")
def revoke(username: str, a: Access = Depends(OWNER), db: Store = Depends(store)) -> dict:
    accounts = Accounts(db)
    user = accounts.get_user(username)
    if user is None or user.username not in dict(accounts.members(a.workspace)):  # unknown, non-member: alike
        raise HTTPException(404, f"{username!r} is not a member of {a.workspace!r}")
    try:
        removed = accounts.revoke(a.workspace, username)
    except AccountError as exc:  # e.g. the only owner
        raise HTTPException(400, str(exc)) from None
    db.audit(a.username, a.workspace, "members.revoke", username)
    return {"removed": removed}

"""Sign in and out, the caller's profile, password change and personal API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from civicpulse.accounts import AccountError, Accounts
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.deps import Caller, app_context, caller, store
from civicpulse.web.security import SESSION_COOKIE, SESSION_LIFETIME, Sessions

router = APIRouter(prefix="/api", tags=["account"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class TokenRequest(BaseModel):
    name: str = Field(default="api", min_length=1, max_length=80)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", summary="Sign in; sets the session cookie and returns the CSRF token")
def login(body: Credentials, request: Request, response: Response, db: DuckDBStore = Depends(store)) -> dict:
    ctx = app_context(request)
    username = body.username.strip().lower()
    wait = ctx.limiter.retry_after(username, _client(request))
    if wait:
        db.audit(username, None, "login.throttled", _client(request))
        raise HTTPException(429, f"too many failed sign-ins: try again in {wait} s", headers={"Retry-After": str(wait)})
    user = Accounts(db).authenticate(username, body.password)
    if user is None:
        ctx.limiter.failed(username, _client(request))
        db.audit(username, None, "login.failed", _client(request))
        raise HTTPException(401, "wrong user name or password")
    ctx.limiter.succeeded(username)
    session_id, session = Sessions(db).create(user.username)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="strict", secure=ctx.secure_cookies, path="/")
    db.audit(user.username, None, "login", _client(request))
    return {"username": user.username, "csrf_token": session.csrf_token}


@router.post("/logout", summary="End this browser session")
def logout(request: Request, response: Response, c: Caller = Depends(caller),
           db: DuckDBStore = Depends(store)) -> dict:
    if c.session is not None:
        Sessions(db).end(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    db.audit(c.user.username, None, "logout", "")
    return {"ok": True}


@router.get("/me", summary="The signed-in user and their workspaces with roles")
def me(c: Caller = Depends(caller), db: DuckDBStore = Depends(store)) -> dict:
    return {"username": c.user.username, "is_admin": c.user.is_admin,
            "csrf_token": c.session.csrf_token if c.session else None,
            "workspaces": [{"name": ws, "role": role.value} for ws, role in Accounts(db).memberships(c.user)]}


@router.post("/password", summary="Change your password (ends your other sessions and revokes your API tokens)")
def change_password(body: PasswordChange, request: Request, c: Caller = Depends(caller),
                    db: DuckDBStore = Depends(store)) -> dict:
    accounts = Accounts(db)
    if accounts.authenticate(c.user.username, body.current_password) is None:
        raise HTTPException(400, "the current password is wrong")
    try:
        accounts.set_password(c.user.username, body.new_password)
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    Sessions(db).end_all(c.user.username, keep=request.cookies.get(SESSION_COOKIE))
    db.audit(c.user.username, None, "password.change", "")
    return {"ok": True}


@router.post("/tokens", summary="Create a personal API token (shown once; send it as 'Authorization: Bearer …')")
def create_token(body: TokenRequest, c: Caller = Depends(caller), db: DuckDBStore = Depends(store)) -> dict:
    token = Accounts(db).create_token(c.user.username, body.name)
    db.audit(c.user.username, None, "token.create", body.name)
    return {"token": token, "name": body.name}

"""Sign in and out, the caller's profile, password change and personal API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from civicpulse.accounts import AccountError, Accounts, TokenInfo, token_id
from civicpulse.store.base import Store
from civicpulse.web.deps import Caller, app_context, caller, session_caller, store
from civicpulse.web.security import SESSION_COOKIE, SESSION_LIFETIME, Sessions, session_hash
from civicpulse.web.throttle import DEVICE_COOKIE, DEVICE_LIFETIME_S

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
    # The socket peer, or what a configured trusted proxy reported (uvicorn rewrites it only for those).
    return request.client.host if request.client else "unknown"


def _device(request: Request, username: str) -> str | None:
    return app_context(request).devices.device_for(username, request.cookies.get(DEVICE_COOKIE))


def _throttled(request: Request, username: str, device: str | None) -> None:
    wait = app_context(request).limiter.retry_after(username, _client(request), device)
    if wait:
        raise HTTPException(429, f"too many failed attempts: try again in {wait} s", headers={"Retry-After": str(wait)})


@router.post("/login", summary="Sign in; sets the session cookie and returns the CSRF token")
def login(body: Credentials, request: Request, response: Response, db: Store = Depends(store)) -> dict:
    ctx, client = app_context(request), _client(request)
    username = body.username.strip().lower()
    device = _device(request, username)
    try:
        _throttled(request, username, device)
    except HTTPException:
        db.audit(username, None, "login.throttled", client)
        raise
    accounts = Accounts(db)
    user = accounts.authenticate(username, body.password)
    if user is None:
        ctx.limiter.failed(username, client, device)
        db.audit(username, None, "login.failed", client)
        raise HTTPException(401, "wrong user name or password")
    ctx.limiter.succeeded(username, device)
    session_id, session = Sessions(db).create(user.username)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="strict", secure=ctx.secure_cookies, path="/")
    if device is None:  # this browser is now known to belong to someone who knows the password
        response.set_cookie(DEVICE_COOKIE, ctx.devices.issue(user.username), max_age=DEVICE_LIFETIME_S,
                            httponly=True, samesite="strict", secure=ctx.secure_cookies, path="/api")
    db.audit(user.username, None, "login", client)
    for workspace, _ in accounts.memberships(user):  # so that each workspace's owners see their members sign in
        db.audit(user.username, workspace, "login", "")
    return {"username": user.username, "csrf_token": session.csrf_token}


@router.post("/logout", summary="End this browser session")
def logout(request: Request, response: Response, c: Caller = Depends(caller),
           db: Store = Depends(store)) -> dict:
    if c.session is not None:
        Sessions(db).end(request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    db.audit(c.user.username, None, "logout", "")
    return {"ok": True}


@router.get("/me", summary="The signed-in user and their workspaces with roles")
def me(c: Caller = Depends(caller), db: Store = Depends(store)) -> dict:
    return {"username": c.user.username, "is_admin": c.user.is_admin,
            "csrf_token": c.session.csrf_token if c.session else None,
            "workspaces": [{"name": ws, "role": role.value} for ws, role in Accounts(db).memberships(c.user)]}


@router.post("/password", summary="Change your password (ends your other sessions and revokes your API tokens)")
def change_password(body: PasswordChange, request: Request, c: Caller = Depends(caller),
                    db: Store = Depends(store)) -> dict:
    # Throttled like sign-in: a stolen session must not become a way to guess the password.
    ctx, username = app_context(request), c.user.username
    device = _device(request, username)
    _throttled(request, username, device)
    accounts = Accounts(db)
    if accounts.authenticate(username, body.current_password) is None:
        ctx.limiter.failed(username, _client(request), device)
        db.audit(username, None, "password.failed", _client(request))
        raise HTTPException(400, "the current password is wrong")
    ctx.limiter.succeeded(username, device)
    kept = request.cookies.get(SESSION_COOKIE) if c.session else None
    try:
        accounts.set_password(username, body.new_password, keep_session=session_hash(kept) if kept else "")
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    db.audit(username, None, "password.change", "")
    return {"ok": True}


@router.get("/tokens", summary="Your live API tokens: id, name, created, last used (never the token itself)")
def list_tokens(request: Request, c: Caller = Depends(caller), db: Store = Depends(store)) -> list[dict]:
    return token_rows(Accounts(db).tokens(c.user.username), app_context(request).token_usage.pending())


@router.post("/tokens", summary="Create a personal API token (shown once; send it as 'Authorization: Bearer …'); "
                                "needs a browser session, not a token")
def create_token(body: TokenRequest, c: Caller = Depends(session_caller), db: Store = Depends(store)) -> dict:
    token = Accounts(db).create_token(c.user.username, body.name)
    db.audit(c.user.username, None, "token.create", f"{token_id(token)} {body.name}")
    return {"token": token, "name": body.name, "id": token_id(token)}


@router.delete("/tokens/{token_id}", summary="Revoke one of your API tokens by its id")
def revoke_token(token_id: str, c: Caller = Depends(caller), db: Store = Depends(store)) -> dict:
    if not Accounts(db).revoke_token(c.user.username, token_id):
        raise HTTPException(404, f"you have no live API token {token_id!r}")
    db.audit(c.user.username, None, "token.revoke", token_id)
    return {"revoked": token_id}


def token_rows(tokens: list[TokenInfo], pending: dict[str, datetime]) -> list[dict]:
    """Tokens as shown by the API, with a last use noted in memory but not yet written (see token_usage.py)."""
    def last_used(t: TokenInfo) -> str | None:
        noted = max((w for d, w in pending.items() if d.startswith(t.token_id)), default=None)
        times = [x for x in (t.last_used_at, noted) if x is not None]
        return max(times).isoformat() if times else None

    return [{"id": t.token_id, "name": t.name, "created_at": t.created_at.isoformat(), "last_used_at": last_used(t)}
            for t in tokens]

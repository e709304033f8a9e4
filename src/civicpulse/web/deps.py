"""FastAPI dependencies: who is asking (session cookie or API token), CSRF, and workspace access.

`workspace_access` is the one gate every workspace route passes: it resolves the caller's role through
`Accounts.role_in` and answers 404 for workspaces the caller is not a member of, so their names do not leak.
Data queries below it are scoped again by `analytics.filters.where`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from civicpulse.accounts import Accounts, Role, User, token_hash
from civicpulse.runtime.jobs import WorkspaceBusy
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.security import SESSION_COOKIE, Session, Sessions, csrf_ok

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def app_context(request: Request) -> AppContext:
    return request.app.state.ctx


def store(request: Request) -> Iterator[Store]:
    with app_context(request).forked() as handle:
        yield handle


@dataclass(frozen=True)
class Caller:
    user: User
    session: Session | None  # None for API-token calls
    via: str  # "session" | "token"


class NotSignedIn(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})


def optional_caller(request: Request, db: Store = Depends(store)) -> Caller | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        token = auth[7:].strip()
        user = Accounts(db).user_for_token(token)
        if user is None:
            raise HTTPException(401, "invalid or revoked API token", headers={"WWW-Authenticate": "Bearer"})
        app_context(request).token_usage.seen(token_hash(token))  # written later, off this request
        return Caller(user, None, "token")
    session = Sessions(db).get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = Accounts(db).get_user(session.username)
    if user is None or user.disabled:
        return None
    if request.method not in SAFE_METHODS and not csrf_ok(session, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
    return Caller(user, session, "session")


def caller(c: Caller | None = Depends(optional_caller)) -> Caller:
    if c is None:
        raise NotSignedIn()
    return c


def session_caller(c: Caller = Depends(caller)) -> Caller:
    """A person at a browser (session + CSRF): what an API token must not be able to do on its own."""
    if c.session is None:
        raise HTTPException(403, "an API token cannot do this: sign in with a browser, or ask an administrator "
                                 "(civicpulse users token)")
    return c


def admin(c: Caller = Depends(caller)) -> Caller:
    if not c.user.is_admin:
        raise HTTPException(403, "only an instance administrator may do this")
    return c


@dataclass(frozen=True)
class Access:
    """A caller's standing in one workspace; every workspace route receives one."""

    caller: Caller
    workspace: str
    role: Role

    @property
    def username(self) -> str:
        return self.caller.user.username


def workspace_access(minimum: Role = Role.VIEWER) -> Callable[..., Access]:
    def check(workspace: str, c: Caller = Depends(caller), db: Store = Depends(store)) -> Access:
        # Membership only: an instance administrator manages accounts but reads a workspace's data only as a member.
        role = Accounts(db).role_in(c.user, workspace)
        if role is None:
            raise HTTPException(404, f"no workspace {workspace!r} for you")
        if not role.at_least(minimum):
            raise HTTPException(403, f"this needs the {minimum.value} role in {workspace!r}; you are {role.value}")
        return Access(c, workspace, role)

    return check


VIEWER = workspace_access(Role.VIEWER)
ANALYST = workspace_access(Role.ANALYST)
OWNER = workspace_access(Role.OWNER)


@contextmanager
def busy_as_conflict() -> Iterator[None]:
    """WorkspaceBusy (runtime/jobs.py) as the HTTP answer: 409 with the reason."""
    try:
        yield
    except WorkspaceBusy as exc:
        raise HTTPException(409, str(exc)) from None

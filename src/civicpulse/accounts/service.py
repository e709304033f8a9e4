"""Users, roles and tokens over the store. Every permission question goes through `Accounts.role_in`."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from civicpulse.accounts.passwords import check_strength, hash_password, needs_rehash, verify_password
from civicpulse.store import accounts_sql as sql
from civicpulse.store.base import Store

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{1,63}$")
TOKEN_PREFIX = "cp_"


class AccountError(ValueError):
    """A request the accounts layer refuses; the message is safe to show the person who made it."""


class Role(StrEnum):
    OWNER = "owner"      # everything in the workspace, including members and the audit log
    ANALYST = "analyst"  # queries, taxonomy, alerts, label corrections
    VIEWER = "viewer"    # dashboards only

    def at_least(self, other: Role) -> bool:
        order = (Role.VIEWER, Role.ANALYST, Role.OWNER)
        return order.index(self) >= order.index(other)


@dataclass(frozen=True)
class User:
    username: str
    is_admin: bool
    disabled: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the secret, nor its whole hash."""

    token_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    # Tokens are 256-bit random values, so a plain SHA-256 is enough to keep them out of the database.
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The token's public id (listed, used to revoke it): the start of its hash."""
    return token_hash(token)[:sql.TOKEN_ID_LENGTH]


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    # users --------------------------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, *, admin: bool = False) -> User:
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise AccountError(f"invalid user name {username!r}: 2-64 lowercase letters, digits, '.', '_', '-', '@'")
        if self.get_user(username) is not None:
            raise AccountError(f"user {username!r} already exists")
        if self.store.query(sql.NAME_RETIRED, [username]):
            raise AccountError(f"user name {username!r} belonged to a deleted account and stays retired, so the "
                               "audit log never confuses the two: choose another name")
        self._check(password, username)
        now = _now()
        self.store.execute(sql.INSERT_USER, [username, hash_password(password), admin, now, now])
        return User(username, admin)

    def get_user(self, username: str) -> User | None:
        rows = self.store.query(sql.GET_USER, [username.strip().lower()])
        return User(rows[0][0], bool(rows[0][2]), bool(rows[0][3])) if rows else None

    def list_users(self) -> list[tuple[User, datetime]]:
        return [(User(u, bool(a), bool(d)), created) for u, a, d, created in self.store.query(sql.LIST_USERS)]

    def set_password(self, username: str, password: str, *, keep_session: str = "") -> None:
        """New password; the user's API tokens are revoked and their web sessions ended, except `keep_session`
        (the hash of the session that made the change)."""
        user = self._require(username)
        self._check(password, user.username)
        self.store.execute(sql.SET_PASSWORD, [hash_password(password), _now(), user.username])
        self.store.execute(sql.REVOKE_USER_TOKENS, [user.username])
        self.store.execute(sql.END_SESSIONS, [user.username, keep_session])

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (sessions end; tokens are refused until enabled again) or enable an account."""
        user = self._require(username)
        if disabled and user.is_admin and not self.store.query(sql.COUNT_ACTIVE_ADMINS, [user.username])[0][0]:
            raise AccountError(f"{user.username} is the last active administrator: make another one first")
        self.store.execute(sql.SET_DISABLED, [disabled, user.username])
        if disabled:
            self.store.execute(sql.END_SESSIONS, [user.username, ""])
        return User(user.username, user.is_admin, disabled)

    def set_admin(self, username: str, is_admin: bool) -> User:
        """Make a user an instance administrator or take it away; the last active administrator stays one."""
        user = self._require(username)
        if not is_admin and user.is_admin and not user.disabled and \
                not self.store.query(sql.COUNT_ACTIVE_ADMINS, [user.username])[0][0]:
            raise AccountError(f"{user.username} is the last active administrator: make another one first")
        self.store.execute(sql.SET_ADMIN, [is_admin, user.username])
        return User(user.username, is_admin, user.disabled)

    def delete_user(self, username: str) -> None:
        """Remove the account with its sessions, tokens and memberships. Refused while it is a workspace's only
        owner or the last active administrator: someone must still be able to manage what it managed."""
        user = self._require(username)
        if sole := [ws for (ws,) in self.store.query(sql.SOLE_OWNERSHIPS, [user.username])]:
            raise AccountError(f"{user.username} is the only owner of {', '.join(sole)}: make another member "
                               "owner first")
        if user.is_admin and not user.disabled and not self.store.query(sql.COUNT_ACTIVE_ADMINS,
                                                                         [user.username])[0][0]:
            raise AccountError(f"{user.username} is the last active administrator: make another one first")
        for statement in sql.DELETE_USER:
            self.store.execute(statement, [user.username])

    def authenticate(self, username: str, password: str) -> User | None:
        rows = self.store.query(sql.GET_USER, [username.strip().lower()])
        if not rows:
            verify_password(_dummy_hash(), password)  # same work either way: no user enumeration by timing
            return None
        name, stored, admin, disabled = rows[0]
        if disabled or not verify_password(stored, password):
            return None
        if needs_rehash(stored):
            self.store.execute(sql.SET_PASSWORD, [hash_password(password), _now(), name])
        return User(name, bool(admin))

    # roles ---------------------------------------------------------------------------------------------------
    def grant(self, workspace: str, username: str, role: Role | str) -> None:
        user = self._require(username)
        if self.store.get_workspace(workspace) is None:
            raise AccountError(f"no workspace {workspace!r}")
        try:
            role = Role(role)
        except ValueError:
            raise AccountError(f"unknown role {role!r}: choose owner, analyst or viewer") from None
        if role is not Role.OWNER:
            self._keep_an_owner(workspace, user.username)
        self.store.execute(sql.UPSERT_MEMBERSHIP, [workspace, user.username, role.value, _now()])

    def revoke(self, workspace: str, username: str) -> bool:
        user = self._require(username)
        had = self.role_in(user, workspace) is not None
        self._keep_an_owner(workspace, user.username)
        self.store.execute(sql.DELETE_MEMBERSHIP, [workspace, user.username])
        return had

    def _keep_an_owner(self, workspace: str, leaving: str) -> None:
        """Refuse to demote or remove a workspace's only owner: nobody could manage its members afterwards."""
        if self.store.query(sql.GET_ROLE, [workspace, leaving]) != [("owner",)]:
            return
        if self.store.query(sql.COUNT_OWNERS, [workspace])[0][0] <= 1:
            raise AccountError(f"{leaving} is the only owner of {workspace}: make another member owner first")

    def may_add_by_name(self, owner: User, username: str) -> bool:
        """Whether a workspace owner may add `username` by name: administrators may add anyone; an owner only
        people already in one of the workspaces they own, so that no owner learns which names exist."""
        return owner.is_admin or bool(self.store.query(sql.SHARES_OWNED_WORKSPACE,
                                                       [username.strip().lower(), owner.username]))

    def role_in(self, user: User, workspace: str) -> Role | None:
        """The one place that answers "may this user see this workspace, and as what?"."""
        if user.disabled:
            return None
        rows = self.store.query(sql.GET_ROLE, [workspace, user.username])
        return Role(rows[0][0]) if rows else None

    def memberships(self, user: User) -> list[tuple[str, Role]]:
        return [(ws, Role(role)) for ws, role in self.store.query(sql.USER_MEMBERSHIPS, [user.username])]

    def members(self, workspace: str) -> list[tuple[str, Role]]:
        return [(u, Role(role)) for u, role in self.store.query(sql.WORKSPACE_MEMBERS, [workspace])]

    # API tokens ----------------------------------------------------------------------------------------------
    def create_token(self, username: str, name: str) -> str:
        """A new token for programmatic access; shown once, stored only as a hash."""
        user = self._require(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.store.execute(sql.INSERT_TOKEN, [token_hash(token), user.username, name or "token", _now()])
        return token

    def user_for_token(self, token: str) -> User | None:
        """The token's user; read-only (the web app records the last use later, see web/token_usage.py)."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        rows = self.store.query(sql.GET_TOKEN, [token_hash(token)])
        return self.get_user(rows[0][0]) if rows else None

    def tokens(self, username: str) -> list[TokenInfo]:
        """The user's live tokens, oldest first."""
        user = self._require(username)
        return [TokenInfo(digest[:sql.TOKEN_ID_LENGTH], name, created, used)
                for digest, name, created, used in self.store.query(sql.LIST_TOKENS, [user.username])]

    def revoke_token(self, username: str, token_id: str) -> bool:
        """Revoke one of the user's tokens by its id (see `tokens`); False if the user has no such live token."""
        user = self._require(username)
        token_id = token_id.strip().lower()
        if not re.fullmatch(f"[0-9a-f]{{{sql.TOKEN_ID_LENGTH}}}", token_id):
            return False
        if not self.store.query(sql.COUNT_TOKENS, [user.username, token_id])[0][0]:
            return False
        self.store.execute(sql.REVOKE_TOKEN, [user.username, token_id])
        return True

    def record_token_use(self, digest: str, when: datetime) -> None:
        self.store.execute(sql.TOUCH_TOKEN, [when, digest, when])

    # helpers -------------------------------------------------------------------------------------------------
    def _require(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise AccountError(f"no user {username!r}")
        return user

    @staticmethod
    def _check(password: str, username: str) -> None:
        try:
            check_strength(password, username)
        except ValueError as exc:
            raise AccountError(str(exc)) from None


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))

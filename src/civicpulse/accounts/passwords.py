"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()


class WeakPasswordError(ValueError):
    pass


def check_strength(password: str, username: str = "") -> None:
    """Refuse passwords an attacker would try first; the message says what to change."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password too short: use at least {MIN_LENGTH} characters")
    if len(set(password)) < 4:
        raise WeakPasswordError("password too repetitive: use at least 4 different characters")
    if username and username.lower() in password.lower():
        raise WeakPasswordError("password must not contain the user name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)

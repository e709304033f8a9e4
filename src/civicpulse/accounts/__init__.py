"""Accounts: users with hashed passwords, per-workspace roles, API tokens. The web app and the CLI share it."""

from civicpulse.accounts.service import AccountError, Accounts, Role, TokenInfo, User, token_hash, token_id

__all__ = ["AccountError", "Accounts", "Role", "TokenInfo", "User", "token_hash", "token_id"]

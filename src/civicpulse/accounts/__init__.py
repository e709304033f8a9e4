"""Accounts: users with hashed passwords, per-workspace roles, API tokens. The web app and the CLI share it."""

from civicpulse.accounts.service import AccountError, Accounts, Role, User

__all__ = ["AccountError", "Accounts", "Role", "User"]

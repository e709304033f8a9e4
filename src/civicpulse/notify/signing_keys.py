"""Webhook signing secrets that the database never holds.

A rule's secret is derived when needed: base64url(HMAC-SHA256(instance key, workspace, rule id, salt)). The
database keeps only `kdf1:<key id>:<salt>`; the 32-byte instance key lives in `_webhooks.key` in the keys folder
beside the per-workspace pseudonym keys (docs/privacy.md), so a copy of the database alone cannot sign a delivery
nor forge one. The key id makes a replaced or lost key fail loudly instead of signing with a different secret.
(Derivation rather than encryption: no AEAD library is among civicpulse's dependencies.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from civicpulse.fs import write_secret_file

KEY_FILE = "_webhooks.key"  # a leading underscore: no workspace can be named like this
REFERENCE_PREFIX = "kdf1"
_MEMORY_KEY = secrets.token_bytes(32)  # for in-memory stores, which live no longer than the process


class SigningKeyError(RuntimeError):
    """The secret cannot be re-derived (the key file is missing, unreadable or was replaced)."""


class WebhookSecrets:
    """New secrets and their stored references; `directory=None` keeps the key in memory (in-memory stores)."""

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._key: bytes | None = None if directory is not None else _MEMORY_KEY

    def new(self, workspace: str, rule_id: str) -> tuple[str, str]:
        """(secret to show once, reference to store)."""
        salt = secrets.token_hex(16)
        return self._derive(workspace, rule_id, salt), f"{REFERENCE_PREFIX}:{self._key_id()}:{salt}"

    def secret(self, workspace: str, rule_id: str, stored: str | None) -> str | None:
        """The secret behind a stored reference; a value stored by versions before derivation is the secret."""
        if not stored:
            return None
        prefix, _, rest = stored.partition(":")
        if prefix != REFERENCE_PREFIX:
            return stored  # legacy clear secret: still signs, until the rule is recreated
        key_id, _, salt = rest.partition(":")
        if not hmac.compare_digest(key_id, self._key_id()):
            raise SigningKeyError("the webhook signing key was replaced; recreate the rule for a new secret")
        return self._derive(workspace, rule_id, salt)

    def _derive(self, workspace: str, rule_id: str, salt: str) -> str:
        message = "\x00".join(("civicpulse webhook secret", workspace, rule_id, salt)).encode()
        digest = hmac.new(self._load(), message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _key_id(self) -> str:
        return hashlib.sha256(b"civicpulse webhook key id\x00" + self._load()).hexdigest()[:12]

    def _load(self) -> bytes:
        if self._key is None:
            self._key = self._read_or_create()
        return self._key

    def _read_or_create(self) -> bytes:
        assert self.directory is not None
        path = self.directory / KEY_FILE
        if not path.exists():
            body = json.dumps({"purpose": "webhook signing secrets", "secret": secrets.token_hex(32),
                               "created_at": datetime.now(UTC).isoformat()})
            write_secret_file(path, body.encode())  # two processes starting together both read the first key
        try:
            return bytes.fromhex(json.loads(path.read_text())["secret"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SigningKeyError(f"{path}: unreadable webhook key ({exc}); restore it from your secret store") \
                from None

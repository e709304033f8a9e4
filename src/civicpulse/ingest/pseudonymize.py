"""Keyed pseudonyms for authors, with per-workspace secrets kept outside the database.

author_key = "<version>." + HMAC-SHA256(secret, platform NUL author id), truncated to 80 bits. Without the key
file nobody, the database's readers included, can turn a pseudonym back into an account or check a guess.
Rotating the key makes new pseudonyms unlinkable to old ones (by design: that is what rotation is for).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from civicpulse.fs import write_secret_file
from civicpulse.store.base import validate_workspace_name

_CACHE_LIMIT = 500_000


class KeyFileError(RuntimeError):
    pass


@dataclass(frozen=True)
class WorkspaceKey:
    workspace: str
    version: int
    secret: bytes


class KeyStore:
    """A folder of `<workspace>.key` files (mode 0600). Keep it off the database's volume and backups."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def path(self, workspace: str) -> Path:
        return self.directory / f"{validate_workspace_name(workspace)}.key"

    def load(self, workspace: str, create: bool = True) -> WorkspaceKey:
        path = self.path(workspace)
        if not path.exists():
            if not create:
                raise KeyFileError(f"no key for workspace {workspace!r} in {self.directory}")
            self._write(workspace, 1)  # another process may have written it first: read what is there
        try:
            data = json.loads(path.read_text())
            return WorkspaceKey(workspace, int(data["version"]), bytes.fromhex(data["secret"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"{path}: unreadable key file ({exc}); restore it from your secret store") from None

    def rotate(self, workspace: str, keep_retired: bool = True) -> WorkspaceKey:
        current = self.load(workspace, create=False)
        if keep_retired:
            retired = self.path(workspace).with_suffix(f".key.v{current.version}.retired")
            self.path(workspace).rename(retired)
        return self._write(workspace, current.version + 1, replace=True)

    def _write(self, workspace: str, version: int, replace: bool = False) -> WorkspaceKey:
        key = WorkspaceKey(workspace, version, secrets.token_bytes(32))
        body = json.dumps({"workspace": workspace, "version": version, "secret": key.secret.hex(),
                           "created_at": datetime.now(UTC).isoformat()})
        write_secret_file(self.path(workspace), body.encode(), replace=replace)
        return key


class Pseudonymizer:
    """Callable (platform, author id) -> pseudonym; memoized because authors repeat a lot."""

    def __init__(self, key: WorkspaceKey):
        self._prefix = f"{key.version}."
        self._mac = hmac.new(key.secret, digestmod=hashlib.sha256)
        self._cache: dict[tuple[str, str], str] = {}

    def __call__(self, platform: str, author_id: str) -> str:
        cache_key = (platform, author_id)
        found = self._cache.get(cache_key)
        if found is None:
            mac = self._mac.copy()
            mac.update(f"{platform}\x00{author_id}".encode())
            found = self._prefix + mac.hexdigest()[:20]
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()  # bounded memory on endless streams
            self._cache[cache_key] = found
        return found

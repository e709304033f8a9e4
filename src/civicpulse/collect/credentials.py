"""Source credentials encrypted at rest (Fernet), with the key in the keys folder, never in the database.

Whoever reads the database (a backup, an export, a SQL console) sees only ciphertext; the key file
`collect.fernet` (mode 0600) sits beside the pseudonymization keys, which are kept off the database's volume.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from civicpulse.collect.base import Credentials
from civicpulse.fs import write_secret_file

KEY_FILE = "collect.fernet"


class CredentialError(RuntimeError):
    pass


class CredentialBox:
    def __init__(self, keys_dir: str | Path):
        self.path = Path(keys_dir) / KEY_FILE

    def _fernet(self, create: bool) -> Fernet:
        if not self.path.exists():
            if not create:
                raise CredentialError(f"no credential key at {self.path}: the sources' credentials cannot be "
                                      "read; restore the keys folder or add the sources again")
            write_secret_file(self.path, Fernet.generate_key())  # never over a key another process just made
        try:
            return Fernet(self.path.read_bytes().strip())
        except ValueError as exc:
            raise CredentialError(f"{self.path}: unreadable credential key ({exc})") from None

    def seal(self, creds: Credentials) -> str:
        return self._fernet(create=True).encrypt(json.dumps(creds.values).encode()).decode()

    def open(self, sealed: str | None) -> Credentials:
        if not sealed:
            return Credentials()
        try:
            return Credentials(json.loads(self._fernet(create=False).decrypt(sealed.encode())))
        except InvalidToken:
            raise CredentialError(f"the stored credentials do not match the key in {self.path} (was the key "
                                  "replaced?); add the source again with its credentials") from None


def load_credentials_file(path: str | Path) -> Credentials:
    """A JSON object of the platform's own key names to string values, e.g. {"bearer_token": "..."}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read the credentials file: {exc.strerror}") from None
    except ValueError as exc:
        raise CredentialError(f"{path}: the credentials file is not valid JSON ({exc.args[0].split(':')[0]})") \
            from None  # never echo the file's content: it is a secret
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise CredentialError(f"{path}: expected a JSON object of string values, e.g. {{\"bearer_token\": \"...\"}}")
    return Credentials(data)

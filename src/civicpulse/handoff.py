"""One writer per store file: how `civicpulse serve` and the other commands share a DuckDB file.

DuckDB lets one process open a file read-write, and while it does, no other process can open it at all (not even
read-only). So:

* a running server publishes `<db>.server.json` (mode 0600: its URL, pid and a random secret); `ingest` and
  `analyze` find it and hand their work to the server's job queue instead of opening the file;
* with no server, a command that finds the file locked by another civicpulse process waits for it (and so does
  a server that is started meanwhile) instead of failing with "database is locked".

A hand-off file whose process is gone or whose URL does not answer is stale: it is ignored and overwritten.

A PostgreSQL store (`postgresql://` URL) needs none of this: the database server takes many clients at once, so
every command opens it itself, a server publishes no file, and no command waits.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from civicpulse.store import Store, is_postgres_url, open_store

LOCAL_HEADER = "X-Civicpulse-Local"
DEFAULT_WAIT = 600.0  # seconds a command waits for a busy store (env CIVICPULSE_WAIT)
POLL_EVERY = 0.5
NOTE_EVERY = 5.0  # how often the "waiting…" line is repeated
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


class HandoffError(RuntimeError):
    """A clear, one-line reason the store cannot be used now."""


class ServerGone(HandoffError):
    """The server stopped answering (shut down) before a handed-over job was done."""


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int
    token: str = field(repr=False)  # the hand-off secret: never in logs or error messages


def handoff_path(db: str) -> Path:
    return Path(f"{db}.server.json")


def default_wait() -> float:
    try:
        return float(os.environ.get("CIVICPULSE_WAIT", DEFAULT_WAIT))
    except ValueError:
        raise HandoffError("CIVICPULSE_WAIT must be a number of seconds") from None


# --- the server's side --------------------------------------------------------------------------------------
def new_secret() -> str:
    return secrets.token_urlsafe(32)


def publish(db: str, info: ServerInfo) -> ServerInfo:
    """Write the hand-off file (overwriting a stale one), atomically and readable by its owner only."""
    if is_postgres_url(db):
        return info
    path = handoff_path(db)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(info), fh)
    os.replace(tmp, path)
    return info


def withdraw(db: str, info: ServerInfo) -> None:
    """Remove the hand-off file if it is still ours (a newer server may have replaced a stale one)."""
    if is_postgres_url(db):
        return
    path = handoff_path(db)
    try:
        if read_server(db) == info:
            path.unlink()
    except (OSError, HandoffError):
        pass


# --- finding a server ---------------------------------------------------------------------------------------
def read_server(db: str) -> ServerInfo | None:
    if is_postgres_url(db):
        return None
    path = handoff_path(db)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ServerInfo(str(raw["url"]), int(raw["pid"]), str(raw["token"]))
    except FileNotFoundError:
        return None
    except PermissionError:
        raise HandoffError(f"a civicpulse server seems to hold {db}, but {path} is not readable by you: run the "
                           "command as the user who started the server") from None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # half-written or foreign: treated as stale


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def live_server(db: str, timeout: float = 2.0) -> ServerInfo | None:
    """The server serving this store now, or None (no hand-off file, or a stale one)."""
    info = read_server(db)
    if info is None or not pid_alive(info.pid):
        return None
    try:
        with urllib.request.urlopen(f"{info.url}/healthz", timeout=timeout) as response:
            return info if response.status == 200 else None
    except (OSError, ValueError):
        return None


# --- opening the store, waiting while another process has it ------------------------------------------------
def lock_holder(exc: Exception) -> int | None:
    """The pid holding the file when `exc` is DuckDB's lock conflict (0 when DuckDB does not say); else None."""
    text = str(exc)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return None
    match = _LOCK_HOLDER.search(text)
    return int(match.group(1)) if match else 0


def _open(db: str, read_only: bool) -> Store:
    # DuckDB cannot open a missing file read-only; such a store is created (empty) like any other command does.
    return open_store(db, read_only=read_only and (is_postgres_url(db) or Path(db).is_file()))


def shown(db: str) -> str:
    """The store as messages name it: a URL without its password."""
    if not is_postgres_url(db):
        return db
    scheme, sep, rest = db.partition("://")
    return f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}" if "@" in rest else db


def acquire(db: str, *, read_only: bool = False, wait: float | None = None,
            say: Callable[[str], None] = lambda _: None) -> Store | ServerInfo:
    """Open the store, or name the live server that holds it; wait up to `wait` s while another process has it.

    The server is looked for on every try, so a server that starts while we wait is found as soon as it serves.
    """
    wait = default_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    next_note = 0.0
    waited = False
    while True:
        server = live_server(db)
        if server is not None:
            return server
        try:
            store = _open(db, read_only)
        except Exception as exc:
            holder = lock_holder(exc)
            if holder is None:
                raise
        else:
            if waited:
                say(f"{db} is free now; going on")
            return store
        now = time.monotonic()
        who = f"another civicpulse process (pid {holder})" if holder else "another civicpulse process"
        if now >= deadline:
            raise HandoffError(f"{db} is still in use by {who} after {wait:.0f} s; try again when it has finished "
                               "(or set CIVICPULSE_WAIT / --wait to wait longer)")
        if now >= next_note:
            say(f"waiting for {who} to release {db}… ({deadline - now:.0f} s left)")
            next_note = now + NOTE_EVERY
        waited = True
        time.sleep(POLL_EVERY)


# --- the CLI's side of the hand-off ---------------------------------------------------------------------------
class LocalClient:
    """Talks to the server's /api/local routes with the hand-off secret (standard library only: fast start)."""

    def __init__(self, server: ServerInfo, timeout: float = 30.0) -> None:
        self.server, self.timeout = server, timeout

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> urllib.request.Request:
        data = json.dumps(body).encode() if body is not None else None
        return urllib.request.Request(f"{self.server.url}/api/local{path}", data=data, method=method,
                                      headers={LOCAL_HEADER: self.server.token, "Content-Type": "application/json"})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._fetch(self._request(method, path, body), lambda response: json.loads(response.read()))

    def _fetch(self, request: urllib.request.Request, read: Callable[[Any], Any]) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return read(response)
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("detail", exc.reason)
            except ValueError:
                detail = exc.reason
            raise HandoffError(f"the civicpulse server at {self.server.url} refused: {detail}") from None
        except (OSError, ValueError, http.client.HTTPException):  # HTTPException: a stream cut short
            raise ServerGone(f"the civicpulse server at {self.server.url} stopped answering") from None

    def submit(self, job: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/jobs", job)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def stats(self, workspace: str | None) -> dict[str, Any]:
        query = f"?workspace={urllib.parse.quote(workspace)}" if workspace else ""
        return self._call("GET", f"/stats{query}")

    def topics(self, workspace: str) -> dict[str, Any]:
        return self._call("GET", f"/topics?workspace={urllib.parse.quote(workspace)}")

    def export(self, open_sink: Callable[[], AbstractContextManager[BinaryIO]], **params: Any) -> None:
        """Copy the server's export of a workspace into the sink as it arrives; the sink is opened only once the
        server has accepted the request, so a refusal leaves no empty file behind."""

        def copy(response: Any) -> None:
            with open_sink() as sink:
                while chunk := response.read(1 << 16):
                    sink.write(chunk)

        self._fetch(self._request("GET", f"/export?{urllib.parse.urlencode(params)}"), copy)

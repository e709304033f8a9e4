"""`civicpulse serve`, and how the other commands share the store with a running server (see handoff.py).

`ingest`, `analyze`, `collect --once`, `stats`, `export` and `topics` call in here before they open the store:
while a server runs they send their work to it and report exactly as a local run would; otherwise they open the
store, waiting while another process holds it.
"""

from __future__ import annotations

import getpass
import ipaddress
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn

from civicpulse.cli import Fatal, State, err, main, out
from civicpulse.handoff import (
    HandoffError,
    LocalClient,
    ServerGone,
    ServerInfo,
    acquire,
    new_secret,
    publish,
    shown,
    withdraw,
)
from civicpulse.ingest.pipeline import FileSummary
from civicpulse.services.ingest import IngestOptions
from civicpulse.store import Store

POLL_EVERY = 0.25
COUNTS = ("read", "stored", "updated", "unchanged", "deleted", "skipped", "rejected", "warnings")


def _say(message: str) -> None:
    err.print(message, highlight=False, markup=False)


def _acquire(db: str, *, read_only: bool = False, wait: float | None = None) -> Store | ServerInfo:
    try:
        return acquire(db, read_only=read_only, wait=wait, say=_say)
    except Exception as exc:  # lock timeout, corrupt or newer store: one clear line, as for any store error
        raise Fatal(str(exc)) from None


def _held_by(db: str, server: ServerInfo) -> Fatal:
    return Fatal(f"{db} is in use by the civicpulse server at {server.url} (pid {server.pid}): do this in the web "
                 f"app, or stop the server first (Ctrl-C in its terminal, or kill -TERM {server.pid})")


def open_waiting(db: str) -> Store:
    """The store for a command that cannot hand its work to a server (State.store)."""
    got = _acquire(db)
    if isinstance(got, ServerInfo):
        raise _held_by(db, got)
    return got


# --- hand-off ---------------------------------------------------------------------------------------------
def _follow(client: LocalClient, job: dict[str, Any], show: bool, columns: tuple[ProgressColumn, ...]) -> dict:
    """Poll a handed-over job to its end, with the same kind of progress bar as a local run."""
    started, told = time.monotonic(), False
    with Progress(TextColumn("{task.description}"), *columns, console=err, disable=not show, transient=True) as bar:
        task = bar.add_task("queued", total=None)
        while job["status"] in ("queued", "running"):
            if job["status"] == "queued" and not told and time.monotonic() - started > 2:
                _say("the server is busy with other jobs; this one runs after them")
                told = True
            time.sleep(POLL_EVERY)
            job = client.job(job["id"])
            bar.update(task, description=job["phase"] or job["status"], completed=job["done"], total=job["total"])
    if job["status"] == "interrupted":  # the server is stopping: what is left is done here (see _hand_over)
        raise ServerGone(f"the civicpulse server stopped before finishing this {job['kind']}")
    if job["status"] != "done":
        raise Fatal(f"the server's {job['kind']} job failed: {job['error']}")
    return job["result"]


def _hand_over(state: State, make_request: Callable[[], dict[str, Any]], show: bool,
               columns: tuple[ProgressColumn, ...]) -> dict | None:
    """Run the job on the live server and return its result; None once this process holds the store instead."""
    while True:
        got = _acquire(state.db)
        if not isinstance(got, ServerInfo):
            state.adopt(got)
            return None
        _say(f"the civicpulse server at {got.url} (pid {got.pid}) holds {state.db}: handing this over to it")
        client = LocalClient(got)
        try:
            return _follow(client, client.submit(make_request()), show, columns)
        except ServerGone as exc:
            # A stopping server finishes the job in hand first; whatever is left is safe to redo here: ingest
            # stores each post once, analyze picks up the posts still waiting.
            _say(f"{exc} (it finishes the job in hand first); what is left is done here")
        except HandoffError as exc:
            raise Fatal(str(exc)) from None


def _request(state: State, kind: str, workspace: str, **params: Any) -> dict[str, Any]:
    return {"kind": kind, "workspace": workspace, "user": getpass.getuser(),
            "keys_dir": str(state.keys_dir.resolve()), **{k: v for k, v in params.items() if v is not None}}


def hand_over_ingest(state: State, workspace: str, options: IngestOptions, show: bool) -> list[FileSummary] | None:
    """`civicpulse ingest` through a running server; None when there is none and the store is ours."""
    spool: list[str] = []
    files = options.paths

    def make_request() -> dict[str, Any]:
        if "-" in files and not spool:
            spool.append(_spool_stdin())
        paths = tuple(spool[0] if f == "-" else os.path.abspath(f) for f in files)
        handed = replace(options, paths=paths, names=files, analyze=False,
                         mapping=os.path.abspath(options.mapping) if options.mapping else None,
                         rejects=os.path.abspath(options.rejects) if options.rejects else None)
        return _request(state, "ingest", workspace, **handed.to_params())

    try:
        result = _hand_over(state, make_request, show, (BarColumn(), DownloadColumn()))
        if result is None and spool:
            # The server left before finishing; stdin is spent, but its copy is not (still readable once unlinked).
            sys.stdin = open(spool[0], encoding="utf-8")  # noqa: SIM115 - lives as long as stdin would
    finally:
        if spool:
            os.unlink(spool[0])
    if result is None:
        return None
    return [FileSummary(file=f["file"], format=f["format"], messages=f.get("messages", []),
                        **{c: f[c] for c in COUNTS}) for f in result["files"]]


def _spool_stdin() -> str:
    """The server cannot read our stdin: copy it to a private temporary file it can read."""
    fd, name = tempfile.mkstemp(prefix="civicpulse-stdin-")
    with os.fdopen(fd, "wb") as fh:
        shutil.copyfileobj(sys.stdin.buffer, fh)
    return name


def hand_over_analyze(state: State, workspace: str, show: bool, **params: Any) -> dict | None:
    """`civicpulse analyze` through a running server; None when there is none and the store is ours."""
    return _hand_over(state, lambda: _request(state, "analyze", workspace, **params), show,
                      (BarColumn(), MofNCompleteColumn()))


def hand_over_collect(state: State, workspace: str | None, ignore_schedule: bool) -> list[dict[str, Any]] | None:
    """`civicpulse collect --once` through a running server: its runtime runs the due sources (beside its own
    schedule, never one source twice at once); None when there is no server and the store is ours."""
    result = _hand_over(state, lambda: _request(state, "collect", workspace or "", ignore_schedule=ignore_schedule),
                        False, ())
    return None if result is None else list(result["runs"])


def stats_for(state: State, workspace: str | None) -> dict[str, Any]:
    """Store counts: from the server while one runs, otherwise from the store opened read-only."""
    got = _acquire(state.db, read_only=True)
    if not isinstance(got, ServerInfo):
        state.adopt(got)
        return got.stats(workspace)
    try:
        s = LocalClient(got).stats(workspace)
    except HandoffError as exc:
        raise Fatal(str(exc)) from None
    for key in ("first_post_at", "last_post_at"):
        s[key] = datetime.fromisoformat(s[key]) if s.get(key) else None
    return s


def server_holding(state: State) -> ServerInfo | None:
    """The live server holding the store; None once this process holds it (for commands the server answers)."""
    got = _acquire(state.db)
    if isinstance(got, ServerInfo):
        return got
    state.adopt(got)
    return None


def export_through(server: ServerInfo, workspace: str, fmt: str, out: str | None, with_analysis: bool) -> None:
    """`civicpulse export` answered by the server: its bytes go to --out (or stdout) as they arrive."""
    from civicpulse.export import output

    _say(f"the civicpulse server at {server.url} (pid {server.pid}) holds the store: it answers this export")
    try:
        LocalClient(server, timeout=300).export(lambda: output(out), workspace=workspace, format=fmt,
                                                with_analysis=str(with_analysis).lower(), user=getpass.getuser())
    except HandoffError as exc:
        raise Fatal(f"{exc}" + (f"; {out} is incomplete" if out not in (None, "-") else "")) from None
    except OSError as exc:
        raise Fatal(str(exc)) from None


def topics_through(server: ServerInfo, workspace: str) -> dict[str, Any]:
    try:
        return LocalClient(server).topics(workspace)
    except HandoffError as exc:
        raise Fatal(str(exc)) from None


# --- serve ------------------------------------------------------------------------------------------------
def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class _QuietPolling(logging.Filter):
    """Keeps the access log readable: a handed-over job is polled several times a second."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (len(args) > 2 and str(args[2]).startswith(("/api/local/jobs/", "/healthz")))


def trusted_proxy_list(values: tuple[str, ...] | list[str]) -> list[str]:
    """Validated proxy addresses/networks from repeated options or one comma-separated variable."""
    proxies = [p.strip() for value in values for p in value.split(",") if p.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise Fatal(f"--trusted-proxy {proxy!r}: give an IP address or network such as 10.0.0.0/8") from None
    return proxies


def proxy_settings(proxies: list[str]) -> dict:
    """uvicorn's options: forwarded headers believed only from the configured proxies. uvicorn's own default
    believes them from 127.0.0.1, which lets any local process (or a same-host proxy that passes client headers
    through) choose the address the sign-in limiter and the audit log see."""
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else ""}


def _server_class():
    import uvicorn

    class HandoffServer(uvicorn.Server):
        """uvicorn, plus the hand-off file: written once it listens, removed as soon as shutdown begins."""

        def __init__(self, config: uvicorn.Config, db: str, token: str) -> None:
            super().__init__(config)
            self.db, self.token = db, token
            self.info: ServerInfo | None = None

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.should_exit or not self.servers:
                return
            port = self.servers[0].sockets[0].getsockname()[1]
            url = f"http://{_url_host(self.config.host)}:{port}"
            self.info = publish(self.db, ServerInfo(url, os.getpid(), self.token))
            out.print(f"civicpulse serves {shown(self.db)} at {url} (Ctrl-C to stop)", highlight=False)

        async def shutdown(self, sockets=None) -> None:
            # From here on new commands wait for the file instead of handing work to a server that is leaving.
            if self.info is not None:
                withdraw(self.db, self.info)
            await super().shutdown(sockets)

    return HandoffServer


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--secure-cookies", is_flag=True, help="Send session cookies over HTTPS only (behind a TLS proxy).")
@click.option("--log-level", type=click.Choice(("critical", "error", "warning", "info", "debug")), default="info",
              show_default=True)
@click.option("--wait", type=click.FloatRange(0), default=None,
              help="Seconds to wait while another civicpulse process holds the store (default 600, env "
                   "CIVICPULSE_WAIT).")
@click.option("--memory", default="1GB", show_default=True, envvar="CIVICPULSE_SERVE_MEMORY",
              help="DuckDB buffer pool while serving (dashboards over millions of posts want more than the "
                   "128 MB that ingest runs with); env CIVICPULSE_SERVE_MEMORY. A PostgreSQL server sizes its own.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, envvar="CIVICPULSE_TRUSTED_PROXIES",
              help="Address (or CIDR network) of a reverse proxy whose X-Forwarded-For / X-Forwarded-Proto is "
                   "believed; repeat for several (env CIVICPULSE_TRUSTED_PROXIES, comma-separated). Default: "
                   "none; the client address is the connection's.")
@click.option("--webhook-allow", envvar="CIVICPULSE_WEBHOOK_ALLOW", default="",
              help="On-premise alert webhook receivers the server may call although their addresses are not "
                   "public: comma-separated addresses, CIDR ranges or host names, each with an optional port, "
                   "e.g. 10.20.0.0/16:8443,hooks.intranet (env CIVICPULSE_WEBHOOK_ALLOW; see docs/alerts.md).")
@click.pass_obj
def serve(state: State, host: str, port: int, secure_cookies: bool, log_level: str, wait: float | None,
          memory: str, trusted_proxies: tuple[str, ...], webhook_allow: str) -> None:
    """Serve the web app and API; `ingest` and `analyze` run meanwhile are handed over to it."""
    import uvicorn

    from civicpulse.notify.targets import ALLOW_ENV, AllowList
    from civicpulse.web.app import create_app

    proxies = trusted_proxy_list(trusted_proxies)
    try:
        AllowList.parse(webhook_allow)
    except ValueError as exc:
        raise Fatal(str(exc)) from None
    os.environ[ALLOW_ENV] = webhook_allow  # the policy reads it at every check, in every thread
    state.keys_dir  # noqa: B018 -- a postgresql:// store needs it named (State says so, without the URL)
    got = _acquire(state.db, wait=wait)
    if isinstance(got, ServerInfo):
        raise Fatal(f"{state.db} is already served at {got.url} (pid {got.pid})")
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory.strip(), re.I):
        raise Fatal(f"--memory {memory!r}: give a size such as 512MB or 2GB")
    limit = got.dialect.memory_limit(memory.strip())  # checked above: only a size reaches SQL
    if limit:  # an embedded store's buffer pool; a database server sizes its own
        got.execute(limit)
    token = new_secret()
    app = create_app(got, keys_dir=state.keys_dir, secure_cookies=secure_cookies)  # type: ignore[arg-type]
    app.state.local_token = token
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30,
                            server_header=False, **proxy_settings(proxies))
    logging.getLogger("uvicorn.access").addFilter(_QuietPolling())
    server = _server_class()(config, state.db, token)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler it found: make
    # that a no-op so a requested stop ends with status 0 instead of dying by the signal.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    except SystemExit as exc:
        if exc.code:
            raise Fatal(f"the server could not start (see above); is port {port} in use? try another --port") \
                from None
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server.info is not None:
            withdraw(state.db, server.info)
    out.print("civicpulse server stopped", highlight=False)

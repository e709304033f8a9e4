"""A real HTTP server on 127.0.0.1 that plays a platform's API for the collection tests.

Each test gives it a `route(request) -> Reply` function; the server records every request (path, query,
headers) so tests can check what a connector asked for: the cursor it resumed from, the token it sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from civicpulse.collect.http import HttpClient
from local_server import LoopbackHttp

# Loopback only: these tests must never reach a real platform.
LOOPBACK = pytest.mark.allow_hosts(["127.0.0.1", "::1"])


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: Any = None                  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Reply]


class FakeApi(LoopbackHttp):
    def __init__(self, route: Route):
        self.route = route
        self.requests: list[Request] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                api.requests.append(request)
                reply = api.route(request)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)


    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


class FakeClock:
    """Epoch seconds that only move when the code under test sleeps (or the test says so)."""

    def __init__(self, start: float = 1_790_000_000.0):
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_for(api: FakeApi, clock: FakeClock, **options: Any) -> HttpClient:
    from civicpulse.collect.http import RateHeaders

    return HttpClient(api.base, clock=clock, sleep=clock.sleep, rate=options.pop("rate", RateHeaders()), **options)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def cli(db: Any, *args: str) -> CliResult:
    """The `civicpulse` command in this process (a subprocess per call would cost seconds each on a busy machine)."""
    from click.testing import CliRunner

    from civicpulse.cli import main

    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)

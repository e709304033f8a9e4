"""A local HTTP endpoint for webhook tests: records every request and answers with scripted status codes.

    with WebhookReceiver(statuses=[500, 200]) as hook:   # first call 500, then 200 (the last repeats)
        post_signed(hook.url, secret, payload)
        hook.wait_for(2)
        hook.requests[-1].body, hook.requests[-1].headers["X-Civicpulse-Signature"]

`location` is where a 3xx answer points; `hold` (a threading.Event) keeps every answer back until it is set,
a receiver that stalls.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from local_server import LocalServer


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = self.server.record(Received(self.command, self.path, self.headers, body))
        if self.server.hold is not None:
            self.server.hold.wait(30)
        self.send_response(status)
        if 300 <= status < 400:  # a real target, so a client that follows redirects would show up here
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, statuses: Sequence[int], location: str, hold: threading.Event | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses = list(statuses) or [200]
        self.location, self.hold = location, hold
        self.requests: list[Received] = []
        self.arrived = threading.Condition()

    def record(self, request: Received) -> int:
        with self.arrived:
            self.requests.append(request)
            self.arrived.notify_all()
            index = min(len(self.requests), len(self.statuses)) - 1
            return self.statuses[index]


class WebhookReceiver(LocalServer):
    """Context manager running the receiver in a background thread; `statuses` answer calls in order.

    A 3xx status comes with `Location: <location>` (default /moved, on the same receiver).
    """

    what = "webhook request"

    def __init__(self, statuses: Sequence[int] = (200,), path: str = "/hook", location: str = "/moved",
                 hold: threading.Event | None = None) -> None:
        super().__init__(_Server(statuses, location, hold))
        self.path = path

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    @property
    def requests(self) -> list[Received]:
        return self._server.requests

    def arrivals(self) -> list[Received]:
        return self.requests

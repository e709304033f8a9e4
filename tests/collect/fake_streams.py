"""Streaming fakes on 127.0.0.1: an HTTP server whose replies can be open-ended streams (SSE, newline-delimited
JSON) sent piece by piece, and a Jetstream websocket server. Each connection plays the next script; scripts
hold pauses, heartbeats, truncated events and early closes, so reconnects are tested as they happen.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from fake_api import Reply, Request

from local_server import LoopbackHttp


@dataclass
class Stream:
    """An open-ended 200 answer: bytes are sent as they come, a float pauses that many seconds; the body ends
    when the pieces do (the server closes the connection), or, with `hold`, once the test sets `closed`."""

    pieces: Iterable[bytes | float]
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream"
    hold: bool = False
    heartbeat: bytes = b":thump\n"


StreamRoute = Callable[[Request], Reply | Stream]


class StreamServer(LoopbackHttp):
    def __init__(self, route: StreamRoute):
        self.route = route
        self.requests: list[Request] = []
        self.closed = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                request = Request(self.command, parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                server.requests.append(request)
                reply = server.route(request)
                if isinstance(reply, Stream):
                    self._stream(reply)
                    return
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, stream: Stream) -> None:
                self.send_response(200)
                self.send_header("content-type", stream.content_type)
                self.send_header("connection", "close")
                for name, value in stream.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    for piece in stream.pieces:
                        if isinstance(piece, float | int):
                            server.closed.wait(piece)
                        else:
                            self.wfile.write(piece)
                            self.wfile.flush()
                    while stream.hold and not server.closed.wait(0.05):
                        self.wfile.write(stream.heartbeat)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away: what a reconnect test wants
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)

    def __exit__(self, *exc: object) -> None:
        self.closed.set()  # streams held open end first
        super().__exit__(*exc)

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


def sse(event: str, data: Any) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"event: {event}\ndata: {text}\n\n".encode()


class Scripts:
    """Connection scripts played in order; once they run out, a quiet held stream (heartbeats only)."""

    def __init__(self, scripts: list[Reply | Stream] | None = None):
        self.scripts = list(scripts or [])
        self.connections = 0

    def next(self, default: Stream) -> Reply | Stream:
        self.connections += 1
        return self.scripts.pop(0) if self.scripts else default


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return False


class JetstreamServer:
    """A Jetstream on 127.0.0.1: each connection plays the next script (events, pauses, then a close), or is
    refused with an HTTP status (an int in the scripts). Remembers each subscription's query."""

    def __init__(self, scripts: list[list[dict | bytes | float] | int]):
        from websockets.sync.server import serve

        self.scripts = list(scripts)
        self.queries: list[dict[str, str]] = []
        self.closed = threading.Event()
        self.connections = 0

        def process_request(connection: Any, request: Any) -> Any:
            import http

            self.queries.append({k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()})
            self.connections += 1
            script = self.scripts[0] if self.scripts else []
            if isinstance(script, int):
                self.scripts.pop(0)
                return connection.respond(http.HTTPStatus(script), "refused\n")
            return None

        def handler(ws: Any) -> None:
            script = self.scripts.pop(0) if self.scripts else None
            try:
                for item in script or []:
                    if isinstance(item, float | int):
                        self.closed.wait(item)
                    else:
                        ws.send(item if isinstance(item, bytes | str) else json.dumps(item, ensure_ascii=False))
                if script is None:  # out of scripts: a quiet, open subscription
                    self.closed.wait(30)
            except Exception:  # the client went away
                return

        self.server = serve(handler, "127.0.0.1", 0, process_request=process_request)
        self.base = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()
        self.server.shutdown()
        self._thread.join(timeout=5)


def jet_event(n: int, text: str | None = None, operation: str = "create", did: str | None = None,
              time_us: int | None = None, collection: str = "app.bsky.feed.post") -> dict:
    """A project-written Jetstream commit event; time grows with n."""
    did = did or f"did:plc:author{n % 3}"
    commit: dict[str, Any] = {"rev": f"3l{n:010d}", "operation": operation, "collection": collection,
                              "rkey": f"3k{n:08d}"}
    if operation != "delete":
        commit["record"] = {"$type": collection, "text": text if text is not None else f"Bài {n}",
                            "createdAt": "2026-09-14T08:00:00.000Z", "langs": ["vi"]}
        commit["cid"] = f"bafyrei{n:010d}"
    return {"did": did, "time_us": time_us or 1_790_000_000_000_000 + n * 1000, "kind": "commit", "commit": commit}

"""What the tests' local SMTP sink and webhook receiver share: a server thread and waiting for arrivals."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any, Self


class LocalServer:
    """Runs `server` (a socketserver with an `arrived` Condition) in a thread while used as a context manager."""

    what = "item"

    def __init__(self, server: Any) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)

    def arrivals(self) -> list[Any]:
        raise NotImplementedError

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Any]:
        """Block until at least n arrived; raises TimeoutError saying how many did."""
        deadline = time.monotonic() + timeout
        with self._server.arrived:
            while len(self.arrivals()) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {n} {self.what}(s), got {len(self.arrivals())}")
                self._server.arrived.wait(left)
        return self.arrivals()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class LoopbackHttp:
    """An HTTP server on a free loopback port (`base`), served in a thread while used as a context manager.

    The fake platform APIs build their handler class and call `_listen(handler)` in their __init__.
    """

    def _listen(self, handler: type) -> None:
        from http.server import ThreadingHTTPServer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

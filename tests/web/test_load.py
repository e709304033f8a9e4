"""A real uvicorn server on 127.0.0.1: concurrent requests with one API token or one session never fail, and
X-Forwarded-For is believed only from configured proxies."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from civicpulse.accounts import Accounts
from civicpulse.cli import Fatal
from civicpulse.cli_serve import proxy_settings, trusted_proxy_list
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web import create_app

PASSWORD = "correct horse battery"
THREADS, REQUESTS = 8, 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(db: Path, proxies: list[str]) -> Iterator[str]:
    import uvicorn

    store = DuckDBStore(str(db))
    if Accounts(store).get_user("ann") is None:
        store.ensure_workspace("city")
        Accounts(store).create_user("ann", PASSWORD)
        Accounts(store).grant("city", "ann", "owner")
    port = _free_port()
    config = uvicorn.Config(create_app(store, background=False), host="127.0.0.1", port=port, log_level="warning",
                            **proxy_settings(proxies))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(30)


def _hammer(url: str, path: str, headers: dict, cookies: dict, threads: int, requests: int) -> list[str]:
    def worker(_: int) -> list[str]:
        problems = []
        with httpx.Client(base_url=url, headers=headers, cookies=cookies, timeout=30) as client:
            for _ in range(requests):
                try:
                    response = client.get(path)
                    if response.status_code != 200:
                        problems.append(f"{response.status_code} {response.text[:100]}")
                except httpx.HTTPError as exc:  # a reset connection
                    problems.append(repr(exc))
        return problems

    with ThreadPoolExecutor(threads) as pool:
        return [p for batch in pool.map(worker, range(threads)) for p in batch]


@pytest.mark.slow  # 720 requests: about 15 s on a busy two-core machine
def test_one_token_and_one_session_under_concurrent_load_all_succeed(tmp_path: Path) -> None:
    with running(tmp_path / "load.duckdb", []) as url:
        login = httpx.post(f"{url}/api/login", json={"username": "ann", "password": PASSWORD})
        session = {"cp_session": login.cookies["cp_session"]}
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        token = httpx.post(f"{url}/api/tokens", json={"name": "load"}, cookies=session, headers=csrf).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert _hammer(url, "/api/me", bearer, {}, THREADS, REQUESTS) == []
        assert _hammer(url, "/api/me", {}, session, THREADS, REQUESTS) == []
        # Reads that write an audit row, all at once, with the same token.
        assert _hammer(url, "/api/w/city/audit?limit=1", bearer, {}, THREADS, 10) == []
        listed = httpx.get(f"{url}/api/tokens", headers=bearer).json()
        assert listed[0]["last_used_at"] is not None  # noted in memory, shown before it is written
    with DuckDBStore(str(tmp_path / "load.duckdb")) as store:  # shutdown wrote the last use
        assert Accounts(store).tokens("ann")[0].last_used_at is not None
        views = store.query("SELECT count(*) FROM audit_log WHERE action = 'view.audit'")[0][0]
    assert views == THREADS * 10


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    db = tmp_path / "proxy.duckdb"
    # The forwarded address is only a header value here: nothing is ever sent to it.
    for proxies in ([], ["127.0.0.1"]):
        with running(db, proxies) as url:
            httpx.post(f"{url}/api/login", json={"username": "ann", "password": "not the password"},
                       headers={"X-Forwarded-For": "203.0.113.50"})
    with DuckDBStore(str(db)) as store:
        seen = [d for (d,) in store.query("SELECT detail FROM audit_log WHERE action = 'login.failed' "
                                          "ORDER BY logged_at")]
    assert seen == ["127.0.0.1", "203.0.113.50"]


def test_trusted_proxies_are_validated() -> None:
    assert trusted_proxy_list(("127.0.0.1", "10.0.0.0/8,::1")) == ["127.0.0.1", "10.0.0.0/8", "::1"]
    assert proxy_settings([]) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    with pytest.raises(Fatal, match=r"--trusted-proxy 'proxy\.local'"):
        trusted_proxy_list(("proxy.local",))

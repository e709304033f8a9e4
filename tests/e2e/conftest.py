"""End-to-end fixtures: one real server (uvicorn in a thread over a DuckDB file) and one headless Chromium page
shared by the module's tests, which run in order as one user's session."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, CHROMIUM, Server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium (`make setup` does) "
                                   "to run the browser tests")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    # Debian's chromium, never a downloaded one (`playwright install` needs the network).
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--no-first-run"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app over a fresh store with an administrator and a workspace the administrator is NOT a member of."""
    import uvicorn

    from civicpulse.accounts import Accounts
    from civicpulse.store.duckdb_store import DuckDBStore
    from civicpulse.web.app import create_app

    tmp = tmp_path_factory.mktemp("e2e")
    store = DuckDBStore(str(tmp / "x.duckdb"))
    Accounts(store).create_user(ADMIN, ADMIN_PASSWORD, admin=True)
    Accounts(store).create_user("someone", "Other-Pulse-2026!")
    store.ensure_workspace("secret")
    Accounts(store).grant("secret", "someone", "owner")
    port = _free_port()
    # The alert test's webhook points at an unused loopback port; loopback is refused unless allow-listed.
    env = pytest.MonkeyPatch()
    env.setenv("CIVICPULSE_WEBHOOK_ALLOW", "127.0.0.1:9")
    app = create_app(store, keys_dir=tmp / "keys", background=False)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the e2e server did not start")
        time.sleep(0.1)
    yield Server(url, tmp)
    uv.should_exit = True
    thread.join(30)
    env.undo()


@pytest.fixture(scope="module")
def ui(browser, server: Server):
    """One browser tab for the whole flow (sign in once, keep the session)."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}, accept_downloads=True,
                                  locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()

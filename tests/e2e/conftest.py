"""End-to-end fixtures: one real server (uvicorn in a thread over a DuckDB file) and one headless Chromium page
shared by the module's tests, which run in order as one user's session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, CHROMIUM, Server, serving


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app over a fresh store with an administrator and a workspace the administrator is NOT a member of."""
    from civicpulse.accounts import Accounts
    from civicpulse.store.duckdb_store import DuckDBStore

    tmp = tmp_path_factory.mktemp("e2e")
    store = DuckDBStore(str(tmp / "x.duckdb"))
    Accounts(store).create_user(ADMIN, ADMIN_PASSWORD, admin=True)
    Accounts(store).create_user("someone", "Other-Pulse-2026!")
    store.ensure_workspace("secret")
    Accounts(store).grant("secret", "someone", "owner")
    with serving(store, tmp) as running:
        yield running


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

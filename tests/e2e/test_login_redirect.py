"""A real browser signing in from a link with a hostile `next` ends on this site, never another origin.

Every request the page makes to anything but the test server is recorded and aborted, so a regression shows
as a failure and never as traffic to another host (the hosts are under .invalid besides)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server

# The two payloads and the plain forms (more payloads are unit-tested in tests/web/test_throttle.py).
HOSTILE = ["/%5Cattacker.invalid/", "/%09/attacker.invalid/", "//attacker.invalid/", "https://attacker.invalid/"]


@pytest.fixture
def page(browser: Browser, server: Server):
    context = browser.new_context(base_url=server.url)
    escaped: list[str] = []
    own = urlsplit(server.url).netloc

    def guard(route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    tab.escaped = escaped  # type: ignore[attr-defined]
    yield tab
    context.close()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_signing_in_with_a_hostile_next_stays_on_this_site(page, server: Server, hostile: str) -> None:
    page.goto(f"/login?next={hostile}")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-form")).to_have_count(0)  # signed in: the page moved on
    page.wait_for_load_state("load")
    assert urlsplit(page.url).netloc == urlsplit(server.url).netloc, page.url
    assert page.escaped == []  # type: ignore[attr-defined]

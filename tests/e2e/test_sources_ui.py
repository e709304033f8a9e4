"""The Sources page in a real browser: add a source against a local fake Mastodon (after testing the connection),
run it now, see its health and coverage, pause, resume and delete it; the page in Vietnamese."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server
from fake_mastodon import FakeMastodon, status

TOKEN = "e2e-mastodon-token"
WAIT = 20_000  # ms: each step waits on the server and, for a run, on the fake instance


def test_a_source_is_added_tested_run_and_managed_from_the_page(browser: Browser, server: Server,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICPULSE_COLLECT_ALLOW", "127.0.0.1")  # the fake instance is on loopback
    with httpx.Client(base_url=server.url) as api:
        csrf = api.post("/api/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}).json()["csrf_token"]
        assert api.post("/api/admin/workspaces", json={"name": "feeds"},
                        headers={"X-CSRF-Token": csrf}).status_code == 201
    context = browser.new_context(base_url=server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    with FakeMastodon([status(n) for n in range(1, 8)], token=TOKEN) as instance:
        page.goto("/login?next=/w/feeds/sources")
        page.fill("#login-user", ADMIN)
        page.fill("#login-password", ADMIN_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/w/feeds/sources")
        expect(page.locator("#sources-table tbody")).to_contain_text("No sources yet.", timeout=WAIT)
        page.select_option("#s-platform", "mastodon")
        page.fill("#s-target", "#ngapnuoc")
        page.fill("#s-every", "1h")
        page.fill("#s-api-base", instance.base)
        page.fill("#cred-access_token", "wrong")
        page.click("#s-test")
        expect(page.locator("#source-result")).to_contain_text("Connection failed", timeout=WAIT)
        page.fill("#cred-access_token", TOKEN)
        page.click("#s-test")
        expect(page.locator("#source-result")).to_contain_text("Connection works: ok: 7 items in the first page",
                                                               timeout=WAIT)
        page.click("#s-save")
        expect(page.locator("#source-result")).to_contain_text("added", timeout=WAIT)
        row = page.locator("#sources-table tbody tr", has_text="#ngapnuoc")
        expect(row.locator(".state")).to_have_text("never run", timeout=WAIT)
        assert TOKEN not in page.content()

        row.locator("[data-action=run]").click()
        expect(row.locator(".state")).to_have_text("ok", timeout=WAIT * 2)
        expect(row.locator(".stored")).to_have_text("7", timeout=WAIT)
        expect(page.locator("#coverage-chart .main-svg").first).to_be_visible(timeout=WAIT)

        row.locator("[data-action=pause]").click()
        expect(row.locator(".state")).to_have_text("paused", timeout=WAIT)
        expect(row.locator("[data-action=run]")).to_have_count(0, timeout=WAIT)
        row.locator("[data-action=resume]").click()
        expect(row.locator(".state")).to_have_text("ok", timeout=WAIT)

        page.goto("/w/feeds/sources?lang=vi")
        expect(page.locator("h1")).to_have_text("Nguồn thu thập", timeout=WAIT)
        expect(row.locator(".state")).to_have_text("ổn", timeout=WAIT)
        row.locator("[data-action=delete]").click()
        expect(page.locator("#sources-table tbody")).to_contain_text("Chưa có nguồn nào.", timeout=WAIT)
    context.close()
    assert errors == []

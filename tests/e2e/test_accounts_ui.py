"""Account and administration pages in a real browser: API tokens listed and revoked, a user disabled and
enabled again."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server


def test_tokens_are_listed_and_revoked_and_users_disabled_from_the_pages(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/login?next=/account")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/account")
    expect(page.locator("#no-tokens")).to_be_visible()
    page.fill("#tk-name", "nightly")
    page.click("#token-form button[type=submit]")
    expect(page.locator(".secret-once code")).to_contain_text("cp_")
    row = page.locator("#token-table tbody tr", has_text="nightly")
    expect(row).to_contain_text("never")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#token-table tbody tr")).to_have_count(0)

    page.goto("/admin")
    user = page.locator("#user-table tbody tr", has_text="someone")
    user.get_by_role("button", name="Disable").click()
    expect(user).to_contain_text("disabled")
    user.get_by_role("button", name="Enable").click()
    expect(user).to_contain_text("active")
    assert errors == []
    context.close()

"""Administration and workspace settings in a real browser: a user's password reset, administrator role and
workspace roles changed from the admin page; k, time zone and retention saved on the settings page; a figure's
"?" leads to its glossary entry."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server, shot


def test_an_administrator_manages_a_user_and_an_owner_the_settings(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login?next=/admin")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")
    page.fill("#ws-name", "ops")
    page.click("#workspace-form button[type=submit]")
    expect(page.locator("#workspace-list")).to_contain_text("ops")

    row = page.locator("#user-table tbody tr", has_text="someone")
    row.get_by_role("button", name="Manage").click()
    expect(page.locator("#h-user-panel")).to_have_text("Manage someone")
    expect(page.locator("#roles-table")).to_contain_text("secret")  # someone owns `secret`
    page.fill("#rp-password", "Reset-Pulse-2026!")
    page.click("#reset-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("password of someone was reset")
    page.click("#admin-toggle")
    expect(page.locator("#admin-state")).to_have_text("This user is an instance administrator.")
    expect(row.locator("td").first).to_have_text("yes")
    page.click("#admin-toggle")
    expect(page.locator("#admin-state")).to_have_text("This user is not an administrator.")
    page.select_option("#ro-ws", "ops")
    page.select_option("#ro-role", "analyst")
    page.click("#role-form button[type=submit]")
    ops = page.locator("#roles-table tbody tr", has_text="ops")
    expect(ops.locator("select")).to_have_value("analyst")
    shot(page, "admin-user")
    ops.get_by_role("button", name="Remove").click()
    expect(page.locator("#roles-table tbody tr", has_text="ops")).to_have_count(0)
    elsewhere = browser.new_context(base_url=server.url)  # another browser: this one stays signed in as admin
    assert elsewhere.request.post("/api/login", data={"username": "someone", "password": "Reset-Pulse-2026!"}).ok
    elsewhere.close()

    page.goto("/w/ops/settings")
    expect(page.locator("#s-k")).to_have_value("10")
    expect(page.locator("#s-tz")).to_have_value("Asia/Ho_Chi_Minh")
    page.fill("#s-k", "7")
    page.fill("#s-tz", "Asia/Bangkok")
    page.fill("#s-retention", "365")
    page.click("#s-save")
    expect(page.locator("#status")).to_contain_text("Settings saved")
    shot(page, "settings")
    page.reload()
    expect(page.locator("#s-k")).to_have_value("7")
    expect(page.locator("#s-tz")).to_have_value("Asia/Bangkok")
    expect(page.locator("#s-retention")).to_have_value("365")
    page.fill("#s-tz", "Mars/Olympus")
    page.click("#s-save")
    expect(page.locator("#status")).to_contain_text("unknown time zone")

    page.goto("/w/ops/trends")
    page.locator("#h-events a.help-link").click()
    page.wait_for_url("**/glossary#spike")
    expect(page.locator("#spike")).to_have_text("Spike")
    assert errors == []
    context.close()

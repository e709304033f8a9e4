"""Alert rules in a real browser over imported history: preview a draft and a stored rule (the windows it would
have fired in, each linking to its posts), edit the rule, pause and resume it; email's absence is explained.
Then the trends page: one flood is one event card with a readable title, a timeline and an analyst's note on it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server
from test_alerts import add_posts
from trend_data import HCMC, add_items, burst, daily_background

WS = "history"
OLD = datetime(2025, 3, 1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A workspace whose posts are all a year old: live evaluation would never fire on them."""
    import uvicorn

    from civicpulse.accounts import Accounts
    from civicpulse.store.duckdb_store import DuckDBStore
    from civicpulse.web.app import create_app

    tmp = tmp_path_factory.mktemp("e2e-alerts")
    store = DuckDBStore(str(tmp / "x.duckdb"))
    Accounts(store).create_user(ADMIN, ADMIN_PASSWORD, admin=True)
    store.ensure_workspace(WS)
    Accounts(store).grant(WS, ADMIN, "analyst")
    for day in range(10):
        add_posts(store, WS, f"d{day}-", 30 if day in (2, 6) else 12, authors=12, at=OLD + timedelta(days=day, hours=8))
    add_items(store, "floods", daily_background("q", days=30)
              + burst("f", day=18, posts=120, authors=30, topics=("flooding_weather",), provinces=(HCMC,),
                      terms=("#ngapnuoc",)))
    Accounts(store).grant("floods", ADMIN, "analyst")
    env = pytest.MonkeyPatch()
    env.delenv("CIVICPULSE_SMTP_HOST", raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(store, keys_dir=tmp / "keys", background=False)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="e2e-alerts-uvicorn", daemon=True)
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


def test_preview_edit_pause_and_resume_a_rule(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/login?next=/w/{WS}/alerts")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"**/w/{WS}/alerts")
    expect(page.locator("#email-warning")).to_contain_text("CIVICPULSE_SMTP_HOST")

    page.fill("#r-name", "Busy day")
    page.fill("#r-threshold", "25")
    page.click("#preview-draft")
    expect(page.locator("#rule-preview .preview-summary")).to_contain_text("would have fired 2 times in the last 30")
    links = page.locator("#rule-preview .preview-list a")
    expect(links).to_have_count(2)
    assert links.first.get_attribute("href") == f"/w/{WS}/posts?start=2025-03-03&end=2025-03-03"

    page.click("#rule-form button[type=submit]")
    row = page.locator("#rules-table tbody tr", has_text="Busy day")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Edit").click()
    expect(page.locator("#r-threshold")).to_have_value("25")
    page.fill("#r-threshold", "20")
    page.click("#rule-form button[type=submit]")
    expect(page.locator("#status")).to_contain_text("Rule Busy day saved.")
    expect(row).to_contain_text("20")
    row.get_by_role("button", name="Preview").click()
    expect(page.locator("#rule-preview .preview-summary")).to_contain_text("would have fired 2 times")

    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("(paused)")
    row.get_by_role("button", name="Resume").click()
    expect(row.get_by_role("button", name="Pause")).to_be_visible()
    expect(row).not_to_contain_text("(paused)")
    assert errors == []
    context.close()


def test_one_flood_is_one_event_card_with_a_timeline_and_a_note(browser: Browser, server: Server) -> None:
    context = browser.new_context(base_url=server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/login?next=/w/floods/trends")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/w/floods/trends")
    card = page.locator("#events article.event").first
    title = card.locator("> h3")
    expect(title).to_have_text("Flooding & weather in Hồ Chí Minh, 19 Sep", timeout=60_000)  # a loaded machine
    expect(page.locator("#events article.event")).to_have_count(1)  # not one card per spike
    expect(card.locator(".event-chart .main-svg").first).to_be_visible()
    assert "flooding_weather" not in card.inner_text()  # the spikes inside show labels too, never raw ids
    href = card.locator("a.posts-link").get_attribute("href") or ""
    assert "start=2026-09-19" in href and "end=2026-09-19" in href and "topic=flooding_weather" in href
    page.fill("#n-date", "2026-09-19")
    page.fill("#n-text", "Heavy rain warning issued")
    page.click("#note-form button[type=submit]")
    expect(page.locator("#notes-list")).to_contain_text("2026-09-19: Heavy rain warning issued")
    expect(card.locator(".event-chart")).to_contain_text("Heavy rain warning issued")  # the marker's label
    assert errors == []
    context.close()

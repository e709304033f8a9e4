"""Periods in a real browser: the default "last 7 days" of a workspace whose data ended weeks ago, the presets of the
filter bar, the previous period drawn beside this one, and date axes in Vietnamese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server, serving
from report_data import add_posts

WS = "city"
LAST_DAY = datetime(2026, 9, 21)  # the data's last day (the import is an old history)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Hand-labelled posts (no model): 12 authors a day on the data's last 3 days and 3 days of the week before."""
    from civicpulse.accounts import Accounts
    from civicpulse.analytics.privacy import set_k
    from civicpulse.store.duckdb_store import DuckDBStore

    tmp = tmp_path_factory.mktemp("e2e-periods")
    store = DuckDBStore(str(tmp / "x.duckdb"))
    Accounts(store).create_user(ADMIN, ADMIN_PASSWORD, admin=True)
    store.ensure_workspace(WS)  # the default zone, Asia/Ho_Chi_Minh
    Accounts(store).grant(WS, ADMIN, "owner")
    set_k(store, WS, 5)
    days = [LAST_DAY - timedelta(days=d) for d in (0, 1, 2, 7, 8, 9)]
    add_posts(store, WS, [(f"p{d:%m%d}-{i}", f"a{i}", d + timedelta(hours=2, minutes=i),
                           ("negative", "neutral", "positive")[i % 3], "neutral", "traffic", None)
                          for d in days for i in range(12)])
    with serving(store, tmp) as running:
        yield running


def _sign_in(ui: Page) -> None:
    ui.set_default_timeout(60_000)  # a loaded shared machine: plotly alone is 5 MB to parse
    ui.goto("/login")
    ui.fill("#login-user", ADMIN)
    ui.fill("#login-password", ADMIN_PASSWORD)
    ui.click("#login-form button[type=submit]")
    expect(ui.locator("h1")).to_have_text("Your workspaces")


def _traces(ui: Page, chart: str) -> list[dict]:
    ui.wait_for_selector(f"#chart-{chart} svg.main-svg", state="attached")
    return ui.evaluate(f"document.getElementById('chart-{chart}').data.map(function (t) {{"
                       "return {name: t.name, x: t.x, y: t.y}; })")


def test_the_default_week_the_presets_and_the_previous_period(ui: Page) -> None:
    _sign_in(ui)
    ui.goto(f"/w/{WS}/?bucket=day")
    # The data ended on 21 September: "the last 7 days" are its last 7 days, and the title says so.
    expect(ui.locator("#period")).to_contain_text("last 7 days up to the latest post")
    expect(ui.locator("#period")).to_contain_text("15 Sept 2026 – 21 Sept 2026")
    current, previous = _traces(ui, "volume")
    assert current["name"] == "This period" and previous["name"] == "Previous period"
    # Dense: all 7 days, the empty ones at 0; the previous week lies on this week's days.
    assert current["y"] == [0, 0, 0, 0, 12, 12, 12] and len(previous["x"]) == 7
    assert previous["y"] == [0, 0, 0, 0, 12, 12, 12] and previous["x"][0].startswith("2026-09-15")
    expect(ui.locator("#kpis .kpi").first).to_contain_text("0% vs previous period")  # 36 against 36, not "no data"
    ui.select_option("#f-period", "30d")
    ui.click("#filters button[type=submit]")
    expect(ui).to_have_url(re.compile(r"period=30d"))
    expect(ui.locator("#period")).to_contain_text("last 30 days")
    # Typing a date picks "custom": the dates alone go into the URL.
    ui.fill("#f-start", "2026-09-19")
    expect(ui.locator("#f-period")).to_have_value("custom")
    ui.fill("#f-end", "2026-09-21")
    ui.click("#filters button[type=submit]")
    expect(ui).to_have_url(re.compile(r"start=2026-09-19&end=2026-09-21"))
    assert "period=" not in ui.url
    expect(ui.locator("#period")).to_have_text("(19 Sept 2026 – 21 Sept 2026 · Asia/Ho_Chi_Minh)")
    assert not ui.js_errors, ui.js_errors  # type: ignore[attr-defined]


def test_date_axes_speak_vietnamese(ui: Page) -> None:
    ui.goto(f"/w/{WS}/?bucket=day&lang=vi")
    expect(ui.locator("html")).to_have_attribute("lang", "vi")
    _traces(ui, "volume")
    ticks = ui.evaluate("Array.from(document.querySelectorAll('#chart-volume .xtick text'), t => t.textContent)")
    assert ticks and any(re.search(r"Th9", t) for t in ticks), ticks
    assert not any(re.search(r"Sep", t) for t in ticks), ticks
    expect(ui.locator("#note-volume")).to_have_text("")  # nothing hidden: no note
    ui.goto(f"/w/{WS}/?lang=en")
    assert not ui.js_errors, ui.js_errors  # type: ignore[attr-defined]

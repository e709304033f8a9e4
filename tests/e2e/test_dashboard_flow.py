"""One analyst's day in a real browser: sign in, create a workspace, import data, read every dashboard, filter,
correct a label, raise an alert, export a report, switch to Vietnamese, and fail to open someone else's workspace.

The tests run in file order and share one signed-in tab (see conftest.py)."""

from __future__ import annotations

import math
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, ROOT, Server, recent_posts_file, shot

WS = "city"
DEMO_FILE = ROOT / "data" / "demo" / "mastodon" / "public_timeline.json"
IMPORTED: list[int] = []  # posts stored by the upload, for the dashboards to show


def _csrf(page: Page) -> str:
    return page.evaluate("JSON.parse(document.getElementById('page-data').textContent).csrf")


def _kpi_posts(page: Page) -> int:
    value = page.locator("#kpis .kpi").first.locator(".value")
    expect(value).not_to_have_text("")
    return int(re.sub(r"\D", "", value.inner_text()))


def test_sign_in_shows_an_error_then_succeeds(ui: Page) -> None:
    ui.goto("/login")
    shot(ui, "login")
    ui.fill("#login-user", ADMIN)
    ui.fill("#login-password", "wrong password")
    ui.click("#login-form button[type=submit]")
    expect(ui.locator("#login-error")).to_contain_text("Wrong user name or password")
    ui.fill("#login-password", ADMIN_PASSWORD)
    ui.click("#login-form button[type=submit]")
    expect(ui.locator("h1")).to_have_text("Your workspaces")  # an administrator lands on the start page
    shot(ui, "home")
    expect(ui.locator("html")).to_have_attribute("lang", "en")


def test_admin_creates_a_workspace(ui: Page) -> None:
    ui.goto("/admin")
    ui.fill("#ws-name", WS)
    ui.click("#workspace-form button[type=submit]")
    expect(ui.locator("#status")).to_contain_text(f"Workspace {WS} created")
    expect(ui.locator("#workspace-list")).to_contain_text(WS)
    shot(ui, "admin")
    # Small demo data: let figures resting on 5+ authors show (the floor) instead of the default 10.
    response = ui.request.put(f"/api/w/{WS}/settings?min_authors=5", headers={"X-CSRF-Token": _csrf(ui)})
    assert response.ok, response.text()


def test_upload_shows_progress_and_the_import_report(ui: Page, server: Server) -> None:
    ui.goto(f"/w/{WS}/import")
    ui.set_input_files("#i-files", [str(DEMO_FILE), str(recent_posts_file(server.tmp))])
    ui.click("#i-submit")
    expect(ui.locator("#progress-box")).to_be_visible()
    expect(ui.locator("#result")).to_be_visible(timeout=90_000)
    expect(ui.locator("#status")).to_contain_text("Import finished")
    rows = ui.locator("#files-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("public_timeline.json")
    assert int(rows.first.locator("td").nth(1).inner_text()) == 100  # read
    stored = [int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(2)]
    assert min(stored) > 20
    assert rows.nth(1).locator("td").nth(7).inner_text() == "1"  # rejected: the record with a broken date
    IMPORTED.append(sum(stored))
    # The broken record of the second file is listed with its reason and can be downloaded.
    expect(ui.locator("#rejects-table tbody tr")).to_have_count(1)
    expect(ui.locator("#rejects-table")).to_contain_text("recent_statuses.json")
    expect(ui.locator("#rejects-link")).to_be_visible()
    expect(ui.locator("#analysis-summary")).to_contain_text("posts analyzed")
    assert int(ui.locator("#upload-progress").get_attribute("value") or 0) == 100
    shot(ui, "import")


def test_every_dashboard_renders_data(ui: Page) -> None:
    ui.goto(f"/w/{WS}/?bucket=week&period=all")  # the whole import, not the default last 7 days
    expect(ui.locator("#o-bucket")).to_have_value("week")
    for chart in ("volume", "sentiment", "emotions", "topics", "places"):
        ui.wait_for_selector(f"#chart-{chart} svg.main-svg", state="attached")
    assert _kpi_posts(ui) == IMPORTED[0]
    shot(ui, "overview")

    ui.goto(f"/w/{WS}/topics")
    expect(ui.locator("#topics-table tbody tr").first).to_be_visible()
    ui.wait_for_selector("#topics-table .spark svg.main-svg", state="attached")
    shot(ui, "topics")

    ui.goto(f"/w/{WS}/trends")
    expect(ui.locator("#spikes")).not_to_contain_text("Loading")
    shot(ui, "trends")

    ui.goto(f"/w/{WS}/posts")
    expect(ui.locator("article.post")).to_have_count(25)
    expect(ui.locator("#page-info")).to_have_text(f"Page 1 of {math.ceil(IMPORTED[0] / 25)}")
    assert "resident" not in ui.locator("#posts").inner_text()  # no author identity anywhere
    shot(ui, "posts")

    for page_name in ("reports", "members", "audit", "taxonomy"):
        ui.goto(f"/w/{WS}/{page_name}")
        expect(ui.locator("#status")).not_to_contain_text("Error")
    expect(ui.locator("#topics-editor fieldset").first).to_be_visible()
    shot(ui, "taxonomy")
    ui.goto(f"/w/{WS}/members")
    expect(ui.locator("#members-table tbody")).to_contain_text(ADMIN)
    shot(ui, "members")
    ui.goto(f"/w/{WS}/audit?action=view")
    expect(ui.locator("#audit-table tbody")).to_contain_text("view.overview")
    shot(ui, "audit")
    assert not ui.js_errors, ui.js_errors  # type: ignore[attr-defined]


def test_filters_change_the_numbers_and_live_in_the_url(ui: Page) -> None:
    ui.goto(f"/w/{WS}/?period=all")
    everything = _kpi_posts(ui)
    ui.select_option("#f-sentiment", "negative")
    ui.click("#filters button[type=submit]")
    expect(ui).to_have_url(re.compile(r"sentiment=negative"))
    ui.wait_for_selector("#chart-volume svg.main-svg", state="attached")
    negative = _kpi_posts(ui)
    assert 0 < negative < everything
    expect(ui.locator("#f-sentiment")).to_have_value("negative")


def test_saved_query_with_live_syntax_check(ui: Page) -> None:
    ui.goto(f"/w/{WS}/queries")
    ui.fill("#sq-name", "Traffic")
    ui.fill("#sq-query", "kẹt AND (xe")
    expect(ui.locator("#sq-check")).to_contain_text("position")
    expect(ui.locator("#sq-query")).to_have_attribute("aria-invalid", "true")
    ui.fill("#sq-query", '"kẹt xe" OR traffic OR metro')
    expect(ui.locator("#sq-check")).to_contain_text("valid")
    ui.click("#sq-save")
    expect(ui.locator("#queries-table")).to_contain_text("Traffic")
    shot(ui, "queries")
    ui.goto(f"/w/{WS}/?query=traffic")
    expect(ui.locator("#f-query")).to_have_value("traffic")
    assert _kpi_posts(ui) < IMPORTED[0]


def test_correct_a_label(ui: Page) -> None:
    ui.goto(f"/w/{WS}/posts?sort=most_negative")
    post = ui.locator("article.post").first
    post.locator("details summary", has_text="Correct a label").click()
    post.locator("select[id^=task-]").select_option("sentiment")
    post.locator("select[id^=label-]").select_option("positive")
    post.get_by_role("button", name="Save").click()
    expect(post).to_contain_text("Correction saved (1 correction of")  # singular: "1 corrections" was the bug
    ui.reload()
    expect(ui.locator("article.post").first.locator(".chip.corrected")).to_contain_text("positive")


def test_alert_rule_fires_and_shows_in_the_inbox(ui: Page) -> None:
    ui.goto(f"/w/{WS}/alerts")
    ui.fill("#r-name", "Busy day")
    ui.fill("#r-threshold", "10")
    ui.fill("#r-webhook", "http://127.0.0.1:9/hook")  # allow-listed, nobody listens: delivery fails, alert kept
    ui.click("#rule-form button[type=submit]")
    expect(ui.locator("#rule-secret .secret-once code")).not_to_be_empty()  # the signing secret, shown once
    expect(ui.locator("#rules-table")).to_contain_text("Busy day")
    ui.click("#evaluate")
    expect(ui.locator("#status")).to_contain_text("Rules checked: 1 new alert.", timeout=30_000)
    row = ui.locator("#events-table tbody tr").first
    expect(row).to_contain_text("Busy day")
    expect(row).to_contain_text("webhook: failed", timeout=30_000)  # delivered in the background, page polls
    expect(ui.locator("#alerts-badge")).to_have_text("1")
    shot(ui, "alerts")
    row.get_by_role("button", name="Mark as seen").click()
    expect(ui.locator("#events-table tbody tr").first).to_contain_text("Seen")


def test_export_a_pdf_report(ui: Page, tmp_path: Path) -> None:
    ui.goto(f"/w/{WS}/reports?sentiment=negative")
    assert "sentiment=negative" in (ui.locator("#export-pdf").get_attribute("href") or "")
    shot(ui, "reports")
    with ui.expect_download() as info:
        ui.click("#export-pdf")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    target = tmp_path / "report.pdf"
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")


def test_keyboard_selects_a_province_on_the_map(ui: Page) -> None:
    ui.goto(f"/w/{WS}/places")
    ui.wait_for_selector("#map svg path[role=button]")
    shot(ui, "places")
    for _ in range(300):  # Tab through the page until a province of the map has the focus
        ui.keyboard.press("Tab")
        if ui.evaluate("!!document.activeElement.closest('#map') && document.activeElement.role === 'button'"):
            break
    else:
        raise AssertionError("Tab never reached the map")
    name = ui.evaluate("document.activeElement.getAttribute('aria-label')").split(":")[0]
    ui.keyboard.press("Enter")
    expect(ui.locator("#wards-panel")).to_be_visible()
    expect(ui.locator("#h-wards")).to_have_text(f"Wards of {name}")
    expect(ui.locator("#places-table tr.selected")).to_have_attribute("data-name", name)
    ui.wait_for_selector("#wards-table tbody tr")
    # Wards the posts name are points on a map of the province, each a button to its posts.
    wards = ui.locator("#wards-table tbody th a").count()
    if wards:
        expect(ui.locator("#ward-map svg circle[role=button]")).to_have_count(wards)


def test_vietnamese_labels(ui: Page) -> None:
    ui.goto(f"/w/{WS}/")
    ui.click("text=Tiếng Việt")
    expect(ui.locator("html")).to_have_attribute("lang", "vi")
    expect(ui.locator("#main-nav")).to_contain_text("Tổng quan")
    expect(ui.locator("#kpis")).to_contain_text("Bài đăng")
    ui.wait_for_selector("#chart-volume svg.main-svg", state="attached")
    shot(ui, "overview-vi")
    ui.goto(f"/w/{WS}/places")  # the choice is remembered (cookie)
    expect(ui.locator("h1")).to_have_text("Địa điểm")
    ui.goto(f"/w/{WS}/?lang=en")
    expect(ui.locator("html")).to_have_attribute("lang", "en")


def test_another_workspace_is_not_found(ui: Page) -> None:
    response = ui.goto("/w/secret/")
    assert response is not None and response.status == 404
    expect(ui.locator("h1")).to_contain_text("Not found")
    shot(ui, "error-404")
    assert ui.request.get("/api/w/secret/overview").status == 404
    assert ui.request.get("/api/w/secret/posts").status == 404
    ui.goto("/account")
    shot(ui, "account")

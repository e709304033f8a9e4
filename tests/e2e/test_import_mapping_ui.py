"""The column step of the import page in a real browser: a hotline's CSV (semicolons, BOM, Vietnamese headers) and
an Excel workbook are shown with their first rows and guessed columns, then imported with the chosen columns."""

from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from e2e.e2e_support import ADMIN, ADMIN_PASSWORD, Server, shot

WS = "hotline"
CSV = ("Mã phản ánh;Thời gian;Nội dung;Quận;Kênh\r\n"
       "PA-001;07/12/2026 14:30;Ngập nặng ở đường Kha Vạn Cân, xe chết máy hàng loạt;Thủ Đức;Facebook\r\n"
       "PA-002;07/12/2026 15:05;Đèn đường hỏng cả tuần nay;Quận 3;Zalo\r\n")


def _signed_in(browser: Browser, server: Server) -> Page:
    page = browser.new_context(base_url=server.url, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    page.goto("/login?next=/admin")
    page.fill("#login-user", ADMIN)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server.url}/admin")
    csrf = page.evaluate("JSON.parse(document.getElementById('page-data').textContent).csrf")
    created = page.request.post("/api/admin/workspaces", data={"name": WS}, headers={"X-CSRF-Token": csrf})
    assert created.ok, created.text()
    return page


def _import_with_the_column_step(page: Page, path: str, expected: dict[str, str], preview: str,
                                 screenshot: str | None = None) -> None:
    page.goto(f"/w/{WS}/import")
    page.set_input_files("#i-files", path)
    page.click("#i-submit")
    expect(page.locator("#mapping")).to_be_visible()
    for role, column in expected.items():
        expect(page.locator(f"#map-0-{role}")).to_have_value(column)
    expect(page.locator("#mapping table.preview")).to_contain_text(preview)
    if screenshot:
        shot(page, screenshot)
    page.select_option("#map-0-place_name", "")  # a choice of the user's, not the guess
    page.click("#m-import")
    expect(page.locator("#result")).to_be_visible(timeout=90_000)
    expect(page.locator("#status")).to_contain_text("Import finished")
    expect(page.locator("#mapping")).to_be_hidden()


def test_a_csv_and_a_workbook_are_imported_through_the_column_step(browser: Browser, server: Server) -> None:
    page = _signed_in(browser, server)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    csv_path = server.tmp / "phan-anh.csv"
    csv_path.write_bytes(b"\xef\xbb\xbf" + CSV.encode("utf-8"))
    _import_with_the_column_step(page, str(csv_path), {"text": "Nội dung", "created_at": "Thời gian",
                                                       "post_id": "Mã phản ánh", "platform": "Kênh",
                                                       "time-format": "%d/%m/%Y %H:%M"}, "Đèn đường hỏng",
                                 screenshot="import-mapping")
    row = page.locator("#files-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("phan-anh.csv")
    assert row.locator("td").nth(2).inner_text() == "2"  # stored

    book = Workbook()
    book.active.append(["Ticket ID", "Created", "Message", "District"])
    book.active.append([101, datetime(2026, 12, 7, 9, 15), "Streetlights out on Le Loi", "District 1"])
    book.active.append([102, datetime(2026, 12, 7, 10, 0), "Flooding near the market again", "Binh Thanh"])
    xlsx_path = server.tmp / "tickets.xlsx"
    book.save(xlsx_path)
    _import_with_the_column_step(page, str(xlsx_path), {"text": "Message", "created_at": "Created",
                                                        "post_id": "Ticket ID", "time-format": ""}, "Le Loi")
    row = page.locator("#files-table tbody tr")
    expect(row).to_contain_text("tickets.xlsx")
    assert row.locator("td").nth(2).inner_text() == "2"

    # The same CSV columns again: the choice made above (no place) comes back instead of the guess.
    page.goto(f"/w/{WS}/import")
    page.set_input_files("#i-files", str(csv_path))
    page.click("#i-submit")
    expect(page.locator("#mapping")).to_contain_text("chosen before")
    expect(page.locator("#map-0-place_name")).to_have_value("")
    page.click("#m-cancel")
    expect(page.locator("#status")).to_contain_text("discarded")
    assert errors == []

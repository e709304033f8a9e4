"""Spreadsheet imports over HTTP: columns detected (delimiter, BOM, Excel), first rows shown, roles guessed from
English and Vietnamese headers, the choice imported and remembered; refusals name the file, never a server path."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from openpyxl import Workbook

from civicpulse.runtime.jobs import without_private_paths

from .conftest import sign_in

HOTLINE = ("Mã phản ánh;Thời gian;Nội dung;Quận;Kênh;Số điện thoại\r\n"
           "PA-001;07/12/2026 14:30;Ngập nặng ở đường Kha Vạn Cân, xe chết máy hàng loạt;Thủ Đức;Facebook;0901\r\n"
           "PA-002;07/12/2026 15:05;Đèn đường hỏng cả tuần nay;Quận 3;Zalo;0902\r\n"
           "PA-003;08/12/2026 08:00;Rác thải ùn ứ ở chợ, mùi hôi;Bình Thạnh;Hotline;0903\r\n")


def hotline_csv() -> bytes:
    return b"\xef\xbb\xbf" + HOTLINE.encode("utf-8")  # a UTF-8 BOM, as Excel's "CSV UTF-8" writes it


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Ticket ID", "Created", "Message", "District"])
    sheet.append([101, datetime(2026, 12, 7, 9, 15), "Streetlights out on Le Loi", "District 1"])
    sheet.append([102, datetime(2026, 12, 7, 10, 0), "Flooding near the market again", "Binh Thanh"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def olga(server, app):
    return sign_in(app, "olga")  # owner of `other`


def stage(client, *files):
    response = client.post("/api/w/other/imports/staged", files=[("files", f) for f in files])
    assert response.status_code == 201, response.text
    return response.json()


def finish(app, job: dict):
    done = app.state.ctx.jobs.wait(app.state.ctx.jobs.find(job["id"]), timeout=120)
    assert done.status == "done", done.error
    return done


def test_a_hotline_csv_is_described_with_guessed_vietnamese_columns(olga) -> None:
    staged = stage(olga, ("phan-anh.csv", hotline_csv(), "text/csv"))
    (f,) = staged["files"]
    assert (f["kind"], f["delimiter"], f["encoding"]) == ("csv", ";", "utf-8")
    assert f["columns"][0] == "Mã phản ánh"  # the BOM is not part of the first column's name
    assert f["roles"] == {"text": "Nội dung", "created_at": "Thời gian", "post_id": "Mã phản ánh",
                          "place_name": "Quận", "platform": "Kênh", "author_id": "Số điện thoại"}
    assert f["time_format"] == "%d/%m/%Y %H:%M" and f["remembered"] is False
    assert [row[0] for row in f["rows"]] == ["PA-001", "PA-002", "PA-003"]
    assert staged["timezone"] == "Asia/Ho_Chi_Minh"
    assert olga.delete(f"/api/w/other/imports/staged/{staged['upload']}").status_code == 200


def test_the_chosen_columns_are_imported_and_remembered_for_the_same_header(olga, app, app_store) -> None:
    staged = stage(olga, ("phan-anh.csv", hotline_csv(), "text/csv"))
    roles = {"text": "Nội dung", "created_at": "Thời gian", "post_id": "Mã phản ánh", "platform": "Kênh",
             "author_id": "Số điện thoại"}  # no place: differs from the guess, so remembering shows
    sent = olga.post(f"/api/w/other/imports/staged/{staged['upload']}", json={"analyze": False, "files": [
        {"name": "phan-anh.csv", "roles": roles, "time_format": "%d/%m/%Y %H:%M"}]})
    assert sent.status_code == 202, sent.text
    result = finish(app, sent.json()).result
    assert [(f["file"], f["stored"], f["rejected"]) for f in result["files"]] == [("phan-anh.csv", 3, 0)]
    rows = dict((post_id, (platform, created)) for post_id, platform, created in app_store.query(
        "SELECT post_id, platform, created_at FROM posts WHERE workspace = 'other' AND post_id LIKE 'PA-%'"))
    # Local times in the workspace's zone (UTC+7) are stored as UTC; unknown channels are `other`.
    assert rows == {"PA-001": ("facebook", datetime(2026, 12, 7, 7, 30)),
                    "PA-002": ("other", datetime(2026, 12, 7, 8, 5)),
                    "PA-003": ("other", datetime(2026, 12, 8, 1, 0))}
    stored_texts = [t for (t,) in app_store.query("SELECT text FROM posts WHERE workspace = 'other' AND "
                                                  "post_id LIKE 'PA-%'")]
    assert not any("0901" in t for t in stored_texts)
    # The same columns in another order and case: the choice comes back, not the guess.
    header = HOTLINE.split("\r\n")[0]
    reordered = ";".join(reversed(header.upper().split(";"))) + "\r\n"
    later = stage(olga, ("later.csv", reordered.encode("utf-8"), "text/csv"))
    assert olga.delete(f"/api/w/other/imports/staged/{later['upload']}").status_code == 200
    again = later["files"][0]
    assert again["remembered"] is True and again["time_format"] == "%d/%m/%Y %H:%M"
    assert again["roles"] == {role: column.upper() for role, column in roles.items()}  # the file's own names
    # ...and a plain upload to /imports uses it without asking.
    direct = olga.post("/api/w/other/imports", files={"files": ("next.csv", hotline_csv(), "text/csv")})
    assert direct.status_code == 202, direct.text
    assert finish(app, direct.json()).result["files"][0]["unchanged"] == 3
    audit = [d for (d,) in app_store.query("SELECT detail FROM audit_log WHERE action = 'import.mapping'")]
    assert any("text=Nội dung" in d and "remember=True" in d for d in audit)


def test_an_excel_workbook_is_described_and_imported(olga, app, app_store) -> None:
    staged = stage(olga, ("tickets.xlsx", workbook(), "application/octet-stream"),
                   ("extra.json", b"[]", "application/json"))
    f, other = staged["files"]
    assert other == {"name": "extra.json", "kind": "auto"}
    assert (f["kind"], f["columns"]) == ("xlsx", ["Ticket ID", "Created", "Message", "District"])
    assert f["rows"][0] == ["101", "2026-12-07T09:15:00", "Streetlights out on Le Loi", "District 1"]
    assert f["roles"] == {"text": "Message", "created_at": "Created", "post_id": "Ticket ID", "place_name": "District"}
    assert f["time_format"] == ""
    sent = olga.post(f"/api/w/other/imports/staged/{staged['upload']}", json={"analyze": False, "files": [
        {"name": "tickets.xlsx", "roles": f["roles"], "platform": "facebook"}]})
    assert sent.status_code == 202, sent.text
    files = finish(app, sent.json()).result["files"]
    assert [(x["file"], x["stored"]) for x in files] == [("tickets.xlsx", 2), ("extra.json", 0)]
    assert sorted(app_store.query("SELECT post_id, platform, place_name, created_at FROM posts WHERE workspace = "
                                  "'other' AND post_id IN ('101', '102')")) == [
        ("101", "facebook", "District 1", datetime(2026, 12, 7, 2, 15)),
        ("102", "facebook", "Binh Thanh", datetime(2026, 12, 7, 3, 0))]


def test_choices_are_checked_and_refusals_name_the_file(olga, app) -> None:
    upload = stage(olga, ("phan-anh.csv", hotline_csv(), "text/csv"))["upload"]
    url = f"/api/w/other/imports/staged/{upload}"
    cases = [({}, "choose which column holds what"),
             ({"text": "Nội dung", "post_id": "Mã phản ánh"}, "holds the time"),
             ({"text": "Nội dung", "created_at": "Thời gian", "post_id": "Nope"}, "no column 'Nope'"),
             ({"text": "Nội dung", "created_at": "Nội dung", "post_id": "Mã phản ánh"}, "chosen for two roles")]
    for roles, expected in cases:
        files = [{"name": "phan-anh.csv", "roles": roles}] if roles else []
        refused = olga.post(url, json={"files": files})
        assert refused.status_code == 422 and expected in refused.json()["detail"], refused.text
        assert "phan-anh.csv" in refused.json()["detail"]
    assert sign_in(app, "alice").post(f"/api/w/city/imports/staged/{upload}", json={}).status_code == 404
    assert olga.post("/api/w/other/imports/staged/../../x", json={}).status_code == 404
    assert olga.delete(url).status_code == 200
    assert olga.post(url, json={}).status_code == 404  # discarded: nothing left to import
    same_name = [("files", ("a.csv", b"x\n1\n")), ("files", ("a.csv", b"y\n"))]
    twice = olga.post("/api/w/other/imports/staged", files=same_name)
    assert twice.status_code == 422 and "two files are named a.csv" in twice.json()["detail"]
    assert not list((app.state.ctx.uploads_dir / "other").glob("staged-*"))  # refused and discarded: nothing kept
    viewer = sign_in(app, "vera")
    assert viewer.post("/api/w/city/imports/staged", files={"files": ("a.csv", b"a,b\n1,2\n")}).status_code == 403


def test_a_csv_without_mapping_is_refused_up_front_and_a_mapping_beside_it_works(olga, app) -> None:
    plain = olga.post("/api/w/other/imports", files={"files": ("calls.csv", b"when,what,ref\n", "text/csv")})
    assert plain.status_code == 422
    detail = plain.json()["detail"]
    assert "calls.csv" in detail and "/imports/staged" in detail and "--mapping" not in detail
    assert str(app.state.ctx.uploads_dir) not in detail
    mapping = (b'platform = "other"\n[columns]\npost_id = "ref"\ntext = "what"\ncreated_at = "when"\n')
    rows = b"when,what,ref\n2026-12-01T08:00:00,Mat nuoc ca ngay o phuong 5,C-1\n"
    both = olga.post("/api/w/other/imports", files=[("files", ("calls.csv", rows, "text/csv")),
                                                    ("files", ("calls.mapping.toml", mapping, "text/plain"))])
    assert both.status_code == 202, both.text
    assert [(f["file"], f["stored"]) for f in finish(app, both.json()).result["files"]] == [("calls.csv", 1)]
    broken = olga.post("/api/w/other/imports", files=[("files", ("calls.csv", rows, "text/csv")),
                                                      ("files", ("calls.mapping.toml", b"[columns\n", "text/plain"))])
    assert broken.status_code == 400 and broken.json()["detail"].startswith("calls.mapping.toml: not a readable TOML")
    alone = olga.post("/api/w/other/imports", files={"files": ("x.mapping.toml", mapping, "text/plain")})
    assert alone.status_code == 422 and "x.csv" in alone.json()["detail"]


def test_no_import_message_names_the_upload_directory(olga, app) -> None:
    """Every message an import shows (per-file messages, reject reasons, the rejects download) names files as the
    user sent them: a broken JSON file, a CSV forced as another format, rows with bad times."""
    bad_rows = HOTLINE.replace("07/12/2026 15:05", "yesterday").replace("PA-", "RW-")  # new posts
    staged = stage(olga, ("broken.json", b'[{"id": 1', "application/json"), ("rows.csv", bad_rows.encode(), "text/csv"),
                   ("notes.txt", b"hello", "text/plain"))
    roles = {"text": "Nội dung", "created_at": "Thời gian", "post_id": "Mã phản ánh"}
    sent = olga.post(f"/api/w/other/imports/staged/{staged['upload']}", json={"analyze": False, "files": [
        {"name": "rows.csv", "roles": roles, "time_format": "%d/%m/%Y %H:%M"}]})
    job = finish(app, sent.json())
    forced = olga.post("/api/w/other/imports", data={"format": "csv"},
                       files={"files": ("statuses.json", b'[{"id": "1"}]', "application/json")})
    forced_job = finish(app, forced.json())
    uploads = str(app.state.ctx.uploads_dir)
    for done in (job, forced_job):
        assert done.result["rejected_total"] >= 1
        shown = json.dumps(done.result, ensure_ascii=False) + json.dumps(olga.get(
            f"/api/w/other/jobs/{done.id}").json(), ensure_ascii=False)
        rejects = olga.get(f"/api/w/other/jobs/{done.id}/rejects")
        assert rejects.status_code == 200
        for text in (shown, rejects.text):
            assert uploads not in text and "staged-" not in text and "/000-" not in text
    files = {f["file"]: f for f in job.result["files"]}
    assert files["rows.csv"]["stored"] == 2 and files["rows.csv"]["rejected"] == 1
    assert any(m.startswith("broken.json") for m in files["broken.json"]["messages"])
    assert any(r["file"] == "rows.csv" and r["line"] == 3 for r in job.result["rejects"])


def test_error_details_never_name_the_servers_private_folders(tmp_path) -> None:
    uploads, keys = tmp_path / "db.uploads", tmp_path / "db.keys"
    detail = (f"{uploads}/other/staged-0123456789ab/000-calls.csv: cannot open; key {keys}/other.key; "
              f"folder {uploads}; elsewhere /home/me/calls.csv")
    assert without_private_paths(detail, [uploads, keys]) == (
        "000-calls.csv: cannot open; key other.key; folder db.uploads; elsewhere /home/me/calls.csv")

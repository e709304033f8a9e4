"""Spreadsheet inputs: dialect sniffing, Excel rows, role guesses from English and Vietnamese headers, and a mapped
import of an .xlsx file and a `;`-separated legacy-encoded CSV through the ingest pipeline."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from civicpulse.ingest.limits import Limits
from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.reader import Doc, ReadError
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.ingest.tabular import (
    Dialect,
    fold,
    guess_roles,
    header_signature,
    inspect_table,
    read_xlsx,
    sniff_csv,
    time_format,
)
from civicpulse.sources.generic import Mapping, MappingError
from civicpulse.store.duckdb_store import DuckDBStore


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xef\xbb\xbfa;b;c\n1;2;3\n", Dialect("utf-8", ";")),
    ("id,nội dung\n1,xin chào\n".encode(), Dialect("utf-8", ",")),
    ("id\tnội dung\n1\txin chào\n".encode("utf-16"), Dialect("utf-16", "\t")),
    ("id|mưa\n1|rác ùn\n".encode("cp1258"), Dialect("cp1258", "|")),
    (b"text\nhello\n", Dialect("utf-8", ",")),
])
def test_the_dialect_of_a_csv_is_sniffed(tmp_path: Path, data: bytes, expected: Dialect) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert sniff_csv(path) == expected


def test_roles_are_guessed_from_headers_in_either_language() -> None:
    assert guess_roles(["STT", "Thời gian tiếp nhận", "Nội dung phản ánh", "Địa chỉ", "Nguồn", "SĐT"]) == {
        "text": "Nội dung phản ánh", "created_at": "Thời gian tiếp nhận", "post_id": "STT", "place_name": "Địa chỉ",
        "platform": "Nguồn", "author_id": "SĐT"}
    assert guess_roles(["Post ID", "Created", "Message", "Link", "Lang"]) == {
        "text": "Message", "created_at": "Created", "post_id": "Post ID", "url": "Link", "language": "Lang"}
    assert guess_roles(["colA", "colB"]) == {}
    assert fold("  Đường/Phố  ") == "duong pho"
    assert header_signature(["Nội dung", "ID"]) == header_signature(["id", "NỘI DUNG"])
    assert header_signature(["Nội dung", "ID"]) != header_signature(["Nội dung", "ID", "x"])


def test_time_formats_are_recognised_day_first() -> None:
    assert time_format(["07/12/2026 14:30", "13/12/2026 08:05"]) == "%d/%m/%Y %H:%M"
    assert time_format(["2026-12-07T14:30:00", "2026-12-07 15:00", "1765100000"]) == ""
    assert time_format(["PA-001", "PA-002"]) is None
    assert time_format(["", None]) is None


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_rows_are_read_as_dicts_keyed_by_the_first_non_empty_row() -> None:
    data = _workbook([[None, None], ["ID", "When", "Text"], [1, datetime(2026, 12, 7, 9), "a"], [None, None, None],
                      [2, "07/12/2026 10:00", None]])
    docs = list(read_xlsx(io.BytesIO(data), "x.xlsx"))
    assert docs == [Doc({"ID": 1, "When": "2026-12-07T09:00:00", "Text": "a"}, 3),
                    Doc({"ID": 2, "When": "07/12/2026 10:00", "Text": ""}, 5)]


def test_a_broken_or_oversized_workbook_is_one_clear_error() -> None:
    (not_zip,) = read_xlsx(io.BytesIO(b"id,text\n1,a\n"), "x.xlsx")
    assert isinstance(not_zip, ReadError) and not_zip.stop and "not a zip archive" in not_zip.reason
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 2_000_000)
    (refused,) = read_xlsx(io.BytesIO(bomb.getvalue()), "x.xlsx", Limits(max_decompressed_bytes=1_000_000))
    assert isinstance(refused, ReadError) and "CIVICPULSE_MAX_DECOMPRESSED_BYTES" in refused.reason
    strings = io.BytesIO()
    with zipfile.ZipFile(strings, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" + b" " * 2_000_000)
    (refused,) = read_xlsx(io.BytesIO(strings.getvalue()), "x.xlsx", Limits(max_document_bytes=1_000_000))
    assert isinstance(refused, ReadError) and "CIVICPULSE_MAX_DOCUMENT_BYTES" in refused.reason
    (damaged,) = read_xlsx(io.BytesIO(bomb.getvalue()), "x.xlsx")
    assert isinstance(damaged, ReadError) and "not a readable Excel" in damaged.reason


def test_a_mapping_names_a_valid_delimiter_and_encoding() -> None:
    base = {"columns": {"post_id": "id", "text": "t"}}
    with pytest.raises(MappingError, match="delimiter"):
        Mapping.from_dict({**base, "options": {"delimiter": ";;"}})
    with pytest.raises(MappingError, match="unknown encoding"):
        Mapping.from_dict({**base, "options": {"encoding": "klingon"}})


def test_spreadsheets_are_ingested_with_their_mappings(tmp_path: Path) -> None:
    xlsx = tmp_path / "tickets.xlsx"
    xlsx.write_bytes(_workbook([["Ticket", "Created", "Message", "Channel"],
                                [101, datetime(2026, 12, 7, 9, 15), "Đèn đường hỏng", "FB"],
                                [102, "not a time", "Ngập nước", "Zalo"]]))
    legacy = tmp_path / "calls.csv"
    legacy.write_bytes("ma;noi dung;thoi gian\nC1;Rác ùn, mưa;07/12/2026 08:00\n".encode("cp1258"))
    store = DuckDBStore(str(tmp_path / "s.duckdb"))
    mappings = {
        str(xlsx): Mapping.from_dict({"columns": {"post_id": "Ticket", "created_at": "Created", "text": "Message",
                                                  "platform": "Channel"},
                                      "options": {"timezone": "Asia/Ho_Chi_Minh"}}),
        str(legacy): Mapping.from_dict({"columns": {"post_id": "ma", "text": "noi dung", "created_at": "thoi gian"},
                                        "options": {"delimiter": ";", "encoding": "cp1258",
                                                    "time_format": "%d/%m/%Y %H:%M"}})}
    writer = RejectWriter(tmp_path / "rejects.jsonl")
    key = KeyStore(tmp_path / "keys").load("w")
    ingestor = Ingestor(store, "w", Pseudonymizer(key), writer, file_mappings=mappings)
    first, second = ingestor.ingest_files([str(xlsx), str(legacy)])
    writer.close()
    assert (first.stored, first.rejected, second.stored, second.rejected) == (1, 1, 1, 0)
    assert "tickets.xlsx:3: Created" in first.messages[0]
    assert sorted(store.query("SELECT post_id, platform, text, created_at FROM posts WHERE workspace = 'w'")) == [
        ("101", "facebook", "Đèn đường hỏng", datetime(2026, 12, 7, 2, 15)),
        ("C1", "other", "Rác ùn, mưa", datetime(2026, 12, 7, 8, 0))]


def test_the_preview_of_an_empty_csv_still_has_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbfMa;Noi dung\r\n")
    table = inspect_table(path, "empty.csv")
    assert (table.columns, table.rows, table.delimiter, table.problems) == (["Ma", "Noi dung"], [], ";", [])


def test_a_gzipped_csv_is_previewed_and_a_damaged_one_reported(tmp_path: Path) -> None:
    import gzip

    good = tmp_path / "calls.tsv.gz"
    good.write_bytes(gzip.compress("ma\tnội dung\nC1\txin chào\n".encode()))
    table = inspect_table(good, "calls.tsv.gz")
    assert (table.columns, table.rows, table.delimiter) == (["ma", "nội dung"], [["C1", "xin chào"]], "\t")
    damaged = tmp_path / "calls.csv.gz"
    rows = b"".join(f"C{i},{i * 7919 % 10007}\n".encode() for i in range(5000))
    damaged.write_bytes(gzip.compress(b"ma,text\n" + rows)[:80])  # cut off within the first rows
    broken = inspect_table(damaged, "calls.csv.gz")
    assert broken.problems and broken.problems[0].startswith("calls.csv.gz")  # reported, not raised

"""Spreadsheet-shaped inputs (CSV/TSV and Excel .xlsx): their dialect, their first rows, and a first guess at which
column holds what. A hotline's or a ticketing system's export is usually such a file, with its own column names
(English or Vietnamese), a `;` or tab delimiter, a UTF-8 BOM or a legacy Windows encoding.

Excel rows come out as the same `Doc`s as CSV rows (dicts keyed by header), so a mapping reads both alike.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, BinaryIO

from civicpulse.ingest.limits import Limits
from civicpulse.ingest.reader import Doc, ReadError, base_name, read_csv

XLSX_SUFFIXES = (".xlsx",)
TABULAR_SUFFIXES = (".csv", ".tsv", *XLSX_SUFFIXES)
SAMPLE_BYTES = 64 * 1024
PREVIEW_ROWS = 5
MAX_PREVIEW_CELL = 200  # characters of a cell shown in the preview
_DELIMITERS = ",;\t|"
# Day-first formats first: Vietnamese (and most non-US) exports write 07/12/2026 for 7 December.
TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
                "%d-%m-%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p",
                "%H:%M:%S %d/%m/%Y", "%H:%M %d/%m/%Y")


class TabularError(ValueError):
    """The file cannot be read as a table at all (no header, not a workbook)."""


def is_tabular(name: str) -> bool:
    """CSV/TSV (optionally .gz) or an Excel workbook (a zip already: never .gz)."""
    return is_xlsx(name) or base_name(name).lower().endswith((".csv", ".tsv"))


def _open_bytes(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")  # type: ignore[return-value]


def is_xlsx(name: str) -> bool:
    return name.lower().endswith(XLSX_SUFFIXES)


@dataclass(frozen=True)
class Dialect:
    encoding: str = "utf-8"
    delimiter: str = ","


def sniff_csv(path: Path) -> Dialect:
    """Encoding (UTF-8 with or without BOM, UTF-16 by its BOM, else Windows-1258) and delimiter of a CSV file."""
    with _open_bytes(path) as fh:
        try:
            sample = fh.read(SAMPLE_BYTES)
        except (OSError, EOFError):  # a broken .gz: the import reports it, line by line
            sample = b""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            sample.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            # A sample cut inside a character is still UTF-8; anything else is a legacy Vietnamese encoding.
            encoding = "utf-8" if exc.start >= len(sample) - 3 and len(sample) == SAMPLE_BYTES else "cp1258"
    text = sample.decode("utf-8-sig" if encoding == "utf-8" else encoding, "ignore")
    if base_name(path.name).lower().endswith(".tsv"):
        return Dialect(encoding, "\t")
    try:
        delimiter = csv.Sniffer().sniff(text[:16384], delimiters=_DELIMITERS).delimiter
    except csv.Error:  # one column, or too irregular to tell: the header line decides
        header = text.splitlines()[0] if text else ""
        delimiter = max(_DELIMITERS, key=header.count) if any(d in header for d in _DELIMITERS) else ","
    return Dialect(encoding, delimiter)


def _cell(value: Any) -> Any:
    """An Excel cell as a mapping reads it: times as ISO text (in the mapping's zone, like a CSV's), numbers as
    numbers, empty cells as empty text."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def _check_workbook(stream: BinaryIO, limits: Limits) -> None:
    """A workbook is a zip: refuse one whose parts expand past the decompression limit before reading it, and one
    whose shared strings (held in memory while the rows stream) pass the document limit."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise TabularError("not an Excel .xlsx workbook (the file is not a zip archive)") from None
    finally:
        stream.seek(0)
    expanded = sum(info.file_size for info in infos)
    if expanded > limits.max_decompressed_bytes:
        raise TabularError(f"the workbook expands to {expanded:,} bytes, more than {limits.max_decompressed_bytes:,} "
                           "(CIVICPULSE_MAX_DECOMPRESSED_BYTES)")
    strings = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_document_bytes:
        raise TabularError(f"the workbook's shared strings take {strings:,} bytes, more than "
                           f"{limits.max_document_bytes:,} (CIVICPULSE_MAX_DOCUMENT_BYTES): save it as CSV instead")


def read_xlsx(stream: BinaryIO, name: str, limits: Limits | None = None) -> Iterator[Doc | ReadError]:
    """Rows of the first worksheet as dicts keyed by its first non-empty row; `line` is the worksheet row."""
    from openpyxl import load_workbook

    limits = limits or Limits()
    try:
        _check_workbook(stream, limits)
        book = load_workbook(stream, read_only=True, data_only=True)  # streams rows: memory stays flat
    except TabularError as exc:
        yield ReadError(1, str(exc), b"", stop=True)
        return
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        yield ReadError(1, f"not a readable Excel .xlsx workbook ({type(exc).__name__})", b"", stop=True)
        return
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        header: list[str] | None = None
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if not any(str(c).strip() for c in cells):
                continue
            if header is None:
                header = [str(c).strip() for c in cells]
                continue
            cells = (cells + [""] * len(header))[:len(header)] if len(cells) != len(header) else cells
            yield Doc(dict(zip(header, cells, strict=True)), line)
    except Exception as exc:
        yield ReadError(0, f"the workbook could not be read to the end ({type(exc).__name__}); the rows before "
                        "were read", b"", stop=True)
    finally:
        book.close()


def read_rows(stream: BinaryIO, name: str, dialect: Dialect | None, limits: Limits) -> Iterator[Doc | ReadError]:
    if is_xlsx(name):
        return read_xlsx(stream, name, limits)
    dialect = dialect or Dialect()
    return read_csv(stream, name, dialect.encoding, limits, dialect.delimiter)


@dataclass
class Table:
    """What the mapping step shows of one file."""

    kind: str  # csv or xlsx
    columns: list[str]
    rows: list[list[str]]
    encoding: str | None = None
    delimiter: str | None = None
    time_formats: dict[str, str] = field(default_factory=dict)  # column -> strptime format ("" = ISO/epoch)
    problems: list[str] = field(default_factory=list)


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_PREVIEW_CELL else text[:MAX_PREVIEW_CELL] + "…"


def inspect_table(path: Path, shown_name: str, limits: Limits | None = None, rows: int = PREVIEW_ROWS) -> Table:
    """Columns, the first `rows` rows and the time format of each column of a CSV or .xlsx file."""
    limits = limits or Limits()
    dialect = None if is_xlsx(shown_name) else sniff_csv(path)
    docs: list[dict[str, Any]] = []
    problems: list[str] = []
    columns: list[str] = []
    try:
        with _open_bytes(path) as fh:
            for doc in read_rows(fh, shown_name, dialect, limits):
                if isinstance(doc, ReadError):
                    problems.append(f"{shown_name}:{doc.line}: {doc.reason}")
                    if doc.stop or len(problems) >= PREVIEW_ROWS:
                        break
                    continue
                columns = columns or list(doc.value)
                docs.append(doc.value)
                if len(docs) >= max(rows, 20):  # a few more rows than shown, to judge time formats on
                    break
    except (OSError, EOFError, zlib.error) as exc:  # e.g. a damaged .gz: what was read before is shown
        problems.append(f"{shown_name}: the compressed data is damaged ({type(exc).__name__})")
    columns = columns or _header(path, dialect)
    if not columns and not problems:
        problems.append(f"{shown_name}: no header row and no records")
    return Table("xlsx" if dialect is None else "csv", columns,
                 [[_shown(d.get(c, "")) for c in columns] for d in docs[:rows]],
                 dialect.encoding if dialect else None, dialect.delimiter if dialect else None,
                 {c: fmt for c in columns if (fmt := time_format([d.get(c) for d in docs])) is not None}, problems)


def _header(path: Path, dialect: Dialect | None) -> list[str]:
    """The column names of a file without records (a CSV's first line, a worksheet's first non-empty row)."""
    if dialect is None:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            return []
        try:
            for values in book.worksheets[0].iter_rows(values_only=True) if book.worksheets else ():
                if any(str(_cell(v)).strip() for v in values):
                    return [str(_cell(v)).strip() for v in values]
            return []
        finally:
            book.close()
    with _open_bytes(path) as raw, io.TextIOWrapper(raw, "utf-8-sig" if dialect.encoding == "utf-8"
                                                     else dialect.encoding, errors="replace", newline="") as fh:
        try:
            return next(csv.reader(fh, delimiter=dialect.delimiter), [])
        except (OSError, EOFError, csv.Error):
            return []


def time_format(values: list[Any]) -> str | None:
    """"" when every non-empty value is ISO-8601 or an epoch, else the first of TIME_FORMATS that reads them all;
    None when no format does (not a time column)."""
    texts = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not texts:
        return None
    if all(_is_iso_or_epoch(t) for t in texts):
        return ""
    for fmt in TIME_FORMATS:
        try:
            for text in texts:
                datetime.strptime(text, fmt)
        except ValueError:
            continue
        return fmt
    return None


def _is_iso_or_epoch(text: str) -> bool:
    if re.fullmatch(r"\d{9,16}(\.\d+)?", text):
        return True
    try:
        datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return False
    return "-" in text  # fromisoformat also reads "20261207"; a date written that way is more likely an id


# --- which column is which ------------------------------------------------------------------------------------
# Header words per role, compared without accents and case ("Nội dung" -> "noi dung"). Whole-name matches win
# over matches of a word inside the name.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "message", "body", "comment", "description", "noi dung", "tin nhan", "phan anh",
             "y kien", "mo ta", "binh luan", "van ban", "chi tiet", "details", "post", "caption", "title"),
    "created_at": ("time", "created_at", "created", "date", "datetime", "timestamp", "thoi gian", "ngay", "ngay gio",
                   "ngay tao", "thoi diem", "posted", "received"),
    "post_id": ("id", "post_id", "ticket", "ticket id", "case", "case id", "ma", "ma so", "so phieu", "ma phan anh",
                "stt", "reference", "ref", "number", "no"),
    "place_name": ("place", "location", "address", "district", "ward", "city", "province", "dia diem", "dia chi",
                   "quan", "huyen", "phuong", "xa", "tinh", "thanh pho", "khu vuc", "area"),
    "platform": ("platform", "channel", "source", "kenh", "nguon", "nen tang"),
    "url": ("url", "link", "permalink", "duong dan", "lien ket"),
    "language": ("language", "lang", "ngon ngu"),
    "author_id": ("author", "user", "caller", "phone", "sender", "customer", "nguoi gui", "so dien thoai", "sdt",
                  "nguoi phan anh", "tac gia", "khach hang", "user_id", "author_id"),
}
ROLES = tuple(ROLE_WORDS)
REQUIRED_ROLES = ("text", "created_at", "post_id")


def fold(name: str) -> str:
    """Lower case without accents or punctuation: 'Thời gian' -> 'thoi gian', 'Đ' -> 'd'."""
    text = unicodedata.normalize("NFD", name.strip().lower().replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()


def guess_roles(columns: list[str]) -> dict[str, str]:
    """role -> column, each column used at most once; a role whose column is not recognised is left out."""
    folded = {c: fold(c) for c in columns}
    role_words = {role: [fold(w) for w in words] for role, words in ROLE_WORDS.items()}
    taken: set[str] = set()
    out: dict[str, str] = {}
    for exact in (True, False):
        for role, words in role_words.items():
            if role in out:
                continue
            for word in words:
                hit = next((c for c in columns if c not in taken and (
                    folded[c] == word if exact else f" {word} " in f" {folded[c]} ")), None)
                if hit is not None:
                    out[role] = hit
                    taken.add(hit)
                    break
    return out


def header_signature(columns: list[str]) -> str:
    """The same set of column names, in any order and case, gives the same signature (a remembered mapping)."""
    names = sorted({fold(c) or c for c in columns})
    return hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()[:16]

"""CSV (tidy long format) and XLSX (one sheet per section) exports of a report."""

from __future__ import annotations

import csv
from datetime import datetime
from io import BytesIO, StringIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from civicpulse.analysis.labels import SENTIMENTS
from civicpulse.reports.labels import emotion_name, labels
from civicpulse.reports.model import SECTIONS, Report, period_text
from civicpulse.spreadsheet import spreadsheet_cell, spreadsheet_row

CSV_HEADER = ("section", "key", "metric", "value")
VOLUME_FIELDS = ("posts", "authors", *SENTIMENTS, *(f"{s}_share" for s in SENTIMENTS), "net", "mean_score")
GROUP_FIELDS = {"emotions": ("posts", "authors"),
                "topics": ("posts", "authors", "mean_score", "negative_share"),
                "places": ("posts", "authors", "mean_score", "negative_share")}
SHEETS = {"volume": "Volume", "emotions": "Emotions", "topics": "Topics", "places": "Places"}
_PERCENT = "0.0%"
_POINTS = "+0.0;-0.0;0.0"
_DATETIME = "yyyy-mm-dd hh:mm"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", start_color="1F4E79")


def meta_rows(report: Report) -> list[tuple[str, Any]]:
    """Machine-readable metadata: raw filter values, not the localised description."""
    ov = report.overview
    rows: list[tuple[str, Any]] = [
        ("workspace", report.workspace), ("title", report.title), ("language", report.lang),
        ("period_start", ov["period"]["start"]), ("period_end", ov["period"]["end"]),
        ("previous_start", ov["previous"]["period"]["start"]), ("previous_end", ov["previous"]["period"]["end"]),
        ("bucket", ov["bucket"]), ("min_authors", report.k), ("generated_at", report.generated_at.isoformat()),
        ("timezone", ov.get("timezone", "UTC")),  # of the period and the volume keys (generated_at: UTC)
    ]
    if report.query_name:
        rows.append(("saved_query", report.query_name))
    if report.filters.query:
        rows.append(("query", report.filters.query))
    for name in ("platforms", "languages", "provinces", "topics", "sentiments"):
        if getattr(report.filters, name):
            rows.append((f"filter_{name}", ",".join(getattr(report.filters, name))))
    return rows


def to_csv(report: Report) -> bytes:
    """UTF-8 with a BOM (Excel opens it with the right encoding); one value per row: section, key, metric, value."""
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    ov = report.overview
    rows: list[tuple[Any, ...]] = [("meta", "", metric, value) for metric, value in meta_rows(report)]
    rows += [("briefing", str(n), "sentence", text) for n, text in enumerate(report.briefing.sentences, start=1)]
    periods = [("current", ov["totals"])]
    if report.has_previous:  # a previous period before the data is no comparison: left out, not empty
        periods += [("previous", ov["previous"]["totals"]), ("change", ov["change"])]
    for key, figures in periods:
        rows.extend(("summary", key, metric, value) for metric, value in figures.items())
    for section in SECTIONS:
        fields = VOLUME_FIELDS if section == "volume" else GROUP_FIELDS[section]
        for row in ov[section]:
            if section == "topics":
                rows.append((section, row["key"], "label", report.topic_label(row["key"])))
            rows.extend((section, row["key"], metric, row.get(metric)) for metric in (*fields, "suppressed"))
    writer.writerows([_csv(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _csv(value: Any) -> Any:
    """Texts neutralised for spreadsheets (titles, queries, place names come from users); numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return spreadsheet_cell(value) if isinstance(value, str) else str(value)


def to_xlsx(report: Report) -> bytes:
    words, ov = labels(report.lang), report.overview
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    _summary_sheet(summary, report, words)
    for section in SECTIONS:
        sheet = book.create_sheet(SHEETS[section])
        fields = VOLUME_FIELDS if section == "volume" else GROUP_FIELDS[section]
        first = words["time"] if section == "volume" else words["key"]
        _header(sheet, 1, [first, *(words[f] for f in fields), words["suppressed_col"]])
        for row in ov[section]:
            key = row["key"]
            if section == "volume":
                key = datetime.fromisoformat(key)
            elif section == "emotions":
                key = emotion_name(key, report.lang)
            elif section == "topics":
                key = report.topic_label(key)
            _append(sheet, [key, *(row.get(f) for f in fields), row["suppressed"]])
        _formats(sheet, ("key", *fields), first_row=2)
        _widths(sheet, [20 if section == "volume" else 32, *(14 for _ in fields), 12])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(sheet: Worksheet, report: Report, words: dict[str, str]) -> None:
    _append(sheet, [report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    meta: list[tuple[str, Any]] = [(words["workspace"], report.workspace), (words["period"], period_text(report)),
                                   (words["bucket"], words.get(report.overview["bucket"], report.overview["bucket"])),
                                   *report.filters_description, (words["generated"], report.generated_at),
                                   ("", words["k_note"].format(k=report.k))]
    for label, value in meta:
        _append(sheet, [label, value])
        if isinstance(value, datetime):
            sheet.cell(sheet.max_row, 2).number_format = _DATETIME
    sheet.append([])
    _append(sheet, [words["summary"]])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    for sentence in report.briefing.sentences:
        _append(sheet, [sentence])
    sheet.append([])
    header_row = sheet.max_row + 1
    previous = report.has_previous
    _header(sheet, header_row, [words["metric"], words["current"],
                                *([words["previous"], words["change"]] if previous else [])])
    suppressed = words["suppressed"].format(k=report.k)
    for name, now, before, change, unit in report.key_figures():
        now = suppressed if report.overview["totals"]["suppressed"] else now
        before = suppressed if report.overview["previous"]["totals"]["suppressed"] else before
        _append(sheet, [words[name], now, *([before, change] if previous else [])])
        row = sheet.max_row
        if name.endswith("_share") or name == "net":
            for col in (2, 3):
                sheet.cell(row, col).number_format = _PERCENT
        sheet.cell(row, 4).number_format = {"percent": "+0.0\\ \\%;-0.0\\ \\%;0.0", "points": _POINTS}.get(
            unit or "", "+0.000;-0.000;0.000")
    _widths(sheet, [26, 24, 24, 14])


def _append(sheet: Worksheet, values: list[Any]) -> None:
    """One row; texts neutralised and typed as strings, so no cell of a report is ever a formula."""
    sheet.append(spreadsheet_row(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _header(sheet: Worksheet, row: int, names: list[str]) -> None:
    for col, name in enumerate(names, start=1):
        cell = sheet.cell(row, col, spreadsheet_cell(name))
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if row == 1:
        sheet.freeze_panes = "A2"


def _formats(sheet: Worksheet, fields: tuple[str, ...], first_row: int) -> None:
    for col, name in enumerate(fields, start=1):
        fmt = (_PERCENT if name.endswith("_share") or name == "net" else "+0.000;-0.000;0.000"
               if name == "mean_score" else None)
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=col, max_col=col):
            if isinstance(cell.value, datetime):
                cell.number_format = _DATETIME
            elif fmt:
                cell.number_format = fmt


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width

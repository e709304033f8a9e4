"""Report exports: PDF (charts, Vietnamese text, page count), CSV and XLSX values equal to the Overview."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from civicpulse.analytics import Filters
from civicpulse.reports import FORMATS, build_report, export, to_csv, to_pdf, to_xlsx
from civicpulse.reports.charts import BAR_COLOUR, SENTIMENT_COLOURS
from civicpulse.reports.fonts import VIETNAMESE_SAMPLE, register_fonts
from report_data import HANOI, HCMC, WEEK_END, WEEK_START, city_store

WEEK = Filters(start=WEEK_START, end=WEEK_END)
VI_TITLE = "Báo cáo ngập lụt Thủ Đức – tuần 37"


@pytest.fixture(scope="module")
def store():
    s = city_store()
    yield s
    s.close()


def pdf_text(pdf: bytes) -> str:
    """Text shown by an uncompressed reportlab PDF, decoded through each font's ToUnicode map (no PDF library)."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}
    maps: dict[bytes, dict[int, str]] = {}
    for name, ref in re.findall(rb"/Name /(\S+).{0,200}?/ToUnicode (\d+) 0 R", pdf, re.S):
        pairs = re.findall(rb"<([0-9A-F]{2})> <([0-9A-F]{4})>", objects[int(ref)])
        maps[name] = {int(code, 16): chr(int(uni, 16)) for code, uni in pairs}
    out, current = [], {}
    for font, string in re.findall(rb"/(\S+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", pdf):
        if font:
            current = maps.get(font, {})
            continue
        raw = re.sub(rb"\\([0-7]{3}|.)", lambda m: bytes([int(m[1], 8)]) if len(m[1]) == 3 else m[1], string)
        out.append("".join(current.get(b, chr(b)) for b in raw))
    return "\n".join(out)


def colour_op(colour) -> bytes:
    """How reportlab writes a fill colour: '.839216 .152941 .156863 rg'."""
    return " ".join(f"{c:.6f}".rstrip("0").lstrip("0") or "0" for c in colour.rgb()).encode() + b" rg"


def test_pdf_has_pages_charts_and_vietnamese_text(store) -> None:
    report = build_report(store, "city", WEEK, title=VI_TITLE, lang="vi")
    pdf = to_pdf(report, compress=False, invariant=True)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) >= 1
    assert b"+DejaVuSans" in pdf and b"/FontFile2" in pdf  # the Vietnamese-capable font is embedded
    text = pdf_text(pdf)
    assert VI_TITLE in text and HCMC in text and "Tỷ lệ tiêu cực" in text
    # Hà Nội, three emotions and every day of the week rest on too few authors: folded, not a row each.
    assert "1 nhóm nhỏ đã ẩn (ít hơn 10 tác giả)" in text and "3 nhóm nhỏ đã ẩn (ít hơn 10 tác giả)" in text
    assert "Số bài đăng theo thời gian\nđã ẩn (" in text  # the daily volume: one line instead of its chart
    assert "+50.0 %" in text and "-30.0 điểm" in text  # posts and net sentiment against the previous week
    assert colour_op(BAR_COLOUR) in pdf  # bar charts (topics, places, emotions) were drawn
    # The daily volume is suppressed throughout: no sentiment chart, whose colours appear nowhere else.
    assert colour_op(SENTIMENT_COLOURS["negative"]) not in pdf


def test_pdf_time_series_charts_when_buckets_have_enough_authors(store) -> None:
    pdf = to_pdf(build_report(store, "other", WEEK, lang="en"), compress=False, invariant=True)
    assert colour_op(SENTIMENT_COLOURS["positive"]) in pdf
    text = pdf_text(pdf)
    assert "Volume over time" in text and "Sentiment shares over time" in text and "2026-09-08" in text
    assert HCMC not in text  # city's places never reach another workspace's report
    compressed = to_pdf(build_report(store, "other", WEEK))
    assert compressed.startswith(b"%PDF-") and len(compressed) < len(pdf)


def test_csv_is_tidy_and_matches_the_overview(store) -> None:
    report = build_report(store, "city", WEEK, lang="vi", query_name="ngập")
    data = to_csv(report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["section", "key", "metric", "value"] and all(len(r) == 4 for r in rows)
    values = {(s, k, m): v for s, k, m, v in rows[1:]}
    assert values[("summary", "current", "posts")] == "30" and values[("summary", "previous", "posts")] == "20"
    assert values[("summary", "change", "posts_pct")] == "50.0"
    assert float(values[("summary", "current", "net")]) == report.overview["totals"]["net"] == -0.3
    assert values[("places", HCMC, "posts")] == "15" and values[("places", HANOI, "suppressed")] == "true"
    assert values[("places", HANOI, "posts")] == ""
    assert values[("meta", "", "saved_query")] == "ngập" and values[("meta", "", "workspace")] == "city"
    assert values[("volume", "2026-09-08T00:00:00", "suppressed")] == "true"


def test_xlsx_sheets_hold_real_dates_and_the_overview_values(store) -> None:
    report = build_report(store, "other", WEEK, lang="en")
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames == ["Summary", "Volume", "Emotions", "Topics", "Places"]
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    # No posts in the week before, nor any before the week: no previous column at all (test_report_briefing.py).
    assert summary["Posts"][0] == 60 and not any(v for v in summary["Posts"][1:])
    assert summary["Positive share"][0] == 1.0 and summary["Period"][0] == "2026-09-08 – 2026-09-14 (UTC)"
    volume = book["Volume"]
    assert volume["A1"].value == "Time" and volume["A1"].font.bold
    assert volume["A2"].value == datetime(2026, 9, 8) and volume["A2"].is_date
    assert [c.value for c in volume["B"][1:]] == [12] * 5 + [0, 0]  # dense: the two days without posts are 0
    places = list(book["Places"].iter_rows(min_row=2, values_only=True))
    assert places == [(HANOI, 60, 30, 0.6, 0.0, False)]
    vi = load_workbook(io.BytesIO(to_xlsx(build_report(store, "city", WEEK, lang="vi"))))
    emotions = {r[0]: r for r in vi["Emotions"].iter_rows(min_row=2, values_only=True)}
    assert emotions["giận dữ"][1:] == (10, 10, False) and emotions["vui vẻ"][1:] == (None, None, True)


def test_export_names_types_and_formats(store) -> None:
    report = build_report(store, "city", WEEK)
    for fmt in FORMATS:
        data, _, filename = export(report, fmt)
        assert filename == f"civicpulse-city-20260908_20260914.{fmt}" and data  # first and last day, inclusive
    assert export(report, "csv")[1].startswith("text/csv") and export(report, "pdf")[0].startswith(b"%PDF")
    assert export(report, "xlsx")[0].startswith(b"PK")  # a zip container
    with pytest.raises(ValueError, match="unknown report format 'docx'"):
        export(report, "docx")
    with pytest.raises(ValueError, match="unknown report language 'fr'"):
        build_report(store, "city", WEEK, lang="fr")


def test_reports_of_an_empty_period_still_render(store) -> None:
    report = build_report(store, "city", Filters(start=datetime(2030, 1, 1), end=datetime(2030, 1, 2)))
    assert "No data for this period." in pdf_text(to_pdf(report, compress=False, invariant=True))
    assert load_workbook(io.BytesIO(to_xlsx(report)))["Volume"].max_row == 1
    assert b"summary,current,suppressed,true" in to_csv(report)


def test_the_report_font_covers_vietnamese() -> None:
    from reportlab.pdfbase import pdfmetrics

    regular, bold = register_fonts()
    for name in (regular, bold):
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        assert all(ord(c) in glyphs for c in VIETNAMESE_SAMPLE)


FORMULAS = ("=1+1", "+1+1", "-1+1", "@SUM(1)", "＝1+1")


def test_texts_users_control_never_become_formulas(store) -> None:
    """?place==1%2B1 once wrote a live formula into the Summary sheet: every text cell is now quoted text."""
    for text in FORMULAS:
        report = build_report(store, "city", Filters(start=WEEK_START, end=WEEK_END, provinces=(text,),
                                                     query=text), title=text, query_name=text)
        summary = load_workbook(io.BytesIO(to_xlsx(report)))["Summary"]
        cells = [c for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
        assert not [c.coordinate for c in cells if c.data_type != "s"]
        shown = [c.value for c in cells if text in c.value]
        assert summary["A1"].value == "'" + text and shown and all(v.startswith("'") for v in shown)
        rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
        values = {(s, k, m): v for s, k, m, v in rows[1:]}
        for metric in ("title", "saved_query", "query", "filter_provinces"):
            assert values[("meta", "", metric)] == "'" + text, metric
        assert not [cell for row in rows for cell in row if cell[:1] in tuple("=+-@＝") and not is_number(cell)]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_negative_numbers_stay_numbers(store) -> None:
    report = build_report(store, "city", WEEK, lang="vi")
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert {(s, k, m): v for s, k, m, v in rows[1:]}[("summary", "current", "net")] == "-0.3"
    summary = load_workbook(io.BytesIO(to_xlsx(report)))["Summary"]
    negatives = [c for row in summary.iter_rows() for c in row if isinstance(c.value, float) and c.value < 0]
    assert negatives and all(c.data_type == "n" for c in negatives)

"""Reports read as a briefing: a written summary from the figures, readable topic labels, small groups folded
into one line, no previous period before the data, and representative posts without authors."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from civicpulse.analytics import Filters
from civicpulse.reports import build_report, to_csv, to_pdf, to_xlsx
from report_data import HANOI, HCMC, WEEK_END, WEEK_START, city_store
from test_reports import pdf_text

WEEK = Filters(start=WEEK_START, end=WEEK_END)


@pytest.fixture(scope="module")
def store():
    s = city_store()
    yield s
    s.close()


def test_the_summary_is_written_from_the_figures_in_each_language(store) -> None:
    english = build_report(store, "city", WEEK, lang="en").briefing.sentences
    assert english[:3] == ["This period counts 30 posts by about 10 authors.",
                           "That is 50% more than in the previous period.",
                           "50% of posts were negative and 20% positive; the negative share rose by 25 points "
                           "against the previous period."]
    assert "Most discussed topics: Flooding & weather (15), Traffic (15)." in english
    assert f"Places mentioned most: {HCMC} (15)." in english and HANOI not in " ".join(english)  # 3 authors only
    assert english[-1] == "No unusual peak was detected in this period."
    vietnamese = build_report(store, "city", WEEK, lang="vi").briefing.sentences
    assert vietnamese[:2] == ["Kỳ này có 30 bài đăng của khoảng 10 tác giả.", "Số bài đăng tăng 50% so với kỳ trước."]
    assert "Chủ đề được bàn nhiều nhất: Ngập lụt & thời tiết (15), Traffic (15)." in vietnamese
    tiny = build_report(store, "city", Filters(start=datetime(2026, 8, 20), end=datetime(2026, 8, 21)), lang="en")
    assert tiny.briefing.sentences == ["Too few authors in this period (fewer than 10) for its figures to be shown."]


def test_the_pdf_reads_as_a_briefing(store) -> None:
    text = pdf_text(to_pdf(build_report(store, "city", WEEK, lang="en"), compress=False, invariant=True))
    assert "Summary\nThis period counts 30 posts" in text
    assert "flooding_weather" not in text and "Flooding & weather" in text
    assert "1 smaller group hidden (fewer than 10 authors)" in text  # Hà Nội, folded
    assert "3 smaller groups hidden (fewer than 10 authors)" in text  # three emotions, folded
    assert "Representative posts\n“bài c14”\nFlooding & weather · Negative · sadness · 2026-09-10" in text
    assert "social.example" not in text and "Author" not in text.split("Representative posts")[1]


def test_no_previous_period_is_shown_when_it_precedes_the_data(store) -> None:
    report = build_report(store, "other", Filters(), lang="en")
    assert not report.has_previous
    text = pdf_text(to_pdf(report, compress=False, invariant=True))
    assert "Previous period" not in text and "No previous period: the data starts within this period." in text
    assert "more than in the previous period" not in " ".join(report.briefing.sentences)
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert not [r for r in rows if r[0] == "summary" and r[1] in ("previous", "change")]
    sheet = load_workbook(io.BytesIO(to_xlsx(report)))["Summary"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "Previous" not in values and "This period counts 60 posts by about 30 authors." in values
    assert build_report(store, "city", WEEK, lang="en").has_previous  # city has data the week before


def test_csv_and_xlsx_carry_the_summary_and_readable_topic_labels(store) -> None:
    report = build_report(store, "city", WEEK, lang="en")
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert ["briefing", "1", "sentence", "This period counts 30 posts by about 10 authors."] in rows
    assert ["topics", "flooding_weather", "label", "Flooding & weather"] in rows
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    assert "Flooding & weather" in [c.value for c in book["Topics"]["A"]]
    assert "flooding_weather" not in [c.value for c in book["Topics"]["A"]]

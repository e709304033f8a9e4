"""Spreadsheet-bound cells never start a formula; everything else passes through with its type."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.spreadsheet import FORMULA_TRIGGERS, spreadsheet_cell, spreadsheet_row


def test_each_trigger_gets_a_leading_quote() -> None:
    for text in ("=1+1", "+84 90", "-2", "@SUM(A1)", "\t=cmd", "\r=x", "\n=x", "＝1+1", "＋1", "－1", "＠x"):
        assert spreadsheet_cell(text) == "'" + text, repr(text)


def test_plain_texts_and_non_texts_are_unchanged() -> None:
    moment = datetime(2026, 9, 14, 8)
    for value in ("Ngập ở Thủ Đức", "a=b", "1+1", "", " =x", "'=quoted", -3, -0.25, 0, True, None, moment):
        assert spreadsheet_cell(value) == value and type(spreadsheet_cell(value)) is type(value)
    assert spreadsheet_row(["=x", -1, None]) == ["'=x", -1, None]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_text_comes_out_starting_with_a_trigger(text: str) -> None:
    out = spreadsheet_cell(text)
    assert not out or out[0] not in FORMULA_TRIGGERS
    assert out in (text, "'" + text)

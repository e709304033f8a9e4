"""Cells bound for a spreadsheet (CSV or XLSX) that no spreadsheet will run as a formula.

Excel, LibreOffice and Google Sheets treat a text starting with `=`, `+`, `-` or `@` as a formula; some strip a
leading tab, carriage return or line feed first, and some also accept the fullwidth forms. Following OWASP's
CSV-injection guidance such a text gets a leading single quote, which makes it plain text in every spreadsheet.
Only texts are touched: numbers, dates and booleans keep their type, so a negative number stays a number.
Machine formats (JSONL, Parquet) never go through here and stay exact.
"""

from __future__ import annotations

from typing import Any, TypeVar

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # ＝＋－＠ are the fullwidth forms
T = TypeVar("T")


def spreadsheet_cell(value: T) -> T | str:
    """`value` unchanged, unless it is a text a spreadsheet would read as a formula: then `'` + text."""
    if isinstance(value, str) and value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def spreadsheet_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [spreadsheet_cell(v) for v in values]

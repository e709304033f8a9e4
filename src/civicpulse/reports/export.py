"""One entry point for downloads and email attachments: report + format -> (bytes, media type, filename)."""

from __future__ import annotations

import re
from datetime import timedelta

from civicpulse.reports.model import Report
from civicpulse.reports.pdf import to_pdf
from civicpulse.reports.tabular import to_csv, to_xlsx

FORMATS = {
    "pdf": (to_pdf, "application/pdf"),
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def export(report: Report, fmt: str) -> tuple[bytes, str, str]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    render, media_type = FORMATS[fmt]
    return render(report), media_type, filename(report, fmt)


def filename(report: Report, fmt: str) -> str:
    """civicpulse-<workspace>-<first day>_<last day>.<fmt>, safe for Content-Disposition and mail clients."""
    start, end = report.period
    last = end - timedelta(microseconds=1) if end else None  # the end is exclusive
    span = f"{start:%Y%m%d}_{last:%Y%m%d}" if start and last else "empty"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"civicpulse-{report.workspace}-{span}") + f".{fmt}"

"""Reports of a workspace's Overview as PDF (with charts), CSV and XLSX, and scheduled email digests."""

from civicpulse.reports.digests import Digest, DigestNotFound, DigestService
from civicpulse.reports.export import FORMATS, export
from civicpulse.reports.model import Report, build_report
from civicpulse.reports.pdf import to_pdf
from civicpulse.reports.tabular import to_csv, to_xlsx

__all__ = ["FORMATS", "Digest", "DigestNotFound", "DigestService", "Report", "build_report", "export", "to_csv",
           "to_pdf", "to_xlsx"]

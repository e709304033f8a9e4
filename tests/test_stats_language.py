"""`civicpulse stats` counts posts by the detected language, not by the platform's often empty field."""

from __future__ import annotations

from datetime import datetime

from click.testing import CliRunner

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.cli import main
from civicpulse.reports.pdf import signed
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore

TEXTS = ["Ngập nặng ở Thủ Đức, khổ quá", "Kẹt xe kinh khủng ở Cầu Giấy, Hà Nội", "Traffic jam again, so annoying"]


def test_stats_count_the_detected_language_and_posts_not_analysed_yet(tmp_path) -> None:
    db = str(tmp_path / "s.duckdb")
    store = DuckDBStore(db)
    store.ensure_workspace("city")
    store.upsert_posts("city", [Post("mastodon", str(i), Kind.POST, text, datetime(2026, 9, 1), "mastodon",
                                     author_key=f"1.{i}") for i, text in enumerate(TEXTS)])  # no platform language
    enrich_workspace(store, "city", Analyzer(mode="fast"), discover=False)
    store.upsert_posts("city", [Post("mastodon", "late", Kind.POST, "Mưa to quá", datetime(2026, 9, 2), "mastodon",
                                     author_key="1.late", language="vi")])
    assert store.stats("city")["by"]["language"] == {"vi": 2, "(not analysed)": 1, "en": 1}
    assert store.stats()["by"]["language"] == store.stats("city")["by"]["language"]
    store.close()
    result = CliRunner().invoke(main, ["--db", db, "stats", "-w", "city"])
    assert result.exit_code == 0 and "language (detected): vi 2, (not analysed) 1, en 1" in result.output


def test_signed_report_figures_never_show_a_negative_zero() -> None:
    assert [signed(v, 3) for v in (-0.0004, 0.0, -0.0, 0.0004, -0.0126, 0.25)] == [
        "0.000", "0.000", "0.000", "0.000", "-0.013", "+0.250"]
    assert signed(-0.04, 1) == "0.0" and signed(-0.06, 1) == "-0.1"

"""A report: the Overview of a filtered period plus what is needed to present it (title, language, filters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.overview import overview
from civicpulse.reports.briefing import Briefing, build_briefing, readable
from civicpulse.reports.labels import labels
from civicpulse.store.base import Store

# (figure in the totals, figure in the change dict, how the change is expressed)
KEY_FIGURES: tuple[tuple[str, str | None, str | None], ...] = (
    ("posts", "posts_pct", "percent"),
    ("authors", None, None),
    ("negative_share", "negative_share_points", "points"),
    ("neutral_share", "neutral_share_points", "points"),
    ("positive_share", "positive_share_points", "points"),
    ("net", "net_points", "points"),
    ("mean_score", "mean_score", "delta"),
)
SECTIONS = ("volume", "emotions", "topics", "places")


@dataclass
class Report:
    workspace: str
    title: str
    lang: str
    generated_at: datetime  # UTC, naive like every stored timestamp
    filters: Filters
    filters_description: list[tuple[str, str]]  # (label, value) in the report language
    query_name: str | None
    overview: dict[str, Any]
    briefing: Briefing = field(default_factory=Briefing)

    @property
    def has_previous(self) -> bool:
        """False when the previous period lies wholly before the data: it is then left out, not shown empty."""
        return self.briefing.has_previous

    def topic_label(self, topic_id: str) -> str:
        return readable(self.briefing.topic_labels, topic_id)

    @property
    def k(self) -> int:
        return int(self.overview["k"])

    @property
    def period(self) -> tuple[datetime | None, datetime | None]:
        period = self.overview["period"]
        return tuple(datetime.fromisoformat(v) if v else None for v in (period["start"], period["end"]))  # type: ignore[return-value]

    def key_figures(self) -> list[tuple[str, Any, Any, Any, str | None]]:
        """(figure, this period, previous period, change, unit of the change) for the summary table."""
        now, before, change = self.overview["totals"], self.overview["previous"]["totals"], self.overview["change"]
        return [(name, now.get(name), before.get(name), change.get(key) if key else None, unit)
                for name, key, unit in KEY_FIGURES]


def build_report(store: Store, workspace: str, f: Filters, title: str | None = None, lang: str = "en",
                 query_name: str | None = None, bucket: str | None = None) -> Report:
    """Compute the Overview for `f` and wrap it with presentation metadata in English or Vietnamese."""
    words = labels(lang)
    figures = overview(store, workspace, f, bucket)
    return Report(workspace=workspace, title=title or words["title"].format(workspace=workspace), lang=lang,
                  generated_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0), filters=f,
                  filters_description=describe_filters(f, lang, query_name), query_name=query_name,
                  overview=figures, briefing=build_briefing(store, workspace, f, figures, lang))


def describe_filters(f: Filters, lang: str, query_name: str | None = None) -> list[tuple[str, str]]:
    """The filters that narrow the report, one (label, value) per kind; dates are shown as the period instead."""
    words = labels(lang)
    out = [(words["query"], query_name)] if query_name else []
    if f.query:
        out.append((words["text_query"], f.query))
    for name in ("platforms", "languages", "provinces", "topics", "sentiments"):
        values = getattr(f, name)
        if values:
            shown = [words.get(v, v) for v in values] if name == "sentiments" else list(values)
            out.append((words["topic_filter" if name == "topics" else name], ", ".join(shown)))
    return out


def period_text(report: Report, previous: bool = False) -> str:
    """The report's period (or the one before it) in the workspace's zone, its end shown inclusive:
    '2026-09-08 – 2026-09-14 (Asia/Ho_Chi_Minh)' for whole days, else 'YYYY-MM-DD HH:MM – YYYY-MM-DD HH:MM (zone)'."""
    period = report.overview["previous"]["period"] if previous else report.overview["period"]
    if not period["start"] or not period["end"]:
        return labels(report.lang)["no_data"]
    start, end = (datetime.fromisoformat(period[k]) for k in ("start", "end"))
    zone = report.overview.get("timezone", "UTC")
    if start.time() == end.time() == time(0):  # whole local days: the end is exclusive, its day is not in
        return f"{start:%Y-%m-%d} – {end - timedelta(days=1):%Y-%m-%d} ({zone})"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} ({zone})"

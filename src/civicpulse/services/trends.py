"""Trends: unusual volume or sentiment shifts, overall and per topic, place and saved query, with the spikes of
one happening grouped into events (web: GET .../trends)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.services.options import Options, OptionsError, check_choice, check_int
from civicpulse.store import labels_sql as sql
from civicpulse.store.base import Store

BUCKETS = ("hour", "day")


@dataclass(frozen=True)
class TrendOptions(Options):
    bucket: str = "day"
    threshold: float = 3.0  # how unusual a bucket must be (robust z-score) to count as a spike
    days: int = 90  # without a period start: judge the last N days of data

    def __post_init__(self) -> None:
        check_choice("bucket", self.bucket, BUCKETS)
        if not 1.0 <= self.threshold <= 20.0:
            raise OptionsError(f"threshold must be between 1 and 20, not {self.threshold!r}")
        check_int("days", self.days, 1, 366)


def trends(store: Store, workspace: str, filters: Filters, options: TrendOptions) -> dict[str, Any]:
    """Spikes (strongest first) and the events they form, in the filters' period or the last `days` of data."""
    from civicpulse.analytics.events import events, topic_label
    from civicpulse.analytics.saved_queries import SavedQueries
    from civicpulse.analytics.topic_trends import taxonomy_for
    from civicpulse.analytics.trends import detect_spikes

    bucket, threshold = options.bucket, options.threshold
    # Every bucket of the chosen period is judged (each against the 14 before it), not just the latest few.
    since = filters.start
    if since is None:
        last = store.query(sql.LAST_ANALYSED_AT, [workspace])[0][0]
        since = last - timedelta(days=options.days) if last else None
    spikes = [x.to_dict() for x in detect_spikes(store, workspace, filters, bucket=bucket, threshold=threshold,
                                                 since=since)]
    saved_queries = SavedQueries(store).list(workspace)
    for saved in saved_queries:  # each saved query is a series of its own, within the filters
        text = f"({saved.query}) AND ({filters.query})" if filters.query else saved.query
        for x in detect_spikes(store, workspace, replace(filters, query=text), bucket=bucket,
                               dimensions=("all",), threshold=threshold, since=since):
            spikes.append({**x.to_dict(), "dimension": "query", "key": saved.name, "query_id": saved.query_id})
    spikes.sort(key=lambda x: -x["score"])
    # The same happening shows in several series: its spikes grouped into events (analytics/events.py).
    queries = {saved.name: saved.query for saved in saved_queries}
    taxonomy = taxonomy_for(store, workspace)
    found = events(store, workspace, filters, spikes, bucket, queries, taxonomy)
    for spike in spikes:  # cards name topics by their label, never their id
        if spike["dimension"] == "topic":
            spike["key_label"] = {lang: topic_label(taxonomy, spike["key"], lang) for lang in ("en", "vi")}
    return {"bucket": bucket, "since": since.isoformat() if since else None, "spikes": spikes, "events": found}

"""A report's briefing: a written summary of the period, its unusual peaks and representative posts.

Every sentence is a template filled from the report's own figures (volume, sentiment and their change, the leading
topics and places, the spikes the trend detector finds in the period): nothing is claimed that the figures do not
say, and nothing resting on fewer than k authors is named. Example posts are the dashboards' representative posts
of the leading topics: their text as stored (already redacted at ingest), their labels, never an author or a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.topic_trends import PeriodTooLong, data_span, taxonomy_for, topic_trends
from civicpulse.store.base import Store

TOP = 3  # topics, places and peaks named in the summary
EXAMPLE_TOPICS = 3  # topics whose representative posts are shown, one or two each
EXAMPLES_PER_TOPIC = 2


@dataclass
class Briefing:
    sentences: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)  # text, topic, sentiment, emotion, created_at
    topic_labels: dict[str, str] = field(default_factory=dict)  # taxonomy id -> label in the report's language
    has_previous: bool = True  # False when the previous period lies before the workspace's first post


def topic_labels(store: Store, workspace: str, lang: str) -> dict[str, str]:
    taxonomy = taxonomy_for(store, workspace)
    return {t.id: (t.label_vi or t.label_en) if lang == "vi" else t.label_en for t in taxonomy.topics}


def readable(labels: dict[str, str], topic_id: Any) -> str:
    """A topic's label; an id the taxonomy no longer has is still shown as words ("road_works" -> "Road works")."""
    text = str(topic_id)
    return labels.get(text) or text.replace("_", " ").capitalize()


def previous_has_data(store: Store, workspace: str, overview: dict[str, Any]) -> bool:
    """Whether the previous period reaches into the stored data at all: one that ends before the workspace's
    first post is no comparison, only an empty column."""
    end = overview["previous"]["period"]["end"]
    span = data_span(store, workspace)
    return bool(end and span and datetime.fromisoformat(end) > span[0])


def build_briefing(store: Store, workspace: str, f: Filters, overview: dict[str, Any], lang: str) -> Briefing:
    labels = topic_labels(store, workspace, lang)
    has_previous = previous_has_data(store, workspace, overview)
    sentences = _sentences(overview, lang, labels, has_previous) + _peaks(store, workspace, f, overview, lang)
    return Briefing(sentences, _examples(store, workspace, f, overview, labels), labels, has_previous)


def _number(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "." if lang == "vi" else ",")


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _sentences(ov: dict[str, Any], lang: str, labels: dict[str, str], has_previous: bool) -> list[str]:
    totals, change, k = ov["totals"], ov["change"], ov["k"]
    vi = lang == "vi"
    if totals["suppressed"]:
        return [f"Kỳ này có quá ít tác giả (dưới {k}) để hiển thị số liệu." if vi else
                f"Too few authors in this period (fewer than {k}) for its figures to be shown."]
    posts, authors = _number(totals["posts"], lang), _number(totals["authors"], lang)
    out = [f"Kỳ này có {posts} bài đăng của khoảng {authors} tác giả." if vi else
           f"This period counts {posts} posts by about {authors} authors."]
    if has_previous and change.get("posts_pct") is not None:
        pct = change["posts_pct"]
        if vi:
            out.append(f"Số bài đăng {'tăng' if pct > 0 else 'giảm'} {abs(pct):.0f}% so với kỳ trước." if round(pct)
                       else "Số bài đăng gần như không đổi so với kỳ trước.")
        else:
            out.append(f"That is {abs(pct):.0f}% {'more' if pct > 0 else 'fewer'} than in the previous period."
                       if round(pct) else "That is about as many as in the previous period.")
    if totals.get("negative_share") is not None:
        neg, pos = _pct(totals["negative_share"]), _pct(totals["positive_share"])
        sentence = (f"{neg} bài đăng mang sắc thái tiêu cực và {pos} tích cực" if vi else
                    f"{neg} of posts were negative and {pos} positive")
        points = change.get("negative_share_points") if has_previous else None
        if points is not None and round(points):
            sentence += (f"; tỷ lệ tiêu cực {'tăng' if points > 0 else 'giảm'} {abs(points):.0f} điểm so với kỳ trước"
                         if vi else f"; the negative share {'rose' if points > 0 else 'fell'} by "
                         f"{abs(points):.0f} points against the previous period")
        out.append(sentence + ".")
    named = [(readable(labels, r["key"]), r["posts"]) for r in ov["topics"] if not r["suppressed"]][:TOP]
    if named:
        listed = ", ".join(f"{name} ({_number(n, lang)})" for name, n in named)
        out.append(f"Chủ đề được bàn nhiều nhất: {listed}." if vi else f"Most discussed topics: {listed}.")
    places = [(r["key"], r["posts"]) for r in ov["places"] if not r["suppressed"]][:TOP]
    if places:
        listed = ", ".join(f"{name} ({_number(n, lang)})" for name, n in places)
        out.append(f"Địa điểm được nhắc đến nhiều nhất: {listed}." if vi else f"Places mentioned most: {listed}.")
    return out


def _peaks(store: Store, workspace: str, f: Filters, ov: dict[str, Any], lang: str) -> list[str]:
    """The period's unusual peaks overall, as the trends page finds them (figures only, no drivers)."""
    from civicpulse.analytics.trends import detect_spikes

    start, end = ov["period"]["start"], ov["period"]["end"]
    if not start or ov["totals"]["suppressed"]:
        return []
    bucket = "hour" if ov["bucket"] == "hour" else "day"
    period = replace(f, start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))
    spikes = detect_spikes(store, workspace, period, bucket=bucket, dimensions=("all",), since=period.start,
                           explain=0, limit=TOP)
    if not spikes:
        return ["Không phát hiện đột biến bất thường nào trong kỳ." if lang == "vi"
                else "No unusual peak was detected in this period."]
    listed = "; ".join(s.explanation["summary"][lang] for s in sorted(spikes, key=lambda s: s.bucket_start))
    return [f"Đột biến bất thường: {listed}." if lang == "vi" else f"Unusual peaks: {listed}."]


def _examples(store: Store, workspace: str, f: Filters, ov: dict[str, Any],
              labels: dict[str, str]) -> list[dict[str, Any]]:
    start, end = ov["period"]["start"], ov["period"]["end"]
    if not start:
        return []
    period = replace(f, start=datetime.fromisoformat(start), end=datetime.fromisoformat(end))
    try:
        topics = topic_trends(store, workspace, period, bucket="week", limit=EXAMPLE_TOPICS)
    except PeriodTooLong:
        return []
    out = []
    for topic in topics:
        for post in (topic.get("examples") or [])[:EXAMPLES_PER_TOPIC]:
            out.append({"text": post["text"], "topic": readable(labels, topic["id"]),
                        "sentiment": post["sentiment"], "emotion": post["emotion"],
                        "created_at": post["created_at"]})
    return out

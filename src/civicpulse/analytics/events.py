"""Events: the spikes that describe one happening, grouped, with its facets, a title, a timeline and examples.

One flood in a city shows as a volume spike overall, a topic spike, a place spike, a saved-query spike and their
negative-share twins: five or more cards for one event. Two spikes belong to one event when
- they fall in the same bucket and share most of their posts: Jaccard similarity of their post sets at least
  `JACCARD` (a topic spike and the place spike of the same posts), or
- they are the same series (dimension and key) in the same or consecutive buckets (a flood over three days).
Events are the connected components of those links. A spike of all posts joins the one event it overlaps most
(an unrelated spike the same day shares few of its posts), never two: see `group`. Post sets are bounded
(`MAX_POSTS` per spike): an event is found from the posts' ids only, never their authors, and shows only what the
spikes themselves show.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from civicpulse.analysis.taxonomy import Taxonomy
from civicpulse.analytics.aggregates import Analytics
from civicpulse.analytics.filters import FROM, Filters, where
from civicpulse.store.base import Store

JACCARD = 0.3
MAX_POSTS = 20_000  # per spike: enough to measure overlap; bounded memory whatever the spike's size
CONTEXT_BUCKETS = 7  # timeline buckets shown before an event (and 2 after)
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PLACE_PREFIXES = ("Thành phố ", "Tỉnh ")


def spike_filters(f: Filters, spike: dict[str, Any], step: timedelta, queries: dict[str, str]) -> Filters:
    """The filters selecting one spike's posts: its bucket and series (topic, province or saved query)."""
    start = datetime.fromisoformat(spike["bucket_start"]).replace(tzinfo=None)
    scoped = replace(f, start=start, end=start + step, matched=None)
    if spike["dimension"] == "topic":
        return replace(scoped, topics=(spike["key"],))
    if spike["dimension"] == "place":
        return replace(scoped, provinces=(spike["key"],))
    if spike["dimension"] == "query":
        text = queries[spike["key"]]
        return replace(scoped, query=f"({text}) AND ({f.query})" if f.query else text)
    return scoped


def _posts(store: Store, workspace: str, f: Filters) -> frozenset[int]:
    clause, params = where(workspace, f, store.dialect)
    return frozenset(r[0] for r in store.query(f"SELECT a.post_key {FROM} WHERE {clause} LIMIT {MAX_POSTS}", params))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def group(spikes: list[dict[str, Any]], posts: list[frozenset[int]], step: timedelta,
          threshold: float = JACCARD) -> list[list[int]]:
    """Indexes of `spikes` per event, biggest score first.

    Union-find over the links of the module's docstring, in two passes: first the spikes of a part of the data
    (topic, place, query), then each overall spike ("all") joins the one event it overlaps most. The overall series
    holds every post, so linking it freely would chain two unrelated events of the same day through it.
    """
    parent = list(range(len(spikes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    starts = [datetime.fromisoformat(s["bucket_start"]) for s in spikes]

    def linked(i: int, j: int, overlap: bool = True) -> bool:
        same_series = (spikes[i]["dimension"], spikes[i]["key"]) == (spikes[j]["dimension"], spikes[j]["key"])
        gap = abs(starts[i] - starts[j])
        return (gap == timedelta(0) and (same_series or (overlap and jaccard(posts[i], posts[j]) >= threshold))) \
            or (gap == step and same_series)

    parts = [i for i, s in enumerate(spikes) if s["dimension"] != "all"]
    overall = [i for i, s in enumerate(spikes) if s["dimension"] == "all"]
    for n, i in enumerate(parts):
        for j in parts[n + 1:]:
            if linked(i, j):
                parent[root(i)] = root(j)
    for i in overall:
        best = max(((jaccard(posts[i], posts[j]), j) for j in parts if starts[i] == starts[j]), default=(0.0, -1))
        if best[0] >= threshold:
            parent[root(i)] = root(best[1])
    for n, i in enumerate(overall):  # overall spikes with no part of their own: together when one series runs on
        for j in overall[n + 1:]:
            if linked(i, j, overlap=False) and (root(i) == i or root(j) == j):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(spikes)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-max(spikes[i]["score"] for i in g), min(g)))


def events(store: Store, workspace: str, f: Filters, spikes: list[dict[str, Any]], bucket: str,
           queries: dict[str, str], taxonomy: Taxonomy, threshold: float = JACCARD) -> list[dict[str, Any]]:
    """Events made of `spikes` (as the trends API lists them; saved-query spikes name their query in `queries`)."""
    step = STEPS[bucket]
    posts = [_posts(store, workspace, spike_filters(f, s, step, queries)) for s in spikes]
    out = []
    for members in group(spikes, posts, step, threshold):
        found = [spikes[i] for i in members]
        union = frozenset().union(*(posts[i] for i in members))
        out.append(_event(store, workspace, f, found, len(union), bucket, taxonomy))
    return out


def _event(store: Store, workspace: str, f: Filters, spikes: list[dict[str, Any]], posts: int, bucket: str,
           taxonomy: Taxonomy) -> dict[str, Any]:
    step = STEPS[bucket]
    starts = sorted({datetime.fromisoformat(s["bucket_start"]).replace(tzinfo=None) for s in spikes})
    facets = {dimension: _ranked(spikes, dimension) for dimension in ("topic", "place", "query")}
    for spike in spikes:  # drivers of the spikes name topics and places too: facets of the event
        for topic in spike.get("explanation", {}).get("topics", [])[:2]:
            facets["topic"].setdefault(topic["id"], topic["posts"])
        for place in spike.get("explanation", {}).get("places", [])[:2]:
            facets["place"].setdefault(place["province"], place["posts"])
    topics = [{"id": t, "label_en": topic_label(taxonomy, t, "en"), "label_vi": topic_label(taxonomy, t, "vi")}
              for t in facets["topic"]]
    places = list(facets["place"])
    best = max(spikes, key=lambda s: s["score"])
    examples, seen = [], set()
    for spike in sorted(spikes, key=lambda s: -s["score"]):
        for post in spike.get("explanation", {}).get("posts", []):
            if (post.get("platform"), post.get("post_id")) not in seen and len(examples) < 5:
                seen.add((post.get("platform"), post.get("post_id")))
                examples.append(post)
    scope = replace(f, start=starts[0] - CONTEXT_BUCKETS * step, end=starts[-1] + 3 * step, matched=None,
                    topics=(topics[0]["id"],) if topics and best["dimension"] == "topic" else f.topics,
                    provinces=(places[0],) if places and best["dimension"] == "place" else f.provinces)
    timeline = [[r.key.isoformat(), r.posts] for r in Analytics(store, workspace).volume(scope, bucket=bucket)]
    return {"title": title(topics, places, list(facets["query"]), starts[0], starts[-1], bucket),
            "start": starts[0].isoformat(), "end": (starts[-1] + step).isoformat(), "bucket": bucket,
            "score": best["score"], "posts": posts, "topics": topics, "places": places,
            "queries": list(facets["query"]), "spikes": spikes, "examples": examples, "timeline": timeline,
            "summary": best.get("explanation", {}).get("summary")}


def _ranked(spikes: list[dict[str, Any]], dimension: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for spike in spikes:
        if spike["dimension"] == dimension and spike["key"] is not None:
            found[spike["key"]] = max(found.get(spike["key"], 0), spike["posts"])
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def topic_label(taxonomy: Taxonomy, topic_id: str, language: str) -> str:
    topic = taxonomy.get(topic_id)
    if topic is None:
        return topic_id.replace("_", " ").capitalize()  # a topic no longer in the taxonomy: still no raw id
    return (topic.label_vi or topic.label_en) if language == "vi" else topic.label_en


def place_name(province: str) -> str:
    """"Thành phố Hồ Chí Minh" -> "Hồ Chí Minh": titles name the place, not its administrative rank."""
    for prefix in _PLACE_PREFIXES:
        if province.startswith(prefix):
            return province[len(prefix):]
    return province


def title(topics: list[dict[str, str]], places: list[str], queries: list[str], first: datetime, last: datetime,
          bucket: str) -> dict[str, str]:
    """E.g. {"en": "Flooding & weather in Hồ Chí Minh, 12–14 Oct", "vi": "Ngập lụt & thời tiết tại Hồ Chí Minh,
    12–14/10"}: the leading topic (else saved query), the leading place, the dates."""
    what_en = topics[0]["label_en"] if topics else queries[0] if queries else "Unusual activity"
    what_vi = topics[0]["label_vi"] if topics else queries[0] if queries else "Hoạt động bất thường"
    where_en = f" in {place_name(places[0])}" if places else ""
    where_vi = f" tại {place_name(places[0])}" if places else ""
    return {"en": f"{what_en}{where_en}, {_dates_en(first, last, bucket)}",
            "vi": f"{what_vi}{where_vi}, {_dates_vi(first, last, bucket)}"}


def _dates_en(first: datetime, last: datetime, bucket: str) -> str:
    if bucket == "hour":
        end = last + STEPS["hour"]
        return f"{first.day} {MONTHS_EN[first.month - 1]} {first:%H:%M}–{end:%H:%M} UTC"
    if first == last:
        return f"{first.day} {MONTHS_EN[first.month - 1]}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {MONTHS_EN[last.month - 1]}"
    return f"{first.day} {MONTHS_EN[first.month - 1]}–{last.day} {MONTHS_EN[last.month - 1]}"


def _dates_vi(first: datetime, last: datetime, bucket: str) -> str:
    if bucket == "hour":
        end = last + STEPS["hour"]
        return f"{first:%H:%M}–{end:%H:%M} UTC {first.day}/{first.month}"
    if first == last:
        return f"{first.day}/{first.month}"
    if first.month == last.month:
        return f"{first.day}–{last.day}/{last.month}"
    return f"{first.day}/{first.month}–{last.day}/{last.month}"

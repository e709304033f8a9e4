"""Analysts' curation of discovered topics: names, merges and hidden topics, kept apart from the discovery state.

Discovery gives topics stable integer ids (`analysis.discovery_state`): a refresh keeps an existing topic's id, and
topics it merges or splits keep theirs as history. Curation is keyed by those ids and stored in the workspace's
settings (`discovered_topics` key), never in the discovery state, so a refresh cannot overwrite it: a renamed topic
keeps its name, a merge keeps counting B's posts as A's, a hidden topic stays hidden until restored.

Dashboards apply it in SQL (`topic_key_sql`): B's posts count as A's before authors are counted, so k-suppression
holds for the merged topic as a whole, and hidden topics' posts have no topic at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from civicpulse.store.base import Store

SETTING = "discovered_topics"
MAX_NAME = 80


class TopicNotFound(LookupError):
    """No discovered topic with that id in this workspace."""


@dataclass
class Curation:
    names: dict[int, str] = field(default_factory=dict)
    merged: dict[int, int] = field(default_factory=dict)  # source -> target; targets are never sources
    hidden: set[int] = field(default_factory=set)

    def effective(self, topic: int | None) -> int | None:
        """The topic a post of `topic` counts for on dashboards; None when hidden (or no topic)."""
        if topic is None:
            return None
        topic = self.merged.get(topic, topic)
        return None if topic in self.hidden else topic

    def to_json(self) -> dict[str, Any]:
        return {"names": {str(k): v for k, v in sorted(self.names.items())},
                "merged": {str(k): v for k, v in sorted(self.merged.items())}, "hidden": sorted(self.hidden)}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Curation:
        raw = raw or {}
        return cls({int(k): str(v) for k, v in raw.get("names", {}).items()},
                   {int(k): int(v) for k, v in raw.get("merged", {}).items()}, {int(x) for x in raw.get("hidden", [])})


def topic_key_sql(curation: Curation, column: str) -> str:
    """`column` (a discovered topic id) as dashboards count it: merged ids mapped, hidden ones NULL.

    Only integers from the stored curation are interpolated."""
    cases = [f"WHEN {int(source)} THEN {int(target) if target not in curation.hidden else 'NULL'}"
             for source, target in sorted(curation.merged.items())]
    cases += [f"WHEN {int(topic)} THEN NULL" for topic in sorted(curation.hidden)]
    return f"(CASE {column} {' '.join(cases)} ELSE {column} END)" if cases else column


def load(store: Store, workspace: str) -> Curation:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    settings = json.loads(rows[0][0] or "{}") if rows else {}
    return Curation.from_json(settings.get(SETTING))


def _save(store: Store, workspace: str, curation: Curation) -> None:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    if not rows:
        raise LookupError(f"no workspace {workspace!r}")
    settings = {**json.loads(rows[0][0] or "{}"), SETTING: curation.to_json()}
    store.execute("UPDATE workspaces SET settings = ? WHERE name = ?",
                  [json.dumps(settings, ensure_ascii=False), workspace])


def _known(store: Store, workspace: str) -> dict[int, Any]:
    from civicpulse.analytics.topic_trends import discovered_topics

    return discovered_topics(store, workspace)


def _check(known: dict[int, Any], workspace: str, *topics: int) -> None:
    for topic in topics:
        if topic not in known:
            raise TopicNotFound(f"no discovered topic {topic} in workspace {workspace!r}")


def rename(store: Store, workspace: str, topic: int, name: str | None, user: str = "") -> Curation:
    """Give a topic an analyst's name; an empty name restores the discovered label."""
    _check(_known(store, workspace), workspace, topic)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise ValueError(f"a topic name has at most {MAX_NAME} characters (got {len(name)})")
    curation = load(store, workspace)
    if name:
        curation.names[topic] = name
    else:
        curation.names.pop(topic, None)
    _save(store, workspace, curation)
    store.audit(user, workspace, "topics.discovered.rename",
                json.dumps({"topic": topic, "name": name or None}, ensure_ascii=False))
    return curation


def merge(store: Store, workspace: str, source: int, target: int, user: str = "") -> Curation:
    """Count `source`'s posts as `target`'s; what was merged into `source` follows it into `target`."""
    _check(_known(store, workspace), workspace, source, target)
    curation = load(store, workspace)
    target = curation.merged.get(target, target)
    if source == target:
        raise ValueError(f"topic {source} cannot be merged into itself")
    for other, into in list(curation.merged.items()):
        if into == source:
            curation.merged[other] = target
    curation.merged[source] = target
    _save(store, workspace, curation)
    store.audit(user, workspace, "topics.discovered.merge", json.dumps({"source": source, "target": target}))
    return curation


def unmerge(store: Store, workspace: str, source: int, user: str = "") -> Curation:
    curation = load(store, workspace)
    if curation.merged.pop(source, None) is None:
        raise TopicNotFound(f"topic {source} is not merged into another in workspace {workspace!r}")
    _save(store, workspace, curation)
    store.audit(user, workspace, "topics.discovered.unmerge", json.dumps({"source": source}))
    return curation


def set_hidden(store: Store, workspace: str, topic: int, hidden: bool, user: str = "") -> Curation:
    """Hide a topic from dashboards (its posts count for no discovered topic), or restore it."""
    _check(_known(store, workspace), workspace, topic)
    curation = load(store, workspace)
    (curation.hidden.add if hidden else curation.hidden.discard)(topic)
    _save(store, workspace, curation)
    store.audit(user, workspace, "topics.discovered.hide" if hidden else "topics.discovered.restore",
                json.dumps({"topic": topic}))
    return curation


def listing(store: Store, workspace: str, offset: int = 0, limit: int = 50) -> dict[str, Any]:
    """Every discovered topic, largest first (active ones before those discovery merged or split), with its
    curation: a page of `limit` from `offset`, and the total."""
    from civicpulse.analysis.discovery import DiscoveryState, TopicDiscovery

    stored = store.get_setting("discovery_state", workspace)
    if not stored:
        return {"total": 0, "offset": offset, "limit": limit, "topics": []}
    curation = load(store, workspace)
    topics = TopicDiscovery(DiscoveryState.from_json(stored)).topics(include_inactive=True)
    topics.sort(key=lambda t: (t.status != "active", -t.size, t.id))
    page = topics[offset:offset + limit]
    return {"total": len(topics), "offset": offset, "limit": limit, "topics": [
        {"id": t.id, "label": curation.names.get(t.id, t.label), "discovered_label": t.label,
         "renamed": t.id in curation.names, "keywords": t.keywords[:8], "phrase": t.phrase, "size": t.size,
         "status": t.status, "merged_into": curation.merged.get(t.id), "hidden": t.id in curation.hidden,
         "discovery_merged_into": t.merged_into}
        for t in page]}

"""The discovered topics of a workspace as plain data, for `civicpulse topics` run locally or by the server."""

from __future__ import annotations

import json
from typing import Any

from civicpulse.store.base import Store


def discovered_topics(store: Store, workspace: str) -> dict[str, Any] | None:
    """{"topics": [{id, label, phrase, size, status, hidden, merged_into}], "events": [...]}, or None before the
    first discovery. `label` is the analysts' name where they gave one (`topic_curation`); `hidden` and
    `merged_into` are their curation too (discovery's own merges are in `status` and the events)."""
    from civicpulse.analysis.discovery import DiscoveryState, TopicDiscovery
    from civicpulse.analytics.topic_curation import load

    stored = store.get_setting("discovery_state", workspace)
    if not stored:
        return None
    discovery = TopicDiscovery(DiscoveryState.from_json(stored))
    curation = load(store, workspace)
    return {"topics": [{"id": t.id, "label": curation.names.get(t.id, t.label), "phrase": t.phrase, "size": t.size,
                        "status": t.status, "hidden": t.id in curation.hidden,
                        "merged_into": curation.merged.get(t.id)}
                       for t in discovery.topics()],
            # Round-tripped so that the local and the handed-over answer are the same JSON-safe values.
            "events": json.loads(json.dumps(discovery.state.events, ensure_ascii=False, default=str))}

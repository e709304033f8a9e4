"""The discovered topics of a workspace as plain data, for `civicpulse topics` run locally or by the server."""

from __future__ import annotations

import json
from typing import Any

from civicpulse.store.base import Store


def discovered_topics(store: Store, workspace: str) -> dict[str, Any] | None:
    """{"topics": [{id, label, phrase, size, status}], "events": [...]}, or None before the first discovery."""
    from civicpulse.analysis.discovery import DiscoveryState, TopicDiscovery

    stored = store.get_setting("discovery_state", workspace)
    if not stored:
        return None
    discovery = TopicDiscovery(DiscoveryState.from_json(stored))
    return {"topics": [{"id": t.id, "label": t.label, "phrase": t.phrase, "size": t.size, "status": t.status}
                       for t in discovery.topics()],
            # Round-tripped so that the local and the handed-over answer are the same JSON-safe values.
            "events": json.loads(json.dumps(discovery.state.events, ensure_ascii=False, default=str))}

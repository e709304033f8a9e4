"""k-anonymity for aggregates: a figure resting on fewer than k distinct authors is suppressed, never shown."""

from __future__ import annotations

import json

from civicpulse.store.base import Store

DEFAULT_K = 10
MIN_K = 5  # no workspace setting may go below this


def k_for(store: Store, workspace: str) -> int:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    settings = json.loads(rows[0][0] or "{}") if rows else {}
    return max(MIN_K, int(settings.get("min_authors", DEFAULT_K)))


def set_k(store: Store, workspace: str, k: int) -> int:
    if k < MIN_K:
        raise ValueError(f"the minimum number of authors behind a figure cannot go below {MIN_K} (asked: {k})")
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    if not rows:
        raise ValueError(f"no workspace {workspace!r}")
    settings = {**json.loads(rows[0][0] or "{}"), "min_authors": k}
    store.execute("UPDATE workspaces SET settings = ? WHERE name = ?", [json.dumps(settings), workspace])
    return k

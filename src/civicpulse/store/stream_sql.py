"""Read-only questions live collection asks about the posts a workspace holds (portable SQL).

Streams send deletions for every post of a stream, most of which a workspace never stored; only the ones it
holds are applied, so the store does not fill with tombstones of strangers' posts.
"""

from __future__ import annotations

from civicpulse.store.base import Store

HELD_CHUNK = 500  # ids per query: a bounded statement whatever a page holds


def held_post_ids(store: Store, workspace: str, platform: str, post_ids: list[str]) -> set[str]:
    """Which of `post_ids` the workspace holds (deleted ones included: a repeated deletion is harmless)."""
    found: set[str] = set()
    unique = sorted(set(post_ids))
    for start in range(0, len(unique), HELD_CHUNK):
        chunk = unique[start:start + HELD_CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = store.query(f"SELECT post_id FROM posts WHERE workspace = ? AND platform = ? AND post_id IN ({marks})",
                           [workspace, platform, *chunk])
        found.update(r[0] for r in rows)
    return found


LIVE_POST_IDS = "SELECT post_id FROM posts WHERE workspace = ? AND platform = ? AND NOT deleted ORDER BY post_id"


def live_post_ids(store: Store, workspace: str, platform: str) -> list[str]:
    """Ids of the workspace's posts of a platform that are not deleted (what a compliance check uploads)."""
    return [r[0] for r in store.query(LIVE_POST_IDS, [workspace, platform])]

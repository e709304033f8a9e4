"""The one normalized post schema every source maps into.

Field order here is the column order of the store and of exports; `docs/schema.md` documents each field
and a test checks that the two agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    POST = "post"
    COMMENT = "comment"
    REPLY = "reply"


PLATFORMS = (
    "x", "youtube", "facebook", "instagram", "reddit", "mastodon", "bluesky", "telegram", "tiktok", "other",
)


@dataclass(slots=True)
class Post:
    """A normalized post, comment or reply. Author identity is only ever a keyed pseudonym."""

    platform: str
    post_id: str
    kind: Kind
    text: str
    created_at: datetime | None
    source_format: str
    parent_id: str | None = None
    thread_id: str | None = None
    author_key: str | None = None
    language: str | None = None
    url: str | None = None
    place_name: str | None = None
    place_country: str | None = None
    place_lon: float | None = None
    place_lat: float | None = None
    likes: int | None = None
    replies: int | None = None
    shares: int | None = None
    quotes: int | None = None
    views: int | None = None
    edited: bool = False
    collected_at: datetime | None = None
    raw: str | None = None

    def content_hash(self) -> str:
        """Hash of what an edit can change; engagement counts are not content."""
        h = hashlib.blake2b(digest_size=12)
        h.update(self.text.encode("utf-8", "surrogatepass"))
        h.update(b"\x00" + (self.place_name or "").encode())
        return h.hexdigest()


@dataclass(slots=True, frozen=True)
class Deletion:
    """A platform says this post is gone (compliance line, Jetstream delete, deleted comment)."""

    platform: str
    post_id: str
    reason: str = "deleted"


# Columns of the `posts` table, in order, with their portable SQL types. The store backends translate
# these types; nothing outside `civicpulse.store` writes to the table (dashboards only read it, in portable SQL).
POST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("workspace", "TEXT"),
    ("platform", "TEXT"),
    ("post_id", "TEXT"),
    ("parent_id", "TEXT"),
    ("thread_id", "TEXT"),
    ("kind", "TEXT"),
    ("author_key", "TEXT"),
    ("text", "TEXT"),
    ("language", "TEXT"),
    ("created_at", "TIMESTAMP"),
    ("collected_at", "TIMESTAMP"),
    ("url", "TEXT"),
    ("place_name", "TEXT"),
    ("place_country", "TEXT"),
    ("place_lon", "DOUBLE"),
    ("place_lat", "DOUBLE"),
    ("likes", "BIGINT"),
    ("replies", "BIGINT"),
    ("shares", "BIGINT"),
    ("quotes", "BIGINT"),
    ("views", "BIGINT"),
    ("source_format", "TEXT"),
    ("edited", "BOOLEAN"),
    ("deleted", "BOOLEAN"),
    ("content_hash", "TEXT"),
    ("raw", "TEXT"),
    ("first_seen_at", "TIMESTAMP"),
    ("updated_at", "TIMESTAMP"),
)
COLUMN_NAMES = tuple(name for name, _ in POST_COLUMNS)

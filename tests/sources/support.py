"""Helpers shared by the platform tests."""

from __future__ import annotations

from civicpulse.schema import Post
from civicpulse.sources.base import ParseContext, Source


def make_context(source: Source) -> ParseContext:
    """A context whose pseudonyms are readable (`k:<author id>`), keeping scrubbed raw payloads."""
    return source.context(lambda platform, author: f"k:{author}", keep_raw=True)


def parse_with(source: Source, doc: object) -> list:
    return list(source.parse(doc, make_context(source)))


def posts(items: list) -> dict[str, Post]:
    return {i.post_id: i for i in items if isinstance(i, Post)}

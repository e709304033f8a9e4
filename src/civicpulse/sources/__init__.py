"""Source formats: a registry of `Source` classes, one module per platform format.

Built-in formats register through the same `register` decorator and `civicpulse.sources` entry-point
group that third-party plugins use.
"""

from __future__ import annotations

from typing import Any

from civicpulse.registry import Registry
from civicpulse.sources.base import Source

_BUILTIN_MODULES = (
    "x_v2", "x_v1", "x_compliance", "youtube", "facebook", "instagram", "reddit", "mastodon",
    "bluesky", "telegram", "tiktok", "generic",
)
FORMATS: Registry[Source] = Registry("source format", builtin=(f"civicpulse.sources.{m}" for m in _BUILTIN_MODULES),
                                     entry_point_group="civicpulse.sources",
                                     missing="unknown format {name!r}; known formats: {available}")


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a Source available by its `name` and to auto-detection."""
    FORMATS.add(cls.name, cls())
    return cls


def formats() -> dict[str, Source]:
    """All registered formats by name, in detection order."""
    return dict(sorted(FORMATS.items(), key=lambda kv: (-kv[1].priority, kv[0])))


def get(name: str) -> Source:
    """The format named `name`; an unknown name raises a KeyError that lists the known ones."""
    return FORMATS.get(name)


def detect(doc: Any) -> Source | None:
    """The first format, by priority, whose sniff accepts this document."""
    for source in formats().values():
        try:
            if source.sniff(doc):
                return source
        except Exception:  # a sniff must never break detection of the others
            continue
    return None

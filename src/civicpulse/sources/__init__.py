"""Source formats: a registry of `Source` classes, one module per platform format.

Built-in formats register through the same `register` decorator and `civicpulse.sources` entry-point
group that third-party plugins use.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from civicpulse.sources.base import Source

_REGISTRY: dict[str, Source] = {}
_BUILTIN_MODULES = (
    "x_v2", "x_v1", "x_compliance", "youtube", "facebook", "instagram", "reddit", "mastodon",
    "bluesky", "telegram", "tiktok", "generic",
)
_loaded = False


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a Source available by its `name` and to auto-detection."""
    if cls.name in _REGISTRY and type(_REGISTRY[cls.name]) is not cls:
        raise ValueError(f"source format {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls()
    return cls


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        importlib.import_module(f"civicpulse.sources.{module}")
    for ep in entry_points(group="civicpulse.sources"):
        ep.load()  # importing the plugin module runs its @register


def formats() -> dict[str, Source]:
    """All registered formats by name, in detection order."""
    _load()
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (-kv[1].priority, kv[0])))


def get(name: str) -> Source:
    all_formats = formats()
    if name not in all_formats:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(sorted(all_formats))}")
    return all_formats[name]


def detect(doc: Any) -> Source | None:
    """The first format, by priority, whose sniff accepts this document."""
    for source in formats().values():
        try:
            if source.sniff(doc):
                return source
        except Exception:  # a sniff must never break detection of the others
            continue
    return None

"""Live collection: sources (platform + credential + target + schedule) fetched by connectors into the spine.

Connectors register by platform name, one module per platform under `collect/connectors/`, like the source
formats in `civicpulse.sources`.
"""

from __future__ import annotations

import importlib

from civicpulse.collect.base import Connector

_CONNECTORS: dict[str, Connector] = {}
_BUILTIN = ("mastodon", "x", "reddit", "bluesky", "youtube", "tiktok", "meta", "mastodon_stream", "jetstream",
            "x_stream", "x_compliance", "telegram")
_loaded = False


def register(cls: type[Connector]) -> type[Connector]:
    _CONNECTORS[cls.platform] = cls()
    return cls


def all_connectors() -> dict[str, Connector]:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in _BUILTIN:
            importlib.import_module(f"civicpulse.collect.connectors.{name}")
    return dict(sorted(_CONNECTORS.items()))


def get(platform: str) -> Connector:
    known = all_connectors()
    if platform not in known:
        raise KeyError(f"no connector for platform {platform!r}; available: {', '.join(known)} "
                       "(see docs/collection.md)")
    return known[platform]

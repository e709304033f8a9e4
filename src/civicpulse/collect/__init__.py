"""Live collection: sources (platform + credential + target + schedule) fetched by connectors into the spine.

Connectors register by platform name, one module per platform under `collect/connectors/`, like the source
formats in `civicpulse.sources`.
"""

from __future__ import annotations

from civicpulse.collect.base import Connector
from civicpulse.registry import Registry

_BUILTIN = ("mastodon", "x", "reddit", "bluesky", "youtube", "tiktok", "meta", "mastodon_stream", "jetstream",
            "x_stream", "x_compliance", "telegram")
CONNECTORS: Registry[Connector] = Registry(
    "connector", builtin=(f"civicpulse.collect.connectors.{m}" for m in _BUILTIN),
    entry_point_group="civicpulse.connectors",
    missing="no connector for platform {name!r}; available: {available} (see docs/collection.md)")


def register(cls: type[Connector]) -> type[Connector]:
    CONNECTORS.add(cls.platform, cls(), replace=True)
    return cls


def all_connectors() -> dict[str, Connector]:
    return dict(CONNECTORS.items())


def get(platform: str) -> Connector:
    return CONNECTORS.get(platform)

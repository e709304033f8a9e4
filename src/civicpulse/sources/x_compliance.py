"""X batch-compliance results: one line per tweet we hold that must go, `{id, action, created_at, reason}`.

Reasons are deleted, protected, deactivated, suspended and scrub_geo. X asks for the geo data only to be
removed on scrub_geo, but the schema has no geo-only removal, so every `action: delete` line is applied as a
Deletion of the whole post: dropping more than asked keeps us compliant, keeping the geo would not.

A users-compliance file has the same shape with user ids and cannot be told apart by its lines. Since late
2010 users and tweets draw ids from the same snowflake generator, so such a file could only hit a post whose
(pre-2010, sequential) id equals an old user id; the caller must not feed it here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Deletion
from civicpulse.sources import register
from civicpulse.sources.base import Item, Node, ParseContext, RecordError, Reject, Source, api_error_message, type_name
from civicpulse.sources.x_v2 import PLATFORM

_KEYS = frozenset({"id", "action", "created_at", "redacted_at", "reason"})


@register
class XCompliance(Source):
    name = "x-compliance"
    platform = PLATFORM
    description = "X API v2 batch-compliance result lines (tweets): each one deletes a post"

    def sniff(self, doc: Any) -> bool:
        # Exactly this key set: the shape is small enough that looser checks would claim other platforms' rows.
        return isinstance(doc, dict) and "id" in doc and "action" in doc and set(doc) <= _KEYS

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if not isinstance(doc, dict):
            yield Reject("$", f"expected an object, got {type_name(doc)}", doc)
            return
        yield from self.each([Node(doc)], self._line)

    def _line(self, node: Node) -> Iterator[Item]:
        action = node.string("action", required=True)
        if action != "delete":
            raise RecordError(node.at("action"), f"unknown compliance action {action!r}")
        yield Deletion(self.platform, node.ident("id"), node.string("reason") or "deleted")

"""Mastodon API v1: a status, a list of statuses (timelines, search), or a thread context.

Content is HTML; boosts wrap the original in `reblog`; `id` is local to the server that was queried.
Links to statuses embed the author's handle (`/@user/123`), so no url is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Deletion, Kind
from civicpulse.sources import register
from civicpulse.sources.base import Item, Node, ParseContext, Reject, Source, api_error_message
from civicpulse.sources.text import html_to_text, join_parts


def _is_status(doc: Any) -> bool:
    return isinstance(doc, dict) and "content" in doc and "account" in doc and "id" in doc and "uri" in doc


def _is_edit_history(doc: Any) -> bool:
    return isinstance(doc, dict) and "content" in doc and "account" in doc and "id" not in doc


@register
class MastodonStatuses(Source):
    name = "mastodon"
    platform = "mastodon"
    description = "Mastodon API v1 statuses: one status, timelines/search arrays, /context threads"
    author_fields = frozenset({"acct", "display_name", "note", "fields", "emojis", "header", "header_static",
                               "avatar_static"})

    def sniff(self, doc: Any) -> bool:
        if isinstance(doc, list):
            return bool(doc) and (_is_status(doc[0]) or _is_edit_history(doc[0]))
        if isinstance(doc, dict) and "ancestors" in doc and "descendants" in doc:
            return True
        return _is_status(doc)

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if isinstance(doc, list) and doc and _is_edit_history(doc[0]):
            yield Reject("$", "Mastodon edit history (GET /statuses/:id/history) holds no status id, so its "
                         "versions cannot be matched to a post; ingest the status itself (it carries edited_at)", doc)
        elif isinstance(doc, list):
            yield from self.each((Node(s, f"$[{i}]") for i, s in enumerate(doc)), lambda n: self._status(n, ctx))
        elif "ancestors" in doc:
            root = Node(doc)
            for key in ("ancestors", "descendants"):
                yield from self.each(root.objects(key), lambda n: self._status(n, ctx))
        else:
            yield from self.each([Node(doc)], lambda n: self._status(n, ctx))

    def _status(self, node: Node, ctx: ParseContext) -> Iterator[Item]:
        if (boosted := node.obj("reblog")) is not None:
            node = boosted  # a boost carries no words of its own: store the original status
        account = node.obj("account", required=True)
        parent = node.ident("in_reply_to_id", required=False)
        text = html_to_text(node.string("content") or "")
        warning = node.string("spoiler_text")
        yield ctx.post(
            platform=self.platform,
            post_id=node.ident("id"),
            kind=Kind.REPLY if parent else Kind.POST,
            text=join_parts(warning, text),
            created_at=node.time("created_at", required=True),
            source_format=self.name,
            author_id=account.ident("id"),
            author_handle=account.string("acct"),
            author_names=[account.get("username"), account.get("display_name")],
            parent_id=parent,
            language=node.string("language"),
            likes=node.integer("favourites_count"),
            replies=node.integer("replies_count"),
            shares=node.integer("reblogs_count"),
            quotes=node.integer("quotes_count"),
            edited=node.has("edited_at"),
            raw=node.value,
            raw_path=node.path,
        )


STREAM_EVENTS = frozenset({"update", "status.update", "delete"})


@register
class MastodonStreamEvents(MastodonStatuses):
    """One streaming-API event per line, as the collector writes them: `{"event", "payload"}`.

    `update` and `status.update` (an edit) carry a status; `delete` carries the id of a deleted status.
    """

    name = "mastodon-stream"
    description = "Mastodon streaming API events, one {event, payload} per line: update, status.update, delete"

    def sniff(self, doc: Any) -> bool:
        return isinstance(doc, dict) and set(doc) == {"event", "payload"} and doc.get("event") in STREAM_EVENTS

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if not self.sniff(doc):
            yield Reject("$", "expected a Mastodon streaming event {event, payload}", doc)
        elif doc["event"] == "delete":
            if not isinstance(doc["payload"], str | int) or not str(doc["payload"]).strip():
                yield Reject("$.payload", "a delete event carries the deleted status id", doc)
            else:
                yield Deletion(self.platform, str(doc["payload"]), "deleted")
        else:
            yield from self.each([Node(doc["payload"], "$.payload")], lambda n: self._status(n, ctx))

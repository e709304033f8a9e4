"""Telegram Desktop JSON export (`result.json`): one chat, or a full export of all chats.

Message ids are unique only within a chat, so a post id is `{chat id}:{message id}`. `service` rows (channel
created, message pinned, member joined…) are not posts. The export has no channel username, so no url.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from civicpulse.schema import Kind
from civicpulse.sources import register
from civicpulse.sources.base import (
    Item,
    Node,
    ParseContext,
    RecordError,
    Reject,
    Skip,
    Source,
    api_error_message,
)
from civicpulse.sources.redact import MENTION_PLACEHOLDER
from civicpulse.sources.text import join_parts

# Text entity types whose text is a person's display name rather than an @handle.
_NAME_ENTITIES = frozenset({"mention_name"})


def _is_chat(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("messages"), list) and "id" in doc
            and isinstance(doc.get("type"), str))


def _text(value: Any, path: str) -> str:
    """`text` is a string, or an array of strings and `{type, text}` entity objects."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise RecordError(path, "expected a string or an array of text parts")
    parts = []
    for i, part in enumerate(value):
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text", ""), str):
            parts.append(MENTION_PLACEHOLDER if part.get("type") in _NAME_ENTITIES else part.get("text", ""))
        else:
            raise RecordError(f"{path}[{i}]", "expected a string or a {type, text} object")
    return "".join(parts)


def _without_names(message: dict) -> dict:
    """A copy of a message whose `mention_name` entities (a mentioned person's display name) are masked."""
    def mask(parts: Any) -> Any:
        if not isinstance(parts, list):
            return parts
        return [{**p, "text": MENTION_PLACEHOLDER} if isinstance(p, dict) and p.get("type") in _NAME_ENTITIES
                else p for p in parts]

    return {**message, "text": mask(message.get("text")), "text_entities": mask(message.get("text_entities"))} \
        if "text_entities" in message else {**message, "text": mask(message.get("text"))}


def _poll_text(message: Node) -> str | None:
    """A poll's question and answers are its words (the message `text` of a poll is empty)."""
    poll = message.obj("poll")
    if poll is None:
        return None
    answers = [a.string("text") for a in poll.objects("answers")]
    return join_parts(poll.string("question"), "\n".join(a for a in answers if a))


def _reactions(message: Node) -> int | None:
    reactions = list(message.objects("reactions"))
    if not reactions:
        return None
    return sum(r.integer("count") or 0 for r in reactions)


def _peer_chat(peer: str) -> str:
    # Peers are written as "channel123" / "user123" / "chat123" while a chat's own `id` is the bare number.
    return peer.lstrip("abcdefghijklmnopqrstuvwxyz_") or peer


@register
class TelegramExport(Source):
    name = "telegram"
    platform = "telegram"
    description = "Telegram Desktop JSON export: a single chat {name, type, id, messages} or a full export {chats}"
    author_fields = frozenset({
        "actor_id", "forwarded_from", "forwarded_from_id", "saved_from", "via_bot", "contact_information",
        "contact_vcard", "inviter", "members", "recent", "user_id",
    })

    def sniff(self, doc: Any) -> bool:
        if _is_chat(doc):
            if not doc["messages"]:
                return True
            first = doc["messages"][0]
            return isinstance(first, dict) and ("date" in first or "date_unixtime" in first)
        return (isinstance(doc, dict) and isinstance(doc.get("chats"), dict)
                and isinstance(doc["chats"].get("list"), list))

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if (message := api_error_message(doc)) is not None:
            yield Reject("$", message, doc)
            return
        if not isinstance(doc, dict):
            yield Reject("$", "expected a Telegram export object", doc)
        elif "messages" in doc:
            yield from self.each([Node(doc)], lambda n: self._chat(n, ctx))
        else:
            for key in ("chats", "left_chats"):  # a full export; its other sections are about the exporter
                if key in doc:
                    yield from self.each([doc[key]], lambda v, at=f"$.{key}": self._section(Node(v, at), ctx))

    def _section(self, section: Node, ctx: ParseContext) -> Iterator[Item]:
        yield from self.each(section.objects("list", required=True), lambda n: self._chat(n, ctx))

    def _chat(self, chat: Node, ctx: ParseContext) -> Iterator[Item]:
        chat_id = chat.ident("id")
        yield from self.each(chat.objects("messages"), lambda n: self._message(n, chat_id, ctx))

    def _message(self, message: Node, chat_id: str, ctx: ParseContext) -> Iterator[Item]:
        if message.get("type") == "service":  # channel created, message pinned, member joined…
            yield Skip(f"service message ({message.get('action')})")
            return
        reply_to = message.ident("reply_to_message_id", required=False)
        parent_id = None
        if reply_to is not None:
            # A reply can point into another chat (reply_to_peer_id): key it by that chat.
            peer = message.ident("reply_to_peer_id", required=False)
            parent_id = f"{_peer_chat(peer) if peer else chat_id}:{reply_to}"
        # `date` is the exporting computer's local time with no offset; newer exports add `date_unixtime`.
        # Without it there is no way to know the zone, so `date` is taken as UTC.
        created = message.time("date_unixtime") or message.time("date", required=True)
        location = message.obj("location_information")
        text = join_parts(_text(message.get("text"), message.at("text")), _poll_text(message))
        yield ctx.post(
            platform=self.platform,
            post_id=f"{chat_id}:{message.ident('id')}",
            kind=Kind.REPLY if parent_id else Kind.POST,
            text=text,
            created_at=created,
            source_format=self.name,
            author_id=message.ident("from_id", required=False),
            author_handle=message.string("from"),
            # Without keep_raw no raw reaches the base class: name the other people the message carries here.
            mentioned_names=[message.get(k) for k in ("forwarded_from", "saved_from", "via_bot")],
            parent_id=parent_id,
            place_name=message.string("place_name"),
            place_lat=location.number("latitude") if location else None,
            place_lon=location.number("longitude") if location else None,
            likes=_reactions(message),
            edited=message.has("edited") or message.has("edited_unixtime"),
            raw=_without_names(message.value) if ctx.keep_raw else None,
            raw_path=message.path,
        )

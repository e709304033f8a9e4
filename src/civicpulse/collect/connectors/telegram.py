"""Telegram public channels through the official MTProto API (Telethon), read as Telegram Desktop exports.

Target `channel:NAME` (also `t.me/NAME`): a public broadcast channel. Users, groups and private invite links
are refused; a username that turns out to be a person or a group is refused when it is resolved.
Credentials: `api_id` and `api_hash` of your app (my.telegram.org) and `session`, a Telethon StringSession of
the account that reads (made once with `TelegramClient(StringSession(), api_id, api_hash).start()`); all three
are sealed like every credential.

Each page is the channel's next messages after the saved id (`min_id`, oldest first), converted into the shape
of a Telegram Desktop export so the `telegram` parser (and its redaction) reads live and exported messages
alike, with the same post ids (`{channel id}:{message id}`). A new source starts with the newest messages.
FLOOD_WAIT answers are honoured: a short wait is slept, a long one defers the source until it ends.

MTProto is not HTTP: everything Telethon does goes through `TelethonGateway`, which tests replace.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar, Protocol, TypeVar

from telethon.errors import FloodWaitError, RPCError

from civicpulse.collect import register
from civicpulse.collect.base import Connector, Credentials, Page, Session, TargetError
from civicpulse.collect.http import AuthError, CollectError, HttpClient, RateLimited

PAGE_SIZE = 100
FIRST_RUN_MESSAGES = 100
MAX_FLOOD_SLEEP = 60.0   # seconds slept through in a run; longer waits defer the source
_NAME = re.compile(r"^(?:channel:|(?:https?://)?t\.me/)@?([A-Za-z][A-Za-z0-9_]{3,31})/?$", re.IGNORECASE)

T = TypeVar("T")


@dataclass
class ChannelInfo:
    id: int
    title: str
    broadcast: bool          # a channel (one voice to many), not a group of people talking
    ref: Any = None          # what the gateway needs to read it (a Telethon entity)


class TelegramGateway(Protocol):
    def channel(self, name: str) -> ChannelInfo: ...

    def messages(self, channel: ChannelInfo, min_id: int | None, limit: int) -> list[dict]:
        """Export-shaped messages, oldest first: those after `min_id`, or the newest `limit` when it is None."""
        ...

    def close(self) -> None: ...


@register
class TelegramConnector(Connector):
    platform = "telegram"
    format_name = "telegram"
    default_api_base = "https://api.telegram.org"  # unused: MTProto reaches Telegram's own data centres
    credential_keys = ("api_id", "api_hash", "session")
    target_help = "use channel:NAME or t.me/NAME (a public channel)"
    person_patterns = (
        (r"^(user|me|phone|contact):", "a person's account"),
        (r"^\+?\d[\d\s]{6,}$", "a phone number"),
        (r"t\.me/(\+|joinchat/)", "a private invite link"),
    )
    # Replaced in tests: MTProto cannot be played by a local HTTP server.
    gateway_factory: ClassVar[Callable[[Credentials], TelegramGateway]]

    def normalize_target(self, target: str) -> str:
        match = _NAME.match(target)
        if not match:
            raise TargetError(f"telegram: unsupported target {target!r}; {self.target_help}")
        return f"channel:{match.group(1).lower()}"

    def check_credentials(self, creds: Credentials) -> None:
        super().check_credentials(creds)
        if not creds.get("api_id").isdigit():
            raise TargetError("telegram: api_id must be the number my.telegram.org shows")

    def pages(self, client: HttpClient, creds: Credentials, target: str, cursor: dict) -> Iterator[Page]:
        return self.collect(Session(client, creds, target, cursor))

    def collect(self, session: Session) -> Iterator[Page]:
        gateway = self._call(session, lambda: type(self).gateway_factory(session.creds))
        try:
            channel = self._channel(session, gateway, session.target)
            min_id = session.cursor.get("min_id") if session.cursor.get("channel_id") == channel.id else None
            for _ in range(self.max_pages):
                messages = self._call(session, lambda m=min_id: gateway.messages(
                    channel, m, PAGE_SIZE if m is not None else FIRST_RUN_MESSAGES))
                if not messages:
                    return
                newest = max(int(m["id"]) for m in messages)
                body = {"name": channel.title, "type": "public_channel", "id": channel.id, "messages": messages}
                yield Page(body, {"channel_id": channel.id, "min_id": newest}, fetched=len(messages))
                if min_id is None or len(messages) < PAGE_SIZE:
                    return  # a first run takes the newest page only; later runs catch up from there
                min_id = newest
        finally:
            gateway.close()

    def _channel(self, session: Session, gateway: TelegramGateway, target: str) -> ChannelInfo:
        channel = self._call(session, lambda: gateway.channel(target.split(":", 1)[1]))
        if not channel.broadcast:
            raise CollectError(f"telegram: {target} is not a public channel (a person or a group): civicpulse "
                               "collects from channels, never from people's conversations (privacy by design)")
        return channel

    def _call(self, session: Session, call: Callable[[], T]) -> T:
        """One gateway call; FLOOD_WAIT slept through when short, otherwise the source waits for it."""
        while True:
            try:
                return call()
            except FloodWaitError as exc:
                if exc.seconds > MAX_FLOOD_SLEEP:
                    until = time.time() + exc.seconds
                    raise RateLimited(f"telegram: FLOOD_WAIT of {exc.seconds} s; retry after "
                                      f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(until))}", until) from None
                if session.stop.wait(exc.seconds):
                    raise CollectError("telegram: stopped during a FLOOD_WAIT") from None
            except OSError as exc:  # Telethon's ConnectionError and socket errors
                raise CollectError(f"telegram: cannot reach Telegram ({type(exc).__name__}: {exc})") from None
            except RPCError as exc:
                if exc.code in (401, 403):
                    raise AuthError(f"telegram refused the session ({exc.message})") from None
                raise CollectError(f"telegram: {exc.message} (code {exc.code})") from None

    def test(self, client: HttpClient, creds: Credentials, target: str) -> str:
        session = Session(client, creds, target, {})
        gateway = self._call(session, lambda: type(self).gateway_factory(creds))
        try:
            channel = self._channel(session, gateway, target)
        finally:
            gateway.close()
        return f"ok: public channel {channel.title!r}"


class TelethonGateway:
    """Telethon on a private event loop, so a thread (the CLI, a server worker) can call it without asyncio.

    `client` replaces the TelegramClient (tests give an object with the same coroutines and `iter_messages`).
    """

    def __init__(self, creds: Credentials, client: Any = None):
        from telethon import TelegramClient
        from telethon.sessions import StringSession

        self.loop = asyncio.new_event_loop()
        # flood_sleep_threshold=0: every FLOOD_WAIT reaches TelegramConnector._call, which decides.
        self.client = client or TelegramClient(StringSession(creds.get("session")), int(creds.get("api_id")),
                                               creds.get("api_hash"), loop=self.loop, flood_sleep_threshold=0,
                                               receive_updates=False)
        try:
            self.loop.run_until_complete(self.client.connect())
            if not self.loop.run_until_complete(self.client.is_user_authorized()):
                raise AuthError("telegram: the session is not signed in; make a new StringSession")
        except Exception:
            self.close()
            raise

    def channel(self, name: str) -> ChannelInfo:
        from telethon.tl.types import Channel

        try:
            entity = self.loop.run_until_complete(self.client.get_entity(name))
        except ValueError:  # Telethon's answer for a username nobody has
            raise CollectError(f"telegram: no channel named {name!r}") from None
        if not isinstance(entity, Channel):
            return ChannelInfo(0, "", False)
        return ChannelInfo(entity.id, entity.title or "", bool(entity.broadcast) and not entity.megagroup, entity)

    def messages(self, channel: ChannelInfo, min_id: int | None, limit: int) -> list[dict]:
        async def fetch() -> list[Any]:
            if min_id is None:  # the newest ones, then oldest first
                return list(reversed([m async for m in self.client.iter_messages(channel.ref, limit=limit)]))
            return [m async for m in self.client.iter_messages(channel.ref, min_id=min_id, reverse=True,
                                                                limit=limit)]

        return [export_message(m, channel) for m in self.loop.run_until_complete(fetch())]

    def close(self) -> None:
        if self.client.is_connected():
            self.loop.run_until_complete(self.client.disconnect())
        self.loop.close()


TelegramConnector.gateway_factory = TelethonGateway


def export_message(message: Any, channel: ChannelInfo) -> dict:
    """A Telethon Message as a Telegram Desktop export message (the fields the `telegram` parser reads)."""
    from telethon.tl.types import MessageService

    when = message.date.astimezone(UTC)
    out: dict[str, Any] = {"id": message.id, "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
                           "date_unixtime": str(int(when.timestamp()))}
    if isinstance(message, MessageService):
        return {**out, "type": "service", "action": type(message.action).__name__}
    out.update({"type": "message", "from": channel.title, "from_id": f"channel{channel.id}",
                "text": text_parts(message.message or "", message.entities or [])})
    if message.edit_date:
        out["edited"] = message.edit_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        out["edited_unixtime"] = str(int(message.edit_date.timestamp()))
    reply = getattr(message.reply_to, "reply_to_msg_id", None)
    if reply:
        out["reply_to_message_id"] = reply
    results = getattr(message.reactions, "results", None) or []
    if results:
        out["reactions"] = [{"type": "emoji", "count": r.count} for r in results]
    poll = getattr(getattr(message, "media", None), "poll", None)
    if poll is not None:
        out["poll"] = {"question": _plain(poll.question), "answers": [{"text": _plain(a.text)} for a in poll.answers]}
    return out


def text_parts(text: str, entities: list[Any]) -> str | list[Any]:
    """Plain text, or the export's list of strings and {type, text} parts where a mention names someone.

    Entity offsets count UTF-16 code units (Telegram's rule), hence the surrogate round trip.
    """
    from telethon.helpers import add_surrogate, del_surrogate
    from telethon.tl.types import InputMessageEntityMentionName, MessageEntityMention, MessageEntityMentionName

    kinds = {MessageEntityMentionName: "mention_name", InputMessageEntityMentionName: "mention_name",
             MessageEntityMention: "mention"}
    marked = sorted((e for e in entities if type(e) in kinds), key=lambda e: e.offset)
    if not marked:
        return text
    wide = add_surrogate(text)
    parts: list[Any] = []
    at = 0
    for entity in marked:
        if entity.offset < at:
            continue  # overlapping entities: the first one wins
        if entity.offset > at:
            parts.append(del_surrogate(wide[at:entity.offset]))
        end = entity.offset + entity.length
        parts.append({"type": kinds[type(entity)], "text": del_surrogate(wide[entity.offset:end])})
        at = entity.offset + entity.length
    if at < len(wide):
        parts.append(del_surrogate(wide[at:]))
    return parts


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else str(getattr(value, "text", "") or "")

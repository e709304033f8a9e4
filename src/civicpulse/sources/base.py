"""The small interface every source format implements, and the privacy rules they all inherit.

A source turns one *document* (a whole JSON file, one JSONL line, or one CSV row) into normalized
`Post`s, `Deletion`s and `Reject`s. Sources never see the store, and never put an author identifier into
a `Post`: they hand it to `ParseContext.post`, which replaces it with a keyed pseudonym, masks @mentions
in the text, validates coordinates and scrubs the raw payload. That keeps privacy in the base class
(as 4CAT does), so a new platform module cannot forget it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import orjson

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.sources.redact import MENTION_PLACEHOLDER as MENTION_PLACEHOLDER  # re-exported for older imports
from civicpulse.sources.redact import mask_mentions as mask_mentions
from civicpulse.sources.redact import names_in, redact_text, redact_url
from civicpulse.sources.timeparse import TimeError, to_utc


class RecordError(Exception):
    """A record is unusable; `path` is its JSON path inside the document."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


@dataclass(slots=True)
class Reject:
    """A record that could not be ingested, kept for inspection with the reason."""

    path: str
    reason: str
    record: Any = None
    severity: str = "error"  # "warning": the record landed but something in it was dropped


@dataclass(slots=True, frozen=True)
class Skip:
    """A record that is not a post and not an error (a like event, a service message, a `more` stub).

    Counted in the ingest summary so nothing disappears unseen, but not written to the rejects file.
    """

    reason: str


Item = Post | Deletion | Reject | Skip

_MISSING = object()


class _NotAnObject(dict):
    """Stands in for a non-object where an object was expected; any read raises a precise RecordError."""

    def __init__(self, value: Any, path: str):
        super().__init__()
        self.original, self.where = value, path

    def get(self, key: Any, default: Any = None) -> Any:
        raise RecordError(self.where, f"expected an object, got {type_name(self.original)}")

    __getitem__ = get


class Node:
    """A JSON object plus its path, with typed getters whose errors name the exact field."""

    __slots__ = ("path", "value")

    def __init__(self, value: Any, path: str = "$"):
        # Checked when first read rather than here, so that a bad array element fails inside
        # `Source.each`'s per-item guard instead of inside the loop that produces the elements.
        self.value = value if isinstance(value, dict) else _NotAnObject(value, path)
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        return self.value.get(key, default)

    def _fetch(self, key: str, required: bool) -> Any:
        value = self.value.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise RecordError(self.at(key), "required field is missing")
            return None
        return value

    def string(self, key: str, required: bool = False) -> str | None:
        value = self._fetch(key, required)
        if value is None or isinstance(value, str):
            return value
        raise RecordError(self.at(key), f"expected a string, got {type_name(value)}")

    def ident(self, key: str, required: bool = True) -> str | None:
        """An id: strings as they are, integers exactly (never through float; TikTok ids exceed 2^53)."""
        value = self._fetch(key, required)
        if value is None:
            return None
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise RecordError(self.at(key), f"expected an id (string or integer), got {type_name(value)}")

    def integer(self, key: str, required: bool = False) -> int | None:
        """A count: integers, or digit strings (YouTube statistics arrive as strings)."""
        value = self._fetch(key, required)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise RecordError(self.at(key), f"expected an integer, got {type_name(value)}")

    def number(self, key: str, required: bool = False) -> float | None:
        value = self._fetch(key, required)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise RecordError(self.at(key), f"expected a number, got {type_name(value)}")

    def flag(self, key: str) -> bool:
        value = self.value.get(key)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        raise RecordError(self.at(key), f"expected true or false, got {type_name(value)}")

    def time(self, key: str, required: bool = False) -> datetime | None:
        value = self._fetch(key, required)
        if value is None:
            return None
        try:
            return to_utc(value)
        except TimeError as exc:
            raise RecordError(self.at(key), str(exc)) from None

    def obj(self, key: str, required: bool = False) -> Node | None:
        value = self._fetch(key, required)
        return None if value is None else Node(value, self.at(key))

    def array(self, key: str, required: bool = False) -> list[Any]:
        value = self._fetch(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise RecordError(self.at(key), f"expected an array, got {type_name(value)}")
        return value

    def objects(self, key: str, required: bool = False) -> Iterator[Node]:
        """Each element of an array of objects, as a Node with an indexed path."""
        return nodes(self.array(key, required), self.at(key))


def nodes(values: Any, path: str) -> Iterator[Node]:
    """The elements of an array as Nodes; a non-object element fails only when read (inside `Source.each`)."""
    if not isinstance(values, list):
        raise RecordError(path, f"expected an array, got {type_name(values)}")
    return (Node(value, f"{path}[{i}]") for i, value in enumerate(values))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def nfc(text: str) -> str:
    """Composed Unicode: Vietnamese typed on some systems (or decoded from cp1258) arrives decomposed."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# Keys that identify or describe a person on the platforms we read. Sources add their own.
COMMON_AUTHOR_FIELDS = frozenset({
    "author", "author_id", "author_fullname", "authorDisplayName", "authorChannelId", "authorChannelUrl",
    "authorProfileImageUrl", "user", "users", "username", "screen_name", "name", "from", "from_id",
    "account", "accounts", "handle", "did", "displayName", "avatar", "profile_image_url", "owner",
    "in_reply_to_screen_name", "in_reply_to_user_id", "in_reply_to_user_id_str", "in_reply_to_account_id",
    "mentions", "user_mentions", "channelTitle", "signature", "actor", "reply_to_peer_id",
})


@dataclass
class ParseContext:
    """What a source needs while parsing one file: the pseudonymizer, policy and reporting hooks."""

    pseudonymize: Callable[[str, str], str]
    keep_raw: bool = False
    collected_at: datetime | None = None
    author_fields: frozenset[str] = COMMON_AUTHOR_FIELDS
    warnings: list[Reject] = field(default_factory=list)

    def post(
        self,
        *,
        platform: str,
        post_id: str,
        kind: Kind,
        text: str,
        created_at: datetime | None,
        source_format: str,
        author_id: str | None = None,
        author_handle: str | None = None,
        url: str | None = None,
        raw: Any = None,
        raw_path: str = "$",
        place_lon: float | None = None,
        place_lat: float | None = None,
        author_names: Iterable[str | None] = (),
        mentioned_names: Iterable[str | None] = (),
        **fields: Any,
    ) -> Post:
        """Build a Post; the only place author ids, names, mentions, coordinates and raw payloads are handled.

        `author_names` are the author's display names (the handle and id are always included); `mentioned_names`
        other people's names the source knows beyond what its author fields in `raw` give. See sources/redact.py.
        """
        lon, lat = self._valid_point(place_lon, place_lat, raw_path)
        # A link that embeds the author's id or handle would undo the pseudonym: keep only id-only links.
        if url and any(ident and ident in url for ident in (author_id, author_handle)):
            url = None
        url = redact_url(url)
        author = [n for n in (author_handle, author_id, *author_names) if isinstance(n, str)]
        others = [*mentioned_names, *(names_in(raw, self.author_fields) if raw is not None else ())]
        return Post(
            platform=platform,
            post_id=post_id,
            kind=kind,
            text=redact_text(nfc(text), author=author, others=others),
            created_at=created_at,
            source_format=source_format,
            author_key=self.pseudonymize(platform, author_id) if author_id else None,
            url=url,
            place_lon=lon,
            place_lat=lat,
            collected_at=fields.pop("collected_at", None) or self.collected_at,
            raw=self._scrubbed(raw, *author) if self.keep_raw and raw is not None else None,
            **fields,
        )

    def _valid_point(self, lon: float | None, lat: float | None, path: str) -> tuple[float | None, float | None]:
        if lon is None or lat is None:
            return None, None
        if -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0 and not (lon == 0.0 and lat == 0.0):
            return lon, lat
        self.warnings.append(Reject(path, f"coordinates lon={lon}, lat={lat} are out of range; dropped",
                                    severity="warning"))
        return None, None

    def _scrubbed(self, raw: Any, *known: str | None) -> str:
        return orjson.dumps(scrub(raw, self.author_fields, known)).decode()


def scrub(value: Any, author_fields: frozenset[str], known: tuple[str | None, ...] = ()) -> Any:
    """A copy of a payload without the keys that identify people (names, handles, profile fields).

    The values of those keys (and `known` ids) are also redacted wherever else they appear in the payload:
    a handle removed from `account` must not survive inside a status URL or a mention's HTML.
    """
    identities: set[str] = {k for k in known if k and len(k) >= 3}
    _collect_identities(value, author_fields, identities, inside=False)
    pattern = re.compile("|".join(re.escape(i) for i in sorted(identities, key=len, reverse=True))) \
        if identities else None
    return _scrubbed_copy(value, author_fields, pattern, tuple(k for k in known if k))


def _collect_identities(value: Any, author_fields: frozenset[str], out: set[str], inside: bool) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _collect_identities(v, author_fields, out, inside or k in author_fields)
    elif isinstance(value, list):
        for v in value:
            _collect_identities(v, author_fields, out, inside)
    elif inside and isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value)
        # Short strings and small numbers (flags, counts) would redact ordinary words and numbers.
        if (len(text) >= 4 and not text.isdigit()) or len(text) >= 6:
            out.add(text)


def _scrubbed_copy(value: Any, author_fields: frozenset[str], pattern: re.Pattern[str] | None,
                   known: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        return {k: _scrubbed_copy(v, author_fields, pattern, known) for k, v in value.items()
                if k not in author_fields}
    if isinstance(value, list):
        return [_scrubbed_copy(v, author_fields, pattern, known) for v in value]
    if isinstance(value, str):
        if pattern is not None:
            value = pattern.sub("[redacted]", value)
        return redact_text(value, author=known)  # the known names also as written without diacritics
    return value


class Source:
    """Base class of a source format. Subclasses are declarative: name, platform, sniff, parse."""

    name: ClassVar[str]
    platform: ClassVar[str]
    description: ClassVar[str] = ""
    # Higher runs earlier in auto-detection: specific shapes before generic ones.
    priority: ClassVar[int] = 50
    # Extra keys to scrub from raw payloads, beyond COMMON_AUTHOR_FIELDS.
    author_fields: ClassVar[frozenset[str]] = frozenset()

    def context(self, pseudonymize: Callable[[str, str], str], keep_raw: bool = False) -> ParseContext:
        """The parse context for this format: its own author fields are scrubbed on top of the common ones."""
        return ParseContext(pseudonymize=pseudonymize, keep_raw=keep_raw,
                            author_fields=COMMON_AUTHOR_FIELDS | self.author_fields)

    def sniff(self, doc: Any) -> bool:
        """True when this document has this format's shape. Must be cheap: it runs during detection."""
        raise NotImplementedError

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        raise NotImplementedError

    @staticmethod
    def each(nodes: Iterable[Any], convert: Callable[[Any], Iterable[Item]], path: str = "$") -> Iterator[Item]:
        """Run `convert` on each element, turning one element's failure into a Reject of that element only.

        `nodes` yields Nodes (errors name their path) or raw values (named by index under `path`).
        """
        for i, node in enumerate(nodes):
            record = node.value if isinstance(node, Node) else node
            if isinstance(record, _NotAnObject):
                record = record.original
            where = node.path if isinstance(node, Node) else f"{path}[{i}]"
            try:
                yield from convert(node)
            except RecordError as exc:
                yield Reject(exc.path or where, exc.reason, record)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                yield Reject(where, f"unexpected shape ({type(exc).__name__}: {exc})", record)


def api_error_message(doc: Any) -> str | None:
    """The message of a platform error body, whatever the platform's envelope; None when not an error."""
    if not isinstance(doc, dict):
        return None
    err = doc.get("error")
    if isinstance(err, dict):
        if err.get("code") == "ok":  # TikTok's success envelope carries error.code == "ok"
            return None
        parts = [str(err.get(k)) for k in ("code", "status", "type", "message") if err.get(k) not in (None, "")]
        return "API error body: " + " / ".join(parts)
    if isinstance(err, str) and len(doc) <= 3 and "data" not in doc:
        return f"API error body: {err}" + (f" / {doc['message']}" if doc.get("message") else "")
    errors = doc.get("errors")
    if isinstance(errors, list) and errors and not doc.get("data") and not doc.get("includes"):
        first = errors[0] if isinstance(errors[0], dict) else {}
        detail = first.get("detail") or first.get("message") or first.get("title") or str(errors[0])
        return f"API error body: {detail}"
    return None

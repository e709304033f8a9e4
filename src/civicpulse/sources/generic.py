"""Anything else: CSV/TSV rows, Excel (.xlsx) rows or JSON lines mapped to the schema by a declared column
mapping (TOML).

```toml
platform = "other"                       # a schema platform name
[columns]                                # schema field = column name (CSV) or dotted path (JSON)
post_id = "id"
text = ["title", "body"]                 # several columns are joined with a blank line
created_at = "time"
author_id = "user.id"
author_name = ["user.name", "user.nick"]  # only masked in the text, never stored
[options]
time_format = "%d/%m/%Y %H:%M"           # strptime format; omitted: ISO-8601 or epoch
timezone = "Asia/Ho_Chi_Minh"            # zone of times written without an offset (default UTC)
kind = "post"                            # when no `kind` column is mapped
delimiter = ";"                          # CSV only (default: tab for .tsv, else comma)
encoding = "cp1258"                      # CSV only (default: --encoding, UTF-8 with or without BOM)
```
A `platform` column may also be mapped: each row's value names its platform (`Facebook`, `twitter`, `YT`...);
a value that names none of the schema's platforms (a hotline, Zalo) is `other`, so rows are never lost to it.
A file `NAME.mapping.toml` beside `NAME.csv` (or `NAME.jsonl`) is used automatically.
"""

from __future__ import annotations

import codecs
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from civicpulse.schema import PLATFORMS, Kind
from civicpulse.sources import register
from civicpulse.sources.base import Item, ParseContext, RecordError, Source, type_name
from civicpulse.sources.text import join_parts
from civicpulse.sources.timeparse import TimeError, to_utc

_FIELDS = {
    "post_id": "id", "text": "text", "created_at": "time", "parent_id": "id", "thread_id": "id", "kind": "kind",
    "author_id": "id", "language": "str", "url": "str", "place_name": "str", "place_country": "str",
    "place_lon": "float", "place_lat": "float", "likes": "int", "replies": "int", "shares": "int",
    "quotes": "int", "views": "int", "edited": "bool",
    # Never stored: only looked for in the text, to take the author's own handle and name out of it.
    "author_handle": "str", "author_name": "str",
    "platform": "str",
}
_PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "yt": "youtube", "ig": "instagram", "tele": "telegram",
                     "tg": "telegram", "tik tok": "tiktok", "bsky": "bluesky"}
_IDENTITY_FIELDS = ("author_id", "author_handle", "author_name")
_REQUIRED = ("post_id", "text")
_TRUE = {"1", "true", "yes", "y", "t"}


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Mapping:
    platform: str
    columns: dict[str, list[str]]
    time_format: str | None = None
    timezone: Any = UTC
    kind: Kind = Kind.POST
    origin: str = "mapping"
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise MappingError(f"{path}: cannot read mapping: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at "
                               f"offset {exc.start}); save the mapping file as UTF-8") from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"{path}: cannot read mapping: {exc}") from None
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "mapping") -> Mapping:
        platform = data.get("platform", "other")
        if platform not in PLATFORMS:
            raise MappingError(f"{origin}: platform {platform!r} is not one of {', '.join(PLATFORMS)}")
        columns: dict[str, list[str]] = {}
        for name, value in (data.get("columns") or {}).items():
            if name not in _FIELDS:
                raise MappingError(f"{origin}: columns.{name}: not a schema field ({', '.join(_FIELDS)})")
            cols = [value] if isinstance(value, str) else value
            if not (isinstance(cols, list) and cols and all(isinstance(c, str) for c in cols)):
                raise MappingError(f"{origin}: columns.{name}: expected a column name or a list of them")
            columns[name] = cols
        missing = [f for f in _REQUIRED if f not in columns]
        if missing:
            raise MappingError(f"{origin}: [columns] must map {', '.join(missing)}")
        options = data.get("options") or {}
        try:
            zone = ZoneInfo(options["timezone"]) if options.get("timezone") else UTC
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"{origin}: options.timezone: unknown zone {options['timezone']!r}") from None
        try:
            kind = Kind(options.get("kind", "post"))
        except ValueError:
            raise MappingError(f"{origin}: options.kind: expected post, comment or reply") from None
        _check_dialect(options, origin)
        return cls(platform, columns, options.get("time_format"), zone, kind, origin, options)


def _check_dialect(options: dict[str, Any], origin: str) -> None:
    delimiter, encoding = options.get("delimiter"), options.get("encoding")
    if delimiter is not None and not (isinstance(delimiter, str) and len(delimiter) == 1 and delimiter not in "\"\r\n"):
        raise MappingError(f"{origin}: options.delimiter: expected one character such as ',' ';' or a tab")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise MappingError(f"{origin}: options.encoding: unknown encoding {encoding!r}") from None


def row_platform(value: Any, default: str) -> str:
    """A platform column's value as a schema platform; anything unknown is `other`, an empty cell the default."""
    text = " ".join(str(value or "").strip().lower().split())
    if not text:
        return default
    text = _PLATFORM_ALIASES.get(text, text)
    return text if text in PLATFORMS else "other"


def mapping_beside(path: str) -> Path | None:
    """`NAME.mapping.toml` next to `NAME.csv[.gz]` / `NAME.jsonl[.gz]`, if there is one."""
    p = Path(path)
    stem = p.name.removesuffix(".gz").rsplit(".", 1)[0]
    candidate = p.with_name(f"{stem}.mapping.toml")
    return candidate if candidate.exists() else None


def _lookup(row: dict[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):  # dotted path into JSON objects
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


class _Mapped(Source):
    """Base of the mapped formats: not auto-detected by shape, configured by a Mapping."""

    platform = "other"
    priority = 0
    needs_mapping: ClassVar[bool] = True

    def __init__(self, mapping: Mapping | None = None):
        self.mapping = mapping

    def configured(self, mapping: Mapping) -> _Mapped:
        return type(self)(mapping)

    def sniff(self, doc: Any) -> bool:
        return False

    def parse(self, doc: Any, ctx: ParseContext) -> Iterator[Item]:
        if self.mapping is None:
            raise RecordError("$", f"format {self.name} needs a column mapping (--mapping FILE)")
        if not isinstance(doc, dict):
            raise RecordError("$", f"expected an object per line, got {type_name(doc)}")
        yield from self.each([doc], lambda row: [self._post(row, ctx)])

    def _value(self, row: dict[str, Any], name: str) -> Any:
        cols = self.mapping.columns.get(name)  # type: ignore[union-attr]
        if not cols:
            return None
        if name == "text":
            return join_parts(*(str(v) for c in cols if (v := _lookup(row, c)) not in (None, "")))
        value = _lookup(row, cols[0])
        kind = _FIELDS[name]
        if value is None or value == "":
            if name in _REQUIRED:
                raise RecordError(cols[0], f"required column for {name} is empty or missing")
            return None
        try:
            return self._convert(value, kind)
        except (ValueError, TimeError) as exc:
            raise RecordError(cols[0], f"{name}: {exc}") from None

    def _convert(self, value: Any, kind: str) -> Any:
        m = self.mapping
        if kind == "id":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"expected an id, got {type_name(value)}")
            return str(int(value)) if isinstance(value, float) else str(value)
        if kind == "time":
            if m.time_format and isinstance(value, str):  # type: ignore[union-attr]
                parsed = datetime.strptime(value.strip(), m.time_format)  # type: ignore[union-attr]
            else:
                parsed = to_utc(value) if not isinstance(value, str) else _iso_or_epoch(value, m.timezone)
                return parsed
            return parsed.replace(tzinfo=m.timezone).astimezone(UTC).replace(tzinfo=None)  # type: ignore[union-attr]
        if kind == "int":
            text = str(value).replace(",", "").replace("_", "").strip()
            return int(float(text)) if "." in text else int(text)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
        if kind == "kind":
            return Kind(str(value).strip().lower())
        return str(value)

    def _post(self, row: dict[str, Any], ctx: ParseContext) -> Item:
        m = self.mapping
        value = lambda name: self._value(row, name)  # noqa: E731 - reads better than a method here
        text = value("text")
        if not text:
            raise RecordError(m.columns["text"][0], "text is empty")  # type: ignore[union-attr]
        parent = value("parent_id")
        identity_columns = {c for f in _IDENTITY_FIELDS for c in m.columns.get(f, ())}  # type: ignore[union-attr]
        platform_cols = m.columns.get("platform")  # type: ignore[union-attr]
        platform = row_platform(_lookup(row, platform_cols[0]), m.platform) if platform_cols else m.platform  # type: ignore[union-attr]
        return ctx.post(
            platform=platform,
            post_id=value("post_id"),
            kind=value("kind") or (Kind.REPLY if parent and m.kind == Kind.POST else m.kind),  # type: ignore[union-attr]
            text=text,
            created_at=value("created_at"),
            source_format=self.name,
            author_id=value("author_id"),
            author_handle=value("author_handle"),
            author_names=[_lookup(row, c) for c in m.columns.get("author_name", ())],  # type: ignore[union-attr]
            url=value("url"),
            raw={k: v for k, v in row.items() if k not in identity_columns},
            parent_id=parent,
            thread_id=value("thread_id"),
            language=value("language"),
            place_name=value("place_name"),
            place_country=value("place_country"),
            place_lon=value("place_lon"),
            place_lat=value("place_lat"),
            likes=value("likes"),
            replies=value("replies"),
            shares=value("shares"),
            quotes=value("quotes"),
            views=value("views"),
            edited=bool(value("edited")),
        )


def _iso_or_epoch(value: str, zone: Any) -> datetime:
    """ISO or epoch text; an ISO time without an offset is in the mapping's zone."""
    text = value.strip()
    if not text.replace(".", "", 1).isdigit():
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    return to_utc(value)


@register
class MappedCSV(_Mapped):
    name = "csv"
    description = "CSV/TSV with a declared column mapping (--mapping FILE or NAME.mapping.toml beside it)"


@register
class MappedJSONL(_Mapped):
    name = "jsonl"
    description = "JSON lines with a declared mapping of schema fields to dotted paths"

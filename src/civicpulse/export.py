"""Write a workspace's normalized posts as JSONL, CSV or Parquet, streaming in batches.

CSV is what people open in a spreadsheet, so its texts are neutralised against formulas (`spreadsheet_cell`);
JSONL and Parquet are for programs and carry every text exactly as stored.

With the analysis (`--with-analysis`), each post also carries the detected language, sentiment, sentiment_score,
emotion, topics and places; the platform's own language field is then named `platform_language`. Topics and
places are lists in JSONL and Parquet and one "; "-joined text in CSV. Posts not analysed yet have empty values.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from civicpulse.spreadsheet import spreadsheet_cell
from civicpulse.store.base import Store, arrow_schema

# The documented export fields (docs/schema.md); storage bookkeeping (hashes, raw, tombstones) stays inside.
EXPORT_COLUMNS = (
    "workspace", "platform", "post_id", "parent_id", "thread_id", "kind", "author_key", "text", "language",
    "created_at", "collected_at", "url", "place_name", "place_country", "place_lon", "place_lat", "likes",
    "replies", "shares", "quotes", "views", "source_format", "edited",
)
ANALYSIS_COLUMNS = ("language", "sentiment", "sentiment_score", "emotion", "topics", "places")
_ANALYSIS_TYPES = {"language": pa.string(), "sentiment": pa.string(), "sentiment_score": pa.float64(),
                   "emotion": pa.string(), "topics": pa.list_(pa.string()), "places": pa.list_(pa.string())}
LIST_SEPARATOR = "; "  # topics and places in one CSV cell (place names themselves hold commas)
FORMATS = ("jsonl", "csv", "parquet")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
               "parquet": "application/vnd.apache.parquet"}
_JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


# The web app leaves the author pseudonym out: a browser download must not allow per-author inference.
WEB_EXPORT_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c != "author_key")


def export_columns(with_analysis: bool, post_columns: Sequence[str] = EXPORT_COLUMNS) -> tuple[str, ...]:
    """The header of an export: the post fields, then (with the analysis) the labels."""
    if not with_analysis:
        return tuple(post_columns)
    renamed = tuple("platform_language" if c == "language" else c for c in post_columns)
    return renamed + ANALYSIS_COLUMNS


def check_export(fmt: str, out: str | None) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out in (None, "-"):
        raise ValueError("parquet is binary and needs a file: pass --out FILE")


class PostExport:
    """The bytes of one export, produced batch by batch (`chunks`); `count` says how many posts went out."""

    def __init__(self, store: Store, workspace: str, fmt: str, with_analysis: bool = False,
                 post_columns: Sequence[str] = EXPORT_COLUMNS) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
        self.store, self.workspace, self.fmt, self.with_analysis = store, workspace, fmt, with_analysis
        self.post_columns = tuple(post_columns)
        self.columns = export_columns(with_analysis, self.post_columns)
        self.count = 0

    def _batches(self) -> Iterator[list[tuple]]:
        if self.with_analysis:
            return self.store.iter_analysed_posts(self.workspace, self.post_columns)
        return self.store.iter_posts(self.workspace, self.post_columns)

    def chunks(self) -> Iterator[bytes]:
        writer = {"jsonl": self._jsonl, "csv": self._csv, "parquet": self._parquet}[self.fmt]
        for chunk in writer():
            if chunk:
                yield chunk

    def _jsonl(self) -> Iterator[bytes]:
        for rows in self._batches():
            self.count += len(rows)
            yield b"".join(orjson.dumps(dict(zip(self.columns, r, strict=True)), option=_JSON_OPTIONS) for r in rows)

    def _csv(self) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.columns)
        for rows in self._batches():
            writer.writerows([_csv_cell(v) for v in r] for r in rows)
            self.count += len(rows)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue().encode("utf-8")  # the header alone, for a workspace without posts

    def _parquet(self) -> Iterator[bytes]:
        schema = _parquet_schema(self.post_columns, self.columns, self.with_analysis)
        sink = _Sink()
        with pq.ParquetWriter(sink, schema) as parquet:
            for rows in self._batches():
                columns = list(zip(*rows, strict=True))
                parquet.write_table(pa.table(dict(zip(self.columns, columns, strict=True)), schema=schema))
                self.count += len(rows)
                yield sink.take()
        yield sink.take()  # the footer, written on close


def export_posts(store: Store, workspace: str, fmt: str, out: str | None, with_analysis: bool = False) -> int:
    """Write every live post of the workspace; returns how many were written."""
    check_export(fmt, out)
    export = PostExport(store, workspace, fmt, with_analysis)
    with output(out) as fh:
        for chunk in export.chunks():
            fh.write(chunk)
    return export.count


@contextmanager
def output(path: str | None) -> Iterator[BinaryIO]:
    """The file at `path`, or stdout for None and `-`."""
    if path in (None, "-"):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        with open(path, "wb") as fh:
            yield fh


def _parquet_schema(post_columns: Sequence[str], header: Sequence[str], with_analysis: bool) -> pa.Schema:
    post_fields = [f.with_name(name) for f, name in zip(arrow_schema(post_columns), header, strict=False)]
    if not with_analysis:
        return pa.schema(post_fields)
    return pa.schema([*post_fields, *((c, _ANALYSIS_TYPES[c]) for c in ANALYSIS_COLUMNS)])


class _Sink(io.RawIOBase):
    """A write-only file the Parquet writer fills and `take` empties, so an export never sits whole in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        part = bytes(data)
        self._parts.append(part)
        self._position += len(part)
        return len(part)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list):
        return spreadsheet_cell(LIST_SEPARATOR.join(str(v) for v in value))
    if isinstance(value, str):
        return spreadsheet_cell(value)
    if hasattr(value, "isoformat"):
        return value.isoformat() + "Z"  # type: ignore[union-attr]
    return value

"""Write a workspace's normalized posts as JSONL, CSV or Parquet, streaming in batches.

CSV is what people open in a spreadsheet, so its texts are neutralised against formulas (`spreadsheet_cell`);
JSONL and Parquet are for programs and carry every text exactly as stored.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
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
FORMATS = ("jsonl", "csv", "parquet")
_JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


@contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    if path in (None, "-"):
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        with open(path, "wb") as fh:
            yield fh


def export_posts(store: Store, workspace: str, fmt: str, out: str | None) -> int:
    """Write every live post of the workspace; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out in (None, "-"):
        raise ValueError("parquet is binary and needs a file: pass --out FILE")
    batches = store.iter_posts(workspace, EXPORT_COLUMNS)
    count = 0
    with _output(out) as fh:
        if fmt == "jsonl":
            for rows in batches:
                fh.write(b"".join(orjson.dumps(dict(zip(EXPORT_COLUMNS, r, strict=True)), option=_JSON_OPTIONS)
                                  for r in rows))
                count += len(rows)
        elif fmt == "csv":
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
            writer = csv.writer(text)
            writer.writerow(EXPORT_COLUMNS)
            for rows in batches:
                writer.writerows([_csv_cell(v) for v in r] for r in rows)
                count += len(rows)
            text.detach()
        else:
            schema = arrow_schema(EXPORT_COLUMNS)
            with pq.ParquetWriter(fh, schema) as parquet:
                for rows in batches:
                    columns = list(zip(*rows, strict=True))
                    parquet.write_table(pa.table(dict(zip(EXPORT_COLUMNS, columns, strict=True)), schema=schema))
                    count += len(rows)
    return count


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_cell(value)
    if hasattr(value, "isoformat"):
        return value.isoformat() + "Z"  # type: ignore[union-attr]
    return value

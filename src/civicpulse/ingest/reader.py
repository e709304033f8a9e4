"""Turn an input (file, folder, stdin, .gz) into a stream of documents with line numbers, in bounded memory.

A JSONL input is read a line at a time; a JSON document that spans lines is read whole (API responses and
exports are documents, not streams). Undecodable bytes and broken JSON become `ReadError`s naming the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
CSV_SUFFIXES = (".csv", ".tsv")
INPUT_SUFFIXES = (".json", *JSONL_SUFFIXES, *CSV_SUFFIXES)


class InputError(Exception):
    """The input as a whole cannot be read (missing path, unreadable file)."""


@dataclass(slots=True)
class Doc:
    value: Any
    line: int  # 1-based line where the document starts


@dataclass(slots=True)
class ReadError:
    line: int
    reason: str
    raw: bytes


def base_name(name: str) -> str:
    return name[:-3] if name.endswith(".gz") else name


def expand(paths: list[str]) -> list[str]:
    """Files to read, folders expanded (recursively, sorted, known suffixes only); `-` is stdin."""
    out: list[str] = []
    for p in paths:
        if p == "-":
            out.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            found = sorted(str(f) for f in path.rglob("*")
                           if f.is_file() and base_name(f.name).lower().endswith(INPUT_SUFFIXES))
            if not found:
                raise InputError(f"{p}: folder holds no .json, .jsonl, .ndjson or .csv files")
            out.extend(found)
        elif path.is_file():
            out.append(str(path))
        else:
            raise InputError(f"{p}: no such file or folder")
    return out


class Input:
    """An open input; `position()` and `size` drive the progress bar (compressed bytes for .gz)."""

    def __init__(self, name: str):
        self.name = name
        if name == "-":
            self._raw: BinaryIO = sys.stdin.buffer
            self.size = None
        else:
            try:
                self._raw = open(name, "rb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise InputError(f"{name}: cannot open: {exc.strerror}") from None
            self.size = Path(name).stat().st_size
        self.stream: BinaryIO = gzip.GzipFile(fileobj=self._raw) if name.endswith(".gz") else self._raw

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self._raw is not sys.stdin.buffer:
            self._raw.close()


def _decode_error(raw: bytes, encoding: str) -> str | None:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1].hex()
        return (f"not valid {encoding}: byte 0x{bad} at column {exc.start + 1} "
                "(pass --encoding if the file uses another encoding, e.g. cp1258 or utf-16)")
    return None


def _parse(raw: bytes, encoding: str) -> Any:
    return orjson.loads(raw if encoding == "utf-8" else raw.decode(encoding))


def _json_error(raw: bytes, exc: orjson.JSONDecodeError, encoding: str, first_line: int) -> ReadError:
    reason = _decode_error(raw, encoding)
    if reason is None:
        return ReadError(first_line + exc.lineno - 1, f"invalid JSON: {exc.msg} (column {exc.colno})", raw)
    return ReadError(first_line, reason, raw)


def read_json(stream: BinaryIO, name: str, encoding: str = "utf-8") -> Iterator[Doc | ReadError]:
    """Documents of a JSON or JSONL input, decided by its suffix and its first line."""
    lines = iter(stream)
    line_no = 0
    first = b""
    for first in lines:  # skip leading blank lines
        line_no += 1
        if first.strip():
            break
    else:
        return
    if line_no == 1 and first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding == "utf-8":
        yield ReadError(1, "file is UTF-16: pass --encoding utf-16", first)
        return
    jsonl = base_name(name).lower().endswith(JSONL_SUFFIXES)
    if not jsonl:
        try:
            value = _parse(first, encoding)
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            value = None
        else:
            jsonl = True  # a complete document on the first line: JSONL (or a one-line JSON file, the same)
            yield Doc(value, line_no)
            first = b""
    if not jsonl:
        yield from _read_whole(first, lines, line_no, encoding)
        return
    if first:
        yield _line_doc(first, line_no, encoding)
    for raw in lines:
        line_no += 1
        if raw.strip():
            yield _line_doc(raw, line_no, encoding)


def _line_doc(raw: bytes, line_no: int, encoding: str) -> Doc | ReadError:
    try:
        return Doc(_parse(raw, encoding), line_no)
    except orjson.JSONDecodeError as exc:
        raw = raw.rstrip(b"\r\n")
        reason = _decode_error(raw, encoding) or f"invalid JSON: {exc.msg} (column {exc.colno})"
        return ReadError(line_no, reason, raw)
    except UnicodeDecodeError:
        return ReadError(line_no, _decode_error(raw, encoding) or "cannot decode", raw)


def _read_whole(first: bytes, rest: Iterator[bytes], first_line: int, encoding: str) -> Iterator[Doc | ReadError]:
    data = first + b"".join(rest)
    try:
        yield Doc(_parse(data, encoding), first_line)
        return
    except orjson.JSONDecodeError as exc:
        whole_error = _json_error(data, exc, encoding, first_line)
    except UnicodeDecodeError:
        whole_error = ReadError(first_line, _decode_error(data, encoding) or "cannot decode", data)
    # Not one document. If the other lines are JSON documents, it is JSONL whose first line is broken.
    lines = data.split(b"\n")
    docs = [_line_doc(raw, first_line + i, encoding) for i, raw in enumerate(lines) if raw.strip()]
    if len(docs) > 1 and sum(isinstance(d, Doc) for d in docs) >= len(docs) / 2:
        yield from docs
    else:
        yield whole_error


def read_csv(stream: BinaryIO, name: str, encoding: str = "utf-8") -> Iterator[Doc | ReadError]:
    """Rows of a CSV/TSV input as dicts keyed by header, with the line each row starts on."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
    delimiter = "\t" if base_name(name).lower().endswith(".tsv") else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except UnicodeDecodeError as exc:
        yield ReadError(1, f"not valid {encoding} in the header: {exc.reason} (pass --encoding)", b"")
        return
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield ReadError(start, f"not valid {encoding}: {exc.reason}; the rest of the file was not read "
                            "(pass --encoding)", b"")
            return
        except csv.Error as exc:
            yield ReadError(start, f"malformed CSV: {exc}", b"")
            line = reader.line_num
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raw = delimiter.join(row).encode()
            yield ReadError(start, f"expected {len(header)} columns, found {len(row)}", raw)
            continue
        yield Doc(dict(zip(header, row, strict=True)), start)

"""Turn an input (file, folder, stdin, .gz) into a stream of documents with line numbers, in bounded memory.

A JSONL input is read a line at a time; a JSON document that spans lines is read whole (API responses and
exports are documents, not streams). Undecodable bytes and broken JSON become `ReadError`s naming the line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from civicpulse.ingest.limits import RATIO_CHECK_AFTER, Limits
from civicpulse.ingest.rejects import PREFIX_BYTES, Excerpt

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
CSV_SUFFIXES = (".csv", ".tsv")
INPUT_SUFFIXES = (".json", *JSONL_SUFFIXES, *CSV_SUFFIXES, ".xlsx")
CHUNK = 1 << 20  # read size: lines are assembled from chunks this big, never read whole before being measured
_JSON_STARTS = frozenset(b'{["-0123456789tfn')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


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
    raw: bytes | Excerpt
    stop: bool = False  # the rest of the input was not read


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


class InputStopped(Exception):
    """The rest of an input cannot be read (a size limit, a corrupt or truncated .gz); what came before is kept."""


class _Capped(io.RawIOBase):
    """A decompressing stream that stops at a size limit or a suspicious expansion ratio instead of growing."""

    def __init__(self, inner: BinaryIO, compressed_position: Callable[[], int], limits: Limits):
        self._inner, self._compressed, self._limits = inner, compressed_position, limits
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            # read1: one decompression step at a time, so that the data before a corrupt point still arrives.
            data = self._inner.read1(len(buffer))  # type: ignore[attr-defined]
        except (EOFError, OSError, zlib.error) as exc:
            raise InputStopped(f"corrupt or truncated gzip data after {self.produced:,} bytes ({exc}); "
                               "the records before it were read") from None
        n = len(data)
        buffer[:n] = data
        self.produced += n
        limit = self._limits.max_decompressed_bytes
        if self.produced > limit:
            raise InputStopped(f"decompressed data passed {limit:,} bytes (CIVICPULSE_MAX_DECOMPRESSED_BYTES); "
                               "the rest of the file was not read")
        if self.produced > RATIO_CHECK_AFTER:
            ratio = self.produced / max(self._compressed(), 1)
            if ratio > self._limits.max_gzip_ratio:
                raise InputStopped(f"gzip data expands more than {self._limits.max_gzip_ratio}-fold "
                                   f"({self.produced:,} bytes from {self._compressed():,}; "
                                   "CIVICPULSE_MAX_GZIP_RATIO): not a plausible export, the rest was not read")
        return n


class Input:
    """An open input; `position()` and `size` drive the progress bar (compressed bytes for .gz)."""

    def __init__(self, name: str, limits: Limits | None = None):
        self.name = name
        limits = limits or Limits()
        if name == "-":
            self._raw: BinaryIO = sys.stdin.buffer
            self.size = None
        else:
            try:
                self._raw = open(name, "rb")  # noqa: SIM115 - closed in close()
                self.size = Path(name).stat().st_size
            except OSError as exc:
                raise InputError(f"{name}: cannot open: {exc.strerror}") from None
        self.stream: BinaryIO = self._raw
        if name.endswith(".gz"):
            capped = _Capped(gzip.GzipFile(fileobj=self._raw), self.position, limits)
            self.stream = io.BufferedReader(capped, buffer_size=CHUNK)  # type: ignore[assignment]

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self._raw is not sys.stdin.buffer:
            self._raw.close()


class _Lines:
    """Lines of a byte stream, none held past `limit` bytes: a longer one is skipped to its newline and
    returned as an `Excerpt` (prefix, length, digest). Lines that cannot start a JSON value are judged on
    their first chunk, so a file of one endless garbage line costs one chunk of memory, whatever its size."""

    def __init__(self, stream: BinaryIO, limit: int, json_start: bool):
        self._stream, self.limit, self.json_start = stream, limit, json_start
        self.line_no = 0
        self.garbage = False  # the last Excerpt was skipped for not being JSON rather than for its length

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> bytes | Excerpt:
        want = min(CHUNK, self.limit + 1)
        self.line_no += 1  # counted before reading: a stop while reading names the line it happened in
        chunk = self._stream.readline(want)
        if not chunk:
            self.line_no -= 1
            raise StopIteration
        if len(chunk) < want or (chunk.endswith(b"\n") and len(chunk) <= self.limit):
            return chunk  # the whole line (or the end of the input), within the limit
        self.garbage = self.json_start and not _could_be_json(chunk)
        parts, size = [chunk], len(chunk)
        while not self.garbage and size <= self.limit and not parts[-1].endswith(b"\n"):
            more = self._stream.readline(min(CHUNK, self.limit + 1 - size))
            if not more:
                break
            parts.append(more)
            size += len(more)
        if not self.garbage and size <= self.limit:
            return b"".join(parts)
        return self._skip(parts)

    def _skip(self, parts: list[bytes]) -> Excerpt:
        digest = hashlib.sha256()
        prefix = b"".join(parts)[:PREFIX_BYTES]
        size = 0
        for part in parts:
            digest.update(part)
            size += len(part)
        last = parts[-1]
        while not last.endswith(b"\n"):
            last = self._stream.readline(CHUNK)
            if not last:
                break
            digest.update(last)
            size += len(last)
        return Excerpt(prefix, size, digest.hexdigest())


def _could_be_json(chunk: bytes) -> bool:
    start = chunk.lstrip(b" \t\r\n")
    if start.startswith(b"\xef\xbb\xbf"):
        start = start[3:]
    return not start or start[0] in _JSON_STARTS


def _too_long(excerpt: Excerpt, limit: int, garbage: bool, what: str = "line") -> str:
    if garbage:
        return (f"not JSON: a {excerpt.size:,}-byte {what} starting with byte 0x{excerpt.prefix.lstrip()[:1].hex()}; "
                "skipped unread")
    env = "CIVICPULSE_MAX_LINE_BYTES" if what != "document" else "CIVICPULSE_MAX_DOCUMENT_BYTES"
    return f"{what} of {excerpt.size:,} bytes is longer than the limit of {limit:,} ({env}); skipped unread"


def nesting_depth_exceeds(raw: bytes, max_depth: int) -> bool:
    """Whether valid JSON `raw` nests deeper than `max_depth`, found without recursion and mostly in C.

    Escapes go first (so that quotes pair up), then everything but quotes and brackets, then the strings
    between quotes; the depth is the highest running sum of the brackets left.
    """
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(raw.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    return len(brackets) > 2 * max_depth and max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > max_depth


def _decode_error(raw: bytes, encoding: str) -> str | None:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1].hex()
        return (f"not valid {encoding}: byte 0x{bad} at column {exc.start + 1} "
                "(pass --encoding if the file uses another encoding, e.g. cp1258 or utf-16)")
    return None


def _parse(raw: bytes, encoding: str, max_depth: int) -> Any:
    text = raw if encoding == "utf-8" else raw.decode(encoding)
    value = orjson.loads(text)
    if isinstance(value, (dict, list)):
        structure = raw if encoding == "utf-8" else text.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
        if nesting_depth_exceeds(structure, max_depth):
            raise TooDeep(max_depth)
    return value


class TooDeep(ValueError):
    def __init__(self, max_depth: int):
        super().__init__(f"nested deeper than {max_depth} levels (CIVICPULSE_MAX_DEPTH)")


def _invalid(exc: orjson.JSONDecodeError, max_depth: int) -> str:
    if "depth limit" in exc.msg or "recursion" in exc.msg.lower():
        return str(TooDeep(max_depth))
    return f"invalid JSON: {exc.msg} (column {exc.colno})"


def read_json(stream: BinaryIO, name: str, encoding: str = "utf-8",
              limits: Limits | None = None) -> Iterator[Doc | ReadError]:
    """Documents of a JSON or JSONL input, decided by its suffix and its first line.

    A `ReadError` with `stop` set ends the input (a size limit, broken compression); records before it stand.
    """
    limits = limits or Limits()
    jsonl = base_name(name).lower().endswith(JSONL_SUFFIXES)
    # The first line of a .json file may be a whole one-line document: it gets the document limit.
    lines = _Lines(stream, limits.max_line_bytes if jsonl else limits.max_document_bytes, encoding == "utf-8")
    try:
        yield from _read_json_lines(lines, jsonl, encoding, limits)
    except InputStopped as exc:
        yield ReadError(lines.line_no, str(exc), b"", stop=True)  # the line being read


def _read_json_lines(lines: _Lines, jsonl: bool, encoding: str, limits: Limits) -> Iterator[Doc | ReadError]:
    first: bytes | Excerpt = b""
    for first in lines:  # skip leading blank lines
        if isinstance(first, Excerpt) or first.strip():
            break
    else:
        return
    line_no = lines.line_no
    if isinstance(first, Excerpt):
        yield ReadError(line_no, _too_long(first, lines.limit, lines.garbage, "line" if jsonl else "document"),
                        first, stop=not jsonl)
        if not jsonl:
            return
        first = b""
    if line_no == 1 and first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    # A UTF-16 file: its BOM, and NUL bytes in its text (a stray BOM before UTF-8 lines is one bad line, below).
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in first and encoding == "utf-8":
        yield ReadError(1, "file is UTF-16: pass --encoding utf-16", first[:PREFIX_BYTES])
        return
    if not jsonl:
        try:
            value = _parse(first, encoding, limits.max_depth)
        except (orjson.JSONDecodeError, UnicodeDecodeError, TooDeep):
            value = _NOT_PARSED
        if value is _NOT_PARSED:
            yield from _read_whole(first, lines, line_no, encoding, limits)
            return
        jsonl = True  # a complete document on the first line: JSONL (or a one-line JSON file, the same)
        yield Doc(value, line_no)
        first = b""
    lines.limit = limits.max_line_bytes
    if first:
        yield _line_doc(first, line_no, encoding, limits.max_depth)
    for raw in lines:
        if isinstance(raw, Excerpt):
            yield ReadError(lines.line_no, _too_long(raw, lines.limit, lines.garbage), raw)
        elif raw.strip():
            yield _line_doc(raw, lines.line_no, encoding, limits.max_depth)


_NOT_PARSED = object()


def _line_doc(raw: bytes, line_no: int, encoding: str, max_depth: int) -> Doc | ReadError:
    try:
        return Doc(_parse(raw, encoding, max_depth), line_no)
    except orjson.JSONDecodeError as exc:
        raw = raw.rstrip(b"\r\n")
        return ReadError(line_no, _decode_error(raw, encoding) or _invalid(exc, max_depth), raw)
    except TooDeep as exc:
        return ReadError(line_no, str(exc), raw.rstrip(b"\r\n"))
    except UnicodeDecodeError:
        return ReadError(line_no, _decode_error(raw, encoding) or "cannot decode", raw)


def _read_whole(first: bytes, lines: _Lines, first_line: int, encoding: str,
                limits: Limits) -> Iterator[Doc | ReadError]:
    """A multi-line document, read whole up to `max_document_bytes` (API responses and exports are documents)."""
    lines.json_start = False  # inside a document a line may start with anything (`],`, `}`)
    parts, size = [first], len(first)
    for raw in lines:
        if isinstance(raw, Excerpt):
            size += raw.size
        else:
            parts.append(raw)
            size += len(raw)
        if size > limits.max_document_bytes:
            yield ReadError(first_line, f"document longer than the limit of {limits.max_document_bytes:,} bytes "
                            "(CIVICPULSE_MAX_DOCUMENT_BYTES): not read; if it holds one record per line, name "
                            "it .jsonl", Excerpt.of(b"".join(parts[:4])), stop=True)
            return
        lines.limit = limits.max_document_bytes - size
    data = b"".join(parts)
    del parts
    try:
        yield Doc(_parse(data, encoding, limits.max_depth), first_line)
        return
    except orjson.JSONDecodeError as exc:
        reason = _decode_error(data, encoding)
        whole_error = ReadError(first_line if reason else first_line + exc.lineno - 1,
                                reason or _invalid(exc, limits.max_depth), _kept(data))
    except TooDeep as exc:
        whole_error = ReadError(first_line, str(exc), _kept(data))
    except UnicodeDecodeError:
        whole_error = ReadError(first_line, _decode_error(data, encoding) or "cannot decode", _kept(data))
    # Not one document. If the other lines are JSON documents, it is JSONL whose first line is broken.
    docs = [_line_doc(raw, first_line + i, encoding, limits.max_depth)
            for i, raw in enumerate(data.split(b"\n")) if raw.strip()]
    if len(docs) > 1 and sum(isinstance(d, Doc) for d in docs) >= len(docs) / 2:
        yield from docs
    else:
        yield whole_error


def _kept(data: bytes) -> bytes | Excerpt:
    return data if len(data) <= PREFIX_BYTES else Excerpt.of(data)


class _TextLines:
    """Physical lines of a text stream for the csv module, bounded like `_Lines`: an overlong line, or a record
    whose lines add up past the limit (an unclosed quote), raises `_RecordTooLong` after skipping to a newline."""

    def __init__(self, text: io.TextIOWrapper, limit: int):
        self._text, self.limit = text, limit
        self.line_no = 0
        self._record_chars = 0

    def new_record(self) -> None:
        self._record_chars = 0

    def __iter__(self) -> _TextLines:
        return self

    def __next__(self) -> str:
        self.line_no += 1
        line = self._text.readline(self.limit + 1)
        if not line:
            self.line_no -= 1
            raise StopIteration
        self._record_chars += len(line)
        if len(line) > self.limit and not line.endswith(("\n", "\r")):
            raise _RecordTooLong(self._skip(line))
        if self._record_chars > self.limit:
            raise _RecordTooLong(Excerpt.of(line.encode("utf-8", "replace")))
        return line

    def _skip(self, line: str) -> Excerpt:
        digest, size = hashlib.sha256(), 0
        prefix = line[:PREFIX_BYTES].encode("utf-8", "replace")
        while line:
            data = line.encode("utf-8", "replace")
            digest.update(data)
            size += len(data)
            if line.endswith(("\n", "\r")):
                break
            line = self._text.readline(CHUNK)
        return Excerpt(prefix, size, digest.hexdigest())


class _RecordTooLong(Exception):
    def __init__(self, excerpt: Excerpt):
        super().__init__()
        self.excerpt = excerpt


def read_csv(stream: BinaryIO, name: str, encoding: str = "utf-8",
             limits: Limits | None = None, delimiter: str | None = None) -> Iterator[Doc | ReadError]:
    """Rows of a CSV/TSV input as dicts keyed by header, with the line each row starts on. The delimiter is a tab
    for .tsv and a comma otherwise, unless one is given (a mapping's, e.g. `;` from a European Excel)."""
    limits = limits or Limits()
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
    delimiter = delimiter or ("\t" if base_name(name).lower().endswith(".tsv") else ",")
    lines = _TextLines(text, limits.max_line_bytes)
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_line_bytes))  # the record limit is ours
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from _read_rows(reader, lines, delimiter, encoding)
    except InputStopped as exc:
        yield ReadError(lines.line_no, str(exc), b"", stop=True)  # the line being read


def _read_rows(reader: Any, lines: _TextLines, delimiter: str, encoding: str) -> Iterator[Doc | ReadError]:
    try:
        header = next(reader)
    except StopIteration:
        return
    except UnicodeDecodeError as exc:
        yield ReadError(1, f"not valid {encoding} in the header: {exc.reason} (pass --encoding)", b"")
        return
    except (_RecordTooLong, csv.Error) as exc:
        yield ReadError(1, f"header line is not readable CSV ({exc or 'too long'}); the file was not read", b"",
                        stop=True)
        return
    while True:
        start = lines.line_no + 1
        lines.new_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield ReadError(start, f"not valid {encoding}: {exc.reason}; the rest of the file was not read "
                            "(pass --encoding)", b"", stop=True)
            return
        except _RecordTooLong as exc:
            yield ReadError(start, _too_long(exc.excerpt, lines.limit, False, "record"), exc.excerpt)
            continue
        except csv.Error as exc:
            yield ReadError(start, f"malformed CSV: {exc}", b"")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raw = delimiter.join(row).encode("utf-8", "replace")
            yield ReadError(start, f"expected {len(header)} columns, found {len(row)}", _kept(raw))
            continue
        yield Doc(dict(zip(header, row, strict=True)), start)

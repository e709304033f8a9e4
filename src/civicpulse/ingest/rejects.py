"""The rejects file: every record that did not land (and every warning), with where and why, as JSON lines.

Rejected records are copies of the operator's own input, kept for inspection and re-ingest after a fix. What
one entry keeps is bounded: a record up to KEEP_WHOLE bytes is kept whole; a larger one (or an oversized line
that was never read into memory) is kept as a prefix, its length and its SHA-256, enough to find it again.
The number of entries per input file is capped too (`max_rejects_per_file`). Writing a reject never raises:
the record that is already bad must not also break the run.
"""

from __future__ import annotations

import base64
import hashlib
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from civicpulse.fs import private_file

KEEP_WHOLE = 16 << 10  # a record this small (as JSON) is kept as it was
PREFIX_BYTES = 1 << 10  # of a larger one, this much is kept
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 4, 200, 200


@dataclass(frozen=True, slots=True)
class Excerpt:
    """The start of an input that is too long to keep, with the length and digest of all of it."""

    prefix: bytes
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> Excerpt:
        return cls(data[:PREFIX_BYTES], len(data), hashlib.sha256(data).hexdigest())


class RejectWriter:
    def __init__(self, path: str | Path | None, max_per_file: int | None = None,
                 shown: Callable[[str], str] | None = None):
        self.path = Path(path) if path else None
        self.shown = shown  # how file names and reasons read for the user (the web names uploads as sent)
        self.max_per_file = max_per_file
        self._fh: BinaryIO | None = None
        self.count = 0  # every reject and warning handed in, written or not
        self.written = 0
        self.error: str | None = None  # why the rejects file could not be written, if it could not
        self._file: str | None = None
        self._file_count = 0

    def write(self, *, file: str, line: int | None, path: str, reason: str, severity: str,
              record: Any = None, raw: bytes | Excerpt | None = None) -> None:
        self.count += 1
        if self.path is None or self.error is not None:
            return
        if self.shown is not None:
            file, reason = self.shown(file), self.shown(reason)
        if file != self._file:
            self._file, self._file_count = file, 0
        self._file_count += 1
        if self.max_per_file is not None and self._file_count > self.max_per_file:
            if self._file_count == self.max_per_file + 1:
                self._append({"file": file, "line": None, "path": "$", "severity": "notice",
                              "reason": f"more than {self.max_per_file:,} rejects and warnings in this file: the "
                                        "rest are counted but not written (CIVICPULSE_MAX_REJECTS_PER_FILE)"})
            return
        entry: dict[str, Any] = {"file": file, "line": line, "path": path, "severity": severity, "reason": reason}
        try:
            payload = _serialized(entry, record, raw)
        except Exception as exc:  # a reject is written whatever the record holds
            payload = _minimal(entry, exc, record if record is not None else raw)
        self._append_bytes(payload)

    def _append(self, entry: dict[str, Any]) -> None:
        try:
            self._append_bytes(orjson.dumps(entry))
        except Exception as exc:
            self._append_bytes(_minimal(entry, exc, None))

    def _append_bytes(self, payload: bytes) -> None:
        try:
            if self._fh is None:
                self._fh = open(private_file(self.path), "ab")  # type: ignore[arg-type]  # noqa: SIM115
            self._fh.write(payload + b"\n")
            self.written += 1
        except OSError as exc:  # disk full, no permission: stop writing, say so once at the end
            self.error = f"cannot write the rejects file {self.path}: {exc.strerror or exc}"

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError as exc:
                self.error = self.error or f"cannot write the rejects file {self.path}: {exc.strerror or exc}"
            self._fh = None


def _serialized(entry: dict[str, Any], record: Any, raw: bytes | Excerpt | None) -> bytes:
    if record is not None:
        data = orjson.dumps(record, default=str)
        whole = orjson.dumps({**entry, "record": orjson.Fragment(data)}) if len(data) <= KEEP_WHOLE else b""
        return whole if 0 < len(whole) <= KEEP_WHOLE + 2048 else orjson.dumps(
            {**entry, **_excerpt_fields("record", Excerpt.of(data))})
    if isinstance(raw, Excerpt):
        return orjson.dumps({**entry, **_excerpt_fields("raw", raw)})
    if raw:
        try:
            kept: dict[str, Any] = {"raw": raw.decode("utf-8").rstrip("\r\n")}
        except UnicodeDecodeError:
            kept = {"raw_base64": base64.b64encode(raw).decode()}
        whole = orjson.dumps({**entry, **kept}) if len(raw) <= KEEP_WHOLE else b""
        # Measured once serialized: control characters grow six-fold as JSON escapes.
        return whole if 0 < len(whole) <= KEEP_WHOLE + 2048 else orjson.dumps(
            {**entry, **_excerpt_fields("raw", Excerpt.of(raw))})
    return orjson.dumps(entry)


def _excerpt_fields(name: str, excerpt: Excerpt) -> dict[str, Any]:
    return {f"{name}_prefix": excerpt.prefix.decode("utf-8", "replace"), f"{name}_bytes": excerpt.size,
            f"{name}_sha256": excerpt.sha256}


def _minimal(entry: dict[str, Any], exc: Exception, record: Any) -> bytes:
    """The reject without its record, when even that could not be serialized (reprlib's repr is depth-bounded)."""
    safe = {k: v if isinstance(v, (int, type(None))) else str(v)[:2_000] for k, v in entry.items()
            if k in ("file", "line", "path", "severity", "reason")}
    safe["record_note"] = f"record not kept ({type(exc).__name__})"
    try:
        if record is not None:
            safe["record_prefix"] = _REPR.repr(record)[:PREFIX_BYTES]
    except Exception:
        pass
    try:
        return orjson.dumps(safe)
    except Exception:  # e.g. a surrogate in the reason
        return orjson.dumps({k: (v.encode("utf-8", "replace").decode() if isinstance(v, str) else v)
                             for k, v in safe.items()})

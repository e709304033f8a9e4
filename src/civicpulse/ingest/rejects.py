"""The rejects file: every record that did not land (and every warning), with where and why, as JSON lines.

Rejected records are copies of the operator's own input, kept for inspection and re-ingest after a fix.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from civicpulse.fs import private_file


class RejectWriter:
    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        self._fh: BinaryIO | None = None
        self.count = 0

    def write(self, *, file: str, line: int | None, path: str, reason: str, severity: str,
              record: Any = None, raw: bytes | None = None) -> None:
        self.count += 1
        if self.path is None:
            return
        if self._fh is None:
            self._fh = open(private_file(self.path), "ab")  # noqa: SIM115 - kept open across files, closed in close()
        entry: dict[str, Any] = {"file": file, "line": line, "path": path, "severity": severity, "reason": reason}
        if record is not None:
            entry["record"] = record
        elif raw is not None:
            try:
                entry["raw"] = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                entry["raw_base64"] = base64.b64encode(raw).decode()
        self._fh.write(orjson.dumps(entry, default=str) + b"\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

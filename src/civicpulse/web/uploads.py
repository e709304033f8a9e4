"""Browser uploads, streamed straight to private files under DB.uploads/ with the size and file-count caps checked
as the bytes arrive: a request over the cap is refused with 413 after at most the cap has been read, and
whatever it left on disk is deleted, whichever way the request ends (cap, bad form, client gone).

Limits (read when the app starts): CIVICPULSE_UPLOAD_MAX_MB, the whole request (default 512), and
CIVICPULSE_UPLOAD_MAX_FILES, files per request (default 20). Files are 0600 in 0700 folders; the import job
deletes them once read, and a server start deletes any an earlier process left behind.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from anyio import to_thread
from fastapi import HTTPException, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

_SAFE_NAME = re.compile(r"[^\w.\-]+")
MAX_FIELD = 1024  # bytes of a non-file field (the format name)
# The request body as OpenAPI shows it (the route reads the stream itself rather than through FastAPI's File()).
OPENAPI_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "format": {"type": "string", "description": "force a format instead of detecting it"}}}}}}}


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 512 << 20
    max_files: int = 20

    @classmethod
    def from_env(cls) -> UploadLimits:
        return cls(int(os.environ.get("CIVICPULSE_UPLOAD_MAX_MB", "512")) << 20,
                   int(os.environ.get("CIVICPULSE_UPLOAD_MAX_FILES", "20")))


@dataclass
class Received:
    paths: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


class _Form:
    """multipart callbacks: file parts go to numbered files in `folder`, small fields to memory."""

    def __init__(self, folder: Path, limits: UploadLimits) -> None:
        self.folder, self.limits, self.got = folder, limits, Received()
        self._header, self._value, self._headers = b"", b"", {}
        self._file: IO[bytes] | None = None
        self._field: str | None = None
        self._data = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._part_data,
                "on_part_end": self._part_end}

    def _begin(self) -> None:
        self._headers, self._field, self._data = {}, None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header.lower()] = self._value
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is None:
            self._field = name
            return
        shown = filename.decode("utf-8", "replace")
        if name != "files" or not shown:  # another field's file, or an empty file input: read and dropped
            return
        if len(self.got.paths) >= self.limits.max_files:
            raise HTTPException(413, f"too many files: at most {self.limits.max_files} per upload "
                                     "(CIVICPULSE_UPLOAD_MAX_FILES); send them in several uploads")
        # Keep the extension (format detection and .gz use it); never trust the client's path.
        target = self.folder / f"{len(self.got.paths):03d}-{_SAFE_NAME.sub('_', Path(shown).name)[-120:]}"
        self._file = os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        self.got.paths.append(str(target))
        self.got.names.append(shown)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
        elif self._field is not None:
            self._data += data[start:end]
            if len(self._data) > MAX_FIELD:
                raise HTTPException(413, f"form field {self._field!r} is longer than {MAX_FIELD} bytes")

    def _part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._field is not None:
            self.got.fields[self._field] = self._data.decode("utf-8", "replace")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _too_large(limits: UploadLimits) -> HTTPException:
    size = f"{limits.max_bytes / (1 << 20):g} MiB" if limits.max_bytes >= 1 << 20 else f"{limits.max_bytes} bytes"
    return HTTPException(413, f"the upload is larger than {size} "
                              "(CIVICPULSE_UPLOAD_MAX_MB): import large exports with `civicpulse ingest`")


async def receive_files(request: Request, folder: Path, limits: UploadLimits) -> Received:
    """Stream a multipart/form-data body into `folder` (created 0700); on any error nothing is left behind."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise HTTPException(400, "send the files as multipart/form-data (a `files` part per file)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise _too_large(limits)  # refused before a byte is read
    for level in (folder.parent.parent, folder.parent):  # DB.uploads/ and DB.uploads/WORKSPACE/
        level.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(level, 0o700)
    folder.mkdir(mode=0o700)
    form = _Form(folder, limits)
    parser = MultipartParser(options[b"boundary"], form.callbacks())  # type: ignore[arg-type]
    received, ok = 0, False
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limits.max_bytes:  # a body longer than declared, or sent without a length
                raise _too_large(limits)
            try:
                await to_thread.run_sync(parser.write, chunk)  # disk writes off the event loop
            except MultipartParseError as exc:
                raise HTTPException(400, f"malformed multipart/form-data body: {exc}") from None
        parser.finalize()
        if not form.got.paths:
            raise HTTPException(422, "no files: send one or more `files` parts")
        ok = True
        return form.got
    finally:
        form.close()
        if not ok:
            shutil.rmtree(folder, ignore_errors=True)

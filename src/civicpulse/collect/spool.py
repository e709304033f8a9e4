"""Pages fetched but not stored yet: spooled to private files, then stored together through the ingest pipeline.

The store merges a batch of posts in one transaction whose cost barely depends on its size (an index probe of
the posts table, a few statements), so storing each 100-post page alone spent most of a run in fixed costs.
Pages are therefore appended to a spool file (one page per line, JSON lines) as they arrive, and the file is
ingested in one go (one merge, one run record) when `flush_posts` posts are waiting, when the oldest waiting page
is `flush_seconds` old, when the format changes, and at the end of a run. Only after that commit is the cursor
of the last page in the flush saved, so a crash repeats at most the pages of one flush (the idempotent upsert
makes the repeat a no-op) and never skips one.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from civicpulse.collect.base import Cursor, Page
from civicpulse.fs import private_dir, private_file
from civicpulse.ingest.pipeline import Ingestor

FLUSH_POSTS = 5_000
FLUSH_SECONDS = 2.0


def flush_posts_from_env() -> int:
    """CIVICPULSE_COLLECT_FLUSH_POSTS: posts per store merge (1 stores every page alone: slower, finer cursors)."""
    value = os.environ.get("CIVICPULSE_COLLECT_FLUSH_POSTS", "")
    return int(value) if value.isdigit() and int(value) > 0 else FLUSH_POSTS


@dataclass
class Flushed:
    pages: int = 0
    fetched: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    cursor: Cursor | None = None


@dataclass
class _Waiting:
    format_name: str | None = None
    file: Path | None = None
    pages: int = 0
    fetched: int = 0
    cursor: Cursor | None = None
    since: float = 0.0


class PageSpool:
    def __init__(self, folder: Path, prefix: str, ingestor_for: Callable[[str], Ingestor],
                 commit: Callable[[Flushed], None], *, lock: contextlib.AbstractContextManager,
                 flush_posts: int = FLUSH_POSTS, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.folder, self.prefix, self.ingestor_for, self.commit = folder, prefix, ingestor_for, commit
        self.lock = lock  # the server's runtime runs sources in parallel: their writes take turns
        self.flush_posts, self.flush_seconds = flush_posts, flush_seconds
        self.waiting = _Waiting()
        self._serial = 0

    def add(self, page: Page, format_name: str) -> None:
        """Spool a page; store what waits first when the format changes, and everything once it is due."""
        if self.waiting.pages and format_name != self.waiting.format_name:
            self.flush()
        waiting = self.waiting
        if waiting.cursor is None:
            waiting.since = time.monotonic()
        if page.body is not None:  # None: an empty page (a keep-alive), nothing to store but the cursor may move
            fresh = waiting.file is None
            if waiting.file is None:
                self._serial += 1
                waiting.file = private_file(private_dir(self.folder) / f"{self.prefix}-{self._serial}.jsonl")
            documents = page.body if page.lines else [page.body]  # a stream's batch: one document per line
            with waiting.file.open("wb" if fresh else "ab") as fh:  # "wb": never after a crashed run's leftovers
                fh.writelines(_encode(document) + b"\n" for document in documents)
            waiting.pages += 1
            waiting.format_name = format_name
        waiting.fetched += page.fetched
        waiting.cursor = page.cursor
        if waiting.fetched >= self.flush_posts or time.monotonic() - waiting.since >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        waiting, self.waiting = self.waiting, _Waiting()
        if waiting.cursor is None:
            return
        done = Flushed(pages=waiting.pages, fetched=waiting.fetched, cursor=waiting.cursor)
        try:
            with self.lock:
                if waiting.file is not None:
                    result = self.ingestor_for(waiting.format_name or "").ingest(str(waiting.file))
                    done.stored, done.updated = result.stored, result.updated
                    done.unchanged, done.rejected = result.unchanged, result.rejected
                self.commit(done)  # the cursor, strictly after the posts
        finally:
            if waiting.file is not None:  # raw platform data, authors included: gone once ingested
                with contextlib.suppress(FileNotFoundError):
                    waiting.file.unlink()


def _encode(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer past 64 bits, say: the standard library writes any JSON value
        import json

        return json.dumps(body, ensure_ascii=False).encode()

"""The ingest pipeline: inputs -> documents -> detected source -> posts/deletions -> store, rejects aside.

Memory stays flat: documents stream from the reader, posts are flushed to the store in fixed-size batches,
and only per-file counters are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from civicpulse import sources
from civicpulse.ingest.pseudonymize import Pseudonymizer
from civicpulse.ingest.reader import CSV_SUFFIXES, Doc, Input, ReadError, base_name, read_csv, read_json
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.schema import Deletion, Post
from civicpulse.sources.base import (
    ParseContext,
    RecordError,
    Reject,
    Skip,
    Source,
    api_error_message,
)
from civicpulse.sources.generic import Mapping, MappingError, mapping_beside
from civicpulse.store.base import Store, UpsertCounts

BATCH_SIZE = 20_000


class FileError(Exception):
    """A whole input cannot be ingested (no format detected, missing mapping)."""


@dataclass
class FileSummary:
    file: str
    format: str = "-"
    read: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    skipped: int = 0  # records that are not posts (likes, follows, service messages): counted, not rejected
    warnings: int = 0
    messages: list[str] = field(default_factory=list)  # the first few reject reasons, for the terminal

    def add(self, counts: UpsertCounts) -> None:
        self.stored += counts.stored
        self.updated += counts.updated
        self.unchanged += counts.unchanged + counts.suppressed
        self.deleted += counts.deleted


MAX_MESSAGES = 5


class Ingestor:
    def __init__(
        self,
        store: Store,
        workspace: str,
        pseudonymizer: Pseudonymizer,
        rejects: RejectWriter,
        *,
        format_name: str | None = None,
        mapping: Mapping | None = None,
        encoding: str = "utf-8",
        batch_size: int = BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.workspace = workspace
        info = store.ensure_workspace(workspace)
        self.keep_raw = info.keep_raw
        self.pseudonymize = pseudonymizer
        self.rejects = rejects
        self.forced = sources.get(format_name) if format_name else None
        self.mapping = mapping
        self.encoding = encoding
        self.batch_size = batch_size
        self.on_progress = on_progress

    # ---------------------------------------------------------------------------------------------------
    def ingest(self, name: str) -> FileSummary:
        summary = FileSummary(file=name)
        started = datetime.now(UTC).replace(tzinfo=None)
        inp = Input(name)
        try:
            self._ingest_input(inp, summary)
        except FileError as exc:
            summary.rejected += 1
            summary.messages.append(str(exc))
            self.rejects.write(file=name, line=None, path="$", reason=str(exc), severity="error")
        finally:
            inp.close()
        self.store.record_run({
            "run_id": uuid4().hex, "workspace": self.workspace, "source": name, "format": summary.format,
            "started_at": started, "finished_at": datetime.now(UTC).replace(tzinfo=None),
            "read_count": summary.read, **{k: v for k, v in asdict(summary).items()
                                           if k in ("stored", "updated", "unchanged", "deleted", "rejected",
                                                    "warnings")},
        })
        return summary

    def _source_for_file(self, name: str) -> Source | None:
        """The source for a whole file, or None to detect it per document.

        A forced format wins; CSV always needs a mapping; any other file with a mapping (`--mapping`, or
        NAME.mapping.toml beside it) is read as mapped JSON lines.
        """
        mapping = self.mapping
        if mapping is None and name != "-" and (beside := mapping_beside(name)) is not None:
            try:
                mapping = Mapping.load(beside)
            except MappingError as exc:
                raise FileError(str(exc)) from None
        source = self.forced
        if source is None:
            if base_name(name).lower().endswith(CSV_SUFFIXES):
                source = sources.get("csv")
            elif mapping is not None:
                source = sources.get("jsonl")
        if source is None or not getattr(source, "needs_mapping", False):
            return source
        if mapping is None:
            raise FileError(f"{name}: format {source.name} needs a column mapping: pass --mapping FILE or put "
                            "NAME.mapping.toml beside the file (see docs/formats.md)")
        return source.configured(mapping)  # type: ignore[attr-defined]

    def _ingest_input(self, inp: Input, summary: FileSummary) -> None:
        fixed = self._source_for_file(inp.name)
        is_csv = fixed is not None and fixed.name == "csv"
        docs = (read_csv if is_csv else read_json)(inp.stream, inp.name, self.encoding)
        posts: list[Post] = []
        deletions: list[Deletion] = []
        current: Source | None = fixed
        contexts: dict[str, ParseContext] = {}
        n = 0
        for doc in docs:
            n += 1
            if n % 256 == 0 and self.on_progress:
                self.on_progress(inp.position())
            if isinstance(doc, ReadError):
                self._reject(summary, inp.name, doc.line, "$", doc.reason, raw=doc.raw)
                continue
            source = current if current is not None and (fixed is not None or _sniffs(current, doc)) else None
            if source is None:
                source = sources.detect(doc.value)
                if source is None:
                    reason = api_error_message(doc.value) or _unknown_format(doc.value)
                    self._reject(summary, inp.name, doc.line, "$", reason, record=doc.value)
                    continue
                current = source
            if summary.format == "-":
                summary.format = source.name
            elif source.name not in summary.format.split("+"):
                summary.format += "+" + source.name
            ctx = contexts.get(source.name) or contexts.setdefault(
                source.name, source.context(self.pseudonymize, self.keep_raw))
            for item in _safe_parse(source, doc, ctx):
                if isinstance(item, Post):
                    summary.read += 1
                    posts.append(item)
                elif isinstance(item, Deletion):
                    summary.read += 1
                    deletions.append(item)
                elif isinstance(item, Skip):
                    summary.read += 1
                    summary.skipped += 1
                elif item.severity == "warning":
                    self._warn(summary, inp.name, doc.line, item)
                else:
                    summary.read += 1
                    self._reject(summary, inp.name, doc.line, item.path, item.reason, record=item.record)
            for warning in ctx.warnings:
                self._warn(summary, inp.name, doc.line, warning)
            ctx.warnings.clear()
            if len(posts) >= self.batch_size:
                self._flush(posts, deletions, summary)
        self._flush(posts, deletions, summary)
        if self.on_progress:
            self.on_progress(inp.position())
        if n == 0:
            summary.messages.append("empty input: no records")

    def _flush(self, posts: list[Post], deletions: list[Deletion], summary: FileSummary) -> None:
        # Posts before deletions: a delete later in the same input must win over the create before it.
        if posts:
            summary.add(self.store.upsert_posts(self.workspace, posts))
            posts.clear()
        if deletions:
            summary.add(self.store.apply_deletions(self.workspace, deletions))
            deletions.clear()

    def _reject(self, summary: FileSummary, file: str, line: int | None, path: str, reason: str,
                record: Any = None, raw: bytes | None = None) -> None:
        summary.rejected += 1
        if len(summary.messages) < MAX_MESSAGES:
            summary.messages.append(f"{file}:{line}: {path}: {reason}")
        self.rejects.write(file=file, line=line, path=path, reason=reason, severity="error", record=record, raw=raw)

    def _warn(self, summary: FileSummary, file: str, line: int | None, item: Reject) -> None:
        summary.warnings += 1
        if len(summary.messages) < MAX_MESSAGES:
            summary.messages.append(f"{file}:{line}: {item.path}: warning: {item.reason}")
        self.rejects.write(file=file, line=line, path=item.path, reason=item.reason, severity="warning",
                           record=item.record)


def _sniffs(source: Source, doc: Doc) -> bool:
    try:
        return source.sniff(doc.value)
    except Exception:
        return False


def _safe_parse(source: Source, doc: Doc, ctx: ParseContext) -> Iterator[Post | Deletion | Reject | Skip]:
    """A source's items; a failure outside its per-item guard rejects what is left of the document."""
    try:
        yield from source.parse(doc.value, ctx)
    except RecordError as exc:
        yield Reject(exc.path, exc.reason, doc.value)
    except Exception as exc:  # a bug or an unforeseen shape must not stop the other documents
        yield Reject("$", f"{source.name} could not read this document ({type(exc).__name__}: {exc})", doc.value)


def _unknown_format(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:8])
        return f"unknown format: no source format recognises an object with keys {{{keys}}}; use --format"
    if isinstance(value, list):
        return "unknown format: no source format recognises this array; use --format"
    return f"unknown format: a bare {type(value).__name__} is not a post; use --format"

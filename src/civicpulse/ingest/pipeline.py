"""The ingest pipeline: inputs -> documents -> detected source -> posts/deletions -> store, rejects aside.

Memory stays flat: documents stream from the reader within the limits of `Limits`, posts are flushed to the
store in batches bounded in count and bytes, and only per-file counters are kept. Whatever one record holds,
it is rejected alone: posts are checked at the schema boundary (validate.py), and a batch the store still
refuses is split until the post that causes it is found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from civicpulse import sources
from civicpulse.ingest.batch import Batch, StoreRefusal
from civicpulse.ingest.limits import Limits
from civicpulse.ingest.pseudonymize import Pseudonymizer
from civicpulse.ingest.reader import (
    Doc,
    Input,
    InputError,
    ReadError,
    read_json,
)
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.ingest.tabular import Dialect, is_tabular, read_rows
from civicpulse.ingest.validate import CheckedContext
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
    """A whole input cannot be ingested (no format detected, missing mapping, cannot be opened)."""


class _GarbageStop(Exception):
    """Most of what a file held so far was rejected: the rest is not read."""


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
    started_at: datetime | None = field(default=None, repr=False)
    finished_at: datetime | None = field(default=None, repr=False)
    outcomes: int = field(default=0, repr=False)  # records read or rejected: what the garbage guard weighs

    def add(self, counts: UpsertCounts) -> None:
        self.stored += counts.stored
        self.updated += counts.updated
        self.unchanged += counts.unchanged + counts.suppressed
        self.deleted += counts.deleted

    def run_record(self, workspace: str, run_id: str) -> dict[str, Any]:
        return {"run_id": run_id, "workspace": workspace, "source": self.file, "format": self.format,
                "started_at": self.started_at, "finished_at": self.finished_at, "read_count": self.read,
                **{k: getattr(self, k) for k in ("stored", "updated", "unchanged", "deleted", "rejected",
                                                 "warnings")}}


MAX_MESSAGES = 5
MAX_REASON_CHARS = 1_000


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
        file_mappings: dict[str, Mapping] | None = None,
        encoding: str = "utf-8",
        batch_size: int = BATCH_SIZE,
        limits: Limits | None = None,
        on_progress: Callable[[int], None] | None = None,
    ):
        self.store = store
        self.workspace = workspace
        info = store.ensure_workspace(workspace)
        self.keep_raw = info.keep_raw
        self.pseudonymize = pseudonymizer
        self.limits = limits or Limits()
        self.rejects = rejects
        if rejects.max_per_file is None:
            rejects.max_per_file = self.limits.max_rejects_per_file
        self.forced = sources.get(format_name) if format_name else None
        self.mapping = mapping
        self.file_mappings = file_mappings or {}  # per input, e.g. each browser upload's chosen columns
        self.encoding = encoding
        self.on_progress = on_progress
        self.batch = Batch(store, workspace, batch_size, self._store_refused)

    # ---------------------------------------------------------------------------------------------------
    def ingest(self, name: str) -> FileSummary:
        """One input, everything stored before returning."""
        (summary,) = self.ingest_files([name])
        return summary

    def ingest_files(self, names: list[str], on_file: Callable[[int, str], None] | None = None) -> list[FileSummary]:
        """Several inputs. Their posts share store batches (many small files cost one merge, not one each); every
        file keeps its own counts, messages and run record. A file that fails never stops the ones after it."""
        summaries = []
        for index, name in enumerate(names):
            if on_file:
                on_file(index, name)
            summary = FileSummary(file=name, started_at=_now())
            summaries.append(summary)
            self._ingest_one(name, summary)
            summary.finished_at = _now()
            self.batch.file_done(summary)
        self.batch.flush()
        return summaries

    def _ingest_one(self, name: str, summary: FileSummary) -> None:
        try:
            inp = Input(name, self.limits)
        except InputError as exc:
            self._file_error(summary, str(exc))
            return
        try:
            self._ingest_input(inp, summary)
        except FileError as exc:
            self._file_error(summary, str(exc))
        except _GarbageStop as exc:
            self._file_error(summary, f"{name}: {exc}")
        finally:
            inp.close()
        if summary.outcomes == 0 and summary.rejected == 0:
            summary.messages.append("empty input: no records")

    def _file_error(self, summary: FileSummary, message: str) -> None:
        summary.rejected += 1
        summary.messages.append(message)
        self.rejects.write(file=summary.file, line=None, path="$", reason=message, severity="error")

    def _source_for_file(self, name: str) -> Source | None:
        """The source for a whole file, or None to detect it per document.

        A forced format wins; CSV always needs a mapping; any other file with a mapping (`--mapping`, or
        NAME.mapping.toml beside it) is read as mapped JSON lines.
        """
        mapping = self.file_mappings.get(name, self.mapping)
        if mapping is None and name != "-" and (beside := mapping_beside(name)) is not None:
            try:
                mapping = Mapping.load(beside)
            except MappingError as exc:
                raise FileError(str(exc)) from None
        source = self.forced
        if source is None:
            if is_tabular(name):
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
        if fixed is not None and fixed.name == "csv":  # CSV/TSV or .xlsx rows; a mapping may name the dialect
            options = fixed.mapping.options if fixed.mapping else {}  # type: ignore[attr-defined]
            dialect = Dialect(options.get("encoding") or self.encoding, options.get("delimiter") or "")
            docs = read_rows(inp.stream, inp.name, dialect, self.limits)
        else:
            docs = read_json(inp.stream, inp.name, self.encoding, self.limits)
        current: Source | None = fixed
        contexts: dict[str, ParseContext] = {}
        n = 0
        for doc in docs:
            n += 1
            if n % 256 == 0 and self.on_progress:
                self.on_progress(inp.position())
            if isinstance(doc, ReadError):
                if doc.stop and len(summary.messages) >= MAX_MESSAGES:  # why a file stopped is always shown
                    summary.messages.append(f"{inp.name}:{doc.line}: $: {doc.reason}")
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
                source.name, CheckedContext.wrap(source.context(self.pseudonymize, self.keep_raw), self.limits))
            self._take_items(source, doc, ctx, summary, inp.name)
        if self.on_progress:
            self.on_progress(inp.position())

    def _take_items(self, source: Source, doc: Doc, ctx: ParseContext, summary: FileSummary, name: str) -> None:
        for item in _safe_parse(source, doc, ctx):
            if isinstance(item, Post):
                summary.read += 1
                summary.outcomes += 1
                self.batch.add_post(item, summary, doc.line)
            elif isinstance(item, Deletion):
                summary.read += 1
                summary.outcomes += 1
                self.batch.add_deletion(item, summary)
            elif isinstance(item, Skip):
                summary.read += 1
                summary.outcomes += 1
                summary.skipped += 1
            elif item.severity == "warning":
                self._warn(summary, name, doc.line, item)
            else:
                summary.read += 1
                self._reject(summary, name, doc.line, item.path, item.reason, record=item.record)
        for warning in ctx.warnings:
            self._warn(summary, name, doc.line, warning)
        ctx.warnings.clear()

    def _store_refused(self, refusal: StoreRefusal) -> None:
        summary = refusal.summary
        self._reject(summary, summary.file, refusal.line, "$", f"the store refused this post ({refusal.error}); "
                     f"{refusal.post.platform} post {refusal.post.post_id[:100]!r}", check_garbage=False)

    def _reject(self, summary: FileSummary, file: str, line: int | None, path: str, reason: str,
                record: Any = None, raw: Any = None, check_garbage: bool = True) -> None:
        reason = _bounded(reason)
        summary.rejected += 1
        summary.outcomes += 1
        if len(summary.messages) < MAX_MESSAGES:
            summary.messages.append(f"{file}:{line}: {path}: {reason}")
        self.rejects.write(file=file, line=line, path=path, reason=reason, severity="error", record=record, raw=raw)
        if check_garbage:
            self._check_garbage(summary, line)

    def _check_garbage(self, summary: FileSummary, line: int | None) -> None:
        seen, limits = summary.outcomes, self.limits
        if seen >= limits.garbage_after and summary.rejected >= limits.garbage_share * seen:
            raise _GarbageStop(
                f"stopped at line {line}: {summary.rejected:,} of the {seen:,} records read were rejected, so this "
                "does not look like a file of a supported format; the rest was not read (CIVICPULSE_GARBAGE_AFTER, "
                "CIVICPULSE_GARBAGE_SHARE)")

    def _warn(self, summary: FileSummary, file: str, line: int | None, item: Reject) -> None:
        summary.warnings += 1
        reason = _bounded(item.reason)
        if len(summary.messages) < MAX_MESSAGES:
            summary.messages.append(f"{file}:{line}: {item.path}: warning: {reason}")
        self.rejects.write(file=file, line=line, path=item.path, reason=reason, severity="warning",
                           record=item.record)


def _bounded(reason: str) -> str:
    """A reason can quote the bad value; a value can be megabytes long."""
    return reason if len(reason) <= MAX_REASON_CHARS else reason[:MAX_REASON_CHARS] + "…"


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
        keys = ", ".join(str(k)[:40] for k in list(value)[:8])
        return f"unknown format: no source format recognises an object with keys {{{keys}}}; use --format"
    if isinstance(value, list):
        return "unknown format: no source format recognises this array; use --format"
    return f"unknown format: a bare {type(value).__name__} is not a post; use --format"

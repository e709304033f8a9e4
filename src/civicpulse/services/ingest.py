"""Ingest files into a workspace: the one wiring behind `civicpulse ingest`, browser uploads and handed-over jobs.

Formats are detected per file (or forced), authors pseudonymized with the workspace's key, rejected records
written to a rejects file; a file that cannot be read is reported in its summary and the files after it are still
imported. Posts past the workspace's retention do not come back by being imported again.
"""

from __future__ import annotations

import codecs
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civicpulse.ingest.limits import Limits
from civicpulse.ingest.pipeline import FileSummary, Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.services.options import Options, OptionsError, check_int
from civicpulse.sources.generic import Mapping
from civicpulse.store.base import Store

MAX_BATCH = 1_000_000
IMPORT_BATCH_ENV = "CIVICPULSE_IMPORT_BATCH"  # the server's batch size when a job names none (docs/server.md)


@dataclass(frozen=True)
class IngestOptions(Options):
    """What to ingest and how. `names` are the files as the user named them (uploads, stdin) when `paths` are
    server paths; `uploaded` is the upload folder, deleted once ingested (raw data, authors included)."""

    paths: tuple[str, ...]
    names: tuple[str, ...] | None = None
    format: str | None = None
    mapping: str | None = None  # a TOML column mapping for CSV/JSONL
    file_mappings: dict[str, dict[str, Any]] = field(default_factory=dict)  # per path: a mapping as data
    encoding: str = "utf-8"
    batch_size: int | None = None
    limits: dict[str, Any] = field(default_factory=dict)  # over the environment's limits on input
    rejects: str | None = None  # where rejected records go (default: chosen by the caller)
    uploaded: str | None = None
    analyze: bool = True  # jobs: analyse the workspace afterwards

    def __post_init__(self) -> None:
        if not self.paths:
            raise OptionsError("an ingest needs paths")
        if self.names is not None and len(self.names) != len(self.paths):
            raise OptionsError("names must match paths one to one")
        if self.format:
            from civicpulse import sources

            try:
                sources.get(self.format)
            except KeyError as exc:
                raise OptionsError(exc.args[0]) from None
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise OptionsError(f"unknown encoding {self.encoding!r}") from None
        check_int("batch_size", self.batch_size, 1, MAX_BATCH)
        self.input_limits()  # LimitError (a ValueError) names the bad limit

    @property
    def shown_names(self) -> tuple[str, ...]:
        return self.names or self.paths

    def input_limits(self) -> Limits:
        """The environment's limits on input, then these options' (a handed-over `civicpulse ingest --limit`)."""
        return Limits.from_env(**self.limits)

    def ingest_batch(self) -> int | None:
        if self.batch_size:
            return self.batch_size
        return int(os.environ[IMPORT_BATCH_ENV]) if os.environ.get(IMPORT_BATCH_ENV) else None


@dataclass
class IngestOutcome:
    summaries: list[FileSummary]
    rejects: RejectWriter  # closed; its path, count and error (e.g. a full disk) tell what was written
    expired: dict[str, Any] | None  # what the workspace's retention deleted afterwards


def rejects_file(folder: Path, workspace: str, suffix: str = "") -> Path:
    """A new rejects file for one ingest: FOLDER/WORKSPACE-TIME[-SUFFIX].jsonl."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return folder / f"{workspace}-{stamp}{'-' + suffix if suffix else ''}.jsonl"


def ingest(store: Store, workspace: str, options: IngestOptions, *, keys_dir: Path, rejects: Path, user: str,
           on_file: Callable[[int, str], None] = lambda index, path: None,
           on_progress: Callable[[int], None] | None = None,
           shown: Callable[[str], str] | None = None) -> IngestOutcome:
    """Ingest `options.paths` into `workspace`. `on_file(index, path)` is called as each file starts and
    `on_progress(bytes read)` as it is read; `shown` rewrites file names and reasons in the rejects file (uploads
    are named as the user sent them)."""
    from civicpulse.lifecycle import apply_workspace_retention

    limits = options.input_limits()
    writer = RejectWriter(options.rejects or rejects, limits.max_rejects_per_file, shown=shown)
    try:
        key = KeyStore(keys_dir).load(workspace)
        mappings = {path: Mapping.from_dict(data, origin=name)
                    for path, name in zip(options.paths, options.shown_names, strict=True)
                    if (data := options.file_mappings.get(path))}
        extra: dict[str, Any] = {"batch_size": batch} if (batch := options.ingest_batch()) else {}
        ingestor = Ingestor(store, workspace, Pseudonymizer(key), writer, format_name=options.format,
                            mapping=Mapping.load(options.mapping) if options.mapping else None,
                            file_mappings=mappings, encoding=options.encoding, limits=limits,
                            on_progress=on_progress, **extra)
        summaries = ingestor.ingest_files(list(options.paths), on_file)
    finally:
        writer.close()
        if options.uploaded:  # browser uploads are raw platform data, authors included: gone once ingested
            shutil.rmtree(options.uploaded, ignore_errors=True)
    expired = apply_workspace_retention(store, workspace, user, audit_empty=False)
    return IngestOutcome(summaries, writer, expired)

"""The `civicpulse` command line.

Exit status: 0 when everything landed, 2 when some records were rejected (they are in the rejects file),
1 on a fatal error (bad arguments, unreadable store or input). Errors are one clear line, never a traceback.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from civicpulse import __version__, sources
from civicpulse.export import FORMATS as EXPORT_FORMATS
from civicpulse.export import check_export, export_posts
from civicpulse.ingest.limits import LimitError, Limits
from civicpulse.ingest.pipeline import FileSummary
from civicpulse.ingest.pseudonymize import KeyFileError, KeyStore
from civicpulse.ingest.reader import InputError, expand
from civicpulse.services.options import OptionsError
from civicpulse.sources.generic import Mapping, MappingError
from civicpulse.store import Store, validate_workspace_name

EXIT_REJECTED = 2
# Wide enough for file paths when output goes to a file or CI log (rich assumes 80 columns there).
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
out = Console(width=None if sys.stdout.isatty() else 200)


class Fatal(click.ClickException):
    """One-line error, exit status 1."""

    def show(self, file: object = None) -> None:
        err.print(f"[bold red]error:[/] {self.message}", highlight=False)


class State:
    def __init__(self, db: str, keys_dir: str | None):
        self.db = db
        self._keys_dir = Path(keys_dir) if keys_dir else None
        self._store: Store | None = None

    @property
    def keys_dir(self) -> Path:
        """The pseudonym-key folder: --keys-dir, else DB.keys beside a DuckDB file. A database server has no
        folder beside it (the URL would become a path, password and all), so a postgresql:// store needs one named."""
        if self._keys_dir is not None:
            return self._keys_dir
        from civicpulse.store import is_postgres_url

        if is_postgres_url(self.db):
            raise Fatal("a postgresql:// store needs --keys-dir (or CIVICPULSE_KEYS_DIR): the pseudonym keys live in "
                        "a folder, not in the database")
        return Path(f"{self.db}.keys")

    def store(self) -> Store:
        """The store, opened on first use; waits while another civicpulse process holds it (see handoff.py)."""
        if self._store is None:
            from civicpulse.cli_serve import open_waiting

            self._store = open_waiting(self.db)
        return self._store

    def adopt(self, store: Store) -> None:
        """Take a store the hand-off code opened (when no server was there to take the work)."""
        self._store = store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _workspace(name: str) -> str:
    try:
        return validate_workspace_name(name)
    except ValueError as exc:
        raise Fatal(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--db", envvar="CIVICPULSE_DB", default="civicpulse.duckdb", show_default=True,
              help="Store: a DuckDB file path (env CIVICPULSE_DB).")
@click.option("--keys-dir", envvar="CIVICPULSE_KEYS_DIR", default=None,
              help="Folder of per-workspace pseudonymization keys, kept outside the database "
                   "(env CIVICPULSE_KEYS_DIR; default: DB.keys beside the store).")
@click.version_option(__version__, prog_name="civicpulse")
@click.pass_context
def main(ctx: click.Context, db: str, keys_dir: str | None) -> None:
    """civicpulse: privacy-first public-opinion analytics for social media."""
    state = State(db, keys_dir)
    ctx.obj = state
    ctx.call_on_close(state.close)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-w", "--workspace", required=True, help="Workspace to ingest into (created if new).")
@click.option("-f", "--format", "format_name", default=None,
              help="Force a format instead of detecting it (see `civicpulse formats`).")
@click.option("--mapping", type=click.Path(dir_okay=False), default=None,
              help="Column mapping (TOML) for CSV/JSONL; NAME.mapping.toml beside a file is used automatically.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the inputs.")
@click.option("--rejects", type=click.Path(dir_okay=False), default=None,
              help="Where rejected records go as JSON lines (default: DB.rejects/WORKSPACE-TIME.jsonl).")
@click.option("--batch-size", default=20_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--limit", "limit_options", multiple=True, metavar="NAME=VALUE",
              help="Change a limit on input, e.g. max-line-bytes=16MiB (repeatable; env CIVICPULSE_MAX_LINE_BYTES "
                   "& co.; see 'Limits on input' in docs/formats.md).")
@click.pass_obj
def ingest(state: State, paths: tuple[str, ...], workspace: str, format_name: str | None, mapping: str | None,
           encoding: str, rejects: str | None, batch_size: int, progress: bool | None,
           limit_options: tuple[str, ...]) -> None:
    """Ingest files, folders (recursively), `-` for stdin; `.gz` is read transparently.

    Formats are detected per file; posts are normalized, authors pseudonymized, and re-ingesting the same
    data changes nothing.
    """
    from civicpulse.services.ingest import IngestOptions, ingest, rejects_file

    workspace = _workspace(workspace)
    try:
        files = expand(list(paths))
        if mapping:
            Mapping.load(mapping)  # read now: a bad mapping stops the command before anything is stored
        options = IngestOptions(tuple(files), format=format_name, mapping=mapping, encoding=encoding,
                                batch_size=batch_size, limits=Limits.from_env(**Limits.parse_options(limit_options))
                                .to_dict(), rejects=rejects, analyze=False)
        KeyStore(state.keys_dir).load(workspace)
    except (InputError, MappingError, KeyFileError, LimitError, OptionsError) as exc:
        raise Fatal(str(exc)) from None
    rejects_path = Path(rejects) if rejects else rejects_file(Path(f"{state.db}.rejects"), workspace)
    options = replace(options, rejects=str(rejects_path))
    show_progress = sys.stderr.isatty() if progress is None else progress
    from civicpulse.cli_serve import hand_over_ingest

    summaries = hand_over_ingest(state, workspace, options, show_progress)
    rejects_error = None
    if summaries is None:  # no server running: this process holds the store now
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=err, disable=not show_progress, transient=True) as bar:
            task = bar.add_task("", total=None)

            def next_file(index: int, name: str) -> None:
                if show_progress:
                    size = None if name == "-" else os.path.getsize(name)
                    bar.reset(task, total=size, description=Path(name).name if name != "-" else "stdin")

            done = ingest(state.store(), workspace, options, keys_dir=state.keys_dir, rejects=rejects_path,
                          user=getpass.getuser(), on_file=next_file,
                          on_progress=lambda pos: bar.update(task, completed=pos))
        summaries, rejects_error = done.summaries, done.rejects.error
    _print_summary(summaries)
    rejected = sum(s.rejected for s in summaries)
    warnings = sum(s.warnings for s in summaries)
    if rejected or warnings:
        err.print(f"{rejected} rejected, {warnings} warnings; details in {rejects_path}", highlight=False)
    if rejects_error:
        err.print(f"[bold red]error:[/] {rejects_error}", highlight=False)
    if rejected:
        sys.exit(EXIT_REJECTED)


SUMMARY_COLUMNS = ("read", "stored", "updated", "unchanged", "deleted", "skipped", "rejected", "warnings")
# Past this many files the summary is printed as plain aligned text: a rich table costs milliseconds a row.
PLAIN_SUMMARY_AFTER = 100


def _print_summary(summaries: list[FileSummary]) -> None:
    common = os.path.commonpath([os.path.dirname(os.path.abspath(s.file)) for s in summaries if s.file != "-"] or ["/"])
    rows = [[s.file if s.file == "-" else os.path.relpath(os.path.abspath(s.file), common), s.format,
             *(str(getattr(s, c)) for c in SUMMARY_COLUMNS)] for s in summaries]
    total = ["total", "", *(str(sum(getattr(s, c) for s in summaries)) for c in SUMMARY_COLUMNS)]
    if len(summaries) > PLAIN_SUMMARY_AFTER:
        _print_plain_summary(rows, total)
    else:
        table = Table(title="ingest summary", title_justify="left")
        table.add_column("file", overflow="fold")
        table.add_column("format")
        for c in SUMMARY_COLUMNS:
            table.add_column(c, justify="right")
        for row in rows:
            table.add_row(*row)
        if len(summaries) > 1:
            table.add_row(*total, style="bold")
        out.print(table)
    for s in summaries:
        for message in s.messages:
            err.print(f"  {message}", highlight=False, markup=False)


def _print_plain_summary(rows: list[list[str]], total: list[str]) -> None:
    header = ["file", "format", *SUMMARY_COLUMNS]
    widths = [max(len(r[i]) for r in (header, total, *rows)) for i in range(len(header))]
    lines = ["ingest summary"]
    for row in (header, *rows, total):
        lines.append("  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
    out.file.write("\n".join(lines) + "\n")
    out.file.flush()


@main.command("export")
@click.option("-w", "--workspace", required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option("-o", "--out", default=None, help="Output file (default: stdout; required for parquet).")
@click.option("--with-analysis", is_flag=True,
              help="Add language (detected), sentiment, sentiment_score, emotion, topics and places columns.")
@click.pass_obj
def export_cmd(state: State, workspace: str, fmt: str, out: str | None, with_analysis: bool) -> None:
    """Write a workspace's normalized posts (fields as in docs/schema.md); answered by the server while one runs."""
    from civicpulse.cli_serve import export_through, server_holding

    workspace = _workspace(workspace)
    try:
        check_export(fmt, out)
    except ValueError as exc:
        raise Fatal(str(exc)) from None
    server = server_holding(state)
    if server is not None:
        export_through(server, workspace, fmt, out, with_analysis)
        err.print(f"exported the posts of {workspace}" + (f" to {out}" if out else ""), highlight=False)
        return
    store = state.store()
    if store.get_workspace(workspace) is None:
        raise Fatal(f"no workspace {workspace!r} in {state.db}")
    try:
        count = export_posts(store, workspace, fmt, out, with_analysis)
    except (ValueError, OSError) as exc:
        raise Fatal(str(exc)) from None
    store.audit(getpass.getuser(), workspace, "export",
                f"format={fmt} posts={count} with_analysis={with_analysis} out={out or 'stdout'}")
    err.print(f"exported {count} posts from {workspace}" + (f" to {out}" if out else ""), highlight=False)


@main.group(invoke_without_command=True)
@click.pass_context
def workspaces(ctx: click.Context) -> None:
    """List workspaces (or create / configure one)."""
    if ctx.invoked_subcommand is None:
        store = ctx.obj.store()
        table = Table("workspace", "created", "keep raw", "posts")
        counts = store.stats()["by"]["workspace"]
        for w in store.list_workspaces():
            table.add_row(w.name, f"{w.created_at:%Y-%m-%d %H:%M}", "yes" if w.keep_raw else "no",
                          str(counts.get(w.name, 0)))
        out.print(table)


@workspaces.command("create")
@click.argument("name")
@click.option("--keep-raw/--no-keep-raw", default=False, show_default=True,
              help="Keep raw payloads (author fields removed) beside normalized posts.")
@click.pass_obj
def workspaces_create(state: State, name: str, keep_raw: bool) -> None:
    """Create a workspace and its pseudonymization key."""
    store = state.store()
    if store.get_workspace(_workspace(name)) is not None:
        raise Fatal(f"workspace {name!r} already exists")
    store.ensure_workspace(name, keep_raw=keep_raw)
    KeyStore(state.keys_dir).load(name)
    err.print(f"created workspace {name}", highlight=False)


@workspaces.command("set")
@click.argument("name")
@click.option("--keep-raw/--no-keep-raw", default=None, help="Keep scrubbed raw payloads.")
@click.option("--min-authors", type=int, default=None,
              help="Suppress any figure resting on fewer distinct authors (default 10, never below 5).")
@click.option("--retention-days", type=click.IntRange(0, 36_500), default=None,
              help="Delete posts older than this many days (daily, by the server or `retention apply`); 0: keep "
                   "them forever (the default).")
@click.option("--timezone", "timezone", default=None,
              help="IANA time zone of the workspace's days and hours (default Asia/Ho_Chi_Minh), e.g. UTC.")
@click.pass_obj
def workspaces_set(state: State, name: str, keep_raw: bool | None, min_authors: int | None,
                   retention_days: int | None, timezone: str | None) -> None:
    """Change a workspace's settings."""
    from civicpulse.analytics.localtime import set_timezone, validate_timezone
    from civicpulse.analytics.privacy import set_k

    store = state.store()
    if store.get_workspace(_workspace(name)) is None:
        raise Fatal(f"no workspace {name!r}")
    if keep_raw is None and min_authors is None and retention_days is None and timezone is None:
        raise Fatal("nothing to change: give --keep-raw/--no-keep-raw, --min-authors, --retention-days and/or "
                    "--timezone")
    if timezone is not None:  # checked before anything else changes
        try:
            validate_timezone(timezone)
        except ValueError as exc:
            raise Fatal(str(exc)) from None
    if retention_days is not None:
        from civicpulse.lifecycle import set_workspace_retention

        set_workspace_retention(store, name, retention_days or None)
        store.audit(getpass.getuser(), name, "settings.retention", f"days={retention_days or None}")
    if keep_raw is not None:
        store.set_keep_raw(name, keep_raw)
    if min_authors is not None:
        try:
            set_k(store, name, min_authors)
        except ValueError as exc:
            raise Fatal(str(exc)) from None
        store.audit(getpass.getuser(), name, "workspaces.set", f"min_authors={min_authors}")
    if timezone is not None:
        set_timezone(store, name, timezone)
        store.audit(getpass.getuser(), name, "settings.timezone", timezone)


@main.command()
@click.option("-w", "--workspace", default=None, help="One workspace (default: all).")
@click.pass_obj
def stats(state: State, workspace: str | None) -> None:
    """Counts of stored posts by workspace, platform, kind, detected language and format."""
    from civicpulse.cli_serve import stats_for

    s = stats_for(state, workspace)
    out.print(f"posts: {s['posts']}  deleted: {s['deleted']}  edited: {s['edited']}  "
              f"distinct authors: {s['distinct_authors']}")
    if s["first_post_at"]:
        out.print(f"from {s['first_post_at']:%Y-%m-%d %H:%M} to {s['last_post_at']:%Y-%m-%d %H:%M} UTC")
    for column, counts in s["by"].items():
        if counts:
            name = "language (detected)" if column == "language" else column
            out.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()), highlight=False)


@main.command("formats")
def formats_cmd() -> None:
    """The input formats civicpulse reads, in detection order."""
    table = Table("format", "platform", "description")
    for name, source in sources.formats().items():
        table.add_row(name, source.platform, source.description)
    out.print(table)


@main.group()
def keys() -> None:
    """Pseudonymization keys (kept outside the database)."""


@keys.command("rotate")
@click.option("-w", "--workspace", required=True)
@click.option("--destroy-old", is_flag=True, help="Delete the old key instead of keeping it as retired.")
@click.pass_obj
def keys_rotate(state: State, workspace: str, destroy_old: bool) -> None:
    """New key for new ingests; authors seen afterwards get pseudonyms unlinkable to the old ones."""
    try:
        key = KeyStore(state.keys_dir).rotate(_workspace(workspace), keep_retired=not destroy_old)
    except KeyFileError as exc:
        raise Fatal(str(exc)) from None
    state.store().audit(getpass.getuser(), workspace, "keys.rotate", f"version={key.version}")
    err.print(f"workspace {workspace}: key version {key.version} is now in use", highlight=False)


# The analysis and administration commands live in their own modules and register themselves on `main`.
from civicpulse import cli_admin as _cli_admin  # noqa: E402,F401
from civicpulse import cli_analysis as _cli_analysis  # noqa: E402,F401
from civicpulse import cli_backup as _cli_backup  # noqa: E402,F401
from civicpulse import cli_collect as _cli_collect  # noqa: E402,F401
from civicpulse import cli_migrate as _cli_migrate  # noqa: E402,F401
from civicpulse import cli_retention as _cli_retention  # noqa: E402,F401
from civicpulse import cli_rollups as _cli_rollups  # noqa: E402,F401
from civicpulse import cli_serve as _cli_serve  # noqa: E402,F401
from civicpulse import cli_worker as _cli_worker  # noqa: E402,F401

if __name__ == "__main__":
    main()

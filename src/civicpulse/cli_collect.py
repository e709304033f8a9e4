"""Live-collection commands: `sources add|list|show|pause|resume|remove|test` and `collect [--once]`.

Exit status of `collect --once`: 0 when every due source ran (a rate-limited source that will resume later is
not a failure), 2 when a source failed. Credentials are read from a file, sealed, and never printed again.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

import click
from rich.table import Table

from civicpulse import collect
from civicpulse.cli import EXIT_REJECTED, Fatal, State, _workspace, err, main, out
from civicpulse.collect.base import Credentials, TargetError
from civicpulse.collect.credentials import CredentialBox, CredentialError, load_credentials_file
from civicpulse.collect.http import CollectError
from civicpulse.collect.schedule import ScheduleError, format_every, next_run, parse_every
from civicpulse.collect.service import Collector, RunSummary
from civicpulse.collect.sources import SourceError, SourceRecord, SourceRegistry, utcnow
from civicpulse.handoff import live_server
from civicpulse.runtime.collection import CollectionRuntime, workers_from_env

IDLE_POLL_SECONDS = 3600.0


def _collector(state: State) -> Collector:
    return Collector(state.store(), state.keys_dir, Path(f"{state.db}.collect"), Path(f"{state.db}.rejects"))


def _registry(state: State) -> SourceRegistry:
    return SourceRegistry(state.store(), CredentialBox(state.keys_dir))


def _api_base(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("https://", "http://")) or len(value) > 300:
        raise Fatal(f"--api-base {value!r}: expected an http(s) URL, e.g. https://mastodon.example")
    return value.rstrip("/")


def _test_connection(collector: Collector, platform: str, api_base: str | None, creds: Credentials,
                     target: str) -> str:
    client = collector.client(platform, api_base)
    collector.prepare(client, platform, creds)
    try:
        return collect.get(platform).test(client, creds, target)
    except CollectError as exc:
        raise Fatal(f"connection test failed: {exc}") from None
    finally:
        client.close()


@main.group("sources")
def sources_group() -> None:
    """Live-collection sources: a platform, a credential, a target (a query or public venue) and a schedule."""


@sources_group.command("add")
@click.option("-w", "--workspace", required=True)
@click.option("--platform", required=True, help="One of the connectors (see docs/collection.md).")
@click.option("--target", required=True, help="A query or public venue: #tag, public, 'a search', r/sub ...")
@click.option("--api-base", default=None, help="Another host for the API: a Mastodon instance, a proxy, a test server.")
@click.option("--credentials", "credentials_file", type=click.Path(dir_okay=False), default=None,
              help='JSON file with the platform\'s own key names, e.g. {"bearer_token": "..."}.')
@click.option("--every", default="15m", show_default=True, help="Schedule: 15m, 2h, 1d.")
@click.option("--test/--no-test", "run_test", default=True, show_default=True,
              help="Check the credentials and target with one request before saving.")
@click.pass_obj
def sources_add(state: State, workspace: str, platform: str, target: str, api_base: str | None,
                credentials_file: str | None, every: str, run_test: bool) -> None:
    """Add a source; prints its id. The credentials are encrypted at rest and never shown again."""
    workspace = _workspace(workspace)
    try:
        connector = collect.get(platform)
        every_seconds = parse_every(every)
        target = connector.validate_target(target)
        creds = load_credentials_file(credentials_file) if credentials_file else Credentials()
        connector.check_credentials(creds)
    except KeyError as exc:
        raise Fatal(exc.args[0]) from None
    except (TargetError, ScheduleError, CredentialError) as exc:
        raise Fatal(str(exc)) from None
    base = _api_base(api_base)
    collector = _collector(state)
    if run_test:
        err.print(_test_connection(collector, platform, base, creds, target), highlight=False, markup=False)
    label = Path(credentials_file).name if credentials_file else None
    actor = getpass.getuser()
    record = collector.registry.add(workspace, platform, target, creds=creds, every_seconds=every_seconds,
                                    api_base=base, label=label, actor=actor)
    state.store().audit(actor, workspace, "sources.add",
                        f"source={record.source_id} platform={platform} target={target} api_base={base or '-'} "
                        f"credential={label or '-'}")
    click.echo(record.source_id)


def _next_run_text(state: State, source: SourceRecord) -> str:
    if source.paused:
        return "paused"
    if collect.get(source.platform).continuous:
        return "continuous"  # a stream has no schedule: the server keeps it open
    last = _registry(state).last_run(source.source_id)
    due = next_run(last.started_at if last else None, source.every_seconds, source.not_before)
    return "now" if due is None or due <= utcnow() else f"{due:%Y-%m-%d %H:%M}"


@sources_group.command("list")
@click.option("-w", "--workspace", default=None, help="Only this workspace's sources.")
@click.pass_obj
def sources_list(state: State, workspace: str | None) -> None:
    """Sources with their health: last run, posts fetched / stored / rejected, errors, quota left, next run."""
    registry = _registry(state)
    table = Table("id", "workspace", "platform", "target", "every", "last run", "status", "fetched", "stored",
                  "rejected", "quota left", "next run", "error")
    for source in registry.list(_workspace(workspace) if workspace else None):
        run = registry.last_run(source.source_id)
        table.add_row(source.source_id, source.workspace, source.platform, source.target,
                      format_every(source.every_seconds),
                      f"{run.started_at:%Y-%m-%d %H:%M}" if run else "never", run.status if run else "-",
                      *(str(getattr(run, c) or 0) if run else "-" for c in ("fetched", "stored", "rejected")),
                      (run.quota_left or "-") if run else "-", _next_run_text(state, source),
                      (run.error or "") if run else "")
    out.print(table)


@sources_group.command("show")
@click.option("-w", "--workspace", required=True)
@click.argument("source_id")
@click.pass_obj
def sources_show(state: State, workspace: str, source_id: str) -> None:
    """One source's settings and last run (never its credentials)."""
    registry = _registry(state)
    source = _get(registry, workspace, source_id)
    run = registry.last_run(source_id)
    keys = sorted(registry.credentials(source_id).values) if _readable(registry, source_id) else ["(unreadable)"]
    lines = [("id", source.source_id), ("workspace", source.workspace), ("platform", source.platform),
             ("target", source.target), ("api base", source.api_base or collect.get(source.platform).default_api_base),
             ("every", format_every(source.every_seconds)), ("paused", "yes" if source.paused else "no"),
             ("credential", f"{source.credential_label or '-'} (keys: {', '.join(keys) or 'none'})"),
             ("added", f"{source.created_at:%Y-%m-%d %H:%M} by {source.created_by}"),
             ("next run", _next_run_text(state, source))]
    if run:
        lines += [("last run", f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.status}"),
                  ("pages / fetched / stored / updated / rejected",
                   f"{run.pages} / {run.fetched} / {run.stored} / {run.updated} / {run.rejected}"),
                  ("quota left", run.quota_left or "-"), ("error", run.error or "-")]
    for name, value in lines:
        out.print(f"{name}: {value}", highlight=False, markup=False)


def _readable(registry: SourceRegistry, source_id: str) -> bool:
    try:
        registry.credentials(source_id)
    except CredentialError:
        return False
    return True


def _get(registry: SourceRegistry, workspace: str, source_id: str) -> SourceRecord:
    try:
        return registry.get(_workspace(workspace), source_id)
    except SourceError as exc:
        raise Fatal(str(exc)) from None


def _set_paused(state: State, workspace: str, source_id: str, paused: bool) -> None:
    registry = _registry(state)
    _get(registry, workspace, source_id)
    registry.set_paused(workspace, source_id, paused)
    action = "pause" if paused else "resume"
    state.store().audit(getpass.getuser(), workspace, f"sources.{action}", f"source={source_id}")
    err.print(f"source {source_id} {'paused' if paused else 'resumed'}", highlight=False)


@sources_group.command("pause")
@click.option("-w", "--workspace", required=True)
@click.argument("source_id")
@click.pass_obj
def sources_pause(state: State, workspace: str, source_id: str) -> None:
    """Stop collecting from a source (its cursor is kept)."""
    _set_paused(state, workspace, source_id, True)


@sources_group.command("resume")
@click.option("-w", "--workspace", required=True)
@click.argument("source_id")
@click.pass_obj
def sources_resume(state: State, workspace: str, source_id: str) -> None:
    """Collect from a paused source again, from where it stopped."""
    _set_paused(state, workspace, source_id, False)


@sources_group.command("remove")
@click.option("-w", "--workspace", required=True)
@click.argument("source_id")
@click.pass_obj
def sources_remove(state: State, workspace: str, source_id: str) -> None:
    """Remove a source, its credentials, cursor and run history (collected posts stay)."""
    registry = _registry(state)
    source = _get(registry, workspace, source_id)
    registry.remove(workspace, source_id)
    state.store().audit(getpass.getuser(), workspace, "sources.remove",
                        f"source={source_id} platform={source.platform} target={source.target}")
    err.print(f"source {source_id} removed", highlight=False)


@sources_group.command("test")
@click.option("-w", "--workspace", required=True)
@click.argument("source_id")
@click.pass_obj
def sources_test(state: State, workspace: str, source_id: str) -> None:
    """Check a saved source's credentials and target with one request (nothing is stored)."""
    collector = _collector(state)
    source = _get(collector.registry, workspace, source_id)
    try:
        creds = collector.registry.credentials(source_id)
    except CredentialError as exc:
        raise Fatal(str(exc)) from None
    out.print(_test_connection(collector, source.platform, source.api_base, creds, source.target), highlight=False,
              markup=False)


def _print_runs(summaries: list[RunSummary]) -> None:
    table = Table(title="collect summary", title_justify="left")
    for column in ("source", "platform", "target", "status", "pages", "fetched", "stored", "updated", "unchanged",
                   "rejected", "quota left"):
        table.add_column(column, justify="right" if column in ("pages", "fetched", "stored", "updated", "unchanged",
                                                                 "rejected") else "left")
    for s in summaries:
        table.add_row(s.source_id, s.platform, s.target, s.status, *(str(getattr(s, c)) for c in
                      ("pages", "fetched", "stored", "updated", "unchanged", "rejected")), s.quota_left or "-")
    out.print(table)
    for s in summaries:
        if s.error:
            err.print(f"  {s.source_id} ({s.platform}): {s.error}", highlight=False, markup=False)


@main.command("collect")
@click.option("-w", "--workspace", default=None, help="Only this workspace's sources (default: all).")
@click.option("--once", is_flag=True, help="Run every due source once and exit (for cron and tests).")
@click.option("--now", "ignore_schedule", is_flag=True,
              help="With --once: run every active source now, due or not (a manual refresh).")
@click.pass_obj
def collect_cmd(state: State, workspace: str | None, once: bool, ignore_schedule: bool) -> None:
    """Fetch from the due sources into their workspaces; without --once, keep going on their schedules."""
    ws = _workspace(workspace) if workspace else None
    if ignore_schedule and not once:
        raise Fatal("--now goes with --once")
    if once:
        _collect_once(state, ws, ignore_schedule)
        return
    server = live_server(state.db)
    if server is not None:
        raise Fatal(f"the civicpulse server at {server.url} (pid {server.pid}) already runs the sources of {state.db} "
                    "on their schedules; use `collect --once` to run the due ones now")
    # The server's runtime, in this process: the same schedules, pool, backoff and stream supervision.
    runtime = CollectionRuntime(state.store(), state.keys_dir, Path(f"{state.db}.collect"),
                                Path(f"{state.db}.rejects"), workspace=ws, workers=workers_from_env(),
                                on_run=lambda source, summary: _print_runs([summary]))
    runtime.start()
    try:
        while True:
            time.sleep(IDLE_POLL_SECONDS)
    except KeyboardInterrupt:
        err.print("stopping: the runs in hand finish first", highlight=False)
        runtime.stop()
        err.print("collection stopped", highlight=False)


def _collect_once(state: State, workspace: str | None, ignore_schedule: bool) -> None:
    """Every due source once; handed over to the server while one holds the store (the same summary)."""
    from civicpulse.cli_serve import hand_over_collect

    handed = hand_over_collect(state, workspace, ignore_schedule)
    if handed is not None:
        summaries = [RunSummary(**run) for run in handed]
    else:
        summaries = _collector(state).run_due(workspace, ignore_schedule=ignore_schedule, streams=True)
    if not summaries:
        err.print("no source is due", highlight=False)
        return
    _print_runs(summaries)
    if any(s.failed for s in summaries):
        sys.exit(EXIT_REJECTED)

"""Retention and deletion commands: `workspaces delete`, `retention show|set|apply`, `audit purge`.

They open the store themselves, so while a server holds it they are refused with its URL (the server applies
retention daily, and offers the same operations in its admin API).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from rich.table import Table

from civicpulse.cli import Fatal, State, _workspace, err, main, out, workspaces
from civicpulse.lifecycle import (
    delete_workspace,
    instance_settings,
    purge_audit_log,
    run_maintenance,
    set_instance_settings,
    workspace_retention,
)
from civicpulse.lifecycle.retention import MAX_DAYS

DAYS = click.IntRange(1, MAX_DAYS)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise Fatal("this cannot be undone: add --yes to confirm")
    if not click.confirm(question, err=True):
        raise Fatal("nothing deleted")


@workspaces.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when stdin is not a terminal).")
@click.pass_obj
def workspaces_delete(state: State, name: str, yes: bool) -> None:
    """Delete a workspace for good: posts, analysis, models, taxonomy, queries, alerts, digests, members, jobs,
    its audit rows, its pseudonymization keys, rejects files and uploads. One audit entry records the deletion."""
    store = state.store()
    if store.get_workspace(_workspace(name)) is None:
        raise Fatal(f"no workspace {name!r}")
    _confirm(yes, f"delete workspace {name} and everything it holds?")
    done = delete_workspace(store, name, keys_dir=state.keys_dir, uploads_dir=Path(f"{state.db}.uploads"),
                            rejects_dir=Path(f"{state.db}.rejects"), actor=getpass.getuser())
    rows = ", ".join(f"{t} {n}" for t, n in sorted(done["rows"].items()))
    err.print(f"deleted workspace {name}: {rows}; {done['files']} file(s) removed", highlight=False)


@main.group("retention")
def retention_group() -> None:
    """How long posts, audit rows and rejects files are kept (see docs/server.md)."""


@retention_group.command("show")
@click.pass_obj
def retention_show(state: State) -> None:
    """The instance's retention settings and each workspace's."""
    store = state.store()
    settings = instance_settings(store)
    out.print(f"audit log: {settings['audit_days']} days; rejects files and job records: "
              f"{settings['rejects_days']} days", highlight=False)
    table = Table("workspace", "keeps posts")
    for w in store.list_workspaces():
        days = workspace_retention(store, w.name)
        table.add_row(w.name, f"{days} days" if days else "forever")
    out.print(table)


@retention_group.command("set")
@click.option("--audit-days", type=DAYS, default=None, help="Keep audit-log rows this many days (default 365).")
@click.option("--rejects-days", type=DAYS, default=None,
              help="Keep rejects files and finished job records this many days (default 30).")
@click.pass_obj
def retention_set(state: State, audit_days: int | None, rejects_days: int | None) -> None:
    """Change the instance's retention (a workspace's own: `workspaces set W --retention-days N`)."""
    if audit_days is None and rejects_days is None:
        raise Fatal("nothing to change: give --audit-days and/or --rejects-days")
    store = state.store()
    settings = set_instance_settings(store, audit_days=audit_days, rejects_days=rejects_days)
    store.audit(getpass.getuser(), None, "settings.retention", " ".join(f"{k}={v}" for k, v in settings.items()))
    err.print(f"audit log kept {settings['audit_days']} days, rejects files {settings['rejects_days']} days",
              highlight=False)


@retention_group.command("apply")
@click.option("-w", "--workspace", default=None, help="Only this workspace's posts (default: everything).")
@click.pass_obj
def retention_apply(state: State, workspace: str | None) -> None:
    """Apply retention now, as the server does daily: expired posts of every workspace (or one), then audit rows
    and rejects files past the instance's settings."""
    store = state.store()
    if workspace and store.get_workspace(_workspace(workspace)) is None:
        raise Fatal(f"no workspace {workspace!r}")
    done = run_maintenance(store, Path(f"{state.db}.rejects"), getpass.getuser(), workspace=workspace)
    for name, summary in done["retention"].items():
        out.print(f"{name}: {summary['posts']} posts older than {summary['retention_days']} days deleted "
                  f"({summary['derived_rows']} analysis rows)", highlight=False)
    if workspace and not done["retention"]:
        out.print(f"{workspace} keeps its posts forever (set --retention-days to change)", highlight=False)
    if not workspace:
        out.print(f"audit log: {done['audit_rows']} rows purged; rejects: {done['rejects']['files']} files, "
                  f"{done['rejects']['jobs']} job records", highlight=False)


@main.group("audit")
def audit_group() -> None:
    """The audit log (who viewed, searched, exported and changed what)."""


@audit_group.command("purge")
@click.option("--older-than", "days", type=DAYS, required=True, help="Delete rows older than this many days.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when stdin is not a terminal).")
@click.pass_obj
def audit_purge(state: State, days: int, yes: bool) -> None:
    """Delete audit-log rows older than DAYS now (the server does so daily past `retention set --audit-days`)."""
    store = state.store()
    _confirm(yes, f"delete audit-log rows older than {days} days?")
    removed = purge_audit_log(store, days, getpass.getuser())
    err.print(f"{removed} audit-log rows older than {days} days deleted", highlight=False)

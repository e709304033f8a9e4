"""`civicpulse rollups rebuild`: recompute the dashboard rollups from the analysed posts (a repair; writes keep
them current on their own, docs/deploy.md "Dashboards at scale: rollups")."""

from __future__ import annotations

import getpass
import time

import click

from civicpulse.analytics.day_source import compact
from civicpulse.cli import Fatal, State, _workspace, err, main


@main.group("rollups")
def rollups_group() -> None:
    """Dashboard rollups: pre-aggregated cells the dashboards read instead of scanning every post."""


@rollups_group.command("rebuild")
@click.option("-w", "--workspace", default=None, help="One workspace (default: all).")
@click.pass_obj
def rollups_rebuild(state: State, workspace: str | None) -> None:
    """Recompute the rollup cells of one workspace, or of all, from the analysed posts, in one transaction, then
    summarise them per local day again."""
    store = state.store()
    if workspace is not None and store.get_workspace(_workspace(workspace)) is None:
        raise Fatal(f"no workspace {workspace!r}")
    started = time.perf_counter()
    counts = store.rebuild_rollups(workspace)
    days = {name: compact(store, name, full=True) for name in counts}
    store.audit(getpass.getuser(), workspace, "rollups.rebuild", f"workspaces={len(counts)}")
    for name, cells in sorted(counts.items()):
        err.print(f"workspace {name}: {cells} cells, {days[name]} days", highlight=False)
    err.print(f"rollups rebuilt in {time.perf_counter() - started:.1f} s", highlight=False)

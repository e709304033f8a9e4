"""`civicpulse migrate`: list and apply the store's schema migrations (docs/deploy.md, "Upgrades and schema
migrations"). Any command that opens the store for writing applies them too; this one shows them first, can
rehearse them, and is what a read-only open of an out-of-date store asks for."""

from __future__ import annotations

import getpass

import click
from rich.table import Table

from civicpulse.cli import Fatal, State, err, main, out
from civicpulse.store import Store, open_store
from civicpulse.store.migrations import MigrationError, latest_version


def _open(db: str) -> Store:
    from civicpulse.handoff import live_server

    server = live_server(db)
    if server is not None:  # it applied the migrations when it opened the store, and holds the file
        raise Fatal(f"{db} is in use by the civicpulse server at {server.url} (pid {server.pid}): stop it first")
    try:
        return open_store(db, migrate=False)
    except Exception as exc:  # locked, unreachable or not a store: one clear line
        raise Fatal(str(exc)) from None


def _status_table(store: Store) -> Table:
    table = Table("version", "name", "state", "applied at (UTC)", "what it does")
    for s in store.schema_migrations().states():
        at = s.applied_at.strftime("%Y-%m-%d %H:%M:%S") if s.applied_at else ""
        table.add_row(f"{s.version:04d}", s.name, s.state, at, s.title)
    return table


@main.command("migrate")
@click.option("--status", "show_status", is_flag=True, help="List applied and pending migrations; change nothing.")
@click.option("--dry-run", is_flag=True, help="Show the pending migrations and their SQL; change nothing.")
@click.pass_obj
def migrate_cmd(state: State, show_status: bool, dry_run: bool) -> None:
    """Bring the store's schema up to this civicpulse's version (DuckDB path or postgresql:// URL)."""
    store = _open(state.db)
    try:
        migrations = store.schema_migrations()
        if show_status:
            out.print(_status_table(store))
        try:
            pending = migrations.pending()
        except MigrationError as exc:
            raise Fatal(str(exc)) from None
        if show_status:
            err.print(f"{len(pending)} pending" + (": run `civicpulse migrate` to apply them" if pending else ""))
            return
        if dry_run:
            backend = migrations.con.backend
            for migration in pending:
                out.print(f"-- {migration.label}: {migration.title}", highlight=False)
                for statement in migration.statements(backend):
                    out.print(f"{statement};", highlight=False, soft_wrap=True)
            err.print(f"{len(pending)} pending; nothing applied (--dry-run)")
            return
        try:
            applied = migrations.apply(actor=getpass.getuser())
        except MigrationError as exc:
            raise Fatal(str(exc)) from None
        except Exception as exc:  # the failing migration was rolled back; those before it stay applied
            raise Fatal(f"a schema migration failed and was rolled back: {exc}") from None
        store.sync_analysis_keys()  # as an open for writing does: fills columns a migration added
        for migration in applied:
            err.print(f"applied {migration.label}: {migration.title}", highlight=False)
        err.print(f"the store is at schema version {latest_version()}" if applied
                  else "nothing to do: the store is up to date")
    finally:
        store.close()

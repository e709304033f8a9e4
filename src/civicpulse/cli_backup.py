"""`civicpulse backup` and `restore`: the store and its keys in one archive, restorable into a new path.

The keys travel with the data on purpose: without the pseudonym keys, posts ingested after a restore would get
other pseudonyms than the same authors' earlier posts, and sealed credentials could not be opened. The archive is
therefore as secret as the key folder (mode 0600; keep it where the keys may be kept).
"""

from __future__ import annotations

import getpass
import json
import os
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from civicpulse import __version__
from civicpulse.cli import Fatal, State, err, main, out
from civicpulse.fs import FILE_MODE, private_dir, write_secret_file
from civicpulse.store import BOOKKEEPING_TABLES, SCHEMA_RECORD_TABLES, is_postgres_url, restore_store
from civicpulse.store.migrations import latest_version

FORMAT = "civicpulse-backup"
FORMAT_VERSION = 1


@main.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing archive.")
@click.pass_obj
def backup_cmd(state: State, archive: str, force: bool) -> None:
    """Write the store (every table) and its key folder into ARCHIVE (.tar.gz), consistently."""
    from civicpulse.cli_serve import server_holding

    target = Path(archive)
    _require_keys_dir(state)
    if target.exists() and not force:
        raise Fatal(f"{archive} exists: choose another name or pass --force")
    if server_holding(state) is not None:
        raise Fatal("a server holds this store: stop it for the backup (the dump must not change while it is "
                    "written)")
    store = state.store()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        work = Path(tmp)
        counts = store.export_dump(work / "db")
        keys = sorted(p for p in state.keys_dir.rglob("*") if p.is_file()) if state.keys_dir.is_dir() else []
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, "civicpulse": __version__,
                    "schema_version": latest_version(), "created_at": datetime.now(UTC).isoformat(),
                    "tables": counts, "keys": [str(p.relative_to(state.keys_dir)) for p in keys]}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = work / "archive.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(work / "db", "db")
            for key in keys:
                tar.add(key, f"keys/{key.relative_to(state.keys_dir)}")
        partial.replace(target)  # the archive appears whole or not at all
    store.audit(getpass.getuser(), None, "backup", f"tables={len(counts)} posts={counts.get('posts', 0)}")
    out.print(f"backed up {sum(counts.values())} rows in {len(counts)} tables and {len(keys)} key files to "
              f"{archive}")
    err.print("The archive holds the pseudonym and credential keys: keep it as safe as the key folder.")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def restore_cmd(state: State, archive: str) -> None:
    """Restore ARCHIVE (from `backup`, of either backend) into the store given by --db: a new DuckDB path, or an
    empty PostgreSQL database."""
    _require_keys_dir(state)
    postgres = is_postgres_url(state.db)
    if not postgres and Path(state.db).exists():
        raise Fatal(f"{state.db} exists: restore into a new --db path")
    if state.keys_dir.exists() and any(state.keys_dir.iterdir()):
        raise Fatal(f"the key folder {state.keys_dir} is not empty: restore with a new --db or --keys-dir")
    # The archive is unpacked beside the store (or, for PostgreSQL, beside the key folder): same disk, same owner.
    parent = (state.keys_dir if postgres else Path(state.db)).resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent, prefix=".restore-") as tmp:
        work = Path(tmp)
        manifest = _unpack(Path(archive), work)
        try:
            store = restore_store(state.db, work / "db")
        except (RuntimeError, ValueError, OSError) as exc:  # not empty, unknown tables, a broken dump: one line
            raise Fatal(f"{archive}: {exc}") from None
        try:
            counts = store.table_counts()
            differ = {t: (n, counts.get(t)) for t, n in manifest["tables"].items()
                      if counts.get(t) != n and t not in SCHEMA_RECORD_TABLES | BOOKKEEPING_TABLES}
            if differ:
                raise Fatal(f"restored tables do not match the backup's counts: {differ}")
            private_dir(state.keys_dir)
            for name in manifest["keys"]:
                write_secret_file(state.keys_dir / name, (work / "keys" / name).read_bytes())
            store.audit(getpass.getuser(), None, "restore", f"from backup of {manifest['created_at']}")
        finally:
            store.close()
    out.print(f"restored {sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables and "
              f"{len(manifest['keys'])} key files into {state.db}")


def _require_keys_dir(state: State) -> None:
    # A PostgreSQL URL has no folder beside it: its keys must be named, or a backup would silently hold none.
    if is_postgres_url(state.db) and state.keys_dir == Path(f"{state.db}.keys"):
        raise Fatal("a PostgreSQL store keeps its keys in the folder given by --keys-dir (env CIVICPULSE_KEYS_DIR): "
                    "name it")


def _unpack(archive: Path, work: Path) -> dict:
    """Extract a backup archive safely (no links, no paths outside `work`) and return its checked manifest."""
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            names = tar.getnames()
            if "manifest.json" not in names:
                raise Fatal(f"{archive}: not a civicpulse backup (no manifest.json)")
            tar.extractall(work, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise Fatal(f"{archive}: cannot read the archive: {exc}") from None
    try:
        manifest = json.loads((work / "manifest.json").read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Fatal(f"{archive}: manifest.json: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Fatal(f"{archive}: manifest.json: not a civicpulse backup")
    if manifest.get("version") != FORMAT_VERSION:
        raise Fatal(f"{archive}: manifest.json: version {manifest.get('version')!r}, this civicpulse reads "
                    f"{FORMAT_VERSION}")
    tables, keys = manifest.get("tables"), manifest.get("keys")
    if not isinstance(tables, dict) or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise Fatal(f"{archive}: manifest.json: tables or keys missing")
    for name in keys:
        if not (work / "keys" / name).resolve().is_relative_to((work / "keys").resolve()):
            raise Fatal(f"{archive}: manifest.json: key {name!r} lies outside the archive's key folder")
        if not (work / "keys" / name).is_file():
            raise Fatal(f"{archive}: key file {name!r} is listed but missing")
    return manifest

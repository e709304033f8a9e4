"""Workspace deletion: every row of every table that has a `workspace` column (read from the catalogue, so new
tables are covered), then its pseudonymization keys, rejects files and uploads. The audit entry for the deletion
is instance-level (no workspace), so it is the one trace that remains."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import orjson

from civicpulse.store.base import Store, validate_workspace_name
from civicpulse.store.lifecycle_sql import JOB_RESULTS


def workspace_files(workspace: str, keys_dir: Path, uploads_dir: Path, rejects_dir: Path,
                    rejects_named: tuple[str, ...] = ()) -> list[Path]:
    """Files and folders on disk that belong to the workspace alone."""
    name = re.escape(validate_workspace_name(workspace))
    key_file = re.compile(rf"^{name}\.key(\.v\d+\.retired|\.tmp)?$")
    # DB.rejects/W-STAMP.jsonl (CLI) and W-STAMP-JOBID.jsonl (server jobs); exact, so workspace `a` never
    # matches `a-b`'s files.
    rejects = re.compile(rf"^{name}-\d{{8}}T\d{{6}}(-[0-9a-f]{{12}})?\.jsonl$")
    found = [p for p in (keys_dir.iterdir() if keys_dir.is_dir() else ()) if key_file.match(p.name)]
    if rejects_dir.is_dir():
        found += [p for p in rejects_dir.iterdir() if rejects.match(p.name) or p.name in rejects_named]
    if (uploads_dir / workspace).exists():
        found.append(uploads_dir / workspace)
    return found


def delete_workspace(store: Store, workspace: str, *, keys_dir: Path, uploads_dir: Path, rejects_dir: Path,
                     actor: str) -> dict[str, Any]:
    if store.get_workspace(workspace) is None:
        raise LookupError(f"no workspace {workspace!r}")
    named = []  # rejects files of the workspace's import jobs
    for (result,) in store.query(JOB_RESULTS, [workspace]):
        value = orjson.loads(result)
        if isinstance(value, dict) and value.get("rejects_file"):
            named.append(Path(value["rejects_file"]).name)
    rows = store.delete_workspace_rows(workspace)
    files = workspace_files(workspace, keys_dir, uploads_dir, rejects_dir, tuple(named))
    for path in files:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    store.audit(actor, None, "workspaces.delete",
                f"{workspace} rows={sum(rows.values())} files={len(files)} " +
                " ".join(f"{t}={n}" for t, n in sorted(rows.items())))
    return {"workspace": workspace, "rows": rows, "files": len(files)}

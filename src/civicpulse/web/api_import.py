"""Spreadsheet imports in the browser: CSV/TSV and Excel files are staged, their columns shown with a first guess
of which holds what (or the choice remembered for the same columns), and imported once the user has chosen.

1. POST /imports/staged: the files (any format) are stored privately, as for /imports; the answer describes each
   CSV or .xlsx file: delimiter, encoding, columns, first rows, guessed or remembered roles.
2. POST /imports/staged/{upload}: the chosen columns per spreadsheet; the import job starts (202), the choices
   are remembered for the workspace (`remember`).
   DELETE /imports/staged/{upload}: the user changed their mind; the files are deleted.

A staged upload nobody completes is deleted after STAGED_HOURS, and at the next server start in any case.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from civicpulse.ingest.column_mapping import ChoiceError, ColumnChoice, remember, remembered, workspace_timezone
from civicpulse.ingest.tabular import guess_roles, header_signature, inspect_table, is_tabular
from civicpulse.runtime.job_handlers import submit_job
from civicpulse.runtime.jobs import public_text
from civicpulse.services.ingest import IngestOptions
from civicpulse.sources.generic import MappingError
from civicpulse.store.base import Store
from civicpulse.web.context import AppContext
from civicpulse.web.deps import ANALYST, Access, app_context, busy_as_conflict, store
from civicpulse.web.uploads import receive_files

router = APIRouter(prefix="/api/w/{workspace}/imports/staged", tags=["data"])
STAGED_HOURS = 6
_MANIFEST = "staged.json"
_CLAIMED = "staged.claimed"  # the manifest once an import job has taken the upload
_UPLOAD_ID = re.compile(r"[0-9a-f]{12}")
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}}}


class FileChoice(BaseModel):
    name: str = Field(description="the file's name as uploaded")
    roles: dict[str, str] = Field(description="role -> column: text, created_at, post_id (required), place_name, "
                                              "platform, url, language, author_id (pseudonymized)")
    platform: str = Field("other", description="platform of every row unless a platform column is chosen")
    time_format: str = Field("", max_length=64, description="strptime format of the time column; empty: ISO/epoch")


class StagedImport(BaseModel):
    files: list[FileChoice] = Field(default_factory=list, max_length=100)
    remember: bool = Field(True, description="start from these choices next time the same columns are uploaded")
    analyze: bool = True


def _folder(ctx: AppContext, workspace: str, upload: str) -> Path:
    if not _UPLOAD_ID.fullmatch(upload):
        raise HTTPException(404, "no such staged upload")
    folder = ctx.uploads_dir / workspace / f"staged-{upload}"
    if not (folder / _MANIFEST).is_file():
        raise HTTPException(404, "this upload is no longer waiting (it was imported, cancelled, or kept more than "
                                 f"{STAGED_HOURS} hours or across a server restart): upload the files again")
    return folder


def _forget_stale(workspace_dir: Path) -> None:
    """Staged uploads nobody completed; a claimed one belongs to its import job, which deletes it."""
    cutoff = time.time() - STAGED_HOURS * 3600
    for old in workspace_dir.glob("staged-*"):
        try:
            if not (old / _CLAIMED).exists() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _describe(db: Store, workspace: str, path: Path, name: str) -> dict[str, Any]:
    from civicpulse.ingest.limits import Limits

    if not is_tabular(name):
        return {"name": name, "kind": "auto"}  # a platform export: its format is detected as it is imported
    table = inspect_table(path, name, Limits.from_env())
    signature = header_signature(table.columns)
    saved = remembered(db, workspace, signature)
    choice = saved.matched(table.columns) if saved else None
    roles = choice.roles if choice else guess_roles(table.columns)
    time_format = choice.time_format if choice else table.time_formats.get(roles.get("created_at", ""), "")
    return {"name": name, "kind": table.kind, "encoding": table.encoding, "delimiter": table.delimiter,
            "columns": table.columns, "rows": table.rows, "signature": signature, "remembered": choice is not None,
            "roles": roles, "platform": choice.platform if choice else "other", "time_format": time_format,
            "time_formats": table.time_formats, "problems": [public_text(p, {}) for p in table.problems]}


@router.post("", status_code=201, openapi_extra=UPLOAD_BODY,
             summary="Upload files to choose a spreadsheet's columns before importing (analysts): CSV/TSV and "
                     "Excel files are described with their columns, first rows and a guess of which holds what")
async def stage(request: Request, a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context),
                db: Store = Depends(store)) -> dict:
    _forget_stale(ctx.uploads_dir / a.workspace)
    upload = uuid.uuid4().hex[:12]
    got = await receive_files(request, ctx.uploads_dir / a.workspace / f"staged-{upload}", ctx.upload_limits)
    folder = Path(got.paths[0]).parent
    try:
        twice = next((n for n in got.names if got.names.count(n) > 1), None)
        if twice is not None:  # the column choices are keyed by file name
            raise HTTPException(422, f"two files are named {twice}: rename one and upload them again")
        files = await to_thread.run_sync(lambda: [_describe(db, a.workspace, Path(path), name)  # file reads
                                                  for path, name in zip(got.paths, got.names, strict=True)])
        manifest = {"paths": got.paths, "names": got.names, "user": a.username,
                    "dialects": {f["name"]: [f.get("delimiter"), f.get("encoding"), f.get("columns")]
                                 for f in files if f["kind"] != "auto"}}
        fd = os.open(folder / _MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    db.audit(a.username, a.workspace, "import.stage", f"files={len(files)}")
    return {"upload": upload, "timezone": workspace_timezone(db, a.workspace), "files": files}


@router.post("/{upload}", status_code=202, summary="Import a staged upload with the chosen columns (analysts); "
                                                  "the choices are remembered for the same columns next time")
def start(upload: str, body: StagedImport, a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context),
          db: Store = Depends(store)) -> dict:
    folder = _folder(ctx, a.workspace, upload)
    manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    chosen = {f.name: f for f in body.files}
    timezone = workspace_timezone(db, a.workspace)
    mappings: dict[str, dict[str, Any]] = {}
    to_remember: list[tuple[str, ColumnChoice]] = []
    for path, name in zip(manifest["paths"], manifest["names"], strict=True):
        if name not in manifest["dialects"]:
            continue
        delimiter, encoding, columns = manifest["dialects"][name]
        if name not in chosen:
            raise HTTPException(422, f"{name}: choose which column holds what before importing")
        f = chosen[name]
        choice = ColumnChoice(dict(f.roles), f.platform, f.time_format)
        try:
            choice.roles = {r: c for r, c in choice.roles.items() if c}
            choice.check(columns, name)
            mappings[path] = choice.mapping(name, timezone, delimiter, encoding)
        except (ChoiceError, MappingError) as exc:
            raise HTTPException(422, str(exc)) from None
        to_remember.append((header_signature(columns), choice))
    claimed = folder / _CLAIMED
    try:  # one rename wins: the same upload is never imported twice, even by two requests at once
        os.rename(folder / _MANIFEST, claimed)
    except FileNotFoundError:
        raise HTTPException(409, "this upload is already being imported") from None
    try:
        with busy_as_conflict():
            job = submit_job(ctx.jobs, "ingest", a.workspace, a.username,
                             IngestOptions(tuple(manifest["paths"]), tuple(manifest["names"]), file_mappings=mappings,
                                           uploaded=str(folder), analyze=body.analyze))
    except BaseException:
        os.rename(claimed, folder / _MANIFEST)  # e.g. the workspace is busy: the user may try again
        raise
    if body.remember:
        for signature, choice in to_remember:
            remember(db, a.workspace, signature, choice)
    db.audit(a.username, a.workspace, "import.mapping",
             "; ".join(f"{n}: {', '.join(f'{r}={c}' for r, c in chosen[n].roles.items() if c)}"
                       for n in manifest["dialects"]) + f" remember={body.remember}")
    return job.to_dict()


@router.delete("/{upload}", summary="Discard a staged upload without importing it (analysts)")
def discard(upload: str, a: Access = Depends(ANALYST), ctx: AppContext = Depends(app_context)) -> dict:
    shutil.rmtree(_folder(ctx, a.workspace, upload), ignore_errors=True)
    return {"discarded": upload}


def direct_mappings(db: Store, workspace: str, paths: list[str], names: list[str],
                    forced_format: str | None) -> tuple[list[str], list[str], dict[str, dict[str, Any]]]:
    """For POST /imports: each spreadsheet's mapping, from `NAME.mapping.toml` sent beside it or from the choice
    remembered for its columns. Returns the files to import (mapping files left out) and their mappings; a
    spreadsheet with neither is refused before anything is imported, naming the step that lets the user choose."""
    import tomllib

    from civicpulse.ingest.limits import Limits
    from civicpulse.ingest.reader import base_name
    from civicpulse.sources.generic import Mapping

    def stem(name: str) -> str:
        return base_name(name).rsplit(".", 1)[0]

    tomls = {n.removesuffix(".mapping.toml"): p for p, n in zip(paths, names, strict=True)
             if n.endswith(".mapping.toml")}
    kept = [(p, n) for p, n in zip(paths, names, strict=True) if not n.endswith(".mapping.toml")]
    mappings: dict[str, dict[str, Any]] = {}
    paired: set[str] = set()
    timezone = workspace_timezone(db, workspace)
    for path, name in kept:
        if stem(name) in tomls:
            toml_name = f"{stem(name)}.mapping.toml"
            paired.add(stem(name))
            try:
                data = tomllib.loads(Path(tomls[stem(name)]).read_text(encoding="utf-8"))
                Mapping.from_dict(data, origin=toml_name)
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise HTTPException(400, f"{toml_name}: not a readable TOML mapping ({exc})") from None
            except MappingError as exc:
                raise HTTPException(400, str(exc)) from None
            mappings[path] = json.loads(json.dumps(data, default=str))
        elif is_tabular(name) and forced_format in (None, "csv"):
            table = inspect_table(Path(path), name, Limits.from_env(), rows=0)
            saved = remembered(db, workspace, header_signature(table.columns))
            saved = saved.matched(table.columns) if saved else None
            try:
                if saved is None:
                    raise ChoiceError(f"{name}: choose which column holds the text, time and id first: the import "
                                      "page asks when a CSV or Excel file is uploaded (API: POST "
                                      f"/api/w/{workspace}/imports/staged), or send NAME.mapping.toml with it")
                saved.check(table.columns, name)
                mappings[path] = saved.mapping(name, timezone, table.delimiter, table.encoding)
            except (ChoiceError, MappingError) as exc:
                raise HTTPException(422, str(exc)) from None
    unpaired = sorted(set(tomls) - paired)
    if unpaired:
        raise HTTPException(422, f"{unpaired[0]}.mapping.toml: no file {unpaired[0]}.csv (or .tsv, .xlsx) was sent "
                                 "with it")
    if not kept:
        raise HTTPException(422, "only mapping files were sent: send the files they describe with them")
    return [p for p, _ in kept], [n for _, n in kept], mappings

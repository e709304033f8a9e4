"""Analysts' notes on dates ("heavy rain warning issued"), shown as markers on the trend charts of a workspace.

Kept in the workspace's settings (`annotations` key): a short, bounded list, so no table of its own. Notes are
what analysts write about the world, not about authors: they carry no post or author reference.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from civicpulse.store.base import Store

SETTING = "annotations"
MAX_NOTES = 500
MAX_TEXT = 200


def _settings(store: Store, workspace: str) -> dict[str, Any]:
    rows = store.query("SELECT settings FROM workspaces WHERE name = ?", [workspace])
    if not rows:
        raise LookupError(f"no workspace {workspace!r}")
    return json.loads(rows[0][0] or "{}")


def list_notes(store: Store, workspace: str) -> list[dict[str, Any]]:
    """Oldest date first."""
    return sorted(_settings(store, workspace).get(SETTING, []), key=lambda n: (n["date"], n["id"]))


def add(store: Store, workspace: str, day: str, text: str, user: str = "") -> dict[str, Any]:
    try:
        when = date.fromisoformat(day)
    except (TypeError, ValueError):
        raise ValueError(f"date: {str(day)[:40]!r} is not a date (YYYY-MM-DD)") from None
    text = (text or "").strip()
    if not text:
        raise ValueError("a note needs a text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"a note has at most {MAX_TEXT} characters (got {len(text)})")
    settings = _settings(store, workspace)
    notes = settings.get(SETTING, [])
    if len(notes) >= MAX_NOTES:
        raise ValueError(f"a workspace keeps at most {MAX_NOTES} notes: delete old ones first")
    note = {"id": uuid.uuid4().hex[:12], "date": when.isoformat(), "text": text, "created_by": user,
            "created_at": datetime.now().replace(microsecond=0).isoformat()}
    _save(store, workspace, {**settings, SETTING: [*notes, note]})
    store.audit(user, workspace, "annotation.create", json.dumps({"id": note["id"], "date": note["date"]}))
    return note


def delete(store: Store, workspace: str, note_id: str, user: str = "") -> None:
    settings = _settings(store, workspace)
    notes = settings.get(SETTING, [])
    kept = [n for n in notes if n["id"] != note_id]
    if len(kept) == len(notes):
        raise LookupError(f"no note {note_id!r} in workspace {workspace!r}")
    _save(store, workspace, {**settings, SETTING: kept})
    store.audit(user, workspace, "annotation.delete", json.dumps({"id": note_id}))


def _save(store: Store, workspace: str, settings: dict[str, Any]) -> None:
    store.execute("UPDATE workspaces SET settings = ? WHERE name = ?",
                  [json.dumps(settings, ensure_ascii=False), workspace])

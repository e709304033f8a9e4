"""Discovered topics as analysts curate them (listed, renamed, merged, hidden, restored), and notes on dates."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from civicpulse.analytics import topic_curation as curation
from civicpulse.store.base import Store
from civicpulse.web.deps import ANALYST, VIEWER, Access, store

router = APIRouter(prefix="/api/w/{workspace}/discovered-topics", tags=["configuration"])


class TopicChanges(BaseModel):
    """Only the fields sent change. `name: ""` restores the discovered label; `merged_into: null` undoes a merge."""

    name: str | None = Field(default=None, max_length=curation.MAX_NAME)
    hidden: bool | None = None
    merged_into: int | None = None


@router.get("", summary="Every discovered topic, largest first, with analysts' names, merges and hidden flags")
def list_topics(a: Access = Depends(VIEWER), db: Store = Depends(store),
                offset: int = Query(0, ge=0, le=1_000_000), limit: int = Query(50, ge=1, le=500)) -> dict:
    return curation.listing(db, a.workspace, offset, limit)


@router.patch("/{topic_id}", summary="Rename, hide or restore a discovered topic, or merge it into another "
                                     "(its posts then count as the other's) or undo that (analysts; audited)")
def change_topic(topic_id: int, body: TopicChanges, a: Access = Depends(ANALYST),
                 db: Store = Depends(store)) -> dict:
    changes = body.model_dump(exclude_unset=True)
    try:
        if "name" in changes:
            curation.rename(db, a.workspace, topic_id, changes["name"], user=a.username)
        if changes.get("hidden") is not None:
            curation.set_hidden(db, a.workspace, topic_id, changes["hidden"], user=a.username)
        if "merged_into" in changes:
            if changes["merged_into"] is None:
                curation.unmerge(db, a.workspace, topic_id, user=a.username)
            else:
                curation.merge(db, a.workspace, topic_id, changes["merged_into"], user=a.username)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return curation.load(db, a.workspace).to_json()



# annotations: analysts' notes on dates, drawn as markers on trend charts ---------------------------------------
annotations_router = APIRouter(prefix="/api/w/{workspace}/annotations", tags=["configuration"])


class NoteBody(BaseModel):
    date: str = Field(min_length=10, max_length=10, description="YYYY-MM-DD")
    text: str = Field(min_length=1, max_length=200)


@annotations_router.get("", summary="Notes on dates (e.g. \"heavy rain warning issued\"), oldest first")
def list_notes(a: Access = Depends(VIEWER), db: Store = Depends(store)) -> list[dict]:
    from civicpulse.analytics import annotations

    return annotations.list_notes(db, a.workspace)


@annotations_router.post("", status_code=201, summary="Note a date on the trend charts (analysts; audited)")
def add_note(body: NoteBody, a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics import annotations

    try:
        return annotations.add(db, a.workspace, body.date, body.text, user=a.username)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@annotations_router.delete("/{note_id}", summary="Delete a note (analysts; audited)")
def delete_note(note_id: str, a: Access = Depends(ANALYST), db: Store = Depends(store)) -> dict:
    from civicpulse.analytics import annotations

    try:
        annotations.delete(db, a.workspace, note_id, user=a.username)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"deleted": note_id}

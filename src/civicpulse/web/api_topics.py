"""Discovered topics as analysts curate them: every topic listed (paginated), renamed, merged, hidden, restored."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from civicpulse.analytics import topic_curation as curation
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.deps import ANALYST, VIEWER, Access, store

router = APIRouter(prefix="/api/w/{workspace}/discovered-topics", tags=["configuration"])


class TopicChanges(BaseModel):
    """Only the fields sent change. `name: ""` restores the discovered label; `merged_into: null` undoes a merge."""

    name: str | None = Field(default=None, max_length=curation.MAX_NAME)
    hidden: bool | None = None
    merged_into: int | None = None


@router.get("", summary="Every discovered topic, largest first, with analysts' names, merges and hidden flags")
def list_topics(a: Access = Depends(VIEWER), db: DuckDBStore = Depends(store),
                offset: int = Query(0, ge=0, le=1_000_000), limit: int = Query(50, ge=1, le=500)) -> dict:
    return curation.listing(db, a.workspace, offset, limit)


@router.patch("/{topic_id}", summary="Rename, hide or restore a discovered topic, or merge it into another "
                                     "(its posts then count as the other's) or undo that (analysts; audited)")
def change_topic(topic_id: int, body: TopicChanges, a: Access = Depends(ANALYST),
                 db: DuckDBStore = Depends(store)) -> dict:
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


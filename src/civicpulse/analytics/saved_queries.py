"""Saved listening queries: the named unit every dashboard, alert rule and report digest is built on.

Every call is scoped to one workspace; the id of another workspace's query is simply "not found". Callers (the
web API, the CLI) write the audit log entry, since they know who acted and through which door.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from civicpulse.analytics.query_ast import Node, fold
from civicpulse.analytics.query_parse import parse
from civicpulse.store import queries_sql as sql
from civicpulse.store.base import Store

MAX_NAME = 120
MAX_DESCRIPTION = 1000
_SLUG_LENGTH = 48


class SavedQueryNotFound(LookupError, ValueError):
    """An id that names no saved query of the workspace. Also a ValueError: to a caller naming a query (an alert
    rule, a digest), an unknown id is bad input."""


@dataclass(frozen=True)
class SavedQuery:
    workspace: str
    query_id: str
    name: str
    query: str
    description: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    def node(self) -> Node:
        return parse(self.query)


class SavedQueries:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, workspace: str, name: str, query: str, description: str = "", user: str = "") -> SavedQuery:
        """Save a query under a new id derived from its name ("Ngập Thủ Đức" -> "ngap-thu-duc", then "-2"...)."""
        if self.store.get_workspace(workspace) is None:
            raise ValueError(f"no workspace {workspace!r}: create it first")
        name, query, description = _checked(name, query, description)
        self._refuse_taken_name(workspace, name)
        now = _now()
        saved = SavedQuery(workspace, self._new_id(workspace, name), name, query, description, user, now, now)
        self.store.execute(sql.INSERT_QUERY, [saved.workspace, saved.query_id, saved.name, saved.query,
                                              saved.description, saved.created_by, saved.created_at,
                                              saved.updated_at])
        return saved

    def get(self, workspace: str, query_id: str) -> SavedQuery:
        rows = self.store.query(sql.GET_QUERY, [workspace, query_id])
        if not rows:
            raise SavedQueryNotFound(f"no saved query {query_id!r} in workspace {workspace!r}")
        return SavedQuery(*rows[0])

    def list(self, workspace: str) -> list[SavedQuery]:
        return [SavedQuery(*row) for row in self.store.query(sql.LIST_QUERIES, [workspace])]

    def update(self, workspace: str, query_id: str, *, name: str | None = None, query: str | None = None,
               description: str | None = None) -> SavedQuery:
        """Change name, query text and/or description; the id stays, so dashboards and rules keep working."""
        old = self.get(workspace, query_id)
        name, query, description = _checked(old.name if name is None else name, old.query if query is None else query,
                                            old.description if description is None else description)
        if fold(name) != fold(old.name):
            self._refuse_taken_name(workspace, name)
        now = _now()
        self.store.execute(sql.UPDATE_QUERY, [name, query, description, now, workspace, query_id])
        return SavedQuery(workspace, query_id, name, query, description, old.created_by, old.created_at, now)

    def delete(self, workspace: str, query_id: str) -> None:
        self.get(workspace, query_id)  # "not found" for unknown ids and for other workspaces' queries
        self.store.execute(sql.DELETE_QUERY, [workspace, query_id])

    def _refuse_taken_name(self, workspace: str, name: str) -> None:
        # Names are what analysts pick from in dashboards and alert forms: two that differ only by case or
        # diacritics would be indistinguishable there.
        taken = [q for q in self.list(workspace) if fold(q.name) == fold(name)]
        if taken:
            raise ValueError(f"workspace {workspace!r} already has a saved query named {taken[0].name!r} "
                             f"(id {taken[0].query_id!r}); pick another name or edit that one")

    def _new_id(self, workspace: str, name: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:_SLUG_LENGTH].strip("-") or "query"
        used = {row[0] for row in self.store.query(sql.QUERY_IDS, [workspace, base + "%"])}
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        return candidate


def _checked(name: str, query: str, description: str) -> tuple[str, str, str]:
    name, query, description = name.strip(), query.strip(), (description or "").strip()
    if not name:
        raise ValueError("a saved query needs a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is too long ({len(name)} characters; the limit is {MAX_NAME})")
    if len(description) > MAX_DESCRIPTION:
        raise ValueError(f"the description is too long ({len(description)} characters; the limit is "
                         f"{MAX_DESCRIPTION})")
    parse(query)  # QuerySyntaxError (a ValueError) with the position of the problem
    return name, query, description


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)

"""Saved queries: create, read, list, update, delete, always inside one workspace."""

from __future__ import annotations

import pytest

from civicpulse.analytics.query import QuerySyntaxError, Term
from civicpulse.analytics.saved_queries import SavedQueries, SavedQueryNotFound
from civicpulse.store.duckdb_store import DuckDBStore


@pytest.fixture
def saved():
    store = DuckDBStore(":memory:")
    for ws in ("city", "other"):
        store.ensure_workspace(ws)
    yield SavedQueries(store)
    store.close()


def test_create_derives_unique_ids_from_names(saved: SavedQueries) -> None:
    flood = saved.create("city", "Ngập Thủ Đức", 'ngập NEAR/3 "thủ đức"', "mùa mưa", user="lan")
    assert (flood.query_id, flood.name, flood.description, flood.created_by) == \
        ("ngap-thu-duc", "Ngập Thủ Đức", "mùa mưa", "lan")
    assert flood.created_at == flood.updated_at
    assert saved.create("city", "Ngập: Thủ Đức!", "ngập").query_id == "ngap-thu-duc-2"
    assert saved.create("city", "😭", "ngập").query_id == "query"
    assert saved.create("other", "Ngập Thủ Đức", "ngập").query_id == "ngap-thu-duc"  # ids are per workspace
    assert saved.get("city", "ngap-thu-duc") == flood
    assert saved.get("city", "ngap-thu-duc").node().left == Term(("ngap",))


def test_list_is_per_workspace_and_sorted_by_name(saved: SavedQueries) -> None:
    saved.create("city", "traffic", '"kẹt xe" OR "traffic jam"')
    saved.create("city", "Flood", "ngập OR flood")
    saved.create("other", "Elsewhere", "x")
    assert [q.name for q in saved.list("city")] == ["Flood", "traffic"]
    assert [q.query_id for q in saved.list("other")] == ["elsewhere"]


def test_update_keeps_the_id_and_validates(saved: SavedQueries) -> None:
    created = saved.create("city", "Flood", "ngập")
    updated = saved.update("city", "flood", query="ngập OR flood", description="both languages")
    assert (updated.query_id, updated.name, updated.query, updated.description) == \
        ("flood", "Flood", "ngập OR flood", "both languages")
    assert updated.updated_at >= created.updated_at and updated.created_at == created.created_at
    assert saved.get("city", "flood") == updated
    assert saved.update("city", "flood", name="Lũ lụt").query_id == "flood"
    with pytest.raises(QuerySyntaxError, match="unbalanced parenthesis at position 0"):
        saved.update("city", "flood", query="(ngập")
    assert saved.get("city", "flood").query == "ngập OR flood"


def test_invalid_input_is_refused_with_a_reason(saved: SavedQueries) -> None:
    with pytest.raises(QuerySyntaxError, match="expected a term after OR"):
        saved.create("city", "Broken", "ngập OR")
    with pytest.raises(ValueError, match="needs a name"):
        saved.create("city", "  ", "ngập")
    with pytest.raises(ValueError, match="name is too long"):
        saved.create("city", "x" * 121, "ngập")
    with pytest.raises(ValueError, match="no workspace 'nowhere'"):
        saved.create("nowhere", "Flood", "ngập")
    saved.create("city", "Ngập", "ngập")
    with pytest.raises(ValueError, match="already has a saved query named 'Ngập'"):
        saved.create("city", "NGAP", "flood")
    saved.create("city", "Other", "flood")
    with pytest.raises(ValueError, match="already has a saved query named"):
        saved.update("city", "other", name="ngap")
    assert saved.list("city")[0].query == "ngập"


def test_another_workspaces_query_is_not_found(saved: SavedQueries) -> None:
    saved.create("city", "Flood", "ngập")
    for call in (lambda: saved.get("other", "flood"), lambda: saved.update("other", "flood", query="x"),
                 lambda: saved.delete("other", "flood")):
        with pytest.raises(LookupError, match="no saved query 'flood' in workspace 'other'"):
            call()
    assert saved.get("city", "flood").query == "ngập"  # untouched by the attempts above
    with pytest.raises(SavedQueryNotFound):  # also a ValueError for callers that treat ids as input
        saved.get("city", "nope")


def test_delete_removes_only_that_query(saved: SavedQueries) -> None:
    saved.create("city", "Flood", "ngập")
    saved.create("other", "Flood", "ngập")
    saved.delete("city", "flood")
    assert saved.list("city") == []
    assert [q.query_id for q in saved.list("other")] == ["flood"]
    with pytest.raises(LookupError):
        saved.delete("city", "flood")

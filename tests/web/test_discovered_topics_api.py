"""Discovered topics managed over HTTP: listed in pages, renamed, merged, hidden by analysts only."""

from __future__ import annotations

from civicpulse.analysis.discovery_state import DiscoveryState, TopicRecord

from .conftest import sign_in


def _discovered(app_store, n: int = 30) -> None:
    topics = {i: TopicRecord(i, [f"từ{i}", "chung"], [], [], 0.5, 100 - i, 1) for i in range(1, n + 1)}
    app_store.put_setting("discovery_state", "city", DiscoveryState(topics=topics).to_json())
    # Every city post gets topic 1 or 2 (by its number's parity): 60 posts by 30 authors each.
    keys = app_store.query("SELECT platform, post_id, CAST(regexp_extract(post_id, '[0-9]+') AS INTEGER) "
                           "FROM post_analysis WHERE workspace = 'city'")
    app_store.set_discovered_topics("city", [(platform, post_id, 1 if n % 2 == 0 else 2)
                                             for platform, post_id, n in keys])


def test_analysts_page_through_rename_merge_and_hide_discovered_topics(server, app, app_store) -> None:
    _discovered(app_store)
    analyst, viewer, outsider = sign_in(app, "arun"), sign_in(app, "vera"), sign_in(app, "olga")
    first = viewer.get("/api/w/city/discovered-topics?limit=25").json()
    assert first["total"] == 30 and len(first["topics"]) == 25
    rest = viewer.get("/api/w/city/discovered-topics?offset=25&limit=25").json()["topics"]
    assert [t["id"] for t in rest] == [26, 27, 28, 29, 30]
    assert outsider.get("/api/w/city/discovered-topics").status_code in (403, 404)

    assert viewer.patch("/api/w/city/discovered-topics/1", json={"name": "x"}).status_code == 403
    renamed = analyst.patch("/api/w/city/discovered-topics/1", json={"name": "Ngập lụt"})
    assert renamed.status_code == 200 and renamed.json()["names"] == {"1": "Ngập lụt"}
    board = {t["id"]: t for t in viewer.get("/api/w/city/topics?kind=discovered&period=all").json()}
    assert board[1]["label"] == "Ngập lụt" and board[1]["posts"] == 60 and board[2]["posts"] == 60

    assert analyst.patch("/api/w/city/discovered-topics/2", json={"merged_into": 1}).status_code == 200
    board = {t["id"]: t for t in viewer.get("/api/w/city/topics?kind=discovered&period=all").json()}
    assert set(board) == {1} and board[1]["posts"] == 120  # the view cache was not served stale
    assert analyst.patch("/api/w/city/discovered-topics/2", json={"merged_into": None}).status_code == 200
    assert analyst.patch("/api/w/city/discovered-topics/2", json={"hidden": True}).status_code == 200
    assert {t["id"] for t in viewer.get("/api/w/city/topics?kind=discovered&period=all").json()} == {1}
    assert analyst.patch("/api/w/city/discovered-topics/2", json={"hidden": False}).json()["hidden"] == []
    assert analyst.patch("/api/w/city/discovered-topics/99", json={"hidden": True}).status_code == 404
    assert analyst.patch("/api/w/city/discovered-topics/1", json={"merged_into": 1}).status_code == 400
    actions = [e["action"] for e in app_store.audit_entries("city") if e["action"].startswith("topics.discovered")]
    assert actions == ["topics.discovered.rename", "topics.discovered.merge", "topics.discovered.unmerge",
                       "topics.discovered.hide", "topics.discovered.restore"]

"""Cached dashboard answers never outlive a change of the workspace's data."""

from __future__ import annotations

import json

from civicpulse.web.cache import ViewCache

from .conftest import sign_in


def test_cache_reuses_until_the_workspace_changes() -> None:
    cache, calls = ViewCache(max_entries=2), []

    def compute(value):
        calls.append(value)
        return value

    assert cache.get("a", "v", lambda: compute(1)) == 1
    assert cache.get("a", "v", lambda: compute(2)) == 1  # reused
    assert cache.get("b", "v", lambda: compute(3)) == 3  # another workspace: its own entry
    cache.bump("a")
    assert cache.get("a", "v", lambda: compute(4)) == 4
    assert cache.get("b", "v", lambda: compute(5)) == 3  # b untouched by a's change
    assert calls == [1, 3, 4]
    cache.get("c", "v", lambda: 6)
    assert len(cache._entries) == 2  # bounded


def test_the_stored_data_version_invalidates_too() -> None:
    """Another process's write shows as a new data version of the store: the answer is computed again."""
    cache = ViewCache()
    assert cache.get("a", "v", lambda: 1, stored_version=3) == 1
    assert cache.get("a", "v", lambda: 2, stored_version=3) == 1
    assert cache.get("a", "v", lambda: 3, stored_version=4) == 3


def test_an_import_job_and_a_label_correction_show_up_in_the_next_answer(server, app) -> None:
    client = sign_in(app, "arun")
    whole = {"period": "all"}  # the whole data, not the default last 7 days
    before = client.get("/api/w/city/overview", params=whole).json()["totals"]["posts"]
    assert client.get("/api/w/city/overview", params=whole).json()["totals"]["posts"] == before
    statuses = [{"id": f"9{i}", "uri": f"https://social.example/users/u{i % 12}/statuses/9{i}",
                 "url": f"https://social.example/@u{i % 12}/9{i}", "created_at": "2026-09-03T08:00:00.000Z",
                 "in_reply_to_id": None, "language": "vi", "content": f"<p>Ngập ở Thủ Đức lần {i}</p>",
                 "spoiler_text": "", "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
                 "edited_at": None, "reblog": None,
                 "account": {"id": str(i % 12), "username": f"u{i % 12}", "acct": f"u{i % 12}@social.example"}}
                for i in range(24)]
    job = client.post("/api/w/city/imports", files={"files": ("more.json", json.dumps(statuses), "application/json")})
    assert job.status_code == 202, job.text
    done = app.state.ctx.jobs.wait(app.state.ctx.jobs.get("city", job.json()["id"]), timeout=120)
    assert done.status == "done", done.error
    assert done.result["files"][0]["stored"] == 24 and done.result["analysis"]["analyzed"] >= 24
    assert client.get("/api/w/city/overview", params=whole).json()["totals"]["posts"] == before + 24
    # The raw upload (platform data with author names) does not outlive its import.
    assert not any(app.state.ctx.uploads_dir.rglob("*.json"))
    page = client.get("/api/w/city/posts", params={"sort": "oldest"}).json()["posts"][0]
    assert client.put(f"/api/w/city/posts/{page['platform']}/{page['post_id']}/labels",
                      json={"task": "emotion", "label": "surprise"}).status_code == 200
    again = client.get("/api/w/city/posts", params={"sort": "oldest"}).json()["posts"][0]
    assert again["corrections"] == {"emotion": "surprise"}


def test_a_text_query_matched_once_per_answer_gives_the_same_figures(server, app, app_store) -> None:
    from civicpulse.analytics.filters import Filters
    from civicpulse.analytics.overview import overview
    from civicpulse.analytics.posts import explore

    client = sign_in(app, "alice")
    for q in ("ngập OR traffic", "kẹt xe -traffic", "lang:vi"):
        direct = overview(app_store, "city", Filters(query=q))
        answer = client.get("/api/w/city/overview", params={"q": q, "period": "all"}).json()
        assert answer == {**direct, "preset": None}, q
        listed = client.get("/api/w/city/posts", params={"q": q, "page_size": 100}).json()
        assert [p["post_id"] for p in listed["posts"]] == \
            [p["post_id"] for p in explore(app_store, "city", Filters(query=q), page_size=100)["posts"]]
    assert direct["totals"]["posts"] is None or direct["totals"]["posts"] > 0
    # The temporary tables do not outlive the request.
    assert not app_store.query("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'matched_%'")


def test_the_matched_table_is_what_the_statements_read(server, app, monkeypatch) -> None:
    import civicpulse.web.api_dash as api_dash

    made = []
    real = api_dash.matching_sql

    def spy(workspace, query, dialect):
        found = real(workspace, query, dialect)
        made.append(found is not None)
        return found

    monkeypatch.setattr(api_dash, "matching_sql", spy)
    client = sign_in(app, "alice")
    assert client.get("/api/w/city/overview", params={"q": "ngập OR flood"}).status_code == 200
    assert client.get("/api/w/city/overview", params={"q": "lang:en"}).status_code == 200
    assert made == [True, False]  # a text query is matched once; field filters stay in the statements

from datetime import datetime, timedelta

import pytest

from civicpulse.schema import Deletion, Kind, Post
from civicpulse.store import open_store


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    s.ensure_workspace("city")
    yield s
    s.close()


def post(i: int, text: str | None = None, **kw) -> Post:
    when = datetime(2026, 9, 1, 8) + timedelta(minutes=i)
    return Post("x", str(i), Kind.POST, text or f"kẹt xe {i}", when, "test", **kw)


def texts(store, workspace="city"):
    return [row for batch in store.iter_posts(workspace, ["post_id", "text", "edited"]) for row in batch]


def test_upsert_is_idempotent(store):
    first = store.upsert_posts("city", [post(i) for i in range(5)])
    again = store.upsert_posts("city", [post(i) for i in range(5)])
    assert (first.stored, first.unchanged) == (5, 0)
    assert (again.stored, again.updated, again.unchanged) == (0, 0, 5)
    assert store.stats("city")["posts"] == 5


def test_duplicates_inside_one_batch_count_once(store):
    counts = store.upsert_posts("city", [post(1), post(1), post(2)])
    assert (counts.stored, counts.unchanged) == (2, 1)


def test_edit_updates_text_and_marks_edited_while_engagement_is_not_an_edit(store):
    store.upsert_posts("city", [post(1), post(2, likes=1)])
    counts = store.upsert_posts("city", [post(1, "kẹt xe quá trời"), post(2, likes=9)])
    assert counts.updated == 2
    assert texts(store) == [("1", "kẹt xe quá trời", True), ("2", "kẹt xe 2", False)]


def test_deletion_removes_content_and_keeps_it_deleted(store):
    store.upsert_posts("city", [post(1, author_key="1.abc"), post(2)])
    counts = store.apply_deletions("city", [Deletion("x", "1"), Deletion("x", "99")])
    assert counts.deleted == 2  # a known post, and a tombstone for one not seen yet
    late = store.upsert_posts("city", [post(1), post(99)])
    assert late.suppressed == 2 and late.stored == 0
    assert texts(store) == [("2", "kẹt xe 2", False)]
    rows = [r for b in store.iter_posts("city", ["post_id", "text", "author_key"], include_deleted=True) for r in b]
    assert ("1", None, None) in rows
    assert store.apply_deletions("city", [Deletion("x", "1")]).deleted == 0


def test_workspaces_are_isolated(store):
    store.ensure_workspace("other")
    store.upsert_posts("city", [post(1)])
    store.upsert_posts("other", [post(1, "khác"), post(2)])
    assert texts(store, "city") == [("1", "kẹt xe 1", False)]
    assert store.stats("other")["posts"] == 2


def test_invalid_workspace_names_are_refused(store):
    with pytest.raises(ValueError, match="invalid workspace name"):
        store.ensure_workspace("../etc")


def test_store_reopens_with_its_data(store_url):
    path = store_url
    with open_store(path) as s:
        s.ensure_workspace("city", keep_raw=True)
        s.upsert_posts("city", [post(1)])
    with open_store(path) as s:
        assert s.get_workspace("city").keep_raw is True
        assert s.stats()["posts"] == 1


def test_a_store_from_before_the_jobs_table_gains_it_when_opened(store_url):
    path = store_url
    with open_store(path) as s:
        s.ensure_workspace("city")
        s.upsert_posts("city", [post(1)])
        # As written by a civicpulse without persisted jobs (and so before schema migrations).
        s.execute("DROP TABLE jobs")
        s.execute("DROP TABLE schema_migrations")
        s.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with open_store(path) as s:
        assert "jobs" in s.workspace_tables() and s.query("SELECT count(*) FROM jobs") == [(0,)]
        assert s.stats()["posts"] == 1


def test_expiring_posts_keeps_newer_posts_and_deletion_tombstones(store):
    store.upsert_posts("city", [post(i) for i in range(4)])
    store.apply_deletions("city", [Deletion("x", "0", "deleted"), Deletion("x", "99", "deleted")])
    counts = store.expire_posts("city", datetime(2026, 9, 1, 8, 2))  # posts 0 and 1 are older; 0 is deleted
    assert counts["posts"] == 1
    kept = [r[0] for batch in store.iter_posts("city", ["post_id"], include_deleted=True) for r in batch]
    assert sorted(kept) == ["0", "2", "3", "99"]


def test_concurrent_writers_of_the_same_posts_on_postgresql(pg_cluster):
    """Several processes may write one PostgreSQL store: a writer of posts another has not committed yet waits for
    it, then finds them stored (no primary-key failure, honest counts)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    url = pg_cluster.new_database()
    with open_store(url) as first, open_store(url) as second, ThreadPoolExecutor(1) as pool:
        first.ensure_workspace("city")
        with first.con.transaction():  # the first writer's batch is still open when the second arrives
            assert first.upsert_posts("city", [post(i) for i in range(50)]).stored == 50
            racing = pool.submit(second.upsert_posts, "city", [post(i) for i in range(25, 75)])
            time.sleep(1.0)
            assert not racing.done()
        counts = racing.result(timeout=60)
        assert (counts.stored, counts.unchanged) == (25, 25)
        assert second.stats("city")["posts"] == 75


def test_analysed_posts_come_with_their_topics_and_places_as_lists(store):
    store.upsert_posts("city", [post(1), post(2)])
    key = {"workspace": ["city"], "platform": ["x"], "post_id": ["1"]}
    store.save_analysis("city", {
        "post_analysis": {**key, "model": ["m"], "analyzed_at": [datetime(2026, 9, 2)], "sentiment": ["negative"]},
        "post_topics": {**{k: v * 2 for k, v in key.items()}, "topic": ["traffic", "flood"], "score": [0.9, 0.4]},
        "post_places": {**key, "kind": ["vn_ward"], "name": ["Phường Bến Nghé"], "province_2025": ["Hồ Chí Minh"]},
    })
    rows = [row for batch in store.iter_analysed_posts("city", ["post_id"]) for row in batch]
    assert rows[0] == ("1", None, "negative", None, None, ["traffic", "flood"], ["Phường Bến Nghé, Hồ Chí Minh"])
    assert rows[1] == ("2", None, None, None, None, None, None)  # not analysed yet: no lists at all

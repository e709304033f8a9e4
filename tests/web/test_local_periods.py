"""The workspace's time zone over HTTP: settings, local-date filters, the default 7-against-7 days, presets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from civicpulse.accounts import Accounts
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web import create_app
from report_data import add_posts

from .conftest import PASSWORD, sign_in

LATE = datetime(2026, 9, 20, 16, 30)  # 23:30 on 20 September in Vietnam
AFTER_MIDNIGHT = datetime(2026, 9, 20, 17, 30)  # 00:30 on 21 September there
PREVIOUS_WEEK = datetime(2026, 9, 12, 5)


def batch(prefix: str, at: datetime) -> list[tuple]:
    return [(f"{prefix}{i}", f"{prefix}{i}", at + timedelta(minutes=i), "negative", "anger", "traffic", None)
            for i in range(12)]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    store = DuckDBStore(str(Path(tmp_path_factory.mktemp("web-local")) / "web.duckdb"))
    store.ensure_workspace("city")  # the default zone: Asia/Ho_Chi_Minh
    accounts = Accounts(store)
    for name, role in (("alice", "owner"), ("vera", "viewer")):
        accounts.create_user(name, PASSWORD)
        accounts.grant("city", name, role)
    add_posts(store, "city", batch("late", LATE) + batch("night", AFTER_MIDNIGHT) + batch("prev", PREVIOUS_WEEK))
    yield create_app(store, background=False)


def test_settings_name_the_zone_and_only_owners_change_it_to_a_valid_one(app) -> None:
    owner, viewer = sign_in(app, "alice"), sign_in(app, "vera")
    assert owner.get("/api/w/city/settings").json()["timezone"] == "Asia/Ho_Chi_Minh"
    bad = owner.put("/api/w/city/settings", params={"timezone": "Mars/Olympus", "min_authors": 12})
    assert bad.status_code == 400 and "unknown time zone 'Mars/Olympus'" in bad.json()["detail"]
    assert owner.get("/api/w/city/settings").json()["min_authors"] == 10  # nothing half-applied
    assert viewer.put("/api/w/city/settings", params={"timezone": "UTC"}).status_code == 403
    assert owner.put("/api/w/city/settings").status_code == 400  # nothing to change
    changed = owner.put("/api/w/city/settings", params={"timezone": "UTC"})
    assert changed.status_code == 200 and changed.json() == {"min_authors": 10, "timezone": "UTC"}
    # Local dates follow the new zone at once (the cached answers were for the old one).
    day = {"start": "2026-09-20", "end": "2026-09-20", "bucket": "day"}
    assert owner.get("/api/w/city/overview", params=day).json()["totals"]["posts"] == 24
    assert owner.put("/api/w/city/settings", params={"timezone": "Asia/Ho_Chi_Minh"}).status_code == 200
    local = owner.get("/api/w/city/overview", params=day).json()
    assert local["totals"]["posts"] == 12 and local["timezone"] == "Asia/Ho_Chi_Minh"  # the 23:30 posts only
    assert local["period"] == {"start": "2026-09-20T00:00:00", "end": "2026-09-21T00:00:00"}


def test_without_dates_the_overview_compares_the_data_s_last_7_days_with_the_7_before(app) -> None:
    ov = sign_in(app, "vera").get("/api/w/city/overview").json()
    assert ov["preset"] == {"preset": "7d", "first_day": "2026-09-15", "last_day": "2026-09-21",
                            "anchor": "latest_post"}
    assert ov["totals"]["posts"] == 24 and ov["previous"]["totals"]["posts"] == 12
    assert ov["change"]["posts_pct"] == 100.0
    assert ov["previous"]["volume"] and all("aligned" in r for r in ov["previous"]["volume"])
    topics = sign_in(app, "vera").get("/api/w/city/topics").json()  # not "new": it has a previous week
    assert [(t["id"], t["posts"], t["previous_posts"]) for t in topics] == [("traffic", 24, 12)]


def test_presets_and_the_whole_data(app) -> None:
    client = sign_in(app, "vera")
    today = client.get("/api/w/city/overview", params={"period": "today"}).json()
    assert today["preset"]["first_day"] == today["preset"]["last_day"] == "2026-09-21"
    assert today["totals"]["posts"] == 12 and today["previous"]["totals"]["posts"] == 12  # 20 September's
    whole = client.get("/api/w/city/overview", params={"period": "all"}).json()
    assert whole["preset"] is None and whole["totals"]["posts"] == 36
    # Dates win over a preset; the answer then names no preset.
    dated = client.get("/api/w/city/overview", params={"period": "30d", "start": "2026-09-21"}).json()
    assert dated["preset"] is None and dated["totals"]["posts"] == 12
    assert client.get("/api/w/city/overview", params={"period": "fortnight"}).status_code == 422
    places = client.get("/api/w/city/places", params={"period": "7d"}).json()
    assert places["timezone"] == "Asia/Ho_Chi_Minh" and places["preset"]["preset"] == "7d"

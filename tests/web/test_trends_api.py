"""The trends page judges every day of the recent data, not only the last few."""

from __future__ import annotations

from civicpulse.accounts import Accounts
from civicpulse.analytics.localtime import set_timezone
from trend_data import HCMC, add_items, burst, daily_background

from .conftest import sign_in


def test_a_spike_weeks_before_the_end_of_the_data_is_found_and_explained(server, app, app_store) -> None:
    app_store.ensure_workspace("spiky")
    Accounts(app_store).grant("spiky", "alice", "viewer")
    # 30 quiet days; a flood burst on day 18, twelve days before the data ends.
    add_items(app_store, "spiky", daily_background("q", days=30)
              + burst("f", day=18, posts=160, authors=40, topics=("flooding_weather",), provinces=(HCMC,),
                      terms=("#ngapnuoc",)))
    client = sign_in(app, "alice")
    found = client.get("/api/w/spiky/trends").json()
    days = {(s["metric"], s["dimension"], s["bucket_start"][:10]) for s in found["spikes"]}
    assert ("volume", "all", "2026-09-19") in days
    top = next(s for s in found["spikes"] if s["dimension"] == "all" and s["metric"] == "volume")
    assert "#ngapnuoc" in str(top["explanation"]) and "author_key" not in str(top) and "author_id" not in str(top)
    recent_only = client.get("/api/w/spiky/trends", params={"days": 3}).json()
    assert not any(s["bucket_start"].startswith("2026-09-19") for s in recent_only["spikes"])


def test_trends_group_spikes_into_events_and_analysts_note_dates(server, app, app_store) -> None:
    app_store.ensure_workspace("eventful")
    set_timezone(app_store, "eventful", "UTC")  # the burst's hours are one UTC day
    Accounts(app_store).grant("eventful", "arun", "analyst")
    Accounts(app_store).grant("eventful", "vera", "viewer")
    add_items(app_store, "eventful", daily_background("e", days=30)
              + burst("g", day=18, posts=160, authors=40, topics=("flooding_weather",), provinces=(HCMC,),
                      terms=("#ngapnuoc",)))
    analyst, viewer = sign_in(app, "arun"), sign_in(app, "vera")
    found = viewer.get("/api/w/eventful/trends").json()
    flood = found["events"][0]
    assert flood["title"]["en"] == "Flooding & weather in Hồ Chí Minh, 19 Sep"
    assert len(flood["spikes"]) >= 3 and len(found["events"]) < len(found["spikes"])
    assert flood["timeline"] and "author_id" not in str(flood)

    assert viewer.post("/api/w/eventful/annotations", json={"date": "2026-09-19", "text": "x"}).status_code == 403
    note = analyst.post("/api/w/eventful/annotations", json={"date": "2026-09-19", "text": "Cảnh báo mưa lớn"})
    assert note.status_code == 201 and note.json()["created_by"] == "arun"
    assert analyst.post("/api/w/eventful/annotations", json={"date": "2026-19-09", "text": "x"}).status_code == 400
    assert [n["text"] for n in viewer.get("/api/w/eventful/annotations").json()] == ["Cảnh báo mưa lớn"]
    assert analyst.delete(f"/api/w/eventful/annotations/{note.json()['id']}").status_code == 200
    assert analyst.delete(f"/api/w/eventful/annotations/{note.json()['id']}").status_code == 404
    assert viewer.get("/api/w/eventful/annotations").json() == []
    actions = [e["action"] for e in app_store.audit_entries("eventful") if e["action"].startswith("annotation")]
    assert actions == ["annotation.create", "annotation.delete"]

"""The trends page judges every day of the recent data, not only the last few."""

from __future__ import annotations

from civicpulse.accounts import Accounts
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

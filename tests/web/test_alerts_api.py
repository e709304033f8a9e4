"""Alert rules over HTTP: refused webhook targets answer 422, deliveries run in the background, and members read
only pending / delivered / failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from civicpulse.accounts import Accounts
from civicpulse.analytics.localtime import DEFAULT_TIMEZONE, local_day_start, local_today
from civicpulse.notify.targets import ALLOW_ENV
from civicpulse.store.duckdb_store import DuckDBStore
from test_alerts import add_posts
from webhook_receiver import WebhookReceiver

from .conftest import PASSWORD, sign_in


@pytest.fixture(scope="module")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """Lighter than the shared seed: two members and today's hand-analysed posts, enough to fire a rule."""
    store = DuckDBStore(str(Path(tmp_path_factory.mktemp("web-alerts")) / "web.duckdb"))
    store.ensure_workspace("city")
    accounts = Accounts(store)
    for name, role in (("arun", "analyst"), ("vera", "viewer")):
        accounts.create_user(name, PASSWORD)
        accounts.grant("city", name, role)
    # Local midnight of today in the workspace's zone (the default, Asia/Ho_Chi_Minh): the day window's start.
    today = local_day_start(local_today(DEFAULT_TIMEZONE), DEFAULT_TIMEZONE)
    add_posts(store, "city", "today", 30, authors=12, at=today)
    yield store


@pytest.fixture(autouse=True)
def no_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)


RULE = {"name": "busy", "metric": "volume", "threshold": 10, "window": "day"}


@pytest.mark.parametrize(("url", "reason"), [("http://127.0.0.1:8080/", "loopback address"),
                                            ("http://169.254.169.254/latest/meta-data/", "metadata address"),
                                            ("http://[::1]/", "loopback address"),
                                            ("http://10.0.0.1/", "private address"),
                                            ("http://2130706433/", "numeric host form")])
def test_a_non_public_webhook_target_is_refused_with_422(server, app, url: str, reason: str) -> None:
    analyst = sign_in(app, "arun")
    response = analyst.post("/api/w/city/alerts/rules", json={**RULE, "webhook_url": url})
    assert response.status_code == 422 and response.json()["detail"] == f"webhook target not allowed: {reason}"
    assert analyst.get("/api/w/city/alerts/rules").json() == []


def test_members_see_the_outcome_of_a_background_delivery_not_its_reason(server, app, monkeypatch) -> None:
    analyst, viewer = sign_in(app, "arun"), sign_in(app, "vera")
    with WebhookReceiver(statuses=[404]) as hook:
        monkeypatch.setenv(ALLOW_ENV, f"127.0.0.1:{hook.port}")
        created = analyst.post("/api/w/city/alerts/rules", json={**RULE, "webhook_url": hook.url})
        assert created.status_code == 201 and created.json()["webhook_secret"]
        (fired,) = analyst.post("/api/w/city/alerts/evaluate").json()
        assert fired["deliveries"]["webhook"]["status"] == "pending"
        assert app.state.ctx.deliveries.wait_idle(timeout=20)
        assert len(hook.requests) == 1
    (event,) = viewer.get("/api/w/city/alerts").json()["events"]
    assert event["deliveries"] == {"webhook": {"status": "failed", "at": event["deliveries"]["webhook"]["at"]}}
    assert "404" not in json.dumps(event["deliveries"]) and "webhook_secret" not in viewer.get(
        "/api/w/city/alerts/rules").json()[0]

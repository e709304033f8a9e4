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
    assert event["deliveries"] == {"webhook": {"status": "failed", "at": event["deliveries"]["webhook"]["at"],
                                               "reason": "send_failed"}}
    assert "404" not in json.dumps(event["deliveries"]) and "webhook_secret" not in viewer.get(
        "/api/w/city/alerts/rules").json()[0]


def test_rules_are_previewed_edited_paused_and_resumed_over_http(server, app, monkeypatch) -> None:
    analyst, viewer = sign_in(app, "arun"), sign_in(app, "vera")
    draft = analyst.post("/api/w/city/alerts/preview", json={"metric": "volume", "threshold": 10, "days": 7})
    assert draft.status_code == 200, draft.text
    (window,) = draft.json()["windows"]
    assert draft.json()["fired"] == 1 and window["value"] == 30
    assert window["posts_url"].startswith("/w/city/posts?start=")
    assert viewer.post("/api/w/city/alerts/preview", json={"metric": "volume", "threshold": 10}).status_code == 403
    assert analyst.post("/api/w/city/alerts/preview",
                        json={"metric": "negative_share", "threshold": 5}).status_code == 400

    rule = analyst.post("/api/w/city/alerts/rules", json={**RULE, "name": "editable", "threshold": 50}).json()
    path = f"/api/w/city/alerts/rules/{rule['rule_id']}"
    assert viewer.get(path + "/preview").json()["fired"] == 0
    assert viewer.patch(path, json={"enabled": False}).status_code == 403
    edited = analyst.patch(path, json={"threshold": 20, "enabled": False})
    assert edited.status_code == 200 and edited.json()["threshold"] == 20 and not edited.json()["enabled"]
    assert "webhook_secret" not in edited.json()
    assert viewer.get(path + "/preview?days=7").json()["fired"] == 1
    assert analyst.patch(path, json={"threshold": None}).status_code == 400
    assert analyst.patch(path, json={"window": "week"}).status_code == 422
    assert analyst.patch("/api/w/city/alerts/rules/nope", json={"enabled": True}).status_code == 404
    resumed = analyst.patch(path, json={"enabled": True}).json()
    assert resumed["enabled"] and resumed["threshold"] == 20
    analyst.delete(path)


def test_members_learn_that_email_is_not_configured(server, app, monkeypatch) -> None:
    viewer = sign_in(app, "vera")
    monkeypatch.delenv("CIVICPULSE_SMTP_HOST", raising=False)
    assert viewer.get("/api/w/city/alerts/channels").json()["email"] == {
        "configured": False, "setting": "CIVICPULSE_SMTP_HOST"}
    monkeypatch.setenv("CIVICPULSE_SMTP_HOST", "127.0.0.1")
    assert viewer.get("/api/w/city/alerts/channels").json()["email"]["configured"] is True

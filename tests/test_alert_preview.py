"""Alert previews over stored history, rule edits and pauses, and the links from an alert to its posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from civicpulse.alerts import AlertService
from civicpulse.analytics.localtime import set_timezone
from civicpulse.store.duckdb_store import DuckDBStore
from test_alerts import NOW, add_posts

OLD = datetime(2025, 3, 1)  # imported history, long before "now"


@pytest.fixture
def store():
    s = DuckDBStore(":memory:")
    s.ensure_workspace("city")
    s.ensure_workspace("other")
    for ws in ("city", "other"):
        set_timezone(s, ws, "UTC")  # the windows below are UTC days (tests/test_local_time.py covers local ones)
    # Three busy days (30 posts each) among quiet ones (12 posts), all in March 2025.
    for day in range(14):
        busy = day in (3, 7, 12)
        add_posts(s, "city", f"d{day}-", 30 if busy else 12, authors=12, at=OLD + timedelta(days=day, hours=8),
                  topic="flooding_weather" if busy else None)
    yield s
    s.close()


def test_preview_lists_the_windows_a_rule_would_have_fired_in_over_imported_history(store) -> None:
    service = AlertService(store)
    rule = service.draft("city", "busy days", "volume", 25)
    assert service.evaluate("city", now=NOW) == []  # live evaluation reads the current day only: nothing
    preview = service.preview(rule, days=30)
    assert preview.end == OLD + timedelta(days=14)  # the end of the stored data, not today
    assert [r.window_start for r in preview.readings] == [OLD + timedelta(days=d) for d in (3, 7, 12)]
    assert [r.value for r in preview.readings] == [30, 30, 30]
    assert service.preview(rule, days=3).readings == [service.preview(rule, days=30).readings[-1]]
    # The preview and live evaluation measure alike: evaluating at a busy day fires the same figure.
    stored = service.create_rule("city", "busy days", "volume", 25)
    (event,) = service.evaluate("city", now=OLD + timedelta(days=7, hours=20))
    assert (event.window_start, event.value) == (preview.readings[1].window_start, preview.readings[1].value)
    assert service.preview(stored, days=30).to_dict(stored)["fired"] == 3
    assert len(service.events("city")) == 1  # a preview stores nothing


def test_preview_of_a_hourly_negative_share_rule_and_a_quiet_one(store) -> None:
    service = AlertService(store)
    hourly = service.draft("city", "hourly", "volume", 25, window="hour")
    assert [r.window_start for r in service.preview(hourly, days=30).readings] == \
        [OLD + timedelta(days=d, hours=8) for d in (3, 7, 12)]
    negative = service.draft("city", "negative", "negative_share", 0.9)
    assert len(service.preview(negative, days=30).readings) == 14  # every post of the fixture is negative
    assert service.preview(service.draft("city", "never", "volume", 1000), days=30).readings == []
    with pytest.raises(ValueError, match="1 to 366 days"):
        service.preview(hourly, days=0)


def test_each_previewed_window_and_fired_event_links_to_its_posts(store) -> None:
    service = AlertService(store)
    rule = service.draft("city", "flood", "volume", 25, topic="flooding_weather", place="Hà Nội")
    windows = service.preview(rule, days=30).to_dict(rule)["windows"]
    assert windows == []  # no post names a place in this fixture: the place narrows to nothing
    rule = service.draft("city", "flood", "volume", 25, topic="flooding_weather")
    link = service.preview(rule, days=30).to_dict(rule)["windows"][0]["posts_url"]
    parts = urlsplit(link)
    assert parts.path == "/w/city/posts"
    assert parse_qs(parts.query) == {"topic": ["flooding_weather"], "start": ["2025-03-04"], "end": ["2025-03-04"]}
    stored = service.create_rule("city", "flood", "volume", 25, topic="flooding_weather")
    (event,) = service.evaluate("city", now=OLD + timedelta(days=3, hours=9))
    assert event.detail["posts_url"] == link and event.rule_id == stored.rule_id
    hourly = service.draft("city", "h", "volume", 25, window="hour")
    assert parse_qs(urlsplit(service.preview(hourly, days=30).to_dict(hourly)["windows"][0]["posts_url"]).query) == \
        {"start": ["2025-03-04T08:00:00"], "end": ["2025-03-04T09:00:00"]}


def test_rules_can_be_edited_paused_and_resumed_and_each_change_is_audited(store) -> None:
    service = AlertService(store)
    rule = service.create_rule("city", "busy", "volume", 100, user="lan")
    edited = service.update_rule("city", rule.rule_id, {"threshold": 25, "name": "busy days"}, user="minh")
    assert (edited.name, edited.threshold, edited.metric, edited.created_by) == ("busy days", 25, "volume", "lan")
    busy = OLD + timedelta(days=3, hours=20)
    paused = service.update_rule("city", rule.rule_id, {"enabled": False}, user="minh")
    assert not paused.enabled and paused.threshold == 25
    assert service.evaluate("city", now=busy) == []
    service.update_rule("city", rule.rule_id, {"enabled": True}, user="minh")
    (event,) = service.evaluate("city", now=busy)
    assert event.value == 30 and event.threshold == 25
    with pytest.raises(ValueError, match="threshold for negative_share"):
        service.update_rule("city", rule.rule_id, {"metric": "negative_share"})  # 25 is no share
    with pytest.raises(ValueError, match="no editable field"):
        service.update_rule("city", rule.rule_id, {"created_by": "eve"})
    with pytest.raises(LookupError):
        service.update_rule("other", rule.rule_id, {"threshold": 5})
    assert service.get_rule("city", rule.rule_id).threshold == 25  # refused edits change nothing
    audit = [(e["actor"], e["action"]) for e in store.audit_entries("city")]
    assert audit.count(("minh", "alert.rule.update")) == 3


def test_a_new_webhook_url_gets_a_new_secret_and_removing_it_drops_it(store, monkeypatch) -> None:
    from civicpulse.notify.targets import ALLOW_ENV

    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    service = AlertService(store)
    rule = service.create_rule("city", "hook", "volume", 25, webhook_url="http://127.0.0.1:9/a")
    same = service.update_rule("city", rule.rule_id, {"threshold": 26})
    assert same.webhook_secret is None and same.webhook_url == "http://127.0.0.1:9/a"
    moved = service.update_rule("city", rule.rule_id, {"webhook_url": "http://127.0.0.1:9/b"})
    assert moved.webhook_secret and moved.webhook_secret != rule.webhook_secret
    dropped = service.update_rule("city", rule.rule_id, {"webhook_url": None})
    assert dropped.webhook_url is None
    assert store.query("SELECT webhook_secret FROM alert_rules WHERE rule_id = ?", [rule.rule_id]) == [(None,)]


def test_the_audit_names_only_the_fields_that_changed(store) -> None:
    import json

    service = AlertService(store)
    rule = service.create_rule("city", "mail", "volume", 100, email_to=["ops@example.org"])
    service.update_rule("city", rule.rule_id, {"email_to": ["ops@example.org"], "threshold": 50}, user="minh")
    (entry,) = [e for e in store.audit_entries("city") if e["action"] == "alert.rule.update"]
    assert json.loads(entry["detail"])["changed"] == ["threshold"]

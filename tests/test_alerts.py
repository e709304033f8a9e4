"""Alert rules: validation, evaluation per window with k-suppression, dedup, delivery, workspace isolation."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from civicpulse.alerts import AlertService, RuleNotFound
from civicpulse.analytics.localtime import set_timezone
from civicpulse.notify import webhook
from civicpulse.notify.email import SmtpSettings
from civicpulse.notify.targets import ALLOW_ENV
from civicpulse.notify.webhook import verify
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore
from smtp_sink import SmtpSink
from webhook_receiver import WebhookReceiver

DAY = datetime(2026, 9, 14)
NOW = DAY + timedelta(hours=15, minutes=30)
# One statement per batch (not per post) keeps each test's setup fast.
ANALYSIS = ("INSERT INTO post_analysis (workspace, platform, post_id, model, analyzed_at, language, sentiment, "
            "sentiment_score, emotion) SELECT workspace, platform, post_id, 'test', created_at, 'vi', ?, ?, 'neutral' "
            "FROM posts WHERE workspace = ? AND post_id LIKE ?")
TOPICS = ("INSERT INTO post_topics (workspace, platform, post_id, topic, score) "
          "SELECT workspace, platform, post_id, ?, 0.9 FROM posts WHERE workspace = ? AND post_id LIKE ?")


def add_posts(store: DuckDBStore, ws: str, prefix: str, n: int, authors: int, at: datetime,
              sentiment: str = "negative", topic: str | None = None) -> None:
    """n analysed posts by `authors` distinct pseudonyms, spread over the 50 minutes after `at`."""
    store.upsert_posts(ws, [Post("mastodon", f"{prefix}{i}", Kind.POST, f"bài {prefix}{i}",
                                 at + timedelta(minutes=i % 50), "mastodon", author_key=f"1.{prefix}{i % authors:018x}")
                            for i in range(n)])
    score = {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[sentiment]
    store.execute(ANALYSIS, [sentiment, score, ws, f"{prefix}%"])
    if topic:
        store.execute(TOPICS, [topic, ws, f"{prefix}%"])
    store.sync_analysis_keys()  # rows inserted by hand: fill what save_analysis would


@pytest.fixture
def store():
    s = DuckDBStore(":memory:")
    for ws in ("city", "other", "tiny"):
        s.ensure_workspace(ws)
        set_timezone(s, ws, "UTC")  # windows below are UTC days (test_alert_windows_follow_the_local_day: local)
    add_posts(s, "city", "n", 30, authors=12, at=DAY + timedelta(hours=8), topic="flooding_weather")
    add_posts(s, "city", "p", 10, authors=10, at=DAY + timedelta(hours=9), sentiment="positive")
    add_posts(s, "other", "o", 40, authors=20, at=DAY + timedelta(hours=8))
    add_posts(s, "tiny", "t", 30, authors=3, at=DAY + timedelta(hours=8))  # below k = 10
    yield s
    s.close()


@pytest.fixture(scope="module")
def bare_store():
    """No posts: validation needs only the workspace, and a rejected rule must leave no row behind."""
    s = DuckDBStore(":memory:")
    s.ensure_workspace("city")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")  # the local receivers; loopback is refused by default


def statuses(deliveries: dict) -> dict[str, str]:
    """What members see per channel is a status, a time and, for a failure only, a coarse reason."""
    assert all(set(d) == {"status", "at", *(["reason"] if d["status"] == "failed" else [])} and d["at"]
               for d in deliveries.values()), deliveries
    return {channel: d["status"] for channel, d in deliveries.items()}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_volume_rule_fires_once_per_window_by_app_email_and_signed_webhook(store) -> None:
    with SmtpSink() as sink, WebhookReceiver() as hook:
        service = AlertService(store, SmtpSettings("127.0.0.1", sink.port), base_url="https://cp.example.org/")
        rule = service.create_rule("city", "Nhiều bài đăng", "volume", 35, email_to="ops@example.org, desk@ex.vn",
                                   webhook_url=hook.url, user="lan")
        assert rule.webhook_secret and len(rule.webhook_secret) >= 32
        (event,) = service.evaluate("city", now=NOW)
        assert event.value == 40 and event.threshold == 35 and event.window_start == DAY
        assert statuses(event.deliveries) == {"email": "delivered", "webhook": "delivered"}
        assert "40 posts today" in event.message and "40 bài đăng trong hôm nay" in event.detail["message"]["vi"]

        (mail,) = sink.wait_for(1)
        assert mail["Subject"] == "[civicpulse] Alert / Cảnh báo: Nhiều bài đăng (city)"
        assert sink.envelopes[0][1] == ["ops@example.org", "desk@ex.vn"]
        assert "https://cp.example.org/w/city/alerts" in mail.get_content()

        (req,) = hook.wait_for(1)
        payload = json.loads(req.body)
        assert payload["event_id"] == event.event_id == req.headers["X-Civicpulse-Event-Id"]
        assert (payload["workspace"], payload["metric"], payload["value"], payload["window"]) == \
            ("city", "volume", 40, "day")
        assert payload["rule"]["id"] == rule.rule_id and payload["link"] == "https://cp.example.org/w/city/alerts"
        ts, sig = req.headers["X-Civicpulse-Timestamp"], req.headers["X-Civicpulse-Signature"]
        assert verify(rule.webhook_secret, ts, req.body, sig)
        assert not verify(rule.webhook_secret, ts, req.body.replace(b"40", b"41"), sig)

        assert service.evaluate("city", now=NOW + timedelta(hours=3)) == []  # same day: no duplicate
        assert len(sink.messages) == 1 and len(hook.requests) == 1
    stored = service.events("city")
    assert [e.event_id for e in stored] == [event.event_id] and stored[0].deliveries == event.deliveries
    assert service.unseen_count("city") == 1
    service.mark_seen("city", [event.event_id])
    assert service.unseen_count("city") == 0 and service.events("city", unseen_only=True) == []
    # The secret is shown once: rules read back never carry it.
    assert service.get_rule("city", rule.rule_id).webhook_secret is None
    assert "webhook_secret" not in service.list_rules("city")[0].to_dict()


def test_a_new_window_fires_again_and_an_empty_window_does_not(store) -> None:
    service = AlertService(store)
    service.create_rule("city", "hourly", "volume", 20, window="hour")
    (first,) = service.evaluate("city", now=DAY + timedelta(hours=8, minutes=55))
    assert first.window_start == DAY + timedelta(hours=8) and first.value == 30
    assert service.evaluate("city", now=DAY + timedelta(hours=10)) == []  # no posts between 10:00 and 11:00
    assert service.evaluate("city", now=DAY + timedelta(days=1)) == []


def test_rules_under_threshold_off_topic_or_disabled_do_not_fire(store) -> None:
    service = AlertService(store)
    service.create_rule("city", "too high", "volume", 41)
    service.create_rule("city", "other topic", "volume", 5, topic="traffic")
    disabled = service.create_rule("city", "disabled", "volume", 5)
    service.set_enabled("city", disabled.rule_id, False)
    assert not service.get_rule("city", disabled.rule_id).enabled
    assert service.evaluate("city", now=NOW) == []
    service.set_enabled("city", disabled.rule_id, True)
    assert [e.rule_id for e in service.evaluate("city", now=NOW)] == [disabled.rule_id]


def test_negative_share_and_topic_rules(store) -> None:
    service = AlertService(store)
    share = service.create_rule("city", "negative", "negative_share", 0.7)
    service.create_rule("city", "negative high", "negative_share", 0.8)  # 30 of 40 = 0.75
    flood = service.create_rule("city", "flood", "volume", 30, topic="flooding_weather")
    events = {e.rule_id: e for e in service.evaluate("city", now=NOW)}
    assert set(events) == {share.rule_id, flood.rule_id}
    assert events[share.rule_id].value == 0.75 and "75% of posts are negative" in events[share.rule_id].message
    assert events[flood.rule_id].value == 30 and "topic Flooding & weather" in events[flood.rule_id].message
    assert "chủ đề Ngập lụt & thời tiết" in events[flood.rule_id].detail["message"]["vi"]


def test_a_window_with_fewer_than_k_authors_never_fires(store) -> None:
    service = AlertService(store)
    service.create_rule("tiny", "any post", "volume", 1)
    service.create_rule("tiny", "any negativity", "negative_share", 0.1)
    assert service.evaluate("tiny", now=NOW) == []
    assert service.events("tiny") == []


def test_webhook_500_then_200_is_retried_and_recorded_as_delivered(store) -> None:
    with WebhookReceiver(statuses=[500, 200]) as hook:
        service = AlertService(store)
        service.create_rule("city", "retry", "volume", 10, webhook_url=hook.url)
        (event,) = service.evaluate("city", now=NOW)
        assert len(hook.requests) == 2
    assert statuses(event.deliveries) == {"webhook": "delivered"}


def test_failed_deliveries_are_recorded_and_the_event_kept(store) -> None:
    service = AlertService(store, SmtpSettings("127.0.0.1", closed_port(), timeout=2))
    service.create_rule("city", "unreachable", "volume", 10, email_to=["ops@example.org"],
                        webhook_url=f"http://127.0.0.1:{closed_port()}/hook")
    (event,) = service.evaluate("city", now=NOW)
    (stored,) = service.events("city")
    assert stored.event_id == event.event_id and not stored.seen
    assert statuses(stored.deliveries) == {"email": "failed", "webhook": "failed"}
    assert {c: d["reason"] for c, d in stored.deliveries.items()} == {"email": "send_failed", "webhook": "send_failed"}
    no_smtp = AlertService(store)
    no_smtp.create_rule("other", "mail", "volume", 10, email_to="ops@example.org")
    (event,) = no_smtp.evaluate("other", now=NOW)
    assert statuses(event.deliveries) == {"email": "failed"}
    assert event.deliveries["email"]["reason"] == "email_not_configured"


def test_workspaces_are_isolated(store) -> None:
    service = AlertService(store)
    rule = service.create_rule("city", "city volume", "volume", 10)
    for call in (lambda: service.get_rule("other", rule.rule_id), lambda: service.delete_rule("other", rule.rule_id),
                 lambda: service.set_enabled("other", rule.rule_id, False)):
        with pytest.raises(RuleNotFound, match="other"):
            call()
    assert service.list_rules("other") == [] and service.evaluate("other", now=NOW) == []
    (event,) = service.evaluate("city", now=NOW)
    assert event.value == 40 and event.workspace == "city"
    assert service.events("other") == [] and service.unseen_count("other") == 0
    service.mark_seen("other", [event.event_id])
    assert service.unseen_count("city") == 1
    service.delete_rule("city", rule.rule_id)
    with pytest.raises(RuleNotFound):
        service.get_rule("city", rule.rule_id)
    assert len(service.events("city")) == 1  # history survives the rule


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"metric": "likes"}, "unknown alert metric"),
    ({"window": "week"}, "unknown alert window"),
    ({"threshold": 0}, "greater than 0"),
    ({"threshold": float("nan")}, "threshold"),
    ({"threshold": "many"}, "must be a number"),
    ({"metric": "negative_share", "threshold": 30}, "at most 1"),
    ({"email_to": "ops@example.org, not-an-address"}, "invalid email address.*not-an-address"),
    ({"webhook_url": "file:///etc/passwd"}, "http"),
    ({"webhook_url": "javascript:alert(1)"}, "http"),
    ({"name": "  "}, "needs a name"),
    ({"ws": "nowhere"}, "no workspace"),
])
def test_invalid_rules_are_refused(bare_store, kwargs: dict, error: str) -> None:
    args = {"ws": "city", "name": "r", "metric": "volume", "threshold": 5} | kwargs
    with pytest.raises(ValueError, match=error):
        AlertService(bare_store).create_rule(**args)
    assert bare_store.query("SELECT count(*) FROM alert_rules")[0][0] == 0


def test_spike_rules_fire_on_an_unusual_window_once(store) -> None:
    for day in range(1, 14):  # a steady baseline of 20 posts a day, then 40 today (city's fixture posts)
        add_posts(store, "city", f"h{day}-", 20, authors=10, at=datetime(2026, 9, day, 8))
    service = AlertService(store)
    rule = service.create_rule("city", "spike", "spike", 3.0)
    service.create_rule("city", "traffic spike", "spike", 3.0, topic="traffic")  # no traffic posts: stays quiet
    (event,) = service.evaluate("city", now=NOW.replace(tzinfo=UTC))
    assert event.rule_id == rule.rule_id and event.window_start == DAY
    assert event.fingerprint == f"{rule.rule_id}|{DAY.isoformat()}|volume:all:all"
    assert event.value == pytest.approx((40 - 20) / 20 ** 0.5, abs=0.01)
    assert "40 posts against about 20.0 expected" in event.message
    assert "40 bài đăng so với khoảng 20.0 dự kiến" in event.detail["message"]["vi"]
    assert event.detail["spike"]["observed"] == 40
    assert service.evaluate("city", now=NOW) == []
    assert [e.rule_id for e in service.events("city")] == [rule.rule_id]
    assert service.evaluate("city", now=datetime(2026, 9, 13, 12)) == []  # an ordinary day


def test_saved_query_rules_count_matching_posts_only(store) -> None:
    from civicpulse.analytics.saved_queries import SavedQueries

    query = SavedQueries(store).create("city", "Tiêu cực", "sentiment:negative")
    service = AlertService(store)
    with pytest.raises(ValueError, match=f"no saved query '{query.query_id}' in workspace 'other'"):
        service.create_rule("other", "q", "volume", 5, query_id=query.query_id)
    with_query = service.create_rule("city", "negatives", "volume", 25, query_id=query.query_id)
    (event,) = service.evaluate("city", now=NOW)
    assert event.rule_id == with_query.rule_id and event.value == 30  # 30 of the 40 posts are negative
    plain = service.create_rule("city", "plain", "volume", 5)
    SavedQueries(store).delete("city", query.query_id)  # its rule is skipped from now on; the others still run
    assert [e.rule_id for e in service.evaluate("city", now=NOW)] == [plain.rule_id]


def test_rule_changes_are_audited(store) -> None:
    service = AlertService(store)
    rule = service.create_rule("city", "audited", "volume", 5, user="lan")
    service.set_enabled("city", rule.rule_id, False, user="minh")
    service.delete_rule("city", rule.rule_id, user="minh")
    actions = [(e["actor"], e["action"]) for e in store.audit_entries("city")]
    assert actions == [("lan", "alert.rule.create"), ("minh", "alert.rule.disable"), ("minh", "alert.rule.delete")]


def test_the_doc_names_every_metric_window_payload_key_and_header() -> None:
    from civicpulse.alerts import METRICS, WINDOWS
    from civicpulse.alerts.delivery import webhook_payload
    from civicpulse.alerts.models import AlertEvent, Rule
    from conftest import ROOT

    doc = (ROOT / "docs" / "alerts.md").read_text()
    rule = Rule("city", "r1", "n", "volume", 5.0, "day")
    event = AlertEvent("city", "e1", "r1", "f", DAY, NOW, 6.0, 5.0, "m", {"message": {"en": "", "vi": ""}})
    payload_keys = set(webhook_payload(rule, event, "/w/city/alerts")) | set(webhook_payload(rule, event, "")["rule"])
    for name in (*METRICS, *WINDOWS, *payload_keys, "X-Civicpulse-Timestamp", "X-Civicpulse-Signature",
                 "X-Civicpulse-Event-Id", "CIVICPULSE_SMTP_HOST"):
        assert f"`{name}`" in doc or f'"{name}"' in doc, name

"""Alert deliveries: targets vetted at creation and at delivery, off-thread delivery through a bounded queue,
members seeing only pending / delivered / failed, and webhook secrets that the database never holds."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest

from civicpulse.alerts import AlertService
from civicpulse.alerts.outbox import DeliveryQueue
from civicpulse.notify import targets, webhook
from civicpulse.notify.signing_keys import KEY_FILE
from civicpulse.notify.targets import ALLOW_ENV, TargetRefused
from civicpulse.notify.webhook import verify
from civicpulse.store.duckdb_store import DuckDBStore
from test_alerts import DAY, NOW, add_posts
from webhook_receiver import WebhookReceiver


@pytest.fixture
def store():
    s = DuckDBStore(":memory:")
    s.ensure_workspace("city")
    add_posts(s, "city", "n", 30, authors=12, at=DAY + timedelta(hours=8))
    yield s
    s.close()


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))
    monkeypatch.delenv(ALLOW_ENV, raising=False)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """name -> one address, answered without any real lookup."""
    table: dict[str, str] = {}

    def lookup(host: str, port: int) -> list[tuple]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    monkeypatch.setattr(targets, "getaddrinfo", lookup)
    return table


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(address, *args, **kwargs):
        raise AssertionError(f"attempted to connect to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)


def test_rules_with_non_public_webhook_targets_are_refused_at_creation(store, dns, no_connect) -> None:
    dns["hooks.example.test"] = "10.0.0.1"
    service = AlertService(store)
    for url, reason in (("https://hooks.example.test/h", "private address"),
                        ("http://127.0.0.1:9/", "loopback address"), ("http://169.254.169.254/", "metadata address"),
                        ("http://2130706433/", "numeric host form"),
                        ("http://metadata.google.internal/", "metadata address")):
        with pytest.raises(TargetRefused, match=f"webhook target not allowed: {reason}"):
            service.create_rule("city", "r", "volume", 5, webhook_url=url)
    assert store.query("SELECT count(*) FROM alert_rules")[0][0] == 0


def test_a_target_that_turns_private_after_creation_is_refused_at_delivery(store, dns, no_connect, caplog) -> None:
    dns["hooks.example.test"] = "93.184.216.34"  # public when the rule is created (vetted, never contacted)
    service = AlertService(store)
    service.create_rule("city", "rebinding", "volume", 10, webhook_url="https://hooks.example.test/h")
    dns["hooks.example.test"] = "169.254.169.254"
    (event,) = service.evaluate("city", now=NOW)
    assert {c: d["status"] for c, d in event.deliveries.items()} == {"webhook": "failed"}
    assert event.deliveries["webhook"]["reason"] == "webhook_target_refused"  # the policy, not the network
    assert "webhook target not allowed: metadata address" in caplog.text  # the reason is for the operators


def test_evaluation_only_enqueues_and_a_stalled_receiver_is_recorded_failed_later(store, monkeypatch) -> None:
    """The evaluating call (an import job, the scheduler) returns while the receiver still holds the request."""
    monkeypatch.setattr(webhook, "TOTAL_TIMEOUT_S", 0.5)
    hold = threading.Event()
    queue = DeliveryQueue(store)
    try:
        with WebhookReceiver(hold=hold) as hook:
            monkeypatch.setenv(ALLOW_ENV, f"127.0.0.1:{hook.port}")
            service = AlertService(store, deliveries=queue)
            service.create_rule("city", "stalled", "volume", 10, webhook_url=hook.url)
            (event,) = service.evaluate("city", now=NOW)
            assert event.deliveries["webhook"]["status"] == "pending"
            assert service.events("city")[0].deliveries["webhook"]["status"] == "pending"
            assert queue.wait_idle(timeout=20)
            hold.set()
            assert len(hook.requests) == 3  # every attempt reached the receiver and timed out
    finally:
        hold.set()
        queue.stop()
    (stored,) = service.events("city")
    assert stored.deliveries["webhook"]["status"] == "failed" and event.deliveries["webhook"]["status"] == "pending"


def test_a_full_queue_records_failures_instead_of_growing(store, monkeypatch) -> None:
    hold = threading.Event()  # the receiver answers only once evaluation is over: the worker is busy until then
    queue = DeliveryQueue(store, capacity=1)
    try:
        with WebhookReceiver(hold=hold) as hook:
            monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
            service = AlertService(store, deliveries=queue)
            for i in range(4):
                service.create_rule("city", f"r{i}", "volume", 10, webhook_url=hook.url)
            events = service.evaluate("city", now=NOW)
            hold.set()
            states = {e.event_id: e.deliveries["webhook"]["status"] for e in events}
            assert len(events) == 4 and 1 <= list(states.values()).count("pending") <= 2  # 1 in hand, 1 queued
            assert queue.wait_idle(timeout=20)
    finally:
        hold.set()
        queue.stop()
    final = {e.event_id: e.deliveries["webhook"]["status"] for e in service.events("city")}
    assert final == {k: "delivered" if v == "pending" else "failed" for k, v in states.items()}


def test_stopping_records_the_deliveries_still_queued_as_failed(store, monkeypatch) -> None:
    hold = threading.Event()
    queue = DeliveryQueue(store)
    try:
        with WebhookReceiver(hold=hold) as hook:
            monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
            service = AlertService(store, deliveries=queue)
            for i in range(3):
                service.create_rule("city", f"r{i}", "volume", 10, webhook_url=hook.url)
            service.evaluate("city", now=NOW)
            hook.wait_for(1)  # the worker holds the first delivery; two wait in the queue
            stopping = threading.Thread(target=queue.stop, kwargs={"timeout": 0.1})
            stopping.start()
            hook.wait_for(1)
            stopped_states = []
            deadline = time.monotonic() + 10
            while stopped_states.count("failed") < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
                stopped_states = [e.deliveries["webhook"]["status"] for e in service.events("city")]
            assert sorted(stopped_states) == ["failed", "failed", "pending"]  # the queued ones, while one is in hand
            hold.set()
            stopping.join(timeout=20)
            assert not stopping.is_alive() and not queue.submit(None)  # type: ignore[arg-type]
            assert len(hook.requests) == 1  # the queued deliveries were never attempted
    finally:
        hold.set()


def test_members_never_see_why_a_delivery_failed(store) -> None:
    """Events stored by older versions carried the reason ("Connection refused"...): it is not shown."""
    service = AlertService(store)
    service.create_rule("city", "old", "volume", 10)
    (event,) = service.evaluate("city", now=NOW)
    legacy = {"webhook": {"ok": False, "error": "webhook http://10.0.0.5:22/ failed: Connection refused"},
              "email": {"ok": True, "recipients": 2}}
    store.execute("UPDATE alert_events SET deliveries = ? WHERE event_id = ?", [json.dumps(legacy), event.event_id])
    (shown,) = service.events("city")
    assert shown.deliveries == {"webhook": {"status": "failed", "at": None, "reason": "send_failed"},
                                "email": {"status": "delivered", "at": None}}
    assert "Connection refused" not in json.dumps(shown.to_dict())


def test_webhook_secrets_are_derived_from_a_key_outside_the_database(tmp_path, monkeypatch) -> None:
    db = DuckDBStore(str(tmp_path / "store.duckdb"))
    try:
        db.ensure_workspace("city")
        add_posts(db, "city", "n", 30, authors=12, at=DAY + timedelta(hours=8))
        with WebhookReceiver() as hook:
            monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
            rule = AlertService(db).create_rule("city", "signed", "volume", 10, webhook_url=hook.url)
            (stored,) = db.query("SELECT webhook_secret FROM alert_rules")[0]
            assert rule.webhook_secret and rule.webhook_secret not in stored and stored.startswith("kdf1:")
            assert (tmp_path / "store.duckdb.keys" / KEY_FILE).stat().st_mode & 0o777 == 0o600
            elsewhere = AlertService(db, keys_dir=tmp_path / "other-keys")  # a database copied without its keys
            (unsigned,) = elsewhere.evaluate("city", now=NOW)
            assert unsigned.deliveries["webhook"]["status"] == "failed" and hook.requests == []
            db.execute("DELETE FROM alert_events")
            (event,) = AlertService(db).evaluate("city", now=NOW)  # a new service re-derives the same secret
            (request,) = hook.wait_for(1)
        assert event.deliveries["webhook"]["status"] == "delivered"
        assert verify(rule.webhook_secret, request.headers["X-Civicpulse-Timestamp"], request.body,
                      request.headers["X-Civicpulse-Signature"])
    finally:
        db.close()


def test_a_secret_stored_in_clear_by_an_older_version_still_signs(store, monkeypatch) -> None:
    with WebhookReceiver() as hook:
        monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
        service = AlertService(store)
        rule = service.create_rule("city", "legacy", "volume", 10, webhook_url=hook.url)
        store.execute("UPDATE alert_rules SET webhook_secret = 'old-clear-secret' WHERE rule_id = ?", [rule.rule_id])
        service.evaluate("city", now=NOW)
        (request,) = hook.wait_for(1)
    assert verify("old-clear-secret", request.headers["X-Civicpulse-Timestamp"], request.body,
                  request.headers["X-Civicpulse-Signature"])

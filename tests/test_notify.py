"""Email through a local SMTP sink; webhook signing, verification, retries and refusals."""

from __future__ import annotations

import json
import socket
import time

import pytest

from civicpulse.notify import webhook
from civicpulse.notify.email import EmailError, SmtpSettings, send_email
from civicpulse.notify.targets import ALLOW_ENV
from civicpulse.notify.webhook import DeliveryError, post_signed, sign, verify
from smtp_sink import SmtpSink
from webhook_receiver import WebhookReceiver

SECRET = "s3cret-token"


@pytest.fixture(autouse=True)
def allow_local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback is refused by default; the local receiver is reached through the instance allow-list."""
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_email_arrives_with_text_html_and_attachment() -> None:
    with SmtpSink() as sink:
        settings = SmtpSettings("127.0.0.1", sink.port, sender="alerts@civicpulse.test")
        send_email(settings, ["ops@example.org", " desk@example.org "], "Cảnh báo: ngập lụt",
                   "Mưa lớn.\n.line starting with a dot\n", html="<p>Mưa lớn</p>",
                   attachments=[("report.pdf", b"%PDF-1.4 demo", "application/pdf")])
        (msg,) = sink.wait_for(1)
    assert msg["Subject"] == "Cảnh báo: ngập lụt" and msg["From"] == "alerts@civicpulse.test"
    assert sink.envelopes == [("alerts@civicpulse.test", ["ops@example.org", "desk@example.org"])]
    assert msg.get_body(("plain",)).get_content() == "Mưa lớn.\n.line starting with a dot\n"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Mưa lớn</p>"
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "report.pdf" and attachment.get_content() == b"%PDF-1.4 demo"


def test_long_vietnamese_subjects_keep_their_spaces() -> None:
    subject = "[civicpulse] Cảnh báo: Nhiều bài đăng tiêu cực về ngập lụt ở Thành phố Hồ Chí Minh hôm nay"
    with SmtpSink() as sink:
        send_email(SmtpSettings("127.0.0.1", sink.port), ["ops@example.org"], subject, "x")
        assert sink.wait_for(1)[0]["Subject"] == subject


def test_email_errors_are_clear() -> None:
    with pytest.raises(EmailError, match=r"127\.0\.0\.1:\d+"):
        send_email(SmtpSettings("127.0.0.1", closed_port(), timeout=2), ["a@example.org"], "s", "t")
    with pytest.raises(ValueError, match="recipient"):
        send_email(SmtpSettings("127.0.0.1"), [" "], "s", "t")


def test_smtp_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIVICPULSE_SMTP_HOST", raising=False)
    assert SmtpSettings.from_env() is None
    monkeypatch.setenv("CIVICPULSE_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("CIVICPULSE_SMTP_PORT", "587")
    monkeypatch.setenv("CIVICPULSE_SMTP_USER", "bot")
    monkeypatch.setenv("CIVICPULSE_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("CIVICPULSE_SMTP_STARTTLS", "true")
    assert SmtpSettings.from_env() == SmtpSettings("mail.example.org", 587, "civicpulse@localhost", "bot", "pw", True)
    monkeypatch.setenv("CIVICPULSE_SMTP_PORT", "smtp")
    with pytest.raises(ValueError, match="CIVICPULSE_SMTP_PORT"):
        SmtpSettings.from_env()


def test_signature_verifies_and_rejects_tampering_staleness_and_wrong_secret() -> None:
    body, now = b'{"a":1}', 1_800_000_000
    signature = sign(SECRET, now, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify(SECRET, str(now), body, signature, now=now + 10)
    assert not verify(SECRET, now, b'{"a":2}', signature, now=now)
    assert not verify("other", now, body, signature, now=now)
    assert not verify(SECRET, now + 1, body, signature, now=now)  # timestamp is part of what is signed
    assert not verify(SECRET, now, body, signature, now=now + 301)
    assert not verify(SECRET, "yesterday", body, signature, now=now)


def test_post_signed_sends_verifiable_json_with_headers() -> None:
    with WebhookReceiver() as hook:
        assert post_signed(hook.url, SECRET, {"event_id": "e1", "text": "Ngập"}) == 200
        (req,) = hook.requests
    assert req.path == "/hook" and req.headers["Content-Type"] == "application/json"
    assert req.headers["X-Civicpulse-Event-Id"] == "e1"
    assert json.loads(req.body) == {"event_id": "e1", "text": "Ngập"}
    assert verify(SECRET, req.headers["X-Civicpulse-Timestamp"], req.body, req.headers["X-Civicpulse-Signature"])


def test_post_signed_retries_server_errors_but_not_client_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))
    with WebhookReceiver(statuses=[500, 503, 200]) as hook:
        assert post_signed(hook.url, SECRET, {"event_id": "e2"}) == 200
        assert len(hook.requests) == 3
        assert {r.headers["X-Civicpulse-Event-Id"] for r in hook.requests} == {"e2"}
    with WebhookReceiver(statuses=[404]) as hook:
        assert post_signed(hook.url, SECRET, {}) == 404
        assert len(hook.requests) == 1
    with WebhookReceiver(statuses=[500]) as hook, pytest.raises(DeliveryError, match=r"3 attempt.*HTTP 500"):
        post_signed(hook.url, SECRET, {}, retries=2)


def test_post_signed_refuses_other_schemes_and_reports_unreachable_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))
    for url in ("file:///etc/passwd", "ftp://example.org/x", "http://", "example.org/hook"):
        with pytest.raises(ValueError, match="http"):
            post_signed(url, SECRET, {})
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="2 attempt"):
        post_signed(f"http://127.0.0.1:{closed_port()}/hook", SECRET, {}, timeout=1, retries=1)
    assert time.monotonic() - started < 3


def test_redirects_on_an_allowed_receiver_are_followed_with_the_same_signed_post() -> None:
    with WebhookReceiver(statuses=[302, 200]) as hook:
        assert post_signed(hook.url, SECRET, {"event_id": "e3"}) == 200
        first, second = hook.requests
    assert (first.path, second.path, second.method) == ("/hook", "/moved", "POST")
    assert second.body == first.body and second.headers["X-Civicpulse-Event-Id"] == "e3"


def test_endless_redirects_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))
    with WebhookReceiver(statuses=[307]) as hook, pytest.raises(DeliveryError, match="more than 3 redirects"):
        post_signed(hook.url, SECRET, {}, retries=0)
    assert len(hook.requests) == 4

"""Deliver one alert event by email and signed webhook; every outcome is recorded, none raises."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from civicpulse.alerts.messages import email_body, email_subject
from civicpulse.alerts.models import AlertEvent, Rule
from civicpulse.notify.email import SmtpSettings, send_email
from civicpulse.notify.targets import TargetRefused
from civicpulse.notify.webhook import post_signed

log = logging.getLogger(__name__)


def alerts_path(workspace: str) -> str:
    return f"/w/{workspace}/alerts"


def webhook_payload(rule: Rule, event: AlertEvent, link: str) -> dict[str, Any]:
    """What the receiver gets: the figure and why, never posts or authors."""
    return {"event": "alert.fired", "event_id": event.event_id, "workspace": event.workspace,
            "rule": {"id": rule.rule_id, "name": rule.name, "topic": rule.topic, "place": rule.place,
                     "query_id": rule.query_id},
            "metric": rule.metric, "value": event.value, "threshold": event.threshold, "window": rule.window,
            "window_start": event.window_start.isoformat(), "fired_at": event.fired_at.isoformat(),
            "message": event.detail["message"], "link": link}


def outcome(status: str, at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    """What a channel's delivery shows to workspace members: pending, delivered or failed, when, and for a failure
    one of `models.FAILURE_REASONS`.

    The reasons are coarse on purpose: what the server's own configuration lacks (no mail server, no signing key),
    what the target policy refused, or that sending failed. The network's answer ("connection refused", "timed
    out", a status code) is logged for the operators only: members choose webhook URLs, and those answers would
    map the server's network.
    """
    shown = {"status": status, "at": (at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0).isoformat()}
    if status == "failed":
        shown["reason"] = reason or "send_failed"
    return shown


def pending(rule: Rule) -> dict[str, Any]:
    return {channel: outcome("pending") for channel in channels(rule)}


def failed(rule: Rule, reason: str = "not_attempted") -> dict[str, Any]:
    return {channel: outcome("failed", reason=reason) for channel in channels(rule)}


def channels(rule: Rule) -> list[str]:
    return [name for name, used in (("email", rule.email_to), ("webhook", rule.webhook_url)) if used]


def deliver(rule: Rule, event: AlertEvent, secret: str | None, smtp: SmtpSettings | None,
            base_url: str = "", cancel: threading.Event | None = None) -> dict[str, Any]:
    """Per channel the member-facing outcome; channels the rule does not use are absent. Never raises."""
    link = base_url.rstrip("/") + alerts_path(event.workspace)
    results: dict[str, Any] = {}
    if rule.email_to:
        reason = _email(rule, event, smtp, link)
        results["email"] = outcome("failed", reason=reason) if reason else outcome("delivered")
    if rule.webhook_url:
        reason = _webhook(rule, event, secret, link, cancel)
        results["webhook"] = outcome("failed", reason=reason) if reason else outcome("delivered")
    return results


def _email(rule: Rule, event: AlertEvent, smtp: SmtpSettings | None, link: str) -> str | None:
    """None when sent, else the failure's member-facing reason."""
    if smtp is None:
        log.warning("alert %s: email not sent: email is not configured on this server (set CIVICPULSE_SMTP_HOST)",
                    event.event_id)
        return "email_not_configured"
    try:
        send_email(smtp, list(rule.email_to), email_subject(rule), email_body(event.detail["message"], link))
    except (OSError, RuntimeError, ValueError) as exc:  # EmailError is a RuntimeError
        log.warning("alert %s: email failed: %s", event.event_id, exc)
        return "send_failed"
    return None


def _webhook(rule: Rule, event: AlertEvent, secret: str | None, link: str,
             cancel: threading.Event | None) -> str | None:
    """None when the receiver accepted it, else the failure's member-facing reason."""
    if not secret:
        log.warning("alert %s: webhook of rule %s not sent: no usable signing secret; recreate the rule",
                    event.event_id, rule.rule_id)
        return "webhook_no_secret"
    try:
        status = post_signed(rule.webhook_url or "", secret, webhook_payload(rule, event, link), cancel=cancel)
    except TargetRefused as exc:  # the published target policy, not the network's answer: safe to name
        log.warning("alert %s: webhook of rule %s refused: %s", event.event_id, rule.rule_id, exc)
        return "webhook_target_refused"
    except (OSError, RuntimeError, ValueError) as exc:  # DeliveryError: RuntimeError
        log.warning("alert %s: webhook of rule %s failed: %s", event.event_id, rule.rule_id, exc)
        return "send_failed"
    if 200 <= status < 300:
        return None
    log.warning("alert %s: webhook of rule %s: receiver answered HTTP %s", event.event_id, rule.rule_id, status)
    return "send_failed"

"""Deliver one alert event by email and signed webhook; every outcome is recorded, none raises."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from civicpulse.alerts.messages import email_body, email_subject
from civicpulse.alerts.models import AlertEvent, Rule
from civicpulse.notify.email import SmtpSettings, send_email
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


def outcome(status: str, at: datetime | None = None) -> dict[str, Any]:
    """What a channel's delivery shows to workspace members: pending, delivered or failed, and when.

    The reason of a failure ("connection refused", "timed out", a status code) is logged for the operators and
    never stored on the event: members choose webhook URLs, and those answers would map the server's network.
    """
    return {"status": status, "at": (at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0).isoformat()}


def pending(rule: Rule) -> dict[str, Any]:
    return {channel: outcome("pending") for channel in channels(rule)}


def failed(rule: Rule) -> dict[str, Any]:
    return {channel: outcome("failed") for channel in channels(rule)}


def channels(rule: Rule) -> list[str]:
    return [name for name, used in (("email", rule.email_to), ("webhook", rule.webhook_url)) if used]


def deliver(rule: Rule, event: AlertEvent, secret: str | None, smtp: SmtpSettings | None,
            base_url: str = "", cancel: threading.Event | None = None) -> dict[str, Any]:
    """Per channel the member-facing outcome; channels the rule does not use are absent. Never raises."""
    link = base_url.rstrip("/") + alerts_path(event.workspace)
    results: dict[str, Any] = {}
    if rule.email_to:
        results["email"] = outcome("delivered" if _email(rule, event, smtp, link) else "failed")
    if rule.webhook_url:
        results["webhook"] = outcome("delivered" if _webhook(rule, event, secret, link, cancel) else "failed")
    return results


def _email(rule: Rule, event: AlertEvent, smtp: SmtpSettings | None, link: str) -> bool:
    if smtp is None:
        log.warning("alert %s: email not sent: email is not configured on this server (set CIVICPULSE_SMTP_HOST)",
                    event.event_id)
        return False
    try:
        send_email(smtp, list(rule.email_to), email_subject(rule), email_body(event.detail["message"], link))
    except (OSError, RuntimeError, ValueError) as exc:  # EmailError is a RuntimeError
        log.warning("alert %s: email failed: %s", event.event_id, exc)
        return False
    return True


def _webhook(rule: Rule, event: AlertEvent, secret: str | None, link: str, cancel: threading.Event | None) -> bool:
    if not secret:
        log.warning("alert %s: webhook of rule %s not sent: no usable signing secret; recreate the rule",
                    event.event_id, rule.rule_id)
        return False
    try:
        status = post_signed(rule.webhook_url or "", secret, webhook_payload(rule, event, link), cancel=cancel)
    except (OSError, RuntimeError, ValueError) as exc:  # DeliveryError: RuntimeError; TargetRefused: ValueError
        log.warning("alert %s: webhook of rule %s failed: %s", event.event_id, rule.rule_id, exc)
        return False
    if 200 <= status < 300:
        return True
    log.warning("alert %s: webhook of rule %s: receiver answered HTTP %s", event.event_id, rule.rule_id, status)
    return False

"""Deliver one alert event by email and signed webhook; every outcome is recorded, none raises."""

from __future__ import annotations

import logging
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


def deliver(rule: Rule, event: AlertEvent, secret: str | None, smtp: SmtpSettings | None,
            base_url: str = "") -> dict[str, Any]:
    """Per channel {"ok": bool, ...}; channels the rule does not use are absent."""
    link = base_url.rstrip("/") + alerts_path(event.workspace)
    results: dict[str, Any] = {}
    if rule.email_to:
        results["email"] = _email(rule, event, smtp, link)
    if rule.webhook_url:
        results["webhook"] = _webhook(rule, event, secret, link)
    return results


def _email(rule: Rule, event: AlertEvent, smtp: SmtpSettings | None, link: str) -> dict[str, Any]:
    if smtp is None:
        return {"ok": False, "error": "email is not configured on this server (set CIVICPULSE_SMTP_HOST)"}
    try:
        send_email(smtp, list(rule.email_to), email_subject(rule), email_body(event.detail["message"], link))
    except (OSError, RuntimeError, ValueError) as exc:  # EmailError is a RuntimeError
        log.warning("alert %s: email failed: %s", event.event_id, exc)
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "recipients": len(rule.email_to)}


def _webhook(rule: Rule, event: AlertEvent, secret: str | None, link: str) -> dict[str, Any]:
    if not secret:
        return {"ok": False, "error": "rule has no webhook secret; recreate the rule"}
    try:
        status = post_signed(rule.webhook_url or "", secret, webhook_payload(rule, event, link))
    except (OSError, RuntimeError, ValueError) as exc:  # DeliveryError is a RuntimeError
        log.warning("alert %s: webhook failed: %s", event.event_id, exc)
        return {"ok": False, "error": str(exc)}
    if 200 <= status < 300:
        return {"ok": True, "status": status}
    return {"ok": False, "status": status, "error": f"receiver answered HTTP {status}"}

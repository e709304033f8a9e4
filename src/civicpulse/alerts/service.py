"""Alert rules per workspace: create, edit, pause, delete, preview over history; evaluate, store and deliver."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from civicpulse.alerts import measure as m
from civicpulse.alerts.delivery import channels, deliver, failed, pending
from civicpulse.alerts.messages import texts
from civicpulse.alerts.models import (
    AlertEvent,
    Rule,
    RuleNotFound,
    check_emails,
    check_metric,
    check_text,
    check_webhook,
)
from civicpulse.alerts.outbox import DeliveryJob, DeliveryQueue, record
from civicpulse.alerts.preview import Preview, posts_link, preview
from civicpulse.analytics.localtime import timezone_for
from civicpulse.notify.email import SmtpSettings
from civicpulse.notify.signing_keys import SigningKeyError, WebhookSecrets
from civicpulse.store import alerts_sql as sql
from civicpulse.store.base import Store

log = logging.getLogger(__name__)
EDITABLE = {"name", "metric", "threshold", "window", "query_id", "topic", "place", "email_to", "webhook_url", "enabled"}


class AlertService:
    """Every statement names the workspace: another workspace's rule ids are simply not found.

    `keys_dir` holds the key webhook secrets are derived from (default: `<store>.keys`, as for the CLI and the
    server). With a `deliveries` queue evaluation only enqueues and returns; without one (scripts, tests) it
    delivers before returning.
    """

    def __init__(self, store: Store, smtp: SmtpSettings | None = None, base_url: str = "", *,
                 keys_dir: str | Path | None = None, deliveries: DeliveryQueue | None = None) -> None:
        self.store = store
        self.smtp = smtp
        self.base_url = base_url  # e.g. "https://civicpulse.example.org": makes the emailed link absolute
        path = getattr(store, "path", ":memory:")
        if keys_dir is None and path != ":memory:":
            if "://" in str(path):  # a database URL has no folder beside it
                raise ValueError("alert rules of a database-server store need its keys folder (keys_dir)")
            keys_dir = f"{path}.keys"
        self.secrets = WebhookSecrets(keys_dir)  # None: an in-memory store gets an in-memory key
        self.deliveries = deliveries

    # rules ---------------------------------------------------------------------------------------------------
    def create_rule(self, ws: str, name: str, metric: str, threshold: float, window: str = "day",
                    query_id: str | None = None, topic: str | None = None, place: str | None = None,
                    email_to: str | Iterable[str] = (), webhook_url: str | None = None, user: str = "") -> Rule:
        """Validate and store a rule. The returned Rule carries the webhook secret; it is never shown again."""
        rule = self.draft(ws, name, metric, threshold, window, query_id, topic, place, email_to, webhook_url, user)
        secret, reference = self.secrets.new(ws, rule.rule_id) if rule.webhook_url else (None, None)
        rule.webhook_secret = secret
        self.store.execute(sql.INSERT_RULE, [ws, rule.rule_id, rule.name, rule.metric, rule.query_id, rule.topic,
                                             rule.place, rule.threshold, rule.window, ",".join(rule.email_to),
                                             rule.webhook_url, True, user, rule.created_at, reference])
        self.store.audit(user, ws, "alert.rule.create", json.dumps(
            {"rule_id": rule.rule_id, "metric": rule.metric, "threshold": rule.threshold, "window": rule.window}))
        return rule

    def draft(self, ws: str, name: str, metric: str, threshold: float, window: str = "day",
              query_id: str | None = None, topic: str | None = None, place: str | None = None,
              email_to: str | Iterable[str] = (), webhook_url: str | None = None, user: str = "") -> Rule:
        """A validated rule with a fresh id, not stored: what create_rule stores and a preview evaluates."""
        label = check_text("rule name", name, limit=120)
        if not label:
            raise ValueError("a rule needs a name")
        if self.store.get_workspace(ws) is None:
            raise ValueError(f"no workspace {ws!r}")
        value = check_metric(metric, threshold, window)
        query_id = check_text("query id", query_id, limit=100)
        if query_id:
            m.saved_query_text(self.store, ws, query_id)  # must exist in this workspace
        return Rule(ws, uuid.uuid4().hex[:12], label, metric, value, window, query_id, check_text("topic", topic),
                    check_text("place", place), check_emails(email_to), check_webhook(webhook_url), True, user,
                    m.utc_naive(None))

    def update_rule(self, ws: str, rule_id: str, changes: dict[str, Any], user: str = "") -> Rule:
        """Change some fields of a rule (the others stay); `enabled` pauses or resumes it. A new webhook URL gets a
        new signing secret, returned on this Rule only. Windows that already fired do not fire again."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"alert rules have no editable field(s) {', '.join(sorted(unknown))}")
        current = self.get_rule(ws, rule_id)
        fields = {name: getattr(current, name) for name in EDITABLE - {"enabled"}}
        fields.update({k: v for k, v in changes.items() if k != "enabled"})
        checked = self.draft(ws, user=current.created_by, **fields)
        enabled = bool(changes.get("enabled", current.enabled))
        reference = (self.store.query(sql.RULE_SECRET, [ws, rule_id]) or [(None,)])[0][0]
        secret = None
        if checked.webhook_url != current.webhook_url:
            secret, reference = self.secrets.new(ws, rule_id) if checked.webhook_url else (None, None)
        self.store.execute(sql.UPDATE_RULE, [checked.name, checked.metric, checked.query_id, checked.topic,
                                             checked.place, checked.threshold, checked.window,
                                             ",".join(checked.email_to), checked.webhook_url, enabled, reference,
                                             ws, rule_id])
        after = {name: getattr(checked, name) for name in EDITABLE - {"enabled"}} | {"enabled": enabled}
        changed = sorted(k for k in EDITABLE if after[k] != getattr(current, k))
        self.store.audit(user, ws, "alert.rule.update", json.dumps({"rule_id": rule_id, "changed": changed}))
        rule = self.get_rule(ws, rule_id)
        rule.webhook_secret = secret
        return rule

    def preview(self, rule: Rule, days: int = 30, end: datetime | None = None) -> Preview:
        """When `rule` (stored or a draft) would have fired over the `days` of stored history before `end`."""
        return preview(self.store, rule, days, end)

    def list_rules(self, ws: str) -> list[Rule]:
        return [_rule(ws, r) for r in self.store.query(sql.LIST_RULES, [ws])]

    def get_rule(self, ws: str, rule_id: str) -> Rule:
        rows = self.store.query(sql.GET_RULE, [ws, rule_id])
        if not rows:
            raise RuleNotFound(f"no alert rule {rule_id!r} in workspace {ws!r}")
        return _rule(ws, rows[0])

    def delete_rule(self, ws: str, rule_id: str, user: str = "") -> None:
        """Removes the rule; the events it fired stay as history."""
        self.get_rule(ws, rule_id)
        self.store.execute(sql.DELETE_RULE, [ws, rule_id])
        self.store.audit(user, ws, "alert.rule.delete", json.dumps({"rule_id": rule_id}))

    def set_enabled(self, ws: str, rule_id: str, enabled: bool, user: str = "") -> Rule:
        self.get_rule(ws, rule_id)
        self.store.execute(sql.SET_ENABLED, [bool(enabled), ws, rule_id])
        self.store.audit(user, ws, "alert.rule.enable" if enabled else "alert.rule.disable",
                         json.dumps({"rule_id": rule_id}))
        return self.get_rule(ws, rule_id)

    # evaluation ----------------------------------------------------------------------------------------------
    def evaluate(self, ws: str, now: datetime | None = None) -> list[AlertEvent]:
        """Evaluate the enabled rules of `ws` for the window containing `now`; return only events new this call.

        A rule that cannot be evaluated (its saved query was deleted, ...) is logged and skipped; the others run.
        """
        moment = m.utc_naive(now)
        fired: list[AlertEvent] = []
        for row in self.store.query(sql.ENABLED_RULES, [ws]):
            rule = _rule(ws, row)
            try:
                readings = m.measure(self.store, rule, moment)
            except (ValueError, LookupError) as exc:
                log.warning("alert rule %s in %s not evaluated: %s", rule.rule_id, ws, exc)
                continue
            for reading in readings:
                event = self._record(rule, reading, moment)
                if event is not None:
                    fired.append(event)
        return fired

    def _record(self, rule: Rule, reading: m.Reading, moment: datetime) -> AlertEvent | None:
        """Store the event first (it is the in-app notification), then deliver it; None when already fired."""
        fingerprint = "|".join((rule.rule_id, reading.window_start.isoformat(), reading.key or ""))
        message = texts(rule, reading.value, reading.detail.get("spike"), _topic_names(self.store, rule))
        detail = {"message": message, "rule_name": rule.name, "metric": rule.metric, "window": rule.window,
                  "topic": rule.topic, "place": rule.place, "query_id": rule.query_id,
                  "posts_url": posts_link(rule, reading.window_start, timezone_for(self.store, rule.workspace)),
                  **reading.detail}
        event = AlertEvent(rule.workspace, uuid.uuid4().hex, rule.rule_id, fingerprint, reading.window_start,
                           moment, reading.value, rule.threshold, message["en"], detail)
        self.store.execute(sql.INSERT_EVENT, [
            rule.workspace, event.event_id, rule.rule_id, fingerprint, event.window_start, event.fired_at,
            event.value, event.threshold, event.message, json.dumps(detail, ensure_ascii=False, default=str), False,
            "{}"])
        stored = self.store.query(sql.EVENT_BY_FINGERPRINT, [rule.workspace, fingerprint])
        if not stored or stored[0][0] != event.event_id:  # this window already fired (maybe concurrently)
            return None
        if channels(rule):
            self._deliver(rule, event)
        return event

    def _deliver(self, rule: Rule, event: AlertEvent) -> None:
        # The worker gets its own copy: the event returned by evaluate() does not change under its caller.
        job = DeliveryJob(rule, dataclasses.replace(event), self._secret(rule), self.smtp, self.base_url)
        if self.deliveries is None:
            record(self.store, event, deliver(job.rule, event, job.secret, job.smtp, job.base_url))
            return
        record(self.store, event, pending(rule))
        if not self.deliveries.submit(job):
            log.warning("alert %s: delivery queue full or stopped; recorded as failed", event.event_id)
            record(self.store, event, failed(rule))

    def _secret(self, rule: Rule) -> str | None:
        if not rule.webhook_url:
            return None
        rows = self.store.query(sql.RULE_SECRET, [rule.workspace, rule.rule_id])
        try:
            return self.secrets.secret(rule.workspace, rule.rule_id, rows[0][0] if rows else None)
        except SigningKeyError as exc:
            log.warning("alert rule %s in %s: %s", rule.rule_id, rule.workspace, exc)
            return None

    # in-app inbox --------------------------------------------------------------------------------------------
    def events(self, ws: str, limit: int = 50, unseen_only: bool = False) -> list[AlertEvent]:
        where = " AND NOT seen" if unseen_only else ""
        rows = self.store.query(f"{sql.SELECT_EVENTS}{where} ORDER BY fired_at DESC, event_id LIMIT ?",
                                [ws, max(1, min(int(limit), 1000))])
        return [AlertEvent.from_row(ws, r) for r in rows]

    def mark_seen(self, ws: str, event_ids: Sequence[str]) -> None:
        ids = list(dict.fromkeys(event_ids))
        if ids:
            self.store.execute(sql.mark_seen_sql(len(ids)), [ws, *ids])

    def unseen_count(self, ws: str) -> int:
        return int(self.store.query(sql.UNSEEN_COUNT, [ws])[0][0])


def _topic_names(store: Store, rule: Rule) -> dict[str, dict[str, str]]:
    if not rule.topic:
        return {}
    from civicpulse.analytics.topic_trends import taxonomy_for

    topic = taxonomy_for(store, rule.workspace).get(rule.topic)
    return {rule.topic: {"en": topic.label_en, "vi": topic.label_vi or topic.label_en}} if topic else {}


def _rule(ws: str, row: tuple[Any, ...]) -> Rule:
    (rule_id, name, metric, query_id, topic, place, threshold, window, email_to, webhook_url, enabled, created_by,
     created_at) = row
    emails = tuple(e for e in (email_to or "").split(",") if e)
    return Rule(ws, rule_id, name, metric, float(threshold), window, query_id, topic, place, emails, webhook_url,
                bool(enabled), created_by or "", created_at)

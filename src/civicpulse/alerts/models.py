"""Alert rules and events as plain values, and the validation a rule passes before it is stored."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from civicpulse.notify.targets import vet

METRICS = ("volume", "negative_share", "spike")
WINDOWS = ("hour", "day")
# Upper bounds keep typos (an extra zero or three) from creating rules that can never fire.
THRESHOLD_RANGE = {"volume": (0.0, 1e9), "negative_share": (0.0, 1.0), "spike": (0.0, 100.0)}
MAX_RECIPIENTS = 20
DELIVERY_STATUSES = ("pending", "delivered", "failed")
# Why a delivery failed, as members may see it (delivery.outcome says why the network's own answer is not here).
FAILURE_REASONS = ("email_not_configured", "webhook_no_secret", "webhook_target_refused", "send_failed",
                   "not_attempted")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


class RuleNotFound(LookupError):
    """No such rule in this workspace (a rule of another workspace is, by design, not found either)."""


@dataclass
class Rule:
    workspace: str
    rule_id: str
    name: str
    metric: str
    threshold: float
    window: str
    query_id: str | None = None
    topic: str | None = None
    place: str | None = None
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = None
    enabled: bool = True
    created_by: str = ""
    created_at: datetime | None = None
    # Only filled on the Rule that create_rule returns: shown once so the receiver can verify signatures.
    webhook_secret: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the webhook secret."""
        out = asdict(self)
        out.pop("webhook_secret")
        out["email_to"] = list(self.email_to)
        out["created_at"] = self.created_at.isoformat() if self.created_at else None
        return out


@dataclass
class AlertEvent:
    workspace: str
    event_id: str
    rule_id: str
    fingerprint: str
    window_start: datetime
    fired_at: datetime
    value: float
    threshold: float
    message: str  # English; detail["message"] has {"en": ..., "vi": ...}
    detail: dict[str, Any]
    seen: bool = False
    deliveries: dict[str, Any] = field(default_factory=dict)  # channel -> {"status": ..., "at": ...}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["window_start"] = self.window_start.isoformat()
        out["fired_at"] = self.fired_at.isoformat()
        return out

    @classmethod
    def from_row(cls, workspace: str, row: tuple) -> AlertEvent:
        *head, detail, seen, deliveries = row
        return cls(workspace, *head, json.loads(detail), bool(seen), public_deliveries(json.loads(deliveries or "{}")))


def public_deliveries(deliveries: dict[str, Any]) -> dict[str, Any]:
    """Deliveries as members see them: a status, its time and for a failure one of FAILURE_REASONS. Events stored
    by older versions carried the network's answer ({"ok": false, "error": "Connection refused"}): dropped here."""
    shown = {}
    for channel, result in deliveries.items():
        if isinstance(result, dict):
            status = result.get("status") or ("delivered" if result.get("ok") else "failed")
            status = status if status in DELIVERY_STATUSES else "failed"
            shown[channel] = {"status": status, "at": result.get("at")}
            if status == "failed":
                reason = result.get("reason")
                shown[channel]["reason"] = reason if reason in FAILURE_REASONS else "send_failed"
    return shown


def check_metric(metric: str, threshold: float, window: str) -> float:
    if metric not in METRICS:
        raise ValueError(f"unknown alert metric {metric!r}; choose from {', '.join(METRICS)}")
    if window not in WINDOWS:
        raise ValueError(f"unknown alert window {window!r}; choose from {', '.join(WINDOWS)}")
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise ValueError(f"threshold must be a number, got {threshold!r}") from None
    low, high = THRESHOLD_RANGE[metric]
    if math.isnan(value) or not low < value <= high:
        hint = " (a share: 0.3 means 30%)" if metric == "negative_share" else ""
        raise ValueError(f"threshold for {metric} must be greater than {low:g} and at most {high:g}{hint}; "
                         f"got {threshold!r}")
    return value


def check_emails(email_to: str | Iterable[str]) -> tuple[str, ...]:
    """Comma-separated text or a list; blanks dropped, duplicates removed, order kept."""
    items = email_to.split(",") if isinstance(email_to, str) else list(email_to)
    addresses = tuple(dict.fromkeys(a.strip() for a in items if a and a.strip()))
    bad = [a for a in addresses if not _EMAIL.match(a) or len(a) > 254]
    if bad:
        raise ValueError(f"invalid email address(es): {', '.join(bad)}")
    if len(addresses) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} email recipients per rule (got {len(addresses)})")
    return addresses


def check_webhook(url: str | None) -> str | None:
    """The URL, when the target policy allows it now (it is checked again at every delivery: DNS changes)."""
    if url is None or not url.strip():
        return None
    return vet(url.strip()).parsed.url


def check_text(label: str, value: str | None, limit: int = 200) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if len(value) > limit:
        raise ValueError(f"{label} is too long ({len(value)} characters; at most {limit})")
    return value

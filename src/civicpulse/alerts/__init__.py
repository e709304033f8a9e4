"""Alert rules over the dashboards' figures: evaluated per window, deduplicated, delivered in-app, by email and
by signed webhook. See docs/alerts.md."""

from civicpulse.alerts.models import METRICS, WINDOWS, AlertEvent, Rule, RuleNotFound
from civicpulse.alerts.service import AlertService

__all__ = ["METRICS", "WINDOWS", "AlertEvent", "AlertService", "Rule", "RuleNotFound"]

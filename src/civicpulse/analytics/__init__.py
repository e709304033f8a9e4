"""Aggregates for dashboards, reports and alerts: always one workspace, always over enough authors."""

from civicpulse.analytics.aggregates import Analytics
from civicpulse.analytics.filters import Filters
from civicpulse.analytics.privacy import DEFAULT_K, MIN_K, k_for

__all__ = ["DEFAULT_K", "MIN_K", "Analytics", "Filters", "k_for"]

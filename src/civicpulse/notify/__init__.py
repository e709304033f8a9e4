"""Outbound notifications: SMTP email and signed webhooks (stdlib only, no network at import time)."""

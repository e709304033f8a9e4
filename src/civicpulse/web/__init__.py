"""The civicpulse web app (FastAPI): HTTP API, dashboard pages, background jobs."""

from __future__ import annotations

from civicpulse.web.app import create_app

__all__ = ["create_app"]

"""Shared pieces of the browser tests: accounts, the server handle, screenshots and generated recent posts."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
ADMIN, ADMIN_PASSWORD = "admin", "Civic-Pulse-2026!"


@dataclass(frozen=True)
class Server:
    url: str
    tmp: Path


def shot(page, name: str) -> None:
    """docs/screenshots/<name>.png, only when CIVICPULSE_SCREENSHOTS=1 (so test runs leave the tree clean)."""
    if os.environ.get("CIVICPULSE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(300)  # let charts finish their transitions
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def recent_posts_file(folder: Path, count: int = 40, authors: int = 16) -> Path:
    """Mastodon statuses written minutes ago (so today's alert window has data), plus one broken record.

    Texts come from the project's demo data; ids, times and accounts are rewritten.
    """
    demo = json.loads((ROOT / "data" / "demo" / "mastodon" / "public_timeline.json").read_text(encoding="utf-8"))
    now = datetime.now(UTC).replace(microsecond=0)
    if now.hour == 0 and now.minute < 5:  # keep every post inside today's window
        now += timedelta(minutes=5 - now.minute)
    statuses = []
    for i in range(count):
        status = dict(demo[i % len(demo)])
        account = dict(status["account"], id=f"9{i % authors:04d}", acct=f"resident{i % authors}@toot.vn.example",
                       username=f"resident{i % authors}")
        status.update(id=f"99{i:08d}", account=account, created_at=(now - timedelta(seconds=i)).isoformat()
                      .replace("+00:00", ".000Z"), url=f"https://toot.vn.example/@resident/99{i:08d}",
                      uri=f"https://toot.vn.example/users/resident/statuses/99{i:08d}")
        statuses.append(status)
    statuses.append({**statuses[0], "id": "9999999999", "created_at": "not a date"})
    path = folder / "recent_statuses.json"
    path.write_text(json.dumps(statuses, ensure_ascii=False), encoding="utf-8")
    return path

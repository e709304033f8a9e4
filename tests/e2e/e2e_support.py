"""Shared pieces of the browser tests: accounts, the server handle, screenshots and generated recent posts."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

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
    local = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))  # the workspace's zone: its days are the alert windows
    if local.hour == 0 and local.minute < 5:  # keep every post inside today's local window
        now += timedelta(minutes=5 - local.minute)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(store, tmp: Path) -> Iterator[Server]:
    """uvicorn in a thread over `store`, until the block ends."""
    import uvicorn

    from civicpulse.web.app import create_app

    port = _free_port()
    # The alert test's webhook points at an unused loopback port; loopback is refused unless allow-listed.
    env = pytest.MonkeyPatch()
    env.setenv("CIVICPULSE_WEBHOOK_ALLOW", "127.0.0.1:9")
    app = create_app(store, keys_dir=tmp / "keys", background=False)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the e2e server did not start")
        time.sleep(0.1)
    try:
        yield Server(url, tmp)
    finally:
        uv.should_exit = True
        thread.join(30)
        env.undo()

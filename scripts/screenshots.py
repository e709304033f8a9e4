"""Refresh docs/screenshots from the analysed demo: every workspace page, in English, plus a few in Vietnamese.

    make run                      # once: builds var/demo.duckdb (stop it with Ctrl-C)
    .venv/bin/python scripts/screenshots.py [--db var/demo.duckdb] [--out docs/screenshots]

Starts `civicpulse serve` on a free loopback port over the store, signs in with headless Debian Chromium and
saves one PNG per page (1280 px wide, the page's full height). Pages come from the app's own page list, so a new
page gets its screenshot without editing this script.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicpulse.web.pages import WORKSPACE_PAGES  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
VIETNAMESE = ("", "topics", "places")  # also shown with ?lang=vi


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: str, port: int) -> subprocess.Popen:
    cli = Path(sys.executable).with_name("civicpulse")
    server = subprocess.Popen([str(cli), "--db", db, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except httpx.TransportError:
            if server.poll() is not None:
                raise SystemExit(f"serve exited: {server.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within 2 minutes")


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)  # charts draw after their data arrives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=str(ROOT / "var" / "demo.duckdb"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--workspace", default="demo")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", "hanoi-saigon-2026"))
    args = parser.parse_args()
    if not Path(args.db).exists():
        raise SystemExit(f"{args.db} is missing: run `make run` once first")
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(args.db, port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                         "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=base)
            page.goto("/login")
            page.screenshot(path=str(out / "login.png"))
            page.fill("#login-user", args.user)
            page.fill("#login-password", args.password)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            shots = [("home", "/"), ("account", "/account"), ("admin", "/admin"),
                     ("error-404", "/w/another-team/")]
            for path, template, _role in WORKSPACE_PAGES:
                name = template.removesuffix(".html")
                shots.append((name, f"/w/{args.workspace}/{path}"))
                if path in VIETNAMESE:
                    shots.append((f"{name}-vi", f"/w/{args.workspace}/{path}?lang=vi"))
            for name, url in shots:
                page.goto(url)
                _settle(page)
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                print(f"{name}.png  {url}")
            page.goto("/?lang=en")  # leave the language cookie as it was found
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()

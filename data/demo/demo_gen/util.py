"""Shared helpers: deterministic ids, JSON writing, HTML escaping, item counting."""

from __future__ import annotations

import html
import json
import random
import string
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

B36 = string.digits + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"
X_EPOCH_MS = 1288834974657


def snowflake(rng: random.Random, t: datetime, used: set[int]) -> str:
    """An X/Twitter-style id that encodes the post time, unique within `used`."""
    while True:
        value = ((int(t.timestamp() * 1000) + rng.randrange(1000) - X_EPOCH_MS) << 22) | rng.randrange(1 << 22)
        if value not in used:
            used.add(value)
            return str(value)


def rand_str(rng: random.Random, n: int, alphabet: str = B64URL) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def base36(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = B36[r] + out
    return out or "0"


def html_text(text: str) -> str:
    """YouTube textDisplay / Reddit body_html style escaping, newlines as <br>."""
    return html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("\n", "<br>")


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_jsonl(path: Path, docs: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in docs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Stats:
    """Counts generated items by platform, kind, language and event for the data card."""

    def __init__(self) -> None:
        self.items: Counter[tuple[str, str, str]] = Counter()
        self.events: Counter[tuple[str, str]] = Counter()
        self.emotions: Counter[str] = Counter()
        self.authors: dict[str, set[str]] = {}

    def add(self, platform: str, kind: str, lang: str, author: str | None = None, event: str | None = None,
            emotion: str | None = None) -> None:
        self.items[(platform, kind, lang)] += 1
        if event:
            self.events[(platform, event)] += 1
        if emotion:
            self.emotions[emotion] += 1
        if author:
            self.authors.setdefault(platform, set()).add(author)

"""Deterministic generator of civicpulse's synthetic demo data set (invented Vietnamese/English city chatter)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from .util import Stats
from .w_facebook import FacebookWriter
from .w_generic import write_hotline
from .w_reddit import RedditWriter
from .w_social import SocialWriter
from .w_tiktok_telegram import TelegramWriter, TikTokWriter
from .w_x import XWriter
from .w_youtube import YouTubeWriter

SEED = 20260803
PLATFORM_DIRS = ("x", "facebook", "youtube", "reddit", "mastodon", "bluesky", "telegram", "tiktok", "generic")


def build(out: Path, seed: int = SEED) -> Stats:
    """Write every platform's files under `out` (replacing earlier output) and return the item counts."""
    for name in PLATFORM_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    stats = Stats()

    def rng(n: int) -> random.Random:  # one independent stream per platform: editing one leaves the others as is
        return random.Random(seed * 100 + n)

    XWriter(rng(1), stats).build(out)
    FacebookWriter(rng(2), stats).build(out)
    YouTubeWriter(rng(3), stats).build(out)
    RedditWriter(rng(4), stats).build(out)
    SocialWriter(rng(5), stats).mastodon(out)
    SocialWriter(rng(6), stats).bluesky(out)
    TelegramWriter(rng(7), stats).build(out)
    TikTokWriter(rng(8), stats).build(out)
    write_hotline(rng(9), stats, out)
    return stats


def summary(stats: Stats) -> str:
    lines = ["platform   kind        vi    en   und"]
    plats = sorted({p for p, _, _ in stats.items}, key=PLATFORM_DIRS.index)
    total = {"vi": 0, "en": 0, "und": 0}
    for p in plats:
        for kind in sorted({k for q, k, _ in stats.items if q == p}):
            counts = [stats.items[(p, kind, lang)] for lang in ("vi", "en", "und")]
            for lang, c in zip(("vi", "en", "und"), counts, strict=True):
                total[lang] += c
            lines.append(f"{p:<10} {kind:<9} {counts[0]:>5} {counts[1]:>5} {counts[2]:>5}")
    n = sum(total.values())
    lines.append(f"total {n}: vi {total['vi']} ({100 * total['vi'] / n:.0f}%), en {total['en']}, und {total['und']}")
    lines.append("authors: " + ", ".join(f"{p} {len(a)}" for p, a in stats.authors.items()))
    events: dict[str, int] = {}
    for (_, ev), c in stats.events.items():
        events[ev] = events.get(ev, 0) + c
    lines.append("event items: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items())))
    lines.append("intended emotions: " + ", ".join(f"{k} {v}" for k, v in stats.emotions.most_common()))
    return "\n".join(lines)

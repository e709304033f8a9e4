"""UI languages: every label the pages show, in English and Vietnamese (messages live in i18n_messages.py)."""

from __future__ import annotations

from civicpulse.web.i18n_messages import MESSAGES

LANGUAGES = {"en": "English", "vi": "Tiếng Việt"}
DEFAULT = "en"


def pick_language(asked: str | None, cookie: str | None, accept: str | None) -> str:
    """?lang= wins, then the saved choice, then the browser's preference."""
    for choice in (asked, cookie):
        if choice in LANGUAGES:
            return choice
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def messages(lang: str) -> dict[str, str]:
    return MESSAGES[lang if lang in MESSAGES else DEFAULT]

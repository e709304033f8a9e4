"""The schema boundary: every post a source builds is checked here before it can reach the store.

A value the store cannot hold (a count past 64 bits, a negative count, a text of 100 MB, a lone surrogate)
would otherwise fail a whole batch far from the record that caused it. Checked here, it rejects just that
record, with its JSON path and the field named in the reason. A link that is not http(s) is dropped with a
warning, as out-of-range coordinates are: the post itself is fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from civicpulse.ingest.limits import Limits
from civicpulse.schema import Post
from civicpulse.sources.base import ParseContext, RecordError, Reject

COUNT_FIELDS = ("likes", "replies", "shares", "quotes", "views")
BIGINT_MAX = (1 << 63) - 1  # the store's count columns are BIGINT
# Reddit's `score` (stored as likes) is upvotes minus downvotes: a negative value is real data.
SIGNED_COUNTS = frozenset({("reddit", "likes")})
SHORT_TEXT_FIELDS = ("post_id", "parent_id", "thread_id", "author_key", "language", "place_name", "place_country",
                     "source_format")
MAX_SHORT_CHARS = 4_096  # ids, language codes and place names are short; anything longer is not one
MAX_URL_CHARS = 4_096
URL_SCHEMES = ("http://", "https://")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_REASON = "contains an unpaired UTF-16 surrogate, which is not text"
_URL_CONTROL = re.compile("[\x00-\x1f\x7f]")
_PLAIN_HTTP_URL = re.compile("https?://[^\x00-\x1f\x7f\ud800-\udfff]*\\Z", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


def check_post(post: Post, limits: Limits) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for one post. Errors reject the post; a warning's field has been cleared on `post`.

    Runs once per post, so the usual case (every value fine) takes the cheap test first.
    """
    errors: list[Problem] = []
    for name in COUNT_FIELDS:
        value = getattr(post, name)
        if value is not None and not (type(value) is int and 0 <= value <= BIGINT_MAX):
            reason = _count_problem(value, signed=(post.platform, name) in SIGNED_COUNTS)
            if reason:
                errors.append(Problem(name, reason))
    text = post.text
    if not isinstance(text, str):
        errors.append(Problem("text", f"expected text, got {type(text).__name__}"))
    elif len(text) > limits.max_text_chars:
        errors.append(Problem("text", f"{len(text):,} characters, more than the limit of "
                                      f"{limits.max_text_chars:,} (CIVICPULSE_MAX_TEXT_CHARS)"))
    elif _SURROGATE.search(text):
        errors.append(Problem("text", _SURROGATE_REASON))
    # (A surrogate in these fields is left to the store's batch splitting: JSON and CSV decoding never make one.)
    for name in SHORT_TEXT_FIELDS:
        value = getattr(post, name)
        if value is not None and not (type(value) is str and len(value) <= MAX_SHORT_CHARS):
            shown = f"{len(value):,} characters" if isinstance(value, str) else type(value).__name__
            errors.append(Problem(name, f"not a plausible value ({shown})"))
    warnings: list[Problem] = []
    if post.url is not None and not errors:
        reason = _url_problem(post.url)
        if reason:
            warnings.append(Problem("url", f"{reason}; dropped"))
            post.url = None
    return errors, warnings


def _count_problem(value: Any, signed: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected a whole number, got {type(value).__name__}"
    if value < 0 and not signed:
        return f"a count cannot be negative ({value})"
    if abs(value) > BIGINT_MAX:
        return f"{_short(value)} does not fit a 64-bit count"
    return None


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}…({len(text)} digits)"


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str):
        return f"expected a link, got {type(url).__name__}"
    if len(url) > MAX_URL_CHARS:
        return f"link of {len(url):,} characters"
    if _PLAIN_HTTP_URL.match(url):
        return None
    if _URL_CONTROL.search(url) or _SURROGATE.search(url):
        return "link holds control characters"
    if not url[:8].lower().startswith(URL_SCHEMES):
        scheme = url.split(":", 1)[0][:20] if ":" in url else "no scheme"
        return f"not an http(s) link ({scheme})"
    return None


class CheckedContext(ParseContext):
    """The source's parse context, with every post checked at the schema boundary (see `check_post`)."""

    limits: Limits

    @classmethod
    def wrap(cls, ctx: ParseContext, limits: Limits) -> CheckedContext:
        checked = cls(**{f.name: getattr(ctx, f.name) for f in fields(ctx)})
        checked.limits = limits
        return checked

    def post(self, **kwargs: Any) -> Post:  # type: ignore[override]
        post = super().post(**kwargs)
        where = kwargs.get("raw_path") or "$"
        errors, warnings = check_post(post, self.limits)
        if errors:
            raise RecordError(where, "; ".join(f"{p.field}: {p.reason}" for p in errors))
        for problem in warnings:
            self.warnings.append(Reject(where, f"{problem.field}: {problem.reason}", severity="warning"))
        return post

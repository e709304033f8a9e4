"""The schema boundary: every post a source builds is checked here before it can reach the store.

A value the store cannot hold (a count past 64 bits, a negative count, a text of 100 MB, a lone surrogate)
would otherwise fail a whole batch far from the record that caused it. Checked here, it rejects just that
record, with its JSON path and the field named in the reason. A link that is not http(s) is dropped with a
warning, as out-of-range coordinates are: the post itself is fine.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str


def check_post(post: Post, limits: Limits) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for one post. Errors reject the post; a warning's field has been cleared on `post`."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for name in COUNT_FIELDS:
        reason = _count_problem(getattr(post, name), signed=(post.platform, name) in SIGNED_COUNTS)
        if reason:
            errors.append(Problem(name, reason))
    if not isinstance(post.text, str):
        errors.append(Problem("text", f"expected text, got {type(post.text).__name__}"))
    elif len(post.text) > limits.max_text_chars:
        errors.append(Problem("text", f"{len(post.text):,} characters, more than the limit of "
                                      f"{limits.max_text_chars:,} (CIVICPULSE_MAX_TEXT_CHARS)"))
    for name in SHORT_TEXT_FIELDS:
        value = getattr(post, name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_SHORT_CHARS):
            shown = f"{len(value):,} characters" if isinstance(value, str) else type(value).__name__
            errors.append(Problem(name, f"not a plausible value ({shown})"))
    for name in ("text", *SHORT_TEXT_FIELDS, "url"):
        value = getattr(post, name)
        if isinstance(value, str) and not _encodable(value):
            errors.append(Problem(name, "contains an unpaired UTF-16 surrogate, which is not text"))
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
    if not url.strip().lower().startswith(URL_SCHEMES) or any(c in url for c in "\r\n\t\x00"):
        scheme = url.split(":", 1)[0][:20] if ":" in url else "no scheme"
        return f"not an http(s) link ({scheme})"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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

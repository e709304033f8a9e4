"""Taking people out of post text: profile links, handles, and the names a source knows.

`ParseContext.post` runs `redact_text` on every post's text, so the rules below apply to every platform:

1. Links that name a person (`x.com/NAME`, `reddit.com/user/NAME`, `t.me/NAME`, `https://instance/@NAME`, …)
   become `[profile link]`; links to one post of a person that name them become `[post link]`, or the
   platform's id-only form where one exists (`x.com/i/web/status/ID`, `tiktok.com/@/video/ID`,
   `instagram.com/p/CODE/`). Links to venues (subreddits, groups, hashtags, public channel previews) and to
   anything else (news articles) are kept. See `_person_link` for each platform's rule.
2. The post author's own identity strings (handle, display name, id) become `[author]`; the names of other
   people the source knows (mentions, tags, the original poster of a share) become `@user`. Matching is
   case-insensitive, on whole words, with and without Vietnamese diacritics ("Nguyễn Văn An" also catches
   "nguyen van an"); see `name_tokens` for which strings are too short or too common to match.
3. Reddit's `u/NAME`, `/u/NAME`, `/user/NAME`, bare Bluesky handles and DIDs, then `@mentions`, become `@user`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

PROFILE_LINK = "[profile link]"
POST_LINK = "[post link]"
AUTHOR_PLACEHOLDER = "[author]"
MENTION_PLACEHOLDER = "@user"

# @user, @user@instance.social, @handle.bsky.social; not e-mail addresses (a word character before @).
_MENTION = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.\-]+[A-Za-z0-9])?")
# Reddit's way of naming people (u/name, /u/name, /user/name), bare Bluesky handles, and AT Protocol DIDs.
_USER_PATH = re.compile(r"(?<![\w/])/?(?:u|user)/[A-Za-z0-9_-]{3,20}\b")
_BARE_HANDLE = re.compile(r"(?<![\w@.\-])[\w\-]+\.bsky\.social\b", re.I)
_DID = re.compile(r"\bdid:(?:plc:[a-z2-7]{24}|web:[A-Za-z0-9.\-]+[A-Za-z0-9])")

# Anything shaped like a link, with or without a scheme. Dotted words that are not links ("TP.HCM") match too,
# but only hosts with a rule below are ever changed. Not preceded by "@" (e-mail) or "/" (inside another link).
_LINK = re.compile(
    r"(?<![\w@.\-/])(?P<scheme>https?://)?"
    r"(?P<host>(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,})(?::\d{1,5})?"
    r"(?P<rest>[/?#][^\s<>\"'`]*)?", re.I)
_URL_PARTS = re.compile(r"\s*(?:https?://)?(?P<host>[^/?#:\s]+)(?::\d+)?(?P<rest>.*)", re.S)
_TRAILING = ".,;:!?…*'\"»"  # sentence punctuation after a link is not part of it

_X_HOSTS = ("twitter.com", "x.com", "vxtwitter.com", "fxtwitter.com", "fixupx.com", "fixvx.com", "nitter.net")
# First path segments of X that are features, not accounts.
_X_RESERVED = frozenset({"i", "search", "hashtag", "explore", "home", "intent", "share", "settings", "messages",
                         "notifications", "tos", "privacy", "login", "signup", "compose", "about", "download",
                         "jobs", "rules", "logout", "account", "en"})
_IG_RESERVED = frozenset({"p", "reel", "reels", "tv", "explore", "accounts", "about", "developer", "legal",
                          "direct", "web", "privacy"})
# Facebook paths that are venues or features. Everything else names a profile or a page by its vanity name,
# which cannot be told apart, so it is masked (privacy-safe default).
_FB_KEEP = frozenset({"groups", "events", "hashtag", "watch", "reel", "reels", "share", "sharer", "sharer.php",
                      "pages", "help", "policies", "privacy", "legal", "login", "marketplace", "ads", "business",
                      "gaming", "live", "search", "l.php"})
_FB_OWNER_QUERY = frozenset({"permalink.php", "story.php", "photo.php", "photo", "photos", "video.php"})
_TG_KEEP = frozenset({"s", "joinchat", "addstickers", "addemoji", "addtheme", "share", "proxy", "socks", "iv",
                      "setlanguage", "login", "c"})
_NAMEISH = re.compile(r"[\w.\-]{1,64}")
_X_HANDLE = re.compile(r"\w{1,50}", re.A)


# Every domain with a rule in _person_link; other hosts are only looked at for /@NAME and /users/NAME.
_RULED = frozenset({*_X_HOSTS, "instagram.com", "instagr.am", "ig.me", "m.me", "fb.me", "wa.me", "messenger.com",
                    "facebook.com", "fb.com", "reddit.com", "t.me", "telegram.me", "telegram.dog", "bsky.app",
                    "bsky.social", "youtube.com", "tiktok.com", "linkedin.com", "zalo.me", "whatsapp.com"})


def _ruled_domain(host: str) -> str | None:
    """The domain with a rule that `host` is or is under ("m.facebook.com" -> "facebook.com"), if any."""
    parts = host.split(".")
    for i in range(len(parts) - 1):
        domain = ".".join(parts[i:]) if i else host
        if domain in _RULED:
            return domain
    return None


def _person_link(host: str, rest: str) -> str | None:
    """What a link becomes: a placeholder or an id-only link when it names a person, None when it is kept."""
    host = host.lower()
    domain = _ruled_domain(host)
    if domain is None and "@" not in rest and not rest.lower().startswith("/users/"):
        return None  # the common case: a news site, "TP.HCM"
    path = rest.partition("?")[0].partition("#")[0]
    seg = [s for s in path.split("/") if s]
    first = seg[0].lower() if seg else ""
    second = seg[1].lower() if len(seg) > 1 else ""
    if domain == "bsky.social" and host != domain:
        return MENTION_PLACEHOLDER  # NAME.bsky.social is a handle, written as a domain
    if domain == "t.me" and host not in ("t.me", "www.t.me"):
        return PROFILE_LINK  # NAME.t.me
    if not seg:
        return None
    if domain in _X_HOSTS:
        if first == "i":
            return PROFILE_LINK if second == "user" else None  # i/web/status/ID is the id-only form
        if first == "intent":
            return PROFILE_LINK if second in ("user", "follow") else None
        if first in _X_RESERVED or not _X_HANDLE.fullmatch(seg[0]):
            return None
        if second in ("status", "statuses") and len(seg) > 2 and seg[2].isdigit():
            return f"https://x.com/i/web/status/{seg[2]}"
        return PROFILE_LINK
    if domain in ("instagram.com", "instagr.am"):
        if first in _IG_RESERVED:
            return None
        if second in ("p", "reel", "tv") and len(seg) > 2:  # NAME/p/CODE, the newer share shape
            return f"https://www.instagram.com/{second}/{seg[2]}/"
        return POST_LINK if first == "stories" else PROFILE_LINK
    if domain in ("ig.me", "m.me", "fb.me", "wa.me", "messenger.com"):
        return PROFILE_LINK  # messaging links name the person to write to
    if domain in ("facebook.com", "fb.com"):
        if first in ("profile.php", "people"):
            return PROFILE_LINK
        if first in _FB_OWNER_QUERY:
            return POST_LINK  # their `id=`/`set=` names the owner
        if first == "groups":
            return PROFILE_LINK if "user" in (s.lower() for s in seg[2:]) else None
        if first in _FB_KEEP:
            return None
        if seg[0].isdigit() and second in ("posts", "videos", "photos", "permalink"):
            return None  # the Graph API's id form of a post link, as kept in `url`
        return POST_LINK if len(seg) > 1 else PROFILE_LINK
    if domain == "reddit.com":
        if first in ("u", "user") or (first == "r" and second.startswith("u_")):
            return PROFILE_LINK if len(seg) <= 2 else POST_LINK
        return None
    if domain in ("t.me", "telegram.me", "telegram.dog"):
        if first in _TG_KEEP or first.startswith("+"):
            return None
        if len(seg) > 1 and seg[1].isdigit():
            return None  # a message in a public channel or group: the name is the venue
        return PROFILE_LINK  # a username: a person, a bot or a channel, which cannot be told apart
    if domain == "bsky.app":
        if first != "profile":
            return None
        return POST_LINK if "post" in (s.lower() for s in seg[2:]) else PROFILE_LINK
    if domain == "youtube.com":
        return PROFILE_LINK if first in ("c", "user", "channel") or first.startswith("@") else None
    if domain == "tiktok.com":
        if not first.startswith("@"):
            return None
        if second in ("video", "photo") and len(seg) > 2 and seg[2].isdigit():
            return f"https://www.tiktok.com/@/video/{seg[2]}"
        return PROFILE_LINK
    if domain == "linkedin.com":
        return PROFILE_LINK if first in ("in", "pub") else None
    if domain == "zalo.me":
        return None if first == "g" else PROFILE_LINK  # zalo.me/PHONE or an account; g/ is a group invite
    if domain == "whatsapp.com":
        return PROFILE_LINK if first == "send" else None
    # Any other host: the fediverse's /@NAME (Mastodon, Threads, Medium, …) and ActivityPub's /users/NAME.
    if first == "users" and len(seg) > 1:
        return PROFILE_LINK if len(seg) == 2 else POST_LINK
    for i, s in enumerate(seg):
        if len(s) > 1 and s[0] == "@" and _NAMEISH.fullmatch(s[1:]):
            return PROFILE_LINK if i == len(seg) - 1 else POST_LINK
    return None


def _split_trailing(rest: str) -> tuple[str, str]:
    """A link's path without the sentence punctuation after it (and without an unbalanced closing bracket)."""
    end = len(rest)
    while end:
        ch = rest[end - 1]
        if ch in _TRAILING or (ch in ")]}" and rest[:end].count({")": "(", "]": "[", "}": "{"}[ch])
                                                < rest[:end].count(ch)):
            end -= 1
        else:
            break
    return rest[:end], rest[end:]


def _link(match: re.Match[str]) -> str:
    rest, tail = _split_trailing(match.group("rest") or "")
    replaced = _person_link(match.group("host"), rest)
    if replaced is not None:
        return replaced + tail
    if not rest:
        return match.group(0)
    if "%" in rest and (decoded := unquote(rest)) != mask_links(decoded, nested=True):
        return PROFILE_LINK + tail  # a person's link, percent-encoded inside a redirect or share link
    if "/" in rest[1:] and ("://" in rest or "=" in rest or "www." in rest):
        head = match.group(0)[: match.start("rest") - match.start()]
        return head + mask_links(rest, nested=True) + tail  # a link inside another: archive.org/…/https://x.com/N
    return match.group(0)


_NESTED_LINK = re.compile(_LINK.pattern.replace(r"(?<![\w@.\-/])", r"(?<![\w@.\-])", 1), re.I)


def mask_links(text: str, nested: bool = False) -> str:
    """Replace links that name a person; keep links to venues and everything else."""
    if "." not in text:
        return text
    return (_NESTED_LINK if nested else _LINK).sub(_link, text)


def mask_mentions(text: str) -> str:
    """Replace account handles in text: people mentioned are not stored in clear either."""
    return _MENTION.sub(MENTION_PLACEHOLDER, text) if "@" in text else text


def mask_user_paths(text: str) -> str:
    """Reddit's u/NAME forms, bare Bluesky handles and DIDs: handles that the @-mention rule cannot see."""
    if "u/" in text or "user/" in text:
        text = _USER_PATH.sub(MENTION_PLACEHOLDER, text)
    if ".bsky.social" in text:
        text = _BARE_HANDLE.sub(MENTION_PLACEHOLDER, text)
    return _DID.sub(MENTION_PLACEHOLDER, text) if "did:" in text else text


# --- names -----------------------------------------------------------------------------------------------------

def _fold_table() -> dict[int, str]:
    """Lowercase base letter of each accented Latin letter: one character for one, so positions carry over."""
    table: dict[int, str] = {}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    for ch in "đĐ":
        table[ord(ch)] = "d"
    return table


_FOLD = _fold_table()
_TOKEN = re.compile(r"[^\W_]+")
_SPACELESS = re.compile("[\u0e00-\u0eff\u1780-\u17ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MIN_NAME_CHARS = 3  # shorter names ("An", "Bo") would take ordinary words with them
MIN_NUMBER_DIGITS = 6  # numeric ids shorter than this are ordinary numbers
_MAX_GAP = 3  # characters allowed between the parts of a name as written: "Lan - Anh", "lan__anh"
# What platforms (and the raw scrubbers) put where a name was: never a person's name.
_PLACEHOLDER_WORDS = frozenset({"user", "deleted", "removed", "redacted", "anonymous", "author", "unknown"})


def fold(text: str) -> str:
    """Accents off, same length: "Nguyễn" -> "nguyen"; matched case-insensitively after this."""
    return text.translate(_FOLD)


@cache
def _common_words() -> frozenset[str]:
    """Vietnamese syllables (folded) and common English words: a one-word name equal to one is not matched."""
    from civicpulse.analysis.language import english_common, vietnamese_syllables

    return vietnamese_syllables() | english_common()


@lru_cache(maxsize=1 << 14)
def name_tokens(name: str) -> tuple[str, ...] | None:
    """The parts of one identity string that are looked for, or None when it is too short or too common to match.

    The string is cut into folded, lowercase letter/digit parts, so "lan_anh", "Lan Anh" and "lan.anh" all give
    ("lan", "anh"). A name of one part must have at least MIN_NAME_CHARS characters, be no common word or
    Vietnamese syllable ("Hải", "news"), and, when all digits, have at least MIN_NUMBER_DIGITS.
    """
    tokens = tuple(t.lower() for t in _TOKEN.findall(fold(unicodedata.normalize("NFC", name))))
    if not tokens or sum(len(t) for t in tokens) < MIN_NAME_CHARS:
        return None
    if len(tokens) == 1:
        token = tokens[0]
        if token.isdigit() and len(token) < MIN_NUMBER_DIGITS:
            return None
        if not token.isdigit() and (token in _common_words() or token in _PLACEHOLDER_WORDS):
            return None
    return tokens


def identity_strings(names: Iterable[str | None]) -> list[str]:
    """The strings to look for: each name, plus the local part of `user@instance` and `NAME.bsky.social`."""
    out: list[str] = []
    for name in names:
        if not name or not isinstance(name, str):
            continue
        name = name.strip().lstrip("@")
        out.append(name)
        if "@" in name:
            out.append(name.split("@", 1)[0])
        if name.lower().endswith(".bsky.social"):
            out.append(name[: -len(".bsky.social")])
    return out


@lru_cache(maxsize=1 << 14)
def _tokens_of(names: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """The token sequences looked for, for one post's names (the same author's posts ask for the same ones)."""
    return frozenset(tokens for name in identity_strings(names) if (tokens := name_tokens(name)))


def _name_spans(folded: str, lowered: str, names: frozenset[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where the names are written in `folded` text: their parts in order as whole words, at most _MAX_GAP
    characters apart, or all run together as one word ("LanAnh"); an "@" or "#" just before goes with them.

    Names in scripts written without spaces (Chinese, Japanese, Korean, Thai) are found inside words instead.
    `lowered` is `folded` in lower case, position for position.
    """
    spans: list[tuple[int, int]] = []
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for name in names:
        if _SPACELESS.search(name[0]) or _SPACELESS.search(name[-1]):
            needle = " ".join(name)
            at = lowered.find(needle)
            while at >= 0:
                spans.append((at, at + len(needle)))
                at = lowered.find(needle, at + len(needle))
        elif name[0] in lowered:  # most texts never name their author: no need to cut them into words
            by_first.setdefault(name[0], []).append(name)
            if len(name) > 1:
                by_first.setdefault("".join(name), []).append(("".join(name),))
    if by_first:
        words = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(lowered)]
        for i, (word, start, _) in enumerate(words):
            for name in by_first.get(word, ()):
                last = i + len(name) - 1
                if last < len(words) and all(
                        words[i + k][0] == name[k] and words[i + k][1] - words[i + k - 1][2] <= _MAX_GAP
                        for k in range(1, len(name))):
                    spans.append((start - (folded[start - 1:start] in ("@", "#")), words[last][2]))
    return spans


def _may_contain(text: str, wanted: list[tuple[frozenset[tuple[str, ...]], str]]) -> bool:
    """False only when no name can be in the text: most posts never name anyone, and folding them exactly costs.

    The check folds loosely (decomposed, non-ASCII dropped), which keeps every ASCII letter the exact fold gives,
    so a name of ASCII parts that is in the text is always found here; other names always take the exact path.
    """
    loose = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    loose = loose.encode("ascii", "ignore").decode().lower()
    return any(not name[0].isascii() or not name[-1].isascii() or name[0] in loose
               for names, _ in wanted for name in names)


def mask_people(text: str, groups: Iterable[tuple[Iterable[str | None], str]]) -> str:
    """Replace the names of each (names, placeholder) group written in the text, with or without diacritics.

    Where names of two groups overlap, the earlier group's placeholder is used.
    """
    wanted = [(_tokens_of(tuple(n for n in names if isinstance(n, str))), placeholder) for names, placeholder in groups]
    if not text or not any(names for names, _ in wanted) or not _may_contain(text, wanted):
        return text
    folded = text if text.isascii() else fold(text)
    lowered = folded.lower()
    lowered = lowered if len(lowered) == len(folded) else folded  # positions must stay those of the text
    spans = sorted((start, rank, end, placeholder) for rank, (names, placeholder) in enumerate(wanted)
                   for start, end in _name_spans(folded, lowered, names))
    merged: list[list[Any]] = []
    for start, _, end, placeholder in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, placeholder])
    for start, end, placeholder in reversed(merged):
        text = text[:start] + placeholder + text[end:]
    return text


# Keys whose string values name a person when they sit inside an author field ("user", "account", "from", …).
_NAME_KEYS = frozenset({"name", "username", "screen_name", "acct", "handle", "display_name", "displayName",
                        "authorDisplayName", "channelTitle", "from", "forwarded_from", "saved_from", "via_bot",
                        "author", "login", "full_name"})
# Tagged objects that are not people (Facebook message_tags of pages, groups and events keep their names).
_NOT_PEOPLE = frozenset({"page", "group", "event", "application"})


def names_in(payload: Any, author_fields: frozenset[str]) -> set[str]:
    """The names and handles a payload gives for people: name-like keys within its author fields."""
    found: set[str] = set()
    stack: list[tuple[Any, bool]] = [(payload, False)]
    while stack:
        value, inside = stack.pop()
        if isinstance(value, dict):
            if inside and value.get("type") in _NOT_PEOPLE:
                continue
            for key, v in value.items():
                # "name" is an author field for scrubbing, but a place or a chat has a name too: it counts only
                # within a person's object.
                here = inside or (key in author_fields and key != "name")
                if here and key in _NAME_KEYS and isinstance(v, str):
                    found.add(v)
                elif isinstance(v, (dict, list)):
                    stack.append((v, here))
        elif isinstance(value, list):
            stack.extend((v, inside) for v in value)
    return found


def redact_text(text: str, author: Iterable[str | None] = (), others: Iterable[str | None] = ()) -> str:
    """Text with profile links, the author's names, other known people's names and handles replaced."""
    text = mask_people(mask_links(text), [(author, AUTHOR_PLACEHOLDER), (others, MENTION_PLACEHOLDER)])
    return mask_mentions(mask_user_paths(text))


def redact_url(url: str | None) -> str | None:
    """A post's own link: kept, turned into its id-only form, or dropped when it names a person."""
    match = _URL_PARTS.match(url) if url else None
    if match is None:
        return url
    replaced = _person_link(match.group("host"), match.group("rest"))
    if replaced is None:
        return url
    return replaced if replaced.startswith("https://") else None

"""Text normalisation run on every post: clean-up, diacritic folding, teencode expansion, tokens and emoji.

Everything here is a pure function built on precompiled regexes and a translate table, with fast paths that skip a
step when its trigger character is absent (most posts have no HTML, no URL and no elongation).

Token choices (`tokens`):
- lowercase, NFC; words are runs of Unicode letters/digits (Vietnamese letters included), inner apostrophes kept
  ("don't"); "#hashtag" and "@user" stay single tokens with their sigil; every emoji (with its skin tone, ZWJ
  sequence, flag or keycap) is its own token; punctuation is dropped.
- elongations are squeezed: a letter repeated 3+ times keeps two ("sooo" -> "soo", "nhaaa" -> "nhaa"), because
  English keeps meaningful doubles ("good", "too"). In a word written with Vietnamese diacritics no syllable has a
  doubled letter, so runs there collapse to one and a toned vowel swallows its plain copies ("quáaaa" -> "quá",
  "điiii" -> "đi"); a lone double such as "đẹpp" is left alone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from pathlib import Path

LEXICONS = Path(__file__).parent / "resources" / "lexicons"

@cache
def word_list(name: str) -> frozenset[str]:
    """A one-word-or-phrase-per-line resource from resources/lexicons ("#" starts a comment line), lowercase NFC."""
    lines = (LEXICONS / name).read_text(encoding="utf-8").splitlines()
    return frozenset(unicodedata.normalize("NFC", w.strip().lower()) for w in lines if w.strip() and w[0] != "#")


# --- clean -----------------------------------------------------------------------------------------------------

# Only real HTML tag names, so "<3", "a < b" and "<không>" survive.
_TAG_NAMES = ("a|abbr|article|audio|b|big|blockquote|br|button|center|code|del|div|em|figcaption|figure|font|"
              "footer|h[1-6]|header|hr|i|iframe|img|input|ins|label|li|link|mark|meta|nav|ol|p|pre|q|s|section|"
              "small|source|span|strike|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul|video|wbr")
_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
# Entities whose "&" was lost upstream ("Tom amp; Jerry", "nbsp;").
_BARE_ENTITY = re.compile(r"(?<![&\w])(amp|quot|apos|nbsp|#39);")
_BARE_ENTITY_CHAR = {"amp": "&", "quot": '"', "apos": "'", "nbsp": " ", "#39": "'"}
# Full URLs plus bare domains on common TLDs and the usual link shorteners. Vietnamese ".co" / ".to" are left out
# on purpose: "xong roi.to qua" is a missing space, not a link.
_URL = re.compile(
    r"(?:\bhttps?://|\bwww\.)\S+"
    r"|\b(?:bit\.ly|t\.co|goo\.gl|fb\.me|youtu\.be|tinyurl\.com|shorturl\.at)/\S*"
    r"|\b[a-z0-9][\w-]*(?:\.[\w-]+)*\.(?:com|net|org|vn|io|gov|edu|info)(?:\.vn)?(?:/\S*)?(?!\w)",
    re.IGNORECASE)
# What ingest writes where a person was (civicpulse.sources.redact): no words of the post, so no keywords.
REDACTION_PLACEHOLDERS = ("[author]", "[profile link]", "[post link]")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in REDACTION_PLACEHOLDERS))
# Invisible characters that split words; the zero-width joiner and variation selectors stay (emoji need them).
_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC text without HTML tags, entities, URLs, redaction placeholders or invisible characters, whitespace
    collapsed to single spaces.

    Emoji, "@user" mentions and "#hashtags" are kept. Tags are removed before entities are decoded, so an escaped
    "&lt;3" becomes the heart "<3" rather than vanishing; double-escaped remnants ("&amp;lt;br&amp;gt;") are
    decoded and stripped too.
    """
    if not text:
        return ""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        for _ in range(3):  # "&amp;amp;" needs two rounds
            decoded = html.unescape(text)
            if decoded == text:
                break
            text = decoded
        if "<" in text:
            text = _TAG.sub(" ", text)
    if ";" in text:
        text = _BARE_ENTITY.sub(lambda m: _BARE_ENTITY_CHAR[m.group(1)], text)
    if "." in text:
        text = _URL.sub(" ", text)
    if "[" in text:
        text = _PLACEHOLDER.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


# --- fold ------------------------------------------------------------------------------------------------------

def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    # đ has no decomposition; ð/Ð turn up in text converted from legacy Vietnamese encodings (VNI/TCVN) as "Đ".
    for ch in "đĐðÐ":
        table[ord(ch)] = "d"
    for cp in range(0x300, 0x370):  # combining marks: folding NFD input needs no normalisation pass
        table[cp] = None
    return table


FOLD_TABLE = _fold_table()


def fold(text: str) -> str:
    """Lowercase without diacritics: "Đường Nguyễn Huệ" -> "duong nguyen hue". Works on NFC and NFD input."""
    return text.lower().translate(FOLD_TABLE)


def has_diacritics(word: str) -> bool:
    """True when the (lowercase) word carries a letter that folding changes."""
    return not word.isascii() and word.translate(FOLD_TABLE) != word


FOLDED_TEXT_SHARE = 0.3


def written_without_diacritics(words: list[str]) -> bool:
    """Whether a Vietnamese text was typed without diacritics (under 30% of its words carry any).

    Decides how a plain word is read: in "ket xe qua" it may be any accented word ("kẹt xe quá"), while in text
    typed with diacritics it is exactly what it says ("tham quan", "xin", "ung thư" are not "thảm", "xịn", "ưng").
    Pass the words before teencode expansion, which adds accented words ("ko" -> "không").
    """
    letters = [w for w in words if w[:1].isalpha()]
    if not letters:
        return True
    return sum(1 for w in letters if has_diacritics(w)) < FOLDED_TEXT_SHARE * len(letters)


# --- emoji -----------------------------------------------------------------------------------------------------

_EMOJI_BASE = ("[\u231a-\u23ff\u2600-\u27bf\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
               "\U0001f000-\U0001faff]")
_EMOJI_MOD = "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]*"
EMOJI_PATTERN = (rf"[\U0001f1e6-\U0001f1ff]{{2}}|[0-9#*]\ufe0f?\u20e3"
                 rf"|{_EMOJI_BASE}{_EMOJI_MOD}(?:\u200d{_EMOJI_BASE}{_EMOJI_MOD})*[\U000e0020-\U000e007f]*")
_EMOJI = re.compile(EMOJI_PATTERN)


def emoji_tokens(text: str) -> list[str]:
    """Every emoji in order, one item per emoji (skin tones, ZWJ families, flags and keycaps kept whole)."""
    if text.isascii():
        return []
    return _EMOJI.findall(text)


# --- tokens ----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(rf"{EMOJI_PATTERN}|[@#]\w+|\w+(?:['’]\w+)*")
_DOUBLE = re.compile(r"([^\W\d_])\1")
_RUN3 = re.compile(r"([^\W\d_])\1{2,}")


def squeeze(word: str) -> str:
    """Shorten elongations (see the module docstring): "sooo" -> "soo", "quáaaa" -> "quá"."""
    folded = word.translate(FOLD_TABLE)
    if not _DOUBLE.search(folded):
        return word
    if folded == word or len(folded) != len(word):
        return _RUN3.sub(r"\1\1", word)
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        j = i + 1
        while j < n and folded[j] == folded[i] and folded[i].isalpha():
            j += 1
        run = word[i:j]
        if j - i == 1 or (j - i == 2 and run.isascii()):
            out.append(run)
        else:  # keep the toned letter of the run if there is one ("áaa" -> "á"), else one letter
            out.append(next((c for c in run if not c.isascii()), run[0]))
        i = j
    return "".join(out)


def tokens(text: str) -> list[str]:
    """Lowercase word, "#hashtag", "@user" and emoji tokens in order; elongations squeezed. Run `clean` first."""
    if not text:
        return []
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    out = _TOKEN.findall(text.lower())
    for i, tok in enumerate(out):
        if "’" in tok:
            tok = out[i] = tok.replace("’", "'")
        if len(tok) > 2 and _DOUBLE.search(tok.translate(FOLD_TABLE)):
            out[i] = squeeze(tok)
    return out


# --- teencode --------------------------------------------------------------------------------------------------

_TEEN_WORD = re.compile(r"(?<![\w@#'’.\-/])\w+(?![\w'’\-/]|\.\w)")
_CLAUSE_END = re.compile(rf"\s*(?:$|[.?!,;:…)\]]|{_EMOJI_BASE}|[=:;]\S)")
_NEGATORS = frozenset({"không", "chẳng", "chả", "chưa", "hông", "đâu", "chớ"})
_BT_KNOW_NEXT = frozenset({"gì", "j", "ko", "k", "không", "chưa", "rồi", "r", "hết", "đâu", "sao", "là"})


@cache
def teencode_table() -> dict[str, tuple[str, str]]:
    """abbreviation -> (expansion, rule) from resources/lexicons/teencode.tsv."""
    table: dict[str, tuple[str, str]] = {}
    for line in (LEXICONS / "teencode.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, expansion, *rule = line.split("\t")
        table[unicodedata.normalize("NFC", key.strip().lower())] = (expansion.strip(), rule[0].strip() if rule else "")
    return table


def _looks_vietnamese(word: str | None) -> bool:
    if not word:
        return False
    from civicpulse.analysis.language import is_vietnamese_word  # lazy: language imports this module

    return is_vietnamese_word(word)


def normalize_teencode(text_lower: str) -> str:
    """Expand Vietnamese teencode and chat abbreviations to standard words ("ko dc" -> "không được").

    Only whole words are replaced (never inside "#hashtags", "@user", URLs or "v.v."). Abbreviations that are also
    English or units are expanded only beside a Vietnamese-looking word and never after a number: "k"/"r"/"vs"/"e"
    ("5 k", "Arsenal vs Chelsea", "k thanks" stay). "z"/"v" become "vậy" only at the end of a clause after a
    Vietnamese word ("sao v?"). "bt" is "biết" after a negator or before "gì"/"không"/"rồi"..., otherwise "bình
    thường". Case is kept for words that are not replaced, so cased text may be passed too.
    """
    table = teencode_table()
    matches = list(_TEEN_WORD.finditer(text_lower))
    if not matches or not any(m.group().lower() in table for m in matches):
        return text_lower
    words = [m.group().lower() for m in matches]
    out: list[str] = []
    last = 0
    for i, m in enumerate(matches):
        entry = table.get(words[i])
        if entry is None:
            continue
        expansion, rule = entry
        prev = words[i - 1] if i else None
        nxt = words[i + 1] if i + 1 < len(words) else None
        if rule == "ctx":
            if (prev is not None and prev[0].isdigit()) or not (
                    _vi_neighbour(prev, table) or _vi_neighbour(nxt, table)):
                continue
        elif rule == "final":
            if not _CLAUSE_END.match(text_lower, m.end()) or not _vi_neighbour(prev, table):
                continue
        elif rule == "bt":
            prev_std = table.get(prev, (prev, ""))[0] if prev else None
            expansion = "biết" if prev_std in _NEGATORS or nxt in _BT_KNOW_NEXT else "bình thường"
        out.append(text_lower[last:m.start()])
        out.append(expansion)
        last = m.end()
    if not out:
        return text_lower
    out.append(text_lower[last:])
    return "".join(out)


def _vi_neighbour(word: str | None, table: dict[str, tuple[str, str]]) -> bool:
    if word is None:
        return False
    entry = table.get(word)
    if entry is not None:
        return entry[1] == ""  # an unambiguous abbreviation is Vietnamese context
    return _looks_vietnamese(word)

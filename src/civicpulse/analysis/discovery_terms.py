"""How topic discovery reads a post's tokens: folded keys to group posts by, surface spellings to label topics with.

Posts are typed with and without diacritics, and pyvi segments only the former: "cảm ơn thông tin hữu ích" comes
out as three words, "cam on thong tin huu ich" as six syllables. Compared as written, the two spellings of one topic
share no token and end up as two topics whose labels read "cam · on · huu". So grouping uses keys:

- a token lowercased and folded (no diacritics): "ngập nước" and "ngap nuoc" are one key;
- a run of plain single syllables is joined into the multi-syllable word it spells ("cam", "on" -> "cam on"), when
  the folded run is a word of pyvi's dictionary or of the project's compound list (longest first, up to four); a
  run of syllables with diacritics is joined when it is such a word exactly as written ("ngập", "nước").

Labels go back to the words as written (`spellings`): a key is shown in its most frequent spelling with diacritics.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

from civicpulse.analysis.text import FOLD_TABLE, has_diacritics, word_list

MAX_WORD_SYLLABLES = 4


@lru_cache(maxsize=1 << 18)
def fold_key(token: str) -> str:
    """Lowercase, NFC, without diacritics: the key a token is grouped by ("Ngập nước" -> "ngap nuoc")."""
    return unicodedata.normalize("NFC", token).lower().translate(FOLD_TABLE)


@lru_cache(maxsize=1 << 16)
def _plain_syllable(token: str) -> bool:
    return token.isascii() and token.isalpha()


@lru_cache(maxsize=1 << 16)
def _syllable(token: str) -> bool:
    return token.isalpha()


@cache
def written_words() -> frozenset[str]:
    """Multi-syllable Vietnamese words as written: pyvi's dictionary plus resources/lexicons/vi_compounds.txt."""
    words = set(word_list("vi_compounds.txt"))
    spec = importlib.util.find_spec("pyvi")  # the file only: importing pyvi's tokenizer loads its model
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "models" / "words.txt"
        if path.exists():
            words.update(unicodedata.normalize("NFC", line.strip().lower())
                         for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if 2 <= len(w.split()) <= MAX_WORD_SYLLABLES and w.replace(" ", "").isalpha())


@cache
def folded_words() -> frozenset[str]:
    """The same words folded, for text typed without diacritics."""
    return frozenset(map(fold_key, written_words()))


def keyed(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """(key, spelling) per word of a post: plain syllable runs joined into words, everything else one to one."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(tokens)
    while i < n:
        size = _word_at(tokens, i) if _syllable(tokens[i]) else 1
        spelling = unicodedata.normalize("NFC", " ".join(tokens[i:i + size])).lower()
        out.append((fold_key(spelling), spelling))
        i += size
    return out


def _word_at(tokens: Sequence[str], i: int) -> int:
    """How many syllables from tokens[i] make one dictionary word (1: none do)."""
    for size in range(min(MAX_WORD_SYLLABLES, len(tokens) - i), 1, -1):
        run = tokens[i:i + size]
        if not all(_syllable(t) for t in run):
            continue
        joined = unicodedata.normalize("NFC", " ".join(run)).lower()
        if (joined in folded_words()) if all(_plain_syllable(t) for t in run) else (joined in written_words()):
            return size
    return 1


def term_keys(tokens: Sequence[str]) -> list[str]:
    """The keys of a post's tokens, in order (what the vectors hash)."""
    return [key for key, _ in keyed(tokens)]


def spelling_counts(token_lists: Iterable[Sequence[str]]) -> dict[str, Counter[str]]:
    """key -> how often each spelling with diacritics was written (once per post)."""
    counts: dict[str, Counter[str]] = {}
    for tokens in token_lists:
        for key, spelling in set(keyed(tokens)):
            if has_diacritics(spelling.replace(" ", "")):
                counts.setdefault(key, Counter())[spelling] += 1
    return counts


DOMINANT_SHARE = 0.8  # a spelling borrowed from the rest of the corpus must be this clearly the usual one


def spell(key: str, local: dict[str, Counter[str]], corpus: dict[str, Counter[str]]) -> str:
    """How to write a key: its most frequent spelling with diacritics among the topic's posts; failing that, the
    corpus's when one spelling clearly dominates there ("ngap" -> "ngập", but "gio" stays: "giờ" or "gió"); else
    the key itself."""
    found = local.get(key)
    if found:
        return min(found.items(), key=lambda item: (-item[1], item[0]))[0]
    found = corpus.get(key)
    if found:
        spelling, count = min(found.items(), key=lambda item: (-item[1], item[0]))
        if count >= DOMINANT_SHARE * sum(found.values()):
            return spelling
    return key

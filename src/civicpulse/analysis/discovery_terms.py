"""How topic labels read a topic's tokens: folded keys to count words by, spellings as written to show them.

Posts are typed with and without diacritics, and pyvi segments only the former: "cảm ơn thông tin hữu ích" comes
out as three words, "cam on thong tin huu ich" as six syllables; counted as written, a topic holding both would be
labelled "cam · on · huu". So labels count keys:

- a token lowercased and folded (no diacritics): "ngập nước" and "ngap nuoc" are one key;
- a run of plain single syllables is joined into the multi-syllable word it spells ("cam", "on" -> "cam on"), when
  the folded run is a word of pyvi's dictionary or of the project's compound list (longest first, up to four); a
  run of syllables with diacritics is joined when it is such a word exactly as written ("ngập", "nước").

Labels go back to the words as written: a key is shown in its most frequent spelling with diacritics (`spell`).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

from civicpulse.analysis.text import FOLD_TABLE, word_list

MAX_WORD_SYLLABLES = 4


def fold_key(token: str) -> str:
    """Lowercase, NFC, without diacritics: the key a token is grouped by ("Ngập nước" -> "ngap nuoc")."""
    return _token(token)[0]


@lru_cache(maxsize=1 << 18)
def _token(token: str) -> tuple[str, str, int]:
    """(key, spelling, kind) of one token; kind 0: not a syllable, 1: a syllable with diacritics, 2: a plain one."""
    spelling = unicodedata.normalize("NFC", token).lower()
    kind = (2 if spelling.isascii() else 1) if spelling.isalpha() else 0
    return spelling.translate(FOLD_TABLE), spelling, kind


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
    """(key, spelling) per word of a post: syllable runs joined into words, everything else one to one."""
    info = [_token(t) for t in tokens]
    out: list[tuple[str, str]] = []
    i, n = 0, len(info)
    while i < n:
        size = _word_at(info, i) if i + 1 < n and info[i][2] and info[i + 1][2] else 1
        if size == 1:
            out.append(info[i][:2])
        else:
            out.append((" ".join(k for k, _, _ in info[i:i + size]), " ".join(s for _, s, _ in info[i:i + size])))
        i += size
    return out


def _word_at(info: list[tuple[str, str, int]], i: int) -> int:
    """How many syllables from info[i] make one dictionary word (1: none do): runs typed without diacritics are
    matched folded, runs with them exactly."""
    for size in range(min(MAX_WORD_SYLLABLES, len(info) - i), 1, -1):
        run = info[i:i + size]
        kinds = {kind for _, _, kind in run}
        if kinds == {2}:
            if " ".join(k for k, _, _ in run) in folded_words():
                return size
        elif 0 not in kinds and " ".join(s for _, s, _ in run) in written_words():
            return size
    return 1


def term_keys(tokens: Sequence[str]) -> list[str]:
    """The keys of a post's words, in order (what labels and their coherence count)."""
    return [key for key, _ in keyed(tokens)]


def rejoin(docs: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Join runs of plain syllables that spell a word other posts of the same set wrote whole.

    For labels only: "cống nghẹt" is no dictionary word, so where one post has it whole (pyvi joined it) another,
    typed without diacritics, has "cong", "nghet"; within one topic they are plainly the same word.
    """
    # only words written whole with diacritics: pyvi also glues plain syllables now and then ("hong thong")
    whole = {key for keys in docs for key, spelling in keys
             if " " in key and key != spelling and key.replace(" ", "").isascii()}
    if not whole:
        return docs
    out = []
    for keys in docs:
        joined: list[tuple[str, str]] = []
        i = 0
        while i < len(keys):
            for size in range(min(MAX_WORD_SYLLABLES, len(keys) - i), 1, -1):
                run = keys[i:i + size]
                key = " ".join(k for k, _ in run)
                if key in whole and all(k == s and " " not in k for k, s in run):
                    joined.append((key, key))
                    i += size
                    break
            else:
                joined.append(keys[i])
                i += 1
        out.append(joined)
    return out


def spelling_counts(token_lists: Iterable[Sequence[str]]) -> dict[str, Counter[str]]:
    """key -> how many posts wrote it each way (the key itself standing for "without diacritics")."""
    return count_spellings(keyed(tokens) for tokens in token_lists)


def count_spellings(docs: Iterable[Sequence[tuple[str, str]]]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for keys in docs:
        for key, spelling in set(keys):
            counts.setdefault(key, Counter())[spelling] += 1
    return counts


ACCENTED_SHARE = 0.25  # posts with diacritics must be at least a quarter as many as those without
DOMINANT_SHARE = 0.8  # a spelling borrowed from the rest of the corpus must be this clearly the usual one


def spell(key: str, local: dict[str, Counter[str]], corpus: dict[str, Counter[str]]) -> str:
    """How to write a key: its most frequent spelling with diacritics among the topic's posts, if those are at least
    a quarter as many as the posts without; failing that, for a word of several syllables, the corpus's spelling when
    one clearly dominates there ("ngap nuoc" -> "ngập nước"); else the key itself.

    A single syllable is not borrowed, and needs the topic's own posts: the keyword extractor drops stopwords only
    as written with diacritics, so "giờ" and "năm" never turn up while "gió" and "nằm" do, and "gio" and "nam"
    typed without diacritics would be misread from counts alone.
    """
    found = _accented(local.get(key), key)
    if found and found[0][1] >= ACCENTED_SHARE * local[key].get(key, 0):
        return found[0][0]
    found = _accented(corpus.get(key), key) if " " in key else []
    if found and found[0][1] >= DOMINANT_SHARE * sum(count for _, count in found):
        return found[0][0]
    return key


def _accented(counts: Counter[str] | None, key: str) -> list[tuple[str, int]]:
    """Spellings with diacritics, most frequent first (ties: alphabetical)."""
    return sorted(((s, c) for s, c in (counts or {}).items() if s != key), key=lambda item: (-item[1], item[0]))

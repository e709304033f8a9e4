"""Language identification tuned for short Vietnamese/English social posts.

py3langid alone is unreliable on what Vietnamese users actually write: "ket xe qua" comes out Venetian and
"ko dc dau" Latvian. So Latin-script text is scored twice and blended:

1. a Vietnamese cue from the words themselves. Each word is one of
   - marked Vietnamese: written with Vietnamese diacritics and, folded, a valid Vietnamese syllable ("kẹt");
   - teencode: a chat abbreviation from teencode.tsv that is not English ("ko", "dc", "mik");
   - plain Vietnamese: folded, a valid syllable and not a common English word ("ket", "xe", "chua");
   - ambiguous: both a syllable and common English ("an", "to", "me", "can"), a frequent Romance/Malay word
     that is also a syllable ("la", "de", "con"), or a universal word ("ok", "haha") - counts for neither side;
   - English: a common English word (english_common.txt) that is not a syllable ("this", "traffic"); English
     function words count 1.5 times, since the language that supplies the grammar is the post's language;
   - unknown: anything else (names, other languages, rare English).
   Runs of capitalised words count a third ("via Phạm Văn Đồng", "Nguyen Hue" in English posts) and are left out
   of the text py3langid sees, whose byte n-grams would otherwise follow the names' diacritics.
   The syllable inventory is every syllable of pyvi's Vietnamese word list (MIT, installed with pyvi), folded and
   kept only if it fits Vietnamese phonotactics (onset + vowel nucleus + optional c/ch/m/n/ng/nh/p/t coda), which
   drops loanwords such as "album" or "video".
2. py3langid restricted to the languages listed in LANGUAGES.

The blend is 0.6 x cue share + 0.4 x py3langid probability per language; confidence is the winner's share of the
blend, lowered for posts with few informative words. Only ambiguous words -> py3langid if it is sure, else "und".

Non-Latin scripts are decided by script first (Hangul -> ko, kana -> ja, Han -> zh, Thai, Lao, Khmer, Myanmar);
Cyrillic, Arabic, Greek, Hebrew and Indic scripts go to py3langid. Text without letters (emoji-only, numbers,
empty) is "und" with confidence 0.
"""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from typing import Any

from civicpulse.analysis.text import FOLD_TABLE, clean, teencode_table, word_list

LANGUAGES = ("vi", "en", "zh", "ja", "ko", "th", "fr", "de", "es", "id", "ru", "km", "lo", "ms", "tl", "pt", "it",
             "nl", "ar", "hi", "tr", "pl", "uk", "my", "sv", "da", "no", "fi", "cs", "hu", "ro", "el", "he", "bn",
             "ta", "fa")
UNDETERMINED = "und"

_SCRIPT_RUN = re.compile(
    r"(?P<latin>[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+)|(?P<ko>[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+)"
    r"|(?P<ja>[\u3040-\u30ff\u31f0-\u31ff]+)|(?P<zh>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<th>[\u0e00-\u0e7f]+)|(?P<lo>[\u0e80-\u0eff]+)|(?P<km>[\u1780-\u17ff]+)|(?P<my>[\u1000-\u109f]+)"
    r"|(?P<other>[\u0370-\u03ff\u0400-\u052f\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0900-\u0dff]+)")
_MENTION_OR_TAG = re.compile(r"[@#]\w+")
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_PHONOTACTIC = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?")
# Letters that only Vietnamese uses among the languages we expect (ă ơ ư and the Latin Extended Additional block).
_VI_ONLY = re.compile("[ăơưđ\u1ea0-\u1ef9]")
_VI_INTERJECTIONS = frozenset({"hihi", "hjhj", "huhu", "hix", "hic", "ahihi", "hichic", "kkk", "keke", "uhm"})
# Frequent Spanish/Portuguese/French/Italian/Indonesian/Tagalog words that are also Vietnamese syllables once
# folded ("la casa de mi madre", "ini di sana"): they count for neither side, like ambiguous English. The accented
# ones count as foreign only when written with their own accent ("não", not Vietnamese "nào").
_FOREIGN_SYLLABLES = frozenset({
    "la", "le", "de", "di", "do", "du", "mi", "me", "te", "se", "su", "tu", "lo", "con", "que", "no", "em", "com",
    "na", "ne", "non", "ma", "ke", "dan", "dia", "sa", "ang", "po", "un"})
_FOREIGN_ACCENTED = frozenset({"não", "são", "só", "ça"})
# Words every language borrows: no evidence either way.
_UNIVERSAL = frozenset({"ok", "okay", "oke", "haha", "hahaha", "hehe", "wow", "hmm", "alo", "hello", "hi", "bye"})

# Weights of the word classes in the Vietnamese cue, and of the cue against py3langid in the blend.
_W_MARKED, _W_LATIN1_MARKED, _W_TEEN, _W_PLAIN, _W_PLAIN_CAPITAL, _W_UNKNOWN = 1.0, 0.85, 0.9, 0.75, 0.5, 0.5
_W_EN_FUNCTION, _W_NAME_FACTOR = 1.5, 0.35
_CUE_WEIGHT = 0.6
_MAX_CHARS = 2000  # language is settled long before this; bounds the cost of 10k-character posts


@cache
def vietnamese_syllables() -> frozenset[str]:
    """Folded Vietnamese syllables ("nguoi", "duong", "ket") from pyvi's word list, loanwords filtered out."""
    words = importlib.resources.files("pyvi").joinpath("models/words.txt").read_text(encoding="utf-8")
    return frozenset(s for s in set(words.lower().translate(FOLD_TABLE).split()) if _PHONOTACTIC.fullmatch(s))


def english_common() -> frozenset[str]:
    return word_list("english_common.txt")


@cache
def _english_function_words() -> frozenset[str]:
    """English stopwords that are not Vietnamese syllables: the matrix-language signal in code-switched posts."""
    syllables = vietnamese_syllables()
    return frozenset(w for w in word_list("en_stopwords.txt") if w not in syllables and len(w) > 1)


@cache
def _vi_abbreviations() -> frozenset[str]:
    english = english_common()
    return frozenset(k for k, (_, rule) in teencode_table().items()
                     if len(k) > 1 and rule in ("", "bt") and k not in english and k not in _UNIVERSAL)


def is_vietnamese_word(word: str) -> bool:
    """A lowercase word that is Vietnamese evidence: a marked syllable, an abbreviation or a non-English syllable."""
    folded = word.translate(FOLD_TABLE)
    if folded in vietnamese_syllables():
        return folded != word or word not in english_common()
    return word in _vi_abbreviations() or word in _VI_INTERJECTIONS


@cache
def _identifier() -> Any:
    """py3langid's identifier restricted to LANGUAGES, built on first use (loading the model takes ~0.6 s)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _langid(text: str) -> dict[str, float]:
    return dict(_identifier().rank(text))


def _vietnamese_cue(words: list[str]) -> tuple[float, float, float, list[str]]:
    """(Vietnamese evidence, English evidence, unknown evidence) in word units, and the words outside name runs."""
    syllables, english, abbreviations = vietnamese_syllables(), english_common(), _vi_abbreviations()
    function_words = _english_function_words()
    titled = [w[0].isupper() and not w.isupper() for w in words]
    vi = en = unknown = 0.0
    plain_words: list[str] = []
    for i, raw in enumerate(words):
        word = raw.lower()
        if (len(word) < 2 and word not in "ơưđ") or word in _UNIVERSAL:
            continue  # single letters ("i", "a", "k") and "ok"/"haha" say nothing
        # A run of capitalised words is a name or place ("Phạm Văn Đồng", "Nguyen Hue"), common in English posts.
        in_name = titled[i] and ((i > 0 and titled[i - 1]) or (i + 1 < len(words) and titled[i + 1]))
        if not in_name:
            plain_words.append(raw)
        folded = word.translate(FOLD_TABLE)
        weight = 0.0
        if folded != word:
            if folded not in syllables:
                unknown += _W_UNKNOWN
            elif _VI_ONLY.search(word):
                weight = _W_MARKED
            elif word not in _FOREIGN_ACCENTED:  # only Latin-1 accents ("là", "tôi"): French/Portuguese have them
                weight = _W_LATIN1_MARKED
        elif folded in _FOREIGN_SYLLABLES:
            continue
        elif word in abbreviations or word in _VI_INTERJECTIONS:
            weight = _W_TEEN
        elif folded in syllables:
            if word not in english:
                weight = _W_PLAIN_CAPITAL if titled[i] else _W_PLAIN
        elif word in function_words:
            en += _W_EN_FUNCTION
        elif word in english or "'" in word:
            en += 1.0
        else:
            unknown += _W_UNKNOWN
        vi += weight * _W_NAME_FACTOR if in_name else weight
    return vi, en, unknown, plain_words


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code or "und", confidence 0..1) for one post."""
    text = _MENTION_OR_TAG.sub(" ", clean(text[: _MAX_CHARS * 2])[:_MAX_CHARS])
    runs: dict[str, int] = {}
    for m in _SCRIPT_RUN.finditer(text):
        runs[m.lastgroup or ""] = runs.get(m.lastgroup or "", 0) + len(m.group())
    letters = sum(runs.values())
    if not letters:
        return UNDETERMINED, 0.0
    script, count = max(runs.items(), key=lambda kv: kv[1])
    if script != "latin":
        return _non_latin(text, runs, script, count / letters)
    return _latin(text, runs.get("latin", 0) / letters)


def _non_latin(text: str, runs: dict[str, int], script: str, share: float) -> tuple[str, float]:
    if script in ("zh", "ja") and runs.get("ja"):
        return "ja", round(min(1.0, (runs.get("ja", 0) + runs.get("zh", 0)) / sum(runs.values())), 3)
    if script != "other":
        return script, round(share, 3)
    probs = _langid(text)
    lang = max(probs, key=probs.__getitem__)
    return lang, round(probs[lang] * share, 3)


def _latin(text: str, latin_share: float) -> tuple[str, float]:
    words = _LATIN_WORD.findall(text)
    vi, en, unknown, plain_words = _vietnamese_cue(words)
    # Names' diacritics would pull py3langid to Vietnamese in English posts ("via Phạm Văn Đồng").
    probs = _langid(" ".join(plain_words) if len(plain_words) >= 2 else text)
    evidence = vi + en + unknown
    if evidence == 0:  # only ambiguous words ("to me", "ok"): trust py3langid when it is sure
        lang = max(probs, key=probs.__getitem__)
        if probs[lang] < 0.5:
            return UNDETERMINED, round(probs[lang] * 0.5, 3)
        return lang, round(probs[lang] * 0.7, 3)
    scores = {lang: (1 - _CUE_WEIGHT) * p for lang, p in probs.items()}
    scores["vi"] += _CUE_WEIGHT * vi / evidence
    scores["en"] += _CUE_WEIGHT * en / evidence
    lang = max(scores, key=scores.__getitem__)
    total = sum(scores.values())
    confidence = scores[lang] / total if total else 0.0
    informative = vi + en if lang in ("vi", "en") else len(words)
    confidence *= min(1.0, 0.55 + 0.15 * informative) * latin_share
    return lang, round(min(1.0, max(0.0, float(confidence))), 3)


def detect_languages(texts: list[str]) -> list[tuple[str, float]]:
    """`detect_language` over a batch, in order."""
    return [detect_language(t) for t in texts]

"""Hashtags and content keywords of a post, for search and for explaining trends.

Keywords are lowercase, deduplicated (folded: "kẹt xe" and "ket xe" are one keyword, the first spelling wins) and
in order of first appearance. Vietnamese is segmented with pyvi ("bệnh_viện" -> "bệnh viện"), then adjacent
words that form a compound from vi_compounds.txt are joined ("kẹt xe", which pyvi leaves split). Stopwords,
numbers ("5k", "2024"), single characters, @mentions, #hashtags (see `hashtags`), URLs and emoji never become
keywords.

Privacy: person names must not be extracted. Before segmentation, capitalised words after a kinship word or title
("anh Tuấn", "chị Lan", "Mr Smith") and capitalised runs that start with a common Vietnamese family name
("Nguyễn Văn An", "Tran Thi Mai") are dropped, unless a place word precedes them ("đường Nguyễn Huệ", "quận Lê
Chân"). Street names without such a word are dropped with them; English first names without a title are not
caught (known limit). Scripts without spaces (zh, ja, th, km, lo) are not segmented: their keywords are script
runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

from civicpulse.analysis.text import (
    EMOJI_PATTERN,
    FOLD_TABLE,
    clean,
    normalize_teencode,
    squeeze,
    word_list,
    written_without_diacritics,
)

_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")
_NOT_CONTENT = re.compile(rf"[@#]\w+|{EMOJI_PATTERN}")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?;\n])\s+")
_CHUNK_CHARS = 400  # pyvi is run on pieces this long, so a 10k-character post stops as soon as `limit` is met

_TITLES_VI = frozenset({"anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cậu", "dì", "bạn", "bé", "thầy", "cụ",
                        "chàng", "nàng", "con", "cháu", "mẹ", "bố", "má", "ba", "vợ", "chồng", "sếp", "đồng chí"})
_TITLES_EN = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "madam", "mister", "uncle", "aunt", "auntie"})
# Common family names; place names that share one ("Hà Nội", "Hồ Chí Minh", "Lâm Đồng") are left out on purpose.
_SURNAMES = frozenset({"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do",
                       "ngo", "duong", "ly", "dinh", "truong", "luong", "luu", "trinh", "ta", "quach", "doan", "vuong",
                       "phung", "kieu", "trieu", "tang", "mac"})
_PLACE_WORDS = frozenset({"đường", "phố", "quận", "huyện", "phường", "xã", "tỉnh", "cầu", "chợ", "trường", "viện",
                          "công viên", "hẻm", "ngõ", "ngách", "khu", "hồ", "sông", "bến", "ga", "sân", "tòa", "lăng",
                          "đền", "chùa", "làng", "ấp", "phà", "lộ", "tp", "thành phố", "street", "road", "st",
                          "district", "ward", "bridge", "avenue", "market", "school", "hospital", "lake", "park",
                          "ngã tư", "ngã ba", "vòng xoay", "nút giao", "tại", "qua", "on", "at", "via", "along",
                          "near"})
# Folded forms that are stopwords when written with diacritics but frequent content words without them:
# "cau" (cậu/cầu), "cho" (cho/chợ), "den" (đến/đèn), "gio" (giờ/gió), "bay" (bảy/bay)...
_FOLDED_STOP_EXCEPTIONS = frozenset({"cau", "cho", "duong", "ban", "hai", "nam", "bay", "tao", "mo", "chu", "gio",
                                     "bac", "den"})


def hashtags(text: str) -> list[str]:
    """Lowercase hashtags with their "#", deduplicated in order; diacritics kept ("#SàiGòn" -> "#sàigòn")."""
    if "#" not in text:
        return []
    text = unicodedata.normalize("NFC", text)
    return list(dict.fromkeys("#" + tag.lower() for tag in _HASHTAG.findall(text)))


def keywords(text: str, lang: str, limit: int = 8) -> list[str]:
    """Up to `limit` content keywords of one post, in order of first appearance (see the module docstring)."""
    if limit <= 0:
        return []
    text = _NOT_CONTENT.sub(" , ", clean(text))
    if not text.strip(" ,"):
        return []
    if lang == "vi":
        return _vietnamese(text, limit)
    return _other(text, lang, limit)


# --- Vietnamese --------------------------------------------------------------------------------------------------

@cache
def _vi_stopwords() -> tuple[frozenset[str], frozenset[str]]:
    """(stopwords as written, folded forms used for words written without diacritics)."""
    words = word_list("vi_stopwords.txt")
    folded = frozenset(w.translate(FOLD_TABLE) for w in words) - _FOLDED_STOP_EXCEPTIONS
    return words, folded


@cache
def _compounds() -> dict[str, dict[tuple[str, ...], str]]:
    """first folded syllable -> {folded syllables: compound as written in the list}."""
    index: dict[str, dict[tuple[str, ...], str]] = {}
    for phrase in word_list("vi_compounds.txt"):
        key = tuple(phrase.translate(FOLD_TABLE).split())
        index.setdefault(key[0], {})[key] = phrase
    return index


@cache
def _segmenter() -> Callable[[str], str]:
    from pyvi import ViTokenizer  # lazily: importing pyvi loads its CRF model (about a second)

    return ViTokenizer.tokenize


def _vietnamese(text: str, limit: int) -> list[str]:
    # Text typed without diacritics: a plain word may stand for an accented stopword or compound syllable.
    plain = written_without_diacritics(_WORD.findall(text.lower()))
    text = _drop_person_names(normalize_teencode(text))
    segment = _segmenter()
    found: dict[str, str] = {}
    for chunk in _chunks(text):
        words = _join_title_runs([w.replace("_", " ") for w in segment(chunk).split()])
        for word in _join_compounds(words, plain):
            key = word.translate(FOLD_TABLE)
            if key not in found and _is_vi_content(word, plain):
                found[key] = word
                if len(found) >= limit:
                    return list(found.values())
    return list(found.values())


def _is_titled(word: str) -> bool:
    return all(p[:1].isupper() and not p.isupper() and p.isalpha() for p in word.split())


def _join_title_runs(words: list[str]) -> list[str]:
    """Lowercase words with runs of capitalised words joined: place names pyvi splits ("Hàng Xanh", "Thu Duc").

    Text in Title Case throughout (headlines) is left split: there the capitals say nothing.
    """
    titled = [_is_titled(w) for w in words]
    alpha = sum(1 for w in words if w[:1].isalpha())
    if sum(titled) < 2 or sum(titled) > 0.6 * alpha:
        return [w.lower() for w in words]
    out: list[str] = []
    run: list[str] = []
    for word, is_titled in zip(words, titled, strict=True):
        if is_titled and sum(len(w.split()) for w in run) + len(word.split()) <= 4:
            run.append(word)
            continue
        if run:
            out.append(" ".join(run).lower())
        run = [word] if is_titled else []
        if not is_titled:
            out.append(word.lower())
    if run:
        out.append(" ".join(run).lower())
    return out


def _chunks(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        if current and len(current) + len(sentence) > _CHUNK_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
        while len(current) > _CHUNK_CHARS * 2:  # one huge "sentence": cut at a space
            cut = current.rfind(" ", 0, _CHUNK_CHARS) if " " in current[:_CHUNK_CHARS] else _CHUNK_CHARS
            chunks.append(current[:cut])
            current = current[cut:].lstrip()
    if current:
        chunks.append(current)
    return chunks


def _syllables_match(written: list[str], listed: str, plain: bool) -> bool:
    """Syllables must match the listed compound exactly, except plain ones in text typed without diacritics."""
    return all((plain and w.isascii()) or w == s for w, s in zip(written, listed.split(), strict=True))


def _join_compounds(words: list[str], plain: bool) -> list[str]:
    """Regroup syllables so listed compounds (up to 4 syllables) come out whole, even across pyvi's words."""
    index = _compounds()
    syllables: list[str] = []
    word_end: list[int] = []  # for each syllable, the index just past the pyvi word it belongs to
    for word in words:
        parts = word.split()
        syllables += parts
        word_end += [len(syllables)] * len(parts)
    out: list[str] = []
    i = 0
    while i < len(syllables):
        end = word_end[i]
        candidates = index.get(syllables[i].translate(FOLD_TABLE))
        if candidates:
            for n in (4, 3, 2):
                span = syllables[i:i + n]
                listed = candidates.get(tuple(w.translate(FOLD_TABLE) for w in span)) if len(span) == n else None
                if listed and _syllables_match(span, listed, plain):
                    end = i + n
                    break
        out.append(" ".join(syllables[i:end]))
        i = end
    return out


def _is_vi_content(word: str, plain: bool) -> bool:
    if len(word) < 2 or word[0].isdigit() or not any(c.isalpha() for c in word):
        return False
    stop, stop_folded = _vi_stopwords()
    parts = word.split()
    if all(p in stop or (plain and p.isascii() and p in stop_folded) for p in parts):
        return False
    if len(parts) == 1 and word.isascii() and word in _en_stopwords():
        from civicpulse.analysis.language import vietnamese_syllables

        return word in vietnamese_syllables()  # "the" (thế) is a syllable; "is", "of" are English filler
    return True


# --- English and other languages -----------------------------------------------------------------------------------

def _en_stopwords() -> frozenset[str]:
    return word_list("en_stopwords.txt")


@cache
def _any_stopwords() -> frozenset[str]:
    return _en_stopwords() | _vi_stopwords()[0]


def _other(text: str, lang: str, limit: int) -> list[str]:
    text = _drop_person_names(text)
    # no stopword list for other languages: both lists, and longer words only
    stop = _en_stopwords() if lang == "en" else _any_stopwords()
    found: dict[str, str] = {}
    for phrase in _join_title_runs([squeeze(w.replace("’", "'")) for w in _WORD.findall(text)]):
        word = " ".join(w for w in phrase.split() if w not in stop)  # "the Saigon River" -> "saigon river"
        if len(word) < 2 or word[0].isdigit() or word in stop or (lang != "en" and len(word) < 3 and word.isascii()):
            continue
        key = word.translate(FOLD_TABLE)
        if key not in found:
            found[key] = word
            if len(found) >= limit:
                break
    return list(found.values())


# --- person names ------------------------------------------------------------------------------------------------

def _starts_sentence(text: str, position: int) -> bool:
    before = text[max(0, position - 4):position].rstrip(" \"'(“")
    return not before or before[-1] in ".!?:"


def _drop_person_names(text: str) -> str:
    """Replace likely person names with a comma (see the module docstring)."""
    matches = list(_WORD.finditer(text))
    if len(matches) < 2 or not any(m.group()[0].isupper() for m in matches[1:]):
        return text
    words = [m.group() for m in matches]
    titled = [w[0].isupper() and not w.isupper() and not w[0].isdigit() for w in words]
    drop = [False] * len(words)
    for i, word in enumerate(words):
        if not titled[i] or drop[i]:
            continue
        prev = words[i - 1].lower() if i else ""
        prev2 = f"{words[i - 2].lower()} {prev}" if i > 1 else ""
        after_title = (prev in _TITLES_VI or prev in _TITLES_EN) and (
            not titled[i - 1] or _starts_sentence(text, matches[i - 1].start()))
        surname_run = (word.lower().translate(FOLD_TABLE) in _SURNAMES and i + 1 < len(words) and titled[i + 1]
                       and prev not in _PLACE_WORDS and prev2 not in _PLACE_WORDS)
        if after_title or surname_run:
            j = i
            while j < len(words) and titled[j] and j - i < 4:
                drop[j] = True
                j += 1
    if not any(drop):
        return text
    out: list[str] = []
    last = 0
    for m, dropped in zip(matches, drop, strict=True):
        if dropped:
            out.append(text[last:m.start()])
            out.append(" , ")
            last = m.end()
    out.append(text[last:])
    return "".join(out)

"""Postal addresses in text ("357/28 Ng-T- Thuật, P1, Q3, TP.HCM", "Nà Làng Phú Bình, Chiêm Hoá, Tuyên Quang"),
resolved with vietnamadminunits' address parser (address_reading.py).

The token scan in places.py needs a marker before a district or ward name, because bare unit names repeat across
the country and double as words. In an address the order itself is the marker: the last segment is a province and
the ones before it a district and a ward of that province. vietnamadminunits.parse_address reads addresses that
way (province first, from the right; then districts of that province only; then wards of that district), so
address-like spans are handed to it and its answer replaces the scan's units of the span where they disagree.
Everything the parser returns is checked against the text: a unit is kept only where its name (or one of the
parser's own keywords for it) is written in the span, token for token, so a parser match inside another word or a
former ward number ("P3" -> "Phường 2") is not reported. See docs/places.md, "Addresses".
"""

from __future__ import annotations

import bisect
import itertools
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.gazetteer import Gazetteer, Unit, fold, short_name, tone_key

if TYPE_CHECKING:
    from civicpulse.analysis.places import _Scan

# Folded words that open an address segment: unit types and their abbreviations, hamlets, streets.
_OPENERS = frozenset({"p", "f", "phuong", "q", "quan", "h", "huyen", "x", "xa", "tt", "tx", "tp", "thi", "thanh",
                      "tinh", "ap", "thon", "xom", "ban", "kp", "to", "khom", "khu", "duong", "so", "lo", "ngo", "hem",
                      "kiet"})
_OPENER_BEFORE = {"thi": {"tran", "xa"}, "thanh": {"pho"}, "khu": {"pho"}, "to": {"dan"}}  # "thì", "to", "khu vực"
_FULL_UNIT_WORDS = frozenset({"phuong", "quan", "huyen", "tinh", "thon", "xom"})  # enough before a lower-case name
_ABBREVIATIONS = _OPENERS | {"tdp", "ng", "st", "dt", "ql", "tl"}
# Lower-case words an address may hold besides names: unit words and their second halves ("thị trấn", "khu phố",
# "tổ dân phố", "quốc lộ", "tỉnh lộ"), written out or without diacritics.
_ADDRESS_WORDS = _OPENERS | {"tran", "pho", "dan", "lo", "quoc", "so", "thi", "thanh", "tinh", "huyen", "quan",
                             "phuong", "xa", "ap", "thon", "xom", "bis"}
_MAX_LOOSE = 2  # prose words an address may carry (OCR debris, "ngã ba")
_SEPARATOR = re.compile(r"[,;\n|–]|\s-\s|\.\s")
_MAX_SEGMENT = 8  # tokens: an address segment is a short name, never a clause
_MAX_WHOLE = 40  # tokens: a whole input this short made of short segments may be one address
_MAX_SINGLE = 12  # words: an input without separators this short may be one address


# --- where addresses are --------------------------------------------------------------------------------------------
def _segments(scan: _Scan, gaz: Gazetteer) -> list[tuple[int, int]]:
    """Token ranges split at commas, semicolons, line breaks, spaced dashes (not inside "Bà Rịa - Vũng Tàu") and
    full stops after a word or number ("Xã Suối Bàng. Vân Hồ", "Quốc lộ 1A. Xã"), not after an abbreviation
    ("T. Giang", "TP. Hồ Chí Minh", "Q. 1")."""
    starts = [s for s, _ in scan.spans]
    cuts: list[int] = []
    for m in _SEPARATOR.finditer(scan.text):
        k = bisect.bisect_left(starts, m.end())
        if not 0 < k < scan.n or (cuts and cuts[-1] == k) or scan.spans[k - 1][1] > m.start():
            continue
        prev = scan.folded[k - 1]
        abbreviation = prev.isalpha() and (len(prev) == 1 or (len(prev) <= 3 and prev in _ABBREVIATIONS))
        if m.group()[0] == "." and abbreviation and (
                k < 2 or scan.gap(k - 1) != "" or not scan.folded[k - 2].isdigit()):
            continue
        if "-" in m.group() and prev + scan.folded[k] in _province_bigrams(gaz):
            continue
        cuts.append(k)
    bounds = [0, *cuts, scan.n] if scan.n else []
    return list(itertools.pairwise(bounds))


def _words(scan: _Scan, a: int, b: int) -> int:
    """Size of a segment in words: house numbers ("41/25/7") count for nothing."""
    return sum(not scan.folded[k].isdigit() for k in range(a, b))


def _house_number(scan: _Scan, k: int, end: int) -> bool:
    """357, 357/28, 284DBis, 12A before a capitalised street name (or at the segment's end); "24 giờ" is not."""
    if not scan.folded[k].isdigit():
        return False
    j = k + 1
    while j < end and (scan.gap(j) == "" or (scan.gap(j) == "/" and scan.folded[j].isdigit())):
        j += 1
    return j == end or scan.words[j][0].isupper() or scan.folded[j] in _OPENERS


def _opens_address(scan: _Scan, i: int, end: int) -> bool:
    """Token i starts an address component: a unit or hamlet word before a name or number ("P1", "Xã Vũ Lễ",
    "thôn 3", "huyen thanh ba"), or a house number."""
    f = scan.folded[i]
    if f.isdigit():
        return _house_number(scan, i, end)
    if i + 1 >= end or f not in _OPENERS:
        return False
    nxt = scan.folded[i + 1]
    if f in _OPENER_BEFORE:
        return nxt in _OPENER_BEFORE[f]
    word = scan.words[i + 1]
    return nxt.isdigit() or word[0].isupper() or (f in _FULL_UNIT_WORDS and word.isascii())


@lru_cache(maxsize=1)
def _province_keys(gaz: Gazetteer) -> dict[str, tuple[Unit, str]]:
    """"hochiminh" -> (TP.HCM, tone key of "HồChíMinh"): province names folded and joined."""
    out = {}
    for unit in gaz.provinces_legacy.values():
        words = re.findall(r"\w+", short_name(unit.name))
        out["".join(fold(w) for w in words)] = (unit, tone_key("".join(words)))
    return out


@lru_cache(maxsize=1)
def _province_bigrams(gaz: Gazetteer) -> frozenset[str]:
    """Adjacent words of dashed province and district names, joined: such a dash is part of the name
    ("riavung" in Bà Rịa - Vũng Tàu, "rangthap" in Phan Rang - Tháp Chàm)."""
    names = {u.name for u in gaz.provinces_legacy.values()} | {
        u.name for aliases in gaz.districts.values() for a in aliases if (u := a.unit) is not None}
    out = set()
    for name in names:
        for left, right in re.findall(r"(\w+)\s*-\s*(\w+)", name):
            out.add(fold(left) + fold(right))
    return frozenset(out)


@lru_cache(maxsize=1)
def _province_firsts(gaz: Gazetteer) -> frozenset[str]:
    """Folded tokens a written province name can start with: its first word, or the whole name run together."""
    return frozenset({fold(short_name(u.name).split()[0]) for u in gaz.provinces_legacy.values()}
                     | set(_province_keys(gaz)))


def _province_named(scan: _Scan, k: int, limit: int, gaz: Gazetteer) -> tuple[Unit, int] | None:
    """A capitalised province name at token k, spaced or not, with its own diacritics or none ("Thai Binh",
    "HồChíMinh"; not "Diễn biến", "back an" or "hòa bình")."""
    if not scan.words[k][0].isupper() or scan.folded[k] not in _province_firsts(gaz):
        return None
    keys = _province_keys(gaz)
    joined = ""
    for end in range(k, min(k + 4, limit)):
        if end > k and scan.gap(end).strip(" .-") != "":
            break
        joined += scan.folded[end]
        if joined in keys:
            unit, accents = keys[joined]
            written = "".join(scan.words[k:end + 1])
            # OCR and typing slips in the marks ("Hồ Chí Mình") pass when every word is capitalised
            if written.isascii() or tone_key(written) == accents or all(
                    w[0].isupper() for w in scan.words[k:end + 1]):
                return unit, end + 1
    return None


def _written_province(scan: _Scan, k: int, limit: int, gaz: Gazetteer) -> tuple[Unit, int] | None:
    """(province, end token) written at token k, before token limit, in a form the scan leaves to addresses: its
    name with or without spaces ("Thái Bình", "HồChíMinh"), or by initial ("T.Giang")."""
    named = _province_named(scan, k, limit, gaz)
    if named is not None:
        return named
    if k + 1 >= limit or len(scan.folded[k]) != 1 or scan.gap(k + 1).strip() != ".":
        return None
    if _province_named(scan, k + 1, limit, gaz) is not None:
        return None  # "T.Ninh Bình": T. for tỉnh before the full name, not Tây Ninh
    if k + 2 < limit and scan.gap(k + 2).strip() == "" and scan.words[k + 2][0].isupper():
        return None  # "H.Yên Bình": H. for huyện before a longer name, not Hưng Yên
    unit = _province_initials(gaz).get((scan.folded[k], scan.folded[k + 1]))
    return (unit, k + 2) if unit is not None else None


def _province_at(scan: _Scan, seg: tuple[int, int], provinces: dict[int, int],
                 gaz: Gazetteer) -> tuple[int, int] | None:
    """Token range of the first province named in the segment (scanned, or written as _written_province reads),
    stretched over names that follow it at once ("Tp Hà Tĩnh Hà Tĩnh": city, then province)."""
    firsts = _province_firsts(gaz)

    def named_at(k: int) -> int | None:
        if k in provinces:
            return provinces[k]
        f = scan.folded[k]
        if (f in firsts or len(f) == 1) and (written := _written_province(scan, k, seg[1], gaz)) is not None:
            return written[1]
        return None

    for k in range(*seg):
        # "đường Hà Nội" is a street; "#BinhDuong" a hashtag, not an address line
        if (end := named_at(k)) is not None and not scan._street_before(k) and not scan.gap(k).endswith("#"):
            while end < seg[1] and (more := named_at(end)) is not None:
                end = more
            return k, end
    return None


def _loose_words(scan: _Scan, a: int, b: int) -> int:
    """Lower-case words in tokens [a, b) that are no unit, hamlet or street word: prose ("flooding", "chung cư")."""
    return sum(1 for k in range(a, b) if scan.words[k][0].islower() and scan.folded[k] not in _ADDRESS_WORDS)


def _component_start(scan: _Scan, seg: tuple[int, int], lower: dict[int, int], inner: list[int]) -> int | None:
    """First token of the segment that opens an address component: the segment's first token (unit word, house
    number), else a scanned district or ward or a house number inside it ("Nhà mình ở 357/28 Nguyễn Thị Thuật").
    inner: sorted token indexes that may be one (scanned districts and wards, numbers)."""
    a, b = seg
    if a in lower or _opens_address(scan, a, b):
        return a
    for i in range(bisect.bisect_right(inner, a), bisect.bisect_left(inner, b)):
        k = inner[i]
        if k in lower or (_house_number(scan, k, b) and not scan.folded[k - 1].isdigit()):
            return k
    return None


def _may_hold_address(scan: _Scan, provinces: dict[int, int], gaz: Gazetteer) -> bool:
    """Cheap test for prose: a separator, and a province the scan found or one written as addresses write it."""
    if scan.n > _MAX_SINGLE and not any(c in scan.text for c in ",;\n|-–."):
        return False
    if provinces:
        return True
    firsts = _province_firsts(gaz)
    return any((f in firsts and _province_named(scan, k, scan.n, gaz) is not None)
               or (len(f) == 1 and k + 1 < scan.n and scan.gap(k + 1).strip() == ".")
               for k, f in enumerate(scan.folded))


def _whole_address(scan: _Scan, found: list[tuple[Any, Unit]], provinces: dict[int, int], lower: dict[int, int],
                   inner: list[int], gaz: Gazetteer) -> tuple[int, int] | None:
    """The whole input as one address: at most 40 tokens of short segments ending with a province (then perhaps
    "Việt Nam" or a postal code), with an address component before it, or with one province named and three
    segments or few tokens; a single segment (no separators) of at most 12 words needs a component or capitals."""
    if scan.n > _MAX_WHOLE:
        return None
    tail = scan.n
    country = {k for m, u in found if u.kind == "country" and u.country == "VN" for k in range(m.start, m.end)}
    while tail > 0 and (tail - 1 in country or scan.folded[tail - 1].isdigit()):
        tail -= 1
    segs = [(a, min(b, tail)) for a, b in _segments(scan, gaz) if a < tail]
    if not segs or (len(segs) > 1 and any(_words(scan, a, b) > _MAX_SEGMENT for a, b in segs)):
        return None
    last = _province_at(scan, segs[-1], provinces, gaz)
    if last is None or last[1] != tail or _loose_words(scan, 0, tail) > _MAX_LOOSE:
        return None
    starts = [_component_start(scan, seg, lower, inner) for seg in segs]
    named = len({u.prov_legacy for m, u in found if u.kind == "vn_province"})
    if len(segs) == 1:
        # It must open like an address ("357/28 ... TP.HCM"), or be four or more capitalised words before the
        # province ("Nà Làng Phú Bình Chiêm Hoá Tuyên Quang"; "Nguyễn Bình Dương" is a name).
        a = last[0]
        capitals = _words(scan, 0, a) >= 4 and all(w[0].isupper() for w in scan.words[:a] if not w.isdigit())
        ok = named <= 1 and _words(scan, 0, tail) <= _MAX_SINGLE and (starts[0] == 0 or capitals)
        return (0, tail) if ok else None
    strong = sum(s is not None for s in starts[:-1])
    if (strong and (named <= 1 or strong >= 2 or starts[0] == 0)) or (named <= 1 and (
            len(segs) >= 3 or scan.n <= 16)):
        return 0, tail
    return None


def address_spans(scan: _Scan, found: list[tuple[Any, Unit]], gaz: Gazetteer) -> list[tuple[int, int]]:
    """Token ranges that read as one postal address: runs of short comma-separated segments that open like
    address components (unit words, house numbers, scanned districts or wards) and end with a segment opening
    with a province; a whole short input of short segments that ends with a province is one address as it
    stands ("Nà Làng Phú Bình, Chiêm Hoá, Tuyên Quang")."""
    vn = [(m, u) for m, u in found if u.country == "VN" and u.kind != "country"]
    provinces = {m.start: m.end for m, u in vn if u.kind == "vn_province"}
    if not _may_hold_address(scan, provinces, gaz):
        return []
    lower = {m.start: m.end for m, u in vn if u.kind in ("vn_district", "vn_ward")}
    inner = sorted({*lower, *(k for k, f in enumerate(scan.folded) if f.isdigit())})
    whole = _whole_address(scan, found, provinces, lower, inner, gaz)
    if whole is not None:
        return [whole]
    segs = _segments(scan, gaz)
    if len(segs) < 2:
        return []
    starts = [_component_start(scan, seg, lower, inner) for seg in segs]
    spans, run_start, strong = [], None, 0
    for (a, b), start in zip(segs, starts, strict=True):
        if run_start is None and start is None:
            continue  # prose: nothing opens here and no address is under way (the common case, kept cheap)
        province = _province_at(scan, (a, b), provinces, gaz)
        if province is not None and province[0] - a <= 2:  # the segment opens with a province: the address ends
            if run_start is not None and strong:
                spans.append((run_start, province[1]))
            run_start = None
        elif run_start is None:
            if start is not None and _words(scan, start, b) <= _MAX_SEGMENT and province is None and (
                    _loose_words(scan, start, b) <= _MAX_LOOSE):
                run_start, strong = start, 1
        elif _words(scan, a, b) > _MAX_SEGMENT or province is not None or (start is None and b - a > 4) or (
                _loose_words(scan, a, b) > _MAX_LOOSE):
            run_start = None  # a clause, not an address component
        else:
            strong += start is not None
    return spans


@lru_cache(maxsize=1)
def _province_initials(gaz: Gazetteer) -> dict[tuple[str, str], Unit]:
    """("t", "giang") -> Tiền Giang, for "T.Giang", "Đ.Tháp", "L.Đồng"; initials shared by two provinces
    ("H.Giang": Hà Giang, Hậu Giang) are left out."""
    seen: dict[tuple[str, str], list[Unit]] = {}
    for unit in gaz.provinces_legacy.values():
        words = [fold(w) for w in short_name(unit.name).split()]
        if len(words) == 2:
            seen.setdefault((words[0][0], words[1]), []).append(unit)
    return {k: v[0] for k, v in seen.items() if len(v) == 1}

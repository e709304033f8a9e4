"""Postal addresses in text ("357/28 Ng-T- Thuật, P1, Q3, TP.HCM", "Nà Làng Phú Bình, Chiêm Hoá, Tuyên Quang"),
resolved with vietnamadminunits' address parser.

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
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.gazetteer import Gazetteer, Unit, fold, short_name, standard_tones, tone_key

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
_WARD_WORDS = frozenset({"p", "f", "phuong", "ward"})
_SEPARATOR = re.compile(r"[,;\n|–]|\s-\s|\.\s")
_MAX_SEGMENT = 8  # tokens: an address segment is a short name, never a clause
_MAX_WHOLE = 40  # tokens: a whole input this short made of short segments may be one address
_MAX_SINGLE = 12  # words: an input without separators this short may be one address


@dataclass(frozen=True)
class Resolved:
    """A unit read from an address, with the token range (in the scan) it was written at."""

    unit: Unit
    start: int
    end: int


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


# --- reading one address ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _parser() -> Any:
    """vietnamadminunits' legacy (63-province) parser and its keyword tables, imported on the first address (its
    package pulls in geopy and shapely, about 0.7 s)."""
    from vietnamadminunits.parser import parser_legacy

    return parser_legacy


@lru_cache(maxsize=1)
def _districts_by_code(gaz: Gazetteer) -> dict[str, Unit]:
    return {u.code_legacy: u for aliases in gaz.districts.values() for a in aliases
            if (u := a.unit) is not None and u.code_legacy}


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


class _Span:
    """The span's folded tokens joined, to find where a keyword is written (token-aligned only)."""

    def __init__(self, scan: _Scan, start: int, end: int) -> None:
        self.scan, self.start, self.end = scan, start, end
        self.joined = ""
        self.token_at: dict[int, int] = {}  # char offset in joined -> token index starting there
        self.token_end: dict[int, int] = {}  # char offset in joined -> token index ending there (exclusive)
        for k in range(start, end):
            self.token_at[len(self.joined)] = k
            self.joined += scan.folded[k]
            self.token_end[len(self.joined)] = k + 1

    def locate(self, keywords: list[str], avoid: tuple[int, int] | None = None) -> tuple[int, int] | None:
        """Token range of the right-most keyword written whole, not overlapping avoid."""
        best: tuple[int, int] | None = None
        for kw in keywords:
            pos = self.joined.rfind(kw)
            while pos != -1:
                a, b = self.token_at.get(pos), self.token_end.get(pos + len(kw))
                if a is not None and b is not None and (avoid is None or b <= avoid[0] or a >= avoid[1]):
                    if best is None or b > best[1]:
                        best = (a, b)
                    break
                pos = self.joined.rfind(kw, 0, pos)
        return best


def _parser_input(scan: _Scan, start: int, end: int, found: list[tuple[Any, Unit]], gaz: Gazetteer) -> tuple[
        str, Resolved | None]:
    """The span's text for the parser, with the province written out in full where the scan or an initial form
    ("T.Giang") names it: the parser knows "hcm" but not "Sài Gòn", "HN" or "T.Giang"."""
    province: Resolved | None = None
    for m, u in found:
        if start <= m.start < end and u.kind == "vn_province":
            province = Resolved(u, m.start, m.end)
    for k in range(start, end):  # a later written form wins: the province is written last
        written = _written_province(scan, k, end, gaz)
        if written is not None and (province is None or province.start < k):
            province = Resolved(written[0], k, written[1])
    # Segments joined by commas: the parser strips spaces and dashes, so "Liên Hà - ĐôngAnh" would read "Hà Đông".
    parts = []
    for a, b in _segments(scan, gaz):
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        if province is not None and a <= province.start < b:
            parts.append(scan.text[scan.spans[a][0]:scan.spans[province.start][0]] + " " + province.unit.name)
        elif province is not None and a < province.end <= b:
            parts[-1] += scan.text[scan.spans[province.end - 1][1]:scan.spans[b - 1][1]]
        elif province is None or not province.start < a < province.end:
            parts.append(scan.text[scan.spans[a][0]:scan.spans[b - 1][1]])
    return standard_tones(", ".join(parts)), province


def read_address(scan: _Scan, start: int, end: int, found: list[tuple[Any, Unit]],
                 gaz: Gazetteer) -> list[Resolved] | None:
    """Province, district and ward of the address at tokens [start, end), each found written in the span; None
    when the parser finds no province there."""
    parser = _parser()
    text, scanned_province = _parser_input(scan, start, end, found, gaz)
    # Level 2 (province, district): its ward search compiles one pattern per district, more than re's cache holds
    # for addresses from all over the country (about 300 addresses/s); wards are read from the scan's names instead.
    try:
        parsed = parser.parse_address_legacy(text, keep_street=False, level=2)
    except (KeyError, ValueError, IndexError, re.error):  # a third-party parser's fault: the scan's places stand
        return None
    if not parsed.province_code:
        return None
    span = _Span(scan, start, end)
    province = gaz.provinces_legacy[parsed.province_code]
    if scanned_province is not None and scanned_province.unit.prov_legacy == province.prov_legacy:
        province_at: Resolved | None = scanned_province
    else:
        at = span.locate(parser.DICT_PROVINCE[parsed.province_key]["provinceKeywords"])
        province_at = Resolved(province, *at) if at is not None else None
    out = [province_at] if province_at is not None else []
    district = _districts_by_code(gaz).get(parsed.district_code or "")
    if district is not None:
        keys = parser.DICT_PROVINCE_DISTRICT[parsed.province_key][parsed.district_key]["districtKeywords"]
        divided = parser.DICT_PROVINCE_DISTRICT_DIVIDED.get(parsed.province_key, {})
        keys = [*keys, *(k for d in divided.values() if parsed.district_key in d["districts"]
                         for k in d["dividedDistrictKeywords"])]
        # not on the province's own words ("Điện Biên Phủ, Điện Biên": the city is the first)
        avoid = (province_at.start, province_at.end) if province_at is not None else None
        district_at = span.locate(sorted(set(keys), key=len, reverse=True), avoid)
        if district_at is not None:
            district = _named_as_written(scan, district_at, district, gaz)
            out.append(Resolved(district, *district_at))
            ward_at = _ward_before(scan, start, district_at[0], _wards_of(gaz).get(district.code_legacy or "", {}))
            if ward_at is not None:
                out.append(ward_at)
    if province_at is None and len(out) < 1:
        return None  # neither the province nor a district of it is written: a chance substring
    return out


def _named_as_written(scan: _Scan, at: tuple[int, int], district: Unit, gaz: Gazetteer) -> Unit:
    """The district of the parser's province whose own name is the one written, where the parser chose another:
    for a district divided before 2025 it picks the default successor ("Lục Ngạn" -> Thị xã Chũ) though the
    legacy table still holds Huyện Lục Ngạn."""
    key = "".join(scan.folded[at[0]:at[1]])
    named = [u for a in gaz.districts.get(key, ()) if (u := a.unit) is not None and a.accents is not None
             and u.prov_legacy == district.prov_legacy and fold(short_name(u.name)).replace(" ", "") == key]
    return district if district in named or len(named) != 1 else named[0]


def _ward_before(scan: _Scan, start: int, limit: int, names: dict[str, list[Unit]]) -> Resolved | None:
    """The ward of the address's district written last before the district (names as the scan knows them, no
    former numbers; a number needs a unit word before it: "P1", "phường 01", not a house number)."""
    best: Resolved | None = None
    for a in range(start, limit):
        joined = ""
        for b in range(a, min(a + 6, limit)):
            if b > a and not scan._in_name(b):
                break
            joined += scan.folded[b]
            units = names.get(joined)
            if not units or (joined.isdigit() and (a == start or scan.folded[a - 1] not in _WARD_WORDS)):
                continue
            if best is None or b + 1 > best.end or (b + 1 == best.end and a < best.start):
                best = Resolved(units[0], a, b + 1)
    return best


@lru_cache(maxsize=1)
def _wards_of(gaz: Gazetteer) -> dict[str, dict[str, list[Unit]]]:
    """Legacy district code -> the scan's ward keys ("bennghe", "1") -> its wards."""
    out: dict[str, dict[str, list[Unit]]] = {}
    for key, aliases in gaz.wards.items():
        for alias in aliases:
            if alias.unit is not None and alias.unit.district_legacy:
                out.setdefault(alias.unit.district_legacy, {}).setdefault(key, []).append(alias.unit)
    return out


def reconcile(scan: _Scan, found: list[tuple[Any, Unit]], start: int, end: int, read: list[Resolved],
              make_match: Any, gaz: Gazetteer) -> list[tuple[Any, Unit]]:
    """The scan's units with those of the address span replaced by the parser's reading where they disagree:
    provinces other than the address's province, districts other than its district, wards outside them.
    A name the scan read with its own unit word stays what that word says: in "xã Buôn Đôn, Đắk Lắk" the parser's
    Huyện Buôn Đôn, written inside the scan's "xã Buôn Đôn", is dropped (with the ward it read inside that
    district); in "TP Hòa Bình" the city stays, not the province."""
    # A scanned name running over a segment break ("H. Văn Quan. Lạng Sơn" read as "Quan. Lạng Sơn") is no unit
    # of this address.
    cuts = {a for a, _ in _segments(scan, gaz)}
    found = [(m, u) for m, u in found if not (start <= m.start < end and any(m.start < k < m.end for k in cuts))]
    scanned = [(m.start, m.end, u) for m, u in found if start <= m.start < end and u.country == "VN"]
    inside = [r for r in read if r.unit.kind != "vn_ward" and any(
        a <= r.start and r.end <= b and (a, b) != (r.start, r.end) and u != r.unit for a, b, u in scanned)]
    if any(r.unit.kind == "vn_district" for r in inside):
        inside += [r for r in read if r.unit.kind == "vn_ward"]
    read = [r for r in read if r not in inside]
    if not read:
        return found
    province = next((r.unit for r in read if r.unit.kind == "vn_province"), None)
    prov_legacy = province.prov_legacy if province else next(r.unit.prov_legacy for r in read)
    prov_2025 = province.prov_2025 if province else next(r.unit.prov_2025 for r in read)
    district = next((r.unit for r in read if r.unit.kind == "vn_district"), None)
    ward = next((r.unit for r in read if r.unit.kind == "vn_ward"), None)

    def agrees(u: Unit) -> bool:
        if u.kind == "vn_province":
            return u.prov_legacy == prov_legacy or (u.code_legacy is None and u.prov_2025 == prov_2025)
        if u.kind == "vn_district":
            return (district is None and u.prov_legacy == prov_legacy) or u == district
        if u.kind == "vn_ward":
            if u.code_legacy is None or u.district_legacy is None:  # a 2025 ward: same 2025 province
                return u.prov_2025 == prov_2025
            return u.district_legacy == district.district_legacy if district else u.prov_legacy == prov_legacy
        return True

    # Inside a Vietnamese address a world name is a street or hamlet ("Tây An" is not Xi'an).
    # A scanned unit written over the tokens of the address's district or province is part of that name ("T.P Phan
    # Rang - Tháp Chàm" is the city, not Phường Phan Rang).
    taken = [(r.start, r.end, r.unit) for r in read if r.unit.kind != "vn_ward"]

    def overlaps(m: Any, u: Unit) -> bool:
        return any(u != unit and m.start < b and a < m.end for a, b, unit in taken)

    kept = [(m, u) for m, u in found if not (start <= m.start < end) or (
        u.country == "VN" and agrees(u) and not overlaps(m, u))]
    have = {u for m, u in kept if start <= m.start < end}
    has_ward = any(u.kind == "vn_ward" for u in have)
    for r in read:
        if r.unit not in have and not (r.unit is ward and has_ward):
            kept.append((make_match(r.start, r.end, r.unit), r.unit))
    kept.sort(key=lambda mu: mu[0].start)
    return kept

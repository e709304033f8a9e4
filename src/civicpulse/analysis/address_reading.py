"""Reading one address span found by civicpulse.analysis.addresses with vietnamadminunits' parser, and folding
that reading into the scan's places. See docs/places.md, "Addresses"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.addresses import _segments, _written_province
from civicpulse.analysis.gazetteer import Gazetteer, Unit, fold, short_name, standard_tones

if TYPE_CHECKING:
    from civicpulse.analysis.places import _Scan

_WARD_WORDS = frozenset({"p", "f", "phuong", "ward"})


@dataclass(frozen=True)
class Resolved:
    """A unit read from an address, with the token range (in the scan) it was written at."""

    unit: Unit
    start: int
    end: int


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

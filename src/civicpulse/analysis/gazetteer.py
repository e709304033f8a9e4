"""The gazetteer behind civicpulse.analysis.places: what can be recognised and how it resolves.

Vietnamese administrative units come from the vietnamadminunits package (MIT): its SQLite dataset holds the 63
provinces / districts / wards in force until mid-2025 ("legacy") and the 34 provinces / wards in force since the
2025 reorganisation, with codes and centroids, and its converter table maps every legacy ward to its 2025 ward.
World countries and cities are project-written lists (resources/places/*.tsv) with GeoNames coordinates.
Everything is built in memory on first use (about half a second) and shared by the whole process.

Matching works on folded tokens (lower case, no diacritics, "đ" -> "d"); each alias keeps its diacritics per
token so that text written with diacritics must agree with them ("đa năng" is not "Đà Nẵng").
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sqlite3
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent / "resources" / "places"
WORD = re.compile(r"[^\W\d_]+|\d+")
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook above, dot below
_TYPES = ("thành phố", "thị xã", "thị trấn", "đặc khu", "tỉnh", "quận", "huyện", "phường", "xã")
_LEAF = ""  # trie key holding the aliases that end at a node (never a token)


def _fold_table() -> dict[int, str]:
    table = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if base and base != chr(cp):
            table[cp] = base
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without diacritics; digit runs lose leading zeros so "Q.01" and "Q1" agree."""
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text.translate(_FOLD).lower()


@lru_cache(maxsize=1 << 16)
def tone_key(word: str) -> str:
    """Lower-case word with its tone mark moved to the end, so "hoà" (old tone placement) equals "hòa"."""
    nfd = unicodedata.normalize("NFD", word.lower())
    tones = "".join(c for c in nfd if c in _TONES)
    return unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES)) + tones


# Open syllables ending in oa / oe / uy carry the tone on the first vowel in the dataset's spelling ("Hòa", "Thủy");
# the old placement puts it on the last one ("Hoà", "Thuỷ"). "qu" + y keeps it on y ("Quý"; "Qúy" is a misspelling).
_OLD_PLACEMENT = re.compile(r"(?i)(?<![^\W\d_])(?P<head>[^\W\d_]*?)(?P<pair>o[ae]|uy)(?P<mark>[\u0300\u0301\u0303"
                            r"\u0309\u0323])(?![^\W\d_]|[\u0300-\u036f])")
_QU_MISPLACED = re.compile(r"(?i)(?<![^\W\d_])(?P<q>q)(?P<u>u)(?P<mark>[\u0300\u0301\u0303\u0309\u0323])(?P<y>y)"
                           r"(?![^\W\d_])")


def standard_tones(text: str) -> str:
    """NFC text with tone marks placed as in vietnamadminunits' names: "Hoá" -> "Hóa", "Thuỷ" -> "Thủy",
    "Qúy" -> "Quý". Only word-final oa / oe / uy pairs move; "hoàng", "quyết" are left alone."""
    nfd = unicodedata.normalize("NFD", text)
    if not any(c in _TONES for c in nfd):
        return unicodedata.normalize("NFC", text)

    def first_vowel(m: re.Match[str]) -> str:
        head, pair = m["head"], m["pair"]
        if head.lower().endswith("q") and pair[0] in "uU":
            return m.group()  # "quý": the tone belongs on y
        return head + pair[0] + m["mark"] + pair[1]

    nfd = _OLD_PLACEMENT.sub(first_vowel, nfd)
    nfd = _QU_MISPLACED.sub(lambda m: m["q"] + m["u"] + m["y"] + m["mark"], nfd)
    return unicodedata.normalize("NFC", nfd)


def short_name(name: str) -> str:
    """"Thành phố Hồ Chí Minh" -> "Hồ Chí Minh", "Phường 1" -> "1" (the name without its unit type)."""
    low = name.lower()
    for prefix in _TYPES:
        if low.startswith(prefix + " "):
            return name[len(prefix) + 1:]
    return name


def unit_type(name: str) -> str:
    low = name.lower()
    return next((p for p in _TYPES if low.startswith(p + " ")), "")


@dataclass(frozen=True, slots=True)
class Unit:
    """A recognisable place; Place (places.py) adds where it was matched."""

    kind: str
    name: str
    country: str
    lat: float | None
    lon: float | None
    code_2025: str | None = None
    name_2025: str | None = None
    province_2025: str | None = None
    code_legacy: str | None = None
    name_legacy: str | None = None
    province_legacy: str | None = None
    # Resolution context (not exported): which provinces/district contain the unit, and its type word.
    prov_legacy: str | None = None
    prov_2025: str | None = None
    district_legacy: str | None = None
    type: str = ""


@dataclass(frozen=True, slots=True)
class Alias:
    """One written form of a unit. unit None marks a stop phrase (consumed, never reported)."""

    unit: Unit | None
    policy: str  # "" any case, "^", "@", "@^", "!"; see resources/places/aliases.tsv
    accents: tuple[str, ...] | None  # tone_key per token; None when token boundaries are unknown (former names)


def alias_tokens(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    words = WORD.findall(text)
    return tuple(fold(w) for w in words), tuple(tone_key(w) for w in words)


def parse_policy(raw: str) -> tuple[str, str]:
    """"@^Vinh" -> ("Vinh", "@^"): the written alias and its policy prefix."""
    policy = ""
    while raw[:1] in ("^", "@", "!"):
        policy, raw = policy + raw[0], raw[1:]
    return raw.strip(), policy


class Gazetteer:
    """Indexes: `names` (token trie scanned everywhere), `wards` / `districts` (joined folded keys, looked up
    after a unit marker such as "phường" or "Q."), plus unit lists for coordinate look-ups."""

    def __init__(self) -> None:
        self.names: dict = {}
        self.wards: dict[str, list[Alias]] = defaultdict(list)
        self.districts: dict[str, list[Alias]] = defaultdict(list)
        self.countries: dict[str, Unit] = {}
        self.provinces_legacy: dict[str, Unit] = {}  # legacy province code -> unit
        self.provinces_2025: dict[str, Unit] = {}  # 2025 province code -> unit with 2025 centroid
        self.wards_2025: list[Unit] = []  # every 2025 ward, for coordinates
        self.wards_legacy: list[Unit] = []  # every legacy ward, for coordinates
        _VietnamBuilder(self).build()
        self._load_world()
        self._load_aliases()
        self.first_tokens: frozenset[str] = frozenset(k for k in self.names if k != _LEAF)  # cheap pre-check
        self._points: tuple[Any, Any] | None = None

    def nearest_wards(self, lat: float, lon: float) -> tuple[float, Unit, Unit] | None:
        """(km to the nearest pre-2025 ward centre, nearest 2025 ward, nearest pre-2025 ward) by centroid, or None
        when no ward centre lies within 60 km (outside Vietnam)."""
        import numpy as np

        if self._points is None:
            self._points = tuple(np.array([(u.lat, u.lon) for u in units], dtype=np.float64)
                                 for units in (self.wards_2025, self.wards_legacy))
        scale = math.cos(math.radians(lat))  # equirectangular distances are exact enough at this scale
        new, old = (units[int((((pts[:, 0] - lat) ** 2) + ((pts[:, 1] - lon) * scale) ** 2).argmin())]
                    for pts, units in zip(self._points, (self.wards_2025, self.wards_legacy), strict=True))
        km = distance_km(lat, lon, old.lat or 0.0, old.lon or 0.0)
        return (km, new, old) if km <= 60 else None

    # --- index helpers ----------------------------------------------------------------------------------------
    def add_name(self, unit: Unit | None, written: str, policy: str = "") -> None:
        folded, accents = alias_tokens(written)
        if not folded:
            return
        node = self.names
        for token in folded:
            node = node.setdefault(token, {})
        node.setdefault(_LEAF, []).append(Alias(unit, policy, accents))

    def add_unit_key(self, index: dict[str, list[Alias]], unit: Unit, written: str, joined_only: bool = False) -> None:
        folded, accents = alias_tokens(written)
        if folded:
            index["".join(folded)].append(Alias(unit, "", None if joined_only else accents))

    # --- world -------------------------------------------------------------------------------------------------
    def _load_world(self) -> None:
        for cols in _rows("countries.tsv"):
            code, name, aliases, lat, lon = cols
            unit = Unit("country", name, code, float(lat), float(lon))
            self.countries[code] = unit
            for raw in aliases.split("|"):
                self.add_name(unit, *parse_policy(raw))
        for cols in _rows("cities.tsv"):
            name, code, _gn, _admin1, aliases, lat, lon = cols
            unit = Unit("city", name, code, float(lat), float(lon))
            for raw in aliases.split("|"):
                self.add_name(unit, *parse_policy(raw))

    # --- project-written Vietnamese aliases, famous districts and stop phrases --------------------------------
    def _load_aliases(self) -> None:
        districts = {(u.prov_legacy, fold(short_name(u.name))): u for aliases in self.districts.values()
                     for a in aliases if (u := a.unit) is not None}
        listed: set[str] = set()
        for cols in _rows("aliases.tsv"):
            target, policy, extra = [*cols, "", ""][:3]
            unit: Unit | None = None
            if target.startswith("P:"):
                unit = self.provinces_legacy[target[2:]]
                listed.add(target[2:])
                self.add_name(unit, short_name(unit.name), policy)
            elif target.startswith("D:"):
                _, prov, name = target.split(":", 2)
                unit = districts.get((prov, fold(name)))
                if unit is None:
                    raise LookupError(f"aliases.tsv: no district {name!r} in province {prov}")
                self.add_name(unit, name, policy)
            for raw in filter(None, extra.split("|")):
                self.add_name(unit, *parse_policy(raw))
        for code, unit in self.provinces_legacy.items():
            if code not in listed:
                self.add_name(unit, short_name(unit.name), "^")


def _rows(filename: str) -> list[list[str]]:
    lines = (RESOURCES / filename).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def adminunits_data() -> Path:
    """The data folder of the vietnamadminunits package (its SQLite dataset and converter table)."""
    # Located, not imported: the package's __init__ loads geopy/shapely parsers we do not need.
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("vietnamadminunits is required for Vietnamese places (pip install vietnamadminunits)")
    return Path(spec.origin).resolve().parent / "data"


def query_adminunits(sql: str, data: Path | None = None) -> list[sqlite3.Row]:
    """Rows of vietnamadminunits' dataset, opened read-only."""
    conn = sqlite3.connect(f"file:{(data or adminunits_data()) / 'dataset.db'}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class _VietnamBuilder:
    """Reads vietnamadminunits' dataset and converter table into Units (provinces, districts, wards)."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.data = adminunits_data()

    def _query(self, sql: str) -> list[sqlite3.Row]:
        return query_adminunits(sql, self.data)

    def build(self) -> None:
        new_rows = self._query("SELECT province, ward, provinceCode, provinceLat, provinceLon, wardCode, wardLat, "
                               "wardLon, provinceKey, wardKey FROM admin_units")
        old_rows = self._query("SELECT province, district, ward, provinceCode, provinceLat, provinceLon, districtCode,"
                               " districtLat, districtLon, wardCode, wardLat, wardLon, provinceKey, districtKey, "
                               "wardKey, districtAlias, wardAlias FROM admin_units_legacy")
        conv = json.loads((self.data / "converter_2025.json").read_text(encoding="utf-8"))
        new_prov = {r["provinceKey"]: r for r in new_rows}
        new_ward = {(r["provinceKey"], r["wardKey"]): r for r in new_rows}
        prov_to_new = {old: new for new, olds in conv["DICT_PROVINCE"].items() for old in olds}
        # legacy "province_district_ward" key -> (new province key, new ward key); divided wards use the default.
        ward_to_new: dict[str, tuple[str, str]] = {}
        sources: dict[tuple[str, str], list[str]] = defaultdict(list)
        split_into: set[tuple[str, str]] = set()
        for np_, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for nw, olds in wards.items():
                for old in olds:
                    ward_to_new[old] = (np_, nw)
                    sources[(np_, nw)].append(old)
        for np_, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
            for old, options in olds.items():
                split_into.update((np_, o["newWardKey"]) for o in options)
                default = next((o for o in options if o["isDefaultNewWard"]), options[0])
                ward_to_new[old] = (np_, default["newWardKey"])

        def new_of(r: sqlite3.Row) -> sqlite3.Row:
            return new_ward[ward_to_new[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"]]

        # Provinces: every 2025 province keeps the name of one legacy province, so legacy units carry both.
        old_prov_rows = {r["provinceCode"]: r for r in old_rows}
        for code, r in old_prov_rows.items():
            n = new_prov[prov_to_new[r["provinceKey"]]]
            unit = Unit("vn_province", r["province"], "VN", r["provinceLat"], r["provinceLon"],
                        code_2025=n["provinceCode"], name_2025=n["province"], province_2025=n["province"],
                        code_legacy=code, name_legacy=r["province"], province_legacy=r["province"],
                        prov_legacy=code, prov_2025=n["provinceCode"], type=unit_type(r["province"]))
            self.gaz.provinces_legacy[code] = unit
            if fold(n["province"]) == fold(r["province"]):
                self.gaz.provinces_2025[n["provinceCode"]] = Unit(
                    "vn_province", n["province"], "VN", n["provinceLat"], n["provinceLon"],
                    code_2025=n["provinceCode"], name_2025=n["province"], province_2025=n["province"],
                    prov_2025=n["provinceCode"], type=unit_type(n["province"]))
        missing = {r["provinceCode"] for r in new_rows} - set(self.gaz.provinces_2025)
        if missing:
            raise LookupError(f"2025 provinces without a legacy namesake: {sorted(missing)}")

        by_district: dict[str, list[sqlite3.Row]] = defaultdict(list)
        legacy_keys: dict[str, sqlite3.Row] = {}
        for r in old_rows:
            by_district[r["districtCode"]].append(r)
            legacy_keys[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"] = r
        for code, rows in by_district.items():
            self._district(code, rows, new_of)
        for r in old_rows:
            if r["ward"]:
                n = new_of(r)
                unit = Unit("vn_ward", r["ward"], "VN", r["wardLat"], r["wardLon"], code_2025=n["wardCode"],
                            name_2025=n["ward"], province_2025=n["province"], code_legacy=r["wardCode"],
                            name_legacy=r["ward"], province_legacy=r["province"], prov_legacy=r["provinceCode"],
                            prov_2025=n["provinceCode"], district_legacy=r["districtCode"], type=unit_type(r["ward"]))
                self.gaz.wards_legacy.append(unit)
                self.gaz.add_unit_key(self.gaz.wards, unit, short_name(r["ward"]))
                for alias in _short_aliases(r["wardAlias"], numbered=False):
                    self.gaz.add_unit_key(self.gaz.wards, unit, alias, joined_only=True)
        for key, n in new_ward.items():
            olds = [legacy_keys[k] for k in sources.get(key, [])]
            one = olds[0] if len(olds) == 1 and key not in split_into else None
            unit = Unit("vn_ward", n["ward"], "VN", n["wardLat"], n["wardLon"], code_2025=n["wardCode"],
                        name_2025=n["ward"], province_2025=n["province"],
                        code_legacy=one["wardCode"] if one else None, name_legacy=one["ward"] if one else None,
                        province_legacy=one["province"] if one else None,
                        prov_legacy=one["provinceCode"] if one else None, prov_2025=n["provinceCode"],
                        type=unit_type(n["ward"]))
            self.gaz.wards_2025.append(unit)
            same_name = [o for o in olds if o["ward"] and fold(short_name(o["ward"])) == fold(short_name(n["ward"]))]
            if not same_name:  # otherwise the legacy ward of that name already stands for both
                self.gaz.add_unit_key(self.gaz.wards, unit, short_name(n["ward"]))

    def _district(self, code: str, rows: list[sqlite3.Row], new_of) -> None:
        r = rows[0]
        targets = {new_of(x)["wardCode"]: new_of(x) for x in rows}
        # A district split over several 2025 wards maps to the ward that took its name, else the one nearest its
        # centroid; the 2025 province is exact either way.
        named = [t for t in targets.values() if fold(short_name(t["ward"])) == fold(short_name(r["district"]))]
        succ = named[0] if named else min(targets.values(), key=lambda t: distance_km(
            r["districtLat"], r["districtLon"], t["wardLat"], t["wardLon"]))
        unit = Unit("vn_district", r["district"], "VN", r["districtLat"], r["districtLon"], code_2025=succ["wardCode"],
                    name_2025=succ["ward"], province_2025=succ["province"], code_legacy=code, name_legacy=r["district"],
                    province_legacy=r["province"], prov_legacy=r["provinceCode"], prov_2025=succ["provinceCode"],
                    district_legacy=code, type=unit_type(r["district"]))
        self.gaz.add_unit_key(self.gaz.districts, unit, short_name(r["district"]))
        for alias in _short_aliases(r["districtAlias"]):
            self.gaz.add_unit_key(self.gaz.districts, unit, alias, joined_only=True)


_ALIAS_PREFIXES = ("thanhpho", "district", "thitran", "phuong", "thixa", "huyen", "quan", "xa", "tp", "tx", "q")
_LONG_PREFIXES = frozenset({"thanhpho", "district", "thitran", "phuong", "thixa", "huyen"})


def _short_aliases(raw: str | None, numbered: bool = True) -> list[str]:
    """Former names from vietnamadminunits, folded without spaces ("quan2", "q2", "huyenkyson", "kyson"): the
    forms without a type word, as looked up after a marker ("quận 2" -> "2", "huyện Kỳ Sơn" -> "kyson").
    Short prefixes are only stripped before digits: "quanguyen" is Quảng Uyên, not "quận Guyen".
    numbered=False leaves out former numbers: wards merged before 2025 lent their numbers to the ward that absorbed
    them ("phuong3" is listed for Phường 2 of Mỹ Tho), so "P3" would be reported as another, live number."""
    if not raw:
        return []
    out: set[str] = set()
    for a in json.loads(raw):
        if not numbered and any(c.isdigit() for c in a):
            continue  # "phuong3", "p3", "f03", "ward3" alike
        prefix = next((p for p in _ALIAS_PREFIXES if a.startswith(p) and len(a) > len(p)), "")
        rest = a[len(prefix):]
        if prefix and rest.isdigit():
            out.add(rest.lstrip("0") or "0")
        elif prefix in _LONG_PREFIXES:
            out.add(rest)
        elif not prefix:
            out.add(a)
    return sorted(out)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    h = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    return Gazetteer()

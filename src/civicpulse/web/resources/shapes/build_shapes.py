"""Builds the approximate Vietnam province shapes shipped next to this script (see docs/map.md).

    .venv/bin/python src/civicpulse/web/resources/shapes/build_shapes.py [--out DIR]

No polygon data ships with any installed package, so the shapes are derived from the ward centres in the
vietnamadminunits dataset (MIT): a Voronoi cell around every pre-2025 ward centre, cells dissolved per province and
clipped to an outline of the country made of discs around the ward centres. The 34 provinces of 2025 are whole
mergers of the 63 pre-2025 ones, so they are dissolved from the pre-2025 shapes and both maps share their borders.
The output depends only on the dataset and the shapely/GEOS version: same inputs, same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon, mapping

from civicpulse.analysis.gazetteer import adminunits_data, query_adminunits

HERE = Path(__file__).resolve().parent
FILES = {"2025": "vn-provinces-2025.geojson", "legacy": "vn-provinces-legacy.geojson"}
KX = math.cos(math.radians(16))  # x = lon * KX makes degrees roughly isotropic, so discs and cells are round
KM = 1 / 111.2  # degrees of latitude per km
MISPLACED_KM = 300  # a pre-2025 ward this far from its 2025 successor has a placeholder centre
NEIGHBOURS = 8  # a centre none of whose nearest centres share its province is taken as mis-geocoded
DISC_KM = (1.0, 12.0)  # bounds on the disc drawn around each centre for the national outline
ISLAND_KM = (20.0, 4.0)  # a centre this far from any other is an island: its disc is at least this wide
CLOSE_KM = 6.0  # closing radius that fills the gaps between the discs
SIMPLIFY_DEG = 0.008  # about 900 m: well below what a national map shows, keeps each file small
GRID_DEG = 0.001  # coordinates are rounded to about 110 m
MIN_PART_KM2 = 1.0  # slivers left by the clip below this area are dropped


@dataclass(frozen=True, slots=True)
class Seed:
    province_code: str  # pre-2025 province
    x: float  # lon * KX
    y: float  # lat
    radius_km: float  # the ward's size as the radius of a disc; 0 when unknown


def _rows(data: Path, sql: str) -> list[sqlite3.Row]:
    return query_adminunits(sql, data)


def _bbox_radius_km(bounds: str | None, lat: float) -> float:
    """"lat1,lon1 – lat2,lon2" -> half the geometric mean of the box's sides in km (0 when absent)."""
    if not bounds:
        return 0.0
    (lat1, lon1), (lat2, lon2) = (map(float, corner.split(",")) for corner in bounds.split("–"))
    height = abs(lat2 - lat1) / KM
    width = abs(lon2 - lon1) * math.cos(math.radians(lat)) / KM
    return math.sqrt(height * width) / 2


@dataclass(frozen=True, slots=True)
class Inputs:
    seeds: list[Seed]
    legacy: dict[str, dict[str, Any]]  # pre-2025 province code -> feature properties (with its 2025 code)
    current: dict[str, dict[str, Any]]  # 2025 province code -> feature properties


def load_inputs(data: Path) -> Inputs:
    """Pre-2025 ward centres (ward-less island districts and placeholder centres take their 2025 successor's
    centre and size) and the provinces of both eras, named exactly as civicpulse.analysis.places names them."""
    new = _rows(data, "SELECT province, provinceCode, provinceLat, provinceLon, provinceKey, wardKey, wardLat, wardLon,"
                      " wardAreaKm2 FROM admin_units ORDER BY provinceCode, wardCode")
    old = _rows(data, "SELECT province, provinceCode, provinceLat, provinceLon, provinceKey, districtKey, wardKey, "
                      "wardLat, wardLon, wardBounds FROM admin_units_legacy "
                      "ORDER BY provinceCode, districtCode, wardCode")
    conv = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    new_ward = {(r["provinceKey"], r["wardKey"]): r for r in new}
    successor: dict[str, tuple[str, str]] = {}
    for prov, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            successor.update((o, (prov, ward)) for o in olds)
    for prov, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for o, options in olds.items():
            successor[o] = (prov, next((x for x in options if x["isDefaultNewWard"]), options[0])["newWardKey"])
    new_code = {r["provinceKey"]: r["provinceCode"] for r in new}
    code_2025 = {old_key: new_code[new_key] for new_key, olds in conv["DICT_PROVINCE"].items() for old_key in olds}

    current = {r["provinceCode"]: _props(r) for r in new}
    legacy = {r["provinceCode"]: {**_props(r), "code_2025": code_2025[r["provinceKey"]]} for r in old}
    seeds = []
    for r in old:
        succ = new_ward[successor[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"]]
        lat, lon, radius = r["wardLat"], r["wardLon"], _bbox_radius_km(r["wardBounds"], r["wardLat"] or 0)
        if lat is None or _km(lat, lon, succ["wardLat"], succ["wardLon"]) > MISPLACED_KM:
            lat, lon, radius = succ["wardLat"], succ["wardLon"], math.sqrt((succ["wardAreaKm2"] or 0) / math.pi)
        seeds.append(Seed(r["provinceCode"], lon * KX, lat, radius))
    return Inputs(seeds, legacy, current)


def _props(row: sqlite3.Row) -> dict[str, Any]:
    return {"code": row["provinceCode"], "name": row["province"], "lat": row["provinceLat"], "lon": row["provinceLon"]}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return math.hypot(lat2 - lat1, (lon2 - lon1) * math.cos(math.radians(lat1))) / KM


def clean_seeds(seeds: list[Seed]) -> list[Seed]:
    """One seed per distinct centre (first by code order) and no mis-geocoded strays: a centre whose nearest
    centres all belong to other provinces would otherwise become an exclave far from its province."""
    first: dict[tuple[float, float], Seed] = {}
    for s in seeds:
        first.setdefault((round(s.x, 6), round(s.y, 6)), s)
    unique = list(first.values())
    dist, near = cKDTree(np.array([(s.x, s.y) for s in unique])).query([(s.x, s.y) for s in unique], k=NEIGHBOURS + 1)
    keep = []
    for s, gaps, idx in zip(unique, dist, near, strict=True):
        island = gaps[1] / KM > ISLAND_KM[0]
        if island or any(unique[j].province_code == s.province_code for j in idx[1:]):
            keep.append(s)
    return keep


def national_outline(seeds: list[Seed]) -> shapely.Geometry:
    """Discs around every centre (ward-sized, or half the distance to the nearest centre when the ward's size is
    unknown), closed so that neighbouring discs merge; islands stay separate polygons, drawn large enough to see."""
    points = np.array([(s.x, s.y) for s in seeds])
    gaps, _ = cKDTree(points).query(points, k=2)
    radii = []
    for s, (_, gap) in zip(seeds, gaps, strict=True):
        km = min(max(s.radius_km or gap / KM / 2, DISC_KM[0]), DISC_KM[1])
        radii.append((max(km, ISLAND_KM[1]) if gap / KM > ISLAND_KM[0] else km) * KM)
    discs = shapely.buffer(shapely.points(points), radii, quad_segs=4)
    close = CLOSE_KM * KM
    merged = shapely.union_all(discs).buffer(close, quad_segs=4).buffer(-close, quad_segs=4)
    return shapely.union_all([Polygon(p.exterior) for p in _parts(merged)])  # lakes and gaps are not holes


def province_shapes(seeds: list[Seed], outline: shapely.Geometry) -> dict[str, shapely.Geometry]:
    """Pre-2025 province code -> its Voronoi cells, dissolved and clipped to the outline."""
    points = shapely.multipoints([(s.x, s.y) for s in seeds])
    x0, y0, x1, y1 = outline.bounds
    frame = shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1)
    cells = shapely.voronoi_polygons(points, extend_to=frame, ordered=True).geoms
    by_province: dict[str, list[shapely.Geometry]] = defaultdict(list)
    for seed, cell in zip(seeds, cells, strict=True):
        by_province[seed.province_code].append(cell)
    return {code: shapely.union_all(cs).intersection(outline) for code, cs in sorted(by_province.items())}


def _parts(geom: shapely.Geometry) -> list[Polygon]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]


def finish(shapes: dict[str, shapely.Geometry]) -> dict[str, MultiPolygon]:
    """Simplify the whole coverage at once (shared borders stay shared), snap to the output grid, drop slivers,
    and map x back to longitude."""
    codes = sorted(shapes)
    simplified = shapely.coverage_simplify([shapes[c] for c in codes], SIMPLIFY_DEG)
    min_area = MIN_PART_KM2 * KM * KM
    out = {}
    for code, geom in zip(codes, simplified, strict=True):
        geom = shapely.transform(geom, lambda xy: xy / np.array([KX, 1.0]))
        geom = shapely.make_valid(shapely.set_precision(geom, GRID_DEG))
        parts = [p for p in _parts(geom) if p.area >= min_area] or _parts(geom)
        out[code] = _multi(parts)
    return out


def dissolve_2025(legacy: dict[str, MultiPolygon], provinces: dict[str, dict[str, Any]]) -> dict[str, MultiPolygon]:
    """The 2025 provinces merged whole pre-2025 provinces, so each is the union of its predecessors' shapes."""
    parts: dict[str, list[MultiPolygon]] = defaultdict(list)
    for code, geom in legacy.items():
        parts[provinces[code]["code_2025"]].append(geom)
    return {code: _multi(_parts(shapely.union_all(geoms, grid_size=GRID_DEG))) for code, geoms in sorted(parts.items())}


def _multi(parts: list[Polygon]) -> MultiPolygon:
    return MultiPolygon(sorted(parts, key=lambda p: (-p.area, p.bounds)))  # largest first, for a stable output


def feature_collection(era: str, shapes: dict[str, MultiPolygon], provinces: dict[str, dict[str, Any]]) -> dict:
    features = [{"type": "Feature", "properties": provinces[code], "geometry": _rounded(mapping(geom))}
                for code, geom in sorted(shapes.items())]
    return {"type": "FeatureCollection", "era": era,
            "source": "approximate, derived from ward centres of vietnamadminunits (MIT); not for official use",
            "features": features}


def _rounded(geometry: dict) -> dict:
    coords = [[[[round(x, 3), round(y, 3)] for x, y in ring] for ring in poly] for poly in geometry["coordinates"]]
    return {"type": "MultiPolygon", "coordinates": coords}


def build(out_dir: Path = HERE) -> dict[str, Path]:
    """Writes both GeoJSON files into out_dir; returns era -> path."""
    inputs = load_inputs(adminunits_data())
    seeds = clean_seeds(inputs.seeds)
    legacy = finish(province_shapes(seeds, national_outline(seeds)))
    collections = {"2025": feature_collection("2025", dissolve_2025(legacy, inputs.legacy), inputs.current),
                   "legacy": feature_collection("legacy", legacy, inputs.legacy)}
    written = {}
    for era, fc in collections.items():
        path = out_dir / FILES[era]
        path.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        written[era] = path
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory for the two GeoJSON files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for era, path in build(args.out).items():
        print(f"{era}: {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()

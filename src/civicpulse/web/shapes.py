"""Vietnam province shapes and ward centres for the Places map (how the shapes are made: docs/map.md).

Two eras, named as civicpulse.analysis.places stores them: "2025" (34 provinces, `post_places.province_2025`) and
"legacy" (63 pre-2025 provinces, `post_places.province_legacy`). Shapes ship with the app as GeoJSON built by
resources/shapes/build_shapes.py; ward centres are read from the vietnamadminunits dataset (MIT). Nothing is
fetched over the network.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from civicpulse.analysis.gazetteer import query_adminunits

ERAS = ("2025", "legacy")
SHAPES_DIR = Path(__file__).resolve().parent / "resources" / "shapes"
_FILES = {"2025": "vn-provinces-2025.geojson", "legacy": "vn-provinces-legacy.geojson"}
_WARD_SQL = {
    "2025": "SELECT province, ward, wardCode, wardLat, wardLon FROM admin_units",
    "legacy": "SELECT province, ward, wardCode, wardLat, wardLon FROM admin_units_legacy WHERE ward IS NOT NULL",
}


def _check(era: str) -> str:
    if era not in ERAS:
        raise ValueError(f"unknown map era {era!r}: use '2025' (34 provinces) or 'legacy' (63 pre-2025 provinces)")
    return era


def shapes_file(era: str) -> Path:
    """Path of the era's GeoJSON file, for serving it as is."""
    return SHAPES_DIR / _FILES[_check(era)]


@lru_cache(maxsize=len(ERAS))
def province_shapes(era: str = "2025") -> dict[str, Any]:
    """The era's GeoJSON FeatureCollection: one MultiPolygon feature per province with properties code, name
    (exactly as stored in post_places), lat, lon (the province centre) and, for "legacy", code_2025.
    Cached and shared: treat it as read-only."""
    path = shapes_file(era)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: run .venv/bin/python src/civicpulse/web/resources/shapes/build_shapes.py") from None


def ward_points(province: str, era: str = "2025") -> list[dict[str, Any]]:
    """Ward centres of a province (its name as in post_places) for drill-down markers: dicts with name, code, lat,
    lon, ordered by code; empty for an unknown province. Wards without a centre in the dataset are left out."""
    return [dict(point) for point in _wards(_check(era)).get(province, ())]


@lru_cache(maxsize=len(ERAS))
def _wards(era: str) -> dict[str, tuple[dict[str, Any], ...]]:
    by_province: dict[str, list[dict[str, Any]]] = {}
    for province, name, code, lat, lon in sorted(_query(_WARD_SQL[era]), key=lambda r: (r[0], r[2])):
        if lat is not None and lon is not None:
            by_province.setdefault(province, []).append({"name": name, "code": code, "lat": lat, "lon": lon})
    return {province: tuple(points) for province, points in by_province.items()}


def _query(sql: str) -> list[tuple]:
    return [tuple(row) for row in query_adminunits(sql)]

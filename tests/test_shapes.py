"""Province shapes for the Places map (both eras), ward points, the shape builder and the map script."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from civicpulse.analysis.gazetteer import get_gazetteer
from civicpulse.analysis.places import get_recognizer
from civicpulse.web import shapes

BUILDER = shapes.SHAPES_DIR / "build_shapes.py"
MAP_JS = Path(shapes.__file__).resolve().parent / "static" / "map.js"
CHROMIUM = Path("/usr/bin/chromium")
HANOI = (105.8542, 21.0285)  # Hoàn Kiếm lake
HCMC = (106.7009, 10.7769)  # Bến Thành
HOI_AN = (108.3380, 15.8801)  # pre-2025 Quảng Nam, in Đà Nẵng since 2025


def geometries(era: str) -> dict[str, shapely.Geometry]:
    return {f["properties"]["name"]: shape(f["geometry"]) for f in shapes.province_shapes(era)["features"]}


def km2(geom: shapely.Geometry) -> float:
    # each part scaled at its own latitude: good to a few per cent for a province
    return sum(p.area * 111.2**2 * math.cos(math.radians(p.centroid.y)) for p in getattr(geom, "geoms", [geom]))


@pytest.mark.parametrize("era", shapes.ERAS)
def test_every_province_once_with_a_valid_shape_and_the_analysis_name(era):
    gaz = get_gazetteer()
    expected = {u.code_2025: u.name for u in gaz.provinces_2025.values()} if era == "2025" else \
        {u.code_legacy: u.name for u in gaz.provinces_legacy.values()}
    features = shapes.province_shapes(era)["features"]
    assert len(features) == len(expected) == (34 if era == "2025" else 63)
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == expected
    for f in features:
        geom = shape(f["geometry"])
        assert geom.geom_type == "MultiPolygon" and geom.is_valid and not geom.is_empty, f["properties"]["name"]


def test_names_match_what_the_places_recogniser_stores():
    names = {era: set(geometries(era)) for era in shapes.ERAS}
    for text in ("Ngập ở Thủ Đức", "Mưa lớn ở Hội An", "lũ lụt ở Huế", "Sạt lở ở Lâm Đồng"):
        places = [p for p in get_recognizer().find(text) if p.province_2025]
        assert places, text
        for place in places:
            assert place.province_2025 in names["2025"], (text, place.province_2025)
            assert place.province_legacy in names["legacy"], (text, place.province_legacy)


@pytest.mark.parametrize("era", shapes.ERAS)
def test_shapes_cover_vietnam_plausibly_without_overlaps(era):
    geoms = list(geometries(era).values())
    union = shapely.union_all(geoms)
    lon0, lat0, lon1, lat1 = union.bounds
    assert lat0 >= 8 and lat1 <= 24 and lon0 >= 102 and lon1 <= 115  # Trường Sa lies near 114.5° E
    mainland = max(union.geoms, key=lambda p: p.area)
    assert mainland.bounds[0] >= 102 and mainland.bounds[2] <= 110
    assert 300_000 < sum(km2(g) for g in geoms) < 370_000  # Vietnam: about 331,000 km²
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-4)  # a coverage: no overlaps


@pytest.mark.parametrize(("era", "point", "name"), [
    ("2025", HANOI, "Thành phố Hà Nội"), ("legacy", HANOI, "Thành phố Hà Nội"),
    ("2025", HCMC, "Thành phố Hồ Chí Minh"), ("legacy", HCMC, "Thành phố Hồ Chí Minh"),
    ("2025", HOI_AN, "Thành phố Đà Nẵng"), ("legacy", HOI_AN, "Tỉnh Quảng Nam"),
], ids=["hanoi-2025", "hanoi-legacy", "hcmc-2025", "hcmc-legacy", "hoi-an-2025", "hoi-an-legacy"])
def test_city_centres_lie_in_their_province(era, point, name):
    inside = [n for n, g in geometries(era).items() if g.contains(Point(point))]
    assert inside == [name]


def test_2025_provinces_are_unions_of_their_predecessors():
    legacy = shapes.province_shapes("legacy")["features"]
    for f in shapes.province_shapes("2025")["features"]:
        parts = [shape(old["geometry"]) for old in legacy if old["properties"]["code_2025"] == f["properties"]["code"]]
        assert shape(f["geometry"]).symmetric_difference(shapely.union_all(parts)).area < 1e-4, f["properties"]


def test_nearly_every_2025_ward_centre_falls_in_its_province():
    # The shapes are built from pre-2025 ward centres only, so the 2025 centres are an independent check.
    inside = total = 0
    for name, geom in geometries("2025").items():
        points = shapes.ward_points(name, "2025")
        total += len(points)
        inside += sum(geom.contains(Point(p["lon"], p["lat"])) for p in points)
    assert total == 3321 and inside / total > 0.99


def test_ward_points_per_province_and_era():
    hanoi = shapes.ward_points("Thành phố Hà Nội", "2025")
    assert len(hanoi) == 126 and set(hanoi[0]) == {"name", "code", "lat", "lon"}
    assert [p["code"] for p in hanoi] == sorted(p["code"] for p in hanoi)
    assert any(p["name"] == "Phường Hoàn Kiếm" for p in hanoi)
    assert len(shapes.ward_points("Thành phố Hà Nội", "legacy")) > 500
    assert any(p["name"] == "Phường Hàng Bạc" for p in shapes.ward_points("Thành phố Hà Nội", "legacy"))
    assert shapes.ward_points("Tỉnh Quảng Nam", "2025") == []  # merged into Đà Nẵng in 2025
    hanoi[0]["name"] = "changed"  # callers get copies, the cache stays intact
    assert shapes.ward_points("Thành phố Hà Nội", "2025")[0]["name"] != "changed"
    with pytest.raises(ValueError, match="legacy"):
        shapes.ward_points("Thành phố Hà Nội", "1990")
    with pytest.raises(ValueError):
        shapes.province_shapes("2024")


@pytest.mark.slow  # builds both eras in a subprocess: about 3 s
def test_build_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    done = subprocess.run([sys.executable, str(BUILDER), "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for era in shapes.ERAS:
        shipped = shapes.shapes_file(era)
        built = tmp_path / shipped.name
        assert built.read_bytes() == shipped.read_bytes(), f"{shipped.name} is stale: run {BUILDER}"
        assert shipped.stat().st_size < 400_000
        assert json.loads(built.read_text(encoding="utf-8"))["era"] == era


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium: no browser download needed (overrides pytest-playwright's fixture of the same name).
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.mark.slow  # starts chromium
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_map_script_draws_accessible_provinces_and_selects_by_keyboard(page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_content('<html lang="en"><body><div id="map" style="width:600px"></div></body></html>')
    page.add_script_tag(content=MAP_JS.read_text(encoding="utf-8"))
    values = {"Thành phố Hà Nội": {"value": 120, "suppressed": False, "label": "120 posts"},
              "Thành phố Hồ Chí Minh": {"value": 300, "suppressed": False, "label": "300 posts"},
              "Tỉnh Lâm Đồng": {"value": None, "suppressed": True, "label": "fewer than 10 authors"}}
    page.evaluate("""([geojson, values]) => {
        window.selected = [];
        window.map = CivicMap.render(document.getElementById('map'), geojson, values,
            {legendTitle: 'Posts', onSelect: name => window.selected.push(name)});
    }""", [shapes.province_shapes("2025"), values])
    paths = page.locator("path.cm-area")
    assert paths.count() == 34
    hanoi = page.locator('path[data-name="Thành phố Hà Nội"]')
    assert hanoi.get_attribute("aria-label") == "Thành phố Hà Nội: 120 posts"
    assert hanoi.get_attribute("role") == "button" and hanoi.get_attribute("tabindex") == "0"
    assert page.locator('path[data-name="Thành phố Hà Nội"] > title').text_content() == "Thành phố Hà Nội: 120 posts"
    lam_dong = page.locator('path[data-name="Tỉnh Lâm Đồng"]')
    assert lam_dong.get_attribute("fill").startswith("url(#")
    assert "fewer than 10 authors" in lam_dong.get_attribute("aria-label")
    assert page.locator('path[data-name="Tỉnh Sơn La"]').get_attribute("aria-label") == "Tỉnh Sơn La: No data"
    assert hanoi.get_attribute("fill") != page.locator('path[data-name="Thành phố Hồ Chí Minh"]').get_attribute("fill")
    assert "Posts" in page.locator(".civicmap-legend").text_content()

    hanoi.focus()
    assert page.locator("path.cm-ring").get_attribute("d") == hanoi.get_attribute("d")  # visible focus ring
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press(" ")
    assert page.evaluate("window.selected")[0] == "Thành phố Hà Nội" and len(page.evaluate("window.selected")) == 2

    page.evaluate("window.map.update({'Tỉnh Lâm Đồng': {value: 5, suppressed: false, label: '5 posts'}})")
    assert lam_dong.get_attribute("aria-label") == "Tỉnh Lâm Đồng: 5 posts"
    assert hanoi.get_attribute("aria-label") == "Thành phố Hà Nội: No data"
    assert page.locator(".civicmap-legend").count() == 1
    page.evaluate("([pts]) => CivicMap.renderPoints(document.getElementById('map'), pts)",
                  [shapes.ward_points("Thành phố Hà Nội", "2025")])
    assert page.locator("circle[role=button]").count() == 126
    assert [u for u in requests if not u.startswith(("about:", "data:"))] == []  # nothing fetched

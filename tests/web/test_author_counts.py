"""Through HTTP, no answer shows an exact distinct-author count: every one is `privacy.publish_authors` of the exact
count, on a workspace whose exact counts are off the rounding grid. The issue's differencing attack gets the same
answer whether or not two posts share an author."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from civicpulse.accounts import Accounts
from civicpulse.analytics import privacy
from civicpulse.analytics.saved_queries import SavedQueries
from civicpulse.web import create_app
from trend_data import HANOI, HCMC, START, Item, add_items, burst

from .conftest import sign_in

WS = "linkage"
K = privacy.DEFAULT_K
SAME = ('item OR "status 7"', 'item OR "status 7" OR "status 47"')  # posts 7 and 47: one author
DIFFERENT = ('item OR "status 8"', 'item OR "status 8" OR "status 48"')  # posts 8 and 48: two authors
ITEM_AUTHORS = 12
# Every author figure a viewer can get, through every view that has one.
VIEWS: list[tuple[str, dict[str, str]]] = [
    ("/overview", {}), ("/overview", {"bucket": "week"}), ("/overview", {"start": "2026-09-16", "end": "2026-09-30"}),
    ("/overview", {"q": DIFFERENT[1]}), ("/overview", {"topic": "traffic_transport"}),
    ("/topics", {}), ("/topics", {"bucket": "week", "start": "2026-09-20"}),
    ("/places", {}), ("/places", {"province": HCMC}), ("/trends", {}),
]


def _items() -> list[Item]:
    """30 days of 20 posts by 17 of 33 authors (traffic, Hà Nội), a flood burst by 23 authors (HCMC), 12 authors
    writing "item", and the issue's "status" posts: exact counts mostly off the grid of 10."""
    items = [Item(f"b{d}-{n}", f"b{(d * 7 + n % 17) % 33}", START + timedelta(days=d, hours=n),
                  "negative" if n % 4 == 0 else "neutral", ("traffic_transport",), (HANOI,))
             for d in range(30) for n in range(20)]
    items += burst("f", 27, 60, 23, topics=("flooding_weather",), provinces=(HCMC,), terms=("#ngapnuoc",))
    day = START + timedelta(days=29)
    items += [Item(f"i{n}", f"item{n % ITEM_AUTHORS}", day + timedelta(minutes=n), text=f"item report {n}")
              for n in range(ITEM_AUTHORS * 2)]
    return items + [Item(f"s{number}", author, day + timedelta(hours=2, minutes=number), text=f"status {number}")
                    for number, author in ((7, "same"), (47, "same"), (8, "first"), (48, "second"))]


@pytest.fixture(scope="module")
def viewer(app, app_store):
    add_items(app_store, WS, _items())
    # add_items names a ward beside each province; make it a 2025 ward so that the ward drill-down has rows too.
    app_store.execute("UPDATE post_places SET kind = 'vn_ward', name_2025 = name WHERE workspace = ? "
                      "AND name LIKE 'phường%'", [WS])
    SavedQueries(app_store).create(WS, "Flood", "#ngapnuoc")
    Accounts(app_store).grant(WS, "vera", "viewer")
    return sign_in(app, "vera")


@pytest.fixture(scope="module")
def exact(app_store, viewer) -> dict[str, Any]:
    """The same answers with rounding off (a second app: its own answer cache), to show that the fixture has exact
    counts off the grid in every view, so that the sweep would see one that escaped rounding, and that the exact
    figures answer the issue's question."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(privacy, "coarse_authors", lambda n: n)
        client = sign_in(create_app(app_store, background=False), "vera")
        return {"views": _every_view(client), "same": _seen(client, SAME), "different": _seen(client, DIFFERENT)}


def _author_values(answer: Any) -> list[int | None]:
    if isinstance(answer, dict):
        return [v for key, value in answer.items()
                for v in ([value] if key == "authors" else _author_values(value))]
    if isinstance(answer, list):
        return [v for item in answer for v in _author_values(item)]
    return []


def _get(client, path: str, params: dict[str, str]) -> Any:
    response = client.get(f"/api/w/{WS}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _report_values(client, fmt: str) -> list[Any]:
    response = client.get(f"/api/w/{WS}/report", params={"format": fmt})
    assert response.status_code == 200, response.text
    if fmt == "csv":
        rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        return [int(r["value"]) if r["value"] else None for r in rows if r["metric"] == "authors"]
    book = load_workbook(io.BytesIO(response.content))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            if row[0] == "Authors":  # the summary sheet: this period, the previous one
                values += [v if isinstance(v, int) else None for v in row[1:3]]
        header = [cell.value for cell in sheet[1]]
        if "Authors" in header:  # a section sheet: one column
            col = header.index("Authors")
            values += [row[col] for row in sheet.iter_rows(min_row=2, values_only=True)]
    return values


def _every_view(client) -> dict[str, list[Any]]:
    found = {f"{path} {params}": _author_values(_get(client, path, params)) for path, params in VIEWS}
    found.update({f"report {fmt}": _report_values(client, fmt) for fmt in ("csv", "xlsx")})
    return found


def _seen(client, queries: tuple[str, str]) -> list[tuple]:
    return [(t["suppressed"], t["posts"], t["authors"])
            for t in (_get(client, "/overview", {"q": q})["totals"] for q in queries)]


def test_every_author_count_in_every_answer_is_the_published_one(viewer, exact) -> None:
    for view, values in _every_view(viewer).items():
        truth = exact["views"][view]
        assert len(values) == len(truth) and any(v is not None for v in values), view
        assert values == [privacy.publish_authors(v, K) if v is not None else None for v in truth], view
        # The fixture puts exact counts off the grid in every view: a figure that escaped rounding would show.
        assert any(v is not None and privacy.publish_authors(v, K) != v for v in truth), view


def test_the_issue_query_cannot_tell_whether_two_posts_share_an_author(viewer, exact) -> None:
    exact_same, exact_different = exact["same"], exact["different"]
    # Exact figures answer the question: one author more in the second pair only.
    assert exact_same[0][2] == exact_same[1][2] == ITEM_AUTHORS + 1
    assert exact_different[1][2] == exact_different[0][2] + 1 == ITEM_AUTHORS + 2
    same, different = _seen(viewer, SAME), _seen(viewer, DIFFERENT)
    assert same == different  # post counts included: the added post counts once either way
    assert [authors for *_, authors in same] == [privacy.publish_authors(ITEM_AUTHORS + 1, K)] * 2

"""Every GET operation of a workspace, called with hostile query values, answers 2xx or 4xx, never 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.web.params import FIRST_DAY, LAST_DAY, _when

from .conftest import PASSWORD

HOSTILE = ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", str(2**63), "-1",
           "", "nan", "1e309", "x" * 5000, "a\x00b", "ngập 🌊 \u202e\ufeff", "2026-02-30"]
# Values other parameters take while one is fuzzed (a PDF for every call would only slow the sweep down).
DEFAULTS = {"format": "csv", "q": None}


@pytest.fixture(scope="module")
def owner(app) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)  # a 500 is counted, not raised
    assert client.post("/api/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    return client


def _operations(app) -> list[tuple[str, list[str]]]:
    out = []
    for path, item in app.openapi()["paths"].items():
        get = item.get("get")
        if get and path.startswith("/api/w/{workspace}"):
            names = [p["name"] for p in get.get("parameters", []) if p["in"] == "query"]
            out.append((path, names))
    return out


def _url(path: str) -> str:
    return path.replace("{workspace}", "city").replace("{", "").replace("}", "")  # other path values: their names


def test_the_sweep_covers_the_dashboards(app) -> None:
    paths = {path for path, _ in _operations(app)}
    for view in ("overview", "topics", "places", "trends", "posts", "report"):
        assert f"/api/w/{{workspace}}/{view}" in paths


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_never_cause_a_server_error(app, owner: TestClient, value: str) -> None:
    failures = []
    for path, names in _operations(app):
        for name in names:
            params = {k: v for k, v in DEFAULTS.items() if k in names and k != name and v is not None}
            response = owner.get(_url(path), params={**params, name: value})
            if not (response.status_code < 300 or 400 <= response.status_code < 500):
                failures.append(f"{path}?{name}=...: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02"),
                                            ("9999-12-30", "9999-12-31"), ("1900-01-01", "2199-12-31")])
@pytest.mark.parametrize("view", ["overview", "topics", "places", "trends", "posts", "report"])
def test_extreme_periods_never_cause_a_server_error(owner: TestClient, view: str, start: str, end: str) -> None:
    response = owner.get(f"/api/w/city/{view}", params={"start": start, "end": end, "format": "csv"})
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(("value", "status", "message"), [
    ("9999-12-31", 422, "outside the supported period, 1900-01-01 to 2199-12-31"),
    ("0001-01-01", 422, "outside the supported period"),
    ("2026-02-30", 400, "is not a date"),
])
def test_out_of_range_dates_are_refused_clearly(owner: TestClient, value: str, status: int, message: str) -> None:
    response = owner.get("/api/w/city/overview", params={"start": value})
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_a_huge_page_number_is_refused_clearly(owner: TestClient) -> None:
    response = owner.get("/api/w/city/posts", params={"page": 2**63})
    assert response.status_code == 422
    assert "page" in response.json()["detail"]
    assert owner.get("/api/w/city/posts", params={"page": 100_000}).status_code == 200  # the last page allowed


@pytest.fixture
def server_clock_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")  # a server whose local time is three hours behind UTC
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_clock_not_utc")
def test_a_date_time_with_an_offset_is_converted_to_utc() -> None:
    assert _when("2026-09-05T08:00:00+07:00", "start", "UTC") == datetime(2026, 9, 5, 1, 0)
    assert _when("2026-09-05T08:00:00-03:30", "start", "UTC") == datetime(2026, 9, 5, 11, 30)
    assert _when("2026-09-05T08:00:00", "start", "UTC") == datetime(2026, 9, 5, 8, 0)  # naive: UTC already
    assert _when("2026-09-05", "end", "UTC", end=True) == datetime(2026, 9, 6)  # a day as `end` includes that day
    assert _when("20260905", "end", "UTC", end=True) == datetime(2026, 9, 6)
    # A bare date is a day of the workspace's zone: in Vietnam (UTC+7) it starts at 17:00 UTC the day before.
    assert _when("2026-09-05", "start", "Asia/Ho_Chi_Minh") == datetime(2026, 9, 4, 17)
    assert _when("2026-09-05", "end", "Asia/Ho_Chi_Minh", end=True) == datetime(2026, 9, 5, 17)
    assert _when("2026-09-05T08:00:00", "start", "Asia/Ho_Chi_Minh") == datetime(2026, 9, 5, 8)  # still UTC


def test_an_offset_period_counts_the_same_posts_as_its_utc_twin(owner: TestClient) -> None:
    local = owner.get("/api/w/city/posts", params={"start": "2026-09-05T15:00:00+07:00", "page_size": 100}).json()
    utc = owner.get("/api/w/city/posts", params={"start": "2026-09-05T08:00:00", "page_size": 100}).json()
    assert local == utc
    assert 0 < local["total"] < owner.get("/api/w/city/posts").json()["total"]


def test_an_hourly_series_over_centuries_is_refused(owner: TestClient) -> None:
    response = owner.get("/api/w/city/topics", params={"start": "1900-01-01", "end": "2199-12-31", "bucket": "hour"})
    assert response.status_code == 422
    assert "buckets" in response.json()["detail"]


DATES = (st.text(max_size=40) | st.dates().map(str)
         | st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()))


@settings(max_examples=200, deadline=None)
@given(DATES, st.booleans())
def test_any_date_value_is_a_utc_time_in_range_or_a_clear_error(value: str, end: bool) -> None:
    try:
        parsed = _when(value, "end" if end else "start", "Asia/Ho_Chi_Minh", end=end)
    except HTTPException as exc:
        assert exc.status_code in (400, 422) and str(exc.detail).startswith("end:" if end else "start:")
        return
    if not value:
        assert parsed is None
        return
    assert parsed is not None and parsed.tzinfo is None
    assert FIRST_DAY - timedelta(days=1) <= parsed <= LAST_DAY + timedelta(days=2)
    given_time = datetime.fromisoformat(value)
    if given_time.tzinfo is not None:
        assert parsed == given_time.astimezone(UTC).replace(tzinfo=None)


@settings(max_examples=40, deadline=None)
@given(start=DATES, end=DATES, page=st.integers(-2**70, 2**70), page_size=st.integers(-5, 500),
       platform=st.text(max_size=30), q=st.text(max_size=60), sort=st.text(max_size=12))
def test_random_explorer_parameters_never_cause_a_server_error(owner: TestClient, **params: object) -> None:
    response = owner.get("/api/w/city/posts", params=params)
    assert response.status_code < 500, (params, response.text)

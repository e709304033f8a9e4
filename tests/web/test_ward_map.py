"""The ward drill-down carries each ward's position, so the page draws the wards as points on a map."""

from __future__ import annotations

from .conftest import sign_in


def test_wards_of_a_province_come_with_their_centres(server, app) -> None:
    client = sign_in(app, "alice")
    provinces = client.get("/api/w/city/places", params={"period": "all"}).json()["provinces"]
    wards = [w for p in provinces
             for w in client.get("/api/w/city/places", params={"period": "all", "province": p["key"]}).json()["wards"]]
    assert wards, "the seeded posts name wards (Thủ Đức, Cầu Giấy)"
    for ward in wards:
        assert set(ward) >= {"key", "lat", "lon"}
        assert 8 <= ward["lat"] <= 24 and 102 <= ward["lon"] <= 110, ward  # inside Vietnam
        assert "author_key" not in str(ward) and "author_id" not in str(ward)

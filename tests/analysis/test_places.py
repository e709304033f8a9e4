"""Places recognizer: Vietnamese units (pre-2025 and 2025), abbreviations, ambiguity rules, platform place data.

Expected codes are the official GSO codes (Quận 1 = 760, Phường Bến Nghé = 26740, Bình Dương = 74, ...) and the
2025 mergers published in Resolution 202/2025/QH15 (Bình Dương -> TP.HCM, Hòa Bình -> Phú Thọ, Long An -> Tây Ninh,
Thái Bình -> Hưng Yên), not values copied from the recognizer's output.
"""

from __future__ import annotations

import time
import unicodedata

import pytest

from civicpulse.analysis.gazetteer import _rows
from civicpulse.analysis.places import Place, PlaceRecognizer, get_recognizer


@pytest.fixture(scope="module")
def rec() -> PlaceRecognizer:
    return get_recognizer()


def found(rec: PlaceRecognizer, text: str) -> list[Place]:
    places = rec.find(text)
    for p in places:  # offsets always point at the matched span of the input
        assert text[p.start:p.end] == p.matched
    return places


def names(rec: PlaceRecognizer, text: str) -> list[str]:
    return [p.name for p in found(rec, text)]


HCM = "Thành phố Hồ Chí Minh"


@pytest.mark.parametrize("text", ["Kẹt xe ở TP.HCM", "TPHCM nóng quá", "tp hcm mưa", "Tp. Hồ Chí Minh", "HCM",
                                  "HCMC", "Sài Gòn mưa", "sai gon mua", "Saigon", "SG mưa quá", "về sg thôi",
                                  "thành phố Hồ Chí Minh", "Ho Chi Minh City", "#TPHCM #SaiGon"])
def test_ho_chi_minh_city_forms(rec, text):
    places = found(rec, text)
    assert [(p.kind, p.name, p.code_2025, p.code_legacy) for p in places] == [("vn_province", HCM, "79", "79")]


@pytest.mark.parametrize("text", ["HN lạnh", "Hà Nội", "Ha Noi", "Hanoi", "ra hn chơi", "thành phố Hà Nội"])
def test_hanoi_forms(rec, text):
    assert [p.code_2025 for p in found(rec, text)] == ["01"]


@pytest.mark.parametrize("text", ["ĐN đẹp", "Đà Nẵng", "Da Nang", "Danang", "ở da nang", "TP Đà Nẵng"])
def test_da_nang_forms(rec, text):
    assert [p.code_2025 for p in found(rec, text)] == ["48"]


@pytest.mark.parametrize("text", ["máy xay đa năng", "may xay da nang", "DN nhỏ và vừa", "thuê hai phòng",
                                  "sg", "hn nay mưa"])
def test_look_alikes_are_not_places(rec, text):
    assert found(rec, text) == []


def test_no_diacritics(rec):
    (q7,) = found(rec, "ngap o quan 7")
    assert (q7.kind, q7.name, q7.code_legacy, q7.province_2025, q7.matched) == (
        "vn_district", "Quận 7", "778", HCM, "quan 7")
    (td,) = found(rec, "ket xe o thu duc")
    assert (td.kind, td.name, td.code_legacy, td.name_2025, td.province_2025) == (
        "vn_district", "Thành phố Thủ Đức", "769", "Phường Thủ Đức", HCM)
    (ward,) = found(rec, "ra ubnd phuong Ben Nghe nhan nha")
    assert ward.code_legacy == "26740"


@pytest.mark.parametrize("text", ["Q1", "Q.1", "q1", "quận 1", "Quận 01", "District 1", "D1 ngập"])
def test_district_one(rec, text):
    (p,) = found(rec, text)
    assert (p.kind, p.name, p.code_legacy, p.province_legacy, p.province_2025) == (
        "vn_district", "Quận 1", "760", HCM, HCM)
    assert p.code_2025 == "26740"  # the 2025 ward nearest its centre: Phường Sài Gòn (ex-Bến Nghé)


def test_legacy_ward_maps_to_2025_ward(rec):
    (p,) = found(rec, "Cúp điện ở P.Bến Nghé")
    assert (p.kind, p.name, p.code_legacy, p.name_2025, p.province_2025, p.matched) == (
        "vn_ward", "Phường Bến Nghé", "26740", "Phường Sài Gòn", HCM, "P.Bến Nghé")


def test_2025_ward_gets_legacy_counterpart_only_when_one_to_one(rec):
    (saigon,) = found(rec, "trạm y tế phường Sài Gòn")  # Bến Nghé + parts of Đa Kao, Nguyễn Thái Bình
    assert (saigon.code_2025, saigon.province_2025, saigon.code_legacy) == ("26740", HCM, None)
    (renamed,) = found(rec, "xã Buôn Đôn, Đắk Lắk")[:1]  # commune Krông Na renamed, nothing merged
    assert (renamed.name, renamed.name_legacy) == ("Xã Buôn Đôn", "Xã Krông Na")


def test_merged_provinces(rec):
    (bd,) = found(rec, "tỉnh Bình Dương")
    assert (bd.name, bd.code_legacy, bd.code_2025, bd.name_2025) == ("Tỉnh Bình Dương", "74", "79", HCM)
    assert [p.name_2025 for p in found(rec, "ở Hòa Bình")] == ["Tỉnh Phú Thọ"]
    assert [p.name_2025 for p in found(rec, "Long An")] == ["Tỉnh Tây Ninh"]
    assert [p.name_2025 for p in found(rec, "quê Thái Bình")] == ["Tỉnh Hưng Yên"]


@pytest.mark.parametrize("text", ["hòa bình thế giới", "Chúng ta cần Hòa Bình", "sống trong thái bình",
                                  "Thái Bình Dương rộng lắm", "lòng an ủi", "long an toan", "vinh quang",
                                  "anh Vinh đến muộn", "chị Khánh Hòa xinh", "Nguyễn Bình Dương", "cao bằng cái nhà",
                                  "an giang ho", "Chủ tịch Hồ Chí Minh", "đường Hà Nội"])
def test_ambiguous_vietnamese_names_need_evidence(rec, text):
    assert found(rec, text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("tỉnh Hòa Bình", "Tỉnh Hòa Bình"), ("ở Thái Bình", "Tỉnh Thái Bình"), ("TP Vinh", "Thành phố Vinh"),
    ("ra Vinh công tác", "Thành phố Vinh"), ("Long An", "Tỉnh Long An"), ("tỉnh Long An", "Tỉnh Long An"),
    ("An Giang", "Tỉnh An Giang"), ("bình dương", "Tỉnh Bình Dương"), ("Hue's citadel", "Thành phố Huế"),
    ("TP Hòa Bình", "Thành phố Hòa Bình"),
])
def test_ambiguous_vietnamese_names_with_evidence(rec, text, name):
    assert names(rec, text) == [name]


def test_address_context_settles_names_and_wards(rec):
    places = found(rec, "xã Vũ Lễ, huyện Kiến Xương, Thái Bình")
    assert [(p.kind, p.province_legacy) for p in places] == [
        ("vn_ward", "Tỉnh Thái Bình"), ("vn_district", "Tỉnh Thái Bình"), ("vn_province", "Tỉnh Thái Bình")]
    assert found(rec, "phường 1") == []  # dozens of "Phường 1"
    (ward, district) = found(rec, "P.1, Q.3")
    assert (ward.name, ward.province_legacy, ward.name_2025, district.code_legacy) == (
        "Phường 1", HCM, "Phường Bàn Cờ", "770")
    assert found(rec, "xã Tân Thành") == []
    assert names(rec, "HN, SG, ĐN đều mưa") == ["Thành phố Hà Nội", HCM, "Thành phố Đà Nẵng"]


def test_bare_ward_names_are_not_matched(rec):
    assert found(rec, "Bến Nghé") == []
    assert found(rec, "Tân Định") == []


def test_former_district_names(rec):
    assert names(rec, "đường Hà Nội, quận 2") == ["Thành phố Thủ Đức"]  # a street, then Quận 2 (merged in 2021)


@pytest.mark.parametrize("text", ["Q1 2024 revenue up", "Q1/2024", "Nice to meet you", "Reading is fun",
                                  "Mobile app update", "Bath time", "china plates", "turkey sandwich",
                                  "Michael Jordan", "Chad said hi", "uk", "tell us why"])
def test_english_common_words(rec, text):
    assert found(rec, text) == []


@pytest.mark.parametrize(("text", "kind", "code"), [
    ("I moved to Nice last year", "city", "FR"), ("China", "country", "CN"), ("Turkey", "country", "TR"),
    ("flew to Jordan", "country", "JO"), ("US", "country", "US"), ("Vietnam", "country", "VN"),
    ("London", "city", "GB"), ("Tokyo", "city", "JP"),
])
def test_english_world_places(rec, text, kind, code):
    assert [(p.kind, p.country) for p in found(rec, text)] == [(kind, code)]


@pytest.mark.parametrize(("text", "name"), [
    ("đi Mỹ", "United States"), ("người Nhật", "Japan"), ("Nhật Bản", "Japan"), ("Hàn Quốc", "South Korea"),
    ("Trung Quốc", "China"), ("Thái Lan", "Thailand"), ("Campuchia", "Cambodia"), ("Hoa Kỳ", "United States"),
    ("sang Pháp", "France"), ("nước Anh", "United Kingdom"), ("Bắc Kinh", "Beijing"), ("Luân Đôn", "London"),
])
def test_vietnamese_world_names(rec, text, name):
    assert names(rec, text) == [name]


@pytest.mark.parametrize("text", ["cập nhật", "tiếng Anh", "phương pháp mới", "mỹ phẩm", "ở Mỹ Đình",
                                  "người lao động", "Nhà thờ Đức Bà", "Bắc Mỹ", "Điện Biên Phủ"])
def test_vietnamese_common_words_are_not_countries(rec, text):
    assert found(rec, text) == []


def test_html_urls_mentions_and_decomposed_text(rec):
    text = "<p>Ngập ở Q.7&nbsp;</p>&lt;br&gt; Hà N&#7897;i https://saigon.example/hanoi @user"
    places = found(rec, text)
    assert [p.matched for p in places] == ["Q.7", "Hà N&#7897;i"]
    nfd = unicodedata.normalize("NFD", "Mưa ở Hà Nội")
    (p,) = found(rec, nfd)
    assert p.code_2025 == "01" and p.end == len(nfd)


def test_empty_and_order_and_dedup(rec):
    assert rec.find("") == [] and rec.find("   \n") == []
    text = "Sài Gòn mưa, TP.HCM ngập, Hà Nội lạnh, về lại Saigon"
    assert [(p.name, p.matched) for p in found(rec, text)] == [(HCM, "Sài Gòn"), ("Thành phố Hà Nội", "Hà Nội")]


def test_long_text_is_fast(rec):
    chunk = "Kẹt xe ở Q1 và P.Bến Nghé, <br> mưa lớn ở Hà Nội; I flew to Tokyo. người lao động hòa bình. "
    text = chunk * 2500  # ~250k characters
    start = time.perf_counter()
    places = rec.find(text)
    assert time.perf_counter() - start < 3
    assert [p.name for p in places] == ["Quận 1", "Phường Bến Nghé", "Thành phố Hà Nội", "Tokyo"]


def test_only_gazetteer_kinds(rec):
    text = "Anh Nguyễn Văn Minh và chị Lan ở Đà Nẵng gặp Michael Jordan tại Paris"
    assert {p.kind for p in found(rec, text)} <= {"vn_province", "vn_ward", "vn_district", "country", "city"}
    assert names(rec, text) == ["Thành phố Đà Nẵng", "Paris"]


def test_to_dict(rec):
    (p,) = rec.find("Đà Nẵng")
    assert list(p.to_dict()) == ["kind", "name", "country", "lat", "lon", "code_2025", "name_2025", "province_2025",
                                 "code_legacy", "name_legacy", "province_legacy", "matched", "start", "end"]
    assert abs(p.lat - 16.05) < 0.3 and abs(p.lon - 108.2) < 0.3


def test_platform_names(rec):
    places = rec.from_platform("Quận 1, Hồ Chí Minh", "VN", None, None)
    assert [(p.kind, p.name) for p in places] == [("vn_district", "Quận 1"), ("vn_province", HCM),
                                                   ("country", "Vietnam")]
    assert all(p.matched == "platform" and p.start == p.end == -1 for p in places)
    assert [p.name for p in rec.from_platform("Bến Nghé", None, None, None)] == ["Phường Bến Nghé"]
    assert [p.name for p in rec.from_platform("Hòa Bình", None, None, None)] == ["Tỉnh Hòa Bình"]
    assert rec.from_platform(None, None, None, None) == []
    assert rec.from_platform("", "", "x", None) == []
    assert rec.from_platform(None, None, 0.0, 0.0) == []


def test_platform_coordinates(rec):
    # Nhà hát Thành phố, Quận 1 (10.7769 N, 106.7032 E): legacy Phường Bến Nghé, 2025 Phường Sài Gòn.
    vn = rec.from_platform(None, None, 106.7032, 10.7769)
    assert [(p.kind, p.name) for p in vn] == [("country", "Vietnam"), ("vn_province", HCM),
                                              ("vn_ward", "Phường Sài Gòn")]
    assert vn[2].name_legacy == "Phường Bến Nghé"
    # Thủ Dầu Một (10.98 N, 106.65 E): 2025 HCMC, pre-2025 Bình Dương.
    (_, prov, _) = rec.from_platform(None, None, 106.6526, 10.9804)
    assert (prov.name, prov.name_legacy) == (HCM, "Tỉnh Bình Dương")
    paris = rec.from_platform("Paris", "FR", 2.3522, 48.8566)
    assert [(p.kind, p.name, p.country) for p in paris] == [("city", "Paris", "FR"), ("country", "France", "FR")]
    assert [p.country for p in rec.from_platform(None, None, 139.6917, 35.6895)] == ["JP", "JP"]


def test_world_lists():
    countries = _rows("countries.tsv")
    codes = [c[0] for c in countries]
    assert len(codes) == len(set(codes)) >= 195 and all(len(c) == 2 and c.isupper() for c in codes)
    vietnamese = [c for c in countries if any(not a.lstrip("^@!").isascii() for a in c[2].split("|"))]
    assert len(vietnamese) >= 60
    cities = _rows("cities.tsv")
    assert len(cities) >= 150
    london = next(c for c in cities if c[0] == "London")
    assert abs(float(london[5]) - 51.507) < 0.05 and abs(float(london[6]) + 0.128) < 0.05
    for row in countries + cities:
        lat, lon = float(row[-2]), float(row[-1])
        assert -90 <= lat <= 90 and -180 <= lon <= 180


def test_shared_instance():
    assert get_recognizer() is get_recognizer()

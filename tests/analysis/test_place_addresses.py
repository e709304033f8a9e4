"""Postal addresses in text: the span reader (civicpulse.analysis.addresses) on noisy real-world forms.

Expected units are looked up in vietnamadminunits' dataset by their official names (SQL below), never copied from
the recognizer's output; GSO codes the other tests already rely on (Quận 3 = 770, TP.HCM = 79) are written out.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.analysis.gazetteer import get_gazetteer, query_adminunits, standard_tones
from civicpulse.analysis.places import Place, PlaceRecognizer, get_recognizer


@pytest.fixture(scope="module")
def rec() -> PlaceRecognizer:
    return get_recognizer()


def legacy(province: str, district: str, ward: str | None = None) -> tuple[str, str, str | None]:
    """(province code, district code, ward code) of a pre-2025 unit, by its names in the dataset."""
    sql = (f"SELECT provinceCode, districtCode, wardCode FROM admin_units_legacy WHERE province = '{province}' AND "
           f"district = '{district}'")
    rows = query_adminunits(sql + (f" AND ward = '{ward}'" if ward else ""))
    assert rows, (province, district, ward)
    return rows[0]["provinceCode"], rows[0]["districtCode"], rows[0]["wardCode"] if ward else None


def read(rec: PlaceRecognizer, text: str) -> dict[str, list[Place]]:
    """Places by kind; offsets always point at the span as written."""
    out: dict[str, list[Place]] = {}
    for p in rec.find(text):
        assert text[p.start:p.end] == p.matched
        out.setdefault(p.kind, []).append(p)
    return out


def assert_address(rec: PlaceRecognizer, text: str, province: str, district: str, ward: str | None = None) -> None:
    prov_code, dist_code, ward_code = legacy(province, district, ward)
    got = read(rec, text)
    assert [p.code_legacy for p in got.get("vn_province", [])] == [prov_code], text
    assert [p.code_legacy for p in got.get("vn_district", [])] == [dist_code], text
    if ward is not None:
        assert [p.code_legacy for p in got.get("vn_ward", [])] == [ward_code], text


HCM = "Thành phố Hồ Chí Minh"


def test_issue_example_house_number_and_run_together_city(rec):
    text = "357/28,Ng-T- Thuật,P1,Q3,TP.HồChíMinh."
    assert_address(rec, text, HCM, "Quận 3", "Phường 1")
    got = read(rec, text)
    assert got["vn_district"][0].code_legacy == "770" and got["vn_province"][0].code_legacy == "79"
    assert [p.matched for p in rec.find(text)] == ["P1", "Q3", "HồChíMinh"]


def test_issue_example_former_ward_number_is_not_another_ward(rec):
    # Phường 3 of Mỹ Tho was merged into Phường 2 in 2020: the dataset lists "p3" as a former name of Phường 2.
    # The address names Phường 3, so no ward is reported, and certainly not Phường 2.
    text = "284DBis Ng Văn Giáo, P3, Mỹ Tho, T.Giang."
    assert_address(rec, text, "Tỉnh Tiền Giang", "Thành phố Mỹ Tho")
    assert "vn_ward" not in read(rec, text)
    assert [p.matched for p in rec.find(text)] == ["Mỹ Tho", "T.Giang"]
    # the same in running text, without the address reader
    assert [p.kind for p in rec.find("P3, Mỹ Tho hôm nay mưa")] == ["vn_district"]


def test_former_ward_numbers_are_not_ward_names():
    gaz = get_gazetteer()
    my_tho = legacy("Tỉnh Tiền Giang", "Thành phố Mỹ Tho")[1]
    for key in ("3", "p3", "f3", "ward3", "phuong03"):
        assert not [a.unit for a in gaz.wards.get(key, []) if a.unit and a.unit.district_legacy == my_tho], key
    assert [a.unit.name for a in gaz.wards["2"] if a.unit and a.unit.district_legacy == my_tho] == ["Phường 2"]


def test_issue_example_old_tone_placement_and_bare_names(rec):
    assert_address(rec, "Nà Làng Phú Bình, Chiêm Hoá, Tuyên Quang", "Tỉnh Tuyên Quang", "Huyện Chiêm Hóa",
                   "Xã Phú Bình")


@pytest.mark.parametrize("text", ["Xã Hoà Phú, H. Hoà Vang, Đà Nẵng", "Xã Hòa Phú, H. Hòa Vang, Đà Nẵng",
                                  "Xa Hoa Phu, H. Hoa Vang, Da Nang", "xã Hoà Phú,huyện Hoà Vang,TP.Đà Nẵng"])
def test_tone_placement_variants(rec, text):
    assert_address(rec, text, "Thành phố Đà Nẵng", "Huyện Hòa Vang", "Xã Hòa Phú")


@pytest.mark.parametrize(("written", "standard"), [
    ("Chiêm Hoá", "Chiêm Hóa"), ("Thuỷ", "Thủy"), ("Hoà Bình", "Hòa Bình"), ("Qúy Sơn", "Quý Sơn"),
    ("Khoẻ", "Khỏe"), ("THUỶ", "THỦY"), ("Uỷ ban", "Ủy ban"),
    # left alone: already standard, tone inside a closed syllable, "qu" + y, other diphthongs
    ("Hòa", "Hòa"), ("hoàng", "hoàng"), ("Quý", "Quý"), ("Thuật", "Thuật"), ("thuế", "thuế"), ("hoặc", "hoặc")])
def test_standard_tones(written, standard):
    assert standard_tones(written) == standard
    assert standard_tones(standard_tones(written)) == standard


@pytest.mark.parametrize(("text", "province", "district"), [
    ("45 Trần Phú, P.Lộc Thọ, Tp. Nha Trang, Khánh Hòa", "Tỉnh Khánh Hòa", "Thành phố Nha Trang"),
    ("ấp 4, X.Tân Thạnh Đông, H.Củ Chi, TPHCM", HCM, "Huyện Củ Chi"),
    ("Khu phố 2, P. Tân Thiện, TX. La Gi, Bình Thuận", "Tỉnh Bình Thuận", "Thị xã La Gi"),
    ("56 Đường N.T.Khai. X.Thường Lạc. H. Hồng Ngự. Đ.Tháp", "Tỉnh Đồng Tháp", "Huyện Hồng Ngự"),
    ("Thôn Đông, X.Nghĩa Tá. H. Chợ Đồn T.Bắc Kạn", "Tỉnh Bắc Kạn", "Huyện Chợ Đồn"),
    ("Lô B4,đường Nguyễn Thị Thuật , Khánh Cường , H. Yên Khánh , T.Ninh Bình", "Tỉnh Ninh Bình", "Huyện Yên Khánh"),
    ("12 Lê Lợi, Phường Bến Nghé, Quận 1, Sài Gòn", HCM, "Quận 1"),
    ("Số 2 Lê Văn Sỹ, H.Kim Thành, T.Hải Dương", "Tỉnh Hải Dương", "Huyện Kim Thành"),
    ("KP.10. Trưng Vương. T.P Việt Trì. Phú Thọ", "Tỉnh Phú Thọ", "Thành phố Việt Trì"),
    ("Ban Na Lang, P. Do Vinh, T.P Phan Rang - Thap Cham, Tinh Ninh Thuan", "Tỉnh Ninh Thuận",
     "Thành phố Phan Rang - Tháp Chàm"),
    ("275B Lê Văn Sỹ - xã Liên Hà - ĐôngAnh - HN", "Thành phố Hà Nội", "Huyện Đông Anh"),
    ("Tổ 9,Thị trấn Văn Quan. H. Văn Quan. Lạng Sơn", "Tỉnh Lạng Sơn", "Huyện Văn Quan"),
])
def test_abbreviations(rec, text, province, district):
    assert_address(rec, text, province, district)


def test_address_without_diacritics(rec):
    assert_address(rec, "so 5 ngo 12, phuong Dich Vong, quan Cau Giay, Ha Noi", "Thành phố Hà Nội",
                   "Quận Cầu Giấy", "Phường Dịch Vọng")


def test_one_district_per_address(rec):
    # "Vinh Long" is a commune here and the province is the last segment: Vĩnh Long province is not reported.
    text = "402/50 Tran Phu,Vinh Long, Vinh Loc, Thanh Hoa."
    assert_address(rec, text, "Tỉnh Thanh Hóa", "Huyện Vĩnh Lộc")
    # "Tây An" is a commune, not Xi'an
    got = read(rec, "ấpBình An. Tây An. Tây Sơn, Bình Định")
    assert "city" not in got and [p.name for p in got["vn_district"]] == ["Huyện Tây Sơn"]


def test_address_inside_a_sentence(rec):
    text = "Nhà mình ở 357/28 Nguyễn Thị Thuật, P1, Q3, TP.HCM và làm việc ở Hà Nội"
    got = read(rec, text)
    assert [p.code_legacy for p in got["vn_province"]] == ["79", "01"]
    assert [p.code_legacy for p in got["vn_district"]] == ["770"]
    assert [p.name for p in got["vn_ward"]] == ["Phường 1"]
    got = read(rec, "Cháy ở 12 Lê Lợi, X.Phú Bình, Chiêm Hoá, Tuyên Quang, may không ai bị thương")
    assert [p.name for p in got["vn_district"]] == ["Huyện Chiêm Hóa"]


@pytest.mark.parametrize(("text", "expected"), [
    ("HN, SG, ĐN đều mưa", ["Thành phố Hà Nội", HCM, "Thành phố Đà Nẵng"]),
    ("Mình ở Long An, cách Sài Gòn chưa tới một tiếng", ["Tỉnh Long An", HCM]),
    ("Hà Nội, Huế, Đà Nẵng", ["Thành phố Hà Nội", "Thành phố Huế", "Thành phố Đà Nẵng"]),
    ("Cháy chung cư ở quận Thanh Xuân, Hà Nội", ["Quận Thanh Xuân", "Thành phố Hà Nội"]),
    ("Theo trung tâm khí tượng, áp thấp nhiệt đới có thể mạnh lên trong 24 giờ tới. Các tỉnh ven biển cần theo "
     "dõi sát diễn biến.", []),
    ("Kickoff was pushed back an hour, the food ran out by halftime. Never again.", []),
    ("Tôi vừa chuyển từ Hà Nội vào Sài Gòn, nhớ nhà quá", ["Thành phố Hà Nội", HCM]),
    ("Storm just hit Saigon. Streets in Thuan An flooding fast, stay indoors #BinhDuong",
     [HCM, "Thành phố Thuận An"]),
    ("Nhà nào ở Q.1 cần bao cát thì ra UBND phường An Khánh nhận nha", ["Quận 1", "Phường An Khánh"]),
    ("đường Hà Nội, Thủ Đức kẹt cứng", ["Thành phố Thủ Đức"]),
])
def test_prose_keeps_its_places(rec, text, expected):
    assert [p.name for p in rec.find(text)] == expected


def test_2025_address_keeps_2025_ward(rec):
    (row,) = query_adminunits("SELECT provinceCode, wardCode FROM admin_units WHERE ward = 'Phường Quy Nhơn'")
    got = read(rec, "Phường Quy Nhơn, Gia Lai")
    assert [(p.name, p.code_2025) for p in got["vn_ward"]] == [("Phường Quy Nhơn", row["wardCode"])]
    assert [p.code_2025 for p in got["vn_province"]] == [row["provinceCode"]]
    assert "vn_district" not in got


_PIECES = ["P1", "Q.3", "TP.HCM", "T.Giang", "Mỹ Tho", "Chiêm Hoá", "Tuyên Quang", "357/28", "284DBis", "Ng-T-",
           "Hà Nội", "xã", "huyện", "H.", "TX.", "ấp 3", "thôn", "Việt Nam", "và", "ở", "Bình", "An", "hôm nay", "12"]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12),
       st.lists(st.sampled_from([", ", ",", " ", ". ", " - ", "\n", ";"]), min_size=12, max_size=12))
def test_any_mix_of_address_pieces_is_safe(pieces, seps):
    text = "".join(p + s for p, s in zip(pieces, seps, strict=False))
    places = get_recognizer().find(text)
    for p in places:
        assert text[p.start:p.end] == p.matched
    assert len({p.code_legacy for p in places if p.kind == "vn_district"}) == len(
        [p for p in places if p.kind == "vn_district"])
    json.dumps([p.to_dict() for p in places], ensure_ascii=False)


def test_analyze_text_places_for_an_address(run_cli):
    stdin = json.dumps({"id": 7, "text": "Nà Làng Phú Bình, Chiêm Hoá, Tuyên Quang"}, ensure_ascii=False).encode()
    result = run_cli("analyze-text", "--tasks", "places", stdin=stdin)
    assert result.code == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    kinds = {p["kind"]: p for p in row["places"]}
    assert kinds["vn_district"]["name"] == "Huyện Chiêm Hóa" and kinds["vn_district"]["matched"] == "Chiêm Hoá"
    assert kinds["vn_province"]["code_legacy"] == "08"
    assert set(kinds["vn_district"]) == set(Place.__dataclass_fields__)

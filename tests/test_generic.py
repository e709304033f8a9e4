from datetime import datetime

import pytest

from civicpulse.schema import Kind
from civicpulse.sources.base import ParseContext, Reject
from civicpulse.sources.generic import MappedCSV, MappedJSONL, Mapping, MappingError


def ctx() -> ParseContext:
    return ParseContext(pseudonymize=lambda platform, author: f"k:{author}", keep_raw=True)


MAPPING = {
    "platform": "other",
    "columns": {"post_id": "ma", "text": ["tieu_de", "noi_dung"], "created_at": "thoi_gian", "author_id": "nguoi",
                "likes": "thich", "parent_id": "tra_loi"},
    "options": {"time_format": "%d/%m/%Y %H:%M", "timezone": "Asia/Ho_Chi_Minh"},
}


def test_csv_row_maps_to_a_post_in_utc():
    source = MappedCSV(Mapping.from_dict(MAPPING))
    row = {"ma": "PA-1", "tieu_de": "Ngập", "noi_dung": "Đường Nguyễn Hữu Cảnh ngập sâu",
           "thoi_gian": "15/09/2026 08:30", "nguoi": "0901234567", "thich": "1,204", "tra_loi": ""}
    (post,) = source.parse(row, ctx())
    assert post.post_id == "PA-1" and post.kind == Kind.POST
    assert post.text == "Ngập\n\nĐường Nguyễn Hữu Cảnh ngập sâu"
    assert post.created_at == datetime(2026, 9, 15, 1, 30)  # 08:30 in Vietnam is 01:30 UTC
    assert post.likes == 1204 and post.author_key == "k:0901234567"
    assert "0901234567" not in post.raw


def test_bad_cell_names_the_column():
    source = MappedCSV(Mapping.from_dict(MAPPING))
    row = {"ma": "PA-2", "tieu_de": "", "noi_dung": "x", "thoi_gian": "hôm qua", "nguoi": "", "thich": "",
           "tra_loi": ""}
    (reject,) = source.parse(row, ctx())
    assert isinstance(reject, Reject) and reject.path == "thoi_gian" and "created_at" in reject.reason


def test_jsonl_mapping_uses_dotted_paths_and_iso_times():
    mapping = Mapping.from_dict({"platform": "other", "columns": {"post_id": "id", "text": "body",
                                 "created_at": "at", "author_id": "user.id", "parent_id": "reply_to"}})
    source = MappedJSONL(mapping)
    (post,) = source.parse({"id": 7, "body": "hi", "at": "2026-09-01T10:00:00+07:00", "user": {"id": "u"},
                            "reply_to": 6}, ctx())
    assert (post.post_id, post.parent_id, post.kind) == ("7", "6", Kind.REPLY)
    assert post.created_at == datetime(2026, 9, 1, 3, 0)


@pytest.mark.parametrize(("data", "message"), [
    ({"columns": {"text": "t"}}, "must map post_id"),
    ({"platform": "myspace", "columns": {"post_id": "i", "text": "t"}}, "platform 'myspace'"),
    ({"columns": {"post_id": "i", "text": "t", "colour": "c"}}, "columns.colour"),
    ({"columns": {"post_id": "i", "text": "t"}, "options": {"timezone": "Mars/Olympus"}}, "unknown zone"),
])
def test_mapping_errors_are_specific(data, message):
    with pytest.raises(MappingError, match=message):
        Mapping.from_dict(data)


def test_mapped_author_handle_and_names_leave_the_text_and_the_raw_row():
    mapping = Mapping.from_dict({"platform": "other", "columns": {
        "post_id": "ma", "text": "noi_dung", "author_id": "sdt", "author_handle": "tai_khoan",
        "author_name": ["ho_ten", "biet_danh"]}})
    row = {"ma": "PA-9", "sdt": "0901234567", "tai_khoan": "lan_anh92", "ho_ten": "Nguyễn Thị Lan Anh",
           "biet_danh": "Bé Lan Xinh",
           "noi_dung": "Tôi là Nguyen Thi Lan Anh (lan_anh92, Bé Lan Xinh), cống ở Quận 3 bị tắc"}
    (post,) = MappedCSV(mapping).parse(row, ctx())
    assert post.text == "Tôi là [author] ([author], [author]), cống ở Quận 3 bị tắc"
    for secret in ("0901234567", "lan_anh92", "Lan Anh", "Bé Lan"):
        assert secret not in post.raw

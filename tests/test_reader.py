import gzip
import io

import pytest

from civicpulse.ingest.reader import Doc, InputError, ReadError, expand, read_csv, read_json


def docs(data: bytes, name: str = "in.json", encoding: str = "utf-8"):
    return list(read_json(io.BytesIO(data), name, encoding))


def test_jsonl_lines_keep_their_line_numbers_and_skip_blanks():
    out = docs(b'{"a": 1}\n\n{"a": 2}\n', "x.jsonl")
    assert [(d.value, d.line) for d in out] == [({"a": 1}, 1), ({"a": 2}, 3)]


def test_pretty_printed_document_is_read_whole():
    out = docs(b'{\n  "a": [1,\n 2]\n}\n')
    assert len(out) == 1 and out[0].value == {"a": [1, 2]}


def test_truncated_jsonl_line_is_an_error_and_other_lines_survive():
    out = docs(b'{"a": 1}\n{"a": 2, "b": \n{"a": 3}\n', "x.jsonl")
    assert [d.value for d in out if isinstance(d, Doc)] == [{"a": 1}, {"a": 3}]
    (error,) = [d for d in out if isinstance(d, ReadError)]
    assert error.line == 2 and "invalid JSON" in error.reason


def test_broken_first_line_of_unsuffixed_jsonl_still_reads_the_rest():
    out = docs(b'{"a": 1\n{"a": 2}\n{"a": 3}\n', "stream.json")
    assert [d.value for d in out if isinstance(d, Doc)] == [{"a": 2}, {"a": 3}]
    assert [d.line for d in out if isinstance(d, ReadError)] == [1]


def test_truncated_whole_document_names_the_line():
    (error,) = docs(b'{\n "data": [\n  {"id": "1"},\n')
    assert isinstance(error, ReadError) and "invalid JSON" in error.reason


def test_non_utf8_line_names_byte_and_column():
    out = docs('{"text": "Đà"}\n'.encode("cp1258") + b'{"text": "ok"}\n', "x.jsonl")
    error = out[0]
    assert isinstance(error, ReadError) and error.line == 1
    assert "not valid utf-8" in error.reason and "column" in error.reason and "--encoding" in error.reason
    assert out[1].value == {"text": "ok"}


def test_other_encodings_on_request():
    (doc,) = docs('{"text": "Đà"}\n'.encode("cp1258"), "x.jsonl", encoding="cp1258")
    assert doc.value == {"text": "Đà"}


def test_utf8_bom_is_ignored_and_utf16_is_explained():
    assert docs(b'\xef\xbb\xbf{"a": 1}')[0].value == {"a": 1}
    (error,) = docs('{"a": 1}'.encode("utf-16"))
    assert isinstance(error, ReadError) and "UTF-16" in error.reason


def test_csv_rows_are_dicts_with_line_numbers_and_bad_rows_are_errors():
    data = 'id,text\n1,"xin chào\nHà Nội"\n2,hello,extra\n3,bye\n'.encode()
    out = list(read_csv(io.BytesIO(data), "f.csv"))
    assert out[0] == Doc({"id": "1", "text": "xin chào\nHà Nội"}, 2)
    assert isinstance(out[1], ReadError) and out[1].line == 4 and "expected 2 columns, found 3" in out[1].reason
    assert out[2] == Doc({"id": "3", "text": "bye"}, 5)


def test_expand_walks_folders_and_rejects_missing_paths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.json").write_text("{}")
    (tmp_path / "a" / "two.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    (tmp_path / "a" / "notes.txt").write_text("skip me")
    assert [p.rsplit("/", 1)[1] for p in expand([str(tmp_path / "a")])] == ["one.json", "two.jsonl.gz"]
    with pytest.raises(InputError, match="no such file"):
        expand([str(tmp_path / "missing.json")])

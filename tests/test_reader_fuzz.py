"""Property-based fuzzing of the readers and the ingest: whatever the bytes, nothing escapes as an exception,
every line is either a post or a reject, and good records interleaved with hostile ones still land."""

from __future__ import annotations

import gzip
import io
import itertools
import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicpulse.ingest.limits import Limits
from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.reader import Doc, ReadError, nesting_depth_exceeds, read_csv, read_json
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store import open_store
from conftest import mastodon_status

SMALL = Limits(max_line_bytes=4096, max_document_bytes=16_384, max_depth=20, max_text_chars=500,
               max_decompressed_bytes=1 << 20, garbage_share=1.0)
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@st.composite
def hostile_lines(draw) -> bytes:
    """One line no source accepts: odd JSON, deep nesting, a huge string, bytes that are not JSON or not UTF-8."""
    kind = draw(st.sampled_from(["value", "deep", "huge", "bytes", "truncated"]))
    if kind == "value":
        return json.dumps({"fuzz": draw(json_values)}).encode()  # json: integers past 64 bits too
    if kind == "deep":
        depth = draw(st.integers(min_value=21, max_value=1500))
        return b'{"fuzz":' + b"[" * depth + b"]" * depth + b"}"
    if kind == "huge":
        return orjson.dumps({"fuzz": "x" * draw(st.integers(min_value=4097, max_value=40_000))})
    if kind == "bytes":
        return b"\xff" + draw(st.binary(max_size=200)).replace(b"\n", b" ")
    whole = orjson.dumps(mastodon_status("999", draw(st.text(max_size=30))))
    return whole[: draw(st.integers(min_value=1, max_value=len(whole) - 1))]


@st.composite
def mixed_files(draw) -> tuple[list[bytes], list[int]]:
    """Lines of good Mastodon statuses interleaved with hostile lines; the indexes of the good ones."""
    hostile = draw(st.lists(hostile_lines(), min_size=1, max_size=12))
    good_count = draw(st.integers(min_value=1, max_value=8))
    goods = [orjson.dumps(mastodon_status(str(i), f"bài {i}")) for i in range(good_count)]
    order = draw(st.permutations(list(range(len(hostile) + good_count))))
    lines = [goods[i] if i < good_count else hostile[i - good_count] for i in order]
    return lines, [n for n, i in enumerate(order) if i < good_count]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One store for every example (a workspace each): opening a store per example would dominate the time."""
    folder = tmp_path_factory.mktemp("fuzz")
    store = open_store(str(folder / "s.duckdb"))
    yield folder, store, itertools.count()
    store.close()


def ingest(shared, data: bytes, name: str) -> tuple[object, list[dict], set[str]]:
    folder, store, counter = shared
    n = next(counter)
    workspace, path, rejects_path = f"w{n}", folder / f"{n}-{name}", folder / f"rejects-{n}.jsonl"
    path.write_bytes(data)
    writer = RejectWriter(rejects_path)
    key = KeyStore(folder / "keys").load(workspace)
    (summary,) = Ingestor(store, workspace, Pseudonymizer(key), writer, limits=SMALL).ingest_files([str(path)])
    writer.close()
    rejects = [orjson.loads(line) for line in rejects_path.read_bytes().splitlines()] if rejects_path.exists() else []
    ids = {row[0] for batch in store.iter_posts(workspace, ["post_id"]) for row in batch}
    return summary, rejects, ids


@FUZZ
@given(mixed_files(), st.booleans())
def test_good_records_land_and_every_hostile_line_is_rejected(shared, file, compressed):
    lines, good_at = file
    data = b"\n".join(lines) + b"\n"
    _, rejects, ids = ingest(shared, gzip.compress(data) if compressed else data,
                             "f.jsonl.gz" if compressed else "f.jsonl")
    assert ids == {str(i) for i in range(len(good_at))}
    rejected_lines = {r["line"] for r in rejects if r["severity"] == "error"}
    hostile_at = {n + 1 for n in range(len(lines)) if n not in good_at}
    assert rejected_lines == hostile_at
    assert all(len(orjson.dumps(r)) < 20_000 for r in rejects)


@FUZZ
@given(mixed_files(), st.data())
def test_truncated_gzip_keeps_what_came_before_and_never_raises(shared, file, data):
    lines, _ = file
    whole = gzip.compress(b"\n".join(lines) + b"\n")
    cut = data.draw(st.integers(min_value=1, max_value=len(whole) - 1))  # (an empty .gz is just empty)
    summary, _, ids = ingest(shared, whole[:cut], "f.jsonl.gz")
    assert summary.rejected >= 1  # at least the truncation itself is reported
    assert ids <= {str(i) for i in range(len(lines))}


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["x.json", "x.jsonl", "x.csv"]))
def test_readers_never_raise_on_arbitrary_bytes(data, name):
    reader = read_csv if name.endswith(".csv") else read_json
    for item in itertools.islice(reader(io.BytesIO(data), name, "utf-8", SMALL), 10_000):
        assert isinstance(item, (Doc, ReadError))
        if isinstance(item, ReadError):
            assert item.line >= 0 and item.reason


@FUZZ
@given(st.lists(st.text(max_size=30) | st.just("x" * 5000), min_size=1, max_size=6), st.data())
def test_csv_rows_are_rows_or_errors_with_their_lines(cells, data):
    header = "id,text\n"
    rows = [f'{i},"{c.replace(chr(34), "")}"' for i, c in enumerate(cells)]
    text = header + "\n".join(rows) + "\n"
    items = list(read_csv(io.BytesIO(text.encode("utf-8", "surrogatepass")), "f.csv", "utf-8", SMALL))
    assert all(isinstance(i, (Doc, ReadError)) for i in items)
    for item in items:
        if isinstance(item, ReadError) and "longer than the limit" in item.reason:
            assert item.raw.size > SMALL.max_line_bytes  # type: ignore[union-attr]


def _depth(value: object) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


nested_values = st.recursive(st.text(alphabet='[]{}"\\ab', max_size=6) | st.integers(),
                             lambda children: st.lists(children, max_size=3)
                             | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), children, max_size=3),
                             max_leaves=40)


@settings(max_examples=200, deadline=None)
@given(nested_values, st.integers(min_value=1, max_value=12))
def test_nesting_depth_matches_a_walk_of_the_parsed_value(value, max_depth):
    raw = json.dumps(value).encode()
    assert nesting_depth_exceeds(raw, max_depth) == (_depth(value) > max_depth)


def test_a_stray_utf16_mark_before_utf8_lines_is_one_bad_line(shared):
    """Found by the fuzz test above: a first line that is only a UTF-16 byte-order mark, then UTF-8 records. The
    file is not UTF-16 (no NUL bytes): that line is rejected and every record after it lands."""
    good = orjson.dumps(mastodon_status("0", "bài 0"))
    _, rejects, ids = ingest(shared, b"\xff\xfe\n" + good + b"\n", "f.jsonl")
    assert ids == {"0"}
    assert {r["line"] for r in rejects if r["severity"] == "error"} == {1}

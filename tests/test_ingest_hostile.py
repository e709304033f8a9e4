"""Hostile input: whatever one record or file holds, it is rejected alone with file:line:path and a reason,
every other record lands, memory and the rejects file stay bounded."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pytest

from civicpulse.ingest.limits import LimitError, Limits
from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store import open_store
from conftest import mastodon_status


def tweet(i: int, **metrics: object) -> dict:
    counts = {"like_count": 1, "reply_count": 0, "retweet_count": 0, "quote_count": 0, **metrics}
    return {"id": str(1000 + i), "text": f"bài số {i}", "author_id": "7", "created_at": "2026-08-01T00:00:00.000Z",
            "public_metrics": counts}


def page(*tweets: dict) -> bytes:
    return orjson.dumps({"data": list(tweets), "includes": {"users": []}})


class Run:
    def __init__(self, tmp_path: Path, keep_raw: bool = False, **limits: object):
        self.tmp = tmp_path
        self.store = open_store(str(tmp_path / "s.duckdb"))
        self.store.ensure_workspace("w", keep_raw=keep_raw)
        self.rejects_path = tmp_path / "rejects.jsonl"
        self.writer = RejectWriter(self.rejects_path)
        key = KeyStore(tmp_path / "keys").load("w")
        self.ingestor = Ingestor(self.store, "w", Pseudonymizer(key), self.writer,
                                 limits=Limits.from_env({}, **limits))

    def __call__(self, *paths: Path):
        summaries = self.ingestor.ingest_files([str(p) for p in paths])
        self.writer.close()
        return summaries

    def rejects(self) -> list[dict]:
        if not self.rejects_path.exists():
            return []
        return [orjson.loads(line) for line in self.rejects_path.read_bytes().splitlines()]

    def post_ids(self) -> set[str]:
        return {row[0] for batch in self.store.iter_posts("w", ["post_id"]) for row in batch}


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_huge_count_rejects_one_record_and_the_other_100_and_later_files_land(tmp_path):
    lines = [page(tweet(i)) for i in range(100)]
    lines.insert(50, page(tweet(999)).replace(b'"like_count":1', b'"like_count":100000000000000000000'))
    run = Run(tmp_path)
    first, second = run(write_lines(tmp_path / "a.jsonl", lines), write_lines(tmp_path / "b.jsonl", [page(tweet(500))]))
    assert (first.stored, first.rejected, second.stored) == (100, 1, 1)
    (reject,) = run.rejects()
    assert (reject["line"], reject["path"]) == (51, "$.data[0]")
    assert reject["reason"].startswith("likes:") and "64-bit" in reject["reason"]
    assert "1999" not in run.post_ids() and len(run.post_ids()) == 101


@pytest.mark.parametrize(("metrics", "path", "reason"), [
    ({"reply_count": -3}, "$.data[0]", "replies: a count cannot be negative (-3)"),
    ({"retweet_count": 2**63}, "$.data[0]", "shares: 9223372036854775808 does not fit a 64-bit count"),
    ({"like_count": True}, "$.data[0].public_metrics.like_count", "expected an integer, got a boolean"),
])
def test_counts_must_be_non_negative_whole_numbers_that_fit_the_column(tmp_path, metrics, path, reason):
    run = Run(tmp_path)
    (summary,) = run(write_lines(tmp_path / "a.jsonl", [page(tweet(1, **metrics), tweet(2))]))
    assert (summary.stored, summary.rejected) == (1, 1)
    (reject,) = run.rejects()
    assert (reject["path"], reject["reason"]) == (path, reason)


def test_reddit_score_may_be_negative(tmp_path):
    from civicpulse.ingest.validate import check_post
    from civicpulse.schema import Kind, Post

    downvoted = Post("reddit", "t1_a", Kind.COMMENT, "hmm", None, "reddit", likes=-4, replies=-1)
    errors, _ = check_post(downvoted, Limits())
    assert [e.field for e in errors] == ["replies"]


def test_nesting_300_deep_is_rejected_with_its_line_and_the_file_goes_on(tmp_path):
    lines = [page(tweet(1)), b"[" * 300 + b"]" * 300, b'{"a":' * 2000 + b"1" + b"}" * 2000, page(tweet(2))]
    run = Run(tmp_path)
    (summary,) = run(write_lines(tmp_path / "a.jsonl", lines))
    assert (summary.stored, summary.rejected) == (2, 2)
    assert [(r["line"], "nested deeper than 100 levels" in r["reason"]) for r in run.rejects()] == \
        [(2, True), (3, True)]
    assert all(len(r.get("raw_prefix", r.get("raw", ""))) <= 2**14 for r in run.rejects())


def test_deep_extra_field_in_a_keep_raw_workspace(tmp_path):
    def nested(depth: int) -> dict:
        value: dict = {}
        for _ in range(depth):
            value = {"n": value}
        return value

    lines = [orjson.dumps(mastodon_status("1", "vừa đủ sâu", extra=nested(90))),
             b'{"id": "2", "extra": ' + b'{"n":' * 300 + b"{}" + b"}" * 300 + b"}",
             orjson.dumps(mastodon_status("3", "bình thường"))]
    run = Run(tmp_path, keep_raw=True)
    (summary,) = run(write_lines(tmp_path / "m.jsonl", lines))
    assert (summary.stored, summary.rejected) == (2, 1)
    (reject,) = run.rejects()
    assert reject["line"] == 2 and "nested deeper" in reject["reason"]


def test_text_over_the_limit_is_rejected_and_a_line_over_the_limit_is_never_read(tmp_path):
    big_text = orjson.dumps(mastodon_status("2", "x" * 2_000_000))
    lines = [orjson.dumps(mastodon_status("1", "ok")), big_text, orjson.dumps(mastodon_status("3", "ok"))]
    src = write_lines(tmp_path / "m.jsonl", lines)
    run = Run(tmp_path, max_text_chars=1_000_000)
    (summary,) = run(src)
    assert (summary.stored, summary.rejected) == (2, 1)
    (reject,) = run.rejects()
    assert reject["line"] == 2 and reject["reason"].startswith("text: 2,000,000 characters")
    assert "record_sha256" in reject and len(reject["record_prefix"]) <= 1024

    (tmp_path / "second").mkdir()
    run = Run(tmp_path / "second", max_line_bytes=1 << 20)
    (summary,) = run(src)
    (reject,) = run.rejects()
    assert (summary.stored, reject["line"]) == (2, 2) and "longer than the limit of 1,048,576" in reject["reason"]
    assert reject["raw_bytes"] == len(big_text) + 1 and len(reject["raw_sha256"]) == 64


def test_gzip_bomb_stops_the_file_keeps_records_before_it_and_goes_on(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as fh:
        fh.write(page(tweet(1)) + b"\n")
        zeros = bytes(1 << 20)
        for _ in range(50):
            fh.write(zeros)
    good = write_lines(tmp_path / "after.jsonl", [page(tweet(2))])
    run = Run(tmp_path, max_decompressed_bytes=10 << 20, max_gzip_ratio=10**6)
    first, second = run(bomb, good)
    assert (first.stored, first.rejected, second.stored) == (1, 1, 1)
    (reject,) = run.rejects()
    assert "passed 10,485,760 bytes" in reject["reason"] and "CIVICPULSE_MAX_DECOMPRESSED_BYTES" in reject["reason"]


def test_gzip_ratio_guard_and_truncated_gzip(tmp_path):
    bomb = tmp_path / "zeros.json.gz"
    with gzip.open(bomb, "wb") as fh:
        for _ in range(70):
            fh.write(bytes(1 << 20))
    whole = gzip.compress(b"\n".join(page(tweet(i)) for i in range(200)) + b"\n")
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) * 2 // 3])
    run = Run(tmp_path)
    zeros, cut = run(bomb, truncated)
    assert zeros.rejected == 1 and "expands more than 200-fold" in zeros.messages[0]
    assert cut.rejected == 1 and 0 < cut.stored < 200
    assert any("corrupt or truncated gzip" in m for m in cut.messages)


def test_garbage_file_stops_early_with_a_message_and_rejects_stay_bounded(tmp_path):
    garbage = write_lines(tmp_path / "garbage.jsonl", [b'{"a":1}'] * 10_000)
    good = write_lines(tmp_path / "good.jsonl", [page(tweet(1))])
    run = Run(tmp_path)
    first, second = run(garbage, good)
    assert second.stored == 1
    assert first.rejected == 1_001  # the first 1,000 records, then the stop itself
    assert any("stopped at line 1000" in m and "does not look like" in m for m in first.messages)
    assert len(run.rejects()) == 1_001


def test_rejects_per_file_are_capped_and_counted(tmp_path):
    lines = [page(tweet(i)) if i % 2 else b"{broken" for i in range(400)]
    run = Run(tmp_path, max_rejects_per_file=50, garbage_share=1.0)
    (summary,) = run(write_lines(tmp_path / "half.jsonl", lines))
    assert (summary.stored, summary.rejected) == (200, 200)
    entries = run.rejects()
    assert len(entries) == 51 and entries[-1]["severity"] == "notice" and "50" in entries[-1]["reason"]


def test_reject_writer_never_raises(tmp_path):
    writer = RejectWriter(tmp_path / "r.jsonl")
    deep: list = []
    for _ in range(400):
        deep = [deep]
    writer.write(file="f", line=1, path="$", reason="deep", severity="error", record=deep)
    writer.write(file="f", line=2, path="$", reason="surrogate \ud800", severity="error", record={"t": "\ud800"})
    writer.write(file="f", line=3, path="$", reason="bytes", severity="error", raw=bytes(range(256)) * 1000)
    writer.close()
    entries = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert [e["line"] for e in entries] == [1, 2, 3]
    assert entries[0]["record_note"].startswith("record not kept") and entries[2]["raw_bytes"] == 256_000

    broken = RejectWriter(tmp_path / "r.jsonl" / "cannot-be-a-folder.jsonl")
    broken.write(file="f", line=1, path="$", reason="x", severity="error")
    assert broken.error and "cannot write the rejects file" in broken.error


def test_non_http_urls_are_dropped_with_a_warning(tmp_path):
    src = tmp_path / "links.jsonl"
    rows = [{"id": "1", "body": "a", "link": "javascript:alert(1)"},
            {"id": "2", "body": "b", "link": "data:text/html,x"},
            {"id": "3", "body": "c", "link": "https://example.org/p/3"}]
    write_lines(src, [orjson.dumps(r) for r in rows])
    (tmp_path / "links.mapping.toml").write_text('[columns]\npost_id = "id"\ntext = "body"\nurl = "link"\n')
    run = Run(tmp_path)
    (summary,) = run(src)
    assert (summary.stored, summary.warnings, summary.rejected) == (3, 2, 0)
    urls = {row[0]: row[1] for batch in run.store.iter_posts("w", ["post_id", "url"]) for row in batch}
    assert urls == {"1": None, "2": None, "3": "https://example.org/p/3"}
    assert all("not an http(s) link" in r["reason"] for r in run.rejects())


def test_a_file_that_cannot_be_opened_is_reported_and_later_files_land(tmp_path):
    good = write_lines(tmp_path / "good.jsonl", [page(tweet(2))])
    run = Run(tmp_path)
    gone, second = run(tmp_path / "removed-since-listed.jsonl", good)
    assert gone.rejected == 1 and "cannot open" in gone.messages[0] and second.stored == 1


def test_many_files_share_batches_but_keep_exact_per_file_counts(tmp_path):
    run = Run(tmp_path)
    first = run(*(write_lines(tmp_path / f"{i}.jsonl", [page(tweet(i))]) for i in range(5)))
    assert [s.stored for s in first] == [1] * 5
    (tmp_path / "again").mkdir()
    files = [write_lines(tmp_path / "again" / "old.jsonl", [page(tweet(0), tweet(1, like_count=9))]),
             write_lines(tmp_path / "again" / "new.jsonl", [page(tweet(7))]),
             write_lines(tmp_path / "again" / "dup.jsonl", [page(tweet(7)), page(tweet(7))])]
    run.writer = RejectWriter(None)
    run.ingestor.rejects = run.writer
    old, new, dup = run(*files)
    assert (old.unchanged, old.updated, new.stored, dup.unchanged) == (1, 1, 1, 2)
    runs = run.store._all("SELECT source, stored, updated, unchanged FROM ingest_runs ORDER BY started_at, source")
    assert [r[1:] for r in runs[-3:]] == [(0, 1, 1), (1, 0, 0), (0, 0, 2)]


def test_limits_from_environment_and_options():
    limits = Limits.from_env({"CIVICPULSE_MAX_LINE_BYTES": "2MiB", "CIVICPULSE_GARBAGE_SHARE": "75%"},
                             **Limits.parse_options(["max-depth=40"]))
    assert (limits.max_line_bytes, limits.garbage_share, limits.max_depth) == (2 << 20, 0.75, 40)
    with pytest.raises(LimitError, match="CIVICPULSE_MAX_DEPTH"):
        Limits.from_env({"CIVICPULSE_MAX_DEPTH": "deep"})
    with pytest.raises(LimitError, match="NAME=VALUE"):
        Limits.parse_options(["max-nothing=1"])


def test_cli_hostile_files_exit_2_without_traceback_and_later_files_land(run_cli, tmp_path):
    lines = [page(tweet(i)) for i in range(100)]
    lines.insert(50, page(tweet(999)).replace(b'"like_count":1', b'"like_count":100000000000000000000'))
    lines.insert(10, b"[" * 300 + b"]" * 300)
    hostile = write_lines(tmp_path / "a.jsonl", lines)
    bomb = tmp_path / "b.jsonl.gz"
    bomb.write_bytes(gzip.compress(bytes(80 << 20), compresslevel=1))
    later = write_lines(tmp_path / "c.jsonl", [page(tweet(500))])
    result = run_cli("ingest", str(hostile), str(bomb), str(later), "-w", "city", "--rejects",
                     str(tmp_path / "rejects.jsonl"), "--limit", "max-depth=64")
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{hostile}:11: $: nested deeper than 64 levels" in result.stderr
    assert f"{hostile}:52: $.data[0]: likes:" in result.stderr
    assert "expands more than 200-fold" in result.stderr
    assert "posts: 101" in run_cli("stats").stdout


def test_cli_bad_limit_and_non_utf8_mapping_are_one_line_errors(run_cli, tmp_path):
    src = write_lines(tmp_path / "a.jsonl", [page(tweet(1))])
    bad = run_cli("ingest", str(src), "-w", "city", "--limit", "max-line-bytes=lots")
    assert bad.code == 1 and "max-line-bytes" in bad.stderr and "Traceback" not in bad.stderr
    mapping = tmp_path / "m.toml"
    mapping.write_bytes('[columns]\npost_id = "id"\ntext = "Đà"\n'.encode("utf-16"))
    result = run_cli("ingest", str(src), "-w", "city", "--mapping", str(mapping))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"{mapping}: cannot read mapping: not valid UTF-8" in result.stderr.replace("\n", "")


def test_upload_job_reports_each_file_and_goes_on_after_a_bad_one(tmp_path, monkeypatch):
    from civicpulse.runtime.job_handlers import make_handlers
    from civicpulse.runtime.jobs import Job
    from civicpulse.store.duckdb_store import DuckDBStore

    monkeypatch.setenv("CIVICPULSE_MAX_DECOMPRESSED_BYTES", "1MiB")
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(page(tweet(1)) + b"\n" + bytes(4 << 20)))
    lines = [page(tweet(2)), page(tweet(3)).replace(b'"like_count":1', b'"like_count":-1')]
    good = write_lines(tmp_path / "good.jsonl", lines)
    db = DuckDBStore(str(tmp_path / "s.duckdb"))
    job = Job("ingest", "w", "analyst", {"paths": [str(bomb), str(good)], "names": ["bomb.jsonl.gz", "good.jsonl"],
                                         "analyze": False})
    result = make_handlers(tmp_path / "keys", tmp_path / "rejects")["ingest"](db, job)
    first, second = result["files"]
    assert (first["file"], first["stored"], first["rejected"]) == ("bomb.jsonl.gz", 1, 1)
    assert "CIVICPULSE_MAX_DECOMPRESSED_BYTES" in first["messages"][0]
    assert (second["stored"], second["rejected"]) == (1, 1)
    assert [(r["file"], r["line"]) for r in result["rejects"]] == [("bomb.jsonl.gz", 2), ("good.jsonl", 2)]


def test_docs_list_every_limit():
    doc = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
    for name in Limits.names():
        assert f"`CIVICPULSE_{name.upper()}`" in doc and name.replace("_", "-") in doc, name


def test_a_long_line_inside_a_pretty_printed_document_is_part_of_it(tmp_path):
    statuses = [mastodon_status(str(i), "x" * 200) for i in range(8_000)]
    src = tmp_path / "timeline.json"  # its third line is ~1.6 MB and starts with a comma
    src.write_bytes(b"[\n" + orjson.dumps(statuses[0]) + b"\n, " + orjson.dumps(statuses[1:])[1:-1] + b"\n]\n")
    run = Run(tmp_path)
    (summary,) = run(src)
    assert (summary.stored, summary.rejected) == (8_000, 0)

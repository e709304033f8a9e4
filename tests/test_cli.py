"""The real `civicpulse` entry point, run as a user would."""

import csv
import gzip
import io
import json

import pyarrow.parquet as pq

from civicpulse.store import open_store
from conftest import mastodon_status, write_json


def test_help_everywhere(run_cli):
    for args in ([], ["ingest"], ["export"], ["workspaces"], ["stats"], ["formats"], ["keys", "rotate"]):
        result = run_cli(*args, "--help")
        assert result.code == 0 and "Usage:" in result.stdout, args


def test_ingest_twice_is_idempotent_and_summarised(run_cli, tmp_path):
    src = write_json(tmp_path / "timeline.json", [mastodon_status("1", "Kẹt xe ở Q1"), mastodon_status("2", "Ngập")])
    first = run_cli("ingest", str(src), "--workspace", "city")
    assert first.code == 0, first.stderr
    assert "timeline.json" in first.stdout and "mastodon" in first.stdout
    second = run_cli("ingest", str(src), "--workspace", "city")
    assert second.code == 0
    row = next(line for line in second.stdout.splitlines() if "timeline.json" in line)
    assert [c.strip() for c in row.split("│")[3:10]] == ["2", "0", "0", "2", "0", "0", "0"]  # read..rejected
    assert "posts: 2" in run_cli("stats", "--workspace", "city").stdout


def test_edit_is_recorded(run_cli, tmp_path):
    run_cli("ingest", str(write_json(tmp_path / "a.json", [mastodon_status("1", "giá xăng tăng")])), "-w", "city")
    edited = mastodon_status("1", "giá xăng tăng lần 3", edited_at="2026-09-14T09:00:00.000Z")
    run_cli("ingest", str(write_json(tmp_path / "b.json", [edited])), "-w", "city")
    (post,) = [json.loads(line) for line in run_cli("export", "-w", "city").stdout.splitlines()]
    assert post["text"] == "giá xăng tăng lần 3" and post["edited"] is True


def test_bad_records_are_rejected_with_file_line_and_field_and_good_ones_land(run_cli, tmp_path):
    good = json.dumps(mastodon_status("1", "ok"))
    wrong_type = json.dumps(mastodon_status("2", "bad time", created_at=12.5e20))
    lines = [good, wrong_type, good[: len(good) // 2], json.dumps({"error": "Not Found"}), json.dumps({"foo": 1})]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")
    result = run_cli("ingest", str(src), "-w", "city", "--rejects", str(tmp_path / "rejects.jsonl"))
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert f"{src}:2: $.created_at:" in result.stderr
    assert f"{src}:3: $: invalid JSON" in result.stderr
    assert f"{src}:4: $: API error body: Not Found" in result.stderr
    assert f"{src}:5: $: unknown format" in result.stderr
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [(r["line"], r["path"]) for r in rejects] == [(2, "$.created_at"), (3, "$"), (4, "$"), (5, "$")]
    assert rejects[0]["record"]["id"] == "2" and rejects[1]["raw"] == good[: len(good) // 2]
    assert "posts: 1" in run_cli("stats").stdout


def test_non_utf8_input_is_reported_not_crashed(run_cli, tmp_path):
    src = tmp_path / "latin.jsonl"
    src.write_bytes(json.dumps(mastodon_status("1", "Đà")).encode().replace(b"\\u0110", "Đ".encode("cp1258"))
                    + b"\n" + json.dumps(mastodon_status("2", "ok")).encode() + b"\n")
    result = run_cli("ingest", str(src), "-w", "city")
    assert result.code == 2 and f"{src}:1: $: not valid utf-8" in result.stderr
    assert "posts: 1" in run_cli("stats").stdout


def test_stdin_gzip_and_folders(run_cli, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json.gz").write_bytes(gzip.compress(json.dumps([mastodon_status("1", "một")]).encode()))
    write_json(folder / "b.json", mastodon_status("2", "hai"))
    assert run_cli("ingest", str(folder), "-w", "city").code == 0
    piped = run_cli("ingest", "-", "-w", "city", stdin=json.dumps(mastodon_status("3", "ba")).encode())
    assert piped.code == 0
    assert "posts: 3" in run_cli("stats").stdout


def test_fatal_errors_exit_1_with_one_line(run_cli, tmp_path):
    missing = run_cli("ingest", str(tmp_path / "nope.json"), "-w", "city")
    assert missing.code == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad_format = run_cli("ingest", "-", "-w", "city", "--format", "myspace", stdin=b"{}")
    assert bad_format.code == 1 and "unknown format 'myspace'" in bad_format.stderr
    bad_ws = run_cli("ingest", "-", "-w", "../x", stdin=b"{}")
    assert bad_ws.code == 1 and "invalid workspace name" in bad_ws.stderr
    assert run_cli("export", "-w", "ghost").code == 1


def test_csv_needs_a_mapping_and_uses_the_one_beside_it(run_cli, tmp_path):
    csv_file = tmp_path / "hotline.csv"
    csv_file.write_text("ma,noi_dung,thoi_gian\nA1,Mất nước ở Thủ Đức,2026-09-01 07:00\n", encoding="utf-8")
    no_mapping = run_cli("ingest", str(csv_file), "-w", "city")
    assert no_mapping.code == 2 and "needs a column mapping" in no_mapping.stderr
    (tmp_path / "hotline.mapping.toml").write_text(
        '[columns]\npost_id = "ma"\ntext = "noi_dung"\ncreated_at = "thoi_gian"\n'
        '[options]\ntimezone = "Asia/Ho_Chi_Minh"\n')
    assert run_cli("ingest", str(csv_file), "-w", "city").code == 0
    (post,) = [json.loads(line) for line in run_cli("export", "-w", "city").stdout.splitlines()]
    assert post["created_at"] == "2026-09-01T00:00:00Z" and post["source_format"] == "csv"


def test_export_formats_and_audit(run_cli, tmp_path):
    src = write_json(tmp_path / "t.json", [mastodon_status(str(i), f"bài {i}") for i in range(3)])
    run_cli("ingest", str(src), "-w", "city")
    jsonl = [json.loads(line) for line in run_cli("export", "-w", "city", "-f", "jsonl").stdout.splitlines()]
    assert len(jsonl) == 3 and jsonl[0]["created_at"].endswith("Z") and jsonl[0]["author_key"].startswith("1.")
    csv_out = run_cli("export", "-w", "city", "-f", "csv").stdout.splitlines()
    assert csv_out[0].startswith("workspace,platform,post_id") and len(csv_out) == 4
    assert run_cli("export", "-w", "city", "-f", "parquet").code == 1  # binary needs --out
    assert run_cli("export", "-w", "city", "-f", "parquet", "-o", str(tmp_path / "p.parquet")).code == 0
    table = pq.read_table(tmp_path / "p.parquet")
    assert table.num_rows == 3 and table.column("text").to_pylist()[0] == "bài 0"
    assert set(jsonl[0]) == set(table.column_names)
    with open_store(str(run_cli.db)) as store:
        actions = [(e["workspace"], e["action"]) for e in store.audit_entries("city")]
    assert actions == [("city", "export")] * 3  # jsonl, csv, parquet file; the refused one wrote no entry


def test_workspaces_create_list_and_keep_raw(run_cli, tmp_path):
    assert run_cli("workspaces", "create", "newsroom", "--keep-raw").code == 0
    assert run_cli("workspaces", "create", "newsroom").code == 1
    listing = run_cli("workspaces").stdout
    assert "newsroom" in listing and "yes" in listing
    assert (tmp_path / "store.duckdb.keys" / "newsroom.key").exists()


def test_formats_lists_every_platform(run_cli):
    listing = run_cli("formats").stdout
    for platform in ("x", "youtube", "facebook", "instagram", "reddit", "mastodon", "bluesky", "telegram",
                     "tiktok"):
        assert f" {platform} " in listing, platform


def test_jsonl_with_a_mapping_beside_it_is_read_as_mapped(run_cli, tmp_path):
    src = tmp_path / "portal.jsonl"
    src.write_text(json.dumps({"ref": 1, "body": "Đèn đường hỏng", "at": 1788230000, "who": {"phone": "0909"}})
                   + "\n", encoding="utf-8")
    (tmp_path / "portal.mapping.toml").write_text(
        '[columns]\npost_id = "ref"\ntext = "body"\ncreated_at = "at"\nauthor_id = "who.phone"\n')
    result = run_cli("ingest", str(src), "-w", "city")
    assert result.code == 0, result.stderr
    (post,) = [json.loads(line) for line in run_cli("export", "-w", "city").stdout.splitlines()]
    assert post["source_format"] == "jsonl" and post["post_id"] == "1" and post["author_key"].startswith("1.")


def test_csv_export_neutralises_formulas_and_jsonl_parquet_stay_exact(run_cli, tmp_path):
    texts = ["=1+1", "+84 90 123", "-2 độ", "@(1)", "＝HYPERLINK()", "bình thường"]
    src = write_json(tmp_path / "t.json", [mastodon_status(str(i), t) for i, t in enumerate(texts)])
    assert run_cli("ingest", str(src), "-w", "city").code == 0
    jsonl = {p["post_id"]: p["text"] for p in map(json.loads, run_cli("export", "-w", "city").stdout.splitlines())}
    assert sorted(jsonl.values()) == sorted(texts)  # exact, triggers and all
    rows = list(csv.DictReader(io.StringIO(run_cli("export", "-w", "city", "-f", "csv").stdout)))
    quoted = {k: t if t == "bình thường" else "'" + t for k, t in jsonl.items()}
    assert {r["post_id"]: r["text"] for r in rows} == quoted
    assert {r["likes"] for r in rows} == {"3"}  # numbers are not touched
    assert run_cli("export", "-w", "city", "-f", "parquet", "-o", str(tmp_path / "p.parquet")).code == 0
    assert sorted(pq.read_table(tmp_path / "p.parquet").column("text").to_pylist()) == sorted(texts)


def test_serve_refuses_a_malformed_webhook_allow_list_clearly(run_cli):
    result = run_cli("serve", "--port", "0", "--webhook-allow", "10.0.0.0/8, 10.0.0.0/33")
    assert result.code == 1 and "CIVICPULSE_WEBHOOK_ALLOW: '10.0.0.0/33'" in result.stderr
    assert "Traceback" not in result.stderr and not run_cli.db.exists()  # refused before the store was opened

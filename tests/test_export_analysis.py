"""`export --with-analysis`: posts with their labels in JSONL, CSV and Parquet, locally and through a server."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uvicorn
from click.testing import CliRunner

from civicpulse.analysis.enrich import enrich_workspace
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analytics.posts import get_post
from civicpulse.cli import main
from civicpulse.export import ANALYSIS_COLUMNS, EXPORT_COLUMNS, LIST_SEPARATOR, export_columns
from civicpulse.handoff import ServerInfo, publish
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.app import create_app

TEXTS = ["Ngập nặng ở Thủ Đức, TP.HCM, khổ quá 😭 #ngapnuoc", "=HYPERLINK(\"http://x\") kẹt xe ở Cầu Giấy, Hà Nội",
         "Traffic jam again on Nguyen Hue street, so annoying", "Cảm ơn công an Hà Nội, tuyệt vời quá ❤️"]
LATE = "-1 bài chưa phân tích ở Đà Nẵng"  # arrives after the analysis ran: its labels stay empty


def seed(store: DuckDBStore) -> dict[str, dict]:
    """Four analysed posts and one not analysed; returns the post explorer's view of each (the truth)."""
    store.ensure_workspace("city")
    posts = [Post("mastodon", str(i), Kind.POST, t, datetime(2026, 9, 1 + i, 8), "mastodon", author_key=f"1.{i:018x}",
                  url=f"https://social.example/{i}", language="vi" if i == 2 else None)
             for i, t in enumerate(TEXTS)]
    store.upsert_posts("city", posts)
    enrich_workspace(store, "city", Analyzer(mode="fast"), discover=False)
    store.upsert_posts("city", [Post("mastodon", "9", Kind.POST, LATE, datetime(2026, 9, 9, 8), "mastodon",
                                     author_key="1.late", url="https://social.example/9")])
    return {str(i): get_post(store, "city", "mastodon", str(i)) for i in (0, 1, 2, 3)}


def place_label(place: dict) -> str:
    province = place["province_2025"]
    return place["name"] if not province or province == place["name"] else f"{place['name']}, {province}"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, dict]]]:
    db = str(tmp_path_factory.mktemp("export") / "s.duckdb")
    store = DuckDBStore(db)
    truth = seed(store)
    store.close()
    yield db, truth


def cli(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.output


def export(db: str, tmp: Path, fmt: str, *flags: str) -> Path:
    out = tmp / f"posts.{fmt}"
    code, output = cli(db, "export", "-w", "city", "-f", fmt, "-o", str(out), *flags)
    assert code == 0, output
    return out


def check_labels(rows: dict[str, dict], truth: dict[str, dict]) -> None:
    assert any(p["topics"] for p in truth.values()) and any(p["places"] for p in truth.values())  # a real check
    for post_id, post in truth.items():
        row = rows[post_id]
        assert (row["language"], row["sentiment"], row["emotion"]) == (post["language"], post["sentiment"],
                                                                        post["emotion"])
        assert row["sentiment_score"] == pytest.approx(post["sentiment_score"])
        assert row["topics"] == post["topics"]
        assert row["places"] == sorted({place_label(p) for p in post["places"] if p["name"]})


def test_jsonl_and_parquet_carry_labels_as_lists_and_nothing_for_posts_not_analysed(seeded, tmp_path) -> None:
    db, truth = seeded
    jsonl = [json.loads(line) for line in export(db, tmp_path, "jsonl", "--with-analysis").read_text().splitlines()]
    assert list(jsonl[0]) == list(export_columns(True))
    rows = {r["post_id"]: r for r in jsonl}
    check_labels(rows, truth)
    assert rows["2"]["platform_language"] == "vi" and "author_key" in rows["2"]
    assert all(rows["9"][c] is None for c in ANALYSIS_COLUMNS) and rows["9"]["text"] == LATE

    table = pq.read_table(export(db, tmp_path, "parquet", "--with-analysis"))
    assert table.column_names == list(export_columns(True))
    assert table.schema.field("topics").type == pa.list_(pa.string())
    assert table.schema.field("sentiment_score").type == pa.float64()
    assert {r["post_id"]: r for r in table.to_pylist()}.keys() == rows.keys()
    for got in table.to_pylist():
        want = rows[got["post_id"]]
        assert {c: got[c] for c in ANALYSIS_COLUMNS} == {c: want[c] for c in ANALYSIS_COLUMNS}


def test_csv_joins_lists_into_one_readable_cell_and_keeps_formulas_inert(seeded, tmp_path) -> None:
    db, truth = seeded
    rows = {r["post_id"]: r for r in csv.DictReader(io.StringIO(
        export(db, tmp_path, "csv", "--with-analysis").read_text(encoding="utf-8")))}
    assert rows["1"]["text"] == "'" + TEXTS[1] and rows["9"]["text"] == "'" + LATE
    for post_id, post in truth.items():
        assert rows[post_id]["topics"] == LIST_SEPARATOR.join(post["topics"])
        assert rows[post_id]["places"] == LIST_SEPARATOR.join(sorted({place_label(p) for p in post["places"]}))
        assert float(rows[post_id]["sentiment_score"]) == pytest.approx(post["sentiment_score"])
    assert all(rows["9"][c] == "" for c in ANALYSIS_COLUMNS)


def test_without_the_flag_the_columns_stay_as_they_were(seeded, tmp_path) -> None:
    db, _ = seeded
    first = json.loads(export(db, tmp_path, "jsonl").read_text().splitlines()[0])
    assert list(first) == list(EXPORT_COLUMNS) and "sentiment" not in first


# --- while a server holds the store -----------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, DuckDBStore]]:
    """A real server on loopback holding the store, found by the CLI through its hand-off file."""
    db = str(tmp_path / "s.duckdb")
    store = DuckDBStore(db)
    seed(store)
    app = create_app(store, keys_dir=tmp_path / "keys", background=False)
    app.state.local_token = "s3cret"
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    publish(db, ServerInfo(f"http://127.0.0.1:{port}", os.getpid(), "s3cret"))
    try:
        yield db, store
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def test_export_and_topics_are_answered_by_a_running_server(served, tmp_path) -> None:
    db, store = served
    out = tmp_path / "posts.csv"
    code, output = cli(db, "export", "-w", "city", "-f", "csv", "--with-analysis", "-o", str(out))
    assert code == 0 and "answers this export" in output, output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 5 and list(rows[0]) == list(export_columns(True))
    assert {r["post_id"]: r["text"] for r in rows}["1"] == "'" + TEXTS[1]

    code, output = cli(db, "export", "-w", "city")  # to stdout
    assert code == 0 and {json.loads(line)["post_id"] for line in output.splitlines() if line.startswith("{")} \
        == {"0", "1", "2", "3", "9"}
    parquet = tmp_path / "p.parquet"
    assert cli(db, "export", "-w", "city", "-f", "parquet", "--with-analysis", "-o", str(parquet))[0] == 0
    assert pq.read_table(parquet).num_rows == 5
    code, output = cli(db, "export", "-w", "nowhere", "-o", str(tmp_path / "x.jsonl"))
    assert code == 1 and "no workspace 'nowhere'" in output and not (tmp_path / "x.jsonl").exists()

    code, output = cli(db, "topics", "-w", "city")  # no discovery ran: the server says so, not "use the web app"
    assert code == 1 and "no discovered topics yet" in output and "web app" not in output
    enrich_workspace(store, "city", Analyzer(mode="fast"), discover=True)
    code, output = cli(db, "topics", "-w", "city")
    assert code == 0 and "status" in output, output
    audit = [e["detail"] for e in store.audit_entries("city") if e["action"] == "export"]
    assert len(audit) == 3 and all("via=server" in d for d in audit)

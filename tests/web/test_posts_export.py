"""The web app's posts export: analysts download posts with their labels; formulas stay inert, authors stay out."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from civicpulse.accounts import Accounts
from civicpulse.analytics.posts import get_post
from civicpulse.export import ANALYSIS_COLUMNS, LIST_SEPARATOR
from civicpulse.schema import Kind, Post

from .conftest import sign_in


def test_analysts_export_posts_with_labels_and_without_author_pseudonyms(server, app, app_store) -> None:
    arun = sign_in(app, "arun")
    response = arun.get("/api/w/city/export", params={"format": "csv", "with_analysis": "true"})
    assert response.status_code == 200, response.text
    assert 'filename="city-posts-analysis.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 120 and "author_key" not in rows[0] and set(ANALYSIS_COLUMNS) <= set(rows[0])
    for row in rows[:8]:
        post = get_post(app_store, "city", row["platform"], row["post_id"])
        assert (row["sentiment"], row["emotion"], row["language"]) == (post["sentiment"], post["emotion"],
                                                                        post["language"])
        assert row["topics"] == LIST_SEPARATOR.join(post["topics"]) and row["url"] == post["url"]

    plain = [json.loads(line) for line in arun.get("/api/w/city/export", params={"format": "jsonl"}).text.splitlines()]
    assert len(plain) == 120 and "sentiment" not in plain[0] and "author_key" not in plain[0]
    parquet = pq.read_table(pa.BufferReader(arun.get("/api/w/city/export", params={
        "format": "parquet", "with_analysis": "true"}).content))
    assert parquet.num_rows == 120 and parquet.schema.field("places").type == pa.list_(pa.string())
    details = [e["detail"] for e in app_store.audit_entries("city") if e["action"] == "export.posts"]
    assert "format=csv posts=120 with_analysis=True" in details


def test_posts_export_neutralises_formula_cells(server, app, app_store) -> None:
    app_store.ensure_workspace("formulas")
    app_store.upsert_posts("formulas", [Post("mastodon", "f1", Kind.POST, "=cmd|' /C calc'!A0", datetime(2026, 9, 1),
                                             "mastodon", author_key="1.f", url="https://social.example/f1")])
    Accounts(app_store).grant("formulas", "arun", "analyst")
    rows = list(csv.DictReader(io.StringIO(sign_in(app, "arun").get(
        "/api/w/formulas/export", params={"format": "csv", "with_analysis": "true"}).text)))
    assert rows[0]["text"] == "'=cmd|' /C calc'!A0" and rows[0]["sentiment"] == "" and rows[0]["topics"] == ""


def test_viewers_and_outsiders_cannot_export_posts(server, app) -> None:
    assert sign_in(app, "vera").get("/api/w/city/export").status_code == 403
    assert sign_in(app, "olga").get("/api/w/city/export").status_code == 404
    assert sign_in(app, "arun").get("/api/w/city/export", params={"format": "xlsx"}).status_code == 422

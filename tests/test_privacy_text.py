"""End to end: no handle or name of a person survives in stored text, exports or analysed text.

Ingest through the CLI, export as JSONL and CSV, analyse, and read `posts.text` and `post_analysis.folded_text`
straight from the store.
"""

from __future__ import annotations

import csv
import io
import json

from civicpulse.store import open_store
from conftest import mastodon_status, write_json

# Everything below identifies someone: the author (handle, acct, display name) or people the posts link to.
SECRETS = ("lan_anh", "lananh", "lan anh", "nguyễn", "nguyen", "thu_trang", "spez", "minh.tuan", "hoang_nam")


def tweet(status_id: str, text: str) -> dict:
    """A small project-written X API v1.1 tweet whose author is @thu_trang ("Thu Trang Lê")."""
    return {
        "id_str": status_id, "created_at": "Mon Sep 14 08:15:00 +0000 2026", "full_text": text, "lang": "vi",
        "user": {"id_str": "783214999", "screen_name": "thu_trang", "name": "Thu Trang Lê", "location": "Huế"},
        "entities": {"user_mentions": [{"screen_name": "hoang_nam", "name": "Hoàng Văn Nam", "id_str": "5"}]},
        "retweet_count": 0, "favorite_count": 1,
    }


def ingest_sample(run_cli, tmp_path) -> None:
    statuses = [
        mastodon_status("1", "Lan Anh Nguyễn đây, theo dõi mình ở https://www.instagram.com/lan_anh/ hoặc "
                             "t.me/lananh nhé. Kẹt xe ở Hà Nội quá"),
        mastodon_status("2", "lan anh nguyen đi làm muộn vì ngập ở Quận 1; xem https://twitter.com/lan_anh và "
                             "https://vnexpress.net/ngap-quan-1-4712345.html"),
        mastodon_status("3", "Hỏi u/spez hay reddit.com/user/spez, hoặc https://www.facebook.com/minh.tuan.92"),
    ]
    folder = tmp_path / "input"
    folder.mkdir()
    write_json(folder / "statuses.json", statuses)
    write_json(folder / "tweets.json", [
        tweet("1380242350186897408", "Thu Trang Lê here: giá xăng tăng, Hoàng Văn Nam nói đúng "
                                     "https://twitter.com/thu_trang/status/1380242350186897400"),
    ])
    result = run_cli("ingest", str(folder), "-w", "city")
    assert result.code == 0, result.stderr


def assert_clean(text: str, where: str) -> None:
    folded = text.lower()
    for secret in SECRETS:
        assert secret not in folded, f"{secret!r} survives in {where}: {text!r}"


def test_no_handle_or_name_survives_ingest_export_and_analysis(run_cli, tmp_path):
    ingest_sample(run_cli, tmp_path)

    exported = [json.loads(line) for line in run_cli("export", "-w", "city", "-f", "jsonl").stdout.splitlines()]
    assert len(exported) == 4
    for post in exported:
        assert_clean(post["text"], f"JSONL export of {post['post_id']}")
        assert_clean(post["url"] or "", f"JSONL url of {post['post_id']}")
    csv_rows = list(csv.DictReader(io.StringIO(run_cli("export", "-w", "city", "-f", "csv").stdout)))
    assert len(csv_rows) == 4
    for row in csv_rows:
        assert_clean(row["text"], f"CSV export of {row['post_id']}")

    # What the posts said is still there: places, topics and news links are not people.
    texts = {p["post_id"]: p["text"] for p in exported}
    assert texts["1"].startswith("[author] đây, theo dõi mình ở [profile link] hoặc [profile link] nhé.")
    assert "Kẹt xe ở Hà Nội quá" in texts["1"]
    assert "https://vnexpress.net/ngap-quan-1-4712345.html" in texts["2"] and "Quận 1" in texts["2"]
    assert texts["3"] == "Hỏi @user hay [profile link], hoặc [profile link]"
    assert texts["1380242350186897408"] == ("[author] here: giá xăng tăng, @user nói đúng "
                                            "https://x.com/i/web/status/1380242350186897400")

    result = run_cli("analyze", "-w", "city", "--mode", "fast", "--no-discovery", "--no-progress")
    assert result.code == 0, result.stderr
    with open_store(str(run_cli.db)) as store:
        stored = store.query("SELECT post_id, text FROM posts WHERE workspace = 'city'")
        folded = store.query("SELECT post_id, folded_text FROM post_analysis WHERE workspace = 'city'")
    assert len(stored) == 4 and len(folded) == 4
    for post_id, text in stored:
        assert_clean(text, f"posts.text of {post_id}")
    for post_id, text in folded:
        assert_clean(text, f"post_analysis.folded_text of {post_id}")
    assert "ket xe o ha noi" in dict(folded)["1"]  # folded_text is the redacted text, folded

"""`workspaces set --retention-days`, `retention show|set|apply`, `audit purge` and `workspaces delete`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from civicpulse.cli import main
from civicpulse.ingest.pseudonymize import KeyStore
from civicpulse.schema import Kind, Post
from civicpulse.store.duckdb_store import DuckDBStore


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)


def seeded(tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    with DuckDBStore(str(db)) as store:
        for ws in ("city", "city-2"):
            store.ensure_workspace(ws)
            KeyStore(f"{db}.keys").load(ws)
            store.upsert_posts(ws, [Post("x", f"{age}", Kind.POST, "kẹt xe", _now() - timedelta(days=age), "x-v2",
                                         author_key="1.ab") for age in (400, 40, 4)])
            store.audit("someone", ws, "view.overview", "ancient")
        store.execute("UPDATE audit_log SET logged_at = ?", [_now() - timedelta(days=500)])
    return db


def posts(db: Path, workspace: str) -> set[str]:
    with DuckDBStore(str(db), read_only=True) as store:
        return {r[0] for r in store.query("SELECT post_id FROM posts WHERE workspace = ?", [workspace])}


def test_retention_is_set_shown_and_applied(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    assert cli(db, "workspaces", "set", "city", "--retention-days", "30").exit_code == 0
    shown = cli(db, "retention", "show").output
    assert "audit log: 365 days" in shown and "30 days" in shown and "forever" in shown
    applied = cli(db, "retention", "apply", "--workspace", "city")
    assert applied.exit_code == 0 and "city: 2 posts older than 30 days deleted" in applied.output
    assert posts(db, "city") == {"4"} and posts(db, "city-2") == {"400", "40", "4"}  # only that workspace
    assert "keeps its posts forever" in cli(db, "retention", "apply", "-w", "city-2").output
    assert cli(db, "retention", "set", "--audit-days", "0").exit_code == 2
    assert cli(db, "retention", "set", "--audit-days", "100").exit_code == 0
    everything = cli(db, "retention", "apply")
    assert "audit log: 2 rows purged" in everything.output, everything.output
    assert cli(db, "workspaces", "set", "city", "--retention-days", "0").exit_code == 0
    with DuckDBStore(str(db), read_only=True) as store:
        actions = [e["action"] for e in store.audit_entries()]
    assert actions.count("settings.retention") == 3 and "retention.apply" in actions and "audit.purge" in actions
    assert "forever" in cli(db, "retention", "show").output.split("city ")[1]


def test_audit_purge_asks_first(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    refused = cli(db, "audit", "purge", "--older-than", "30")
    assert refused.exit_code == 1 and "--yes" in refused.output
    done = cli(db, "audit", "purge", "--older-than", "30", "--yes")
    assert done.exit_code == 0 and "2 audit-log rows older than 30 days deleted" in done.output


def test_workspaces_delete_removes_the_workspace_its_key_and_files(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    rejects = Path(f"{db}.rejects")
    rejects.mkdir()
    (rejects / "city-20261201T000000.jsonl").write_text("{}\n")
    (rejects / "city-2-20261201T000000.jsonl").write_text("{}\n")  # another workspace's, however alike
    refused = cli(db, "workspaces", "delete", "city")
    assert refused.exit_code == 1 and "--yes" in refused.output and posts(db, "city")
    assert cli(db, "workspaces", "delete", "nowhere", "--yes").exit_code == 1
    done = cli(db, "workspaces", "delete", "city", "--yes")
    assert done.exit_code == 0 and "posts 3" in done.output and "2 file(s) removed" in done.output
    assert not posts(db, "city") and len(posts(db, "city-2")) == 3
    assert sorted(p.name for p in Path(f"{db}.keys").iterdir()) == ["city-2.key"]
    assert [p.name for p in rejects.iterdir()] == ["city-2-20261201T000000.jsonl"]
    assert "city-2" in cli(db, "workspaces").output

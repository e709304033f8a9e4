from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
CLI = Path(sys.executable).with_name("civicpulse")


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run the installed `civicpulse` entry point against a store in tmp_path."""
    db = tmp_path / "store.duckdb"

    def run(*args: str, stdin: bytes | None = None, db_path: Path | None = None) -> Result:
        env = {**os.environ, "COLUMNS": "200"}
        # A bound against a hung command, not a speed check: `train` alone takes about a minute on a busy 2-core
        # machine, and CI runs two test processes side by side.
        proc = subprocess.run([str(CLI), "--db", str(db_path or db), *args], input=stdin, capture_output=True,
                              env=env, timeout=300, cwd=tmp_path)
        return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())

    run.db = db  # type: ignore[attr-defined]
    return run


def mastodon_status(status_id: str, text: str, account_id: str = "42", acct: str = "lan_anh@social.vn",
                    **extra: object) -> dict:
    """A small project-written Mastodon status in the API v1 shape."""
    status = {
        "id": status_id, "uri": f"https://social.vn/users/lan_anh/statuses/{status_id}",
        "url": f"https://social.vn/@lan_anh/{status_id}", "created_at": "2026-09-14T08:15:00.000Z",
        "in_reply_to_id": None, "language": "vi", "content": f"<p>{text}</p>", "spoiler_text": "",
        "replies_count": 1, "reblogs_count": 2, "favourites_count": 3, "edited_at": None, "reblog": None,
        "account": {"id": account_id, "username": acct.split("@")[0], "acct": acct,
                    "display_name": "Lan Anh Nguyễn", "note": "<p>Sống ở Sài Gòn</p>"},
    }
    status.update(extra)
    return status


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the session (started on first use)."""
    from pg_cluster import Cluster, available

    why = available()
    if why:
        pytest.skip(why)
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["duckdb", "postgres"])
def store_url(request, tmp_path) -> str:
    """A new, empty store on each backend: a DuckDB file path, or a fresh PostgreSQL database's URL."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def module_store_url(request, tmp_path_factory) -> str:
    """`store_url` for a store a whole module shares (built once per backend)."""
    if request.param == "duckdb":
        return str(tmp_path_factory.mktemp("store") / "store.duckdb")
    return request.getfixturevalue("pg_cluster").new_database()

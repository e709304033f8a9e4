"""The store (and its WAL), keys, rejected records and uploads are readable by the server's user only, whatever
the umask the process started with."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from civicpulse.accounts import Accounts
from civicpulse.fs import private_dir, private_file, write_secret_file
from civicpulse.ingest.pseudonymize import KeyStore
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web import create_app
from web.conftest import PASSWORD


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0)  # the loosest start: files would be 0666, folders 0777
    yield
    os.umask(previous)


@pytest.mark.usefixtures("loose_umask")
def test_helpers_set_private_modes(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    file = private_file(shared / "new" / "deeper" / "x.jsonl")
    assert mode(file) == 0o600 and file.read_bytes() == b""
    assert mode(shared / "new") == mode(shared / "new" / "deeper") == 0o700  # created on the way: private
    assert mode(shared) == 0o755  # already there: left as it was
    existing = shared / "old.txt"
    existing.write_text("kept")
    os.chmod(existing, 0o644)
    assert mode(private_file(existing)) == 0o600 and existing.read_text() == "kept"
    assert mode(private_dir(shared / "d")) == 0o700


@pytest.mark.usefixtures("loose_umask")
def test_a_key_file_is_written_whole_private_and_never_over_another(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "w.key"
    assert write_secret_file(key, b"first")
    assert mode(key) == 0o600 and mode(key.parent) == 0o700 and key.read_bytes() == b"first"
    # A second process creating the same key loses the race and reads the first one: nothing is overwritten.
    assert not write_secret_file(key, b"second")
    assert key.read_bytes() == b"first"
    assert write_secret_file(key, b"rotated", replace=True) and key.read_bytes() == b"rotated"
    assert mode(key) == 0o600 and sorted(p.name for p in key.parent.iterdir()) == ["w.key"]  # no temp file left


@pytest.mark.usefixtures("loose_umask")
def test_the_store_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = DuckDBStore(str(path))
    store.ensure_workspace("city")  # a write: DuckDB creates the WAL now
    assert mode(path) == 0o600
    wal = Path(f"{path}.wal")
    assert wal.exists(), "expected an uncheckpointed write"
    assert mode(wal) == 0o600
    store.close()


@pytest.mark.usefixtures("loose_umask")
def test_a_store_made_world_readable_before_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    DuckDBStore(str(path)).close()
    os.chmod(path, 0o644)
    DuckDBStore(str(path)).close()
    assert mode(path) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_keys_are_private(tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "db.keys")
    keys.load("city")
    assert mode(tmp_path / "db.keys") == 0o700
    assert mode(keys.path("city")) == 0o600
    keys.rotate("city")
    assert mode(keys.path("city")) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_the_rejects_file_is_private(tmp_path: Path) -> None:
    writer = RejectWriter(tmp_path / "db.rejects" / "city.jsonl")
    writer.write(file="a.json", line=1, path="$", reason="bad", severity="error", raw=b"{")
    writer.close()
    assert mode(tmp_path / "db.rejects") == 0o700
    assert mode(tmp_path / "db.rejects" / "city.jsonl") == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_uploads_are_private(tmp_path: Path) -> None:
    store = DuckDBStore(str(tmp_path / "web.duckdb"))
    store.ensure_workspace("city")
    accounts = Accounts(store)
    accounts.create_user("arun", PASSWORD)
    accounts.grant("city", "arun", "analyst")
    app = create_app(store, background=False)
    client = TestClient(app)  # no lifespan: the job runner never starts, so the upload stays for inspection
    response = client.post("/api/login", json={"username": "arun", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    job = client.post("/api/w/city/imports", files={"files": ("posts.json", b"[]", "application/json")})
    assert job.status_code == 202, job.text
    uploads = app.state.ctx.uploads_dir
    files = [p for p in uploads.rglob("*") if p.is_file()]
    assert len(files) == 1 and mode(files[0]) == 0o600
    for folder in (files[0].parent, files[0].parent.parent, uploads):
        assert mode(folder) == 0o700, folder
    store.close()

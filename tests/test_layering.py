"""Layers point one way: only store/ knows which database it talks to."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "civicpulse"
BACKENDS = {"duckdb", "psycopg", "civicpulse.store.duckdb_store", "civicpulse.store.duckdb_analysis",
            "civicpulse.store.duckdb_lifecycle", "civicpulse.store.postgres_store", "civicpulse.store.postgres_sql"}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_nothing_above_the_store_imports_a_backend() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "store":
            continue
        hits = {m for m in imported_modules(path) if m in BACKENDS or m.split(".")[0] in ("duckdb", "psycopg")}
        if hits:
            offenders[str(relative)] = sorted(hits)
    assert offenders == {}, offenders


def test_the_check_sees_a_backend_import(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from civicpulse.store.duckdb_store import DuckDBStore\nimport duckdb\n")
    assert {"civicpulse.store.duckdb_store", "duckdb"} <= imported_modules(sample)


def test_services_sit_between_the_adapters_and_the_domain() -> None:
    """services/ never imports the CLI, the web app or the job runtime; the domain packages never import services/."""
    adapters = ("civicpulse.web", "civicpulse.runtime", "civicpulse.cli", "civicpulse.handoff")
    offenders = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        modules = imported_modules(path)
        if relative.parts[0] == "services":
            hits = {m for m in modules if m.startswith(adapters)}
        elif relative.parts[0] in ("analysis", "analytics", "ingest", "collect", "store", "sources"):
            hits = {m for m in modules if m.startswith("civicpulse.services")}
        else:
            continue
        if hits:
            offenders[str(relative)] = sorted(hits)
    assert offenders == {}, offenders

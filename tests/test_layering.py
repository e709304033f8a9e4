"""Layers point one way: only store/ knows which database it talks to."""

from __future__ import annotations

import ast
import re
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

# SQL only one backend understands: above the store, such a fragment comes from `store.dialect` instead.
DUCKDB_ONLY = ("strip_accents", "regexp_matches", "regexp_full_match", "max_by", "min_by", "arg_max", "arg_min",
               "list_value", "list_aggregate", "list_transform", "struct_pack", "md5_number_lower", "epoch_ms",
               "duckdb_tables", "generate_subscripts")
POSTGRES_ONLY = ("unaccent", "array_agg", "json_build_object", "jsonb_build_object", "pg_advisory_xact_lock",
                 "pg_advisory_lock", "regexp_like", "to_tsvector")
_ONE_BACKEND = re.compile(r"\b(" + "|".join(DUCKDB_ONLY + POSTGRES_ONLY) + r")\s*\(|\bSET\s+memory_limit\b|"
                          r"\bINTERVAL\s+\d+\s+(SECOND|MINUTE|HOUR|DAY)S?\b|\w::(text|bigint|int|json|timestamp)\b|\{'\w+':",
                          re.IGNORECASE)


def one_backend_sql(path: Path) -> set[str]:
    """The backend-specific SQL in the string literals of a module (docstrings left out: they may name them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    texts = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings]
    # An f-string as SQL reads it, each {expression} standing for a value: "INTERVAL {n} SECOND" is found too.
    texts += ["".join(v.value if isinstance(v, ast.Constant) else "0" for v in node.values)
              for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
    return {m.group(0) for text in texts for m in _ONE_BACKEND.finditer(text)}


def test_no_backend_specific_sql_above_the_store() -> None:
    """web/, analytics/, alerts/, reports/, runtime/, the CLI: every module outside store/."""
    modules = [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "store"]
    assert SRC / "analytics" / "query_sql.py" in modules and SRC / "cli_serve.py" in modules
    offenders = {str(p.relative_to(SRC)): sorted(hits) for p in modules if (hits := one_backend_sql(p))}
    assert offenders == {}, offenders


def test_the_check_sees_backend_specific_sql(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Uses strip_accents( in prose only."""\n'
                      'A = "SELECT max_by(x, y, 3), regexp_matches(t, ?) FROM t"\n'
                      'B = f"SELECT unaccent({1}), x::text, ts + INTERVAL {n} SECOND, {{\'p\': 1}}"\n'
                      'C = "SET memory_limit = \'1GB\'"\n')
    found = {hit.split("(")[0].strip().lower() for hit in one_backend_sql(sample)}
    assert found == {"max_by", "regexp_matches", "unaccent", "x::text", "interval 0 second", "{'p':",
                     "set memory_limit"}

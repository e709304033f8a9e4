"""docs/api.md lists every operation of the API as it is (regenerate with scripts/api_doc.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _api_doc():
    spec = importlib.util.spec_from_file_location("api_doc", ROOT / "scripts" / "api_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_operation_table_in_docs_is_current() -> None:
    api_doc = _api_doc()
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert api_doc.render(doc) == doc, "docs/api.md is stale: run .venv/bin/python scripts/api_doc.py"


def test_every_workspace_operation_is_in_the_doc(app) -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for path, item in app.openapi()["paths"].items():
        for method in item:
            assert f"| `{method.upper()}` | `{path}` |" in doc, f"{method} {path} missing from docs/api.md"

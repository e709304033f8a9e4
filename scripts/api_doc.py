"""Regenerate the operation table of docs/api.md from the app's OpenAPI schema (tests check it is current).

    .venv/bin/python scripts/api_doc.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BEGIN, END = "<!-- operations:begin -->", "<!-- operations:end -->"


def operations_table() -> str:
    from civicpulse.store.duckdb_store import DuckDBStore
    from civicpulse.web import create_app

    store = DuckDBStore(":memory:")
    schema = create_app(store, background=False).openapi()
    rows: dict[str, list[str]] = {}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            tag = (op.get("tags") or ["other"])[0]
            params = ", ".join(f"`{p['name']}`" for p in op.get("parameters", []) if p["in"] == "query")
            rows.setdefault(tag, []).append(f"| `{method.upper()}` | `{path}` | {op.get('summary', '')} | {params} |")
    store.close()
    out = []
    for tag in sorted(rows):
        out += [f"### {tag}", "", "| method | path | what | query parameters |", "|---|---|---|---|",
                *rows[tag], ""]
    return "\n".join(out).rstrip() + "\n"


def render(doc: str) -> str:
    return re.sub(f"{re.escape(BEGIN)}.*{re.escape(END)}", lambda _: f"{BEGIN}\n{operations_table()}{END}", doc,
                  flags=re.S)


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    sys.exit(0)

"""Draft the next migration from what the DDL lists declare and the migrations do not build yet (developers).

    python -m civicpulse.store.migrations.draft job_queue > src/civicpulse/store/migrations/0003_job_queue.py

It builds a store from the migrations in memory (DuckDB), compares it with `store.base.ddl()` and writes a module
with a CREATE TABLE for each missing table (the DDL's own statement) and an ADD COLUMN for each missing column
(its definition as the DDL spells it). Anything else (a changed type, a dropped column, a new key) is listed as a
TODO to write by hand. Read the draft before committing it: tests/test_migrations.py then checks the result.
"""

from __future__ import annotations

import json
import re
import sys

_CREATE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+)\s*\((.*)\)\s*$", re.DOTALL)
_KEYWORDS = ("PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK", "CONSTRAINT")


def _items(body: str) -> list[str]:
    """The comma-separated items of a CREATE TABLE body, commas inside parentheses or quotes kept."""
    items, depth, quoted, current = [], 0, False, ""
    for char in body:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
        elif not quoted and depth == 0 and char == ",":
            items.append(current.strip())
            current = ""
            continue
        current += char
    return [*items, current.strip()] if current.strip() else items


def _literal(statement: str, width: int = 100) -> list[str]:
    """A statement as string literals of at most about `width` characters, cut after ", " (implicit joins)."""
    pieces, current = [], ""
    for part in re.split(r"(?<=, )", statement):
        if current and len(current) + len(part) > width:
            pieces.append(current)
            current = ""
        current += part
    return [json.dumps(p, ensure_ascii=False) for p in [*pieces, current] if p]


def declared_tables() -> dict[str, tuple[str, dict[str, str]]]:
    """Each table `ddl()` declares: its CREATE statement and its column definitions by name."""
    from civicpulse.store.base import ddl

    tables = {}
    for statement in ddl({"DOUBLE": "DOUBLE"}):
        match = _CREATE.match(statement.strip())
        if match:
            columns = {item.split()[0]: item for item in _items(match.group(2))
                       if not item.upper().startswith(_KEYWORDS)}
            tables[match.group(1)] = (" ".join(statement.split()), columns)
    return tables


def draft(name: str) -> str:
    from civicpulse.store import open_store
    from civicpulse.store.migrations import known_migrations

    with open_store(":memory:") as store:
        built: dict[str, set[str]] = {}
        for table, column in store.query("SELECT table_name, column_name FROM information_schema.columns "
                                         "WHERE table_schema = current_schema()"):
            built.setdefault(table, set()).add(column)
    statements, todo = [], []
    for table, (create, columns) in declared_tables().items():
        if table not in built:
            statements.append(create)
            continue
        # No IF NOT EXISTS: a migration runs once, and DuckDB refuses it for a NOT NULL column.
        statements += [f"ALTER TABLE {table} ADD COLUMN {columns[c]}" for c in columns
                       if c not in built[table]]
        todo += [f"{table}.{c} is built by the migrations but no longer declared" for c in sorted(built[table])
                 if c not in columns]
    version = known_migrations()[-1].version + 1
    lines = [f'"""{name.replace("_", " ").capitalize()}: (one line on what changes and why).', "", f"Migration "
             f"{version:04d}, drafted by civicpulse.store.migrations.draft.", '"""', "", "STATEMENTS = ["]
    for statement in statements:
        lines.append("    " + "\n    ".join(_literal(statement)) + ",")
    lines.append("]")
    lines += [f"# TODO: {t}" for t in todo]
    lines.append("# Also compare types, defaults and keys: tests/test_migrations.py reports any difference left.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 2 or not re.fullmatch(r"[a-z0-9_]+", sys.argv[1]):
        sys.exit("usage: python -m civicpulse.store.migrations.draft short_name   (lower case, digits, _)")
    sys.stdout.write(draft(sys.argv[1]))

"""`civicpulse backup`/`restore` for PostgreSQL, in the archive format of DuckDB's (one Parquet file per table plus
DuckDB's schema and load script, as `EXPORT DATABASE` writes them).

One format for both backends means an archive of either restores into either: that is also how a store moves
from one box (DuckDB) to a server (PostgreSQL) and back. A dump goes through a DuckDB file with this version's
schema, so it is exactly what a DuckDB store's dump would be; a restore loads the Parquet files with COPY.
Both stream in batches: memory stays bounded, disk holds the dump (and, while dumping, the staging file).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from civicpulse.store.duckdb_store import DuckDBStore

if TYPE_CHECKING:
    from civicpulse.store.base import Store
    from civicpulse.store.postgres_store import PostgresStore

BATCH_ROWS = 50_000
# Rows that describe the schema rather than hold data: the schema version in `meta`, and the applied-migrations
# table where there is one (with per-backend checksums). A dump loaded into a schema made by this version (the
# staging file, a restored PostgreSQL database) keeps that schema's own records; the data rows move.
SCHEMA_RECORDS = {"meta": "key = 'schema_version'", "schema_migrations": "TRUE"}
# A line of DuckDB's load.sql: COPY table FROM 'folder/table.parquet' (FORMAT 'parquet');
_LOAD_LINE = re.compile(r"""^COPY\s+"?(\w+)"?\s+FROM\s+'(?:[^']*/)?([^'/]+\.parquet)'""", re.MULTILINE)
_BASE_TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE'")
_TABLES_SQL = f"{_BASE_TABLES} ORDER BY 1"


def export_postgres(store: PostgresStore, folder: Path) -> dict[str, int]:
    """Every table of `store`, read in one snapshot (writers may go on meanwhile), dumped into `folder`."""
    import pyarrow as pa

    staging_path = folder.parent / f".{folder.name}-staging.duckdb"
    staging = DuckDBStore(str(staging_path))
    try:
        for table in staging.table_counts():  # a new store seeds a few rows; the dump's replace them
            staging.con.execute(f'DELETE FROM "{table}" WHERE NOT ({SCHEMA_RECORDS.get(table, "FALSE")})')
        with store.fork() as snapshot, snapshot.con.transaction():  # type: ignore[attr-defined]
            snapshot.con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            tables = [r[0] for r in snapshot.con.execute(_TABLES_SQL).fetchall()]
            _add_missing_columns(snapshot.con, staging.con)
            for table in tables:
                with snapshot.con.cursor(name=f"dump_{table}") as cur:
                    cur.execute(f'SELECT * FROM "{table}" WHERE NOT ({SCHEMA_RECORDS.get(table, "FALSE")})')
                    while rows := cur.fetchmany(BATCH_ROWS):
                        names = [d.name for d in cur.description]
                        columns = zip(*rows, strict=True)
                        batch = pa.table({n: pa.array(list(v)) for n, v in zip(names, columns, strict=True)})
                        staging.con.register("pg_batch", batch)
                        staging.con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM pg_batch')
                        staging.con.unregister("pg_batch")
        counts = staging.table_counts()  # what the archive holds, and what a restore must find
        staging.con.execute(f"EXPORT DATABASE '{_sql_path(folder)}' (FORMAT parquet)")
        return counts
    finally:
        staging.close()
        for leftover in (staging_path, staging_path.with_name(staging_path.name + ".wal")):
            leftover.unlink(missing_ok=True)


# PostgreSQL's names (information_schema.columns.data_type) of the types the schema uses, in DuckDB's spelling.
_DUCKDB_TYPES = {"text": "VARCHAR", "character varying": "VARCHAR", "bigint": "BIGINT", "integer": "INTEGER",
                 "smallint": "SMALLINT", "boolean": "BOOLEAN", "double precision": "DOUBLE", "real": "FLOAT",
                 "bytea": "BLOB", "timestamp without time zone": "TIMESTAMP", "date": "DATE", "jsonb": "VARCHAR",
                 "json": "VARCHAR"}


def _add_missing_columns(pg: Any, duck: duckdb.DuckDBPyConnection) -> None:
    """Give the staging file the tables and columns only PostgreSQL has (a PostgreSQL-only addition, such as the
    job queue's columns), so that the archive carries every column the database holds."""
    have = {(t, c) for t, c in duck.execute("SELECT table_name, column_name FROM information_schema.columns "
                                            "WHERE table_schema = 'main'").fetchall()}
    tables = {t for t, _ in have}
    rows = pg.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                      f"WHERE table_schema = current_schema() AND table_name IN ({_BASE_TABLES}) "
                      "ORDER BY table_name, ordinal_position").fetchall()
    for table, column, pg_type in rows:
        if (table, column) in have:
            continue
        if pg_type not in _DUCKDB_TYPES:
            raise ValueError(f"{table}.{column} has type {pg_type}, which a backup cannot carry yet: back this store "
                             "up with pg_dump")
        if table not in tables:
            duck.execute(f'CREATE TABLE "{table}" ("{column}" {_DUCKDB_TYPES[pg_type]})')
            tables.add(table)
        else:
            duck.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {_DUCKDB_TYPES[pg_type]}')


def dumped_tables(folder: Path) -> dict[str, Path]:
    """Table name -> its Parquet file, from a dump's load.sql."""
    try:
        script = (folder / "load.sql").read_text()
    except OSError as exc:
        raise ValueError(f"the archive's db/load.sql cannot be read: {exc}") from None
    tables = {table: folder / file for table, file in _LOAD_LINE.findall(script)}
    missing = [str(p.name) for p in tables.values() if not p.is_file()]
    if missing or not tables:
        raise ValueError(f"the archive's database dump is incomplete (missing: {', '.join(missing) or 'every table'})")
    return tables


def restore_postgres(url: str, folder: Path) -> PostgresStore:
    """A dump (from either backend) loaded into the empty database at `url`, all or nothing."""
    from civicpulse.store.postgres_store import PostgresStore, PostgresStoreError, _safe

    files = dumped_tables(folder)
    store = PostgresStore(url, migrate=False)
    psycopg = sys.modules["psycopg"]  # imported by the store
    try:
        present = [r[0] for r in store.con.execute(_TABLES_SQL).fetchall()]
        if present:
            raise PostgresStoreError(f"{_safe(url)} is not empty ({len(present)} tables, e.g. {present[0]}): "
                                     "restore into a new, empty database (createdb)")
        with store.con.transaction():  # the schema and every row, or nothing: a failed restore can be retried
            store._migrate()
            tables = set(store.table_counts())
            unknown = sorted(set(files) - tables)
            if unknown:
                raise PostgresStoreError(f"the archive has tables this civicpulse does not know: {', '.join(unknown)}")
            for table in tables:  # the rows a new store seeds; the archive's replace them
                store.con.execute(f'DELETE FROM "{table}" WHERE NOT ({SCHEMA_RECORDS.get(table, "FALSE")})')
            for table, path in files.items():
                _load(store.con, table, path, skip=SCHEMA_RECORDS.get(table, "FALSE"))
    except psycopg.Error as exc:
        raise PostgresStoreError(f"the restore into {_safe(url)} failed, nothing was written: {exc}") from None
    finally:
        store.close()
    return PostgresStore(url)  # opening brings an older archive's schema up to date


def _load(con: Any, table: str, parquet: Path, skip: str) -> None:
    """COPY a dumped table's rows, but those matching `skip`, into PostgreSQL."""
    reader = duckdb.connect()
    try:
        rows = reader.read_parquet(str(parquet)).filter(f"NOT ({skip})")
        names = ", ".join(f'"{name}"' for name in rows.columns)
        with con.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for batch in rows.to_arrow_reader(BATCH_ROWS):
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    copy.write_row(row)
    except duckdb.Error as exc:
        raise ValueError(f"the archive's {parquet.name} cannot be read: {exc}") from None
    finally:
        reader.close()


def refold_search_text(store: Store) -> None:
    """Recompute the accent-folded search column with this backend's folding (DuckDB's strip_accents and
    PostgreSQL's unaccent differ on a few letters), so an archive from the other backend searches alike."""
    store._all("UPDATE post_analysis SET folded_text = NULL")  # type: ignore[attr-defined]
    # The sync recomputes post keys where it refolds, with this backend's formula: the side tables' keys must be
    # recomputed with it, or their joins (and the rollups built from them) miss.
    for table in ("post_topics", "post_places", "post_terms"):
        store._all(f"UPDATE {table} SET post_key = NULL")  # type: ignore[attr-defined]
    store.sync_analysis_keys()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")

"""Named locks between the processes sharing a store, for work that must not run twice at once (one collection
source, the periodic alert pass).

PostgreSQL: a session advisory lock on the handle's own connection, so a killed process's locks go with its
connection. DuckDB: one process writes the store (runtime/jobs.py), so the lock is always granted here and
the callers' own in-process bookkeeping is what keeps work from running twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from civicpulse.store import is_postgres_url
from civicpulse.store.base import Store

_NAMESPACE = 7305418  # the advisory lock space of these locks (the schema setup uses 7305417)
TRY_LOCK = "SELECT pg_try_advisory_lock(?, hashtext(?))"
UNLOCK = "SELECT pg_advisory_unlock(?, hashtext(?))"


def shared_between_processes(store: Store) -> bool:
    """Whether several processes may write this store at once (PostgreSQL), rather than one (DuckDB)."""
    return is_postgres_url(store.path)


@contextmanager
def try_exclusive(handle: Store, name: str) -> Iterator[bool]:
    """Yields whether this handle got the lock `name` (held until the block ends); never waits."""
    if not shared_between_processes(handle):
        yield True
        return
    got = bool(handle.query(TRY_LOCK, [_NAMESPACE, name])[0][0])
    try:
        yield got
    finally:
        if got:
            with suppress(Exception):  # fails only with a lost connection, which took its locks with it
                handle.query(UNLOCK, [_NAMESPACE, name])


def source_lock(source_id: str) -> str:
    """The lock a process holds while it collects from a source (runtime/collection.py, `collect --once`)."""
    return f"collect:{source_id}"

"""Private files and folders: the store, keys, rejected records and uploads hold personal data or secrets.

Modes are set explicitly (chmod), so they hold whatever the process's umask; folders created on the way are
private too, while folders that already existed (a working directory, /var/lib) keep their mode.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """The folder, created if missing (with any missing parents), readable by this user only."""
    folder = Path(path)
    _make_parents(folder)
    folder.mkdir(mode=DIR_MODE, exist_ok=True)
    os.chmod(folder, DIR_MODE)
    return folder


def private_file(path: str | Path) -> Path:
    """The file, created empty if missing, readable by this user only; open it afterwards as usual."""
    file = Path(path)
    _make_parents(file)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an existing file keeps the mode it was created with otherwise
    finally:
        os.close(fd)
    return file


def write_secret_file(path: str | Path, data: bytes, *, replace: bool = False) -> bool:
    """Write a key file atomically, readable by this user only (its folder too).

    Without `replace` an existing file is never overwritten: when two processes create the same key at once, both
    end up with the first one (link() refuses an existing name), so nothing sealed or pseudonymized under the other
    is orphaned. Returns False when the file already existed; read that one.
    """
    file = Path(path)
    private_dir(file.parent)
    tmp = file.with_name(f"{file.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if replace:
            tmp.replace(file)
            return True
        os.link(tmp, file)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def withhold_from_others() -> None:
    """Remove group and other permissions from the process's umask (it keeps any bits it already had).

    For files other code creates where no mode can be passed: DuckDB writes its WAL (`<store>.wal`) and temporary
    files itself. Never loosens the umask, and never leaves it unset even for a moment (threads may be writing).
    """
    previous = os.umask(0o077)
    os.umask(previous | 0o077)


def _make_parents(path: Path) -> None:
    missing = [p for p in path.parents if not p.exists()]
    for parent in reversed(missing):  # outermost first
        parent.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(parent, DIR_MODE)

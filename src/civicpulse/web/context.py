"""What the running app holds: the one writable store, sessions, the login limiter and background jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.cache import ViewCache
from civicpulse.web.security import LoginLimiter
from civicpulse.web.uploads import UploadLimits

if TYPE_CHECKING:
    from civicpulse.web.jobs import JobRunner


@dataclass
class AppContext:
    store: DuckDBStore  # the process's only read-write handle; requests and jobs use forks of it
    keys_dir: Path
    uploads_dir: Path
    rejects_dir: Path
    secure_cookies: bool = False
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    cache: ViewCache = field(default_factory=lambda: ViewCache(int(os.environ.get("CIVICPULSE_VIEW_CACHE", "128"))))
    upload_limits: UploadLimits = field(default_factory=UploadLimits.from_env)
    jobs: JobRunner = field(init=False)

    @contextmanager
    def forked(self) -> Iterator[DuckDBStore]:
        handle = self.store.fork()
        try:
            yield handle
        finally:
            handle.close()

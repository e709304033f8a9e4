"""What the running app holds: the one writable store, sessions, the login limiter, token use and background jobs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from civicpulse.store.base import Store
from civicpulse.web.cache import ViewCache
from civicpulse.web.throttle import DeviceCookies, LoginLimiter
from civicpulse.web.token_usage import TokenUsage
from civicpulse.web.uploads import UploadLimits

if TYPE_CHECKING:
    from civicpulse.alerts.outbox import DeliveryQueue
    from civicpulse.runtime.collection import CollectionRuntime
    from civicpulse.runtime.jobs import JobRunner


@dataclass
class AppContext:
    store: Store  # the process's only read-write handle; requests and jobs use forks of it
    keys_dir: Path
    uploads_dir: Path
    rejects_dir: Path
    secure_cookies: bool = False
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    devices: DeviceCookies = field(default_factory=DeviceCookies)
    cache: ViewCache = field(default_factory=lambda: ViewCache(int(os.environ.get("CIVICPULSE_VIEW_CACHE", "128"))))
    upload_limits: UploadLimits = field(default_factory=UploadLimits.from_env)
    jobs: JobRunner = field(init=False)
    token_usage: TokenUsage = field(init=False)
    deliveries: DeliveryQueue = field(init=False)  # alert emails and webhooks, off the request and job threads
    collection: CollectionRuntime = field(init=False)  # live sources on their schedules (runtime/collection.py)

    def __post_init__(self) -> None:
        self.token_usage = TokenUsage(self.forked)

    @contextmanager
    def forked(self) -> Iterator[Store]:
        handle = self.store.fork()
        try:
            yield handle
        finally:
            handle.close()

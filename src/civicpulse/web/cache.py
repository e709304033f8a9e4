"""Dashboard answers kept until the workspace's data changes.

Each workspace has a version number in this process, bumped after every background job and every write request in
that workspace, and one in the store (`Store.data_version`), bumped by every write of analysed posts and every
write request, whichever process makes it: several web processes, workers and collectors on one PostgreSQL store
each see the others' writes (a DuckDB store has one writing process: its version stays 0). An answer is reused
only for the same workspace, view, filters and both versions.
Access checks and the audit log run on every request, cached or not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ViewCache:
    def __init__(self, max_entries: int = 128) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def bump(self, workspace: str) -> None:
        """The workspace's data changed: its cached answers are stale from now on."""
        with self._lock:
            self._versions[workspace] = self._versions.get(workspace, 0) + 1
            for key in [k for k in self._entries if k[0] == workspace]:
                del self._entries[key]

    def get(self, workspace: str, view: Hashable, compute: Callable[[], Any], stored_version: int = 0) -> Any:
        """The cached answer, else `compute()`'s; `stored_version`: the store's data version of the workspace."""
        if self.max_entries <= 0:  # caching switched off (CIVICPULSE_VIEW_CACHE=0)
            return compute()
        with self._lock:
            key = (workspace, self._versions.get(workspace, 0), view, stored_version)
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()  # outside the lock: a slow view must not block the others
        with self._lock:
            if key[1] == self._versions.get(workspace, 0):  # not stale already (a job finished meanwhile)
                self._entries[key] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

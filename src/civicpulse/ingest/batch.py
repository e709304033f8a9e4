"""Posts and deletions on their way to the store, batched across input files with counts kept per file.

A batch is flushed when it holds `size` posts or MAX_BATCH_BYTES of text and raw payloads, when a post key
repeats from another file (so each file's counts stay what they would be alone), and at the end. A file's run
record is written once its last posts are in the store. If the store refuses a batch for a value one post
holds, the batch is split in halves until that post is found: it is rejected and every other post lands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import uuid4

from civicpulse.schema import Deletion, Post
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.ingest.pipeline import FileSummary

# DuckDB stages a batch in memory under its 128 MB buffer pool: a batch of long texts flushes early.
MAX_BATCH_BYTES = 32 << 20
_ROW_OVERHEAD = 256


@dataclass(frozen=True, slots=True)
class StoreRefusal:
    summary: FileSummary
    line: int
    post: Post
    error: str


class Batch:
    def __init__(self, store: Store, workspace: str, size: int, on_refused: Callable[[StoreRefusal], None]):
        self.store, self.workspace, self.size, self.on_refused = store, workspace, size, on_refused
        self.posts: list[Post] = []
        self.origins: list[tuple[FileSummary, int]] = []  # (file, line) of each post
        self.deletions: list[Deletion] = []
        self.deletion_owner: FileSummary | None = None
        self.waiting: list[FileSummary] = []  # finished files whose run is recorded at the next flush
        self._owners: dict[tuple[str, str], FileSummary] | None = None  # key -> file, once files share a batch
        self._bytes = 0

    def add_post(self, post: Post, summary: FileSummary, line: int) -> None:
        if self._owners is None and self.origins and self.origins[-1][0] is not summary:
            # A second file joins the batch: from now on its keys are watched (one file alone needs no index).
            self._owners = {(p.platform, p.post_id): s for p, (s, _) in zip(self.posts, self.origins, strict=True)}
        if self._owners is not None:
            key = (post.platform, post.post_id)
            if self._owners.setdefault(key, summary) is not summary:
                self.flush()
        self.posts.append(post)
        self.origins.append((summary, line))
        self._bytes += len(post.text) + len(post.raw or "") + _ROW_OVERHEAD
        if len(self.posts) >= self.size or self._bytes >= MAX_BATCH_BYTES:
            self.flush()

    def add_deletion(self, deletion: Deletion, summary: FileSummary) -> None:
        self.deletions.append(deletion)
        self.deletion_owner = summary
        if len(self.deletions) >= self.size:
            self.flush()

    def file_done(self, summary: FileSummary) -> None:
        self.waiting.append(summary)
        # A deletion must not wait for a later file's posts: those would be merged first and undo the order.
        if self.deletions or not self.posts:
            self.flush()

    def flush(self) -> None:
        # Posts before deletions: a delete later in the same input must win over the create before it.
        if self.posts:
            posts, origins = self.posts, self.origins
            self.posts, self.origins, self._owners, self._bytes = [], [], None, 0
            self._store_posts(posts, origins)
        if self.deletions:
            owner, deletions = self.deletion_owner, self.deletions
            self.deletions, self.deletion_owner = [], None
            owner.add(self.store.apply_deletions(self.workspace, deletions))  # type: ignore[union-attr]
        if self.waiting:
            self.store.record_runs([s.run_record(self.workspace, uuid4().hex) for s in self.waiting])
            self.waiting = []

    def _store_posts(self, posts: Sequence[Post], origins: Sequence[tuple[FileSummary, int]]) -> None:
        files = {id(summary): summary for summary, _ in origins}
        try:
            if len(files) == 1:
                (summary,) = files.values()
                summary.add(self.store.upsert_posts(self.workspace, posts))
            else:
                counts = self.store.upsert_post_groups(self.workspace, posts, [id(s) for s, _ in origins])
                for group, count in counts.items():
                    files[group].add(count)
        except self.store.data_errors as exc:
            if len(posts) == 1:
                summary, line = origins[0]
                self.on_refused(StoreRefusal(summary, line, posts[0], f"{type(exc).__name__}: {exc}"[:300]))
                return
            half = len(posts) // 2
            self._store_posts(posts[:half], origins[:half])
            self._store_posts(posts[half:], origins[half:])

"""Run sources: fetch a page -> the existing ingest pipeline (parse, pseudonymize, redact, reject, upsert) ->
then, strictly after the posts are committed, save the cursor.

A page is handed to the pipeline as a spool file so that live data and files go through exactly the same code;
the spool file is private and removed once ingested. A crash between the commit and the cursor write repeats
that one page on the next run, and the idempotent upsert makes the repeat a no-op: nothing lost, nothing twice.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

from civicpulse.collect import get as get_connector
from civicpulse.collect.base import Credentials, Session
from civicpulse.collect.credentials import CredentialBox, CredentialError
from civicpulse.collect.http import CollectError, HttpClient, RateLimited, Sleeper
from civicpulse.collect.quota import QuotaLedger, ledger_name
from civicpulse.collect.schedule import is_due
from civicpulse.collect.sources import SourceRecord, SourceRegistry
from civicpulse.collect.spool import Flushed, PageSpool, flush_posts_from_env
from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyFileError, KeyStore, Pseudonymizer
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store.base import Store
from civicpulse.store.stream_sql import held_post_ids, live_post_ids

Now = Callable[[], datetime]  # naive UTC
STREAM_WINDOW = 30.0    # seconds a stream source runs under `collect --once`
STREAM_MAX_EVENTS = 5000
PROGRESS_EVERY = 5.0  # seconds between health updates of a stream's open run


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RunSummary:
    source_id: str
    platform: str
    target: str
    status: str = "ok"          # ok | failed | rate-limited
    pages: int = 0
    fetched: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error: str | None = None
    quota_left: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class Collector:
    def __init__(self, store: Store, keys_dir: str | Path, spool_dir: str | Path, rejects_dir: str | Path, *,
                 now: Now = _utcnow, sleep: Sleeper = time.sleep, max_wait: float = 60.0,
                 write_lock: contextlib.AbstractContextManager | None = None, flush_posts: int | None = None):
        self.store = store
        # The server's runtime runs sources in parallel: their fetches overlap, their writes take turns.
        self.write_lock = write_lock or contextlib.nullcontext()
        self.flush_posts = flush_posts or flush_posts_from_env()  # posts stored per store merge (collect/spool.py)
        self.keys_dir = Path(keys_dir)
        self.registry = SourceRegistry(store, CredentialBox(keys_dir))
        self.spool_dir = Path(spool_dir)
        self.rejects_dir = Path(rejects_dir)
        self.now = now
        self.sleep = sleep
        self.max_wait = max_wait

    def client(self, platform: str, api_base: str | None) -> HttpClient:
        connector = get_connector(platform)
        return HttpClient(api_base or connector.default_api_base, rate=connector.rate_headers,
                          throttle=connector.throttle,
                          clock=lambda: self.now().replace(tzinfo=UTC).timestamp(), sleep=self.sleep,
                          max_wait=self.max_wait)

    def prepare(self, client: HttpClient, platform: str, creds: Credentials) -> None:
        """Attach the daily quota ledger of the credential's API project, for platforms that have one."""
        connector = get_connector(platform)
        if connector.daily_quota is not None and creds.get(connector.quota_key):
            units = creds.get("daily_quota")
            client.quota = QuotaLedger(self.store, ledger_name(platform, creds.get(connector.quota_key)),
                                       int(units) if units.isdigit() else connector.daily_quota, client.clock,
                                       ZoneInfo(connector.quota_zone))

    def due_sources(self, workspace: str | None, ignore_schedule: bool = False,
                    streams: bool = False) -> list[SourceRecord]:
        """Polled sources whose interval has passed; with `streams`, continuous sources too (for `collect --once`
        without a server, which gives each a bounded window; a server's runtime keeps them open instead)."""
        now = self.now()
        due = []
        for source in self.registry.list(workspace):
            if source.paused:
                continue
            if get_connector(source.platform).continuous:  # no interval; only a rate limit's wait holds it back
                if streams and (ignore_schedule or source.not_before is None or source.not_before <= now):
                    due.append(source)
                continue
            last = self.registry.last_run(source.source_id)
            if ignore_schedule or is_due(now, last.started_at if last else None, source.every_seconds,
                                         source.not_before):
                due.append(source)
        return due

    def run_due(self, workspace: str | None, ignore_schedule: bool = False,
                streams: bool = False) -> list[RunSummary]:
        """Every due source once, one after the other; one source's failure never stops the others."""
        from civicpulse.store.locks import source_lock, try_exclusive

        summaries = []
        for source in self.due_sources(workspace, ignore_schedule, streams):
            with try_exclusive(self.store, source_lock(source.source_id)) as mine:
                if mine:  # PostgreSQL: a source another process is collecting from now is left to it
                    summaries.append(self.run(source))
        return summaries

    def run_stream(self, source: SourceRecord, stop: threading.Event) -> RunSummary:
        """A continuous source until `stop` is set (blocking: a server runs each stream in its own thread).

        Every batch of events is stored, then its cursor saved, exactly as for polled pages. A polled source
        given here runs once, as `run` does.
        """
        return self.run(source, stop=stop)

    def run(self, source: SourceRecord, stop: threading.Event | None = None) -> RunSummary:
        """One run of a source. A stream runs for a bounded window here, or until `stop` when one is given."""
        connector = get_connector(source.platform)
        summary = RunSummary(source.source_id, source.platform, source.target)
        run_id = uuid4().hex
        self.registry.start_run(run_id, source.source_id, self.now())
        stamp = self.now().strftime("%Y%m%dT%H%M%S")
        rejects = RejectWriter(self.rejects_dir / f"{source.workspace}-collect-{source.source_id}-{stamp}.jsonl")
        client = self.client(source.platform, source.api_base)
        try:
            creds = self.registry.credentials(source.source_id)
            self.prepare(client, source.platform, creds)
            pseudonymizer = Pseudonymizer(KeyStore(self.keys_dir).load(source.workspace))
            ingestors: dict[str, Ingestor] = {}

            def ingestor_for(format_name: str) -> Ingestor:
                if format_name not in ingestors:
                    ingestors[format_name] = Ingestor(self.store, source.workspace, pseudonymizer, rejects,
                                                      format_name=format_name)
                return ingestors[format_name]

            def commit(done: Flushed) -> None:
                self.registry.save_cursor(source.source_id, done.cursor or {})  # only now: the posts are committed
                self.registry.add_hour(source.source_id, self.now(), done.fetched, done.stored)
                for name in ("pages", "fetched", "stored", "updated", "unchanged", "rejected"):
                    setattr(summary, name, getattr(summary, name) + getattr(done, name))

            spool = PageSpool(self.spool_dir, f"{source.platform}-{source.source_id}", ingestor_for,
                              commit, lock=self.write_lock, flush_posts=self.flush_posts)
            reported = time.monotonic()
            try:
                for page in connector.collect(self._session(source, client, creds, pseudonymizer, stop)):
                    spool.add(page, page.format_name or connector.format_name)
                    if connector.continuous and time.monotonic() - reported >= PROGRESS_EVERY:
                        reported = time.monotonic()  # a stream's run stays open for hours: show its counts
                        self.registry.run_progress(run_id, **_counts(summary))
            except Exception:
                spool.flush()  # what was fetched before the failure is stored (and its cursor saved) first
                raise
            spool.flush()
            self.registry.set_not_before(source.source_id, None)
        except RateLimited as exc:
            summary.status, summary.error = "rate-limited", str(exc)
            self.registry.set_not_before(source.source_id, datetime.fromtimestamp(exc.until, UTC)
                                         .replace(tzinfo=None))
        except (CollectError, CredentialError, KeyFileError) as exc:
            summary.status, summary.error = "failed", str(exc)
        except Exception as exc:  # a connector bug or an unforeseen shape must not stop the other sources
            summary.status, summary.error = "failed", f"unexpected error ({type(exc).__name__}: {exc})"
        finally:
            client.close()
            rejects.close()
        summary.quota_left = quota_text(client)
        self.registry.finish_run(run_id, self.now(), status=summary.status, error=summary.error,
                                 quota_left=summary.quota_left, **_counts(summary))
        return summary

    def _session(self, source: SourceRecord, client: HttpClient, creds: Credentials, pseudonymizer: Pseudonymizer,
                 stop: threading.Event | None) -> Session:
        bounded = stop is None
        return Session(
            client, creds, source.target, self.registry.cursor(source.source_id), stop=stop or threading.Event(),
            deadline=time.monotonic() + _env_number("CIVICPULSE_STREAM_WINDOW", STREAM_WINDOW) if bounded else None,
            max_events=int(_env_number("CIVICPULSE_STREAM_MAX_EVENTS", STREAM_MAX_EVENTS)) if bounded else None,
            held=lambda platform, ids: held_post_ids(self.store, source.workspace, platform, ids),
            stored_ids=lambda platform: live_post_ids(self.store, source.workspace, platform),
            pseudonymize=pseudonymizer)


def _counts(summary: RunSummary) -> dict[str, int]:
    return {c: getattr(summary, c) for c in ("pages", "fetched", "stored", "updated", "rejected")}


def quota_text(client: HttpClient) -> str | None:
    """What is left of the platform's allowance, as its headers or the quota ledger last said."""
    if client.quota is not None:
        return client.quota.describe()
    if client.state.remaining is not None:
        return f"{client.state.remaining} requests in this window"
    return None

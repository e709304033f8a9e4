"""The background job kinds: each a registered handler over an application service, with typed options.

A job's `params` in the jobs table are its options as JSON (services/options.py): they are parsed back into the
kind's options dataclass when the job runs, so jobs recorded by an older release still run. Ingest and analysis
are the services `civicpulse ingest` and `civicpulse analyze` use, so a browser upload gets the same formats,
pseudonymization, dedup and per-record reject report as the CLI.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicpulse.lifecycle import run_maintenance
from civicpulse.registry import Registry
from civicpulse.runtime.jobs import Handler, Job, public_text, read_rejects
from civicpulse.services import analyze as analysis
from civicpulse.services import ingest as ingesting
from civicpulse.services import labels
from civicpulse.services.analyze import AnalyzeOptions
from civicpulse.services.ingest import IngestOptions
from civicpulse.services.labels import RetrainOptions
from civicpulse.services.options import Options, OptionsError
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.alerts.outbox import DeliveryQueue
    from civicpulse.runtime.collection import CollectionRuntime
    from civicpulse.runtime.jobs import JobRunner

log = logging.getLogger("civicpulse.jobs")
# The services are called through their modules (analysis.analyze_workspace, ingesting.ingest): each job reaches
# the very function the CLI calls, and a test can swap one for both.


@dataclass
class JobContext:
    """What the server gives every job besides its store handle."""

    keys_dir: Path
    rejects_dir: Path
    deliveries: DeliveryQueue | None = None
    collection: CollectionRuntime | None = None


@dataclass(frozen=True)
class JobKind:
    options: type[Options]
    run: Callable[[JobContext, Store, Job, Any], dict[str, Any]]


JOB_KINDS: Registry[JobKind] = Registry("job kind", entry_point_group="civicpulse.jobs", entry_point_adds=True)


def job_kind(name: str, options: type[Options]) -> Callable[[Callable], Callable]:
    """Decorator: register `fn(ctx, db, job, options) -> result` as the job kind `name`."""
    def decorate(fn: Callable) -> Callable:
        JOB_KINDS.add(name, JobKind(options, fn))
        return fn

    return decorate


def make_handlers(keys_dir: Path, rejects_dir: Path, deliveries: DeliveryQueue | None = None,
                  collection: CollectionRuntime | None = None) -> dict[str, Handler]:
    """Every registered job kind as a JobRunner handler bound to this server's folders and queues."""
    ctx = JobContext(keys_dir, rejects_dir, deliveries, collection)
    return {name: partial(_run, ctx, kind) for name, kind in JOB_KINDS.items()}


def _run(ctx: JobContext, kind: JobKind, db: Store, job: Job) -> dict[str, Any]:
    return kind.run(ctx, db, job, kind.options.from_params(job.params))


def job_options(kind: str, params: dict[str, Any]) -> Options:
    """Parameters sent for a job (the CLI's hand-over) as the kind's options; OptionsError if they do not fit."""
    try:
        return JOB_KINDS.get(kind).options.from_params(params)
    except KeyError as exc:
        raise OptionsError(str(exc)) from None


def submit_job(runner: JobRunner, kind: str, workspace: str, user: str, options: Options | None = None) -> Job:
    """Queue a job of `kind` with its typed options (recorded as JSON in the jobs table)."""
    expected = JOB_KINDS.get(kind).options
    options = expected() if options is None else options
    if not isinstance(options, expected):
        raise TypeError(f"a {kind} job takes {expected.__name__}, not {type(options).__name__}")
    return runner.submit(kind, workspace, user, **options.to_params())


@dataclass(frozen=True)
class NoOptions(Options):
    """Jobs that take no parameters (retention, maintenance)."""


@dataclass(frozen=True)
class TaxonomyOptions(Options):
    topics: tuple[dict[str, Any], ...]

    def __post_init__(self) -> None:
        if not self.topics:
            raise OptionsError("a taxonomy needs topics")


@dataclass(frozen=True)
class CollectOptions(Options):
    ignore_schedule: bool = False


# --- the built-in kinds -------------------------------------------------------------------------------------
def _analysis(db: Store, job: Job, options: AnalyzeOptions) -> dict[str, Any]:
    job.step("preparing the analyzer")
    summary = analysis.analyze_workspace(db, job.workspace, options, say=lambda msg: job.step(msg),
                                progress=lambda done, total: job.step("analyzing", done, total))
    # Everything `civicpulse analyze` prints, so a handed-over run reports exactly like a local one.
    return {**summary.to_dict(), "seconds": round(summary.seconds, 1)}


def _alerts(ctx: JobContext, db: Store, job: Job) -> list[dict[str, Any]]:
    """Alert rules are evaluated as data arrives: after every import and analysis. Deliveries go to the queue,
    so a slow webhook receiver does not hold the job."""
    from civicpulse.alerts import AlertService
    from civicpulse.notify.email import SmtpSettings

    job.step("evaluating alert rules")
    try:
        events = AlertService(db, SmtpSettings.from_env(), keys_dir=ctx.keys_dir,
                              deliveries=ctx.deliveries).evaluate(job.workspace)
    except Exception:  # a broken rule must not fail the import that triggered it
        log.exception("alert evaluation failed for %s", job.workspace)
        return []
    return [{"rule_id": e.rule_id, "message": e.message} for e in events]


@job_kind("ingest", IngestOptions)
def _ingest(ctx: JobContext, db: Store, job: Job, options: IngestOptions) -> dict[str, Any]:
    p = job.params
    shown_names = options.shown_names
    uploaded = bool(options.uploaded)  # a browser upload: server paths never reach the user

    def next_file(index: int, path: str) -> None:
        job.step(f"importing {shown_names[index]}", 0, Path(path).stat().st_size if Path(path).is_file() else None)

    done = ingesting.ingest(db, job.workspace, options, keys_dir=ctx.keys_dir, user=job.user,
                            rejects=ingesting.rejects_file(ctx.rejects_dir, job.workspace, job.id), on_file=next_file,
                            on_progress=lambda pos: job.step(job.phase, pos, job.total),
                            shown=(lambda text: public_text(text, p)) if uploaded else None)
    writer = done.rejects
    files = [{**{k: getattr(summary, k) for k in ("format", "read", "stored", "updated", "unchanged", "deleted",
                                                "skipped", "rejected", "warnings")},
              "file": shown, "messages": [public_text(m, p) for m in summary.messages] if uploaded
              else summary.messages}
             for summary, shown in zip(done.summaries, shown_names, strict=True)]
    rejects = [{**r, "file": _shown(r.get("file"), options)} for r in read_rejects(writer.path)] \
        if writer.path else []
    result: dict[str, Any] = {"files": files, "rejects": rejects, "rejected_total": writer.count,
                              "rejects_file": writer.path.name if writer.count and writer.path else None}
    if done.expired and done.expired["posts"]:
        result["expired"] = done.expired
    if writer.error:  # e.g. a full disk: the counts stand, the rejects file is incomplete
        result["rejects_error"] = writer.error
    if options.analyze:
        result["analysis"] = _analysis(db, job, AnalyzeOptions())
        result["alerts"] = _alerts(ctx, db, job)
    return result


@job_kind("analyze", AnalyzeOptions)
def _analyze(ctx: JobContext, db: Store, job: Job, options: AnalyzeOptions) -> dict[str, Any]:
    result = _analysis(db, job, options)
    result["alerts"] = _alerts(ctx, db, job)
    return result


@job_kind("retrain", RetrainOptions)
def _retrain(ctx: JobContext, db: Store, job: Job, options: RetrainOptions) -> dict[str, Any]:
    """Train the workspace's own model for a task from the analysts' label corrections."""
    return labels.retrain(db, job.workspace, options, say=lambda msg: job.step(msg))


@job_kind("retention", NoOptions)
def _retention(ctx: JobContext, db: Store, job: Job, options: NoOptions) -> dict[str, Any]:
    """Apply one workspace's retention now (owners ask for it; the daily pass does every workspace)."""
    job.step("deleting expired posts")
    return run_maintenance(db, ctx.rejects_dir, job.user, workspace=job.workspace)


@job_kind("maintenance", NoOptions)
def _maintenance(ctx: JobContext, db: Store, job: Job, options: NoOptions) -> dict[str, Any]:
    """The daily pass: every workspace's retention, the audit log's, old rejects files and job records."""
    job.step("applying retention")
    return run_maintenance(db, ctx.rejects_dir, job.user)


@job_kind("taxonomy", TaxonomyOptions)
def _taxonomy(ctx: JobContext, db: Store, job: Job, options: TaxonomyOptions) -> dict[str, Any]:
    """Store an edited taxonomy and retrain the topic classifier for it (tens of seconds: never in a request)."""
    from civicpulse.analysis.taxonomy import Taxonomy, default_taxonomy
    from civicpulse.analysis.workspace import set_taxonomy

    taxonomy = Taxonomy.from_records(list(options.topics), source="taxonomy editor")
    set_taxonomy(db, job.workspace, taxonomy, progress=lambda msg: job.step(msg))
    db.audit(job.user, job.workspace, "taxonomy.set", f"{len(taxonomy.topics)} topics")
    return {"topics": len(taxonomy.topics), "retrained": taxonomy != default_taxonomy()}


@job_kind("collect", CollectOptions)
def _collect(ctx: JobContext, db: Store, job: Job, options: CollectOptions) -> dict[str, Any]:
    """`civicpulse collect --once` handed over: the due sources run in the collection runtime's pool (beside
    its scheduled runs, never twice at once) and the job waits for their summaries."""
    from civicpulse.collect.service import Collector

    if ctx.collection is None:
        raise RuntimeError("this server does not collect")
    job.step("collecting")
    lister = Collector(db, ctx.keys_dir, ctx.rejects_dir, ctx.rejects_dir)  # lists the due sources; runs nothing
    due = lister.due_sources(job.workspace or None, ignore_schedule=options.ignore_schedule)
    return {"runs": [asdict(s) for s in ctx.collection.run_and_wait([s.source_id for s in due])]}


def _shown(file: str | None, options: IngestOptions) -> str | None:
    """Uploads are stored under server paths; the report names them as the user did."""
    names = dict(zip(options.paths, options.shown_names, strict=True))
    return names.get(file, Path(file).name if file else file)  # type: ignore[arg-type]

"""What each background job does. Ingest and analysis reuse the CLI's building blocks, so an upload in the
browser gets the same formats, pseudonymization, dedup and per-record reject report as `civicpulse ingest`."""

from __future__ import annotations

import csv
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicpulse.ingest.limits import Limits
from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.lifecycle import apply_workspace_retention, run_maintenance
from civicpulse.runtime.jobs import Handler, Job, public_text, read_rejects
from civicpulse.sources.generic import Mapping
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.alerts.outbox import DeliveryQueue
    from civicpulse.runtime.collection import CollectionRuntime

log = logging.getLogger("civicpulse.jobs")


def _backends(p: dict[str, Any]) -> dict[str, Any]:
    """The CLI's --models/--encoder/--classifier, when `civicpulse analyze` was handed over with them."""
    if not (p.get("models_dir") or p.get("encoder") or p.get("classifiers")):
        return {}
    from civicpulse.analysis.backends import (
        classifier_from_spec,
        encoder_from_spec,
        load_bundle,
        parse_classifier_options,
    )

    models, bundle_encoder = load_bundle(Path(p["models_dir"])) if p.get("models_dir") else ({}, None)
    return {"base_models": models, "encoder": encoder_from_spec(p.get("encoder") or bundle_encoder),
            "classifiers": {t: classifier_from_spec(t, spec)
                            for t, spec in parse_classifier_options(tuple(p.get("classifiers") or ())).items()}}


def _analyze(db: Store, job: Job) -> dict[str, Any]:
    from civicpulse.analysis.enrich import enrich_workspace
    from civicpulse.analysis.workspace import workspace_analyzer

    p = job.params
    job.step("preparing the analyzer")
    analyzer = workspace_analyzer(db, job.workspace, mode=p.get("mode", "cascade"),
                                  progress=lambda msg: job.step(msg), **_backends(p))
    options = {k: p[k] for k in ("batch_size", "limit") if p.get(k)}
    report = enrich_workspace(db, job.workspace, analyzer, discover=p.get("discovery", True), **options,
                              progress=lambda done, total: job.step("analyzing", done, total))
    # Everything `civicpulse analyze` prints, so a handed-over run reports exactly like a local one.
    return {"analyzed": report.analyzed, "seconds": round(report.seconds, 1), "backlog": report.backlog,
            "encoded": report.encoded, "model": analyzer.signature, "discovery": report.discovery}


def _alerts(db: Store, job: Job, keys_dir: Path, deliveries: DeliveryQueue | None) -> list[dict[str, Any]]:
    """Alert rules are evaluated as data arrives: after every import and analysis. Deliveries go to the queue,
    so a slow webhook receiver does not hold the job."""
    from civicpulse.alerts import AlertService
    from civicpulse.notify.email import SmtpSettings

    job.step("evaluating alert rules")
    try:
        events = AlertService(db, SmtpSettings.from_env(), keys_dir=keys_dir,
                              deliveries=deliveries).evaluate(job.workspace)
    except Exception:  # a broken rule must not fail the import that triggered it
        log.exception("alert evaluation failed for %s", job.workspace)
        return []
    return [{"rule_id": e.rule_id, "message": e.message} for e in events]


def make_handlers(keys_dir: Path, rejects_dir: Path, deliveries: DeliveryQueue | None = None,
                  collection: CollectionRuntime | None = None) -> dict[str, Handler]:
    def ingest(db: Store, job: Job) -> dict[str, Any]:
        p = job.params
        key = KeyStore(keys_dir).load(job.workspace)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        # Limits on input: the server's environment, then what a handed-over `civicpulse ingest --limit` asked.
        limits = Limits.from_env(**(p.get("limits") or {}))
        shown_names = p.get("names") or p["paths"]
        uploaded = bool(p.get("uploaded"))  # a browser upload: server paths never reach the user
        writer = RejectWriter(p.get("rejects") or rejects_dir / f"{job.workspace}-{stamp}-{job.id}.jsonl",
                              limits.max_rejects_per_file,
                              shown=(lambda text: public_text(text, p)) if uploaded else None)
        options: dict[str, Any] = {"encoding": p.get("encoding", "utf-8"), "limits": limits,
                                   "mapping": Mapping.load(p["mapping"]) if p.get("mapping") else None,
                                   "file_mappings": {path: Mapping.from_dict(data, origin=shown)
                                                     for path, shown in zip(p["paths"], shown_names, strict=True)
                                                     if (data := (p.get("file_mappings") or {}).get(path))}}
        # The CLI's --batch-size for a handed-over ingest, else the server's setting (docs/server.md).
        if p.get("batch_size") or os.environ.get("CIVICPULSE_IMPORT_BATCH"):
            options["batch_size"] = p.get("batch_size") or int(os.environ["CIVICPULSE_IMPORT_BATCH"])

        def next_file(index: int, path: str) -> None:
            job.step(f"importing {shown_names[index]}", 0, Path(path).stat().st_size if Path(path).is_file() else None)

        try:
            ingestor = Ingestor(db, job.workspace, Pseudonymizer(key), writer, format_name=p.get("format"),
                                on_progress=lambda pos: job.step(job.phase, pos, job.total), **options)
            # A file with bad records, or one that cannot be read at all, is reported in its summary; the
            # files after it are still imported.
            summaries = ingestor.ingest_files(list(p["paths"]), next_file)
        finally:
            writer.close()
            if p.get("uploaded"):  # browser uploads are raw platform data, authors included: gone once ingested
                shutil.rmtree(p["uploaded"], ignore_errors=True)
        files = [{**{k: getattr(summary, k) for k in ("format", "read", "stored", "updated", "unchanged", "deleted",
                                                    "skipped", "rejected", "warnings")},
                  "file": shown, "messages": [public_text(m, p) for m in summary.messages] if uploaded
                  else summary.messages}
                 for summary, shown in zip(summaries, shown_names, strict=True)]
        rejects = [{**r, "file": _shown(r.get("file"), p)} for r in read_rejects(writer.path)] \
            if writer.path else []
        result: dict[str, Any] = {"files": files, "rejects": rejects, "rejected_total": writer.count,
                                  "rejects_file": writer.path.name if writer.count else None}
        # Posts past the workspace's retention do not come back by being imported again.
        expired = apply_workspace_retention(db, job.workspace, job.user, audit_empty=False)
        if expired and expired["posts"]:
            result["expired"] = expired
        if writer.error:  # e.g. a full disk: the counts stand, the rejects file is incomplete
            result["rejects_error"] = writer.error
        if p.get("analyze", True):
            result["analysis"] = _analyze(db, job)
            result["alerts"] = _alerts(db, job, keys_dir, deliveries)
        return result

    def analyze(db: Store, job: Job) -> dict[str, Any]:
        result = _analyze(db, job)
        result["alerts"] = _alerts(db, job, keys_dir, deliveries)
        return result

    def retrain(db: Store, job: Job) -> dict[str, Any]:
        """Train the workspace's own model for a task from the analysts' label corrections."""
        from civicpulse.analysis.workspace import train_workspace_model

        task = job.params["task"]
        rows = db.query("SELECT p.text, c.label, p.language FROM label_corrections c JOIN posts p ON "
                        "p.workspace = c.workspace AND p.platform = c.platform AND p.post_id = c.post_id "
                        "WHERE c.workspace = ? AND c.task = ? AND NOT p.deleted", [job.workspace, task])
        if not rows:
            raise ValueError(f"no corrected {task} labels in {job.workspace} yet")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{task}-corrections.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["text", "label", "lang"])
                out.writerows(rows)
            card = train_workspace_model(db, job.workspace, task, path, progress=lambda msg: job.step(msg))
        card.pop("source", None)
        return card

    def retention(db: Store, job: Job) -> dict[str, Any]:
        """Apply one workspace's retention now (owners ask for it; the daily pass does every workspace)."""
        job.step("deleting expired posts")
        return run_maintenance(db, rejects_dir, job.user, workspace=job.workspace)

    def maintenance(db: Store, job: Job) -> dict[str, Any]:
        """The daily pass: every workspace's retention, the audit log's, old rejects files and job records."""
        job.step("applying retention")
        return run_maintenance(db, rejects_dir, job.user)

    def collect(db: Store, job: Job) -> dict[str, Any]:
        """`civicpulse collect --once` handed over: the due sources run in the collection runtime's pool (beside
        its scheduled runs, never twice at once) and the job waits for their summaries."""
        from dataclasses import asdict

        from civicpulse.collect.service import Collector

        if collection is None:
            raise RuntimeError("this server does not collect")
        job.step("collecting")
        lister = Collector(db, keys_dir, rejects_dir, rejects_dir)  # lists the due sources; runs nothing itself
        due = lister.due_sources(job.workspace or None, ignore_schedule=bool(job.params.get("ignore_schedule")))
        return {"runs": [asdict(s) for s in collection.run_and_wait([s.source_id for s in due])]}

    return {"ingest": ingest, "analyze": analyze, "retrain": retrain, "retention": retention,
            "maintenance": maintenance, "taxonomy": _taxonomy, "collect": collect}


def _taxonomy(db: Store, job: Job) -> dict[str, Any]:
    """Store an edited taxonomy and retrain the topic classifier for it (tens of seconds: never in a request)."""
    from civicpulse.analysis.taxonomy import Taxonomy, default_taxonomy
    from civicpulse.analysis.workspace import set_taxonomy

    taxonomy = Taxonomy.from_records(job.params["topics"], source="taxonomy editor")
    set_taxonomy(db, job.workspace, taxonomy, progress=lambda msg: job.step(msg))
    db.audit(job.user, job.workspace, "taxonomy.set", f"{len(taxonomy.topics)} topics")
    return {"topics": len(taxonomy.topics), "retrained": taxonomy != default_taxonomy()}


def _shown(file: str | None, params: dict[str, Any]) -> str | None:
    """Uploads are stored under server paths; the report names them as the user did."""
    names = dict(zip(params["paths"], params.get("names") or params["paths"], strict=True))
    return names.get(file, Path(file).name if file else file)

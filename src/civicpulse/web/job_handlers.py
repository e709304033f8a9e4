"""What each background job does. Ingest and analysis reuse the CLI's building blocks, so an upload in the
browser gets the same formats, pseudonymization, dedup and per-record reject report as `civicpulse ingest`."""

from __future__ import annotations

import csv
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civicpulse.ingest.pipeline import Ingestor
from civicpulse.ingest.pseudonymize import KeyStore, Pseudonymizer
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.jobs import Handler, Job, read_rejects

log = logging.getLogger("civicpulse.jobs")


def _analyze(db: DuckDBStore, job: Job, mode: str = "cascade") -> dict[str, Any]:
    from civicpulse.analysis.enrich import enrich_workspace
    from civicpulse.analysis.workspace import workspace_analyzer

    job.step("preparing the analyzer")
    analyzer = workspace_analyzer(db, job.workspace, mode=mode, progress=lambda msg: job.step(msg))
    report = enrich_workspace(db, job.workspace, analyzer,
                              progress=lambda done, total: job.step("analyzing", done, total))
    return {"analyzed": report.analyzed, "seconds": round(report.seconds, 1)}


def _alerts(db: DuckDBStore, job: Job) -> list[dict[str, Any]]:
    """Alert rules are evaluated as data arrives: after every import and analysis."""
    from civicpulse.alerts import AlertService
    from civicpulse.notify.email import SmtpSettings

    job.step("evaluating alert rules")
    try:
        events = AlertService(db, SmtpSettings.from_env()).evaluate(job.workspace)
    except Exception:  # a broken rule must not fail the import that triggered it
        log.exception("alert evaluation failed for %s", job.workspace)
        return []
    return [{"rule_id": e.rule_id, "message": e.message} for e in events]


def make_handlers(keys_dir: Path, rejects_dir: Path) -> dict[str, Handler]:
    def ingest(db: DuckDBStore, job: Job) -> dict[str, Any]:
        p = job.params
        key = KeyStore(keys_dir).load(job.workspace)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        writer = RejectWriter(rejects_dir / f"{job.workspace}-{stamp}-{job.id}.jsonl")
        files = []
        try:
            ingestor = Ingestor(db, job.workspace, Pseudonymizer(key), writer, format_name=p.get("format"),
                                on_progress=lambda pos: job.step("importing", pos, job.total))
            for path, shown in zip(p["paths"], p.get("names") or p["paths"], strict=True):
                job.step(f"importing {shown}", 0, Path(path).stat().st_size if Path(path).is_file() else None)
                summary = ingestor.ingest(path)
                files.append({**{k: getattr(summary, k) for k in ("format", "read", "stored", "updated",
                                                                  "unchanged", "deleted", "skipped",
                                                                  "rejected", "warnings")}, "file": shown})
        finally:
            writer.close()
        rejects = [{**r, "file": _shown(r.get("file"), p)} for r in read_rejects(writer.path)] \
            if writer.path else []
        result: dict[str, Any] = {"files": files, "rejects": rejects, "rejected_total": writer.count,
                                  "rejects_file": writer.path.name if writer.count else None}
        if p.get("analyze", True):
            result["analysis"] = _analyze(db, job, p.get("mode", "cascade"))
            result["alerts"] = _alerts(db, job)
        return result

    def analyze(db: DuckDBStore, job: Job) -> dict[str, Any]:
        result = _analyze(db, job, job.params.get("mode", "cascade"))
        result["alerts"] = _alerts(db, job)
        return result

    def retrain(db: DuckDBStore, job: Job) -> dict[str, Any]:
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

    return {"ingest": ingest, "analyze": analyze, "retrain": retrain}


def _shown(file: str | None, params: dict[str, Any]) -> str | None:
    """Uploads are stored under server paths; the report names them as the user did."""
    names = dict(zip(params["paths"], params.get("names") or params["paths"], strict=True))
    return names.get(file, Path(file).name if file else file)

"""The CLI, the web routes and the job handlers are adapters: they reach the same service function with the same
typed options (swapping the service swaps it for all of them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from civicpulse.cli import main
from civicpulse.ingest.pipeline import FileSummary
from civicpulse.ingest.rejects import RejectWriter
from civicpulse.runtime.job_handlers import job_options, make_handlers, submit_job
from civicpulse.runtime.jobs import Job
from civicpulse.services import analyze as analysis
from civicpulse.services import ingest as ingesting
from civicpulse.services.analyze import AnalysisSummary, AnalyzeOptions
from civicpulse.services.ingest import IngestOptions, IngestOutcome
from civicpulse.services.options import OptionsError
from civicpulse.store import open_store


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, str, object]]:
    seen: list[tuple[str, str, object]] = []

    def fake_ingest(store, workspace, options, **kwargs):
        seen.append(("ingest", workspace, options))
        return IngestOutcome([FileSummary(path, "mastodon", read=1, stored=1) for path in options.paths],
                             RejectWriter(None), None)

    def fake_analyze(store, workspace, options, **kwargs):
        seen.append(("analyze", workspace, options))
        return AnalysisSummary(5, 5, 1.25, 2, "sig", {})

    monkeypatch.setattr(ingesting, "ingest", fake_ingest)
    monkeypatch.setattr(analysis, "analyze_workspace", fake_analyze)
    return seen


def test_cli_ingest_and_the_ingest_job_call_the_one_ingest_service(tmp_path: Path, calls) -> None:
    src = tmp_path / "a.json"
    src.write_text("[]")
    db = str(tmp_path / "s.duckdb")
    result = CliRunner().invoke(main, ["--db", db, "ingest", str(src), "-w", "city", "--batch-size", "300",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "a.json" in result.output and "mastodon" in result.output  # the summary table of what the service did
    (kind, workspace, cli_options), = calls
    assert (kind, workspace, cli_options.paths, cli_options.batch_size) == ("ingest", "city", (str(src),), 300)
    store = open_store(db)
    try:
        job = Job("ingest", "city", "analyst", {**cli_options.to_params(), "analyze": False})
        job_result = make_handlers(tmp_path / "keys", tmp_path / "rejects")["ingest"](store, job)
    finally:
        store.close()
    assert calls[1] == ("ingest", "city", cli_options)
    assert [(f["file"], f["stored"]) for f in job_result["files"]] == [(str(src), 1)]


def test_cli_analyze_and_the_analyze_job_call_the_one_analysis_service(tmp_path: Path, calls) -> None:
    db = str(tmp_path / "s.duckdb")
    store = open_store(db)
    store.ensure_workspace("city")
    store.close()
    result = CliRunner().invoke(main, ["--db", db, "analyze", "-w", "city", "--mode", "fast", "--limit", "9",
                                       "--no-discovery", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "analyzed 5 of 5 waiting posts in 1.2 s" in result.output
    (kind, workspace, cli_options), = calls
    assert (kind, workspace) == ("analyze", "city")
    assert cli_options == AnalyzeOptions(mode="fast", batch_size=1024, limit=9, discovery=False)
    store = open_store(db)
    try:
        job = Job("analyze", "city", "analyst", json.loads(json.dumps(cli_options.to_params())))
        result_of_job = make_handlers(tmp_path / "keys", tmp_path / "rejects")["analyze"](store, job)
    finally:
        store.close()
    assert calls[1] == ("analyze", "city", cli_options)
    assert (result_of_job["analyzed"], result_of_job["seconds"], result_of_job["model"]) == (5, 1.2, "sig")


def test_submit_job_records_typed_options_as_json(tmp_path: Path) -> None:
    submitted: list[tuple] = []

    class Runner:
        def submit(self, kind, workspace, user, **params):
            submitted.append((kind, workspace, user, params))
            return Job(kind, workspace, user, params)

    job = submit_job(Runner(), "analyze", "city", "ann", AnalyzeOptions(limit=3))  # type: ignore[arg-type]
    assert submitted == [("analyze", "city", "ann", {"mode": "cascade", "limit": 3, "discovery": True,
                                                    "classifiers": []})]
    assert AnalyzeOptions.from_params(job.params) == AnalyzeOptions(limit=3)
    with pytest.raises(TypeError, match="a retrain job takes RetrainOptions, not AnalyzeOptions"):
        submit_job(Runner(), "retrain", "city", "ann", AnalyzeOptions())  # type: ignore[arg-type]
    assert submit_job(Runner(), "maintenance", "", "system").params == {}


def test_handed_over_parameters_become_the_kinds_options() -> None:
    options = job_options("ingest", {"paths": ["/srv/a.json"], "mode": "cascade", "analyze": False})
    assert options == IngestOptions(("/srv/a.json",), analyze=False)  # fields of other kinds are left out
    with pytest.raises(OptionsError, match="unknown job kind 'fly'"):
        job_options("fly", {})
    with pytest.raises(OptionsError, match="an ingest needs paths"):
        job_options("ingest", {"paths": []})

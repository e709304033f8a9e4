"""Analysts' label corrections, the queue of posts worth labelling next, and retraining a workspace's model from
the corrections (web: PUT .../labels, GET .../label-queue, the retrain job)."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.services.options import Options, check_choice
from civicpulse.store import labels_sql as sql
from civicpulse.store.base import Store

CORRECTABLE = ("sentiment", "emotion", "topics")
QUEUE_TASKS = ("sentiment", "emotion")
MAX_LABEL = 400


class InvalidLabel(ValueError):
    """A label that is not one of the task's labels (the message names the choices)."""


class PostNotFound(LookupError):
    """No live post of that id in the workspace."""


@dataclass(frozen=True)
class Correction(Options):
    """A post's corrected label for a task; for topics, comma-separated topic ids."""

    task: str
    label: str

    def __post_init__(self) -> None:
        check_choice("task", self.task, CORRECTABLE)
        if not 1 <= len(self.label) <= MAX_LABEL:
            raise InvalidLabel(f"{self.task}: a label has 1 to {MAX_LABEL} characters")

    def labels(self) -> list[str]:
        return [t.strip() for t in self.label.split(",") if t.strip()]


def correct_label(store: Store, workspace: str, user: str, platform: str, post_id: str,
                  correction: Correction) -> dict[str, Any]:
    """Record (or replace) an analyst's label for one post; audited. Returns the label and the task's count."""
    from civicpulse.analysis.workspace import get_taxonomy

    task = correction.task
    allowed: Any = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}.get(task)
    labels = correction.labels()
    if allowed is None:
        allowed = get_taxonomy(store, workspace).ids
    bad = [x for x in labels if x not in allowed] or ([] if task == "topics" or len(labels) == 1 else labels)
    if bad or not labels:
        raise InvalidLabel(f"{task}: {correction.label!r} is not valid; choose from {', '.join(allowed)}")
    if not store.query(sql.LIVE_POST, [workspace, platform, post_id]):
        raise PostNotFound(f"no post {platform}/{post_id} in {workspace}")
    label = ",".join(labels)
    store.execute(sql.DELETE_CORRECTION, [workspace, platform, post_id, task])
    store.execute(sql.INSERT_CORRECTION, [workspace, platform, post_id, task, label, user])
    store.audit(user, workspace, "label.correct", f"{platform}/{post_id} {task}={label}")
    count = store.query(sql.COUNT_CORRECTIONS, [workspace, task])[0][0]
    return {"task": task, "label": label, "corrections": count}


def posts_to_label(store: Store, workspace: str, user: str, task: str, n: int) -> list[dict[str, Any]]:
    """Not yet labelled posts, most uncertain first (active learning); audited. Never an author."""
    from civicpulse.analytics.label_queue import label_queue

    check_choice("task", task, QUEUE_TASKS)
    store.audit(user, workspace, "view.label_queue", f"task={task} n={n}")
    return label_queue(store, workspace, task, n)


@dataclass(frozen=True)
class RetrainOptions(Options):
    """Which task's model to retrain from the workspace's corrections (the retrain job)."""

    task: str

    def __post_init__(self) -> None:
        check_choice("task", self.task, CORRECTABLE)


def retrain(store: Store, workspace: str, options: RetrainOptions,
            say: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Train the workspace's own model for a task from the analysts' label corrections; its model card."""
    from civicpulse.analysis.workspace import train_workspace_model

    task = options.task
    rows = store.query(sql.CORRECTED_TEXTS, [workspace, task])
    if not rows:
        raise ValueError(f"no corrected {task} labels in {workspace} yet")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{task}-corrections.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["text", "label", "lang"])
            out.writerows(rows)
        card = train_workspace_model(store, workspace, task, path, progress=say)
    card.pop("source", None)
    return card


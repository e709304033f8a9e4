"""Training a workspace's sentiment or emotion model: minimum labels, the cross-validated choice (workspace_fit.py),
the final fit, and the gate that keeps the live model when the new one would not be better on the same labels."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from civicpulse.analysis import workspace_fit as wf
from civicpulse.analysis.dataset import DatasetError, Example
from civicpulse.analysis.models import TaskModel
from civicpulse.analysis.training import Featurizer
from civicpulse.analysis.workspace_fit import Choice, Estimate, HeadConfig, fit_offset_head, metric

MIN_LABELS = 50
MIN_PER_LABEL = 5  # at least two labels need this many examples: a one-label file teaches nothing
ALWAYS_ENCODE = 2.0  # a cascade threshold no probability reaches: every text gets the workspace's embedding head


class TooFewLabels(DatasetError):
    """Not enough labels to fit and to check a workspace model."""


def check_labels(gold: Sequence[str], labels: Sequence[str], source: str) -> list[str]:
    """Raise when the labels are too few to learn from; return warnings about labels with very few examples."""
    counts = Counter(gold)
    if len(gold) < MIN_LABELS:
        raise TooFewLabels(f"{source}: {len(gold)} labelled rows; a workspace model needs at least {MIN_LABELS} "
                           f"(and {MIN_PER_LABEL} for each of two labels or more) to be trained and checked")
    enough = [label for label in labels if counts[label] >= MIN_PER_LABEL]
    if len(enough) < 2:
        found = ", ".join(f"{label} {counts[label]}" for label in labels if counts[label]) or "none"
        raise TooFewLabels(f"{source}: at least two labels need {MIN_PER_LABEL} examples each (found: {found})")
    return [f"{label}: only {counts[label]} example(s); the model will rarely predict it"
            for label in labels if 0 < counts[label] < MIN_PER_LABEL]


def text_hash(e: Example) -> str:
    """Short fingerprint of a labelled text, stored with a model so a later check knows which rows it saw."""
    return hashlib.blake2b(e.key.encode(), digest_size=6).hexdigest()


def served_proba(model: TaskModel, xs, xt: np.ndarray) -> np.ndarray:
    """What the pipeline's cascade mode outputs for this model alone (the teacher where the student is unsure)."""
    p = model.student.proba(xs)
    if model.teacher is None:
        return p
    unsure = p.max(axis=1) < model.threshold
    w = float(model.meta.get("teacher_weight", 0.5))
    p[unsure] = (1 - w) * p[unsure] + w * model.teacher.proba(xt[unsure])
    return p


@dataclass
class CrossValidation:
    gold: np.ndarray
    folds: np.ndarray
    choice: Choice
    estimate: Estimate
    scores: dict[Choice, float]
    predictions: dict[Choice, np.ndarray] = field(repr=False)
    student_alone: HeadConfig  # best n-gram head on its own, for the fast (student-only) mode


def cross_validate(examples: Sequence[Example], task: str, labels: Sequence[str], feats: Featurizer,
                   default: TaskModel, metric_name: str = "macro_f1") -> CrossValidation:
    texts = [e.text for e in examples]
    gold = np.array([labels.index(getattr(e, task)) for e in examples])
    k = len(labels)
    xs, xt = feats.student(texts), feats.teacher(texts)
    folds = wf.stratified_folds([e.key for e in examples], gold, wf.FOLDS)
    teachers, students = wf.teacher_grid(default.teacher is not None), wf.student_grid()
    oof_t = {c: np.zeros((len(gold), k)) for c in teachers}
    oof_s = {c: np.zeros((len(gold), k)) for c in students}
    with wf.one_thread():
        _fill_out_of_fold(folds, gold, labels, xs, xt, default, oof_t, oof_s)
    # Insertion order is the tiebreak: the default model first, then the plainest combinations.
    predictions = {Choice(None, None, 0.0, default=True): served_proba(default, xs, xt).argmax(axis=1)}
    for t in teachers:
        predictions[Choice(t, None, 0.0)] = oof_t[t].argmax(axis=1)
    for share in wf.STUDENT_SHARES[1:]:
        for t in teachers:
            for s in students:
                predictions[Choice(t, s, share)] = ((1 - share) * oof_t[t] + share * oof_s[s]).argmax(axis=1)
    choice, estimate, scores = wf.select(gold, predictions, k, metric_name, wf.FOLDS)
    student_alone = max(students, key=lambda s: metric(gold, oof_s[s].argmax(axis=1), k, metric_name))
    return CrossValidation(gold, folds, choice, estimate, scores, predictions, student_alone)


def _fill_out_of_fold(folds: np.ndarray, gold: np.ndarray, labels: Sequence[str], xs, xt: np.ndarray,
                      default: TaskModel, oof_t: dict, oof_s: dict) -> None:
    for f in range(wf.FOLDS):
        fit, held = folds != f, folds == f
        for c in oof_t:
            oof_t[c][held] = fit_offset_head(xt[fit], gold[fit], labels, c, default.teacher).proba(xt[held])
        for c in oof_s:
            oof_s[c][held] = fit_offset_head(xs[fit], gold[fit], labels, c, default.student).proba(xs[held])


def fit_final(examples: Sequence[Example], task: str, labels: Sequence[str], feats: Featurizer, default: TaskModel,
              cv: CrossValidation, version: str) -> TaskModel:
    """The chosen combination fitted on every label, as a model the pipeline serves unchanged."""
    meta = {"version": version, "labels": list(labels), "examples": len(examples),
            "label_counts": dict(Counter(getattr(e, task) for e in examples)), "fit": cv.choice.to_dict(),
            "encoder": feats.encoder.name, "trained_on": sorted({text_hash(e) for e in examples})}
    if cv.choice.default:
        return TaskModel(task, default.student, default.teacher, default.threshold, {**meta, "teacher_weight": 0.5})
    texts = [e.text for e in examples]
    xs, xt = feats.student(texts), feats.teacher(texts)
    with wf.one_thread():
        teacher = fit_offset_head(xt, cv.gold, labels, cv.choice.teacher, default.teacher)
        student = fit_offset_head(xs, cv.gold, labels, cv.choice.student or cv.student_alone, default.student)
    return TaskModel(task, student, teacher, ALWAYS_ENCODE, {**meta, "teacher_weight": 1 - cv.choice.share})


@dataclass
class Baseline:
    name: str  # "default" or "workspace"
    score: float
    note: str


def live_baseline(examples: Sequence[Example], task: str, labels: Sequence[str], feats: Featurizer,
                  default: TaskModel, live: TaskModel | None, cv: CrossValidation, metric_name: str) -> Baseline:
    """An honest score of the model now live, on the same labels: direct predictions on rows it never saw; for rows
    it was trained on, its own recipe's out-of-fold predictions (the same folds as the new model's)."""
    k = len(labels)
    if live is None:
        pred = cv.predictions[Choice(None, None, 0.0, default=True)]
        return Baseline("default", metric(cv.gold, pred, k, metric_name), "the default model")
    texts = [e.text for e in examples]
    pred = served_proba(live, feats.student(texts), feats.teacher(texts)).argmax(axis=1)
    if "fit" not in live.meta or "trained_on" not in live.meta:
        return Baseline("workspace", metric(cv.gold, pred, k, metric_name),
                        "the current workspace model (trained before cross-validation was recorded: it may have "
                        "seen some of these labels, so its score may be optimistic)")
    trained_on = set(live.meta["trained_on"])
    seen = np.array([text_hash(e) in trained_on for e in examples])
    if seen.any():
        recipe = Choice.from_dict(live.meta["fit"])
        if recipe not in cv.predictions:
            recipe_pred = _oof(examples, task, labels, feats, default, cv, recipe)
        else:
            recipe_pred = cv.predictions[recipe]
        pred = np.where(seen, recipe_pred, pred)
    note = (f"the current workspace model ({int((~seen).sum())} rows it never saw scored directly, "
            f"{int(seen.sum())} it was trained on scored by refitting its recipe out of fold)")
    return Baseline("workspace", metric(cv.gold, pred, k, metric_name), note)


def _oof(examples: Sequence[Example], task: str, labels: Sequence[str], feats: Featurizer, default: TaskModel,
         cv: CrossValidation, choice: Choice) -> np.ndarray:
    """Out-of-fold predictions of a combination that is not in the current grid (a model trained by an older one)."""
    texts = [e.text for e in examples]
    xs, xt = feats.student(texts), feats.teacher(texts)
    oof_t = {choice.teacher: np.zeros((len(texts), len(labels)))}
    oof_s = {choice.student: np.zeros((len(texts), len(labels)))} if choice.share and choice.student else {}
    with wf.one_thread():
        _fill_out_of_fold(cv.folds, cv.gold, labels, xs, xt, default, oof_t, oof_s)
    p = oof_t[choice.teacher]
    if oof_s:
        p = (1 - choice.share) * p + choice.share * oof_s[choice.student]
    return p.argmax(axis=1)


def learn(labelled: Sequence[Example], task: str, feats: Featurizer, default: TaskModel, live: TaskModel | None,
          version: str, metric_name: str, force: bool, source: str,
          progress=lambda _: None) -> tuple[TaskModel, dict]:
    """Cross-validate, fit the winner on every label and decide whether it replaces the live model."""
    labels = list(default.student.classes)
    if metric_name not in wf.METRICS:
        raise ValueError(f"unknown metric {metric_name!r}; choose from {', '.join(wf.METRICS)}")
    warnings = check_labels([getattr(e, task) for e in labelled], labels, source)
    for warning in warnings:
        progress(f"warning: {warning}")
    progress(f"choosing the {task} head by {wf.FOLDS}-fold cross-validation on your {len(labelled)} labels")
    cv = cross_validate(labelled, task, labels, feats, default, metric_name)
    progress(f"chosen: {cv.choice.describe()}; estimate {cv.estimate.describe()}")
    baseline = live_baseline(labelled, task, labels, feats, default, live, cv, metric_name)
    # The same recipe as the live model's is no regression: compare its plain score (no optimism to take off), so
    # that more labels for an unchanged recipe always reach the live model.
    same = (live.meta.get("fit") == cv.choice.to_dict()) if live is not None else cv.choice.default
    better = (cv.scores[cv.choice] if same else cv.estimate.value) >= baseline.score
    verdict = ("goes live" if better else "goes live (--force)" if force else
               f"is NOT live: {baseline.note} scores {baseline.score:.3f} on the same labels")
    progress(f"{baseline.note}: {metric_name.replace('_', '-')} {baseline.score:.3f}; the new model {verdict}")
    model = fit_final(labelled, task, labels, feats, default, cv, version)
    model.meta.update({"workspace_examples": len(labelled), "source": source, "estimate": cv.estimate.to_dict(),
                       "baseline": {"model": baseline.name, "score": round(baseline.score, 4)}})
    report = {"task": task, "examples": len(labelled), "version": model.version, "choice": cv.choice.describe(),
              "estimate": cv.estimate.to_dict(), "baseline": {"model": baseline.name,
                                                               "score": round(baseline.score, 4),
                                                               "note": baseline.note},
              "live": better or force, "forced": force and not better, "warnings": warnings}
    return model, report

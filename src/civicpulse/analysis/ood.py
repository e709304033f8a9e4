"""Out-of-domain evaluation sets and the zero-shot prototype baseline, for benchmarks/accuracy.py.

The hand-written held-out fifth of data/training overstates accuracy on real posts: these sets are text nobody on
the project wrote (see corpora.py for where they come from and how their labels map to ours). Metrics follow how
the product is judged: macro-recall, macro-F1 and F1 of negative for sentiment; weighted-F1, macro-F1 and the
macro-F1 over anger/joy/sadness for emotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from civicpulse.analysis.corpora import load_goemotions, load_xed, stable_sample
from civicpulse.analysis.dataset import Example
from civicpulse.analysis.encoder import Encoder
from civicpulse.analysis.evaluation import scores
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.prototypes import centred_prototype_probs, prototype_centres

GOEMOTIONS_DEV_SAMPLE = 1500
XED_EN_SAMPLE = 1000
TASK_LABELS = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}
CORE_EMOTIONS = ("anger", "joy", "sadness")


@dataclass
class OodSet:
    name: str
    lang: str
    examples: list[Example]  # each with a sentiment, an emotion or both


def ood_sets(root: Path, names: Sequence[str] | None = None) -> list[OodSet]:
    """The real labelled dev sets found under `root`; none (not an error) when the corpora are absent."""
    if not root.is_dir():
        return []
    found = [OodSet("goemotions-dev", "en", stable_sample(load_goemotions(root, "dev"), GOEMOTIONS_DEV_SAMPLE)),
             OodSet("xed-en", "en", stable_sample(load_xed(root, "en"), XED_EN_SAMPLE)),
             OodSet("xed-vi", "vi", stable_sample(load_xed(root, "vi"), None))]
    return [s for s in found if s.examples and (not names or s.name in names)]


def task_metrics(task: str, gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    s = scores(gold, pred, TASK_LABELS[task])
    if task == "sentiment":
        return {"n": s["n"], "macro_recall": s["macro_recall"], "macro_f1": s["macro_f1"],
                "f1_negative": s["per_label_f1"]["negative"]}
    # As a 3-class test set judges it: only texts whose gold is anger, joy or sadness; any other prediction misses.
    core = [i for i, g in enumerate(gold) if g in CORE_EMOTIONS]
    f1 = scores([gold[i] for i in core], [pred[i] for i in core], TASK_LABELS[task])["per_label_f1"]
    present = [e for e in CORE_EMOTIONS if any(gold[i] == e for i in core)]
    return {"n": s["n"], "weighted_f1": s["weighted_f1"], "macro_f1": s["macro_f1"],
            "ajs_macro_f1": sum(f1[e] for e in present) / len(present) if present else 0.0}


def format_row(set_name: str, task: str, system: str, m: dict[str, float]) -> str:
    if task == "sentiment":
        cols = (f"macro-recall {m['macro_recall']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
                f"F1(neg) {m['f1_negative']:.3f}")
    else:
        cols = (f"weighted-F1 {m['weighted_f1']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
                f"A/J/S macro-F1 {m['ajs_macro_f1']:.3f}")
    return f"{set_name:20} {task:9} {system:26} n={m['n']:5}  {cols}"


def prototype_predict(task: str, texts: Sequence[str], encoder: Encoder) -> list[str]:
    """The zero-shot reference: each class's score is the cosine to its prototype centre, centred over the texts."""
    labels = TASK_LABELS[task]
    sims = encoder.passages(list(texts)) @ prototype_centres(task, encoder).T
    return [labels[k] for k in centred_prototype_probs(sims, 1.0).argmax(axis=1)]

"""Workspace models from a few hundred analyst labels: the old recipe (labels x3 among the general training
sentences) against the cross-validated workspace head (analysis/workspace_fit.py), on real labelled text.

    python benchmarks/workspace_learning.py                       # ../shared/corpora, N = 100, 200, 300
    python benchmarks/workspace_learning.py --sizes 200 --scenarios xed-vi-emotion

An analyst is simulated by N labels drawn from a real corpus; both recipes train on exactly those rows and are
scored on a disjoint dev sample the analyst never labelled:
- `goemotions-sentiment`, `goemotions-emotion`: labels from GoEmotions *train* (minus the rows the default
  models' teachers were trained on), scored on GoEmotions *dev*; the authors' mappings to our labels.
- `xed-vi-emotion`: the Vietnamese XED projections, split by a hash of the text into a label pool and a dev set.
Test splits are never read. Both recipes are scored as the cascade serves them. The line `cv estimate` is what
`train --workspace` prints for the new model (cross-validated on the N labels only), next to its dev score.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

from civicpulse.analysis.corpora import default_corpora_dir, load_goemotions, load_xed, stable_sample
from civicpulse.analysis.dataset import Example, default_data_dir, load_jsonl
from civicpulse.analysis.embedcache import FileCachedEncoder
from civicpulse.analysis.encoder import default_encoder
from civicpulse.analysis.models import default_bundle_path, default_model
from civicpulse.analysis.training import EMBEDDINGS_FILE, Featurizer, default_recipe, load_embedding_cache, train_single
from civicpulse.analysis.workspace_eval import cross_validate, fit_final, served_proba
from civicpulse.analysis.workspace_fit import metric

OLD_WEIGHT = 3.0  # the recipe before cross-validation: analyst rows x3 among the general sentences
METRICS = ("macro_f1", "weighted_f1", "macro_recall", "accuracy")


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)


def analyst_order(rows: list[Example]) -> list[Example]:
    """A fixed shuffle of its own: stable_sample's order is the one the default teachers took their rows in, so the
    rows left after them would start with the common emotions only."""
    return sorted(rows, key=lambda e: hashlib.sha1(f"analyst:{e.text}".encode()).hexdigest())


def scenarios(corpora: Path, dev_size: int) -> dict[str, tuple[str, list[Example], list[Example]]]:
    """name -> (task, label pool in a fixed order, dev rows)."""
    out = {}
    train, dev = load_goemotions(corpora, "train"), load_goemotions(corpora, "dev")
    if train and dev:
        seen = {e.text for rows in default_recipe(corpora).extra_rows.values() for e in rows}  # the teachers' rows
        for task in ("sentiment", "emotion"):
            pool = analyst_order([e for e in train if getattr(e, task) and e.text not in seen])
            out[f"goemotions-{task}"] = (task, pool, stable_sample([e for e in dev if getattr(e, task)], dev_size))
    vi = [e for e in load_xed(corpora, "vi") if e.emotion]
    if vi:
        pool = analyst_order([e for e in vi if _hash(e.text) % 3])
        out["xed-vi-emotion"] = ("emotion", pool, [e for e in vi if not _hash(e.text) % 3])
    return out


def score(model, dev: list[Example], task: str, feats: Featurizer) -> dict[str, float]:
    labels = model.student.classes
    texts = [e.text for e in dev]
    pred = served_proba(model, feats.student(texts), feats.teacher(texts)).argmax(axis=1)
    gold = np.array([labels.index(getattr(e, task)) for e in dev])
    return {m: metric(gold, pred, len(labels), m) for m in METRICS}


def row(name: str, s: dict[str, float], extra: str = "") -> str:
    return f"  {name:10}" + "".join(f"  {m.replace('_', '-')} {s[m]:.3f}" for m in METRICS) + extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=default_corpora_dir())
    parser.add_argument("--sizes", default="100,200,300")
    parser.add_argument("--scenarios", default="goemotions-sentiment,goemotions-emotion,xed-vi-emotion")
    parser.add_argument("--dev-size", type=int, default=600)
    parser.add_argument("--metric", default="macro_f1", help="what cross-validation maximises")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/civicpulse-workspace-learning.npz"))
    args = parser.parse_args()
    found = scenarios(args.corpora, args.dev_size)
    if not found:
        sys.exit(f"no corpora under {args.corpora}: see ../shared/corpora/README.md")
    encoder = FileCachedEncoder(default_encoder(), args.cache)
    feats = Featurizer(encoder, load_embedding_cache(default_bundle_path() / EMBEDDINGS_FILE, encoder))
    base = load_jsonl(default_data_dir().glob("*.jsonl")).split()[0]
    sizes = [int(n) for n in args.sizes.split(",")]
    for name in args.scenarios.split(","):
        task, pool, dev = found[name]
        default = default_model(task)
        need = max(sizes)
        feats.teacher([e.text for e in pool[:need] + dev])  # encode once (cached on disk for reruns)
        encoder.save()
        print(f"\n=== {name}: {task}, label pool {len(pool)}, dev {len(dev)} (cross-validation maximises "
              f"{args.metric})")
        print(row("default", score(default, dev, task, feats)))
        for n in sizes:
            labelled = pool[:n]
            counts = Counter(getattr(e, task) for e in labelled)
            print(f" N = {n}: " + ", ".join(f"{label} {counts[label]}" for label in default.student.classes))
            started = time.perf_counter()
            rows = base + [Example(**{**e.__dict__, "weight": OLD_WEIGHT}) for e in labelled]
            old = train_single(task, rows, feats, "old", c_values=(default.meta["c_student"],
                                                                   default.meta["c_teacher"]))
            print(row("old (x3)", score(old, dev, task, feats), f"  ({time.perf_counter() - started:.0f} s)"))
            started = time.perf_counter()
            cv = cross_validate(labelled, task, list(default.student.classes), feats, default, args.metric)
            new = fit_final(labelled, task, list(default.student.classes), feats, default, cv, "new")
            print(row("new (cv)", score(new, dev, task, feats), f"  ({time.perf_counter() - started:.0f} s)"))
            e = cv.estimate
            print(f"  cv estimate {e.metric.replace('_', '-')} {e.value:.3f} [{e.low:.3f}, {e.high:.3f}] "
                  f"(raw {e.cv:.3f}); chosen: {cv.choice.describe()}")


if __name__ == "__main__":
    main()

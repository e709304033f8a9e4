"""Accuracy of the analyzer: the hand-written held-out split, and out-of-domain checks that are closer to reality.

    python benchmarks/accuracy.py                    # held-out split, cascade (the default mode)
    python benchmarks/accuracy.py --modes fast,cascade,accurate
    python benchmarks/accuracy.py --ood              # + leave-one-domain-out and the real corpora dev sets
    python benchmarks/accuracy.py --sets lodo,xed-vi --prior-shift --corpora ../shared/corpora
    python benchmarks/accuracy.py --ood --ablate --lodo vi_feedback   # each adaptation lever on and off

Sets (`--sets`, comma-separated): `heldout` (one sentence in five of data/training, chosen by a hash of the
folded text, never trained on); `lodo` (leave-one-domain-out: train on three of the four data/training files with
the shipped recipe, score the fourth); `goemotions-dev`, `xed-en`, `xed-vi` (real labelled text from
../shared/corpora mapped to our labels, see civicpulse/analysis/corpora.py; skipped when the folder is absent;
the GoEmotions test split is never read). Every set runs through `Analyzer`, the same path as `civicpulse
analyze-text`. Out-of-domain rows print macro-recall, macro-F1 and F1(negative) for sentiment and weighted-F1,
macro-F1 and the anger/joy/sadness macro-F1 for emotion, plus a zero-shot prototype baseline as a reference.
Sentence embeddings are cached in `--cache` (keyed by a hash of the text), so reruns encode nothing new.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from civicpulse.analysis.corpora import default_corpora_dir
from civicpulse.analysis.dataset import default_data_dir, load_jsonl
from civicpulse.analysis.embedcache import FileCachedEncoder
from civicpulse.analysis.encoder import default_encoder
from civicpulse.analysis.evaluation import format_confusion, multilabel_scores, scores
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.models import TaskModel, default_model
from civicpulse.analysis.ood import format_row, ood_sets, prototype_predict, task_metrics
from civicpulse.analysis.pipeline import Analyzer

OOD_SETS = ("lodo", "goemotions-dev", "xed-en", "xed-vi")


def heldout_report(args, encoder, models) -> None:
    heldout = load_jsonl(args.data_dir.glob("*.jsonl")).split()[1]
    print(f"held-out examples: {len(heldout)} from {args.data_dir}")
    for mode in args.modes.split(","):
        analyzer = Analyzer(("sentiment", "emotion", "topics"), mode=mode, encoder=encoder, models=models)
        started = time.perf_counter()
        results = analyze_in_batches(analyzer, [e.text for e in heldout], args.batch_size)
        seconds = time.perf_counter() - started
        print(f"\n=== mode {mode}: {len(heldout)} texts in {seconds:.1f} s, "
              f"{analyzer.encoded} sent to the encoder ({analyzer.encoded / len(heldout):.1%})")
        for lang in ("vi", "en", "all"):
            idx = [i for i, e in enumerate(heldout) if lang == "all" or e.lang == lang]
            if not idx:
                continue
            for task, labels in (("sentiment", SENTIMENTS), ("emotion", EMOTIONS)):
                s = scores([getattr(heldout[i], task) for i in idx], [getattr(results[i], task) for i in idx],
                           labels)
                print(f"{task:9} {lang:3} n={s['n']:5}  accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}"
                      f"  macro-recall {s['macro_recall']:.3f}")
                if not args.no_confusion and lang != "all":
                    print(format_confusion(s["confusion"]))
            ids = analyzer.taxonomy.ids
            t = multilabel_scores([heldout[i].topics for i in idx], [results[i].topics for i in idx], ids)
            print(f"topics    {lang:3} n={t['n']:5}  micro-F1 {t['micro_f1']:.3f}  macro-F1 {t['macro_f1']:.3f}  "
                  f"exact set {t['exact_match']:.3f}")


LANGUAGE_KEYS = ("language_thresholds", "language_teacher_weight")


def one_budget(models) -> dict:
    """The same models without their per-language settings: one routing budget and equal votes everywhere."""
    chosen = {t: (models or {}).get(t) or default_model(t) for t in ("sentiment", "emotion", "topics")}
    return {t: replace(m, meta={k: v for k, v in m.meta.items() if k not in LANGUAGE_KEYS})
            for t, m in chosen.items()}


def variants(args, models) -> list[tuple[str, dict | None, bool]]:
    """(row label suffix, models, prototype vote) per system; --ablate adds the models without each lever."""
    rows = [("", models, True)]
    if args.ablate:
        rows += [(" -proto", models, False), (" -lang", one_budget(models), True),
                 (" -both", one_budget(models), False)]
    return rows


def analyze_in_batches(analyzer: Analyzer, texts: list[str], batch_size: int) -> list:
    """As `analyze-text` does (--batch-size): batch-level adaptation sees one batch at a time."""
    return [r for start in range(0, len(texts), batch_size)
            for r in analyzer.analyze_texts(texts[start:start + batch_size])]


def score_set(name: str, examples, args, encoder, models, prototype: bool = True) -> None:
    """One table block: each mode (and mode + prior shift) through the Analyzer, then the prototype baseline."""
    texts = [e.text for e in examples]
    systems = []
    for mode in args.modes.split(","):
        shifts = (False, True) if args.prior_shift and mode != "fast" else (None,)
        for shift, (suffix, served, vote) in ((s, v) for s in shifts for v in variants(args, models)):
            # Topics take part in routing (one decision per text, as in `analyze`), so the share is the product's.
            analyzer = Analyzer(("sentiment", "emotion", "topics"), mode=mode, encoder=encoder, models=served,
                                prior_shift=shift, prototypes=vote)
            label = mode + ("+prior" if analyzer.prior_shift else "") + suffix
            results = analyze_in_batches(analyzer, texts, args.batch_size)
            systems.append((label, {t: [getattr(r, t) for r in results] for t in ("sentiment", "emotion")},
                            analyzer.encoded / max(len(texts), 1)))
    for task in ("sentiment", "emotion"):
        idx = [i for i, e in enumerate(examples) if getattr(e, task)]
        if not idx:
            continue
        gold = [getattr(examples[i], task) for i in idx]
        for label, preds, share in systems:
            print(format_row(name, task, f"{label} ({share:.0%} enc)", task_metrics(
                task, gold, [preds[task][i] for i in idx])))
        if prototype:
            print(format_row(name, task, "prototype (zero-shot)", task_metrics(
                task, gold, prototype_predict(task, [texts[i] for i in idx], encoder))))


def lodo_report(args, encoder, models) -> None:
    """Leave one data/training file out: train with the shipped recipe and C values on the others, score the one
    left out."""
    from civicpulse.analysis.models import default_bundle_path
    from civicpulse.analysis.training import (
        EMBEDDINGS_FILE,
        GOEMOTIONS_PER_EMOTION,
        STUDENT_GOEMOTIONS_PER_EMOTION,
        Featurizer,
        default_recipe,
        load_embedding_cache,
        set_routing,
        train_single,
    )

    chosen = {t: (models or {}).get(t) or default_model(t) for t in ("sentiment", "emotion", "topics")}

    dataset = load_jsonl(args.data_dir.glob("*.jsonl"))
    feats = Featurizer(encoder, load_embedding_cache(default_bundle_path() / EMBEDDINGS_FILE, encoder))
    # The evaluated models' own recipe: corpus rows only if their card says they were trained with them.
    meta = chosen["sentiment"].meta
    recipe = default_recipe(args.corpora if meta.get("teacher_extra_examples") else None,
                            student_weight=meta.get("student_extra_weight", 0.0),
                            # models from before the students took more corpus rows than the teachers
                            student_per_emotion=(STUDENT_GOEMOTIONS_PER_EMOTION if "student_extra_examples" in meta
                                                 else GOEMOTIONS_PER_EMOTION))
    if not meta.get("student_extra_weight"):  # models from before one routing budget: per-task thresholds
        recipe.calibration = []
    if "language_thresholds" not in meta:  # models from before per-language budgets
        recipe.route_share_by_language = {}
    recipe.prototype_weight = {t: chosen[t].meta.get("prototype_weight", 0.0) for t in ("sentiment", "emotion")}
    recipe.teacher_weight_by_language = meta.get("language_teacher_weight", {})
    recipe.class_offsets_by_language = {t: chosen[t].meta["language_class_offsets"] for t in ("sentiment", "emotion")
                                        if "language_class_offsets" in chosen[t].meta}
    print(f"\n=== leave-one-domain-out over {args.data_dir} ({recipe.describe()})")
    domains = sorted({e.source.rsplit(":", 1)[0] for e in dataset.examples})
    if args.lodo:  # a few files only: each left-out file retrains both tasks, minutes on a small CPU
        domains = [d for d in domains if Path(d).stem in args.lodo.split(",")]
    for domain in domains:
        held = [e for e in dataset.examples if e.source.rsplit(":", 1)[0] == domain]
        rest = [e for e in dataset.examples if e.source.rsplit(":", 1)[0] != domain]
        trained = {task: train_single(task, rest, feats, "lodo", recipe=recipe, c_values=(
            chosen[task].meta["c_student"], chosen[task].meta["c_teacher"])) for task in ("sentiment", "emotion")}
        trained["topics"] = replace(chosen["topics"], meta=dict(chosen["topics"].meta))  # routing sets thresholds
        if recipe.calibration:  # the shipped routing: one budget for all tasks (per language), set on real posts
            set_routing(list(trained.values()), feats.student(recipe.calibration), recipe.route_share,
                        recipe.route_share_by_language)
        score_set(f"lodo:{Path(domain).stem}", held, args, encoder, trained, prototype=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="cascade")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--sets", default="heldout", help="comma-separated: heldout, " + ", ".join(OOD_SETS))
    parser.add_argument("--ood", action="store_true", help="add every out-of-domain set to --sets")
    parser.add_argument("--corpora", type=Path, default=default_corpora_dir())
    parser.add_argument("--models", type=Path, default=None, help="model folder (default: the shipped models)")
    parser.add_argument("--lodo", default="", help="leave out only these data/training files (stems, comma-separated)")
    parser.add_argument("--prior-shift", action="store_true", help="also score each mode with prior re-estimation")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/civicpulse-bench-embeddings.npz"))
    parser.add_argument("--no-confusion", action="store_true")
    parser.add_argument("--batch-size", type=int, default=256, help="texts per Analyzer call, as analyze-text's")
    parser.add_argument("--ablate", action="store_true",
                        help="also score the models without the prototype vote (-proto), without their "
                             "per-language routing and teacher share (-lang) and without both (-both: as earlier "
                             "models served them)")
    args = parser.parse_args()
    sets = [s for s in args.sets.split(",") if s] + (list(OOD_SETS) if args.ood else [])
    encoder = FileCachedEncoder(default_encoder(), args.cache)
    models = ({t: TaskModel.load(args.models / f"{t}.npz") for t in ("sentiment", "emotion", "topics")}
              if args.models else None)
    if "heldout" in sets:
        heldout_report(args, encoder, models)
    if "lodo" in sets:
        lodo_report(args, encoder, models)
    wanted = [s for s in sets if s not in ("heldout", "lodo")]
    if wanted:
        found = ood_sets(args.corpora, wanted)
        if not found:
            print(f"\nno corpora under {args.corpora}: skipping {', '.join(wanted)}")
        print(f"\n=== out-of-domain dev sets from {args.corpora}")
        for ood in found:
            score_set(f"{ood.name} ({ood.lang})", ood.examples, args, encoder, models)


if __name__ == "__main__":
    main()

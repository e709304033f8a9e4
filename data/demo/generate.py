"""Regenerate civicpulse's synthetic demo data set: `python data/demo/generate.py [--out DIR] [--seed N]`.

Standard library only and deterministic: the same seed writes byte-identical files. See docs/demo-data.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_gen import SEED, build, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--quiet", action="store_true", help="do not print the item counts")
    args = parser.parse_args(argv)
    stats = build(args.out, args.seed)
    if not args.quiet:
        print(summary(stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

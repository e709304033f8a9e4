"""Real labelled text from ../shared/corpora (GoEmotions, XED), mapped to civicpulse's sentiment and emotions.

Used to evaluate on text nobody on the project wrote (benchmarks/accuracy.py --ood) and to add English
supervision to the teacher heads at training time. The folder is optional: every loader returns nothing when it
is absent. The GoEmotions test split is never read: only `train` (for training) and `dev` (for evaluation).

Mappings (documented in docs/data-sources.md):
- GoEmotions emotions -> ours through the authors' `ekman_mapping.json` (27 labels -> Ekman's six, `neutral`
  stays neutral); a row is kept for emotion only when its labels land on exactly one of our seven.
- GoEmotions sentiment through the authors' `sentiment_dict.json`; `neutral` -> neutral; rows whose labels are
  ambiguous only (surprise, curiosity, ...) or mix positive and negative have no sentiment.
- XED (Plutchik's eight): anticipation and trust have no counterpart and are dropped; a row keeps an emotion when
  the rest is exactly one of ours; `neu_en.txt` lines are neutral. Sentiment where clear: joy or trust ->
  positive, anger, disgust, fear or sadness -> negative (not both); surprise and anticipation alone say nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from civicpulse.analysis.dataset import Example

GOEMOTIONS_SPLITS = ("train", "dev")  # the test split is how others judge models: never read here
XED_EMOTIONS = {1: "anger", 2: None, 3: "disgust", 4: "fear", 5: "joy", 6: "sadness", 7: "surprise", 8: None}
XED_POSITIVE = {5, 8}
XED_NEGATIVE = {1, 3, 4, 6}


def default_corpora_dir() -> Path:
    """$CIVICPULSE_CORPORA, else ../shared/corpora beside the repository (the project's layout); may not exist."""
    override = os.environ.get("CIVICPULSE_CORPORA")
    return Path(override) if override else Path(__file__).resolve().parents[4] / "shared" / "corpora"


def stable_sample(rows: list[Example], n: int | None) -> list[Example]:
    """A fixed sample: the n rows with the smallest hash of their text (the same on every machine)."""
    ranked = sorted(rows, key=lambda e: hashlib.sha1(e.text.encode()).hexdigest())
    return ranked if n is None else ranked[:n]


def map_goemotions(names: Iterable[str], ekman: dict[str, list[str]],
                   sentiment: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(sentiment, emotion) of one GoEmotions row from its emotion names; None where the mapping is unclear."""
    names = set(names)
    to_ekman = {fine: coarse for coarse, fines in ekman.items() for fine in fines}
    emotions = {"neutral" if n == "neutral" else to_ekman.get(n) for n in names}
    emotion = emotions.pop() if len(emotions) == 1 else None
    polarity = {"neutral" if n == "neutral" else next((s for s, fines in sentiment.items() if n in fines), None)
                for n in names}
    polarity.discard("ambiguous")
    senti = polarity.pop() if len(polarity) == 1 else None
    return senti, emotion


def load_goemotions(root: Path, split: str) -> list[Example]:
    """Rows of one GoEmotions split with at least one of our labels; [] when the corpus is absent."""
    if split not in GOEMOTIONS_SPLITS:
        raise ValueError(f"GoEmotions split {split!r} is not used; choose from {', '.join(GOEMOTIONS_SPLITS)}")
    folder = root / "goemotions"
    path = folder / f"{split}.tsv"
    if not path.exists():
        return []
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    ekman = json.loads((folder / "ekman_mapping.json").read_text(encoding="utf-8"))
    polarity = json.loads((folder / "sentiment_dict.json").read_text(encoding="utf-8"))
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip():
            continue
        senti, emotion = map_goemotions((names[int(i)] for i in parts[1].split(",")), ekman, polarity)
        if senti or emotion:
            out.append(Example(parts[0], "en", senti, emotion, source=f"goemotions/{split}.tsv:{n}"))
    return out


def map_xed(ids: Iterable[int]) -> tuple[str | None, str | None]:
    """(sentiment, emotion) of one XED row from its Plutchik ids (9 = neutral)."""
    ids = set(ids)
    if ids == {9}:
        return "neutral", "neutral"
    emotions = {XED_EMOTIONS.get(i) for i in ids} - {None}
    emotion = emotions.pop() if len(emotions) == 1 else None
    positive, negative = bool(ids & XED_POSITIVE), bool(ids & XED_NEGATIVE)
    senti = "positive" if positive and not negative else "negative" if negative and not positive else None
    return senti, emotion


def _xed_rows(path: Path, lang: str, neutral_file: bool = False) -> list[Example]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        parts = [p for p in line.split("\t") if p.strip()]
        if len(parts) < 2:
            continue
        text, raw = (parts[1], parts[0]) if neutral_file else (parts[0], parts[-1])
        try:
            ids = [int(i) for i in raw.replace(" ", "").split(",") if i]
        except ValueError:
            continue  # a stray column where the labels should be
        if not text.strip() or not ids:
            continue
        senti, emotion = map_xed(ids)
        if senti or emotion:
            out.append(Example(text.strip(), lang, senti, emotion, source=f"xed/{path.name}:{n}"))
    return out


def load_xed(root: Path, lang: str) -> list[Example]:
    """XED English (annotated lines plus the neutral file) or the Vietnamese projections; [] when absent."""
    folder = root / "xed"
    if lang == "vi":
        path = folder / "vi-projections.tsv"
        return _xed_rows(path, "vi") if path.exists() else []
    rows = _xed_rows(folder / "en-annotated.tsv", "en") if (folder / "en-annotated.tsv").exists() else []
    if (folder / "neu_en.txt").exists():
        rows += _xed_rows(folder / "neu_en.txt", "en", neutral_file=True)
    return rows


def corpus_fingerprint(root: Path, names: Iterable[str]) -> dict[str, str]:
    """sha256 of each corpus file a training run read, for the model card."""
    return {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in names
            if (root / name).exists()}

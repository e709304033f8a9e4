"""Labelled examples: the project's training sentences and analysts' corrected labels, validated line by line."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS
from civicpulse.analysis.text import clean, fold

HELDOUT_BUCKETS = 5  # one bucket in five is held out: never trained on, used by benchmarks/accuracy.py
LABELS = {"sentiment": SENTIMENTS, "emotion": EMOTIONS}


class DatasetError(ValueError):
    """Bad training data; the message names the file, line and field."""


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    sentiment: str | None = None
    emotion: str | None = None
    topics: tuple[str, ...] = ()
    source: str = ""
    weight: float = 1.0

    @property
    def key(self) -> str:
        """Split key: folded text, so a sentence typed with and without diacritics lands in the same split."""
        return hashlib.sha1(" ".join(fold(clean(self.text)).split()).encode()).hexdigest()

    @property
    def heldout(self) -> bool:
        return int(self.key[:8], 16) % HELDOUT_BUCKETS == 0


@dataclass
class Dataset:
    examples: list[Example] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256, for the model card

    def split(self) -> tuple[list[Example], list[Example]]:
        train = [e for e in self.examples if not e.heldout]
        return train, [e for e in self.examples if e.heldout]


def default_data_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "data" / "training"


def load_jsonl(paths: Iterable[Path]) -> Dataset:
    """The project's training files: JSON lines with text, lang, sentiment, emotion and topics."""
    data = Dataset()
    for path in sorted(paths):
        raw = path.read_bytes()
        data.files[path.name] = hashlib.sha256(raw).hexdigest()
        for n, line in enumerate(raw.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: not valid JSON: {exc.msg}") from None
            data.examples.append(_example(rec, where))
    seen: set[str] = set()
    unique = []
    for e in data.examples:  # exact duplicates would leak between splits and weigh twice
        if e.text not in seen:
            seen.add(e.text)
            unique.append(e)
    data.examples = unique
    return data


def _example(rec: object, where: str) -> Example:
    if not isinstance(rec, dict):
        raise DatasetError(f"{where}: expected an object")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: text: missing or empty")
    for task, allowed in LABELS.items():
        if rec.get(task) not in allowed:
            raise DatasetError(f"{where}: {task}: {rec.get(task)!r} is not one of {', '.join(allowed)}")
    topics = rec.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise DatasetError(f"{where}: topics: expected a list of topic ids")
    return Example(text, str(rec.get("lang") or ""), rec["sentiment"], rec["emotion"], tuple(topics), where)


def load_labels_csv(path: Path, task: str, allowed: Iterable[str]) -> list[Example]:
    """An analyst's corrected labels: CSV with a `text` column and a `label` (or `<task>`) column."""
    allowed = list(allowed)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from None
    examples = []
    with handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        column = "label" if "label" in fields else task
        if "text" not in fields or column not in fields:
            raise DatasetError(f"{path}:1: header must have `text` and `label` (or `{task}`) columns, "
                               f"found: {', '.join(fields) or 'nothing'}")
        try:
            for row in reader:
                where = f"{path}:{reader.line_num}"
                text, label = (row.get("text") or "").strip(), (row.get(column) or "").strip()
                if not text:
                    raise DatasetError(f"{where}: text: empty")
                if task == "topics":
                    labels = tuple(t.strip() for t in label.replace(";", ",").split(",") if t.strip())
                    bad = [t for t in labels if t not in allowed]
                    if bad:
                        raise DatasetError(f"{where}: {column}: unknown topic(s) {', '.join(bad)}")
                    examples.append(Example(text, row.get("lang") or "", topics=labels, source=where))
                    continue
                if label not in allowed:
                    raise DatasetError(f"{where}: {column}: {label!r} is not one of {', '.join(allowed)}")
                examples.append(Example(text, row.get("lang") or "", source=where, **{task: label}))
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{path}:{reader.line_num + 1}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise DatasetError(f"{path}:{reader.line_num}: bad CSV: {exc}") from None
    if not examples:
        raise DatasetError(f"{path}: no labelled rows")
    return examples

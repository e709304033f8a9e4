"""A workspace's topic taxonomy: labels, descriptions and example phrases that drive the topic classifier."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the file and the topic."""


@dataclass(frozen=True)
class Topic:
    id: str
    label_en: str
    label_vi: str = ""
    description: str = ""
    examples: tuple[str, ...] = ()

    def phrases(self) -> list[str]:
        """Texts that stand for the topic when training: its labels, description and examples."""
        return [p for p in (self.label_en, self.label_vi, self.description, *self.examples) if p]


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...] = field(default_factory=tuple)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def fingerprint(self) -> str:
        """Stable hash of everything the classifier learns from; a change means the model must be retrained."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps([asdict(t) for t in self.topics], ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Taxonomy:
        return cls.from_records(json.loads(text), source="<stored taxonomy>")

    def to_toml(self) -> str:
        out = ["# civicpulse taxonomy: edit labels, descriptions and examples, then `civicpulse taxonomy set`."]
        for t in self.topics:
            out += ["", "[[topic]]", f"id = {_toml_str(t.id)}", f"label_en = {_toml_str(t.label_en)}",
                    f"label_vi = {_toml_str(t.label_vi)}", f"description = {_toml_str(t.description)}",
                    "examples = [" + ", ".join(_toml_str(e) for e in t.examples) + "]"]
        return "\n".join(out) + "\n"

    @classmethod
    def from_toml(cls, text: str, source: str = "<taxonomy>") -> Taxonomy:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TaxonomyError(f"{source}: not valid TOML: {exc}") from exc
        return cls.from_records(data.get("topic", []), source=source)

    @classmethod
    def from_file(cls, path: Path) -> Taxonomy:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TaxonomyError(f"{path}: cannot read: {exc.strerror}") from exc
        if path.suffix == ".json":
            try:
                return cls.from_records(json.loads(text), source=str(path))
            except json.JSONDecodeError as exc:
                raise TaxonomyError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
        return cls.from_toml(text, source=str(path))

    @classmethod
    def from_records(cls, records: Any, source: str) -> Taxonomy:
        if not isinstance(records, list) or not records:
            raise TaxonomyError(f"{source}: a taxonomy needs at least one [[topic]]")
        topics: list[Topic] = []
        for n, rec in enumerate(records, 1):
            where = f"{source}: topic #{n}"
            if not isinstance(rec, dict):
                raise TaxonomyError(f"{where}: expected a table with id, label_en, examples")
            unknown = set(rec) - {"id", "label_en", "label_vi", "description", "examples"}
            if unknown:
                raise TaxonomyError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
            topic_id = rec.get("id")
            if not isinstance(topic_id, str) or not _ID.match(topic_id):
                raise TaxonomyError(f"{where}: id must be lowercase ascii letters, digits or _ (got {topic_id!r})")
            if any(t.id == topic_id for t in topics):
                raise TaxonomyError(f"{where}: duplicate id {topic_id!r}")
            examples = rec.get("examples", [])
            if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
                raise TaxonomyError(f"{where} ({topic_id}): examples must be a list of non-empty strings")
            for key in ("label_en", "label_vi", "description"):
                if not isinstance(rec.get(key, ""), str):
                    raise TaxonomyError(f"{where} ({topic_id}): {key} must be a string")
            label = rec.get("label_en") or rec.get("label_vi")
            if not label:
                raise TaxonomyError(f"{where} ({topic_id}): needs label_en or label_vi")
            if not examples and not rec.get("description"):
                raise TaxonomyError(f"{where} ({topic_id}): needs a description or example phrases to learn from")
            topics.append(Topic(topic_id, rec.get("label_en") or label, rec.get("label_vi", ""),
                                rec.get("description", ""), tuple(e.strip() for e in examples)))
        return cls(tuple(topics))


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def default_taxonomy() -> Taxonomy:
    text = resources.files("civicpulse.analysis").joinpath("resources/taxonomy/default.toml").read_text("utf-8")
    return Taxonomy.from_toml(text, source="default taxonomy")

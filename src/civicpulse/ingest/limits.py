"""Limits on input: what one line, document, record or compressed file may cost before it is refused.

Every limit has a default sized for real platform exports, an environment variable and a CLI spelling
(`civicpulse ingest --limit max-line-bytes=16MiB`); docs/formats.md ("Limits on input") lists them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from typing import Any

MIB = 1 << 20
GIB = 1 << 30
# The compression-ratio guard only looks at files past this much output: small files are never refused by it.
RATIO_CHECK_AFTER = 64 * MIB
ENV_PREFIX = "CIVICPULSE_"


class LimitError(ValueError):
    """A limit setting (environment variable or --limit) that is not a valid value."""


@dataclass(frozen=True)
class Limits:
    max_line_bytes: int = 8 * MIB            # one JSON line / CSV record; longer ones are skipped, not read
    max_document_bytes: int = 256 * MIB      # one multi-line JSON document (an API response, an export file)
    max_depth: int = 100                     # JSON nesting of one document
    max_text_chars: int = 100_000            # text of one post
    max_decompressed_bytes: int = 4 * GIB    # what one .gz file may expand to
    max_gzip_ratio: int = 200                # expansion ratio of a .gz file (checked past RATIO_CHECK_AFTER)
    max_rejects_per_file: int = 10_000       # rejects written per file; more are counted, not written
    garbage_after: int = 1_000               # records read before a file may be judged garbage ...
    garbage_share: float = 0.9               # ... when at least this share of them was rejected

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Limits:
        """Defaults, then CIVICPULSE_MAX_LINE_BYTES & co., then explicit overrides (CLI flags, job parameters)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.names():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw.strip():
                values[name] = _parse(name, raw, ENV_PREFIX + name.upper())
        for name, value in overrides.items():
            if name not in cls.names():
                raise LimitError(f"unknown limit {name!r}; known: {', '.join(cls.names())}")
            values[name] = _parse(name, value, name) if isinstance(value, str) else _checked(name, value, name)
        return replace(cls(), **values)

    @classmethod
    def parse_options(cls, options: tuple[str, ...] | list[str]) -> dict[str, Any]:
        """`max-line-bytes=16MiB` strings (the CLI's --limit) as {field name: value}."""
        out: dict[str, Any] = {}
        for option in options:
            key, sep, value = option.partition("=")
            name = key.strip().replace("-", "_").lower()
            if not sep or name not in cls.names():
                known = ", ".join(n.replace("_", "-") for n in cls.names())
                raise LimitError(f"--limit {option!r}: expected NAME=VALUE with NAME one of {known}")
            out[name] = _parse(name, value, f"--limit {key.strip()}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(|k|kb|kib|m|mb|mib|g|gb|gib)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": MIB, "mb": 1000**2, "mib": MIB,
          "g": GIB, "gb": 1000**3, "gib": GIB}


def _parse(name: str, raw: str, where: str) -> Any:
    text = str(raw).strip()
    if name == "garbage_share":
        try:
            return _checked(name, float(text.rstrip("%")) / (100 if text.endswith("%") else 1), where)
        except ValueError:
            raise LimitError(f"{where}: expected a share between 0 and 1 (or a percentage), got {raw!r}") from None
    match = _SIZE.match(text.replace("_", ""))
    if not match:
        raise LimitError(f"{where}: expected a whole number (sizes may end in KiB, MiB or GiB), got {raw!r}")
    return _checked(name, int(float(match.group(1)) * _UNITS[match.group(2).lower()]), where)


def _checked(name: str, value: Any, where: str) -> Any:
    if name == "garbage_share":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise LimitError(f"{where}: expected a share between 0 (excluded) and 1, got {value!r}")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LimitError(f"{where}: expected a positive whole number, got {value!r}")
    return value

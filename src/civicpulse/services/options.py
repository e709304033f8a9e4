"""Typed, validated options for the use-cases, and their JSON form (the `params` of a job in the jobs table).

The JSON keeps the names jobs were recorded with before the options were typed: a store outlives releases, so a
job recorded by an older release still loads. Keys an option class does not know (older or newer releases) are
ignored on load, and None values are left out when saving.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self


class OptionsError(ValueError):
    """Options that cannot be used, with a message fit to show the user."""


@dataclasses.dataclass(frozen=True)
class Options:
    """Base of the frozen option dataclasses; subclasses validate in __post_init__."""

    def to_params(self) -> dict[str, Any]:
        return {f.name: _json(value) for f in dataclasses.fields(self)
                if (value := getattr(self, f.name)) is not None}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        values = {name: _typed(known[name], value) for name, value in params.items()
                  if name in known and value is not None}
        try:
            return cls(**values)
        except TypeError as exc:  # a value of the wrong kind in stored or sent JSON
            raise OptionsError(f"{cls.__name__}: {exc}") from None


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    return value


def _typed(field: dataclasses.Field, value: Any) -> Any:
    # Tuples are lists in JSON; the annotation is a string (postponed evaluation), which is all we need here.
    if isinstance(value, list) and str(field.type).startswith("tuple"):
        return tuple(value)
    return value


def check_int(name: str, value: int | None, low: int, high: int | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise OptionsError(f"{name} must be a whole number {bound}, not {value!r}")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise OptionsError(f"{name} {value!r}: choose from {', '.join(choices)}")

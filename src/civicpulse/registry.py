"""One registry style for every pluggable part: source formats, connectors, encoders, classifiers, store backends
and job kinds.

A `Registry` maps names to things. Built-in parts register themselves with `@registry.register(name)` (or
`registry.add`) in modules named by `builtin`, which are imported on first use so that `civicpulse --help` stays
fast; third-party packages add theirs through an entry-point group `civicpulse.<kind>`: loading the entry point
imports the plugin's module, which runs its `register`, or, with `entry_point_adds`, the entry point's object is
added under the entry point's name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")
Obj = TypeVar("Obj")


class UnknownName(KeyError):
    """A name nothing is registered under; the message lists what is available. Also a KeyError, so callers
    that looked names up in a dict keep working."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Named parts of one kind.

    `missing` words the error for an unknown name ({name!r} and {available} are filled in); the default reads
    "unknown <kind> 'x'; available: a, b".
    """

    def __init__(self, kind: str, *, builtin: Iterable[str] = (), entry_point_group: str | None = None,
                 entry_point_adds: bool = False, missing: str | None = None) -> None:
        self.kind = kind
        self.entries: dict[str, T] = {}  # live: tests may monkeypatch an entry in
        self._builtin = tuple(builtin)
        self._group = entry_point_group
        self._entry_point_adds = entry_point_adds
        self._missing = missing or f"unknown {kind} {{name!r}}; available: {{available}}"
        self._loaded = not self._builtin and entry_point_group is None

    def add(self, name: str, obj: T, *, replace: bool = False) -> T:
        """Register `obj` under `name`; a second, different object under one name is a mistake unless `replace`."""
        old = self.entries.get(name)
        if old is not None and old is not obj and not replace and not _same_class(old, obj):
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self.entries[name] = obj
        return obj

    def register(self, name: str, *, replace: bool = False) -> Callable[[Obj], Obj]:
        """Decorator: `@registry.register("name")` adds the decorated function or class as it is."""
        def decorate(obj: Obj) -> Obj:
            self.add(name, obj, replace=replace)  # type: ignore[arg-type]
            return obj

        return decorate

    def get(self, name: str) -> T:
        self.load()
        try:
            return self.entries[name]
        except KeyError:
            raise UnknownName(self._missing.format(name=name, available=", ".join(self.names()) or "none")) \
                from None

    def names(self) -> list[str]:
        self.load()
        return sorted(self.entries)

    def items(self) -> list[tuple[str, T]]:
        self.load()
        return sorted(self.entries.items())

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def load(self) -> None:
        """Import the built-in modules and the plugins of the entry-point group, once."""
        if self._loaded:
            return
        self._loaded = True
        for module in self._builtin:
            importlib.import_module(module)
        if self._group is not None:
            for ep in entry_points(group=self._group):
                loaded = ep.load()
                if self._entry_point_adds and ep.name not in self.entries:
                    self.add(ep.name, loaded)


def _same_class(old: object, new: object) -> bool:
    # Re-importing a module (reload, tests) registers a fresh instance of the same class: that is no clash.
    return not isinstance(old, type) and type(old) is type(new)

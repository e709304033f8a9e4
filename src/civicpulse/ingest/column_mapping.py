"""Column choices made in the browser's import step, as the generic source's `Mapping`, and remembered per
workspace: the next upload with the same set of column names starts from them.

They live in the workspace's settings JSON under `import_mappings`: {header signature: choice}, at most
MAX_REMEMBERED (the oldest is forgotten first). A choice names columns only, never a cell's content.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from civicpulse.ingest.tabular import REQUIRED_ROLES, ROLES, fold
from civicpulse.schema import PLATFORMS
from civicpulse.sources.generic import Mapping
from civicpulse.store.base import Store
from civicpulse.store.lifecycle_sql import PUT_WORKSPACE_SETTINGS, WORKSPACE_SETTINGS

SETTINGS_KEY = "import_mappings"
MAX_REMEMBERED = 50
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
ROLE_LABELS = {"created_at": "time", "post_id": "id", "place_name": "place", "author_id": "author"}


class ChoiceError(ValueError):
    pass


@dataclass
class ColumnChoice:
    roles: dict[str, str]  # role (schema field) -> column
    platform: str = "other"  # platform of every row, unless a platform column is chosen
    time_format: str = ""  # strptime format of the time column; "" reads ISO-8601 or epoch times
    saved_at: str = field(default="")

    def check(self, columns: list[str], shown_name: str) -> None:
        """Every required role chosen, every chosen column present, no column twice: else a message per file."""
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown:
            raise ChoiceError(f"{shown_name}: unknown role {unknown[0]!r} (one of {', '.join(ROLES)})")
        missing = [ROLE_LABELS.get(r, r) for r in REQUIRED_ROLES if not self.roles.get(r)]
        if missing:
            raise ChoiceError(f"{shown_name}: choose the column that holds the {' and the '.join(missing)}")
        absent = [c for c in self.roles.values() if c not in columns]
        if absent:
            raise ChoiceError(f"{shown_name}: there is no column {absent[0]!r}")
        used = [c for c in self.roles.values() if c]
        if len(set(used)) != len(used):
            twice = next(c for c in used if used.count(c) > 1)
            raise ChoiceError(f"{shown_name}: column {twice!r} is chosen for two roles")
        if self.platform not in PLATFORMS:
            raise ChoiceError(f"{shown_name}: platform {self.platform!r} is not one of {', '.join(PLATFORMS)}")

    def mapping(self, shown_name: str, timezone: str, delimiter: str | None = None,
                encoding: str | None = None) -> dict[str, Any]:
        """The generic source's mapping (as a dict, so a job can carry it); checked by `Mapping.from_dict`."""
        options: dict[str, Any] = {"timezone": timezone}
        if self.time_format:
            options["time_format"] = self.time_format
        if delimiter:
            options["delimiter"] = delimiter
        if encoding:
            options["encoding"] = encoding
        data = {"platform": self.platform, "columns": {r: c for r, c in self.roles.items() if c},
                "options": options}
        Mapping.from_dict(data, origin=shown_name)  # raises MappingError with the file's name
        return data

    def matched(self, columns: list[str]) -> ColumnChoice | None:
        """This choice for a file whose column names differ only in order, case or accents; None if one is gone."""
        by_fold = {fold(c): c for c in columns}
        roles = {r: by_fold.get(fold(c)) for r, c in self.roles.items()}
        if not all(roles.values()):
            return None
        return ColumnChoice({r: c for r, c in roles.items() if c}, self.platform, self.time_format, self.saved_at)

    @classmethod
    def from_dict(cls, data: Any) -> ColumnChoice:
        if not isinstance(data, dict) or not isinstance(data.get("roles"), dict):
            raise ChoiceError("a column choice needs `roles`: {role: column}")
        roles = {str(k): str(v) for k, v in data["roles"].items() if v}
        return cls(roles, str(data.get("platform") or "other"), str(data.get("time_format") or ""),
                   str(data.get("saved_at") or ""))


def _settings(store: Store, workspace: str) -> dict[str, Any]:
    rows = store.query(WORKSPACE_SETTINGS, [workspace])
    return json.loads(rows[0][0] or "{}") if rows else {}


def remembered(store: Store, workspace: str, signature: str) -> ColumnChoice | None:
    saved = (_settings(store, workspace).get(SETTINGS_KEY) or {}).get(signature)
    try:
        return ColumnChoice.from_dict(saved) if saved else None
    except ChoiceError:
        return None


def remember(store: Store, workspace: str, signature: str, choice: ColumnChoice) -> None:
    settings = _settings(store, workspace)
    saved = dict(settings.get(SETTINGS_KEY) or {})
    saved.pop(signature, None)
    choice.saved_at = datetime.now(UTC).isoformat(timespec="seconds")
    saved[signature] = asdict(choice)
    while len(saved) > MAX_REMEMBERED:
        saved.pop(min(saved, key=lambda s: saved[s].get("saved_at", "")))
    settings[SETTINGS_KEY] = saved
    store.execute(PUT_WORKSPACE_SETTINGS, [json.dumps(settings), workspace])


def workspace_timezone(store: Store, workspace: str) -> str:
    """The zone of times written without an offset in this workspace's files (settings key `timezone`)."""
    return str(_settings(store, workspace).get("timezone") or DEFAULT_TIMEZONE)

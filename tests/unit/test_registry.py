from typing import Literal

import pytest

from analyzer.check import Check
from analyzer.errors import ConfigError
from analyzer.registry import Registry, load_entry_point_kinds
from checks import BUILTIN_KINDS
from checks.prometheus import PrometheusCheck


class EchoCheck(Check):
    kind: Literal["echo"] = "echo"


class OtherPrometheus(Check):
    kind: Literal["prometheus"] = "prometheus"


class TestRegistry:
    """Kinds are registered by their `kind` literal; duplicates and non-checks are startup errors."""

    def test_builtins_are_registered(self):
        assert Registry.default().kinds["prometheus"] is PrometheusCheck
        assert set(Registry(BUILTIN_KINDS).kinds) <= set(Registry.default().kinds)

    def test_duplicate_kind_is_an_error(self):
        with pytest.raises(ConfigError, match="'prometheus' is registered twice"):
            Registry([PrometheusCheck, OtherPrometheus])

    def test_not_a_check(self):
        with pytest.raises(ConfigError, match="not a subclass"):
            Registry([dict])

    def test_third_party_kind_parses_through_the_union(self):
        registry = Registry([PrometheusCheck, EchoCheck])
        assert isinstance(registry.parse_check({"kind": "echo", "name": "e"}), EchoCheck)


class FakeEntryPoint:
    def __init__(self, name, loaded):
        self.name, self.value, self._loaded = name, f"plugin:{name}", loaded

    def load(self):
        if isinstance(self._loaded, Exception):
            raise self._loaded
        return self._loaded


class TestEntryPoints:
    """Third-party kinds come from the `analyzer.checks` entry-point group, named after their kind."""

    def _with(self, monkeypatch, *entry_points):
        monkeypatch.setattr("analyzer.registry.entry_points", lambda group: list(entry_points))

    def test_loads_kind(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", EchoCheck))
        assert load_entry_point_kinds() == [EchoCheck]
        assert "echo" in Registry.default().kinds

    def test_plugin_duplicating_a_builtin_is_a_startup_error(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("prometheus", OtherPrometheus))
        with pytest.raises(ConfigError, match="registered twice"):
            Registry.default()

    def test_name_must_match_kind(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("other", EchoCheck))
        with pytest.raises(ConfigError, match="names must match"):
            load_entry_point_kinds()

    def test_broken_plugin(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", ImportError("no module named x")))
        with pytest.raises(ConfigError, match="failed to load: no module named x"):
            load_entry_point_kinds()

    def test_not_a_check_class(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", object()))
        with pytest.raises(ConfigError, match="not a Check subclass"):
            load_entry_point_kinds()

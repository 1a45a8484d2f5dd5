import re
from typing import ClassVar, Literal

import pytest
from structlog.testing import capture_logs

from analyzer.check import Check
from analyzer.errors import ConfigError
from analyzer.registry import BUILTIN_KINDS, KindRef, Registry, warm_kinds
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
        assert Registry.default().load("echo") is EchoCheck
        assert "echo" in Registry.default().kinds

    def test_plugin_duplicating_a_builtin_is_a_startup_error(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("prometheus", OtherPrometheus))
        with pytest.raises(ConfigError, match="registered twice"):
            Registry.default()

    def test_name_must_match_kind(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("other", EchoCheck))
        with pytest.raises(ConfigError, match="names must match"):
            Registry.default().load_all()

    def test_broken_plugin_fails_when_loaded_not_when_listed(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", ImportError("no module named x")))
        registry = Registry.default()
        assert "echo" in registry.names
        assert registry.parse_check({"kind": "prometheus", "name": "p", "query": "up", "pass_if": "< 1"})
        with pytest.raises(ConfigError, match="check kind plugin 'echo' \\(plugin:echo\\) failed to load"):
            registry.parse_check({"kind": "echo", "name": "e"})
        with pytest.raises(ConfigError, match="failed to load: no module named x"):
            registry.load_all()

    def test_broken_plugin(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", ImportError("no module named x")))
        with pytest.raises(ConfigError, match="failed to load: no module named x"):
            Registry.default().load_all()

    def test_not_a_check_class(self, monkeypatch):
        self._with(monkeypatch, FakeEntryPoint("echo", object()))
        with pytest.raises(ConfigError, match="not a Check subclass"):
            Registry.default().load_all()


class CountingRef:
    """A by-name kind that counts how often its class is imported."""

    def __init__(self, name, kind):
        self.loads = 0
        self.kind = kind
        self.ref = KindRef(name, f"test:{name}", self._load)

    def _load(self):
        self.loads += 1
        return self.kind


class TestLazyKinds:
    """A kind registered by name is imported once, when a definition uses it, and never for other kinds."""

    def test_nothing_is_loaded_until_a_definition_uses_the_kind(self):
        echo, other = CountingRef("echo", EchoCheck), CountingRef("other", OtherPrometheus)
        registry = Registry([echo.ref, other.ref])
        assert (registry.names, echo.loads, other.loads) == (("echo", "other"), 0, 0)
        assert isinstance(registry.parse_check({"kind": "echo", "name": "a"}), EchoCheck)
        assert isinstance(registry.parse_check({"kind": "echo", "name": "b"}), EchoCheck)
        assert (echo.loads, other.loads) == (1, 0)

    def test_routing_errors_load_nothing(self):
        echo = CountingRef("echo", EchoCheck)
        registry = Registry([echo.ref])
        for raw in ({"name": "a"}, {"kind": "nope", "name": "a"}, {"kind": 5, "name": "a"}, "echo"):
            with pytest.raises(ValueError):
                registry.parse_check(raw)
        assert echo.loads == 0

    def test_duplicate_names_fail_at_construction_without_loading(self):
        first, second = CountingRef("echo", EchoCheck), CountingRef("echo", EchoCheck)
        with pytest.raises(ConfigError, match="'echo' is registered twice: by test:echo and by test:echo"):
            Registry([first.ref, second.ref])
        with pytest.raises(
            ConfigError,
            match=re.escape("'prometheus' is registered twice: by checks.prometheus:PrometheusCheck and by tests."),
        ):
            Registry([*BUILTIN_KINDS, OtherPrometheus])
        assert (first.loads, second.loads) == (0, 0)

    def test_a_kind_that_loads_another_kind_is_refused(self):
        registry = Registry([CountingRef("echo", OtherPrometheus).ref])
        with pytest.raises(ConfigError, match="'echo' loads kind 'prometheus'; the names must match"):
            registry.parse_check({"kind": "echo", "name": "a"})

    def test_every_builtin_loads_under_its_name(self):
        registry = Registry(BUILTIN_KINDS)
        assert {"prometheus", "error_budget", "http_smoke", "kpi_compare", "composite"} <= set(registry.names)
        assert all(
            issubclass(kind, Check) and kind.model_fields["kind"].default == name
            for name, kind in registry.kinds.items()
        )

    def test_json_schema_covers_every_kind(self):
        registry = Registry(BUILTIN_KINDS)
        assert set(registry.json_schema()["discriminator"]["mapping"]) == set(registry.names)


class BrokenWarm(Check):
    kind: Literal["broken_warm"] = "broken_warm"

    @classmethod
    def warm(cls) -> None:
        raise ImportError("no module named 'missing'")


class CountingWarm(Check):
    kind: Literal["counting_warm"] = "counting_warm"
    warmed: ClassVar[int] = 0

    @classmethod
    def warm(cls) -> None:
        CountingWarm.warmed += 1


class TestWarmKinds:
    """Each kind's `warm` runs once; a failure is logged by kind and the next kind still warms."""

    def test_a_failing_kind_is_logged_and_the_rest_warm(self):
        CountingWarm.warmed = 0
        with capture_logs() as logs:
            warm_kinds([BrokenWarm, CountingWarm])
        assert CountingWarm.warmed == 1
        failed = [entry for entry in logs if entry["event"] == "kind_warm_failed"]
        assert [(entry["kind"], entry["log_level"]) for entry in failed] == [("broken_warm", "error")]
        assert logs[-1]["event"] == "kinds_warmed"

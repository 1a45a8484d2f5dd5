"""Shared fixtures: one real Prometheus per test session, backfilled from tests/integration/data_*.py."""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from analyzer.testing import OpenMetrics, PrometheusProcess, backfill, backfill_rules, unrecorded_rules
from tests.gatekind import GATES, Gate

DATA_MODULES_DIR = Path(__file__).parent / "integration"


@dataclass(frozen=True)
class LivePrometheus:
    """The session's Prometheus: its URL, the anchor time the data is laid out around, the process."""

    url: str
    anchor: float
    process: PrometheusProcess


def build_dataset(anchor: float) -> OpenMetrics:
    """Every data module's series: each `tests/integration/data_*.py` has `build(om, anchor)`."""
    om = OpenMetrics()
    for path in sorted(DATA_MODULES_DIR.glob("data_*.py")):
        module = importlib.import_module(f"tests.integration.{path.stem}")
        module.build(om, anchor)
    return om


def recording_rules(anchor: float) -> list[tuple[str, float, float]]:
    """Every data module's recording rules to backfill: `rules(anchor)` gives (rule file text, start, end)."""
    found = []
    for path in sorted(DATA_MODULES_DIR.glob("data_*.py")):
        module = importlib.import_module(f"tests.integration.{path.stem}")
        if hasattr(module, "rules"):
            found.append(module.rules(anchor))
    return found


# The evaluation interval of the rule groups the session's Prometheus loads: ten years, so that its ruler never
# evaluates them (its first evaluation waits up to one interval) and what they record is the backfill alone.
LOADED_INTERVAL = "87600h"


def loaded_rules(anchor: float) -> str:
    """The rule file the session's Prometheus loads (its rules API lists them, as a user's does): each data module's
    `loaded_rules(anchor)` (a rule file's text), its groups never evaluated (see LOADED_INTERVAL); "" when none."""
    groups = []
    for path in sorted(DATA_MODULES_DIR.glob("data_*.py")):
        module = importlib.import_module(f"tests.integration.{path.stem}")
        if hasattr(module, "loaded_rules"):
            groups += yaml.safe_load(module.loaded_rules(anchor))["groups"]
    return yaml.safe_dump({"groups": [{**group, "interval": LOADED_INTERVAL} for group in groups]}) if groups else ""


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePrometheus]:
    """A real Prometheus on 127.0.0.1 serving the backfilled test data (started once per session)."""
    anchor = math.floor(time.time() / 60) * 60
    tsdb = tmp_path_factory.mktemp("prometheus") / "tsdb"
    backfill(build_dataset(anchor), tsdb)
    process = PrometheusProcess(tsdb).start()
    rule_sets = recording_rules(anchor)
    if rule_sets:
        # Recording rules are evaluated against the backfilled series, then served after a restart.
        try:
            for rules_yaml, start, end in rule_sets:
                backfill_rules(rules_yaml, process.url, start, end, tsdb)
        finally:
            process.stop()
        if loaded := loaded_rules(anchor):
            rule_file = tsdb.parent / "loaded-rules.yml"
            rule_file.write_text(loaded)
            process.config += f"rule_files:\n  - {rule_file}\n"
        process.start()
        # A rule left out reads as a misconfigured SLO in some test: name it here, every session it happens.
        unrecorded = [
            rule for rules_yaml, _, end in rule_sets for rule in unrecorded_rules(rules_yaml, process.url, end)
        ]
        if unrecorded:
            process.stop()
            raise RuntimeError(f"recording rules backfilled without a series at the end of their range: {unrecorded}")
    try:
        yield LivePrometheus(process.url, anchor, process)
    finally:
        process.stop()


@pytest.fixture
def gate() -> Iterator[Gate]:
    """The gate of check "g" of the test kind in tests/gatekind.py; opened at teardown so nothing waits on."""
    GATES["g"] = Gate()
    yield GATES["g"]
    GATES["g"].open()
    GATES.pop("g", None)


# Fixtures that start a Prometheus (the demo starts one too): a test using one, directly or through another
# fixture, is an integration test, so that `make unit` (-m "not integration") starts none.
PROMETHEUS_FIXTURES = frozenset({"prometheus", "demo"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test that starts Prometheus without the `integration` marker."""
    unmarked = [
        item.nodeid
        for item in items
        if PROMETHEUS_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "these tests start Prometheus but are not marked `integration`:\n  " + "\n  ".join(unmarked)
        )

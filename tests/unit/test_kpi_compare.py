"""kpi_compare definitions are validated when the catalog loads, with messages naming the field and rule."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.errors import ConfigError
from analyzer.registry import Registry
from checks.kpi_compare import KpiCompareCheck

PARAMS = {"canary_hash": {"type": "label_value", "required": True},
          "stable_hash": {"type": "label_value", "required": True}}
CANARY = 'avg(kpi{h="{{ canary_hash }}"})'
BASELINE = 'avg(kpi{h="{{ stable_hash }}"})'
SUCCESS = 'sum(increase(ok_total{h="{{ canary_hash }}"}[{{ lookback }}]))'
TOTAL = 'sum(increase(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))'


def check(**overrides: Any) -> dict[str, Any]:
    definition = {"name": "kpi", "kind": "kpi_compare", "params": PARAMS, "direction": "lower_is_better",
                  "canary": CANARY, "baseline": BASELINE, "max_relative_change": 0.1}
    definition.update(overrides)
    return {key: value for key, value in definition.items() if value is not None}


def load(definition: dict[str, Any]):
    return build_catalog([("test.yaml", {"sources": {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}},
                                         "checks": [definition]})], Registry.default())


def problem(definition: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(definition)
    return "\n".join(caught.value.problems)


class TestValid:
    """Well-formed definitions load, with the documented defaults."""

    def test_string_shorthand_is_the_query(self):
        loaded = load(check()).checks["kpi"]
        assert isinstance(loaded, KpiCompareCheck)
        assert (loaded.method, loaded.mode, loaded.lookback, loaded.confidence) == ("ratio", "gate", "10m", 0.95)

    def test_proportion_with_success_and_total(self):
        variant = {"success": SUCCESS, "total": TOTAL}
        loaded = load(check(method="proportion", canary=variant, baseline=variant, max_relative_change=None,
                            min_detectable_effect=0.05, min_canary_events=500))
        assert loaded.checks["kpi"].min_canary_events == 500

    def test_identical_queries_warn(self):
        catalog = load(check(baseline=CANARY))
        assert any("same query" in warning for warning in catalog.warnings)

    @pytest.mark.parametrize(("canary", "step", "warned"), [
        ("avg(rate(kpi_total[5m]))", None, "its range [5m] is longer than the step 10s"),
        ("avg(rate(kpi_total[1m])) / avg(rate(kpi_all[1h30m]))", "1m", "its range [1h30m] is longer than the step 60s"),
        ("max_over_time(avg(rate(kpi_total[1m]))[15m:1m])", "1m", "its range [15m] is longer"),
        ("avg_over_time(kpi[{{ lookback }}])", None, "its range [10m] is longer"),
        ("avg(rate(kpi_total[5m]))", "5m", None),
        ("avg(kpi)", None, None),
    ])
    def test_mann_whitney_samples_overlapping_the_range_warn(self, canary, step, warned):
        catalog = load(check(method="mann_whitney", canary=canary, baseline="avg(kpi)", step=step,
                             lookback="2h" if step else None, min_samples=20 if step else None))
        overlaps = [w for w in catalog.warnings if "consecutive samples share data" in w]
        if warned is None:
            assert overlaps == []
        else:
            assert len(overlaps) == 1 and "canary query: " + warned in overlaps[0]

    def test_lookback_may_stand_bare(self):
        load(check(canary="avg_over_time(kpi{h=\"{{ canary_hash }}\"}[{{ lookback }}])"))


class TestRejected:
    """Definitions that could never judge soundly are refused at load."""

    @pytest.mark.parametrize(("overrides", "message"), [
        ({"mode": "ab", "direction": "either"}, "mode: ab needs direction higher_is_better or lower_is_better"),
        ({"no_data": "pass"}, "no_data: pass is not allowed"),
        ({"max_relative_change": None}, "method ratio needs max_relative_change and/or max_absolute_change"),
        ({"method": "proportion"}, "canary: method proportion needs success and total"),
        ({"confidence": 0.9}, "confidence only applies to method proportion and mann_whitney, not ratio"),
        ({"power": 0.9, "method": "mann_whitney"}, "power only applies to method proportion"),
        ({"min_samples": 5}, "min_samples only applies to method mann_whitney"),
        ({"min_canary_events": 100}, "min_canary_events needs canary.events"),
        ({"canary": "avg(kpi{h={{ canary_hash }}})"}, "canary: {{ canary_hash }} (label_value) stands outside"),
        ({"canary": {"query": CANARY, "events": "sum(x{h={{ canary_hash }}})"}}, "canary.events: {{ canary_hash }}"),
        ({"method": "mann_whitney", "lookback": "1d", "step": "1m"}, "more than 1000 samples; raise step"),
        ({"variant_names": {"canary": "a", "baseline": "a"}}, "variant_names: canary and baseline must differ"),
        ({"canary": {"query": CANARY, "total": TOTAL}}, "canary: total does not apply to method ratio"),
    ])
    def test_rule(self, overrides, message):
        assert message in problem(check(**overrides))

    def test_proportion_needs_an_effect_to_detect(self):
        variant = {"success": SUCCESS, "total": TOTAL}
        assert "method proportion needs min_detectable_effect" in problem(check(
            method="proportion", canary=variant, baseline=variant, max_relative_change=None))

    def test_proportion_has_no_events_query(self):
        variant = {"success": SUCCESS, "total": TOTAL, "events": TOTAL}
        assert "events does not apply to method proportion (the total is the traffic count)" in problem(check(
            method="proportion", canary=variant, baseline=variant))

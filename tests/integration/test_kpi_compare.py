"""kpi_compare against a real Prometheus with backfilled canary and stable KPIs (tests/integration/data_kpi.py),
through the HTTP API the way Argo's web provider calls it."""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.registry import Registry
from analyzer.settings import Settings
from analyzer.web import create_app

pytestmark = pytest.mark.integration


def _selector(param: str) -> str:
    return f'service="shop",rollouts_pod_template_hash="{{{{ {param} }}}}"'


def _counter(name: str, param: str) -> str:
    return f"sum(increase({name}{{{_selector(param)}}}[{{{{ lookback }}}}]))"


def _variant(param: str, method: str) -> dict[str, str]:
    if method == "proportion":
        return {"success": _counter("kpi_orders_total", param), "total": _counter("kpi_visits_total", param)}
    if method == "mann_whitney":
        return {"query": f"avg(kpi_request_latency_seconds{{{_selector(param)}}})",
                "events": _counter("kpi_visits_total", param)}
    return {"query": f"max(kpi_p95_latency_seconds{{{_selector(param)}}})",
            "events": _counter("kpi_visits_total", param)}


PARAMS = {"canary_hash": {"type": "label_value", "required": True},
          "stable_hash": {"type": "label_value", "default": "kpistable"}}

CHECKS: list[dict[str, Any]] = [
    {"name": "conversion", "kind": "kpi_compare", "params": PARAMS, "method": "proportion",
     "direction": "higher_is_better", "max_relative_change": 0.1, "min_canary_events": 100,
     "canary": _variant("canary_hash", "proportion"), "baseline": _variant("stable_hash", "proportion")},
    {"name": "p95", "kind": "kpi_compare", "params": PARAMS, "method": "ratio", "direction": "lower_is_better",
     "max_relative_change": 0.1, "min_canary_events": 100,
     "canary": _variant("canary_hash", "ratio"), "baseline": _variant("stable_hash", "ratio")},
    {"name": "latency", "kind": "kpi_compare", "params": PARAMS, "method": "mann_whitney",
     "direction": "lower_is_better", "max_relative_change": 0.1, "min_canary_events": 100,
     "lookback": "30m", "step": "30s", "min_samples": 20,
     "canary": _variant("canary_hash", "mann_whitney"), "baseline": _variant("stable_hash", "mann_whitney")},
    {"name": "conversion-nomin", "kind": "kpi_compare", "params": PARAMS, "method": "proportion",
     "direction": "higher_is_better", "max_relative_change": 0.1,
     "canary": _variant("canary_hash", "proportion"), "baseline": _variant("stable_hash", "proportion")},
    {"name": "payment-errors", "kind": "kpi_compare", "params": PARAMS, "method": "proportion",
     "direction": "lower_is_better", "min_detectable_effect": 0.1, "max_absolute_change": 0.001,
     "canary": {"success": _counter("kpi_failed_payments_total", "canary_hash"),
                "total": _counter("kpi_visits_total", "canary_hash")},
     "baseline": {"success": _counter("kpi_failed_payments_total", "stable_hash"),
                  "total": _counter("kpi_visits_total", "stable_hash")}},
    {"name": "swapped-counters", "kind": "kpi_compare", "params": PARAMS, "method": "proportion",
     "direction": "higher_is_better", "max_relative_change": 0.1,
     "canary": {"success": _counter("kpi_visits_total", "canary_hash"),
                "total": _counter("kpi_orders_total", "canary_hash")},
     "baseline": _variant("stable_hash", "proportion")},
    {"name": "p95-unaggregated", "kind": "kpi_compare", "params": PARAMS, "method": "ratio",
     "direction": "lower_is_better", "max_relative_change": 0.1,
     "canary": 'kpi_p95_latency_seconds{service="shop"}', "baseline": _variant("stable_hash", "ratio")["query"]},
    {"name": "latency-nomin", "kind": "kpi_compare", "params": PARAMS, "method": "mann_whitney",
     "direction": "lower_is_better", "max_relative_change": 0.1, "lookback": "30m", "step": "30s",
     "canary": f"avg(kpi_request_latency_seconds{{{_selector('canary_hash')}}})",
     "baseline": f"avg(kpi_request_latency_seconds{{{_selector('stable_hash')}}})"},
    {"name": "latency-either", "kind": "kpi_compare", "params": PARAMS, "method": "mann_whitney",
     "direction": "either", "max_relative_change": 0.1, "lookback": "30m", "step": "30s",
     "canary": _variant("canary_hash", "mann_whitney"), "baseline": _variant("stable_hash", "mann_whitney")},
    {"name": "conversion-ab", "kind": "kpi_compare", "params": PARAMS, "method": "proportion", "mode": "ab",
     "direction": "higher_is_better", "max_relative_change": 0.1, "min_canary_events": 100,
     "variant_names": {"canary": "green", "baseline": "blue"},
     "canary": _variant("canary_hash", "proportion"), "baseline": _variant("stable_hash", "proportion")},
    {"name": "latency-ab", "kind": "kpi_compare", "params": PARAMS, "method": "mann_whitney", "mode": "ab",
     "direction": "lower_is_better", "max_relative_change": 0.1, "lookback": "30m", "step": "30s",
     "variant_names": {"canary": "green", "baseline": "blue"},
     "canary": _variant("canary_hash", "mann_whitney"), "baseline": _variant("stable_hash", "mann_whitney")},
]


@pytest.fixture
async def client(prometheus, aiohttp_client):
    catalog = build_catalog([("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}},
                                       "checks": CHECKS})], Registry.default())
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


async def run(client, prometheus, check: str, canary: str, status: int = 200) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/checks/{check}/run", params={
        "canary_hash": canary, "at": str(int(prometheus.anchor)), "explain": "true"})
    assert answer.status == status, await answer.text()
    return await answer.json()


class TestGate:
    """Canary vs stable: a clear regression fails, equal performance passes, too little traffic is inconclusive."""

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    @pytest.mark.parametrize(("canary", "verdict"), [("kpiworse", "fail"), ("kpiequal", "pass"),
                                                     ("kpibetter", "pass"), ("kpitiny", "inconclusive")])
    async def test_verdicts(self, client, prometheus, check, canary, verdict):
        body = await run(client, prometheus, check, canary)
        assert body["verdict"] == verdict, body["reason"]

    async def test_regression_reason_states_estimate_interval_and_rule(self, client, prometheus):
        body = await run(client, prometheus, "conversion", "kpiworse")
        details = body["details"]
        assert details["canary"]["rate"] == pytest.approx(0.05, rel=1e-6)
        assert details["baseline"]["rate"] == pytest.approx(0.10, rel=1e-6)
        assert details["interval"][1] < 0 and details["p_value"] < 0.05
        assert body["value"] == pytest.approx(-0.05, rel=1e-6)
        assert body["threshold"] == pytest.approx(0.01)
        assert "95% CI [" in body["reason"] and "fails when the drop is significant" in body["reason"]

    async def test_equal_conversion_passes_with_enough_power(self, client, prometheus):
        details = (await run(client, prometheus, "conversion", "kpiequal"))["details"]
        assert details["power"] >= details["power_needed"] == 0.8
        assert details["significant"] is False

    async def test_too_little_traffic_names_the_minimum(self, client, prometheus):
        body = await run(client, prometheus, "conversion", "kpitiny")
        assert "fewer than min_canary_events 100" in body["reason"]

    async def test_mann_whitney_interval_brackets_the_true_shift(self, client, prometheus):
        details = (await run(client, prometheus, "latency", "kpiworse"))["details"]
        # The canary's latency is the baseline's plus 0.05 s, with noise of +-0.02 s on both.
        assert 0.04 < details["interval"][0] < details["estimate"] < details["interval"][1] < 0.06
        assert details["canary"]["samples"] == details["baseline"]["samples"] == 61

    async def test_low_power_is_inconclusive_even_without_min_canary_events(self, client, prometheus):
        body = await run(client, prometheus, "conversion-nomin", "kpitiny")
        assert body["verdict"] == "inconclusive"
        assert body["reason"].startswith("inconclusive (power ")
        assert body["details"]["power"] < 0.8

    async def test_too_few_samples_is_inconclusive(self, client, prometheus):
        body = await run(client, prometheus, "latency-nomin", "kpitiny")
        assert body["verdict"] == "inconclusive"
        assert "has 7 samples over 30m, fewer than min_samples 20" in body["reason"]

    @pytest.mark.parametrize(("canary", "verdict"), [("kpiequal", "pass"), ("kpiworse", "fail")])
    async def test_error_proportion_against_a_baseline_without_errors(self, client, prometheus, canary, verdict):
        body = await run(client, prometheus, "payment-errors", canary)
        assert body["verdict"] == verdict, body["reason"]
        assert body["details"]["baseline"]["rate"] == 0.0
        assert body["details"]["detectable_effect"] == pytest.approx(0.001)

    @pytest.mark.parametrize(("canary", "verdict"), [("kpibetter", "fail"), ("kpiworse", "fail"),
                                                     ("kpiequal", "pass")])
    async def test_either_direction_fails_any_clear_shift(self, client, prometheus, canary, verdict):
        body = await run(client, prometheus, "latency-either", canary)
        assert body["verdict"] == verdict, body["reason"]

    async def test_lookback_is_rendered_into_the_queries(self, client, prometheus):
        details = (await run(client, prometheus, "conversion", "kpiequal"))["details"]
        assert details["query_roles"] == ["canary.success", "canary.total", "baseline.success", "baseline.total"]
        assert details["queries"][0] == ('sum(increase(kpi_orders_total{service="shop",'
                                          'rollouts_pod_template_hash="kpiequal"}[10m]))')

    async def test_more_than_one_series_is_a_misconfiguration(self, client, prometheus):
        body = await run(client, prometheus, "p95-unaggregated", "kpiequal", status=500)
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured")
        assert "aggregate it to one" in body["reason"]

    async def test_success_above_total_is_a_misconfiguration(self, client, prometheus):
        body = await run(client, prometheus, "swapped-counters", "kpiequal", status=500)
        assert body["error"] == "check_misconfigured"
        assert "is not between 0 and total" in body["reason"]

    async def test_unknown_canary_is_no_data(self, client, prometheus):
        body = await run(client, prometheus, "p95", "nosuchhash")
        assert body["verdict"] == "inconclusive"
        assert "no_data policy: inconclusive" in body["reason"]


class TestAB:
    """A/B: the better variant wins, an equal pair has no winner yet."""

    @pytest.mark.parametrize("check", ["conversion-ab", "latency-ab"])
    @pytest.mark.parametrize(("canary", "verdict", "winner"), [("kpibetter", "pass", "green"),
                                                               ("kpiworse", "fail", "blue"),
                                                               ("kpiequal", "inconclusive", None)])
    async def test_winner(self, client, prometheus, check, canary, verdict, winner):
        body = await run(client, prometheus, check, canary)
        assert body["verdict"] == verdict, body["reason"]
        assert body["details"]["winner"] == winner
        assert body["reason"].startswith(f"{winner} wins" if winner else "no winner yet")

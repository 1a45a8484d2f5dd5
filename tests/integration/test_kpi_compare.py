"""kpi_compare against a real Prometheus with backfilled canary and stable KPIs (tests/integration/data_kpi.py),
through the HTTP API the way Argo's web provider calls it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.metrics import Metrics
from analyzer.models import Evaluation, Outcome
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.sources import PrometheusSource, QueryResult, Sources
from analyzer.web import create_app
from tests.fakes import partial_querier
from tests.integration import data_kpi

pytestmark = pytest.mark.integration


def _selector(param: str) -> str:
    return f'service="shop",rollouts_pod_template_hash="{{{{ {param} }}}}"'


def _counter(name: str, param: str) -> str:
    return f"sum(increase({name}{{{_selector(param)}}}[{{{{ lookback }}}}]))"


def _variant(param: str, method: str) -> dict[str, str]:
    if method == "proportion":
        return {"success": _counter("kpi_orders_total", param), "total": _counter("kpi_visits_total", param)}
    if method == "mann_whitney":
        return {
            "query": f"avg(kpi_request_latency_seconds{{{_selector(param)}}})",
            "events": _counter("kpi_visits_total", param),
        }
    return {
        "query": f"max(kpi_p95_latency_seconds{{{_selector(param)}}})",
        "events": _counter("kpi_visits_total", param),
    }


PARAMS = {
    "canary_hash": {"type": "label_value", "required": True},
    "stable_hash": {"type": "label_value", "default": "kpistable"},
}
# Exact values through a real Prometheus: vector({{ n }}) returns the number as it is.
COUNTS = {name: {"type": "number", "required": True} for name in ("errors_c", "total_c", "errors_b", "total_b")}
VALUES = {"canary_value": {"type": "number", "required": True}, "baseline_value": {"type": "number", "required": True}}
SMOOTHED = "avg(avg_over_time(kpi_request_latency_seconds{{{}}}[5m]))"
# Orders per visit over the last minute: 0/0 (NaN) at every step where the variant had no visits.
CONVERSION = "sum(rate(kpi_orders_total{{{0}}}[1m])) / sum(rate(kpi_visits_total{{{0}}}[1m]))"

CHECKS: list[dict[str, Any]] = [
    {
        "name": "conversion",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "min_canary_events": 100,
        "canary": _variant("canary_hash", "proportion"),
        "baseline": _variant("stable_hash", "proportion"),
    },
    {
        "name": "p95",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "ratio",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "min_canary_events": 100,
        "canary": _variant("canary_hash", "ratio"),
        "baseline": _variant("stable_hash", "ratio"),
    },
    {
        "name": "latency",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "min_canary_events": 100,
        "lookback": "30m",
        "step": "30s",
        "min_samples": 20,
        "canary": _variant("canary_hash", "mann_whitney"),
        "baseline": _variant("stable_hash", "mann_whitney"),
    },
    {
        "name": "conversion-nomin",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "canary": _variant("canary_hash", "proportion"),
        "baseline": _variant("stable_hash", "proportion"),
    },
    {
        "name": "payment-errors",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "lower_is_better",
        "min_detectable_effect": 0.1,
        "max_absolute_change": 0.001,
        "canary": {
            "success": _counter("kpi_failed_payments_total", "canary_hash"),
            "total": _counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": _counter("kpi_failed_payments_total", "stable_hash"),
            "total": _counter("kpi_visits_total", "stable_hash"),
        },
    },
    {
        "name": "swapped-counters",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "canary": {
            "success": _counter("kpi_visits_total", "canary_hash"),
            "total": _counter("kpi_orders_total", "canary_hash"),
        },
        "baseline": _variant("stable_hash", "proportion"),
    },
    {
        "name": "p95-unaggregated",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "ratio",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        # The hash in a matcher every series meets: the catalog refuses a param placed nowhere.
        "canary": 'kpi_p95_latency_seconds{service="shop", rollouts_pod_template_hash!="{{ canary_hash }}x"}',
        "baseline": _variant("stable_hash", "ratio")["query"],
    },
    {
        "name": "latency-nomin",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "canary": f"avg(kpi_request_latency_seconds{{{_selector('canary_hash')}}})",
        "baseline": f"avg(kpi_request_latency_seconds{{{_selector('stable_hash')}}})",
    },
    {
        "name": "latency-either",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "either",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "canary": _variant("canary_hash", "mann_whitney"),
        "baseline": _variant("stable_hash", "mann_whitney"),
    },
    {
        "name": "conversion-ab",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "mode": "ab",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "min_canary_events": 100,
        "variant_names": {"canary": "green", "baseline": "blue"},
        "canary": _variant("canary_hash", "proportion"),
        "baseline": _variant("stable_hash", "proportion"),
    },
    {
        "name": "errors-exact",
        "kind": "kpi_compare",
        "params": COUNTS,
        "method": "proportion",
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": {"success": "vector({{ errors_c }})", "total": "vector({{ total_c }})"},
        "baseline": {"success": "vector({{ errors_b }})", "total": "vector({{ total_b }})"},
    },
    {
        "name": "errors-exact-mde",
        "kind": "kpi_compare",
        "params": COUNTS,
        "method": "proportion",
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "min_detectable_effect": 0.5,
        "canary": {"success": "vector({{ errors_c }})", "total": "vector({{ total_c }})"},
        "baseline": {"success": "vector({{ errors_b }})", "total": "vector({{ total_b }})"},
    },
    {
        "name": "ratio-exact",
        "kind": "kpi_compare",
        "params": VALUES,
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "canary": "vector({{ canary_value }})",
        "baseline": "vector({{ baseline_value }})",
    },
    {
        # A KPI that rises through the whole lookback (here a raw counter: the failed payments so far): its samples
        # repeat their neighbours, count as none, and the interval is unbounded.
        "name": "failures-rising",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_absolute_change": 1,
        "lookback": "30m",
        "step": "1m",
        "canary": f"sum(kpi_failed_payments_total{{{_selector('canary_hash')}}})",
        "baseline": f"sum(kpi_failed_payments_total{{{_selector('stable_hash')}}})",
    },
    {
        "name": "latency-smoothed",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "canary": SMOOTHED.format(_selector("canary_hash")),
        "baseline": SMOOTHED.format(_selector("stable_hash")),
    },
    {
        # Week-over-week style: the baseline is the stable variant an hour back, before the orders counter's rename.
        "name": "conversion-hour-back",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "canary": {
            "success": _counter("kpi_orders_v2_total", "canary_hash"),
            "total": _counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": _counter("kpi_orders_v1_total", "stable_hash").replace("]))", "] offset 1h))"),
            "total": _counter("kpi_visits_total", "stable_hash").replace("]))", "] offset 1h))"),
        },
    },
    {
        # The same, with the new name an hour back, where it had no series yet.
        "name": "conversion-hour-back-new-name",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_absolute_change": 0.01,
        "canary": {
            "success": _counter("kpi_orders_v2_total", "canary_hash"),
            "total": _counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": _counter("kpi_orders_v2_total", "stable_hash").replace("]))", "] offset 1h))"),
            "total": _counter("kpi_visits_total", "stable_hash").replace("]))", "] offset 1h))"),
        },
    },
    {
        "name": "errors-typo",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": {
            "success": _counter("kpi_failed_payment_total", "canary_hash"),
            "total": _counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": _counter("kpi_failed_payment_total", "stable_hash"),
            "total": _counter("kpi_visits_total", "stable_hash"),
        },
    },
    {
        "name": "errors-label-typo",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "lower_is_better",
        "min_detectable_effect": 0.1,
        "max_absolute_change": 0.001,
        "canary": {
            "success": _counter("kpi_failed_payments_total", "canary_hash").replace("service=", "servcie="),
            "total": _counter("kpi_visits_total", "canary_hash"),
        },
        "baseline": {
            "success": _counter("kpi_failed_payments_total", "stable_hash").replace("service=", "servcie="),
            "total": _counter("kpi_visits_total", "stable_hash"),
        },
    },
    {
        "name": "ratio-label-typo-fallback",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "ratio",
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": {
            "query": f'(sum(rate(kpi_failed_payments_total{{{_selector("canary_hash")}, rollout_hash!=""}}[5m])) '
            "or vector(0))",
        },
        "baseline": {
            "query": f"(sum(rate(kpi_failed_payments_total{{{_selector('stable_hash')}}}[5m])) or vector(0))",
        },
    },
    {
        "name": "errors-typo-fallback",
        "kind": "kpi_compare",
        "params": PARAMS,
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": f"(sum(rate(kpi_failed_payment_total{{{_selector('canary_hash')}}}[5m])) or vector(0))",
        "baseline": f"(sum(rate(kpi_failed_payments_total{{{_selector('stable_hash')}}}[5m])) or vector(0))",
    },
    {
        "name": "errors-typo-regex",
        "kind": "kpi_compare",
        "params": PARAMS,
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": f'(sum(rate({{__name__=~"kpi_failed_payment_total",{_selector("canary_hash")}}}[5m])) or vector(0))',
        "baseline": (
            f'(sum(rate({{__name__=~"kpi_failed_payment_total",{_selector("stable_hash")}}}[5m])) or vector(0))'
        ),
    },
    {
        # No name meets both matchers on the name: the selector matches no series, and each side reads vector(0).
        "name": "errors-contradicting-names",
        "kind": "kpi_compare",
        "params": PARAMS,
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": (
            '(sum(rate({__name__="kpi_failed_payments_total",__name__="kpi_visits_total",'
            f"{_selector('canary_hash')}}}[5m])) or vector(0))"
        ),
        "baseline": f"(sum(rate(kpi_failed_payments_total{{{_selector('stable_hash')}}}[5m])) or vector(0))",
    },
    {
        "name": "total-typo",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "proportion",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "canary": _variant("canary_hash", "proportion"),
        "baseline": {
            "success": _counter("kpi_orders_total", "stable_hash"),
            "total": _counter("kpi_visit_total", "stable_hash"),
        },
    },
    {
        "name": "latency-typo",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "canary": f"avg(kpi_request_latency_second{{{_selector('canary_hash')}}})",
        "baseline": f"avg(kpi_request_latency_seconds{{{_selector('stable_hash')}}})",
    },
    {
        "name": "latency-ab",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "mode": "ab",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "variant_names": {"canary": "green", "baseline": "blue"},
        "canary": _variant("canary_hash", "mann_whitney"),
        "baseline": _variant("stable_hash", "mann_whitney"),
    },
]

CHECKS.append(
    {
        "name": "conversion-series",
        "kind": "kpi_compare",
        "params": PARAMS,
        "method": "mann_whitney",
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "30s",
        "canary": CONVERSION.format(_selector("canary_hash")),
        "baseline": CONVERSION.format(_selector("stable_hash")),
    }
)
CHECKS.append(
    {
        **next(check for check in CHECKS if check["name"] == "latency"),
        "name": "latency-half-infinite",
        # +Inf every other minute, as histogram_quantile reads when the quantile lies in the +Inf bucket.
        "canary": {
            **_variant("canary_hash", "mann_whitney"),
            "query": f"avg(kpi_request_latency_seconds{{{_selector('canary_hash')}}}) / (time() % 120 >= bool 60)",
        },
    }
)


VISITS = "kpi_visits_total"
CONVERSION_RATIO_30M: dict[str, Any] = {
    "name": "conversion-ratio-30m",
    "kind": "kpi_compare",
    "params": PARAMS,
    "method": "ratio",
    "direction": "higher_is_better",
    "max_relative_change": 0.1,
    "min_canary_events": 100,
    "lookback": "30m",
    "canary": {
        "query": f"{_counter('kpi_orders_total', 'canary_hash')} / {_counter(VISITS, 'canary_hash')}",
        "events": _counter("kpi_visits_total", "canary_hash"),
    },
    "baseline": {
        "query": f"{_counter('kpi_orders_total', 'stable_hash')} / {_counter(VISITS, 'stable_hash')}",
        "events": _counter("kpi_visits_total", "stable_hash"),
    },
}
# Read over 30 minutes: a canary whose pods died 20 minutes ago (kpigone) still has 10 good minutes in the window.
CHECKS.extend(
    [
        {
            **next(check for check in CHECKS if check["name"] == "conversion"),
            "name": "conversion-30m",
            "lookback": "30m",
        },
        {
            **next(check for check in CHECKS if check["name"] == "payment-errors"),
            "name": "payment-errors-30m",
            "lookback": "30m",
        },
        {
            **next(check for check in CHECKS if check["name"] == "conversion-ab"),
            "name": "conversion-ab-30m",
            "lookback": "30m",
        },
        {
            # The window written in the queries, not the lookback's: the reason names the window read.
            **CONVERSION_RATIO_30M,
            "name": "conversion-ratio-30m-written",
            "lookback": "5m",
            "canary": {role: q.replace("{{ lookback }}", "30m") for role, q in CONVERSION_RATIO_30M["canary"].items()},
            "baseline": {
                role: q.replace("{{ lookback }}", "30m") for role, q in CONVERSION_RATIO_30M["baseline"].items()
            },
        },
        CONVERSION_RATIO_30M,
    ]
)

# Failed payments per visit over the last minute, at one step in three (the others read 0): kpiworse's 2.5% then, 0
# otherwise, as an error ratio reads with errors in bursts; kpistable and kpiequal have none. The failures are masked
# in the numerator, where the reading sees an error ratio still (a ratio times a mask is no share of the events).
PAYMENT_RATIO = "sum(rate(kpi_failed_payments_total{{{0}}}[1m])) / sum(rate(kpi_visits_total{{{0}}}[1m]))"
PAYMENT_ERROR_RATIO = (
    "(sum(rate(kpi_failed_payments_total{{{0}}}[1m])) and on() (vector(time() % 90) < 30) or on() vector(0)) "
    "/ sum(rate(kpi_visits_total{{{0}}}[1m]))"
)
CHECKS.extend(
    [
        {
            "name": "payment-error-bursts",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_relative_change": 0.1,
            "lookback": "30m",
            "step": "30s",
            "canary": PAYMENT_ERROR_RATIO.format(_selector("canary_hash")),
            "baseline": PAYMENT_ERROR_RATIO.format(_selector("stable_hash")),
        },
        {
            # At 11 steps in 20 (45% of the canary's steps at 0).
            "name": "payment-error-most-steps",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_relative_change": 0.1,
            "lookback": "30m",
            "step": "30s",
            "canary": PAYMENT_ERROR_RATIO.format(_selector("canary_hash")).replace("% 90) < 30", "% 600) >= 270"),
            "baseline": PAYMENT_ERROR_RATIO.format(_selector("stable_hash")),
        },
        {
            # payment-error-bursts with both variants' visits counted: kpiworse and kpiequal have 20 visits/s, kpistable
            # 50 (2.5x, beyond the 2x within which the ranks judge), so the pooled counts judge too.
            "name": "payment-error-bursts-counted",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_absolute_change": 0.001,
            "lookback": "30m",
            "step": "30s",
            "canary": {
                "query": PAYMENT_ERROR_RATIO.format(_selector("canary_hash")),
                "events": _counter("kpi_visits_total", "canary_hash"),
            },
            "baseline": {
                "query": PAYMENT_ERROR_RATIO.format(_selector("stable_hash")),
                "events": _counter("kpi_visits_total", "stable_hash"),
            },
        },
        {
            # payment-error-bursts-counted masked by a factor, a ratio times 0 or 1: no share of the events the reading
            # takes counts of, so the ranks' pass (their ties at 0) is inconclusive.
            "name": "payment-error-bursts-masked",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_absolute_change": 0.001,
            "lookback": "30m",
            "step": "30s",
            "canary": {
                "query": f"{PAYMENT_RATIO.format(_selector('canary_hash'))} * (time() % 90 < bool 30)",
                "events": _counter("kpi_visits_total", "canary_hash"),
            },
            "baseline": {
                "query": f"{PAYMENT_RATIO.format(_selector('stable_hash'))} * (time() % 90 < bool 30)",
                "events": _counter("kpi_visits_total", "stable_hash"),
            },
        },
        {
            # kpiworse's failed payments per visit (2.5%) rounded to 0.1: as the canary, 2.4 times them at one step
            # in 5 (6%, read 0.1), 0 otherwise (1.2%); as the baseline, 1.96 times them (4.9%, read 0) and 2.4 times at
            # one step in 12 (read 0.1): about 5%, four times the canary's.
            "name": "payment-errors-rounded",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_absolute_change": 0.001,
            "lookback": "30m",
            "step": "30s",
            "canary": {
                "query": (
                    "round((sum(rate(kpi_failed_payments_total{{{0}}}[1m])) * 2.4 and on() (vector(time() % 150) < 30) "
                    "or on() vector(0)) / sum(rate(kpi_visits_total{{{0}}}[1m])), 0.1)"
                ).format(_selector("canary_hash")),
                "events": _counter("kpi_visits_total", "canary_hash"),
            },
            "baseline": {
                "query": (
                    "round((sum(rate(kpi_failed_payments_total{{{0}}}[1m])) * 1.96 + (sum(rate("
                    "kpi_failed_payments_total{{{0}}}[1m])) * 0.44 and on() (vector(time() % 360) < 30) or on() "
                    "vector(0))) / sum(rate(kpi_visits_total{{{0}}}[1m])), 0.1)"
                ).format(_selector("stable_hash")),
                "events": _counter("kpi_visits_total", "stable_hash"),
            },
        },
        {
            # kpiworse's failed payments per visit steadily (2.5%) as the canary; as the baseline, 1.2 times them at two
            # steps in three (3%), 0 otherwise: 2% over the lookback, the canary erring 25% more.
            "name": "payment-errors-steady",
            "kind": "kpi_compare",
            "params": PARAMS,
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_relative_change": 0.1,
            "lookback": "30m",
            "step": "30s",
            "canary": {
                "query": PAYMENT_RATIO.format(_selector("canary_hash")),
                "events": _counter("kpi_visits_total", "canary_hash"),
            },
            "baseline": {
                "query": (
                    "(sum(rate(kpi_failed_payments_total{{{0}}}[1m])) * 1.2 and on() (vector(time() % 90) < 60) "
                    "or on() vector(0)) / sum(rate(kpi_visits_total{{{0}}}[1m]))"
                ).format(_selector("stable_hash")),
                "events": _counter("kpi_visits_total", "stable_hash"),
            },
        },
        {
            # 16 samples each: the baseline's median is the mean of two samples at 1e308, whose sum overflows.
            "name": "near-the-float-range",
            "kind": "kpi_compare",
            "method": "mann_whitney",
            "direction": "lower_is_better",
            "max_relative_change": 0.1,
            "lookback": "5m",
            "step": "20s",
            "min_samples": 16,
            "canary": "vector(1.7e308)",
            "baseline": "vector(1e308)",
        },
    ]
)

# payment-errors-steady with each variant's ratio filtered by `> 0` (its steps with errors alone).
_STEADY = next(check for check in CHECKS if check["name"] == "payment-errors-steady")
CHECKS.append(
    _STEADY
    | {
        "name": "payment-errors-steady-filtered",
        **{side: _STEADY[side] | {"query": f"{_STEADY[side]['query']} > 0"} for side in ("canary", "baseline")},
    }
)

# payment-errors-steady filtered inside: the numerator by a comparison (`(errors > 0) / total`), or the ratio by one of
# its failures (`errors / total and on() (errors > 0)`), each variant's steps with errors alone; or by its traffic alone
# (`errors / total unless on() (total < 1)`), which keeps every step with visits.
_PAYMENTS = "sum(rate(kpi_failed_payments_total{{{0}}}[1m]))"
_VISITS = "sum(rate(kpi_visits_total{{{0}}}[1m]))"
_STEADY_FAILED = {
    "canary_hash": _PAYMENTS,
    "stable_hash": f"({_PAYMENTS} * 1.2 and on() (vector(time() % 90) < 60) or on() vector(0))",
}
_STEADY_FILTERS = {
    "payment-errors-steady-numerator-filtered": "({errors} > 0) / {visits}",
    "payment-errors-steady-and-failed": "({errors} / {visits}) and on() ({errors} > 0)",
    "payment-errors-steady-unless-none-failed": "{errors} / {visits} unless on() ({errors} == 0)",
    "payment-errors-steady-visits-and-failed": "{errors} / ({visits} and on() ({errors} > 0))",
    "payment-errors-steady-relabelled": 'label_replace({errors} > 0, "kept", "yes", "", "") / ignoring(kept) {visits}',
    "payment-errors-steady-unless-no-visits": "{errors} / {visits} unless on() ({visits} < 1)",
    "payment-errors-steady-and-visits": "({errors} / {visits}) and on() ({visits} > 0)",
    "payment-errors-steady-and-failed-series": "{errors} / {visits} and on() {errors}",
    "payment-errors-steady-top-1": "topk(1, {errors} / {visits})",
}
CHECKS.extend(
    _STEADY
    | {
        "name": name,
        **{
            side: _STEADY[side]
            | {
                "query": shape.format(errors=_STEADY_FAILED[param], visits=_VISITS).format(_selector(param)),
            }
            for side, param in (("canary", "canary_hash"), ("baseline", "stable_hash"))
        },
    }
    for name, shape in _STEADY_FILTERS.items()
)

# A canary failing 0.4 payments/s of 10 visits/s (4%, kpiworse's scaled) against a baseline failing none, the numerator
# bent at its low values: filtered below 0.5/s with the fallback filling 0 (both read 0 at every step), or clamped to
# at least 1/s (both read 10%); a tolerance of 0.5 points (of none, a relative one is 0).
_BENT = {
    "payment-errors-threshold-filled": "({errors} > 0.5 or on() vector(0)) / ({visits} * 0.5)",
    "payment-errors-clamped": "clamp_min({errors}, 1) / ({visits} * 0.5)",
    # The steps at 0 kept (none, for `< 0`), the others filled with 0: both read 0.
    "payment-errors-equal-0-filled": "({errors} == 0 or on() vector(0)) / ({visits} * 0.5)",
    "payment-errors-below-0-filled": "({errors} < 0 or on() vector(0)) / ({visits} * 0.5)",
    # A first series filtered at 0 (here never above it), filled by another above a threshold, then 0: both read 0.
    "payment-errors-threshold-in-the-fallback": (
        "({errors} * 0 > 0 or {errors} > 0.5 or on() vector(0)) / ({visits} * 0.5)"
    ),
    # Failing 0.15 of 10 visits/s (1.5%, three times the tolerance), squared: 0.0225/s, read as 0.225%.
    "payment-errors-squared": "({errors} * 0.375) ^ 2 / ({visits} * 0.5)",
    # Failing 0.002 of 0.05 visits/s (4%), the visits clamped to at least 1/s: read as 0.2%.
    "payment-errors-visits-clamped": "{errors} * 0.005 / clamp_min({visits} * 0.0025, 1)",
}
CHECKS.extend(
    {key: value for key, value in _STEADY.items() if key != "max_relative_change"}
    | {
        "name": name,
        "max_absolute_change": 0.005,
        **{
            side: _STEADY[side]
            | {"query": shape.format(errors=f"{_PAYMENTS} * {scale}", visits=_VISITS).format(_selector(param))}
            for side, param, scale in (("canary", "canary_hash", 0.8), ("baseline", "stable_hash", 0))
        },
    }
    for name, shape in _BENT.items()
)

# Failed payments per visit (0 where the counter is missing, as for kpihung), and the same ratio filtered at 0 and
# filled with 0: the filter drops the steps without visits too (0/0, NaN), which the fallback then reads as 0.
_RATIO_OR_0 = f"({_PAYMENTS} or on() vector(0)) / {_VISITS}"
CHECKS.extend(
    {key: value for key, value in _STEADY.items() if key != "max_relative_change"}
    | {
        "name": name,
        "max_absolute_change": 0.005,
        **{
            side: {"query": shape.format(_selector(param)), "events": _counter("kpi_visits_total", param)}
            for side, param in (("canary", "canary_hash"), ("baseline", "stable_hash"))
        },
    }
    for name, shape in (
        ("payment-ratio-or-0", _RATIO_OR_0),
        ("payment-ratio-above-0-or-0", f"{_RATIO_OR_0} > 0 or on() vector(0)"),
    )
)
# The same filtered and filled ratio judged by the ranks alone (no events on either variant).
CHECKS.append(
    {key: value for key, value in _STEADY.items() if key != "max_relative_change"}
    | {
        "name": "payment-ratio-above-0-or-0-ranks",
        "max_absolute_change": 0.005,
        **{
            side: {"query": f"{_RATIO_OR_0} > 0 or on() vector(0)".format(_selector(param))}
            for side, param in (("canary", "canary_hash"), ("baseline", "stable_hash"))
        },
    }
)


# Per-pod series (tests/integration/data_kpi_pods.py): the canary kpipodsbusy fails 9.6% of its visits, its busy pod 10%
# beside four quiet pods without failures; the baseline kpipodseven 2.5%, evenly over its five pods.
_BY_POD = "sum by (pod) (rate({name}{{{{{{0}}}}}}[1m]))"
_OF_SERIES = "rate({name}{{{{{{0}}}}}}[1m])"
_POD_SHAPES = {
    "pods-payments-ratio-of-sums": f"{_PAYMENTS} / {_VISITS}",
    "pods-payments-avg-of-one": f"avg({_PAYMENTS} / {_VISITS})",
    "pods-payments-avg-of-pods": "avg({} / {})".format(
        _BY_POD.format(name="kpi_failed_payments_total"), _BY_POD.format(name="kpi_visits_total")
    ),
    "pods-payments-sum-of-series": "sum({} / {})".format(
        _OF_SERIES.format(name="kpi_failed_payments_total"), _OF_SERIES.format(name="kpi_visits_total")
    ),
    "pods-payments-unaggregated": "{} / {}".format(
        _BY_POD.format(name="kpi_failed_payments_total"), _BY_POD.format(name="kpi_visits_total")
    ),
}
CHECKS.extend(
    {key: value for key, value in _STEADY.items() if key != "max_relative_change"}
    | {
        "name": name,
        "max_absolute_change": 0.005,
        **{
            side: {"query": shape.format(_selector(param)), "events": _counter("kpi_visits_total", param)}
            for side, param in (("canary", "canary_hash"), ("baseline", "stable_hash"))
        },
    }
    for name, shape in _POD_SHAPES.items()
)


@pytest.fixture
async def client(prometheus, aiohttp_client):
    catalog = build_catalog(
        [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": CHECKS})],
        Registry.default(),
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


async def run(
    client, prometheus, check: str, canary: str | None = None, status: int = 200, **args: float
) -> dict[str, Any]:
    params = {"at": str(int(prometheus.anchor)), "explain": "true", **{k: str(v) for k, v in args.items()}}
    if canary is not None:
        params["canary_hash"] = canary
    answer = await client.get(f"/api/v1/checks/{check}/run", params=params)
    assert answer.status == status, await answer.text()
    return await answer.json()


class TestGate:
    """Canary vs stable: a clear regression fails, equal performance passes, too little traffic is inconclusive."""

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    @pytest.mark.parametrize(
        ("canary", "verdict"),
        [("kpiworse", "fail"), ("kpiequal", "pass"), ("kpibetter", "pass"), ("kpitiny", "inconclusive")],
    )
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
        assert "95% CI [" in body["reason"] and "fails when the drop is significant (p < 0.05)" in body["reason"]

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
        assert body["reason"].startswith("power ")
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

    @pytest.mark.parametrize(("canary", "verdict"), [("kpibetter", "fail"), ("kpiworse", "fail"), ("kpiequal", "pass")])
    async def test_either_direction_fails_any_clear_shift(self, client, prometheus, canary, verdict):
        body = await run(client, prometheus, "latency-either", canary)
        assert body["verdict"] == verdict, body["reason"]

    async def test_lookback_is_rendered_into_the_queries(self, client, prometheus):
        details = (await run(client, prometheus, "conversion", "kpiequal"))["details"]
        assert details["query_roles"] == ["canary.success", "canary.total", "baseline.success", "baseline.total"]
        assert details["queries"][0] == (
            'sum(increase(kpi_orders_total{service="shop",rollouts_pod_template_hash="kpiequal"}[10m]))'
        )

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


class TestSameVariant:
    """A canary compared with itself (its hash given as the stable one) is the caller's 400, never a pass."""

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    async def test_same_hash_is_a_bad_arg_naming_both(self, client, prometheus, check):
        body = await run(client, prometheus, check, "kpistable", status=400)
        assert (body["error"], body["arg"]) == ("bad_arg", "canary_hash")
        assert "canary_hash='kpistable', stable_hash='kpistable'" in body["message"]
        assert "compared with itself always passes" in body["message"]

    async def test_different_hashes_are_judged(self, client, prometheus):
        body = await run(client, prometheus, "conversion", "kpiequal", stable_hash="kpistable")
        assert body["verdict"] == "pass", body["reason"]


class TestStoppedVariant:
    """mann_whitney: a variant whose series stopped before the end of the lookback is no evidence of now."""

    async def test_a_canary_that_died_is_inconclusive(self, client, prometheus):
        # Its last ten minutes of samples match the baseline's; for twenty minutes it has reported nothing.
        body = await run(client, prometheus, "latency", "kpidead")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "the canary's series has no value (no sample, or NaN) in the last" in body["reason"]
        assert "stopped reporting" in body["reason"]

    async def test_a_canary_reporting_to_the_end_is_judged(self, client, prometheus):
        body = await run(client, prometheus, "latency", "kpiequal")
        assert body["verdict"] == "pass", body["reason"]


class TestStoppedCanaryOverWindows:
    """ratio and proportion: a canary whose series all stopped is no evidence of now, though the lookback's window
    still holds its earlier samples; one reporting now is judged."""

    @pytest.mark.parametrize("check", ["conversion-30m", "conversion-ratio-30m", "payment-errors-30m"])
    async def test_a_canary_whose_pods_died_is_inconclusive(self, client, prometheus, check):
        # Its ten minutes in the window match stable's; for twenty minutes it has reported nothing.
        body = await run(client, prometheus, check, "kpigone")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "none of the canary's series read over a window has a sample now" in body["reason"]
        assert "stopped reporting" in body["reason"]
        asked = body["details"]["presence_now_query"]
        assert 'count(kpi_visits_total{service="shop",rollouts_pod_template_hash="kpigone"})' in asked

    @pytest.mark.parametrize(
        ("check", "windows"),
        [
            ("conversion-ratio-30m", "its 30m lookback"),
            ("conversion-ratio-30m-written", "the 30m window its queries read"),
        ],
    )
    async def test_the_reason_names_the_window_the_queries_read(self, client, prometheus, check, windows):
        # Before: "in its 5m lookback" for queries that hard-code [30m] whatever the lookback: a window nothing read.
        body = await run(client, prometheus, check, "kpigone")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert f"so the canary's earlier samples in {windows} say nothing of now" in body["reason"]

    @pytest.mark.parametrize("check", ["conversion-30m", "conversion-ratio-30m", "payment-errors-30m"])
    async def test_a_canary_reporting_now_is_judged(self, client, prometheus, check):
        body = await run(client, prometheus, check, "kpiequal")
        assert body["verdict"] == "pass", body["reason"]

    async def test_a_canary_without_an_error_series_yet_is_judged(self, client, prometheus):
        # Its failed-payments counter appears at the first failure; its visits report now.
        body = await run(client, prometheus, "payment-errors-30m", "kpinoerr")
        assert body["verdict"] == "pass", body["reason"]

    async def test_an_ab_baseline_whose_pods_died_wins_nothing(self, client, prometheus):
        # Before: a fail ("blue wins"). kpigone's ten minutes at 10% beat the canary's 5%; for twenty minutes it has
        # reported nothing, so which variant is better now is not measured.
        body = await run(client, prometheus, "conversion-ab-30m", "kpiworse", stable_hash="kpigone")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "none of the blue's series read over a window has a sample now" in body["reason"]
        asked = body["details"]["baseline_presence_now_query"]
        assert 'count(kpi_visits_total{service="shop",rollouts_pod_template_hash="kpigone"})' in asked
        body = await run(client, prometheus, "conversion-ab-30m", "kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        assert body["reason"].startswith("blue wins")

    async def test_a_stopped_canary_that_fails_still_fails(self, client, prometheus):
        # kpidead has no orders: its conversion over its living minutes is 0, a harm seen when it happened.
        body = await run(client, prometheus, "conversion-30m", "kpidead")
        assert body["verdict"] == "fail", body["reason"]


class TestQuietVariant:
    """mann_whitney: a variant whose series reads NaN (no traffic) to the end of the lookback is no evidence of
    now, as one that stopped reporting."""

    async def test_a_canary_without_traffic_since_its_workers_hung_is_inconclusive(self, client, prometheus):
        # Its fifteen minutes of samples before it hung match the baseline's, which passed.
        body = await run(client, prometheus, "conversion-series", "kpihung")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "the canary's series has no value (no sample, or NaN) in the last" in body["reason"]

    async def test_a_canary_with_traffic_to_the_end_is_judged(self, client, prometheus):
        body = await run(client, prometheus, "conversion-series", "kpiequal")
        assert body["verdict"] == "pass", body["reason"]
        assert body["details"]["canary"]["samples"] == 61


class TestBaselineWithoutTraffic:
    """A baseline whose events count no traffic over the lookback is no evidence, however current its KPI gauge
    looks."""

    async def test_a_hung_baseline_is_inconclusive(self, client, prometheus):
        # kpihung's p95 gauge still reads 0.2 s, kpiequal's too: a pass, with the baseline's events left unread.
        body = await run(client, prometheus, "p95", "kpiequal", stable_hash="kpihung")
        assert body["details"]["baseline"]["events"] == 0
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the baseline has no traffic over 10m (events 0)")

    async def test_a_baseline_with_traffic_is_judged(self, client, prometheus):
        assert (await run(client, prometheus, "p95", "kpiequal", stable_hash="kpistable"))["verdict"] == "pass"


STORE_DOWN = "partial response: store 2 down"


class LostFailedPayments(PrometheusSource):
    """The real Prometheus as a Thanos querier whose store holding kpiworse's failed payments is down: those
    queries answer no series, and every answer warns."""

    async def query(self, promql, at, timeout_s, **kwargs):
        answer = await super().query(promql, at, timeout_s, **kwargs)
        lost = "kpi_failed_payments_total" in promql and "kpiworse" in promql
        return QueryResult(answer.query, answer.result_type, [] if lost else answer.series, [STORE_DOWN])


class TestPartialAnswer:
    """proportion: a success series absent from an answer that may be partial is no evidence of no successes."""

    async def test_failed_payments_lost_with_a_store_are_not_zero(self, prometheus):
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": CHECKS})],
            Registry.default(),
        )
        sources = Sources(catalog.sources, make_prometheus=lambda source, config: LostFailedPayments(source, config))
        try:
            check = catalog.get("payment-errors")
            args = check.bind_args({"canary_hash": "kpiworse"})
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            evaluation = await Runner(catalog, sources, Metrics(), 8.0).evaluate(check, args, at)
        finally:
            await sources.aclose()
        # Read as zero failed payments, kpiworse (2.5% failed against none) passed.
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert "the answer may be partial (partial response: store 2 down)" in evaluation.reason
        assert evaluation.details["prometheus_warnings"] == [STORE_DOWN]

    async def test_the_same_canary_fails_on_a_complete_answer(self, client, prometheus):
        body = await run(client, prometheus, "payment-errors", "kpiworse")
        assert body["verdict"] == "fail", body["reason"]


class TestPartialAnswerWithSeries:
    """A pass judged on an answer that may be partial is inconclusive (the lost store may hold the canary's regression);
    a fail stands, saying so."""

    @pytest.fixture
    async def partial_client(self, prometheus, aiohttp_client):
        async with partial_querier(prometheus.url, STORE_DOWN) as url:
            catalog = build_catalog(
                [("test", {"sources": {"default": {"type": "prometheus", "url": url}}, "checks": CHECKS})],
                Registry.default(),
            )
            yield await aiohttp_client(create_app(Settings(), catalog, Registry.default()))

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    async def test_a_pass_is_inconclusive(self, partial_client, prometheus, check):
        body = await run(partial_client, prometheus, check, "kpiequal")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert f", but the answer may be partial ({STORE_DOWN}): a store that did not answer" in body["reason"]

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    async def test_a_fail_stands_and_says_so(self, partial_client, prometheus, check):
        body = await run(partial_client, prometheus, check, "kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        assert body["reason"].endswith(f" (judged on an answer that may be partial: {STORE_DOWN})")


class PresenceLostFailedPayments(PrometheusSource):
    """The real Prometheus as a Thanos querier whose store holding the failed payments is down for the presence
    query alone: it answers without kpi_failed_payments_total, and warns."""

    async def query(self, promql, at, timeout_s, **kwargs):
        answer = await super().query(promql, at, timeout_s, **kwargs)
        if not promql.startswith("group by (__name__)"):
            return answer
        kept = [series for series in answer.series if series.labels["__name__"] != "kpi_failed_payments_total"]
        return QueryResult(answer.query, answer.result_type, kept, [STORE_DOWN])


class PresenceLostFailedPaymentsService(PrometheusSource):
    """As PresenceLostFailedPayments, but the presence answer lacks only the failed payments' series with `service`."""

    async def query(self, promql, at, timeout_s, **kwargs):
        answer = await super().query(promql, at, timeout_s, **kwargs)
        if not promql.startswith("group by (__name__)"):
            return answer
        lost = {"__name__": "kpi_failed_payments_total", "label": "service"}
        kept = [series for series in answer.series if series.labels != lost]
        return QueryResult(answer.query, answer.result_type, kept, [STORE_DOWN])


class TestPartialPresenceAnswer:
    """A metric a partial presence answer does not show may be on the store that did not answer: inconclusive,
    never an error that calls it misspelled."""

    async def evaluate(self, prometheus, source: type[PrometheusSource]) -> Evaluation:
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": CHECKS})],
            Registry.default(),
        )
        sources = Sources(catalog.sources, make_prometheus=source)
        try:
            check = catalog.get("payment-errors")
            args = check.bind_args({"canary_hash": "kpiequal"})
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            return await Runner(catalog, sources, Metrics(), 8.0).evaluate(check, args, at)
        finally:
            await sources.aclose()

    async def test_a_label_a_partial_presence_answer_does_not_show_is_inconclusive(self, prometheus):
        evaluation = await self.evaluate(prometheus, PresenceLostFailedPaymentsService)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason == (
            "label service of metric kpi_failed_payments_total: no series with it found in source 'default'; "
            'canary.success, baseline.success select it: kpi_failed_payments_total{service="shop",'
            f'rollouts_pod_template_hash="kpiequal"}}, in a presence answer that may be partial ({STORE_DOWN}): a '
            "store that did not answer may hold them, so a misspelled label name cannot be told, and no value read "
            "without them is evidence"
        )
        assert evaluation.details["unseen_labels"] == ["kpi_failed_payments_total: service"]
        assert "unseen_metrics" not in evaluation.details

    async def test_a_name_a_partial_presence_answer_does_not_show_is_inconclusive(self, prometheus):
        # Before: error (check_misconfigured), "metric kpi_failed_payments_total has no series at all", which aborts
        # the rollout while a store is down.
        evaluation = await self.evaluate(prometheus, PresenceLostFailedPayments)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason == (
            "metric kpi_failed_payments_total: no series found in source 'default'; canary.success, baseline.success "
            'select it: kpi_failed_payments_total{service="shop",rollouts_pod_template_hash="kpiequal"}, in a '
            f"presence answer that may be partial ({STORE_DOWN}): a store that did not answer may hold them, so a "
            "misspelled metric name cannot be told, and no value read without them is evidence"
        )
        assert evaluation.details["unseen_metrics"] == ["kpi_failed_payments_total"]
        assert evaluation.details["presence_query"] == (
            'group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total"}) or on(__name__, label) '
            'label_replace(group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total", '
            'rollouts_pod_template_hash!=""}), "label", "rollouts_pod_template_hash", "", "") or on(__name__, label) '
            'label_replace(group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total", '
            'service!=""}), "label", "service", "", "")'
        )
        assert evaluation.details["prometheus_warnings"] == [STORE_DOWN]


class TestInfiniteSamples:
    """mann_whitney: a variant with infinite samples is no evidence; they are not dropped to judge the rest."""

    async def test_a_canary_infinite_every_other_minute_is_inconclusive(self, client, prometheus):
        # Its finite samples match the baseline's, which would pass.
        body = await run(client, prometheus, "latency-half-infinite", "kpiequal")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "infinite samples over 30m" in body["reason"]


class TestTiedSamples:
    """mann_whitney on a KPI at 0 at most steps (an error ratio): the interval shrinks onto 0, and a canary erring at a
    third of its steps against a baseline without errors is no pass."""

    @pytest.mark.parametrize(("canary", "verdict"), [("kpiworse", "inconclusive"), ("kpiequal", "pass")])
    async def test_a_canary_erring_at_some_steps_does_not_pass(self, client, prometheus, canary, verdict):
        body = await run(client, prometheus, "payment-error-bursts", canary)
        assert body["verdict"] == verdict, body["reason"]
        assert body["details"]["interval"] == [0.0, 0.0]
        assert body["details"]["baseline"]["median"] == 0.0
        if verdict == "inconclusive":
            assert body["reason"].startswith("tied samples: the interval rules out an increase")

    async def test_a_canary_erring_at_most_steps_in_long_bursts_fails(self, client, prometheus):
        # Its errors come in runs of 11 steps (61 samples count as about 5, by the step grid's phase), so the interval
        # takes Student's t with about 4 degrees of freedom and its low end stays at 0. The baseline at 0 at all its
        # 61 samples errs at most 5.9% of the time (Clopper-Pearson), the canary at least about 14%: a fail (it was
        # inconclusive in the twenty-eighth session).
        body = await run(client, prometheus, "payment-error-most-steps", "kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        assert body["details"]["interval"] == [0.0, pytest.approx(0.025)]
        assert body["details"]["constant_baseline"]["beyond"] is True
        # About 61 samples each (the step grid's phase moves one in or out), the canary's counting as about 5.
        assert re.match(
            r"the baseline is 0 at all \d+ samples and the canary above it at \d+ of \d+ \(at least 1\d\.\d% of the "
            r"time over its [4-7](\.\d+)? effective samples\), more often than the baseline can be \(at most [56]\.\d%",
            body["reason"],
        ), body["reason"]


class TestPooledCounts:
    """mann_whitney on an error ratio with both variants' events, against a baseline with 2.5 times the canary's
    traffic: the pooled counts fail a canary erring at a third of its steps, which the tied ranks left inconclusive,
    and pass one without errors only when their interval rules out an increase beyond the tolerance."""

    async def test_a_canary_erring_at_some_steps_fails_by_its_counts(self, client, prometheus):
        body = await run(client, prometheus, "payment-error-bursts-counted", "kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        assert body["reason"].startswith(
            "the pooled counts find an increase beyond the tolerance: pooled counts canary "
        )
        counted = body["details"]["count_test"]
        assert counted["traffic_ratio"] == pytest.approx(2.5, rel=0.01)
        assert counted["ranks_judge"] is False
        assert counted["baseline"]["rate"] == 0.0
        # 2.5% at a third of the steps (by the step grid's phase, 20 or 21 of 61).
        assert counted["canary"]["rate"] == pytest.approx(0.025 / 3, rel=0.1)
        assert body["value"] == pytest.approx(counted["estimate"])

    async def test_a_canary_without_errors_passes_when_the_counts_rule_out_the_tolerance(self, client, prometheus):
        body = await run(client, prometheus, "payment-error-bursts-counted", "kpiequal")
        assert body["verdict"] == "pass", body["reason"]
        assert body["details"]["count_test"]["harm_bound"] < 0.001


class TestPooledCountsNotTaken:
    """mann_whitney on a query naming failures whose samples are no share of the events: no pooled counts are taken,
    and the ranks' pass of samples within 0 to 1 with events on both is inconclusive."""

    async def test_a_masked_ratio_erring_at_some_steps_does_not_pass(self, client, prometheus):
        # The ranks' ties at 0 pass kpiworse (2.5% at a third of its steps, the baseline without errors).
        body = await run(client, prometheus, "payment-error-bursts-masked", "kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]
        assert body["details"]["count_test"]["applied"] is False

    async def test_a_rounded_ratio_is_not_failed_by_counts_of_its_rounding(self, client, prometheus):
        # Before: the pooled counts read the canary's 0.1 at a fifth of its steps as 2% of its visits failing against
        # the baseline's 0.9% (0.1 at a twelfth) and failed the canary erring a quarter as often.
        # The ranks' pass (their ties at 0) is no pass either: no counts confirm it, so it is held.
        body = await run(client, prometheus, "payment-errors-rounded", "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]
        assert body["details"]["count_test"] == {
            "applied": False,
            "why": "no pooled counts: round() keeps the ratio rounded to a multiple of its second argument (1 without "
            "one), and the mean of those times the events counts no events",
        }


class TestFilteredByAComparison:
    """mann_whitney on an error ratio filtered by a comparison (`errors / total > 0`): PromQL compares after it
    divides, so each variant keeps its steps with errors alone, and no pooled counts are taken of those."""

    async def test_a_canary_erring_more_steadily_does_not_pass_filtered(self, client, prometheus):
        body = await run(client, prometheus, "payment-errors-steady", "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        # Filtered, the baseline reads 3% at its steps with errors: the counts of those found the canary erring 25%
        # more significantly better, and with the ranks passed it.
        body = await run(client, prometheus, "payment-errors-steady-filtered", "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["count_test"]["applied"] is False
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]

    @pytest.mark.parametrize(
        "check",
        [
            "payment-errors-steady-numerator-filtered",
            "payment-errors-steady-and-failed",
            "payment-errors-steady-unless-none-failed",
            "payment-errors-steady-visits-and-failed",
            "payment-errors-steady-relabelled",
        ],
        ids=["numerator", "and-failed", "unless-none-failed", "visits-and-failed", "relabelled"],
    )
    async def test_a_ratio_filtered_by_its_failures_does_not_pass(self, client, prometheus, check):
        # The numerator's filter (or one of the failures on the ratio) drops the steps without failed payments as
        # `> 0` on the ratio does: the baseline reads 3% at its steps with errors, and the counts of those found the
        # canary erring 25% more significantly better and passed it.
        body = await run(client, prometheus, check, "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["count_test"] == {
            "applied": False,
            "why": "canary.query names an outcome (kpi_failed_payments_total) but is not read as its share of the "
            "events (a ratio read through sums, scaling and the functions that keep its values): lower is taken as "
            "better by direction lower_is_better alone, and its per-step values are compared by rank alone, without "
            "pooled counts",
        }
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]

    @pytest.mark.parametrize(
        "check",
        list(_BENT),
        ids=[
            "threshold-filled",
            "clamped",
            "equal-0-filled",
            "below-0-filled",
            "threshold-in-the-fallback",
            "squared",
            "visits-clamped",
        ],
    )
    async def test_a_numerator_bent_at_its_low_values_does_not_pass(self, client, prometheus, check):
        # Both variants read alike (0, or 10%) where the canary fails 4% of its visits and the baseline none, or the
        # canary within the tolerance where it fails 1.5% (squared) or 4% (its visits clamped): the ranks' ties and the
        # counts of those passed it.
        body = await run(client, prometheus, check, "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["count_test"]["applied"] is False, body["details"]
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]

    @pytest.mark.parametrize(
        "check",
        [
            "payment-errors-steady-unless-no-visits",
            "payment-errors-steady-and-visits",
            "payment-errors-steady-and-failed-series",
            "payment-errors-steady-top-1",
        ],
        ids=["unless", "and", "and-failed-series", "top-1"],
    )
    async def test_a_ratio_filtered_by_its_traffic_alone_is_counted(self, client, prometheus, check):
        # Before, for the mask by its own failed payments (no filter: a sample wherever the ratio has one) and the top 1
        # of one series: no counts, and the ranks' pass (the baseline at 3% at two steps in three) held inconclusive.
        body = await run(client, prometheus, check, "kpiworse", stable_hash="kpiworse")
        assert body["verdict"] == "fail", body["reason"]
        assert body["details"]["count_test"]["baseline"]["rate"] == pytest.approx(0.02, rel=0.1)


class TestRatiosOfSeveralPods:
    """mann_whitney on a canary whose busy pod fails beside quiet healthy ones: an average or a sum of its pods' ratios
    is no share of its events, so no pooled counts are taken of it; the ratio of its sums is counted and fails it."""

    @pytest.mark.parametrize("check", ["pods-payments-ratio-of-sums", "pods-payments-avg-of-one"])
    async def test_the_ratio_of_sums_fails_the_busy_pods_failures(self, client, prometheus, check):
        body = await run(client, prometheus, check, "kpipodsbusy", stable_hash="kpipodseven")
        assert body["verdict"] == "fail", body["reason"]
        counted = body["details"]["count_test"]
        assert counted["canary"]["rate"] == pytest.approx(2 / 20.8, rel=0.01)
        assert counted["baseline"]["rate"] == pytest.approx(0.025, rel=0.01)

    @pytest.mark.parametrize(
        ("check", "why"),
        [
            (
                "pods-payments-avg-of-pods",
                "avg() of several series' ratios weighs a quiet series' ratio as much as a busy one's",
            ),
            ("pods-payments-sum-of-series", "sum() of several series' ratios adds them up, no ratio of their events"),
        ],
        ids=["avg-of-pods", "sum-of-series"],
    )
    async def test_an_average_or_a_sum_of_the_pods_ratios_does_not_pass(self, client, prometheus, check, why):
        # Before: the canary's pods' ratios averaged 2% (summed 10%) against the baseline's 2.5% (12.5%), counted as
        # 2% (10%) of its visits failing where 9.6% did, and the counts with the ranks passed it.
        body = await run(client, prometheus, check, "kpipodsbusy", stable_hash="kpipodseven")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["count_test"] == {
            "applied": False,
            "why": f"no pooled counts: {why}, and the mean of those times the events counts no events",
        }
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]

    async def test_a_ratio_answering_each_pod_is_told_to_divide_the_sums(self, client, prometheus):
        body = await run(
            client, prometheus, "pods-payments-unaggregated", "kpipodsbusy", 500, stable_hash="kpipodseven"
        )
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured")
        assert (
            "it must return one: divide the sums of its counts, sum(rate(errors[...])) / sum(rate(total[...]))"
            in (body["reason"])
        ), body["reason"]


class TestRatioFilledAfterAFilter:
    """mann_whitney on an error ratio filtered at 0 and filled with 0 (`errors / total > 0 or on() vector(0)`): the
    steps without traffic (0/0) read 0 too, a share of no events, so no pooled counts are taken of it."""

    async def test_the_steps_of_a_hung_canary_read_0(self, client, prometheus):
        # kpihung's workers hung 15 minutes before the end: the ratio is NaN since, no evidence of now.
        body = await run(client, prometheus, "payment-ratio-or-0", "kpihung")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "the canary's series has no value (no sample, or NaN) in the last" in body["reason"]
        # Filtered and filled, those steps read 0 (a canary without errors): counted, their 0s would pass it.
        body = await run(client, prometheus, "payment-ratio-above-0-or-0", "kpihung")
        assert body["details"]["canary"]["samples"] == 61
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["count_test"]["applied"] is False
        assert body["reason"].startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), body[
            "reason"
        ]

    async def test_the_ranks_alone_do_not_pass_a_hung_canary(self, client, prometheus):
        # Without events on either variant nothing counts the hung canary's traffic: its filled 0s since the workers
        # hung read as a canary without errors, and the ranks passed it against kpiequal (no failed payments either).
        body = await run(client, prometheus, "payment-ratio-above-0-or-0-ranks", "kpihung", stable_hash="kpiequal")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith(
            "canary.query filters the ratio (a comparison, of it, of its traffic or in a mask)"
        ), body["reason"]


class TestNearTheFloatRange:
    """mann_whitney: samples near the float range are compared as they are."""

    async def test_a_canary_70_percent_above_a_baseline_at_1e308_fails(self, client, prometheus):
        body = await run(client, prometheus, "near-the-float-range")
        assert body["verdict"] == "fail", body["reason"]
        assert body["details"]["baseline"]["median"] == 1e308
        assert body["threshold"] == pytest.approx(1e307)


class TestMisspelledMetric:
    """A metric name that matches no series at all is an error naming the selector, never zero errors or no data;
    a metric that exists but has no series for this canary stays no data."""

    @pytest.mark.parametrize("canary", ["kpiworse", "kpiequal"])
    async def test_a_misspelled_error_counter_is_an_error_not_zero_errors(self, client, prometheus, canary):
        body = await run(client, prometheus, "errors-typo", canary, status=500)
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured")
        assert body["reason"].startswith("metric kpi_failed_payment_total has no series at all in source 'default'")
        assert 'canary.success, baseline.success select it: kpi_failed_payment_total{service="shop"' in body["reason"]
        assert body["details"]["missing_metrics"] == ["kpi_failed_payment_total"]

    async def test_before_the_data_the_names_with_series_now_are_named(self, client, prometheus):
        # A backtest past the retention: every name is missing then, and was called misspelled only.
        answer = await client.get(
            "/api/v1/checks/errors-typo/run",
            params={"canary_hash": "kpiworse", "stable_hash": "kpistable", "at": "1971-01-01T00:00:00Z"},
        )
        body = await answer.json()
        assert (answer.status, body["error"]) == (500, "check_misconfigured")
        assert body["reason"].startswith("metric kpi_failed_payment_total has no series at all in source 'default'")
        assert body["reason"].endswith(
            "; evaluated as of 1971-01-01T00:00:00.000Z, a past time: metric kpi_visits_total has series now, so "
            "1971-01-01T00:00:00.000Z is likely before the oldest data the source keeps (its retention)"
        )

    async def test_a_typo_behind_an_or_vector_fallback_is_an_error(self, client, prometheus):
        body = await run(client, prometheus, "errors-typo-fallback", "kpiworse", status=500)
        assert body["error"] == "check_misconfigured"
        assert "canary.query selects it" in body["reason"]

    async def test_a_typo_in_a_regex_of_names_is_an_error(self, client, prometheus):
        # Both sides read vector(0) for the missing metric: they would compare equal and pass.
        body = await run(client, prometheus, "errors-typo-regex", "kpiworse", status=500)
        assert body["error"] == "check_misconfigured"
        assert body["reason"].startswith("metric kpi_failed_payment_total has no series at all")
        assert 'canary.query, baseline.query select it: {__name__=~"kpi_failed_payment_total"' in body["reason"]

    async def test_name_matchers_no_name_meets_are_an_error(self, client, prometheus):
        # kpiworse fails payments; its selector's two names match no series, which read as no failed payments. Before:
        # read as the first name, which exists, and inconclusive at every step ("no traffic yet"), never told why.
        body = await run(client, prometheus, "errors-contradicting-names", "kpiworse", status=500)
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured"), body["reason"]
        assert body["reason"].startswith(
            'query selector {__name__="kpi_failed_payments_total",__name__="kpi_visits_total",service="shop",'
            'rollouts_pod_template_hash="kpiworse"} matches no series: no metric name meets all of its matchers on '
            "__name__"
        ), body["reason"]

    async def test_a_misspelled_label_of_the_error_counter_is_an_error_not_zero_errors(self, client, prometheus):
        # kpiworse fails payments; `servcie` matched no series, which read as no failed payments: a pass.
        body = await run(client, prometheus, "errors-label-typo", "kpiworse", status=500)
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured"), body["reason"]
        assert body["reason"].startswith(
            "label servcie is not on metric kpi_failed_payments_total, no series of it has it in source 'default' "
            "(a misspelled label name?); canary.success, baseline.success select it: "
            'kpi_failed_payments_total{servcie="shop",rollouts_pod_template_hash="kpiworse"}'
        )
        assert body["details"]["missing_labels"] == ["kpi_failed_payments_total: servcie"]
        assert (
            ' or on(__name__, label) label_replace(group by (__name__) ({__name__=~"kpi_failed_payments_total", '
            'servcie!=""}), "label", "servcie", "", "")'
        ) in body["details"]["presence_query"]

    async def test_a_misspelled_label_beside_a_fallback_is_an_error(self, client, prometheus):
        # The canary's 0 (its fallback's) against the baseline's 0: equal, a pass.
        body = await run(client, prometheus, "ratio-label-typo-fallback", "kpiworse", status=500)
        assert body["error"] == "check_misconfigured", body["reason"]
        assert body["details"]["missing_labels"] == ["kpi_failed_payments_total: rollout_hash"]

    async def test_a_misspelled_total_names_its_role(self, client, prometheus):
        body = await run(client, prometheus, "total-typo", "kpiequal", status=500)
        assert "metric kpi_visit_total has no series at all" in body["reason"]
        assert "baseline.total selects it" in body["reason"]

    async def test_a_misspelled_range_query_is_an_error(self, client, prometheus):
        body = await run(client, prometheus, "latency-typo", "kpiequal", status=500)
        assert "metric kpi_request_latency_second has no series at all" in body["reason"]

    async def test_the_correct_names_still_judge(self, client, prometheus):
        body = await run(client, prometheus, "payment-errors", "kpiworse")
        assert body["verdict"] == "fail"
        assert body["details"]["presence_query"] == (
            'group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total"}) or on(__name__, label) '
            'label_replace(group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total", '
            'rollouts_pod_template_hash!=""}), "label", "rollouts_pod_template_hash", "", "") or on(__name__, label) '
            'label_replace(group by (__name__) ({__name__=~"kpi_failed_payments_total|kpi_visits_total", '
            'service!=""}), "label", "service", "", "")'
        )

    async def test_an_existing_metric_without_this_canary_is_no_data(self, client, prometheus):
        body = await run(client, prometheus, "conversion", "nosuchhash")
        assert body["verdict"] == "inconclusive"
        assert "no_data policy: inconclusive" in body["reason"]


class TestWhereABaselineReads:
    """A name is present where its query reads it: a baseline an hour back (`offset 1h`) reads the names that had
    series then, whatever is there now."""

    async def test_a_name_with_series_only_back_then_is_read(self, client, prometheus):
        # kpi_orders_v1_total stopped 40 minutes ago (renamed), and had series an hour back. Before: error, "no series
        # at all".
        body = await run(client, prometheus, "conversion-hour-back", "kpiequal")
        assert body["verdict"] == "pass", body["reason"]
        assert (
            ' or on(__name__, label, read_over) label_replace(group by (__name__) (last_over_time({__name__=~"'
            'kpi_orders_v1_total|kpi_visits_total"}[600s] offset 3600s)), "read_over", "[600s] offset 3600s", "", "")'
        ) in body["details"]["presence_query"]

    async def test_a_name_without_series_back_then_is_an_error(self, client, prometheus):
        # kpi_orders_v2_total has series now but none an hour back: the baseline's success read no series, counted as
        # 0 orders of its 30000 visits, a conversion of 0 that was never measured. Before: compared with it
        # (inconclusive only for the power of a drop from 0).
        body = await run(client, prometheus, "conversion-hour-back-new-name", "kpiequal", status=500)
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured"), body["reason"]
        assert body["reason"] == (
            "metric kpi_orders_v2_total has no series in source 'default' where the query reads it ([600s] offset "
            "3600s); baseline.success selects it: "
            'kpi_orders_v2_total{service="shop",rollouts_pod_template_hash="kpistable"}'
        )
        assert body["details"]["missing_metrics"] == ["kpi_orders_v2_total"]


class TestNonInferiority:
    """A proportion passes only when its interval rules out harm beyond the tolerance, not on power alone."""

    @pytest.mark.parametrize(
        ("check", "counts"),
        [
            # The reviewer's wrong passes: observed harm 0.003 and 0.002 against a tolerance of 0.001, with a
            # baseline of 200 and of 10 requests and no errors; and 0.003 with min_detectable_effect 0.5.
            ("errors-exact", (30, 10000, 0, 200)),
            ("errors-exact", (200, 100000, 0, 10)),
            ("errors-exact-mde", (104, 8000, 80, 8000)),
        ],
    )
    async def test_harm_beyond_the_tolerance_never_passes(self, client, prometheus, check, counts):
        body = await run(client, prometheus, check, **dict(zip(COUNTS, counts, strict=True)))
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["value"] > body["threshold"] == 0.001
        assert body["details"]["harm_bound"] > 0.001
        assert "the interval allows an increase of " in body["reason"]

    async def test_a_baseline_without_errors_can_pass_with_enough_traffic(self, client, prometheus):
        body = await run(client, prometheus, "errors-exact", errors_c=10, total_c=100000, errors_b=0, total_b=100000)
        assert body["verdict"] == "pass", body["reason"]
        # A significant increase of 0.0001 is still within the tolerance: the interval ends below 0.001.
        assert 0 < body["details"]["interval"][0] < body["details"]["interval"][1] <= 0.001
        assert (
            "passes when the interval rules out an increase beyond the tolerance and the test has power"
            in (body["reason"])
        )

    async def test_a_small_baseline_reports_low_power(self, client, prometheus):
        body = await run(client, prometheus, "errors-exact", errors_c=0, total_c=100000, errors_b=0, total_b=10)
        assert body["verdict"] == "inconclusive"
        assert body["details"]["power"] < 0.1
        assert body["reason"].startswith("power ")


class TestVanishingTotal:
    """proportion: a total of next to no traffic bounds nothing, and is judged so."""

    async def test_a_baseline_total_of_1e_300_is_inconclusive(self, client, prometheus):
        # Its Wilson interval divided by 4 * total^2, which underflowed to 0: an internal error.
        body = await run(client, prometheus, "errors-exact", errors_c=0, total_c=100000, errors_b=0, total_b=1e-300)
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["interval"][0] == pytest.approx(-1.0, abs=1e-4)


class TestBoundaries:
    """A change exactly at the tolerance is within it, whatever float arithmetic makes of it."""

    @pytest.mark.parametrize(
        ("canary", "baseline", "verdict"),
        [
            (1.1, 1.0, "pass"),  # 1.1 - 1.0 = 0.10000000000000009 > 0.1 * 1.0
            (0.33, 0.3, "pass"),  # 0.030000000000000027 > 0.03
            (1.1000001, 1.0, "fail"),
        ],
    )
    async def test_ratio_at_the_tolerance(self, client, prometheus, canary, baseline, verdict):
        body = await run(client, prometheus, "ratio-exact", canary_value=canary, baseline_value=baseline)
        assert body["verdict"] == verdict, body["reason"]


class TestAutocorrelatedSamples:
    """Range samples of a smoothed query share data: the interval is widened for it and the reason says so."""

    async def test_overlapping_windows_count_as_fewer_samples(self, client, prometheus):
        body = await run(client, prometheus, "latency-smoothed", "kpiequal")
        details = body["details"]
        assert details["canary"]["samples"] == 61
        assert details["canary"]["autocorrelation"] > 0.5
        assert details["canary"]["effective_samples"] < 61 / 3
        assert "widened for autocorrelation: 61 and 61 samples count as" in body["reason"]

    async def test_unsmoothed_samples_keep_their_count(self, client, prometheus):
        details = (await run(client, prometheus, "latency", "kpiequal"))["details"]
        assert details["canary"]["effective_samples"] > 40

    async def test_samples_that_count_as_none_are_inconclusive(self, client, prometheus):
        # kpiworse's failed payments rise by 30 a minute, the baseline's stay 0: an unbounded interval rules out
        # nothing (it passed: an infinite harm bound read as within the tolerance).
        body = await run(client, prometheus, "failures-rising", "kpiworse")
        assert body["details"]["interval"] == [None, None]
        assert body["verdict"] == "inconclusive"
        assert body["reason"].startswith("the interval is too wide: canary shifted ")


class TestAB:
    """A/B: the better variant wins, an equal pair has no winner yet."""

    @pytest.mark.parametrize("check", ["conversion-ab", "latency-ab"])
    @pytest.mark.parametrize(
        ("canary", "verdict", "winner"),
        [("kpibetter", "pass", "green"), ("kpiworse", "fail", "blue"), ("kpiequal", "inconclusive", None)],
    )
    async def test_winner(self, client, prometheus, check, canary, verdict, winner):
        body = await run(client, prometheus, check, canary)
        assert body["verdict"] == verdict, body["reason"]
        assert body["details"]["winner"] == winner
        assert body["reason"].startswith(f"{winner} wins" if winner else "no winner yet")


WARNING = "partial response: store 2 down"
INFO = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'


class AnnotatedPrometheus(PrometheusSource):
    """The real Prometheus, its every answer carrying a warning and an info, as a Thanos querier's may."""

    async def query(self, promql, at, timeout_s, **kwargs):
        answer = await super().query(promql, at, timeout_s, **kwargs)
        return QueryResult(answer.query, answer.result_type, answer.series, [WARNING], [INFO])

    async def query_range(self, promql, start, end, step_s, timeout_s, **kwargs):
        answer = await super().query_range(promql, start, end, step_s, timeout_s, **kwargs)
        return QueryResult(answer.query, answer.result_type, answer.series, [WARNING], [INFO])


class TestPrometheusAnnotations:
    """The warnings and infos Prometheus attached to the answers are in the details, once each, for every method."""

    @pytest.mark.parametrize("check", ["conversion", "p95", "latency"])
    async def test_warnings_and_infos_reach_the_details(self, prometheus, check):
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": CHECKS})],
            Registry.default(),
        )
        sources = Sources(catalog.sources, make_prometheus=AnnotatedPrometheus)
        try:
            kpi = catalog.get(check)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            evaluation = await Runner(catalog, sources, None, 8.0).evaluate(
                kpi, kpi.bind_args({"canary_hash": "kpiequal"}), at
            )
        finally:
            await sources.aclose()
        assert evaluation.error is None, evaluation.reason
        assert evaluation.details["prometheus_warnings"] == [WARNING]
        assert evaluation.details["prometheus_infos"] == [INFO]


def _p99(param: str) -> str:
    return f'histogram_quantile(0.99, sum by (le) (rate(eb_mixed_seconds_bucket{{service="{{{{ {param} }}}}"}}[5m])))'


SERVICES = {"canary_hash": {"type": "label_value", "required": True}, "stable_hash": {"type": "label_value"}}
WITHOUT_A_VALUE: list[dict[str, Any]] = [
    {
        "name": "conversion-ratio",
        "kind": "kpi_compare",
        "params": PARAMS,
        "direction": "higher_is_better",
        "max_relative_change": 0.1,
        "canary": (
            f"sum(increase(kpi_orders_total{{{_selector('canary_hash')}}}[{{{{ lookback }}}}])) / "
            f"sum(increase(kpi_visits_total{{{_selector('canary_hash')}}}[{{{{ lookback }}}}]))"
        ),
        "baseline": (
            f"sum(increase(kpi_orders_total{{{_selector('stable_hash')}}}[{{{{ lookback }}}}])) / "
            f"sum(increase(kpi_visits_total{{{_selector('stable_hash')}}}[{{{{ lookback }}}}]))"
        ),
    },
    {
        "name": "p99-ratio",
        "kind": "kpi_compare",
        "params": {**SERVICES, "stable_hash": {"type": "label_value", "default": "eb-other"}},
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "canary": _p99("canary_hash"),
        "baseline": _p99("stable_hash"),
    },
    {
        "name": "p99-series",
        "kind": "kpi_compare",
        "params": {**SERVICES, "stable_hash": {"type": "label_value", "default": "eb-other"}},
        "method": "mann_whitney",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "lookback": "30m",
        "step": "1m",
        "canary": _p99("canary_hash"),
        "baseline": _p99("stable_hash"),
    },
]


@pytest.fixture
async def without_a_value(prometheus, aiohttp_client):
    catalog = build_catalog(
        [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": WITHOUT_A_VALUE})],
        Registry.default(),
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


class TestVariantWithoutAValue:
    """A variant whose KPI reads NaN, a ratio over a lookback without events (0/0) or a quantile of a histogram
    whose buckets cannot give one (+Inf alone, no +Inf), is never a pass: inconclusive, saying so."""

    @pytest.mark.parametrize(
        ("canary", "stable", "side"), [("kpihung", "kpistable", "canary"), ("kpiequal", "kpihung", "baseline")]
    )
    async def test_no_events_over_the_lookback(self, without_a_value, prometheus, canary, stable, side):
        # kpihung's visits and orders stopped 15 minutes before the anchor: 0/0 over the 10m lookback.
        body = await run(without_a_value, prometheus, "conversion-ratio", canary, stable_hash=stable)
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith(f"the {side} query returned NaN, which cannot be compared (0/0: no events")
        assert body["details"][side]["value"] == "NaN" and body["value"] is None

    @pytest.mark.parametrize("canary", ["eb-api", "eb-capped", "eb-idle"])
    async def test_a_histogram_that_gives_no_quantile(self, without_a_value, prometheus, canary):
        # eb-api has +Inf alone, eb-capped no +Inf (every quantile NaN whatever the latency), eb-idle no traffic.
        body = await run(without_a_value, prometheus, "p99-ratio", canary)
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "a histogram whose buckets cannot give the quantile?" in body["reason"]
        body = await run(without_a_value, prometheus, "p99-series", canary)
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "the canary has 0 samples over 30m, fewer than min_samples 20" in body["reason"]

    async def test_a_baseline_without_traffic_beside_a_canary_with_a_value(self, without_a_value, prometheus):
        body = await run(without_a_value, prometheus, "p99-ratio", "eb-other", stable_hash="eb-idle")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["details"]["canary"]["value"] == 0.5
        assert body["reason"].startswith("the baseline query returned NaN, which cannot be compared"), body["reason"]


def _ratio_by_hash(side: str) -> str:
    """The 5xx ratio of each of two hashes (tests/integration/data_core.py: healthy1 0.001, broken1 0.1, idle1 0/0,
    NaN); a regex-matcher arg is matched literally, so the two are args of their own."""
    selector = f'service="checkout",rollouts_pod_template_hash=~"{{{{ {side}_hash }}}}|{{{{ {side}_also }}}}"'
    by_hash = "sum by (rollouts_pod_template_hash) (rate(http_requests_total{{{}}}[5m]))"
    errors = by_hash.format(selector + ',code=~"5.."')
    return f"{errors} / {by_hash.format(selector)}"


HASHES = {
    f"{side}_{role}": {"type": "label_value", "required": True}
    for side in ("canary", "stable")
    for role in ("hash", "also")
}
HIDING: list[dict[str, Any]] = [
    {
        "name": f"worst-pod-{method}",
        "kind": "kpi_compare",
        "params": HASHES,
        "method": method,
        "direction": "lower_is_better",
        "max_absolute_change": 0.01,
        "canary": f"max({_ratio_by_hash('canary')})",
        "baseline": f"max({_ratio_by_hash('stable')})",
        **extra,
    }
    for method, extra in (("ratio", {}), ("mann_whitney", {"lookback": "10m", "step": "1m", "min_samples": 5}))
]


# A blackbox probe's target as a label value: user info and secret-named parameters to hide.
PROBED = "https://probe:pr0be-pw@partner.example/health?api_key=k3y-s3cr3t&region=eu"
PROBED_SHOWN = "https://<redacted>@partner.example/health?api_key=<redacted>&region=eu"


def _probed(side: str) -> str:
    """`_ratio_by_hash(side)` with each element labelled instance=PROBED."""
    return f'label_replace({_ratio_by_hash(side)}, "instance", "{PROBED}", "", "")'


@pytest.mark.integration
class TestSecretsInLabels:
    """A series left out by a variant's aggregation shows a URL label value without its credentials."""

    async def test_a_hidden_series_shows_no_credential(self, prometheus, aiohttp_client):
        check = {**HIDING[0], "name": "probed", "canary": f"max({_probed('canary')})"}
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [check]})],
            Registry.default(),
        )
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        args = {"canary_also": "idle1", "stable_hash": "broken1", "stable_also": "broken1"}
        body = await run(client, prometheus, "probed", "healthy1", **args)
        assert body["verdict"] == "inconclusive", body["reason"]
        probes = {probe["variant"]: probe for probe in body["details"]["hidden_queries"]}
        assert [entry["labels"]["instance"] for entry in probes["canary"]["series"]] == [PROBED_SHOWN]
        assert PROBED_SHOWN in body["reason"]
        # The queries as the catalog wrote them hold the URL (to make the label); what the data holds must not show.
        for probe in probes.values():
            probe.pop("query")
        for side in ("canary", "baseline"):
            body["details"].get(side, {}).pop("query", None)
        body["details"].pop("queries", None)
        assert "s3cr3t" not in json.dumps(body["details"]["hidden_queries"]) and "pr0be-pw" not in body["reason"]


@pytest.fixture
async def hiding(prometheus, aiohttp_client):
    catalog = build_catalog(
        [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": HIDING})],
        Registry.default(),
    )
    return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))


async def compare(client, prometheus, method: str, canary: tuple[str, str], stable: tuple[str, str]) -> dict[str, Any]:
    args = {"canary_also": canary[1], "stable_hash": stable[0], "stable_also": stable[1]}
    return await run(client, prometheus, f"worst-pod-{method}", canary[0], **args)


@pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
class TestAggregationThatHidesNaN:
    """A variant's KPI taken by max (min, topk, bottomk, quantile) over groups leaves a group at 0/0 (no traffic: a
    pod whose workers hung) out of its answer: the groups with values must not pass the comparison for it."""

    @pytest.mark.parametrize(
        ("canary", "stable", "side"),
        [
            (("healthy1", "idle1"), ("broken1", "broken1"), "canary"),
            (("healthy1", "healthy1"), ("broken1", "idle1"), "baseline"),
        ],
    )
    async def test_a_hidden_nan_group_is_no_pass(self, hiding, prometheus, method, canary, stable, side):
        body = await compare(hiding, prometheus, method, canary, stable)
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith(
            f'the {side} query\'s max() leaves out {{rollouts_pod_template_hash="idle1"}} at NaN, which cannot be'
        ), body["reason"]
        probes = {probe["variant"]: probe["series"] for probe in body["details"]["hidden_queries"]}
        assert probes[side] == [{"labels": {"rollouts_pod_template_hash": "idle1"}, "value": "NaN"}]
        # Each probe is shown as sent: the operand's elements without a finite value.
        sent = {probe["variant"]: probe["query"] for probe in body["details"]["hidden_queries"]}
        assert sent[side].startswith("topk(") and "unless" in sent[side] and "http_requests_total" in sent[side]

    async def test_groups_that_all_have_values_are_judged(self, hiding, prometheus, method):
        body = await compare(hiding, prometheus, method, ("healthy1", "healthy1"), ("broken1", "broken1"))
        assert body["verdict"] == "pass", body["reason"]
        assert [probe["series"] for probe in body["details"]["hidden_queries"]] == [[], []]

    async def test_a_worse_canary_still_fails(self, hiding, prometheus, method):
        body = await compare(hiding, prometheus, method, ("broken1", "idle1"), ("healthy1", "healthy1"))
        assert body["verdict"] == "fail", body["reason"]


@pytest.mark.integration
class TestHiddenNaNAtTheLookbacksStart:
    """A Mann-Whitney variant read `@ start()` is probed at the lookback's start, where it read its elements."""

    async def test_a_pod_without_a_value_there_is_no_pass(self, prometheus, aiohttp_client):
        # hidden_shift{pod="a"} is NaN until 5 minutes before the lookback's end (tests/integration/data_hidden.py):
        # max leaves it out at the start; at the end, where the probe read it before, it has a value. Before: pass.
        check = {
            "name": "shift",
            "kind": "kpi_compare",
            "method": "mann_whitney",
            "lookback": "10m",
            "step": "1m",
            "min_samples": 5,
            "direction": "lower_is_better",
            "max_absolute_change": 0.01,
            "canary": "max(hidden_shift @ start())",
            "baseline": 'max(hidden_shift{pod="b"})',
        }
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [check]})],
            Registry.default(),
        )
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        body = await run(client, prometheus, "shift")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith('the canary query\'s max() leaves out hidden_shift{pod="a"} at NaN'), body[
            "reason"
        ]


# Failed payments per visit, whole answer falling back to 0 (PromQL's `or` binds last): 0 for a variant without a
# series as for one without errors.
FAILED_PER_VISIT = (
    "sum(rate(kpi_failed_payments_total{{{0}}}[5m])) / sum(rate(kpi_visits_total{{{0}}}[5m])) or vector(0)"
)
STABLE_PARAMS = {**PARAMS, "stable_hash": {"type": "label_value", "required": True}}


def fallback_check(name: str, method: str, canary_selector: str | None = None) -> dict[str, Any]:
    check: dict[str, Any] = {
        "name": name,
        "kind": "kpi_compare",
        "params": STABLE_PARAMS,
        "method": method,
        "direction": "lower_is_better",
        "max_absolute_change": 0.001,
        "canary": FAILED_PER_VISIT.format(canary_selector or _selector("canary_hash")),
        "baseline": FAILED_PER_VISIT.format(_selector("stable_hash")),
    }
    if method == "mann_whitney":
        check.update(lookback="30m", step="1m")
    return check


class TestVariantReadingNothingBesideAFallback:
    """A variant whose KPI falls back to a constant because none of its series exists measured nothing: no verdict,
    where the constant compared with the other variant passed (or failed) a variant never measured."""

    @pytest.fixture
    async def fallbacks(self, prometheus, aiohttp_client):
        checks = [
            fallback_check("failed-ratio", "ratio"),
            fallback_check("failed-shift", "mann_whitney"),
            # The canary's pods carry the hash as `pod_template_hash`: its selector matches nothing.
            fallback_check("failed-other-label", "ratio", 'service="shop",pod_template_hash="{{ canary_hash }}"'),
            # A value with an escaped quote, which every series matches.
            fallback_check("failed-escaped", "ratio", _selector("canary_hash") + ',path!="a\\"b"'),
            # Go's \Q...\E, which promql-parser's regex engine refuses.
            fallback_check(
                "failed-go-regex", "ratio", 'service=~"\\\\Qshop\\\\E",rollouts_pod_template_hash="{{ canary_hash }}"'
            ),
        ]
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": checks})],
            Registry.default(),
        )
        return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))

    @pytest.mark.parametrize("check", ["failed-ratio", "failed-shift"])
    async def test_a_canary_hash_that_matches_no_pod_is_no_pass(self, fallbacks, prometheus, check):
        # kpiworse fails 2.5% of its payments; before, the canary's fallback 0 beat it: pass.
        body = await run(fallbacks, prometheus, check, "kpinone", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the canary query read no series beside its fallback: its value 0 is the"), (
            body["reason"]
        )
        canary, baseline = body["details"]["fallback_queries"]
        assert (canary["variant"], canary["found"], baseline["found"]) == ("canary", False, True)

    async def test_a_label_the_canarys_series_do_not_have_is_no_pass(self, fallbacks, prometheus):
        # No series of either metric has pod_template_hash: a misspelled label name (inconclusive before).
        body = await run(fallbacks, prometheus, "failed-other-label", "kpiequal", status=500, stable_hash="kpiworse")
        assert (body["verdict"], body["error"]) == ("error", "check_misconfigured"), body["reason"]
        assert body["details"]["missing_labels"] == [
            "kpi_failed_payments_total: pod_template_hash",
            "kpi_visits_total: pod_template_hash",
        ]

    async def test_a_selector_with_an_escaped_value_is_probed(self, fallbacks, prometheus):
        # promql-parser prints a"b unescaped. Before: the selectors beside the fallback were not read, no probe was
        # sent, and kpinone's fallback 0 beat kpiworse's 2.5%: pass.
        body = await run(fallbacks, prometheus, "failed-escaped", "kpinone", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the canary query read no series beside its fallback"), body["reason"]
        assert (await run(fallbacks, prometheus, "failed-escaped", "kpiequal", stable_hash="kpiworse"))["verdict"] == (
            "pass"
        )

    async def test_a_regex_promql_parsers_engine_refuses_is_no_pass(self, fallbacks, prometheus):
        # Prometheus reads the regex; the fallback probe was not sent (no constant computed), and 0 beat kpiworse.
        body = await run(fallbacks, prometheus, "failed-go-regex", "kpinone", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the canary query read no series beside its fallback"), body["reason"]
        body = await run(fallbacks, prometheus, "failed-go-regex", "kpiequal", stable_hash="kpiworse")
        assert body["verdict"] == "pass", body["reason"]

    async def test_a_baseline_that_matches_no_pod_is_no_fail(self, fallbacks, prometheus):
        body = await run(fallbacks, prometheus, "failed-ratio", "kpiworse", stable_hash="kpinone")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the baseline query read no series beside its fallback")

    @pytest.mark.parametrize(
        ("check", "canary", "stable", "verdict"),
        [
            ("failed-ratio", "kpiequal", "kpiworse", "pass"),
            ("failed-ratio", "kpiworse", "kpiequal", "fail"),
            ("failed-shift", "kpiequal", "kpiworse", "pass"),
            ("failed-shift", "kpiworse", "kpiequal", "fail"),
        ],
    )
    async def test_variants_with_series_are_judged(self, fallbacks, prometheus, check, canary, stable, verdict):
        # kpiequal has its failed-payments counter, at 0: a measured 0, not the fallback's.
        body = await run(fallbacks, prometheus, check, canary, stable_hash=stable)
        assert body["verdict"] == verdict, body["reason"]


class TestVariantReadingNothingBesideAFallbackLately:
    """mann_whitney: the steps of a range at which a variant read no series beside its fallback are the fallback's
    constant, not samples: a variant that stopped reporting within the lookback is no evidence of now."""

    @pytest.fixture
    async def fallbacks(self, prometheus, aiohttp_client):
        catalog = build_catalog(
            [
                (
                    "test",
                    {
                        "sources": {"default": {"type": "prometheus", "url": prometheus.url}},
                        "checks": [fallback_check("failed-shift", "mann_whitney")],
                    },
                )
            ],
            Registry.default(),
        )
        return await aiohttp_client(create_app(Settings(), catalog, Registry.default()))

    async def test_a_canary_that_died_is_no_pass(self, fallbacks, prometheus):
        # kpidead's pods died 20 minutes before the anchor: its last 20 minutes are the fallback's 0, which beat
        # kpiworse's 2.5% (a pass) before.
        body = await run(fallbacks, prometheus, "failed-shift", "kpidead", stable_hash="kpiworse")
        assert body["verdict"] == "inconclusive", body["reason"]
        assert "the canary's series has no value (no sample, or NaN) in the last" in body["reason"]

    async def test_a_canary_reporting_to_the_end_is_judged(self, fallbacks, prometheus):
        body = await run(fallbacks, prometheus, "failed-shift", "kpiequal", stable_hash="kpiworse")
        assert body["verdict"] == "pass", body["reason"]
        assert body["details"]["canary"]["samples"] == 31

    async def test_a_canary_silent_for_longer_than_its_range_is_no_pass(self, prometheus, aiohttp_client):
        # Over [1m], three minutes after kpidead's pods died: its query answers the fallback's 0, and its last samples,
        # within Prometheus' 5-minute look-back though not within the query's minute, made it a pass before.
        check = fallback_check("failed-ratio-1m", "ratio")
        check.update(canary=check["canary"].replace("[5m]", "[1m]"), baseline=check["baseline"].replace("[5m]", "[1m]"))
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [check]})],
            Registry.default(),
        )
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        at = prometheus.anchor - data_kpi.DEAD_S + 180
        params = {"at": str(int(at)), "explain": "true", "canary_hash": "kpidead", "stable_hash": "kpiworse"}
        body = await (await client.get("/api/v1/checks/failed-ratio-1m/run", params=params)).json()
        assert body["verdict"] == "inconclusive", body["reason"]
        assert body["reason"].startswith("the canary query read no series beside its fallback")


def _quantile_of(service: str, argument: str) -> str:
    return f'histogram_quantile({argument}, sum by (le) (rate(eb_latency_seconds_bucket{{service="{service}"}}[5m])))'


class TestQuantileArgs:
    """An arg given to a param placed as a quantile (`histogram_quantile({{ q }}, ...)`) outside 0 to 1 is the caller's
    400, as in a `prometheus` check: Prometheus answers +Inf for both variants, whatever was measured."""

    @pytest.mark.parametrize("argument", ["{{ q }}", "({{ q }})"])
    async def test_a_quantile_outside_0_to_1_is_refused(self, prometheus, aiohttp_client, argument):
        check = {
            "name": "p-ratio",
            "kind": "kpi_compare",
            "params": {"q": {"type": "number", "default": 0.99}},
            "direction": "lower_is_better",
            "max_relative_change": 100,
            "canary": _quantile_of("eb-api", argument),
            "baseline": _quantile_of("eb-trickle", argument),
        }
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [check]})],
            Registry.default(),
        )
        client = await aiohttp_client(create_app(Settings(), catalog, Registry.default()))
        body = await run(client, prometheus, "p-ratio", q=0.99)
        assert body["verdict"] == "pass", body["reason"]
        # Before: 200 inconclusive, both variants at +Inf.
        body = await run(client, prometheus, "p-ratio", status=400, q=99)
        assert (body["error"], body["arg"]) == ("bad_arg", "q"), body
        assert body["message"].startswith(
            f"arg 'q' is the quantile of histogram_quantile({argument}, ...), a fraction from 0 to 1 (0.99 for p99), "
            "got 99: Prometheus answers +Inf for it whatever was measured. In percent? 99 is 0.99"
        ), body["message"]

"""The error_budget kind against a real Prometheus (data: data_error_budget.py), burn rates worked by hand.

Prometheus 2's range selectors are closed ([A - w, A]) and the counters are sampled every minute on the
minute, so rate() over a window is (value at A - value at A - w) / w exactly, and an error ratio is the
event-weighted average of the per-minute error shares in that window.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from datetime import UTC, datetime

import pytest
from aiohttp import web

from analyzer.catalog import build_catalog
from analyzer.kinds import SourceRejected, SourceTimeout, format_number, parse_duration
from analyzer.metrics import Metrics
from analyzer.models import Outcome
from analyzer.promql_batch import QueryBatch
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.settings import Settings
from analyzer.sources import PrometheusSource, QueryResult, Series, Sources
from analyzer.templates import escape_promql_string
from analyzer.testing import PrometheusProcess
from analyzer.web import create_app
from checks.error_budget import ErrorBudgetCheck
from checks.error_budget.readers import blind_query
from checks.prometheus import PrometheusCheck
from tests.integration import data_error_budget_sloth_by
from tests.integration.data_error_budget_batch import PYRRA_API as PYRRA_BATCH
from tests.integration.data_error_budget_batch import PYRRA_AVAILABILITY, WEIRD_NOTE
from tests.integration.data_error_budget_rules import PYRRA_WINDOWS

pytestmark = pytest.mark.integration

CANARY = {"canary_hash": {"type": "label_value", "required": True}}
SHOP_RATIO = {
    "errors": 'sum(rate(eb_requests_total{service="eb-shop", rollouts_pod_template_hash="{{ canary_hash }}", '
    'code=~"5.."}[{{ window }}]))',
    "total": 'sum(rate(eb_requests_total{service="eb-shop", rollouts_pod_template_hash="{{ canary_hash }}"}'
    "[{{ window }}]))",
}


WEIRD_MATCHER = f'note="{escape_promql_string(WEIRD_NOTE, chr(34))}"'


def service_ratio(service):
    return {
        "errors": f'sum(rate(eb_requests_total{{service="{service}", code=~"5.."}}[{{{{ window }}}}]))',
        "total": f'sum(rate(eb_requests_total{{service="{service}"}}[{{{{ window }}}}]))',
    }


RULE_JOBS = ("clean", "idle", "burn", "tiny", "past", "stopped")


def pyrra_check(job, name=None, *, slo=None, metric="ebr_http_requests", total="", errors="", **fields):
    """A check on the Pyrra rules of data_error_budget_rules.py for `job`, its total counting traffic and its
    errors telling zero errors from a stopped burnrate group."""
    pyrra = {"slo": slo or f"ebr-{job}", "metric": metric, "selectors": f'job="ebr-{job}"'}
    if total is not None:
        pyrra["total"] = total or f'ebr_http_requests_total{{job="ebr-{job}"}}'
        if errors is not None:
            pyrra["errors"] = errors or f'ebr_http_requests_total{{job="ebr-{job}",code=~"5.."}}'
    return {
        "name": name or f"ebr-pyrra-{job}",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": pyrra,
        **fields,
    }


def pyrra_latency_check(job, name=None, metric="ebr_http_request_duration_seconds", indicator="latency", **fields):
    """A check on the Pyrra latency SLO ebr-<job> of data_error_budget_rules.py, as `analyzer import` writes it: its
    total the histogram's _count, no errors (the total minus a bucket is no selector), `indicator: latency` (None:
    left out, so the SLO's increase rule tells)."""
    pyrra = {
        "slo": f"ebr-{job}",
        "metric": metric,
        "selectors": f'job="ebr-{job}"',
        "total": f'{metric}_count{{job="ebr-{job}"}}',
    }
    if indicator is not None:
        pyrra["indicator"] = indicator
    return {
        "name": name or f"ebr-pyrra-{job}",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": pyrra,
        **fields,
    }


def sloth_check(job, name=None, *, sloth_id=None, total_query="", errors_query="", **fields):
    """A check on the Sloth rules of data_error_budget_rules.py for `job`, its total counting traffic and its
    errors telling zero errors from a stopped sli-recordings group."""
    sloth = {"sloth_id": sloth_id or f"ebr-sloth-{job}"}
    if total_query is not None:
        sloth["total_query"] = total_query or f'sum(rate(ebr_http_requests_total{{job="ebr-{job}"}}[{{{{ window }}}}]))'
        if errors_query is not None:
            sloth["errors_query"] = errors_query or (
                'sum(rate(ebr_http_requests_total{job="ebr-' + job + '",code=~"(5..|429)"}[{{ window }}]))'
            )
    return {
        "name": name or f"ebr-sloth-{job}",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "sloth": sloth,
        **fields,
    }


def unmatched_errors(job):
    """sloth.errors_query grouped by code without `or vector(0)`, as the SLOs over jobs slnv and slnp write it."""
    return data_error_budget_sloth_by.error_query(job, "code", fallback=False).replace("{window}", "{{ window }}")


ONE_HOUR_PAGE = {"long": "1h", "short": "5m", "factor": 14.4, "severity": "page"}


def raw_check(job):
    """The same SLO as the Sloth check, on the raw counters."""
    return {
        "name": f"ebr-raw-{job}",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": f'sum(rate(ebr_http_requests_total{{job="ebr-{job}", code=~"5.."}}[{{{{ window }}}}]))',
            "total": f'sum(rate(ebr_http_requests_total{{job="ebr-{job}"}}[{{{{ window }}}}]))',
        },
    }


CHECKS = [
    {
        "name": "eb-shop-burn",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
    },
    {
        "name": "eb-shop-shared-windows",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "tiers": [{"long": "1h", "short": "5m", "factor": 14.4}, {"long": "6h", "short": "1h", "factor": 6}],
    },
    {
        "name": "eb-shop-burn-accepting",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "accept_unjudged_tiers": True,
    },
    {
        "name": "eb-shop-burn-half-hour",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": SHOP_RATIO,
        "tiers": [{"long": "6h", "short": "30m", "factor": 6}],
    },
    {
        "name": "eb-billing-budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "tiers": [],
        "min_budget_remaining": 0,
        "ratio": service_ratio("eb-billing"),
    },
    {
        "name": "eb-billing-gated",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "min_budget_remaining": 0,
        "ratio": service_ratio("eb-billing"),
    },
    {
        "name": "eb-shop-by-code",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {
            "errors": SHOP_RATIO["errors"],
            "total": 'sum by (code) (rate(eb_requests_total{service="eb-shop", '
            'rollouts_pod_template_hash="{{ canary_hash }}"}[{{ window }}]))',
        },
    },
    {
        "name": "eb-billing-burn",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "ratio": service_ratio("eb-billing"),
    },
    {
        "name": "eb-search-budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "tiers": [],
        "min_budget_remaining": 0.5,
        "ratio": service_ratio("eb-search"),
    },
    {
        # Each template ends in a comment, as a one-line PromQL query may: the batch must not lose what follows.
        "name": "eb-search-commented",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "7d",
        "min_budget_remaining": 0.5,
        "ratio": {part: f"{query} # {part} of eb-search" for part, query in service_ratio("eb-search").items()},
    },
    {
        "name": "eb-api-latency",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_seconds", "threshold_s": 0.5, "selectors": 'service="eb-api"'},
    },
    {
        "name": "eb-api-latency-1s",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_seconds", "threshold_s": 1, "selectors": 'service="eb-api"'},
    },
    {
        "name": "eb-api-latency-no-bucket",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_seconds", "threshold_s": 0.3, "selectors": 'service="eb-api"'},
    },
    {
        "name": "eb-unbucketed-latency",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_unbucketed_seconds", "threshold_s": 0.5, "selectors": 'service="eb-api"'},
    },
    {
        "name": "eb-capped-latency",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_mixed_seconds", "threshold_s": 0.5, "selectors": 'service="eb-capped"'},
    },
    {
        "name": "eb-trickle-latency-no-bucket",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_seconds", "threshold_s": 0.3, "selectors": 'service="eb-trickle"'},
    },
    {
        "name": "eb-pyrra-api",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "eb-pyrra-api", "metric": "eb_http_requests"},
    },
    {
        "name": "eb-pyrra-api-any-metric",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "eb-pyrra-api", "selectors": 'job="eb-pyrra"'},
    },
    {
        "name": "eb-pyrra-quiet",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "eb-pyrra-quiet", "metric": "eb_http_requests"},
    },
    {
        "name": "eb-pyrra-quiet-accepted",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "eb-pyrra-quiet", "metric": "eb_http_requests"},
        "accept_unjudged_tiers": True,
    },
    {
        "name": "eb-sloth-burn",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "sloth": {"sloth_id": "eb-sloth-availability"},
    },
    {
        "name": "eb-sloth-budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "min_budget_remaining": 0.25,
        "sloth": {"service": "eb-sloth", "slo": "availability", "selectors": 'owner="eb-team"'},
    },
    {
        "name": "ebb-pyrra-api",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "min_budget_remaining": 0,
        "pyrra": {"slo": "ebb-api", "metric": "ebb_api"},
    },
    {
        "name": "ebb-pyrra-api-evidence",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "ebb-api", "metric": "ebb_api"},
    },
    {
        "name": "ebb-sloth-weird",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "min_budget_remaining": 0,
        "sloth": {"sloth_id": "ebb-weird", "selectors": WEIRD_MATCHER},
    },
    {
        "name": "ebb-sloth-split",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "sloth": {"sloth_id": "ebb-split"},
    },
    *(pyrra_check(job) for job in RULE_JOBS),
    *(sloth_check(job) for job in RULE_JOBS),
    *(raw_check(job) for job in RULE_JOBS),
    pyrra_check("clean", name="ebr-pyrra-clean-no-total", total=None),
    sloth_check("clean", name="ebr-sloth-clean-no-total", total_query=None),
    pyrra_check("stopped", name="ebr-pyrra-stopped-no-errors", errors=None),
    sloth_check("stopped", name="ebr-sloth-stopped-no-errors", errors_query=None),
    sloth_check("stopped", name="ebr-sloth-stopped-gate", min_budget_remaining=0),
    pyrra_check("stopped", name="ebr-pyrra-stopped-no-data-pass", no_data="pass"),
    *(pyrra_latency_check(job) for job in ("lat-fast", "lat-slow", "lat-stopped")),
    pyrra_latency_check("lat-stopped", name="ebr-pyrra-lat-stopped-no-data-fail", no_data="fail"),
    pyrra_latency_check("cnt-clean", metric="ebr_rpc_duration_seconds", indicator=None),
    pyrra_latency_check("cnt-clean", "ebr-pyrra-cnt-clean-ratio", metric="ebr_rpc_duration_seconds", indicator="ratio"),
    pyrra_latency_check("lat-stopped", "ebr-pyrra-lat-stopped-undeclared", indicator=None),
    pyrra_latency_check("lat-prom3", "ebr-pyrra-lat-prom3-undeclared", indicator=None),
    pyrra_latency_check("lat-prom3", "ebr-pyrra-lat-prom3-as-ratio", indicator="ratio"),
    pyrra_latency_check("lat-stopped", "ebr-pyrra-lat-stopped-as-ratio", indicator="ratio"),
    pyrra_latency_check("lat-perf-stopped", "ebr-pyrra-lat-perf-stopped-as-ratio", indicator="ratio"),
    pyrra_latency_check("lat-perf-stopped", "ebr-pyrra-lat-perf-stopped-undeclared", indicator=None),
    pyrra_latency_check(
        "lat-split", "ebr-pyrra-lat-split-undeclared", metric="ebr_rpc_summary_seconds", indicator=None
    ),
    # A counter's _total as a latency SLO's total (Pyrra warns, and generates its rules), with and without indicator.
    *(
        {
            **pyrra_latency_check("lat-counter", name, metric="ebr_rpc_requests", indicator=indicator),
            "pyrra": {
                **pyrra_latency_check("lat-counter", metric="ebr_rpc_requests", indicator=indicator)["pyrra"],
                "total": 'ebr_rpc_requests_total{job="ebr-lat-counter"}',
            },
        }
        for name, indicator in (
            ("ebr-pyrra-lat-counter-undeclared", None),
            ("ebr-pyrra-lat-counter-as-ratio", "ratio"),
            ("ebr-pyrra-lat-counter", "latency"),
        )
    ),
    # pyrra.total written as the +Inf bucket where the SLO's spec writes the _count, with and without `indicator`: the
    # rules read are the _count SLO's (no le on its total's increase rule; for the rules Pyrra writes for a +Inf bucket
    # total, see the ebr-pyrra-*-inf-rules checks).
    *(
        {
            **pyrra_latency_check("lat-stopped", name, indicator=indicator),
            "pyrra": {
                **pyrra_latency_check("lat-stopped", indicator=indicator)["pyrra"],
                "total": 'ebr_http_request_duration_seconds_bucket{job="ebr-lat-stopped", le="+Inf"}',
            },
        }
        for name, indicator in (
            ("ebr-pyrra-lat-stopped-inf", "latency"),
            ("ebr-pyrra-lat-stopped-inf-undeclared", None),
        )
    ),
    {
        **pyrra_latency_check("lat-prom3", "ebr-pyrra-lat-prom3-inf-undeclared", indicator=None),
        "pyrra": {
            **pyrra_latency_check("lat-prom3", indicator=None)["pyrra"],
            "total": 'ebr_http_request_duration_seconds_bucket{job="ebr-lat-prom3", le="+Inf"}',
        },
    },
    # Pyrra's own rules of an SLO whose total is the +Inf bucket (as `analyzer import` writes its check): each carries
    # le="+Inf", the success increase rule's too.
    *(
        {
            **pyrra_latency_check(job, name, metric="ebr_http_request_duration_seconds_bucket", indicator=indicator),
            "pyrra": {
                "slo": f"ebr-{job}-inf",
                "metric": "ebr_http_request_duration_seconds_bucket",
                "selectors": f'job="ebr-{job}", le="+Inf"',
                "total": f'ebr_http_request_duration_seconds_bucket{{job="ebr-{job}", le="+Inf"}}',
                **({} if indicator is None else {"indicator": indicator}),
            },
        }
        for job, name, indicator in (
            ("lat-stopped", "ebr-pyrra-lat-stopped-inf-rules", "latency"),
            ("lat-stopped", "ebr-pyrra-lat-stopped-inf-rules-undeclared", None),
            ("lat-prom3", "ebr-pyrra-lat-prom3-inf-rules-undeclared", None),
        )
    ),
    sloth_check("stopped", name="ebr-sloth-stopped-no-data-pass", no_data="pass"),
    # The SLO's rules are for 30d (slo:time_period:days 30): Sloth records no ratio_rate4w.
    sloth_check("clean", name="ebr-sloth-clean-28d-gate", period="28d", min_budget_remaining=0),
    sloth_check("clean", name="ebr-sloth-clean-4w", period="4w"),
    # The Pyrra SLOs are for 28d (pyrra_window 2419200, ebr_http_requests:increase4w): Pyrra records burnrate1h, 6h,
    # 1d, 4d and their short windows, none of a 7d SLO's 15m/1m or 1h30m/8m, one of a 30d SLO's (5m).
    pyrra_check("burn", name="ebr-pyrra-burn-7d-accepted", errors=None, period="7d", accept_unjudged_tiers=True),
    pyrra_check("burn", name="ebr-pyrra-burn-30d", period="30d"),
    pyrra_check("past", name="ebr-pyrra-past-30d", period="30d"),
    *(
        {**check, "pyrra": {**check["pyrra"], "availability_selectors": 'no_generic_rules="1"'}}
        for check in (
            pyrra_check("burn", name="ebr-pyrra-burn-7d-no-generic", errors=None, period="7d"),
            pyrra_check("burn", name="ebr-pyrra-burn-30d-any-metric", metric=None, period="30d"),
            pyrra_check("burn", name="ebr-pyrra-burn-no-generic"),
            # No error series: no burnrate window at all, as with a misspelled pyrra.slo.
            pyrra_check("clean", name="ebr-pyrra-clean-7d-no-generic", errors=None, period="7d"),
        )
    ),
    # Pyrra's increase rule over the SLO window read as absent (selected away: its series carry `code`, the burnrate
    # series do not) while pyrra_window records the check's period: an increase rule group not loaded here.
    {
        **pyrra_check("burn", name="ebr-pyrra-burn-increase-absent"),
        "pyrra": {**pyrra_check("burn")["pyrra"], "selectors": 'job="ebr-burn", code=""'},
    },
    # The SLOs are 99.9% (slo:objective:ratio, pyrra_objective): at 99% ebr-burn's 5% burns 5x, below every page tier.
    sloth_check("burn", name="ebr-sloth-burn-99", objective=99),
    pyrra_check("burn", name="ebr-pyrra-burn-99", objective=99),
    pyrra_check("burn", name="ebr-pyrra-burn-99-noise", objective=99.90000000000001),
    pyrra_check("clean", name="ebr-pyrra-errors-typo", errors='ebr_http_request_total{job="ebr-clean"}'),
    sloth_check(
        "clean",
        name="ebr-sloth-errors-typo",
        errors_query='sum(rate(ebr_http_request_total{job="ebr-clean"}[{{ window }}]))',
    ),
    pyrra_check("tiny", name="ebr-pyrra-tiny-no-minimum", min_events_per_window=0),
    {
        **raw_check("tiny"),
        "name": "ebr-raw-tiny-increase",
        "ratio": {
            "errors": 'sum(increase(ebr_http_requests_total{job="ebr-tiny", code=~"5.."}[{{ window }}]))',
            "total": 'sum(increase(ebr_http_requests_total{job="ebr-tiny"}[{{ window }}]))',
        },
    },
    sloth_check(
        "tiny",
        name="ebr-sloth-tiny-increase",
        total_query='sum(increase(ebr_http_requests_total{job="ebr-tiny"}[{{ window }}]))',
        errors_query='sum(increase(ebr_http_requests_total{job="ebr-tiny",code=~"(5..|429)"}[{{ window }}]))',
    ),
    # Totals that count samples over the window (a probe's checks): 1 sample a minute, a handful per 5m.
    sloth_check(
        "clean",
        name="ebr-sloth-clean-samples",
        total_query='sum(count_over_time(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        errors_query=None,
    ),
    {
        **raw_check("clean"),
        "name": "ebr-raw-clean-samples",
        "ratio": {
            "errors": 'sum(count_over_time(ebr_http_requests_total{job="ebr-clean", code=~"5.."}[{{ window }}]))',
            "total": 'sum(count_over_time(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    pyrra_check("clean", name="ebr-pyrra-slo-typo", slo="ebr-claen"),
    pyrra_check("clean", name="ebr-pyrra-metric-typo", metric="ebr_http_request"),
    pyrra_check("clean", name="ebr-pyrra-total-typo", total='ebr_http_request_total{job="ebr-clean"}'),
    sloth_check("clean", name="ebr-sloth-id-typo", sloth_id="ebr-sloth-claen"),
    sloth_check(
        "clean",
        name="ebr-sloth-total-typo",
        total_query='sum(rate(ebr_http_request_total{job="ebr-clean"}[{{ window }}]))',
    ),
    {
        "name": "eb-shop-errors-typo",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {**SHOP_RATIO, "errors": SHOP_RATIO["errors"].replace("eb_requests_total", "eb_request_total")},
    },
    {
        # No name meets both matchers on the name: the errors selector matches no series, and reads vector(0).
        "name": "eb-shop-errors-contradicting-names",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {
            **SHOP_RATIO,
            "errors": "("
            + SHOP_RATIO["errors"].replace(
                "eb_requests_total{", '{__name__="eb_requests_total", __name__="eb_request_total", '
            )
            + " or vector(0))",
        },
    },
    {
        "name": "eb-shop-total-typo",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {**SHOP_RATIO, "total": SHOP_RATIO["total"].replace("eb_requests_total", "eb_request_total")},
    },
    {
        "name": "eb-shop-errors-label-typo",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {**SHOP_RATIO, "errors": SHOP_RATIO["errors"].replace("code=~", "cdoe=~")},
    },
    {
        "name": "eb-shop-errors-no-label",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "params": CANARY,
        "ratio": {**SHOP_RATIO, "errors": SHOP_RATIO["errors"].replace('code=~"5.."', 'cdoe=~"5..|"')},
    },
    pyrra_check(
        "stopped", name="ebr-pyrra-stopped-label-typo", errors='ebr_http_requests_total{job="ebr-stopped",cdoe=~"5.."}'
    ),
    sloth_check(
        "stopped",
        name="ebr-sloth-stopped-label-typo",
        errors_query='sum(rate(ebr_http_requests_total{job="ebr-stopped",cdoe=~"(5..|429)"}[{{ window }}]))',
    ),
    {
        "name": "ebr-optional-error-label",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "optional_metrics": ["ebr_http_requests_total"],
        "ratio": {
            "errors": 'sum(rate(ebr_http_requests_total{job="ebr-clean", error_reason=~".+"}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "ebr-unlisted-error-label",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": 'sum(rate(ebr_http_requests_total{job="ebr-clean", error_reason=~".+"}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "eb-api-latency-typo",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "latency": {"metric": "eb_latency_secs", "threshold_s": 0.5, "selectors": 'service="eb-api"'},
    },
    {
        "name": "ebr-optional-errors",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "optional_metrics": ["ebr_failures_total"],
        "ratio": {
            "errors": 'sum(rate(ebr_failures_total{job="ebr-clean"}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "ebr-unlisted-errors",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": 'sum(rate(ebr_failures_total{job="ebr-clean"}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "ebr-errors-typo-fallback",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": 'sum(rate(ebr_http_requests_totl{job="ebr-clean", code=~"5.."}[{{ window }}])) or vector(0)',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "ebr-errors-typo-regex",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": 'sum(rate({__name__=~"ebr_http_requests_totl", job="ebr-clean", code=~"5.."}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    {
        "name": "ebr-errors-regex-listed",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            "errors": 'sum(rate({__name__=~"^(ebr_http_requests_totl|ebr_http_requests_total)$", '
            'job="ebr-clean", code=~"5.."}[{{ window }}]))',
            "total": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{ window }}]))',
        },
    },
    # Pyrra SLOs with performanceOverAccuracy, their -long rule group (the increase rule over 28d) elsewhere.
    *(
        pyrra_check(job, name=f"ebr-pyrra-{slo}{suffix}", slo=f"ebr-{slo}", total=total)
        for job in ("clean", "burn")
        for slo in (f"perf-{job}", f"perf-nogeneric-{job}")
        for suffix, total in (("", ""), ("-no-total", None))
    ),
    pyrra_check("burn", name="ebr-pyrra-perf-burn-7d", slo="ebr-perf-burn", period="7d"),
    # --generic-rules' pyrra_errors:rate5m beside a burnrate group that is gone (ebr-perf-stopped, ebr-stopped), or
    # running (ebr-perf-clean); selected away by availability_selectors, as without --generic-rules.
    pyrra_check("stopped", name="ebr-pyrra-perf-stopped", slo="ebr-perf-stopped"),
    pyrra_check("stopped", name="ebr-pyrra-perf-stopped-no-errors", slo="ebr-perf-stopped", errors=None),
    pyrra_check(
        "stopped", name="ebr-pyrra-perf-stopped-no-errors-pass", slo="ebr-perf-stopped", errors=None, no_data="pass"
    ),
    pyrra_check("clean", name="ebr-pyrra-perf-clean-no-errors", slo="ebr-perf-clean", errors=None),
    pyrra_check("ended", name="ebr-pyrra-perf-ended-no-errors", slo="ebr-perf-ended", errors=None),
    # A same-name SLO with performanceOverAccuracy whose total adds handler="/x": job pgone's /y errors ended 10m ago.
    pyrra_check("pgone", name="ebr-pyrra-pgone-no-errors", slo="ebr-pgone", errors=None),
    # Its twin whose /x errors ended 90m ago: that SLO's burnrates over 2h and longer, its 5m increase rules, and a pass
    # on a tier those burnrates alone judge.
    pyrra_check(
        "pgburn",
        name="ebr-pyrra-pgburn-no-errors-accept",
        slo="ebr-pgburn",
        errors=None,
        fail_on=["page", "ticket"],
        accept_unjudged_tiers=True,
    ),
    # Its rules all carry the querier's cluster="eu1", as every raw series does; its errors ended 90m ago.
    pyrra_check(
        "pgext",
        name="ebr-pyrra-pgext-no-errors-accept",
        errors=None,
        fail_on=["page", "ticket"],
        accept_unjudged_tiers=True,
    ),
    # As pgext, but job pgdec's cluster="us1" series ended 6.5h ago: within the 1d and 4d windows, not the 6h one.
    pyrra_check(
        "pgdec",
        name="ebr-pyrra-pgdec-no-errors-accept",
        errors=None,
        fail_on=["page", "ticket"],
        accept_unjudged_tiers=True,
    ),
    # A first 404 since the SLO's increase group last evaluated (data_error_budget_newborn.py).
    pyrra_check("newborn", name="ebr-pyrra-newborn-no-errors", errors=None),
    # A 404 target scraped every 5 minutes, which its 5m increase rules never group (data_error_budget_sparse.py).
    pyrra_check("sparse", name="ebr-pyrra-sparse-no-errors", errors=None),
    # Its twin whose 5m-scraped target answers 500s since 40 minutes ago (data_error_budget_sparse_burn.py): page only.
    pyrra_check("spburn", name="ebr-pyrra-spburn-no-errors-page", errors=None, fail_on=["page"]),
    pyrra_check("spburn", name="ebr-pyrra-spburn-page", fail_on=["page"]),
    # Every burnrate recorded from densely scraped targets' errors, while a target scraped every 5 minutes answers 500s
    # since 40 minutes ago (ebr-spmix) or 404s (ebr-spok, healthy; data_error_budget_spmix.py): page only.
    pyrra_check("spmix", name="ebr-pyrra-spmix-no-errors-page", errors=None, fail_on=["page"]),
    pyrra_check("spmix", name="ebr-pyrra-spmix-page", fail_on=["page"]),
    pyrra_check("spok", name="ebr-pyrra-spok-no-errors-page", errors=None, fail_on=["page"]),
    pyrra_check("spok", name="ebr-pyrra-spok-page", fail_on=["page"]),
    pyrra_check("sparse", name="ebr-pyrra-sparse-page", fail_on=["page"]),
    # The same targets read by a raw ratio check, and by Sloth's rules (sloth.total_query tells the raw series).
    *(
        {
            "name": f"ebr-ratio-{job}-page",
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "fail_on": ["page"],
            "ratio": {
                "errors": f'sum(rate(ebr_http_requests_total{{job="ebr-{job}",code=~"5.."}}[{{{{ window }}}}]))',
                "total": f'sum(rate(ebr_http_requests_total{{job="ebr-{job}"}}[{{{{ window }}}}]))',
            },
        }
        for job in ("spmix", "spok")
    ),
    sloth_check("spmix", name="ebr-sloth-spmix-page", fail_on=["page"]),
    {
        "name": "ebr-latency-spmix-page",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "fail_on": ["page"],
        "latency": {"metric": "ebr_spmix_duration_seconds", "threshold_s": 0.5, "selectors": 'job="ebr-spmix"'},
    },
    sloth_check("spok", name="ebr-sloth-spok-page", fail_on=["page"]),
    # The same Sloth and Pyrra rules read without their raw total: no query can check their 5m windows.
    sloth_check("spmix", name="ebr-sloth-spmix-no-total-page", total_query=None, fail_on=["page"]),
    sloth_check("spok", name="ebr-sloth-spok-no-total-page", total_query=None, fail_on=["page"]),
    pyrra_check("spmix", name="ebr-pyrra-spmix-no-total-page", total=None, fail_on=["page"]),
    pyrra_check("spok", name="ebr-pyrra-spok-no-total-page", total=None, fail_on=["page"]),
    # ebr-spmix's Sloth rules again, evaluated by a ruler the rules API queried does not list.
    sloth_check(
        "spmix",
        name="ebr-sloth-spmix-elsewhere-no-total-page",
        sloth_id="ebr-sloth-spmix-elsewhere",
        total_query=None,
        fail_on=["page"],
    ),
    # Errors 20 to 15 minutes ago, every target dense: 1h burns 17x, 5m clean (data_error_budget_spent.py).
    sloth_check("spent", name="ebr-sloth-spent-no-total-page", total_query=None, fail_on=["page"]),
    pyrra_check("spent", name="ebr-pyrra-spent-no-total-page", total=None, fail_on=["page"]),
    # A healthy service one of whose pods was deleted 4m50s ago (data_error_budget_podgone.py): page only.
    pyrra_check("podgone", name="ebr-pyrra-podgone-page", fail_on=["page"]),
    # Burnrates of two same-name SLOs, each vouched for over its own window alone (data_error_budget_pgmix.py).
    pyrra_check("pgmix", name="ebr-pyrra-pgmix-page", fail_on=["page"]),
    # The same, the 2h burnrate carrying region="r" too (data_error_budget_pgpair.py): ticket only.
    pyrra_check("pgpair", name="ebr-pyrra-pgpair-ticket", fail_on=["ticket"], accept_unjudged_tiers=True),
    pyrra_check("burn", name="ebr-pyrra-generic-only", slo="ebr-generic-only-burn", errors=None),
    # Where no 5m window tells the burn: errors that ended 20 minutes ago, an SLO window of 7d (no 5m window) or of 2d
    # (its page tier 4m/1m both shorter than 5 minutes), with a policy that passes without judging.
    pyrra_check("ended", name="ebr-pyrra-perf-ended-no-errors-pass", slo="ebr-perf-ended", errors=None, no_data="pass"),
    pyrra_check(
        "stopped",
        name="ebr-pyrra-perf-stopped-7d-no-errors-pass",
        slo="ebr-perf-stopped-1w",
        errors=None,
        period="7d",
        no_data="pass",
    ),
    pyrra_check(
        "fine",
        name="ebr-pyrra-perf-fine-2d-no-errors-accept",
        slo="ebr-perf-fine-2d",
        errors=None,
        period="2d",
        accept_unjudged_tiers=True,
    ),
    # The generic group stopped 20 minutes ago with the burnrate group gone: its last records (0) predate the errors.
    pyrra_check("late", name="ebr-pyrra-generic-stopped-no-errors", slo="ebr-generic-stopped", errors=None),
    # A clean service whose generic group was switched off 20 minutes ago, its other groups recording on.
    pyrra_check("clean", name="ebr-pyrra-generic-off-no-errors", slo="ebr-generic-off", errors=None),
    pyrra_check("clean", name="ebr-pyrra-generic-off", slo="ebr-generic-off"),
    # SLO ebr-twin over job burn, whose rules are not loaded; a same-name SLO's over job clean are (another namespace).
    *(
        {
            "name": name,
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "pyrra": {"slo": "ebr-twin", "metric": "ebr_http_requests", "total": total, **errors},
        }
        for name, total, errors in (
            ("ebr-pyrra-twin-no-errors", 'ebr_http_requests_total{job="ebr-burn"}', {}),
            (
                "ebr-pyrra-twin",
                'ebr_http_requests_total{job="ebr-burn"}',
                {"errors": 'ebr_http_requests_total{job="ebr-burn",code=~"5.."}'},
            ),
            # The SLO itself: its own rules' labels contradict nothing.
            ("ebr-pyrra-twin-itself", 'ebr_http_requests_total{job="ebr-clean"}', {}),
        )
    ),
    # SLO ebr-twin-apart over job burn, whose rules are not loaded; a same-name SLO's over service ebr-checkout are: its
    # rules carry no job label, so none contradicts the check's job="ebr-burn".
    *(
        {
            "name": name,
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "pyrra": {"slo": "ebr-twin-apart", "metric": "ebr_http_requests", "total": total, **errors},
        }
        for name, total, errors in (
            ("ebr-pyrra-twin-apart-no-errors", 'ebr_http_requests_total{job="ebr-burn"}', {}),
            (
                "ebr-pyrra-twin-apart",
                'ebr_http_requests_total{job="ebr-burn"}',
                {"errors": 'ebr_http_requests_total{job="ebr-burn",code=~"5.."}'},
            ),
            ("ebr-pyrra-twin-apart-itself", 'ebr_http_requests_total{service="ebr-checkout"}', {}),
        )
    ),
    # SLO ebr-wide over job wide (5% errors), whose rules are not loaded; a same-name SLO's over its handler /x (no
    # errors) are: they carry job="ebr-wide" too, and handler="/x" besides.
    *(
        {
            "name": name,
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "pyrra": {"slo": slo, "metric": "ebr_http_requests", "total": total, **more},
        }
        for name, slo, total, more in (
            ("ebr-pyrra-wide-no-errors", "ebr-wide", 'ebr_http_requests_total{job="ebr-wide"}', {}),
            (
                "ebr-pyrra-wide",
                "ebr-wide",
                'ebr_http_requests_total{job="ebr-wide"}',
                {"errors": 'ebr_http_requests_total{job="ebr-wide",code=~"5.."}'},
            ),
            # The other SLO itself: its total names handler.
            ("ebr-pyrra-wide-itself", "ebr-wide", 'ebr_http_requests_total{handler="/x",job="ebr-wide"}', {}),
            # SLO ebr-wides over job wide, its rules loaded beside the same-name SLO's over handler /x.
            (
                "ebr-pyrra-wides",
                "ebr-wides",
                'ebr_http_requests_total{job="ebr-wide"}',
                {"errors": 'ebr_http_requests_total{job="ebr-wide",code=~"5.."}'},
            ),
            # As the error says to write: handler="" selects this SLO's series alone.
            (
                "ebr-pyrra-wides-apart",
                "ebr-wides",
                'ebr_http_requests_total{job="ebr-wide"}',
                {"errors": 'ebr_http_requests_total{job="ebr-wide",code=~"5.."}', "selectors": 'handler=""'},
            ),
        )
    ),
    # Without pyrra.errors, over job wide: SLO ebr-wider's (total {job="ebr-wide"}, 5% errors) and ebr-narrow's (total
    # {handler=~"/y",job="ebr-wide"}, 10% errors) rules are not loaded; same-name SLOs' without error series are.
    *(
        {
            "name": name,
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "pyrra": {"slo": slo, "metric": "ebr_http_requests", "total": total},
        }
        for name, slo, total in (
            ("ebr-pyrra-wider-no-errors", "ebr-wider", 'ebr_http_requests_total{job="ebr-wide"}'),
            ("ebr-pyrra-narrow-no-errors", "ebr-narrow", 'ebr_http_requests_total{handler=~"/y",job="ebr-wide"}'),
            # The other SLOs themselves: their own totals.
            ("ebr-pyrra-wider-itself", "ebr-wider", 'ebr_http_requests_total{handler="/x",job="ebr-wide"}'),
            ("ebr-pyrra-narrow-itself", "ebr-narrow", 'ebr_http_requests_total{job="ebr-wide"}'),
        )
    ),
    # SLO ebr-ext over job ext (5% errors): its raw and rule series all carry the querier's cluster="eu1".
    {
        "name": "ebr-pyrra-ext",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {
            "slo": "ebr-ext",
            "metric": "ebr_http_requests",
            "total": 'ebr_http_requests_total{job="ebr-ext"}',
            "errors": 'ebr_http_requests_total{job="ebr-ext",code=~"5.."}',
        },
    },
    # SLO ebr-extl over job extl (its errors stopped 20 minutes ago), without pyrra.errors: cluster="eu1" as ebr-ext.
    {
        "name": "ebr-pyrra-extl-no-errors",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {"slo": "ebr-extl", "metric": "ebr_http_requests", "total": 'ebr_http_requests_total{job="ebr-extl"}'},
    },
    # SLO ebr-exto over job exto, whose rules are not loaded; a same-name SLO's over its cluster="eu1" series are.
    {
        "name": "ebr-pyrra-exto",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {
            "slo": "ebr-exto",
            "metric": "ebr_http_requests",
            "total": 'ebr_http_requests_total{job="ebr-exto"}',
            "errors": 'ebr_http_requests_total{job="ebr-exto",code=~"5.."}',
        },
    },
    # The ebr-twins SLO over job clean, beside a same-name SLO over job burn (5% errors), both loaded.
    {
        "name": "ebr-pyrra-twins-clean",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "28d",
        "pyrra": {
            "slo": "ebr-twins",
            "metric": "ebr_http_requests",
            "total": 'ebr_http_requests_total{job="ebr-clean"}',
            "errors": 'ebr_http_requests_total{job="ebr-clean",code=~"5.."}',
        },
    },
    # Sloth's ratio rules over 1h and 6h record nothing, the other windows' do (5% errors, 50x).
    sloth_check("burn", name="ebr-sloth-partial", sloth_id="ebr-sloth-partial"),
    sloth_check("burn", name="ebr-sloth-partial-no-errors", sloth_id="ebr-sloth-partial", errors_query=None),
    {
        **pyrra_check("stopped", name="ebr-pyrra-stopped-no-errors-no-generic", errors=None),
        "pyrra": {
            **pyrra_check("stopped", errors=None)["pyrra"],
            "availability_selectors": 'no_generic_rules="1"',
        },
    },
    # data_error_budget_stale.py: the ruler died at A-4m, 5% errors since A-3m; the rules' last values are 0.
    pyrra_check("dead"),
    pyrra_check("dead", name="ebr-pyrra-dead-no-errors", errors=None),
    sloth_check("dead"),
    # The same, the errors before it from pods replaced since: no 5m rule has a series, the longer windows' do.
    pyrra_check("dead-gone"),
    sloth_check("dead-gone"),
    # An error_query grouped by code, `or vector(0)`, over an ungrouped total: every window records 0 while 5% of
    # requests fail (data_error_budget_sloth_by.py), the check's errors_query written as the SLO's.
    sloth_check("slby", errors_query=data_error_budget_sloth_by.ERROR_QUERY.replace("{window}", "{{ window }}")),
    # The same without sloth.errors_query (with and without sloth.total_query): only the rules API's expression tells.
    sloth_check("slby", name="ebr-sloth-slby-no-errors", errors_query=None),
    sloth_check("slby", name="ebr-sloth-slby-no-total", total_query=None),
    # An error_query grouped by a label no series carries (data_error_budget_sloth_by_service.py): its `by` does
    # nothing, the rule records the true ratio (0.05x).
    sloth_check("slsv", name="ebr-sloth-slsv-no-errors", errors_query=None),
    sloth_check("slsv", name="ebr-sloth-slsv-no-total", total_query=None),
    # A budget gate alone on job slby's misdivided rules (its period ratio records 0 while the service burns 50x).
    sloth_check("slby", name="ebr-sloth-slby-gate-only", errors_query=None, tiers=[], min_budget_remaining=0),
    # The same rules over job slbp, whose errors burned before the longest tier window: every error side answers 0.
    sloth_check("slbp", name="ebr-sloth-slbp-gate", errors_query=None, min_budget_remaining=0),
    sloth_check("slbp", name="ebr-sloth-slbp-no-errors", errors_query=None),
    # The same gates given sloth.errors_query, written as the SLO's error_query (grouped by code, or vector(0)).
    sloth_check(
        "slbp",
        name="ebr-sloth-slbp-errors-gate",
        errors_query=data_error_budget_sloth_by.error_query("slbp", "code").replace("{window}", "{{ window }}"),
        min_budget_remaining=0,
    ),
    sloth_check(
        "slbp",
        name="ebr-sloth-slbp-errors",
        errors_query=data_error_budget_sloth_by.error_query("slbp", "code").replace("{window}", "{{ window }}"),
    ),
    sloth_check(
        "slby",
        name="ebr-sloth-slby-errors-gate-only",
        errors_query=data_error_budget_sloth_by.ERROR_QUERY.replace("{window}", "{{ window }}"),
        tiers=[],
        min_budget_remaining=0,
    ),
    # An error_query grouped by code without `or vector(0)` (data_error_budget_sloth_by.py): no ratio is ever recorded.
    sloth_check("slnv", errors_query=unmatched_errors("slnv")),
    sloth_check("slnp", errors_query=unmatched_errors("slnp")),
    sloth_check("slnv", name="ebr-sloth-slnv-no-total", total_query=None),
    # A canary whose release renamed code to status_code (data_error_budget_renamed.py); the stable pods keep code.
    {
        "name": "eb-renamed",
        "kind": "error_budget",
        "params": CANARY,
        "objective": 99.9,
        "period": "30d",
        "ratio": {part: query.replace("eb-shop", "eb-renamed") for part, query in SHOP_RATIO.items()},
    },
    # Failures alone carry `error` (data_error_budget_errlabel.py): a canary that never failed has no series with it.
    # The canary told by two matchers: leaving out either one still selects none of the stable pods' series.
    {
        "name": "eb-errlabel",
        "kind": "error_budget",
        "params": CANARY,
        "objective": 99.9,
        "period": "30d",
        "ratio": {
            part: query.replace("eb_requests_total", "eb_errlabel_requests_total")
            .replace('service="eb-shop"', 'service="eb-errlabel", track="canary"')
            .replace('code=~"5.."', 'error="true"')
            for part, query in SHOP_RATIO.items()
        },
    },
    # The same rules with sloth.errors_query written `sum(...)`, not as the SLO's error_query (grouped by code): its
    # series match sloth.total_query's, the rules' do not.
    *(sloth_check(job, name=f"ebr-sloth-{job}-sum-errors") for job in ("slnv", "slby")),
    sloth_check("slnp", name="ebr-sloth-slnp-sum-errors-gate", min_budget_remaining=0),
    # Sloth's usual sum(...) errors over a total grouped by job (data_error_budget_sloth_label_less.py): no ratio is
    # ever recorded, and the errors' label-less 0 is their own.
    sloth_check(
        "sllb",
        name="ebr-sloth-sllb-gate",
        total_query='sum by (job) (rate(ebr_http_requests_total{job="ebr-sllb"}[{{ window }}]))',
        min_budget_remaining=0,
    ),
    # The same with `or vector(0)`: its errors carry no label, fallback or not, so they match no total either.
    sloth_check(
        "sllb",
        name="ebr-sloth-sllb-vector-gate",
        total_query='sum by (job) (rate(ebr_http_requests_total{job="ebr-sllb"}[{{ window }}]))',
        errors_query='sum(rate(ebr_http_requests_total{job="ebr-sllb",code=~"(5..|429)"}[{{ window }}])) or vector(0)',
        min_budget_remaining=0,
    ),
    sloth_check("slnp", name="ebr-sloth-slnp-gate", errors_query=unmatched_errors("slnp"), min_budget_remaining=0),
    # Errors whose series ended two hours ago, 5% before (data_error_budget_sloth_gone.py): a tier over 1h and 5m
    # alone, and a period rule that does not record beside a 5m ratio that did.
    sloth_check("slgone", name="ebr-sloth-slgone-gate", tiers=[ONE_HOUR_PAGE], min_budget_remaining=0),
    sloth_check("slgone", name="ebr-sloth-slgone", tiers=[ONE_HOUR_PAGE]),
    sloth_check("clean", name="ebr-sloth-clean-gate", tiers=[ONE_HOUR_PAGE], min_budget_remaining=0),
    sloth_check("slgone", name="ebr-sloth-slgone-no-total-gate", total_query=None, tiers=[], min_budget_remaining=0),
    sloth_check(
        "slbp",
        name="ebr-sloth-slbp-errors-gate-only",
        errors_query=data_error_budget_sloth_by.error_query("slbp", "code").replace("{window}", "{{ window }}"),
        tiers=[],
        min_budget_remaining=0,
    ),
]


@pytest.fixture(scope="module")
def catalog(prometheus):
    return build_catalog(
        [
            (
                "test",
                {
                    "sources": {"default": {"type": "prometheus", "url": prometheus.url, "max_concurrency": 32}},
                    "checks": CHECKS,
                },
            )
        ],
        Registry([PrometheusCheck, ErrorBudgetCheck]),
    )


@pytest.fixture
async def evaluate(catalog, prometheus):
    sources = Sources(catalog.sources)
    runner = Runner(catalog, sources, Metrics(), 8.0)
    at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)

    async def run(name, **args):
        check = catalog.get(name)
        return await runner.evaluate(check, check.bind_args(args), at)

    yield run
    sources.close()


def windows(evaluation):
    return {w["window"]: w for w in evaluation.details["windows"]}


def tiers(evaluation):
    return {f"{t['long']}/{t['short']}": t for t in evaluation.details["tiers"]}


class TestCanaryRatio:
    """A canary-scoped burn gate on raw counters (99.9%, 30d: budget 0.001, page at 14.4x and 6x)."""

    async def test_fast_burn_fails(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="burn1")
        # 2.5% errors since A-50m after 0.05% since A-3h, at 10 req/s:
        burn_5m = 0.025 / 0.001  # 25
        burn_1h = (10 * 0.0005 + 50 * 0.025) / 60 / 0.001  # 20.9167: 10 calm minutes, 50 burning
        burn_2h = (70 * 0.0005 + 50 * 0.025) / 120 / 0.001  # 10.7083
        burn_6h = (130 * 0.0005 + 50 * 0.025) / 180 / 0.001  # 7.3056: the canary is only 3h old
        seen = windows(result)
        for window, expected in (
            ("5m", burn_5m),
            ("30m", burn_5m),
            ("1h", burn_1h),
            ("2h", burn_2h),
            ("6h", burn_6h),
            ("1d", burn_6h),
            ("3d", burn_6h),
        ):
            assert seen[window]["burn_rate"] == pytest.approx(expected, rel=1e-6), window
        assert result.verdict is Outcome.FAIL
        assert result.value == pytest.approx(burn_1h, rel=1e-6) and result.threshold == 14.4
        assert result.reason.startswith(
            "page tier 1h/5m fires: the budget burns 20.9167x over both 1h and 5m (limit 14.4x)"
        )
        assert all(t["fired"] for t in result.details["tiers"])
        assert result.details["budget"]["remaining"] == pytest.approx(1 - burn_6h, rel=1e-6)

    async def test_healthy_canary_passes(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="ok1")
        assert result.verdict is Outcome.PASS
        # 0.05% everywhere: burn 0.5; closest to paging is 6h/30m (0.5 of 6).
        assert result.value == pytest.approx(0.5, rel=1e-6) and result.threshold == 6
        assert {round(w["burn_rate"], 6) for w in result.details["windows"]} == {0.5}

    async def test_absent_error_series_is_zero_errors(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="clean1")
        assert result.verdict is Outcome.PASS
        assert result.value == 0
        assert windows(result)["5m"]["error_ratio"] == 0 and windows(result)["5m"]["total"] == pytest.approx(10)

    async def test_canary_without_traffic_is_inconclusive(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="idle1")
        assert result.verdict is Outcome.INCONCLUSIVE
        assert result.reason.startswith("no page tier can judge (1h/5m: 1h: no traffic over 1h; 5m: no traffic")

    async def test_canary_that_burned_then_lost_its_traffic_is_not_a_pass(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="crash1")
        # 5% errors from A-40m, nothing since A-10m, after 0.05% since A-7h:
        burn_30m = 0.05 / 0.001  # 50: 20 burning minutes
        burn_1h = (20 * 0.0005 + 30 * 0.05) / 50 / 0.001  # 30.2
        burn_6h = (320 * 0.0005 + 30 * 0.05) / 350 / 0.001  # 4.74286: 6h/30m judges, below 6
        seen = windows(result)
        assert seen["5m"]["error_ratio"] is None and seen["5m"]["total"] == 0
        for window, expected in (("30m", burn_30m), ("1h", burn_1h), ("6h", burn_6h)):
            assert seen[window]["burn_rate"] == pytest.approx(expected, rel=1e-6), window
        assert tiers(result)["6h/30m"]["judged"] and not tiers(result)["6h/30m"]["fired"]
        assert result.verdict is Outcome.INCONCLUSIVE and result.threshold == 14.4
        assert result.reason.startswith(
            "page tier 1h/5m cannot judge (5m: no traffic over 5m) while its 1h window "
            "burns 30.2x (limit 14.4x): it may be firing unseen"
        )

    @pytest.mark.parametrize("name", ["eb-shop-burn-accepting", "eb-shop-burn-half-hour"])
    async def test_canary_whose_series_stopped_is_no_pass(self, evaluate, name):
        # 0.05% errors until A-20m, then nothing: 6h/30m still holds its ten good minutes.
        result = await evaluate(name, canary_hash="gone1")
        assert tiers(result)["6h/30m"]["judged"] and not tiers(result)["6h/30m"]["fired"]
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "none of the series the SLI reads has a sample now" in result.reason
        assert "stopped reporting" in result.reason
        asked = result.details["presence_now_query"]
        assert 'count(eb_requests_total{service="eb-shop", rollouts_pod_template_hash="gone1"})' in asked

    @pytest.mark.parametrize("name", ["eb-shop-burn-accepting", "eb-shop-burn-half-hour"])
    async def test_canary_reporting_now_passes(self, evaluate, name):
        result = await evaluate(name, canary_hash="ok1")
        assert result.verdict is Outcome.PASS, result.reason

    async def test_unknown_canary_is_inconclusive(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="nope")
        assert result.verdict is Outcome.INCONCLUSIVE
        assert "no data (the total query returned nothing over 1h)" in result.reason

    async def test_each_window_is_queried_once(self, evaluate, prometheus):
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate("eb-shop-shared-windows", canary_hash="ok1")
        # Windows 1h, 5m, 6h (1h shared by both tiers) plus the period: 4 x (errors, total), the 5m window's blind
        # query (see with_blind_query), and the probes of eb_requests_total and of its labels service,
        # rollouts_pod_template_hash and code, and whether the total's series carry code (count of those that do, of
        # all, and of the metric's others lacking it), sent as one query for the windows and the probes and one for the
        # (optional) period.
        assert len(result.details["queries"]) == 16
        assert prometheus.process.http_requests("/api/v1/query") - before == 2
        assert [w["window"] for w in result.details["windows"]] == ["1h", "5m", "6h"]


def comparable(series: list[Series]) -> list[tuple[str, list[tuple[float, str]]]]:
    """Series as sortable values; repr so that NaN equals NaN."""
    return sorted((s.describe(), [(t, repr(v)) for t, v in s.samples]) for s in series)


class TestOneQuery:
    """One evaluation sends one query (two when the period is optional evidence), and the combined answer
    splits into exactly what each per-window query returns on its own."""

    async def test_a_budget_gate_with_tiers_is_one_request(self, evaluate, prometheus):
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate("eb-billing-gated")
        assert prometheus.process.http_requests("/api/v1/query") - before == 1
        assert result.verdict is Outcome.FAIL  # the overspent 7d budget, as eb-billing-budget
        # With the 5m window's blind query, the probes of eb_requests_total's labels service and code, and whether the
        # total's series carry code, which only the errors select on (count of those that do, of all, and of the
        # metric's others lacking it).
        assert len(result.details["sent_queries"]) == 1 and len(result.details["queries"]) == 23
        assert windows(result)["3d"]["burn_rate"] == pytest.approx(
            (4200 * 0.0008 + 120 * 0.05) / 4320 / 0.001, rel=1e-6
        )

    async def test_several_series_for_one_window_is_misconfigured(self, evaluate):
        result = await evaluate("eb-shop-by-code", canary_hash="ok1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith(
            'the total query returned 2 series ({code="200"}, {code="500"}); it must return one'
        )

    @pytest.mark.parametrize(
        ("name", "args", "requests"),
        [
            ("eb-shop-burn", {"canary_hash": "burn1"}, 2),
            ("eb-shop-burn", {"canary_hash": "clean1"}, 2),
            ("eb-billing-gated", {}, 1),
            ("eb-api-latency", {}, 2),
            ("eb-pyrra-api", {}, 1),
            ("eb-pyrra-api-any-metric", {}, 1),
            ("eb-pyrra-quiet", {}, 1),
            ("eb-sloth-burn", {}, 1),
            ("eb-sloth-budget", {}, 1),
            ("ebb-pyrra-api", {}, 1),
            ("ebb-pyrra-api-evidence", {}, 1),
            ("ebb-sloth-weird", {}, 1),
            ("ebr-pyrra-clean", {}, 1),
            # No period ratio (rules over rules record nothing here): the count of ratio_rate5m samples goes after.
            ("ebr-sloth-clean", {}, 2),
            # A period ratio recorded: nothing goes after.
            ("ebr-sloth-slbp-errors", {}, 1),
            ("ebr-pyrra-past", {}, 1),
            ("ebr-optional-errors", {}, 2),
        ],
    )
    async def test_combined_answer_equals_the_per_window_answers(
        self, catalog, evaluate, prometheus, name, args, requests
    ):
        check = catalog.get(name)
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate(name, **args)
        assert prometheus.process.http_requests("/api/v1/query") - before == requests
        plan = check.plan(check.bind_args(args))
        # A Sloth period without its ratio asks what it needs after the batches.
        batches = [*plan.batches, plan.after][:requests]
        assert result.details["sent_queries"] == [batch.promql for batch in batches]
        sources = Sources(catalog.sources)
        source = sources.prometheus("default")
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        try:
            for batch in batches:
                split = batch.split(await source.query(batch.promql, at, 5.0))
                for query in batch.queries:
                    alone = await source.query(query, at, 5.0)
                    assert comparable(split[query].series) == comparable(alone.series), query
        finally:
            sources.close()


class TestConcurrentEvaluations:
    """Evaluations running at once, identical ones sharing one (coalesced), each split its own answers in place
    (QueryBatch.split(owned=True)): every verdict and its evidence are the ones the evaluation gives alone."""

    CASES = (
        ("eb-shop-burn", {"canary_hash": "burn1"}),  # raw counters: the required batch and the optional period
        ("eb-shop-burn", {"canary_hash": "ok1"}),
        ("eb-shop-by-code", {"canary_hash": "ok1"}),  # a reason quoting the series' labels
        ("ebr-pyrra-clean", {}),  # grouped selectors, read back by __name__
        ("ebr-optional-errors", {}),
        ("ebr-sloth-slby-no-errors", {}),  # the ratio rules' sides, split too, quoted with their labels
    )

    # Six evaluations at once on a loaded machine: a deadline none reaches, none timing out where it did not alone.
    DEADLINE_S = 60.0

    @staticmethod
    def comparable(evaluation):
        return evaluation.model_dump(exclude={"duration_ms"})

    async def test_concurrent_and_coalesced_evaluations_judge_as_alone(self, catalog, prometheus):
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        alone = {}
        for name, args in self.CASES:
            sources = Sources(catalog.sources)
            try:
                check = catalog.get(name)
                runner = Runner(catalog, sources, Metrics(), self.DEADLINE_S)
                evaluation = await runner.evaluate(check, check.bind_args(args), at)
                alone[(name, tuple(args.items()))] = self.comparable(evaluation)
            finally:
                await sources.aclose()
        sources = Sources(catalog.sources)
        metrics = Metrics()
        try:
            runner = Runner(catalog, sources, metrics, self.DEADLINE_S)
            asked = [case for case in self.CASES for _ in range(2)]
            found = await asyncio.gather(
                *(runner.evaluate(catalog.get(name), catalog.get(name).bind_args(args), at) for name, args in asked)
            )
        finally:
            await sources.aclose()
        # Each pair of identical requests shared one evaluation.
        assert sum(child[0] for child in metrics.coalesced.children.values()) == len(self.CASES)
        for (name, args), evaluation in zip(asked, found, strict=True):
            assert self.comparable(evaluation) == alone[(name, tuple(args.items()))], name
            assert "analyzer_window" not in evaluation.reason and "analyzer_part" not in evaluation.reason
        shown = {name: evaluation for (name, _), evaluation in zip(asked, found, strict=True)}
        assert shown["eb-shop-by-code"].reason.startswith(
            'the total query returned 2 series ({code="200"}, {code="500"}); it must return one'
        )
        assert 'in {code="500"}, whose labels no series of its total side carries' in (
            shown["ebr-sloth-slby-no-errors"].reason
        )


class TestEncodedOnce:
    """A batch goes out percent-encoded as urllib would encode it, from the text the plan keeps."""

    async def test_every_batch_is_sent_with_its_encoding(self, catalog, prometheus):
        sent: list[tuple[str, str | None]] = []

        class Recording(PrometheusSource):
            async def query(self, promql, at, timeout_s, *, encoded_promql=None):
                sent.append((promql, encoded_promql))
                return await super().query(promql, at, timeout_s, encoded_promql=encoded_promql)

        sources = Sources(catalog.sources, make_prometheus=lambda source, config: Recording(source, config))
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            for name, args in (("eb-shop-burn", {"canary_hash": "burn1"}), ("ebb-sloth-weird", {})):
                check = catalog.get(name)
                result = await runner.evaluate(check, check.bind_args(args), at)
                assert result.verdict is not Outcome.ERROR, result.reason
        finally:
            await sources.aclose()
        assert len(sent) == 3
        for promql, encoded in sent:
            assert encoded == urllib.parse.quote(promql, safe="")


def grouped(names, matchers):
    """The one selector a group of recording rules is sent as."""
    return f'label_replace({{__name__=~"{"|".join(names)}", {matchers}}}, "analyzer_part", "group0", "", "")'


def labelled(query, window, part):
    """The branch a query is sent as on its own."""
    return (
        f'label_replace(label_replace({query}, "analyzer_window", "{window}", "", ""), '
        f'"analyzer_part", "{part}", "", "")'
    )


def age_of(selector):
    """The age query of `selector`: of a 5m ratio rule, the query over every window's rule of its group (a 28d Pyrra
    SLO's, a Sloth SLO's), the shortest first."""
    for rule, windows in (
        ("burnrate5m", ("5m", "30m", "1h", "2h", "6h", "1d", "4d")),
        ("ratio_rate5m", ("5m", "30m", "1h", "2h", "6h", "1d", "3d")),
    ):
        if rule in selector:
            stem = rule.removesuffix("5m")
            return (
                "max(" + " or ".join(f"time() - timestamp({selector.replace(rule, stem + w)})" for w in windows) + ")"
            )
    return f"max(time() - timestamp({selector}))"


def with_ages(group, *ages):
    """A group's selector and the age queries of its rule groups (`ages`: (selector, window, part) each), which
    ride in the same query: `max(time() - timestamp(...))` is no selector to group."""
    return " or ".join([group, *(labelled(age_of(selector), window, part) for selector, window, part in ages)])


PYRRA_28D = ("1h", "5m", "6h", "30m", "1d", "2h", "4d")
SLOTH_30D = ("1h", "5m", "6h", "30m", "1d", "2h", "3d")


def ebb_api_query():
    """The one query the `ebb-api` Pyrra checks send: their rules' selector and the two rule groups' ages."""
    return with_ages(
        grouped(
            [
                *(f"ebb_api:burnrate{w}" for w in PYRRA_28D),
                "pyrra_availability",
                "pyrra_objective",
                "pyrra_window",
                "ebb_api:increase4w",
                "ebb_api:increase5m",
            ],
            'slo="ebb-api"',
        ),
        ('ebb_api:burnrate5m{slo="ebb-api"}', "1h", "ratio_age"),
        ('pyrra_availability{slo="ebb-api"}', "28d", "availability_age"),
    )


class TestGroupedSelectors:
    """Recording-rule windows go out as one `{__name__=~...}` selector and come back to the right window,
    with the verdicts and values the per-window queries give."""

    async def test_pyrra_burnrates_and_availability_are_one_selector(self, evaluate, prometheus):
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate("ebb-pyrra-api")
        assert prometheus.process.http_requests("/api/v1/query") - before == 1
        assert result.details["sent_queries"] == [ebb_api_query()]
        # Every series has the label set {slo="ebb-api"}: each window still reads its own value.
        assert {w: v["error_ratio"] for w, v in windows(result).items()} == pytest.approx(PYRRA_BATCH)
        assert result.verdict is Outcome.FAIL
        assert result.value == pytest.approx(15, rel=1e-6) and result.threshold == 14  # 1h 15x, 5m 20x
        assert result.details["budget"]["error_ratio"] == pytest.approx(1 - PYRRA_AVAILABILITY, rel=1e-6)
        assert result.details["budget"]["remaining"] == pytest.approx(0.6, rel=1e-6)

    async def test_availability_as_evidence_joins_the_selector(self, evaluate):
        # Without a budget gate too: a recorded period costs what a window costs, so no second query.
        result = await evaluate("ebb-pyrra-api-evidence")
        assert result.details["sent_queries"] == [ebb_api_query()]
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(15, rel=1e-6)
        assert result.details["budget"]["remaining"] == pytest.approx(0.6, rel=1e-6)

    async def test_the_existing_pyrra_and_sloth_checks_send_one_selector(self, evaluate):
        pyrra = await evaluate("eb-pyrra-api")
        assert pyrra.details["sent_queries"] == [
            with_ages(
                grouped(
                    [
                        *(f"eb_http_requests:burnrate{w}" for w in PYRRA_28D),
                        "pyrra_availability",
                        "pyrra_objective",
                        "pyrra_window",
                        "eb_http_requests:increase4w",
                        "eb_http_requests:increase5m",
                    ],
                    'slo="eb-pyrra-api"',
                ),
                ('eb_http_requests:burnrate5m{slo="eb-pyrra-api"}', "1h", "ratio_age"),
                ('pyrra_availability{slo="eb-pyrra-api"}', "28d", "availability_age"),
            )
        ]
        sloth = await evaluate("eb-sloth-budget")
        matchers = 'sloth_service="eb-sloth", sloth_slo="availability", owner="eb-team"'
        assert sloth.details["sent_queries"] == [
            with_ages(
                grouped(
                    [
                        *(f"slo:sli_error:ratio_rate{w}" for w in (*SLOTH_30D, "30d")),
                        "slo:time_period:days",
                        "slo:objective:ratio",
                    ],
                    matchers,
                ),
                (f"slo:sli_error:ratio_rate5m{{{matchers}}}", "1h", "ratio_age"),
            )
        ]

    async def test_pyrra_without_a_metric_name_keeps_its_labelled_parts(self, evaluate):
        result = await evaluate("eb-pyrra-api-any-metric")
        assert '__name__=~"eb_http_requests' not in result.details["sent_queries"][0]
        # Seven burnrate windows, the burnrate and generic groups' ages, the rules' probe and its 5m increase rule
        # (performanceOverAccuracy), each in its labelled part (pyrra_availability and pyrra_objective share their
        # matchers: one group).
        assert result.details["sent_queries"][0].count('"analyzer_window"') == 11

    async def test_matcher_values_with_brace_quote_bar_and_backslash(self, evaluate):
        result = await evaluate("ebb-sloth-weird")
        assert result.details["sent_queries"] == [
            with_ages(
                grouped(
                    [
                        *(f"slo:sli_error:ratio_rate{w}" for w in (*SLOTH_30D, "30d")),
                        "slo:time_period:days",
                        "slo:objective:ratio",
                    ],
                    f'sloth_id="ebb-weird", {WEIRD_MATCHER}',
                ),
                (f'slo:sli_error:ratio_rate5m{{sloth_id="ebb-weird", {WEIRD_MATCHER}}}', "1h", "ratio_age"),
            )
        ]
        # The decoy note="a" burns at 500x: reading it, or both, would fail or error.
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx(0.5, rel=1e-6) and result.threshold == 6
        assert {round(w["burn_rate"], 6) for w in result.details["windows"]} == {0.5}
        assert result.details["budget"]["remaining"] == pytest.approx(0.5, rel=1e-6)

    async def test_several_series_for_one_window_is_still_misconfigured(self, evaluate):
        result = await evaluate("ebb-sloth-split")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith("the Sloth ratio query returned 2 series (slo:sli_error:ratio_rate")

    async def test_two_groups_with_equal_label_sets_keep_every_series(self, catalog, prometheus):
        # Every series here is {slo="ebb-api"} but for its name; the two matcher texts make two groups.
        batch = QueryBatch.of(
            {
                "5m": {"ratio": 'ebb_api:burnrate5m{slo="ebb-api"}'},
                "1h": {"ratio": 'ebb_api:burnrate1h{slo="ebb-api"}'},
                "4d": {"ratio": 'ebb_api:burnrate4d{slo=~"ebb-api"}'},
                "28d": {"availability": 'pyrra_availability{slo=~"ebb-api"}'},
            }
        )
        assert batch.promql.count("__name__=~") == 2 and "analyzer_window" not in batch.promql
        unmarked = 'ebb_api:burnrate5m{slo="ebb-api"} or pyrra_availability{slo=~"ebb-api"}'
        split, alone, plain = await self._answers(catalog, prometheus, batch, [unmarked])
        assert split == alone
        assert [len(alone[q]) for q in batch.queries] == [1, 1, 1, 1]
        # Why the marker: `or` without it keeps one series per label set.
        assert len(plain[unmarked]) == 1

    async def test_a_mixed_batch_splits_as_the_queries_sent_alone(self, catalog, prometheus):
        batch = QueryBatch.of(
            {
                "5m": {
                    "errors": 'sum(rate(eb_requests_total{service="eb-billing", code=~"5.."}[5m]))',
                    "ratio": 'slo:sli_error:ratio_rate5m{sloth_id="ebb-split"}',
                    "any": '{__name__=~".+:burnrate5m", slo="ebb-api"}',
                },
                "1h": {
                    "ratio": 'slo:sli_error:ratio_rate1h{sloth_id="ebb-split"}',
                    "weird": f'slo:sli_error:ratio_rate1h{{sloth_id="ebb-weird", {WEIRD_MATCHER}}}',
                },
                "6h": {
                    "weird": f'slo:sli_error:ratio_rate6h{{sloth_id="ebb-weird", {WEIRD_MATCHER}}}',
                    "lone": 'pyrra_availability{slo="ebb-api"}',
                    "none": 'ebb_absent:x{slo="ebb-nobody"}',
                },
            }
        )
        assert batch.promql.count('__name__=~"slo:') == 2 and batch.promql.count('"analyzer_window"') == 4
        split, alone, _ = await self._answers(catalog, prometheus, batch, [])
        assert split == alone
        assert [len(alone[q]) for q in batch.queries] == [1, 2, 1, 2, 1, 1, 1, 0]

    @staticmethod
    async def _answers(catalog, prometheus, batch, extra):
        """The batch's split answer, each query's answer alone, and the `extra` queries' answers, comparable."""
        sources = Sources(catalog.sources)
        source = sources.prometheus("default")
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        try:
            split = batch.split(await source.query(batch.promql, at, 5.0))
            alone = {q: comparable((await source.query(q, at, 5.0)).series) for q in batch.queries}
            plain = {q: comparable((await source.query(q, at, 5.0)).series) for q in extra}
        finally:
            sources.close()
        return {q: comparable(r.series) for q, r in split.items()}, alone, plain


class TestServiceBudget:
    """Service-wide budget remaining over a 7d period (99.9%: budget 0.001)."""

    async def test_overspent_budget_fails_the_pre_rollout_gate(self, evaluate):
        result = await evaluate("eb-billing-budget")
        # 7d = 10080 minutes: 120 incident minutes at 5%, 9960 at 0.08%.
        period_ratio = (9960 * 0.0008 + 120 * 0.05) / 10080  # 0.00138571
        remaining = 1 - period_ratio / 0.001  # -0.385714: overspent, not clamped
        assert result.verdict is Outcome.FAIL
        assert result.value == pytest.approx(remaining, rel=1e-6) and result.threshold == 0
        assert result.details["budget"]["error_ratio"] == pytest.approx(period_ratio, rel=1e-6)
        assert result.reason.startswith(
            "budget exhausted: 1.38571x the budget spent; budget remaining -38.5714% is not above "
            "min_budget_remaining 0%"
        )

    async def test_slow_burn_after_an_incident_warns_but_passes(self, evaluate):
        result = await evaluate("eb-billing-burn")
        burn_now = 0.0008 / 0.001  # 0.8 over 5m .. 1d
        burn_3d = (4200 * 0.0008 + 120 * 0.05) / 4320 / 0.001  # 2.1667: the incident is 2 days old
        assert windows(result)["3d"]["burn_rate"] == pytest.approx(burn_3d, rel=1e-6)
        assert windows(result)["1d"]["burn_rate"] == pytest.approx(burn_now, rel=1e-6)
        # 7d tiers: pages at 3.36 and 1.4 stay quiet; tickets at 0.7 (1d/2h) and 0.2333 (3d/6h) fire.
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx(burn_now, rel=1e-6) and result.threshold == pytest.approx(1.4)
        assert [t["fired"] for t in result.details["tiers"]] == [False, False, True, True]
        assert len(result.details["warnings"]) == 2
        assert "2 non-failing tier(s) fire (1d/2h, 3d/6h)" in result.reason

    async def test_healthy_budget_passes_the_gate(self, evaluate):
        result = await evaluate("eb-search-budget")
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx(1 - 0.0002 / 0.001, rel=1e-6)  # 0.8 left


class TestLatency:
    """A classic histogram whose bounds are written `0.50` and `1.0`, matched numerically."""

    async def test_slow_requests_burn_the_budget(self, evaluate):
        result = await evaluate("eb-api-latency")
        burn = (20 - 19.6) / 20 / 0.001  # 2% slower than 0.5 s: burn 20
        assert result.verdict is Outcome.FAIL
        assert result.value == pytest.approx(burn, rel=1e-6) and result.threshold == 14.4
        assert any('le=~"' in q for q in result.details["queries"])

    async def test_integer_threshold_matches_le_1_0(self, evaluate):
        result = await evaluate("eb-api-latency-1s")
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx((20 - 19.99) / 20 / 0.001, rel=1e-6)  # 0.5

    async def test_threshold_that_is_not_a_bucket_is_an_error(self, evaluate):
        result = await evaluate("eb-api-latency-no-bucket")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert (
            "threshold_s 0.3 is not a bucket bound of eb_latency_seconds (its bounds: 0.25, 0.50, 1.0, +Inf)"
            in result.reason
        )

    async def test_a_missing_bucket_under_one_request_per_second_is_still_an_error(self, evaluate):
        # 0.5 req/s: an absent bucket with any traffic is a wrong bound, never zero slow requests.
        result = await evaluate("eb-trickle-latency-no-bucket")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"


class TestDegenerateHistograms:
    """A latency SLO over a histogram whose buckets are +Inf alone (a client given none) is an error naming its
    bounds, never zero slow requests; one without +Inf is judged from its threshold's bucket and its _count."""

    async def test_inf_alone_is_an_error(self, evaluate):
        result = await evaluate("eb-unbucketed-latency")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert "threshold_s 0.5 is not a bucket bound of eb_unbucketed_seconds (its bounds: +Inf)" in result.reason

    async def test_no_inf_bucket_is_judged(self, evaluate):
        result = await evaluate("eb-capped-latency")
        assert result.verdict is Outcome.FAIL, result.reason
        assert result.value == pytest.approx((20 - 19) / 20 / 0.001, rel=1e-6)  # 5% slower than 0.5 s: burn 50


class TestPyrra:
    """Pyrra's `<metric>:burnrate<window>{slo=...}` series hold the error ratio; 28d tiers x14/7/2/1."""

    @pytest.mark.parametrize("name", ["eb-pyrra-api", "eb-pyrra-api-any-metric"])
    async def test_fast_burn_fails(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.FAIL
        # 1h: 0.016 -> 16, 5m: 0.02 -> 20; both above 14.
        assert result.value == pytest.approx(16, rel=1e-6) and result.threshold == 14
        assert [t["fired"] for t in result.details["tiers"]] == [True, False, True, True]
        # pyrra_availability 0.9995 -> error ratio 0.0005 -> half the budget left.
        assert result.details["budget"]["remaining"] == pytest.approx(0.5, rel=1e-6)

    async def test_no_traffic_windows_leave_a_tier_unjudged(self, evaluate):
        result = await evaluate("eb-pyrra-quiet")
        assert result.verdict is Outcome.INCONCLUSIVE
        assert result.reason.startswith(
            "1 of 2 page tiers cannot judge (1h/5m: 1h: no traffic (NaN over 1h); 5m: "
            "no traffic (NaN over 5m)); a pass needs every one judged"
        )
        assert tiers(result)["6h/30m"]["judged"] is True

    async def test_unjudged_tiers_accepted_pass_on_the_judged_one(self, evaluate):
        result = await evaluate("eb-pyrra-quiet-accepted")
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx(0.1, rel=1e-6) and result.threshold == 7
        assert tiers(result)["1h/5m"]["judged"] is False
        assert "no traffic (NaN over 5m)" in tiers(result)["1h/5m"]["note"]
        assert result.details["budget"]["remaining"] is None


class TestSloth:
    """Sloth's `slo:sli_error:ratio_rate<window>` series, by sloth_id or by service and slo."""

    async def test_slow_burn_is_a_ticket_warning(self, evaluate):
        result = await evaluate("eb-sloth-burn")
        assert result.verdict is Outcome.PASS
        assert result.value == pytest.approx(2, rel=1e-6) and result.threshold == 6
        assert [t["fired"] for t in result.details["tiers"]] == [False, False, False, True]
        assert result.details["budget"]["remaining"] == pytest.approx(0.1, rel=1e-6)

    async def test_most_of_the_budget_gone_fails_the_gate(self, evaluate):
        result = await evaluate("eb-sloth-budget")
        assert result.verdict is Outcome.FAIL
        assert result.value == pytest.approx(0.1, rel=1e-6) and result.threshold == 0.25
        assert any(
            q.startswith(
                'slo:sli_error:ratio_rate30d{sloth_service="eb-sloth", sloth_slo="availability", owner="eb-team"}'
            )
            for q in result.details["queries"]
        )


class TestSlothErrorsMatched:
    """Errors Sloth's ratio rule cannot divide by a total (labels the total lacks) are no clean window."""

    async def test_errors_grouped_by_a_label_the_total_lacks_are_a_misconfigured_slo(self, evaluate):
        # error_query `sum by (code) (...) or vector(0)` over `sum(...)`: Sloth's `/` matches vector(0)'s 0 alone, so
        # every ratio_rate records 0. Before: PASS "worst is page tier 1h/5m at 0x" while the service burns 50x.
        result = await evaluate("ebr-sloth-slby")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slby"}: sloth.errors_query counts 0.5 errors/s over 1h in {code="500"}, '
            "whose labels no series of sloth.total_query carries"
        ), result.reason
        assert "aggregate the SLO's error_query and total_query by the same labels" in result.reason

    @pytest.mark.parametrize("name", ["ebr-sloth-slby-no-errors", "ebr-sloth-slby-no-total"])
    async def test_without_errors_query_the_rules_api_tells_the_ratio_rules_division(self, evaluate, name):
        # Before: PASS "no page tier fires: worst is page tier 1h/5m at 0x" while the service burns 50x.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slby"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API '
            "lists it: (sum by (code) (rate(ebr_http_requests_total{"
        ), result.reason
        assert (
            ") divides errors by a total none of whose series they match: its error side answers 0.5 over 1h in "
            '{code="500"}, whose labels no series of its total side carries ({}): Sloth records '
            "(error_query) / (total_query)"
        ) in result.reason, result.reason

    @pytest.mark.parametrize("name", ["ebr-sloth-slsv-no-errors", "ebr-sloth-slsv-no-total"])
    async def test_a_by_list_no_error_series_carries_holds_the_pass(self, evaluate, name):
        # `sum by (service) (...)` over series without `service`: one label-less group, matched by the total. Before:
        # ERROR check_misconfigured "divides errors grouped by service by a total without it", a release blocked for
        # a rule that records the true ratio.
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS, result.reason
        assert 0.04 < windows(result)["1h"]["burn_rate"] < 0.06, windows(result)["1h"]
        assert result.details["rules_divided"]["checked"] == ["1h", "5m", "6h", "30m", "1d", "2h", "3d"]
        assert "unchecked: whether the errors" not in result.reason, result.reason

    async def test_a_budget_gate_alone_reads_the_5m_rule_its_period_ratio_averages(self, evaluate):
        # Before: PASS "budget remaining 100%" (no tier window, so no rule read) while the service burns 50x.
        result = await evaluate("ebr-sloth-slby-gate-only")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slby"}: its recording rule slo:sli_error:ratio_rate5m (as the rules API '
        ), result.reason
        assert 'its error side answers 0.5 over 5m in {code="500"}' in result.reason, result.reason

    async def test_errors_at_0_the_division_leaves_out_fail_a_budget_gate(self, evaluate):
        # The rule recorded 0 whenever those errors counted, and the period ratio averages what it recorded. Before:
        # PASS "budget remaining 100%", its rules "checked", whatever the errors burned before the longest window.
        result = await evaluate("ebr-sloth-slbp-gate")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slbp"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API '
        ), result.reason
        assert (
            'its error side answers 0 over 1h in {code="500"}, whose labels no series of its total side carries ({})'
        ) in result.reason, result.reason
        assert "the budget remaining cannot be told from slo:sli_error:ratio_rate30d" in result.reason, result.reason

    @pytest.mark.parametrize(
        ("name", "window", "value"),
        [
            # Before: PASS "budget remaining 100%": sloth.errors_query's {code="500"} at 0 was a clean window's.
            ("ebr-sloth-slbp-errors-gate", "1h", "0"),
            # Before: PASS "budget remaining 100%" while the service burns 50x: no window, so no side was asked.
            ("ebr-sloth-slby-errors-gate-only", "5m", "0.5"),
            ("ebr-sloth-slbp-errors-gate-only", "5m", "0"),
        ],
    )
    async def test_errors_query_series_the_division_leaves_out_fail_a_budget_gate(self, evaluate, name, window, value):
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        sloth_id = name.split("-errors")[0]
        assert result.reason.startswith(
            f'Sloth SLO {{sloth_id="{sloth_id}"}}: sloth.errors_query counts {value} errors/s over {window} in '
            '{code="500"}, whose labels no series of sloth.total_query carries'
        ), result.reason
        if value == "0":
            assert "the budget remaining cannot be told from slo:sli_error:ratio_rate30d" in result.reason, (
                result.reason
            )

    async def test_errors_query_series_at_0_the_division_leaves_out_hold_a_tier_pass(self, evaluate):
        # Without a gate every window counts no error now: its recorded 0 is right.
        result = await evaluate("ebr-sloth-slbp-errors")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason

    async def test_errors_at_0_the_division_leaves_out_hold_a_tier_pass(self, evaluate):
        # Every window's error side answers 0: the windows' rules record what the raw counters say, 0 errors.
        result = await evaluate("ebr-sloth-slbp-no-errors")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        # The budget it states is what the rule recorded while those errors counted. Before: said as told.
        assert result.reason.endswith(
            "; the budget remaining over 30d is not told: recording rule slo:sli_error:ratio_rate1h leaves out the "
            'errors of {code="500"} whenever they count (no series of its total side carries its labels), and '
            "slo:sli_error:ratio_rate30d averages what ratio_rate5m recorded"
        ), result.reason
        assert result.details["rules_divided"] == {"checked": ["1h", "5m", "6h", "30m", "1d", "2h", "3d"], "unread": {}}

    async def test_errors_a_rule_that_records_nothing_leaves_out_are_a_misconfigured_slo(self, evaluate):
        # `sum by (code) (...)` without `or vector(0)` over `sum(...)`: no ratio is ever recorded, whatever burns.
        # Before: INCONCLUSIVE "the tool's ratio rule did not record (its rule group stopped evaluating ...)".
        result = await evaluate("ebr-sloth-slnv")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slnv"}: sloth.errors_query counts 0.5 errors/s over 1h in {code="500"}, '
            "whose labels no series of sloth.total_query carries"
        ), result.reason

    async def test_without_errors_query_the_rules_api_names_a_rule_that_records_nothing(self, evaluate):
        # Before: INCONCLUSIVE "no page tier can judge (1h/5m: 1h: no data (no Sloth ratio_rate1h series; without
        # sloth.total_query zero errors cannot be told from no traffic) ...": the rules were read on a pass alone.
        result = await evaluate("ebr-sloth-slnv-no-total")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slnv"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API '
            "lists it: (sum by (code) (rate(ebr_http_requests_total{"
        ), result.reason
        assert 'its error side answers 0.5 over 1h in {code="500"}' in result.reason, result.reason

    async def test_errors_query_not_the_slos_the_rules_api_names_a_rule_that_records_nothing(self, evaluate):
        # sloth.errors_query `sum(...)` over a rule whose errors are `sum by (code) (...)`. Before: INCONCLUSIVE "no
        # Sloth ratio_rate6h series although sloth.errors_query counted 0.5 errors/s over 6h: the tool's ratio rule did
        # not record (its rule group stopped evaluating, fails or is not loaded)": the rules were read without it alone.
        result = await evaluate("ebr-sloth-slnv-sum-errors")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slnv"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API '
            "lists it: (sum by (code) (rate(ebr_http_requests_total{"
        ), result.reason
        assert 'its error side answers 0.5 over 1h in {code="500"}' in result.reason, result.reason
        assert result.reason.endswith(
            ", and write sloth.errors_query as the SLO's error_query (as set, its series match sloth.total_query's, "
            "so they could not tell)"
        ), result.reason

    async def test_errors_query_not_the_slos_holds_no_pass_over_a_rule_recording_0(self, evaluate):
        # The rule's `sum by (code) (...) or vector(0)` records 0 while the service burns 50x. Before: PASS "no page
        # tier fires: worst is page tier 1h/5m at 0x (limit 14.4x); budget remaining 100% over 30d".
        result = await evaluate("ebr-sloth-slby-sum-errors")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slby"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API '
        ), result.reason
        assert "a burning service read as clean" in result.reason, result.reason

    async def test_errors_query_not_the_slos_holds_no_budget_gate_over_errors_at_0_left_out(self, evaluate):
        # Before: PASS "budget remaining 100% over 30d": no ratio recorded, sloth.errors_query at 0 matching its total.
        result = await evaluate("ebr-sloth-slnp-sum-errors-gate")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert 'its error side answers 0 over 1h in {code="500"}' in result.reason, result.reason
        assert "the budget remaining cannot be told from slo:sli_error:ratio_rate30d" in result.reason, result.reason

    async def test_errors_at_0_a_rule_that_records_nothing_leaves_out_fail_a_budget_gate(self, evaluate):
        # Before: PASS "budget remaining 100%": every window and the period absent, read as no error series.
        result = await evaluate("ebr-sloth-slnp-gate")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-slnp"}: sloth.errors_query counts 0 errors/s over 1h in {code="500"}'
        ), result.reason
        assert "the budget remaining cannot be told from slo:sli_error:ratio_rate30d" in result.reason, result.reason

    async def test_a_label_less_0_no_total_matches_fails_a_budget_gate(self, evaluate):
        # No fallback in sloth.errors_query: its label-less series is its own sum, left out whenever it counts. Before:
        # PASS "budget remaining 100%" (a label-less 0 read as vector(0)'s, which counts no error).
        result = await evaluate("ebr-sloth-sllb-gate")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-sllb"}: sloth.errors_query counts 0 errors/s over 1h in {}, whose labels '
            "no series of sloth.total_query carries"
        ), result.reason

    async def test_a_label_less_0_of_errors_that_carry_no_label_fails_a_budget_gate(self, evaluate):
        # `sum(...) or vector(0)`: fallback or not, its series is label-less whenever it counts. Before: PASS "budget
        # remaining 100%" (the label-less 0 read as vector(0)'s).
        result = await evaluate("ebr-sloth-sllb-vector-gate")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-sllb"}: sloth.errors_query counts 0 errors/s over 1h in {}, whose labels '
            "no series of sloth.total_query carries"
        ), result.reason

    async def test_errors_at_0_a_rule_that_records_nothing_leaves_out_hold_a_tier_pass(self, evaluate):
        # Without a gate every window counts no error now: zero errors is what the raw counters say.
        result = await evaluate("ebr-sloth-slnp")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason

    async def test_ratio_rules_dividing_alike_hold_the_pass(self, evaluate):
        result = await evaluate("ebr-sloth-spent-no-total-page")
        assert result.verdict is Outcome.PASS, result.reason
        assert result.details["rules_divided"] == {"checked": ["1h", "5m", "6h", "30m", "1d", "2h", "3d"], "unread": {}}


class TestRenamedLabel:
    """An errors selector's label that none of the total's series carries now counts none of their errors: the
    metric's other series (the stable pods') carrying it proves nothing of the canary's."""

    async def test_a_label_the_canarys_series_lack_is_a_misconfigured_check(self, evaluate):
        # Before: PASS "no page tier fires: worst is page tier 1h/5m at 0x" while the canary fails 5% (50x).
        result = await evaluate("eb-renamed", canary_hash="renamed1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'ratio.errors selector eb_requests_total{service="eb-renamed", rollouts_pod_template_hash="renamed1", '
            'code=~"5.."}: label code is on none of the series ratio.total selector eb_requests_total{'
            'service="eb-renamed", rollouts_pod_template_hash="renamed1"} selects now, so it counts none of their '
            "errors and reads zero errors whatever they fail (a label renamed by a release, code to another name"
        ), result.reason

    async def test_series_that_carry_it_are_judged(self, evaluate):
        result = await evaluate("eb-renamed", canary_hash="stable1")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason

    async def test_no_series_at_all_is_no_data(self, evaluate):
        result = await evaluate("eb-renamed", canary_hash="absent1")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason

    async def test_a_label_only_failures_carry_is_no_rename_on_a_canary_that_never_failed(self, evaluate):
        # The service's other series (the stable pods' successes) lack it too. Before: ERROR check_misconfigured "label
        # error is on none of the series ratio.total selector ... selects now": a healthy canary's release blocked.
        result = await evaluate("eb-errlabel", canary_hash="healthy3")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason

    async def test_a_label_only_failures_carry_counts_a_failing_canarys(self, evaluate):
        result = await evaluate("eb-errlabel", canary_hash="failing3")
        assert result.verdict is Outcome.FAIL, result.reason
        assert windows(result)["1h"]["burn_rate"] == pytest.approx(50, rel=1e-6)


class TestSlothPeriodUnrecorded:
    """Sloth's period ratio averages what its 5m ratio recorded: absent beside a 5m ratio recorded within the period,
    it did not record, and zero errors is not what it would say."""

    async def test_a_5m_ratio_recorded_within_the_period_leaves_the_budget_unknown(self, evaluate):
        # Errors (5%) until two hours ago, from pods replaced since; no tier window holds them. Before: PASS "budget
        # remaining 100% over 30d" ("no error series over 30d, zero errors").
        result = await evaluate("ebr-sloth-slgone-gate")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert result.reason.startswith(
            "budget remaining is unknown: no Sloth ratio_rate30d series although slo:sli_error:ratio_rate5m recorded "
        ), result.reason
        assert "within 30d: Sloth's period rule, their average, did not record" in result.reason, result.reason
        assert result.details["budget"]["remaining"] is None

    async def test_without_a_gate_the_tiers_pass_on_their_windows(self, evaluate):
        result = await evaluate("ebr-sloth-slgone")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert result.details["budget"]["remaining"] is None

    async def test_without_a_total_the_absent_period_is_unknown(self, evaluate):
        # No count of ratio_rate5m is asked: no window tells traffic either, so nothing reads the absence as zero.
        result = await evaluate("ebr-sloth-slgone-no-total-gate")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert result.reason == (
            "budget remaining is unknown: no data (no Sloth ratio_rate30d series; without sloth.total_query zero "
            "errors cannot be told from no traffic) (no_data policy: inconclusive)"
        )
        assert result.details["budget"]["remaining"] is None

    async def test_no_5m_ratio_within_the_period_is_zero_errors(self, evaluate):
        result = await evaluate("ebr-sloth-clean-gate")
        assert result.verdict is Outcome.PASS, result.reason
        assert result.details["budget"]["remaining"] == 1.0


class TestSlothPeriodCount:
    """Sloth's count of ratio_rate5m samples over the period goes to Prometheus after the batch, and only when the
    batch answered no period ratio; the verdicts are those it gave riding in the batch."""

    @staticmethod
    async def evaluate_asking(catalog, prometheus, name):
        """The check's verdict and every query its source sent."""
        asked = []

        class Prometheus(PrometheusSource):
            async def query(self, promql, at, timeout_s, **kwargs):
                asked.append(promql)
                return await super().query(promql, at, timeout_s, **kwargs)

        sources = Sources(catalog.sources, make_prometheus=lambda source, config: Prometheus(source, config))
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            return await runner.evaluate(catalog.get(name), {}, at), asked
        finally:
            await sources.aclose()

    @staticmethod
    def counts_5m(query):
        return "count_over_time(slo:sli_error:ratio_rate5m" in query

    async def test_a_recorded_period_ratio_sends_no_count(self, catalog, prometheus):
        # Before: the batch carried sum(count_over_time(slo:sli_error:ratio_rate5m{...}[30d])) in every evaluation.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-sloth-slbp-errors")
        assert result.verdict is Outcome.PASS and result.details["budget"]["remaining"] == 1.0, result.reason
        assert len(asked) == 1 and not self.counts_5m(asked[0]), asked
        assert not any(self.counts_5m(query) for query in result.details["queries"])

    @pytest.mark.parametrize(
        ("name", "verdict", "remaining"),
        [
            ("ebr-sloth-slgone-gate", Outcome.INCONCLUSIVE, None),
            ("ebr-sloth-clean-gate", Outcome.PASS, 1.0),
        ],
    )
    async def test_an_absent_period_ratio_sends_the_count_after_the_batch(
        self, catalog, prometheus, name, verdict, remaining
    ):
        result, asked = await self.evaluate_asking(catalog, prometheus, name)
        assert result.verdict is verdict and result.details["budget"]["remaining"] == remaining, result.reason
        assert len(asked) == 2 and not self.counts_5m(asked[0]) and self.counts_5m(asked[1]), asked
        assert result.details["sent_queries"] == asked


class TestRecordedZeroErrors:
    """Rules generated as Pyrra and Sloth generate them record no ratio for a service without error series;
    with the SLO's total counting traffic that is zero errors, as the raw counters say (99.9%: budget 0.001)."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-clean", "ebr-sloth-clean", "ebr-raw-clean"])
    async def test_a_service_that_never_errored_passes_at_burn_0(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS and result.value == 0
        five = windows(result)["5m"]
        assert five["error_ratio"] == 0 and five["events"] == pytest.approx(3000)  # 10 req/s over 5m

    async def test_details_say_where_the_traffic_comes_from(self, evaluate):
        pyrra = await evaluate("ebr-pyrra-clean")
        assert pyrra.details["traffic"] == "pyrra.total (the SLO's total metric)"
        assert windows(pyrra)["1h"]["note"] == (
            "no Pyrra burnrate1h series while pyrra.total counts traffic and "
            "pyrra.errors counts none: zero errors (the rule records no ratio "
            "without an error series)"
        )
        assert 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[1h]))' in pyrra.details["queries"]
        sloth = await evaluate("ebr-sloth-clean")
        assert sloth.details["traffic"] == "sloth.total_query (the SLI's total query)"
        assert windows(sloth)["3d"]["note"].startswith("no Sloth ratio_rate3d series while sloth.total_query counts")

    async def test_the_sloth_period_without_a_series_is_zero_errors_too(self, evaluate):
        # No window recorded a ratio, so neither did the 5m rule the 30d one averages: the budget is untouched.
        result = await evaluate("ebr-sloth-clean")
        assert result.details["budget"]["remaining"] == 1.0
        assert result.details["budget"]["note"].startswith("no Sloth ratio_rate30d series; nor any window's")

    @pytest.mark.parametrize("name", ["ebr-pyrra-clean-no-total", "ebr-sloth-clean-no-total"])
    async def test_without_a_total_an_absent_ratio_stays_no_data(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE
        assert "zero errors cannot be told from no traffic" in result.reason
        assert result.details["traffic"].startswith("none: without")

    @pytest.mark.parametrize("name", ["ebr-pyrra-idle", "ebr-sloth-idle", "ebr-raw-idle"])
    async def test_no_traffic_is_still_inconclusive(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE
        assert "no traffic over 5m" in result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-burn", "ebr-sloth-burn", "ebr-raw-burn"])
    async def test_a_burning_service_still_fails(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50, rel=1e-6)  # 5% errors

    @pytest.mark.parametrize("name", ["ebr-pyrra-past", "ebr-sloth-past", "ebr-raw-past"])
    async def test_errors_whose_series_ended_leave_the_short_windows_at_zero(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS
        assert windows(result)["5m"]["error_ratio"] == 0 and windows(result)["1h"]["error_ratio"] == 0
        assert windows(result)["6h"]["error_ratio"] > 0

    @pytest.mark.parametrize(
        "name",
        ["ebr-pyrra-tiny", "ebr-sloth-tiny", "ebr-raw-tiny", "ebr-raw-tiny-increase", "ebr-sloth-tiny-increase"],
    )
    async def test_a_tiny_canary_pauses_instead_of_failing(self, evaluate, name):
        # 3 requests per 5m, one failing: 333x over every window, but 5m and 30m count fewer than 30 events.
        # A total written with increase() counts the events itself: not multiplied by the window again.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE
        assert windows(result)["5m"]["events"] == pytest.approx(3)
        assert "too few events over 5m: 3 (1 bad), below min_events_per_window 30" in windows(result)["5m"]["note"]

    async def test_the_same_canary_fails_without_the_minimum(self, evaluate):
        result = await evaluate("ebr-pyrra-tiny-no-minimum")
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(1000 / 3, rel=1e-6)


class TestPyrraLatencyStopped:
    """A Pyrra latency SLO records its burnrate, (count - success bucket) / count, whenever its histogram has series:
    a window without one while pyrra.total (the _count) counts traffic is a stopped rule group, no data (5% slow)."""

    async def test_a_slow_service_whose_burnrate_group_stopped_is_no_data(self, evaluate):
        # Before: every window read as zero errors, a pass at 0x while 5% of requests were slow (50x).
        result = await evaluate("ebr-pyrra-lat-stopped")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        rule = 'ebr_http_request_duration_seconds:burnrate5m{slo="ebr-lat-stopped", job="ebr-lat-stopped"}'
        assert f"no {rule} series although pyrra.total counts traffic" in result.reason
        five = windows(result)["5m"]
        assert five["error_ratio"] is None and "its rule group stopped evaluating" in five["note"]

    async def test_the_no_data_policy_decides(self, evaluate):
        result = await evaluate("ebr-pyrra-lat-stopped-no-data-fail")
        assert result.verdict is Outcome.FAIL and "no data (no ebr_http_request_duration_seconds" in result.reason

    async def test_a_running_group_is_still_judged(self, evaluate):
        slow = await evaluate("ebr-pyrra-lat-slow")
        assert slow.verdict is Outcome.FAIL and slow.value == pytest.approx(50, rel=1e-6)
        fast = await evaluate("ebr-pyrra-lat-fast")
        assert fast.verdict is Outcome.PASS and fast.value == 0, fast.reason


class TestPyrraInfBucketRules:
    """A Pyrra SLO whose total is the +Inf bucket, read from the rules Pyrra writes for it (le="+Inf" on every one),
    is no data while its burnrates record nothing, as the checks over the _count SLO's rules are."""

    @pytest.mark.parametrize(
        "name",
        [
            "ebr-pyrra-lat-stopped-inf-rules",
            "ebr-pyrra-lat-stopped-inf-rules-undeclared",
            "ebr-pyrra-lat-prom3-inf-rules-undeclared",
        ],
    )
    async def test_a_latency_slo_without_burnrates_is_no_data(self, evaluate, name):
        # The fixtures of ebr-pyrra-lat-*-inf* read a _count SLO's rules (no le on the total's increase rule), which
        # Pyrra writes for no SLO whose total is the +Inf bucket: these read the rules it writes, each with le="+Inf"
        # (the total's matcher: not another SLO's), and hold the verdict: no data, 5% of requests slow.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert windows(result)["5m"]["error_ratio"] is None, note
        assert note.startswith("no data (no ebr_http_request_duration_seconds_bucket:burnrate5m{"), note

    @pytest.mark.parametrize(
        "name", ["ebr-pyrra-lat-stopped-inf-rules-undeclared", "ebr-pyrra-lat-prom3-inf-rules-undeclared"]
    )
    async def test_the_totals_le_on_every_rule_is_not_read_as_a_success_rules(self, evaluate, name):
        # Every rule carries the total's le="+Inf", a ratio SLO's too: the note says what a ratio SLO writes. Before:
        # "its success increase rule has an le ... its rule group stopped", also for ebr-lat-prom3-inf, whose burnrate
        # group runs and records nothing (its success bucket matches no series).
        result = await evaluate(name)
        note = windows(result)["5m"]["note"]
        assert 'an increase rule of the SLO has an le, which may be pyrra.total\'s le="+Inf"' in note, note
        assert "or whose success bucket matches no series; set pyrra.errors" in note, note


class TestPyrraRatioOnCount:
    """A Pyrra SLO whose total is a _count, checked without pyrra.errors nor pyrra.indicator, is told by its
    increase rule: a ratio SLO's has no le, so its service without error series records no burnrate, zero errors;
    a latency SLO's success rule has one, so its stopped burnrate group is no data."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-cnt-clean", "ebr-pyrra-cnt-clean-ratio"])
    async def test_a_service_without_errors_passes(self, evaluate, name):
        # Before: read as a latency SLO whose burnrate group stopped, inconclusive at every evaluation.
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert windows(result)["5m"]["error_ratio"] == 0

    @pytest.mark.parametrize(
        ("name", "said"),
        [
            ("ebr-pyrra-lat-stopped-undeclared", "its success increase rule has an le"),
            ("ebr-pyrra-lat-stopped-inf-undeclared", "an increase rule of the SLO has an le, which may be pyrra.total"),
        ],
    )
    async def test_a_latency_slo_is_told_by_its_le(self, evaluate, name, said):
        # ebr-pyrra-lat-stopped-inf-undeclared, whose total is the +Inf bucket. Before: read as a ratio SLO, every
        # window zero errors, a pass while 5% of requests were slow (50x) and the burnrate group stopped.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert said in windows(result)["5m"]["note"]

    @pytest.mark.parametrize("name", ["ebr-pyrra-lat-prom3-undeclared", "ebr-pyrra-lat-prom3-inf-undeclared"])
    async def test_a_latency_slo_whose_success_matches_nothing_is_no_data(self, evaluate, name):
        # Its burnrates and success increase rule record nothing (le="1" where Prometheus 3 writes 1.0), only its
        # total's increase rule, without le, as a ratio SLO's. Before: read as a ratio SLO, every window zero errors,
        # a pass while 5% of requests were slow (50x). ebr-pyrra-lat-prom3-inf-undeclared: its total is the +Inf
        # bucket, the buckets beside it are its own series.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert "a latency SLO whose success bucket matches no series" in note, note
        assert "set indicator: ratio" in note, note

    async def test_a_declared_ratio_slo_without_an_le_is_believed(self, evaluate):
        # What the note above advises for a ratio SLO: no increase rule has an le, so `indicator: ratio` stands and a
        # window without a burnrate series reads as zero errors (here a pass; the data is ebr-lat-prom3's).
        result = await evaluate("ebr-pyrra-lat-prom3-as-ratio")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert windows(result)["5m"]["error_ratio"] == 0

    async def test_a_latency_slo_declared_a_ratio_slo_is_told_by_its_le(self, evaluate):
        # Before: `indicator: ratio` was believed, every window zero errors, a pass while 5% of requests were slow
        # (50x) and the burnrate group stopped.
        result = await evaluate("ebr-pyrra-lat-stopped-as-ratio")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert "indicator: ratio, but its success increase rule has an le: a Pyrra latency SLO" in note, note

    @pytest.mark.parametrize(
        ("name", "said"),
        [
            ("ebr-pyrra-lat-perf-stopped-as-ratio", "indicator: ratio, but its success increase rule has an le"),
            ("ebr-pyrra-lat-perf-stopped-undeclared", "its success increase rule has an le"),
        ],
    )
    async def test_a_performance_latency_slo_is_told_by_its_5m_increase_rule(self, evaluate, name, said):
        # performanceOverAccuracy records the increase rules over 28d elsewhere (Thanos Ruler): here only the 5m ones
        # tell the le. Unread, `indicator: ratio` was believed with no rule to tell, zero errors at a 50x burn.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert said in note, note

    async def test_a_success_rule_named_after_another_metric_tells_a_latency_slo(self, evaluate):
        # Its total is a summary's _count (no buckets beside it), its success another histogram's bucket: Pyrra names
        # each increase rule after its own metric. Before: only rules named after pyrra.metric were asked for an le,
        # none had one, and every window read as zero errors, a pass while 5% of requests were slow (50x) and the
        # burnrate group stopped.
        result = await evaluate("ebr-pyrra-lat-split-undeclared")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert "its success increase rule has an le" in note, note

    @pytest.mark.parametrize(
        ("name", "said"),
        [
            ("ebr-pyrra-lat-counter-undeclared", "its success increase rule has an le: a Pyrra latency SLO"),
            ("ebr-pyrra-lat-counter-as-ratio", "indicator: ratio, but its success increase rule has an le"),
            ("ebr-pyrra-lat-counter", "indicator: latency, a Pyrra latency SLO"),
        ],
    )
    async def test_a_latency_slo_whose_total_is_a_counter_is_told_by_its_le(self, evaluate, name, said):
        # Its total is a counter's _total (Pyrra warns of it, and generates the rules). Before, without indicator
        # latency: read as a ratio SLO, every window zero errors, a pass while 5% of requests were slow (50x) and the
        # burnrate group stopped.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert said in note, note

    @pytest.mark.parametrize("name", ["ebr-pyrra-lat-stopped", "ebr-pyrra-lat-stopped-inf"])
    async def test_a_declared_latency_slo_is_no_data_by_its_indicator(self, evaluate, name):
        # ebr-pyrra-lat-stopped-inf: its total is the +Inf bucket, no _count. Before (no indicator to say so): every
        # window read as zero errors, a pass while 5% of requests were slow (50x) and the burnrate group stopped.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "indicator: latency, a Pyrra latency SLO" in windows(result)["5m"]["note"]


LIVE = "live_duration_seconds"
LIVE_TOTAL, LIVE_SUCCESS = f'{LIVE}_count{{job="live"}}', f'{LIVE}_bucket{{job="live",le="1"}}'
# Pyrra's rule groups for latency SLO live-slo whose success names le="1" where the histogram writes 1.0 (as
# ebr-lat-prom3's): its burnrates and success increase rule record nothing, its total's increase rule records.
LIVE_RULES = (
    "groups:\n- name: live-slo\n  interval: 1s\n  rules:\n"
    + "".join(
        f"  - record: {LIVE}:burnrate{window}\n"
        f"    expr: (sum(rate({LIVE_TOTAL}[{window}])) - sum(rate({LIVE_SUCCESS}[{window}]))) / "
        f"sum(rate({LIVE_TOTAL}[{window}]))\n    labels: {{job: live, slo: live-slo}}\n"
        for window in PYRRA_WINDOWS
    )
    + "- name: live-slo-increase\n  interval: 1s\n  rules:\n"
    f"  - record: {LIVE}:increase4w\n    expr: sum(increase({LIVE_TOTAL}[4w]))\n"
    "    labels: {job: live, slo: live-slo, le: ''}\n"
    f"  - record: {LIVE}:increase4w\n    expr: sum(increase({LIVE_SUCCESS}[4w]))\n"
    "    labels: {job: live, slo: live-slo, le: '1'}\n"
)
# Bounds on the waits for the live Prometheus: each poll is one instant query.
LIVE_WAIT_S, LIVE_POLL_S = 20.0, 0.2


class TestPyrraLatencyHistogramStopped:
    """A Pyrra latency SLO whose success bucket matches no series, read without indicator, stays no data in the
    minutes after its histogram stopped, when the scrape's staleness markers have hidden its buckets from an instant
    query while pyrra.total still counts the traffic of the window (a real Prometheus scraping a histogram that
    disappears: backfilled data has no staleness markers)."""

    @pytest.fixture
    async def live(self, aiohttp_server, tmp_path):
        """A histogram served on 127.0.0.1 until `serving` is cleared, a Prometheus scraping it every second with
        the SLO's rules, and a runner for the check reading them."""
        state = {"scrapes": 0, "serving": True}

        async def metrics(request: web.Request) -> web.Response:
            state["scrapes"] += 1
            if not state["serving"]:
                return web.Response(text="", content_type="text/plain")
            n = 10 * state["scrapes"]
            body = f'# TYPE {LIVE} histogram\n{LIVE}_bucket{{le="1.0"}} {n}\n{LIVE}_bucket{{le="+Inf"}} {n}\n'
            return web.Response(text=f"{body}{LIVE}_sum {n}\n{LIVE}_count {n}\n", content_type="text/plain")

        app = web.Application()
        app.router.add_get("/metrics", metrics)
        exporter = await aiohttp_server(app, host="127.0.0.1")
        rules = tmp_path / "rules.yml"
        rules.write_text(LIVE_RULES)
        config = (
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
            f"rule_files: [{rules}]\n"
            f"scrape_configs:\n- job_name: live\n  static_configs:\n  - targets: ['127.0.0.1:{exporter.port}']\n"
        )
        process = PrometheusProcess(tmp_path / "tsdb", config=config)
        check = pyrra_latency_check("x", name="live", metric=LIVE, indicator=None)
        check["pyrra"] |= {"slo": "live-slo", "selectors": 'job="live"', "total": LIVE_TOTAL}
        catalog = build_catalog(
            [("live", {"sources": {"default": {"type": "prometheus", "url": process.url}}, "checks": [check]})],
            Registry([ErrorBudgetCheck]),
        )
        sources = Sources(catalog.sources)
        runner = Runner(catalog, sources, Metrics(), 8.0)
        try:
            # In a thread: the loop goes on serving the scrapes while it starts. Inside the try: a catalog that
            # fails to build no longer leaves a Prometheus running, and its sources are closed whatever fails.
            await asyncio.to_thread(process.start)
            yield (
                state,
                sources.prometheus("default"),
                lambda: runner.evaluate(catalog.get("live"), {}, datetime.now(UTC)),
            )
        finally:
            await sources.aclose()
            await asyncio.to_thread(process.stop)

    @staticmethod
    async def until(source, query, *, answered):
        """Poll `query` until it answers series (`answered`) or none; bounded in time, then the test fails."""
        deadline = asyncio.get_running_loop().time() + LIVE_WAIT_S
        while bool((await source.query(query, datetime.now(UTC), 5.0)).series) is not answered:
            assert asyncio.get_running_loop().time() < deadline, f"{query} did not {'answer' if answered else 'stop'}"
            await asyncio.sleep(LIVE_POLL_S)

    async def test_a_histogram_just_stopped_is_no_data(self, live):
        # Before: a pass at 0x for up to 5 minutes after the histogram stopped: count() of its buckets honours the
        # staleness markers, so the total (counting the window's traffic) looked like a ratio SLO's without buckets.
        state, source, evaluate = live
        await self.until(
            source,
            f'count({LIVE}:increase4w{{slo="live-slo"}}) and on() sum(rate({LIVE_TOTAL}[5m])) > 0',
            answered=True,
        )
        result = await evaluate()
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "a latency SLO whose success bucket matches no series" in windows(result)["5m"]["note"]
        state["serving"] = False
        await self.until(source, f"count({LIVE}_bucket)", answered=False)
        result = await evaluate()
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "a latency SLO whose success bucket matches no series" in windows(result)["5m"]["note"]


class TestCountedSamples:
    """A total written with count_over_time() counts its window's samples, as increase() counts events: the count
    itself, not a rate to multiply by the window's seconds (which held 6 samples for 1800 events)."""

    @pytest.mark.parametrize("name", ["ebr-sloth-clean-samples", "ebr-raw-clean-samples"])
    async def test_a_handful_of_samples_cannot_judge(self, evaluate, name):
        # ebr-clean is sampled once a minute: its 5m window counts about 5 samples, below 30; it passed at 0x.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        five = windows(result)["5m"]
        assert five["events"] <= 6 and "below min_events_per_window 30" in five["note"]
        assert windows(result)["1h"]["events"] <= 61 and windows(result)["1h"]["error_ratio"] == 0


class TestCommentedTemplates:
    """A template ending in a PromQL comment (`# ...`) is measured as it would be alone, in the batch too."""

    async def test_a_comment_does_not_swallow_the_rest_of_the_batch(self, evaluate):
        result = await evaluate("eb-search-commented")
        assert result.verdict is Outcome.PASS, result.reason
        assert result.details["budget"]["remaining"] == pytest.approx(0.8, rel=1e-6)  # 0.02% of 0.1%
        assert len(result.details["sent_queries"]) == 1


class TestSlothPeriod:
    """Sloth records the SLO's period (slo:time_period:days) beside its rules: a check whose period differs reads
    a period ratio Sloth does not record, and scales its default tiers to the wrong period."""

    @pytest.mark.parametrize("name", ["ebr-sloth-clean-28d-gate", "ebr-sloth-clean-4w"])
    async def test_a_check_whose_period_is_not_the_slos_is_misconfigured(self, evaluate, name):
        # The 28d check read the absent ratio_rate4w as zero errors and passed its budget gate.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Sloth SLO {sloth_id="ebr-sloth-clean"} has a period of 30d (slo:time_period:days 30), not the '
            "check's period "
        )
        assert "set period: 30d" in result.reason

    async def test_a_check_with_the_slos_period_is_judged(self, evaluate):
        result = await evaluate("ebr-sloth-clean")
        assert result.verdict is Outcome.PASS
        assert 'slo:time_period:days{sloth_id="ebr-sloth-clean"}' in result.details["queries"]


class TestPyrraPerformanceMode:
    """An SLO with performanceOverAccuracy whose -long rule group (the increase rule over the SLO window) runs on
    another Prometheus (Thanos Ruler, as Pyrra's docs route it): its 5m increase rule proves the rules are loaded
    and, with --generic-rules, pyrra_window proves the window; without --generic-rules the window cannot be told."""

    @pytest.mark.parametrize(
        ("name", "verdict"),
        [
            # Before: error (check_misconfigured, "no recording rule ... has a series") for a canary without errors.
            ("ebr-pyrra-perf-clean", Outcome.PASS),
            ("ebr-pyrra-perf-clean-no-total", Outcome.INCONCLUSIVE),
            ("ebr-pyrra-perf-burn", Outcome.FAIL),
            ("ebr-pyrra-perf-burn-no-total", Outcome.FAIL),
        ],
    )
    async def test_with_generic_rules_it_is_judged_as_any_pyrra_slo(self, evaluate, name, verdict):
        result = await evaluate(name)
        assert result.verdict is verdict, result.reason

    async def test_a_period_that_is_not_the_window_is_still_misconfigured(self, evaluate):
        result = await evaluate("ebr-pyrra-perf-burn-7d")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert "has a window of 28d (pyrra_window 2419200), not the check's period 7d" in result.reason

    @pytest.mark.parametrize(
        ("name", "shown"),
        [
            ("ebr-pyrra-perf-nogeneric-clean", "no recording rule of Pyrra SLO"),
            ("ebr-pyrra-perf-nogeneric-clean-no-total", "no recording rule of Pyrra SLO"),
            ("ebr-pyrra-perf-nogeneric-burn", "records no ebr_http_requests:increase4w"),
        ],
    )
    async def test_without_generic_rules_the_window_cannot_be_told(self, evaluate, name, shown):
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert shown in result.reason
        assert "an SLO with performanceOverAccuracy records that rule in its -long rule group" in result.reason


class TestPyrraWindow:
    """Pyrra names its burnrate rules after the SLO window (a 28d SLO records burnrate1h, a 7d one burnrate15m): a
    check whose period is not the SLO's window reads windows Pyrra does not record, as zero errors."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-burn-7d-accepted", "ebr-pyrra-burn-30d", "ebr-pyrra-past-30d"])
    async def test_a_check_whose_period_is_not_the_slos_window_is_misconfigured(self, evaluate, name):
        # The 7d check read the absent burnrate15m and burnrate1m as zero errors and passed ebr-burn's 50x burn.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        period = name.split("-")[3]
        assert result.reason.startswith(
            f'Pyrra SLO {{slo="ebr-{name.split("-")[2]}"}} has a window of 28d (pyrra_window 2419200), not the '
            f"check's period {period}: Pyrra names its burnrate rules after the SLO window (burnrate1h for 28d, "
            f"burnrate{'15m' if period == '7d' else '1h4m'} for {period})"
        ), result.reason
        assert result.reason.endswith("set period: 28d")

    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            ("ebr-pyrra-burn-7d-no-generic", 'ebr_http_requests:increase1w{slo="ebr-burn", job="ebr-burn"}'),
            ("ebr-pyrra-burn-30d-any-metric", '{__name__=~".+:increase30d", slo="ebr-burn", job="ebr-burn"}'),
        ],
    )
    async def test_without_pyrra_window_the_increase_rule_over_the_period_is_missed(self, evaluate, name, rule):
        # Without --generic-rules: the total has series, so Pyrra's increase rule over the SLO window has too.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            f'Pyrra SLO {{slo="ebr-burn"}} records no {rule} while pyrra.total has series: the SLO\'s window '
            "(spec.window) is not the check's period"
        ), result.reason
        assert result.reason.endswith("set period to the SLO's window")

    async def test_a_service_without_error_series_is_told_to_check_the_period_too(self, evaluate):
        # No burnrate series, no increase rule over 7d: the rules' existence probe answers first, and named the
        # SLO's name, metric and selectors, not the period that was wrong.
        result = await evaluate("ebr-pyrra-clean-7d-no-generic")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert "that period 7d is the SLO's window (Pyrra names its rules after it)" in result.reason, result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-burn", "ebr-pyrra-burn-no-generic"])
    async def test_a_check_with_the_slos_window_is_judged(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50, rel=1e-6), result.reason

    async def test_the_recorded_window_excuses_an_absent_increase_rule(self, evaluate):
        # pyrra_window 2419200 is the check's 28d, so the burnrate rules are the check's windows: the check judges
        # them (ebr-burn's 50x) rather than refuse for the increase rule, which it does not read.
        result = await evaluate("ebr-pyrra-burn-increase-absent")
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50, rel=1e-6), result.reason
        assert 'ebr_http_requests:increase4w{slo="ebr-burn", job="ebr-burn", code=""}' in result.details["queries"]


class TestSloObjective:
    """Sloth records the SLO's objective (slo:objective:ratio), Pyrra with --generic-rules too (pyrra_objective): a
    check whose objective differs judges burn against another budget than the SLO's own alerts."""

    @pytest.mark.parametrize(
        ("name", "recorded"),
        [
            (
                "ebr-sloth-burn-99",
                'Sloth SLO {sloth_id="ebr-sloth-burn"} has an objective of 99.9% (slo:objective:ratio',
            ),
            ("ebr-pyrra-burn-99", 'Pyrra SLO {slo="ebr-burn"} has an objective of 99.9% (pyrra_objective'),
        ],
    )
    async def test_a_check_whose_objective_is_not_the_slos_is_misconfigured(self, evaluate, name, recorded):
        # 5% errors at the check's 99% burn 5x: it passed while the SLO's own 99.9% alerts fire at 50x.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(recorded), result.reason
        assert "not the check's objective 99%" in result.reason and "set objective: 99.9" in result.reason

    @pytest.mark.parametrize("name", ["ebr-sloth-burn", "ebr-pyrra-burn", "ebr-pyrra-burn-99-noise"])
    async def test_a_check_with_the_slos_objective_is_judged(self, evaluate, name):
        # Pyrra and Sloth record 99.9 / 100 as 0.9990000000000001: float noise, not another objective.
        result = await evaluate(name)
        assert result.verdict is Outcome.FAIL, result.reason


class TestStoppedRuleGroup:
    """A ratio rule group that stopped evaluating (here: not in the rule file) while the group the existence
    probe reads still records leaves every window absent; with the raw errors configured, a window whose errors
    count some is no data, never zero errors (ebr-stopped: 5% errors)."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-stopped", "ebr-sloth-stopped", "ebr-sloth-stopped-gate"])
    async def test_an_erring_service_whose_ratio_rules_stopped_is_inconclusive(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE
        five = windows(result)["5m"]
        assert five["error_ratio"] is None and five["errors"] == pytest.approx(0.5)
        assert "counted 0.5 errors/s over 5m: the tool's ratio rule did not record" in five["note"]

    @pytest.mark.parametrize("name", ["ebr-pyrra-stopped-no-data-pass", "ebr-sloth-stopped-no-data-pass"])
    async def test_no_data_pass_does_not_cover_errors_the_raw_counters_count(self, evaluate, name):
        # The raw counters measure 5% errors (50x) where the rule did not record: evidence, not an absence.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        factor = 7 if "pyrra" in name else 6  # the tier furthest above its factor is named: 6h/30m
        assert result.reason.startswith("page tier 6h/30m cannot judge")
        assert f"window burns 50x (limit {factor}x): it may be firing unseen; so may 1h/5m" in result.reason

    async def test_the_sloth_period_is_not_read_as_zero_errors(self, evaluate):
        result = await evaluate("ebr-sloth-stopped-gate")
        assert result.details["budget"]["error_ratio"] is None and result.details["budget"]["remaining"] is None

    @pytest.mark.parametrize("name", ["ebr-pyrra-clean", "ebr-sloth-clean"])
    async def test_a_clean_service_with_its_errors_configured_still_passes(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS and result.value == 0
        assert "counts none: zero errors" in windows(result)["5m"]["note"]

    @pytest.mark.parametrize("name", ["ebr-pyrra-stopped-no-errors-no-generic", "ebr-sloth-stopped-no-errors"])
    async def test_without_the_errors_field_a_stopped_group_reads_as_zero_errors(self, evaluate, catalog, name):
        # The limitation `analyzer validate` warns about: nothing in the rules tells this from a clean service.
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS
        assert any("cannot be told from a stopped rule group" in w for w in catalog.get(name).warnings())

    @pytest.mark.parametrize("name", ["ebr-pyrra-errors-typo", "ebr-sloth-errors-typo"])
    async def test_a_misspelled_errors_metric_is_an_error(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and "ebr_http_request_total" in result.reason


class TestPyrraGenericErrors:
    """Without pyrra.errors, Pyrra's --generic-rules record of the last 5 minutes' errors (pyrra_errors:rate5m, in the
    group that records pyrra_window) tells a burnrate group that is gone from a service without error series: an
    absent burnrate window of 5 minutes or more is no data while it counts errors (ebr-stopped: 5% errors, 50x)."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-perf-stopped-no-errors", "ebr-pyrra-stopped-no-errors"])
    async def test_a_gone_burnrate_group_is_no_pass(self, evaluate, name):
        # Before: pass at 0x, every window read as zero errors (ebr-perf-stopped: only its 5m increase rule and its
        # generic group record, the 5m rule and pyrra_window proving the rules and the window).
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert result.reason.startswith("page tier 1h/5m cannot judge"), result.reason
        assert "while its 5m window burns 50x (limit 14x): it may be firing unseen" in result.reason
        five, hour = windows(result)["5m"], windows(result)["1h"]
        assert five["error_ratio"] is None and five["errors"] == pytest.approx(0.5)
        assert "although pyrra_errors:rate5m (--generic-rules) counted 0.5 errors/s over 5m" in five["note"]
        assert hour["error_ratio"] is None
        assert hour["note"].startswith(
            "no data (no Pyrra burnrate1h series although pyrra_errors:rate5m (--generic-rules) counted up to 0.5 "
            "errors/s over 5 minutes within 1h: Pyrra's burnrate rule group stopped evaluating"
        )
        # Those 5 minutes' 150 errors lie within 1h: at least 150 / 3600 errors/s (docs/kinds/error-budget.md).
        assert hour["note"].endswith("no evidence of zero errors; at least 0.0416667 errors/s over 1h)")
        slo = name.removeprefix("ebr-pyrra-").removesuffix("-no-errors")
        assert f'pyrra_errors:rate5m{{slo="ebr-{slo}"}}' in result.details["queries"]

    async def test_errors_that_ended_before_the_last_5_minutes_are_seen_too(self, evaluate):
        # ebr-ended's error series ended 20 minutes ago (5% errors before): its 5m window has none, its 30m and longer
        # ones hold them (6h/30m burns 50x and 17x), and pyrra_errors:rate5m counted them over earlier 5 minutes.
        # Before: the 30m and longer windows read as zero errors, a pass at 0x.
        result = await evaluate("ebr-pyrra-perf-ended-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        by_window = windows(result)
        assert by_window["5m"]["error_ratio"] == 0
        assert "and pyrra_errors:rate5m (--generic-rules) counts none: zero errors" in by_window["5m"]["note"]
        for window in ("30m", "1h", "6h"):
            assert by_window[window]["error_ratio"] is None, window
            assert (
                "although pyrra_errors:rate5m (--generic-rules) counted up to 0.5 errors/s over 5 minutes within "
                f"{window}" in by_window[window]["note"]
            )
        assert 'max_over_time(pyrra_errors:rate5m{slo="ebr-perf-ended"}[25m])' in result.details["queries"]

    async def test_no_data_pass_does_not_cover_the_errors_it_counts(self, evaluate):
        result = await evaluate("ebr-pyrra-perf-stopped-no-errors-pass")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "window burns 50x (limit 14x): it may be firing unseen" in result.reason

    async def test_with_pyrra_errors_the_raw_errors_decide_as_before(self, evaluate):
        result = await evaluate("ebr-pyrra-perf-stopped")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "pyrra_errors:rate5m" not in str(result.details["queries"])
        assert "although pyrra.errors counted 0.5 errors/s over 5m" in windows(result)["5m"]["note"]

    @pytest.mark.parametrize(
        ("name", "window", "burn"),
        [
            # 30m holds the 5 minutes pyrra_errors:rate5m counted 0.5 errors/s (150 errors) over, among ~9.7 req/s.
            ("ebr-pyrra-perf-ended-no-errors-pass", "30m", 8.6),
            # 7d: 8m (8m/1h30m, x7) holds 150 errors among 10 req/s; 15m (15m/1m, x14) too.
            ("ebr-pyrra-perf-stopped-7d-no-errors-pass", "8m", 31.25),
        ],
    )
    async def test_the_errors_counted_within_a_longer_window_are_evidence_of_burning(
        self, evaluate, name, window, burn
    ):
        # Before: no window burned, so no_data: pass passed (a 7d SLO has no 5m window; ebr-ended's 5m has no errors).
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "no_data policy pass does not apply to a window burning above its factor" in result.reason
        assert f"while its {window} window burns" in result.reason
        measured = windows(result)[window]
        assert measured["error_ratio"] is None
        assert measured["errors"] == pytest.approx(0.5 * 300 / parse_duration(window), rel=1e-3)
        assert measured["errors"] / measured["total"] / 0.001 == pytest.approx(burn, rel=0.05)
        assert f"at least {format_number(measured['errors'])} errors/s over {window}" in measured["note"]

    async def test_windows_shorter_than_5_minutes_are_no_data_while_it_counts_errors(self, evaluate):
        # 2d: the page tier 4m/1m, both windows shorter than the 5 minutes pyrra_errors:rate5m counts over. Before:
        # both read as zero errors, the tier judged 0x, and accept_unjudged_tiers passed the others.
        result = await evaluate("ebr-pyrra-perf-fine-2d-no-errors-accept")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        for window in ("1m", "4m"):
            measured = windows(result)[window]
            assert measured["error_ratio"] is None and measured["errors"] is None, window
            assert measured["note"].startswith(
                f"no data (no Pyrra burnrate{window} series although pyrra_errors:rate5m (--generic-rules) counted "
                f"0.5 errors/s over the last 5 minutes, which hold {window}: Pyrra's burnrate rule group stopped"
            )
        assert not tiers(result)["4m/1m"]["judged"]
        assert 'pyrra_errors:rate5m{slo="ebr-perf-fine-2d"}' in result.details["queries"]

    async def test_the_generic_group_alone_proves_no_rules(self, evaluate):
        # pyrra_window and pyrra_errors:rate5m record, the burnrate and increase groups do not: the rules the check
        # judges by are not here, which the reason says with what to check.
        result = await evaluate("ebr-pyrra-generic-only")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'no recording rule of Pyrra SLO slo="ebr-generic-only-burn" has a series (neither '
            'ebr_http_requests:burnrate1h{slo="ebr-generic-only-burn", job="ebr-burn"} nor the increase rule over 28d)'
        )
        assert "point the source at a querier that has both groups" in result.reason

    async def test_a_generic_group_that_stopped_too_is_no_evidence_of_zero_errors(self, evaluate):
        # ebr-late errs 5% (50x) since A-15m; the generic group stopped at A-20m after recording 0, and the burnrate
        # group is gone. Before: the 5m window (no pyrra_errors:rate5m sample now) fell back to zero errors, the longer
        # ones read its last 0 as zero errors, and the check passed at 0x.
        result = await evaluate("ebr-pyrra-generic-stopped-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        for window in PYRRA_WINDOWS:
            measured = windows(result)[window]
            assert measured["error_ratio"] is None, window
            assert measured["note"].startswith(
                f"no data (no Pyrra burnrate{window} series while pyrra.total counts traffic, and pyrra_errors:rate5m "
                "(--generic-rules) has no sample now though it recorded within 3d23h55m: its rule group stopped too"
            ), measured["note"]
        # Both ride in the batch already, as the 5m and 4d windows' own queries.
        assert 'pyrra_errors:rate5m{slo="ebr-generic-stopped"}' in result.details["queries"]
        assert 'max_over_time(pyrra_errors:rate5m{slo="ebr-generic-stopped"}[3d23h55m])' in result.details["queries"]

    async def test_a_group_switched_off_on_purpose_says_what_judges_without_it(self, evaluate):
        # ebr-generic-off: a clean service, its generic group gone 20 minutes ago (Pyrra restarted without
        # --generic-rules), its burnrate and increase groups on. Its series read as those of a ruler that died, so every
        # rollout waits for 4 days; the reason says what to set. Before: it named no way out.
        result = await evaluate("ebr-pyrra-generic-off-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert (
            "if --generic-rules was switched off on purpose, set pyrra.errors (the SLO's "
            "indicator.ratio.errors.metric): the check then reads the raw errors instead" in result.reason
        ), result.reason

    async def test_with_pyrra_errors_a_group_switched_off_is_judged_by_the_tiers(self, evaluate):
        # What the reason says to write: the raw errors count none, so the absent burnrates are zero errors.
        result = await evaluate("ebr-pyrra-generic-off")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert "pyrra_errors:rate5m" not in str(result.details["queries"])

    async def test_a_service_without_errors_still_passes(self, evaluate):
        # ebr-clean has no error series: no burnrate records, and pyrra_errors:rate5m records 0 (`or vector(0)`).
        result = await evaluate("ebr-pyrra-perf-clean-no-errors")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert "and pyrra_errors:rate5m (--generic-rules) counts none: zero errors" in windows(result)["5m"]["note"]


class TestSameNameSlos:
    """Pyrra's rules carry the SLO's name and its total's equality matchers, no namespace: a same-name SLO of another
    namespace (ebr-twin over job clean) is told from the check's own (over job burn, not loaded here) by those."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-twin-no-errors", "ebr-pyrra-twin"])
    async def test_another_namespaces_rules_do_not_stand_for_the_slos_own(self, evaluate, name):
        # Before: the other SLO's increase rule proved "the" rules, no burnrate recorded (it has no errors), and without
        # pyrra.errors its pyrra_errors:rate5m (0) made every window zero errors: a pass at 0x over job burn's 50x.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('Pyrra SLO {slo="ebr-twin"}: the increase rule series ebr_http_requests:')
        assert 'its job="ebr-clean" is not pyrra.total\'s job="ebr-burn"' in result.reason
        assert result.reason.endswith('add job="ebr-burn" to pyrra.selectors')

    async def test_another_namespaces_burnrate_is_not_read_as_the_slos(self, evaluate):
        # Job clean has no error series, so only the other SLO's burnrates record. Before: read as this SLO's, its 5%
        # errors failed the clean service at 50x.
        result = await evaluate("ebr-pyrra-twins-clean")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('Pyrra SLO {slo="ebr-twins"}: the burnrate')
        assert 'its job="ebr-burn" is not pyrra.total\'s job="ebr-clean"' in result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-twin-apart-no-errors", "ebr-pyrra-twin-apart"])
    async def test_another_namespaces_rules_without_the_totals_label_do_not_stand_for_the_slos_own(
        self, evaluate, name
    ):
        # The other SLO's total, {service="ebr-checkout"}, shares no label with job="ebr-burn": its rules lack job,
        # which Pyrra writes onto every rule of an SLO over job="ebr-burn". Before: nothing contradicted, its increase
        # rule proved "the" rules and without pyrra.errors its pyrra_errors:rate5m (0) made every window zero errors:
        # a pass at 0x over job burn's 50x (with pyrra.errors: inconclusive, a rule group read as stopped).
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('Pyrra SLO {slo="ebr-twin-apart"}: the increase rule series ebr_http_requests:')
        assert "it has no label job, which Pyrra writes onto every rule of an SLO whose total selects " in result.reason
        assert 'add job="ebr-burn" to pyrra.selectors' in result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-wide-no-errors", "ebr-pyrra-wide"])
    async def test_another_namespaces_rules_with_a_label_more_are_not_read_as_the_slos(self, evaluate, name):
        # The other SLO's total adds handler="/x" to the check's job="ebr-wide": its rules carry job="ebr-wide" too,
        # and no label contradicts the check's. Before: its burnrate (0: handler /x has no errors) was this SLO's, a
        # pass at 0x over job wide's 5% errors (50x).
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('Pyrra SLO {slo="ebr-wide"}: the burnrate'), result.reason
        assert 'may be another SLO\'s: it has handler="/x"' in result.reason
        assert 'add handler="" to pyrra.selectors' in result.reason

    @pytest.mark.parametrize(
        ("name", "carried"),
        [("ebr-pyrra-wider-no-errors", 'handler="/x"'), ("ebr-pyrra-narrow-no-errors", "handler=(none)")],
    )
    async def test_without_pyrra_errors_increase_rules_of_a_total_with_a_matcher_more_or_less_are_refused(
        self, evaluate, name, carried
    ):
        # The other SLO's errors have no series: no burnrate records, its increase rule (grouped by code) does. Before:
        # without pyrra.errors no label was held against it, it proved "the" rules, and every window read as zero
        # errors: a pass at 0x over job wide's 5% errors (50x), and over handler /y's 10% (100x).
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert "no burnrate1h series, and the increase rule series found" in result.reason
        assert carried in result.reason and "set pyrra.errors" in result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-wider-itself", "ebr-pyrra-narrow-itself"])
    async def test_without_pyrra_errors_the_slos_own_increase_rules_still_prove_zero_errors(
        self, catalog, prometheus, name
    ):
        # Every raw series of its total carries a code its increase rules carry: the rules are the SLO's own.
        result, asked = await self.evaluate_asking(catalog, prometheus, name)
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert len(asked) == 1 and asked[0].startswith("count by (code") and "[4d]))" in asked[0], asked

    async def test_two_slos_burnrates_loaded_together_are_named_as_two_slos(self, evaluate):
        # Both SLOs' rules loaded: each window's burnrate answer holds both. Before: "returned 2 series ... aggregate
        # it to one, e.g. with sum(...)", which adds the other SLO's ratio to this one's.
        result = await evaluate("ebr-pyrra-wides")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('Pyrra SLO {slo="ebr-wides"}: the burnrate'), result.reason
        assert 'may be another SLO\'s: it has handler="/x"' in result.reason
        assert "aggregate" not in result.reason

    async def test_a_label_every_raw_series_of_the_total_carries_is_the_slos(self, evaluate):
        # cluster="eu1" on every rule series, named by no field: every raw series of pyrra.total carries it too, so a
        # same-name SLO whose total adds cluster="eu1" selects the same series. Before: check_misconfigured at every
        # evaluation until cluster="eu1" was written into pyrra.selectors.
        result = await evaluate("ebr-pyrra-ext")
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50.0, rel=0.05), result.reason

    async def test_five_minute_increase_rules_alone_vouched_for_over_the_longest_window_prove_every_window(
        self, catalog, prometheus
    ):
        # performanceOverAccuracy, its rule over the SLO window elsewhere: increase5m groups the last 5 minutes alone,
        # and job clean's raw series over 4d carry the one code they carry: one query proves every window.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-perf-clean-no-errors")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason
        assert asked == ['count by (code) (last_over_time(ebr_http_requests_total{job="ebr-clean"}[4d]))']

    async def test_five_minute_increase_rules_are_asked_of_five_minutes_of_raw_series_where_4d_is_refused(
        self, catalog, prometheus
    ):
        # A querier that refuses 4d of raw samples (its limits): the last 5 minutes prove the 5m window alone. Before
        # this fallback: check_misconfigured where the 5m query alone had answered.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-perf-clean-no-errors", "refused-4d")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert [query.partition("[")[2][:3] for query in asked] == ["4d]", "5m]"]
        measured = windows(result)
        assert measured["5m"]["error_ratio"] == 0.0 and measured["1h"]["error_ratio"] is None, measured

    async def test_a_querier_too_slow_for_4d_leaves_time_for_the_5m_vouch(self, catalog, prometheus):
        # The 4d query was given all the time left, so the 5m one that the 5m window needs never ran. Before: the
        # timeout left check_misconfigured ("may be another SLO's") where the 5m query alone had vouched for the rules.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-perf-clean-no-errors", "slow-4d")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert [query.partition("[")[2][:3] for query in asked] == ["4d]", "5m]"]
        assert windows(result)["5m"]["error_ratio"] == 0.0, windows(result)["5m"]

    async def test_five_minute_increase_rules_are_asked_of_five_minutes_of_raw_series_too(self, catalog, prometheus):
        # Job ended's 500 series ended 20 minutes ago: over 4d the raw series carry a code the 5m rules no longer carry,
        # over 5 minutes they do not, and the windows longer than 5 minutes keep the errors the generic rule counted.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-perf-ended-no-errors")
        total = 'ebr_http_requests_total{job="ebr-ended"}'
        assert asked == [
            f"count by (code) (last_over_time({total}[4d]))",
            f"count by (code) (count_over_time({total}[5m]) > 1)",
        ]
        measured = windows(result)
        assert measured["5m"]["error_ratio"] == 0.0, measured["5m"]
        assert "pyrra_errors:rate5m (--generic-rules) counted up to" in measured["30m"]["note"], measured["30m"]

    async def test_five_minutes_of_raw_series_vouch_for_no_longer_window(self, catalog, prometheus):
        # A same-name SLO's 5m increase rules carry handler="/x", and over the last 5 minutes so does every raw series
        # of pyrra.total; over 30m and longer it selects /y's errors too, which the other SLO's absent burnrates do not
        # count. Before: those 5 minutes vouched for every window, all read as zero errors: a pass at 0x.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgone-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        total = 'ebr_http_requests_total{job="ebr-pgone"}'
        assert asked == [
            f"count by (code, handler) (last_over_time({total}[4d]))",
            f"count by (code, handler) (count_over_time({total}[5m]) > 1)",
        ]
        measured = windows(result)
        assert measured["5m"]["error_ratio"] == 0.0, measured["5m"]
        for window in ("30m", "1h", "6h", "4d"):
            assert measured[window]["error_ratio"] is None, measured[window]
            assert "over the last 5m only, not over " + window in measured[window]["note"], measured[window]["note"]

    async def test_five_minute_increase_rules_blind_to_a_raw_series_prove_no_window(self, catalog, prometheus):
        # As above, but a raw series of pyrra.total holds a single sample over the last 5 minutes (a target scraped
        # every 5m): the 5m increase rules cannot count its errors, so the 5m window they proved says nothing.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgone-no-errors", "blind")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert asked[-1] == blind_query('ebr_http_requests_total{job="ebr-pgone"}', 300.0)
        five = windows(result)["5m"]
        assert five["error_ratio"] is None, five
        assert five["note"].startswith(
            "no data (no burnrate5m series, and 1 raw series of pyrra.total hold a single sample over the last 5m "
            "(scraped every 5m or less often): increase() needs two in its range, so the 5m increase rules and "
            "burnrate5m count none of their errors"
        ), five["note"]

    async def test_five_minutes_of_raw_series_vouch_for_no_longer_windows_burnrate(self, catalog, prometheus):
        # The same-name SLO's 5m increase rules (handler="/x", code="200") are vouched for by the last 5 minutes' raw
        # series, as job pgone's; its burnrates over 2h and longer carry handler="/x" too (its /x errors ended 90m
        # ago), while over those windows pyrra.total counts /y's 5% errors. Before: the 5 minutes vouched for those
        # burnrates, read as this SLO's 0.2x, and accept_unjudged_tiers passed on them.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgburn-no-errors-accept")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Pyrra SLO {slo="ebr-pgburn"}: the burnrate6h series ebr_http_requests:burnrate6h{handler="/x", '
        ), result.reason
        assert 'add handler="" to pyrra.selectors' in result.reason
        # The 5 minutes that vouched for the increase rules, then the burnrate's label asked over 4d and over its own
        # 6h, where /y's series (ended 10m ago) lack it.
        total = 'ebr_http_requests_total{job="ebr-pgburn"}'
        assert asked == [
            f"count by (code, handler) (last_over_time({total}[4d]))",
            f"count by (code, handler) (count_over_time({total}[5m]) > 1)",
            f"count by (handler) (last_over_time({total}[4d]))",
            f"count by (handler) (last_over_time({total}[6h]))",
        ]

    async def test_a_burnrates_label_the_five_minutes_vouched_for_is_asked_over_the_longest_window(
        self, catalog, prometheus
    ):
        # As job pgburn, but the label is the querier's cluster="eu1", on every raw series over 4d: asked again over
        # 4d, it shows the burnrates this SLO's, which judge the ticket tiers.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgext-no-errors-accept")
        assert result.verdict is Outcome.PASS, result.reason
        total = 'ebr_http_requests_total{job="ebr-pgext"}'
        assert asked == [
            f"count by (cluster, code) (last_over_time({total}[4d]))",
            f"count by (cluster, code) (count_over_time({total}[5m]) > 1)",
            f"count by (cluster) (last_over_time({total}[4d]))",
        ]
        measured = windows(result)
        assert measured["5m"]["error_ratio"] == 0.0, measured["5m"]
        assert measured["6h"]["error_ratio"] > 0, measured["6h"]
        assert "over the last 5m only, not over 1h" in measured["1h"]["note"], measured["1h"]

    async def test_a_burnrates_label_is_asked_over_its_own_window_too(self, catalog, prometheus):
        # Job pgdec's us1 series ended 6.5h ago: over 4d the raw series lack cluster="eu1", over the 6h burnrate's
        # own window they all carry it. Before: asked over 4d alone, check_misconfigured ("may be another SLO's") at
        # every evaluation for up to 4 days after the cluster went.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgdec-no-errors-accept")
        assert result.error is None, result.reason
        total = 'ebr_http_requests_total{job="ebr-pgdec"}'
        assert asked == [
            f"count by (cluster, code) (last_over_time({total}[4d]))",
            f"count by (cluster, code) (count_over_time({total}[5m]) > 1)",
            f"count by (cluster) (last_over_time({total}[4d]))",
            f"count by (cluster) (last_over_time({total}[6h]))",
        ]
        measured = windows(result)
        for window in ("2h", "6h"):
            assert measured[window]["error_ratio"] > 0, measured[window]
        # The burnrate's 6h vouch widens nothing the 5 minutes proved for the increase rules (mut29: it did, so the
        # 1h and 30m windows read 0 errors from rules vouched for over 5 minutes only).
        for window in ("30m", "1h"):
            assert measured[window]["error_ratio"] is None, measured[window]
            assert "over the last 5m only, not over " + window in measured[window]["note"], measured[window]
        # Over 1d and 4d pyrra.total selected the us1 series too, which the eu1 burnrates leave out: not read.
        for window in ("1d", "4d"):
            assert measured[window]["error_ratio"] is None, measured[window]
            assert "over the last 6h only, not over " + window in measured[window]["note"], measured[window]

    async def test_two_burnrates_vouched_over_their_own_windows_widen_neither_label(self, catalog, prometheus):
        # burnrate1h carries cluster="eu1", vouched over 1h alone; burnrate1d region="r", vouched over 1d alone. The
        # cluster="eu1" burnrate6h leaves out the 100x errors of a series without cluster that ended 3h ago: read, it
        # passed the 6h/30m page tier at 0.83x while the SLO burns 34x over 6h (mut29's surviving mutant #285, the
        # second vouch's 1d taken for the first label's range).
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-pgmix-page")
        total = 'ebr_http_requests_total{job="ebr-pgmix"}'
        assert asked == [
            f"count by (cluster) (last_over_time({total}[4d]))",
            f"count by (cluster) (last_over_time({total}[1h]))",
            f"count by (region) (last_over_time({total}[4d]))",
            f"count by (region) (last_over_time({total}[1d]))",
        ]
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "may be firing unseen" in result.reason, result.reason
        measured = windows(result)
        for window in ("2h", "6h", "4d"):
            assert measured[window]["error_ratio"] is None, measured[window]
            # The window's own label alone, with its range (before: both labels, "over the last 1h only").
            assert 'carries cluster="eu1" over the last 1h only, not over ' + window in measured[window]["note"]
            assert "region" not in measured[window]["note"], measured[window]
        assert measured["1h"]["error_ratio"] > 0, measured["1h"]
        # region="r" holds over the last 1d, its own range: the 1d burnrate is this SLO's (before: no data).
        assert measured["1d"]["error_ratio"] > 0.006, measured["1d"]

    async def test_each_briefly_vouched_label_proves_the_windows_within_its_own_range(self, evaluate):
        # As ebr-pgmix, but the 2h burnrate carries region="r" too: the 1d/2h ticket tier's windows are both the
        # region="r" SLO's, whose label every raw series carries over the last 1d. Before: region="r" taken as
        # vouched over cluster="eu1"'s 1h, so 2h and 1d were no data and the check inconclusive ("no ticket tier can
        # judge") while that tier fires.
        result = await evaluate("ebr-pyrra-pgpair-ticket")
        assert result.verdict is Outcome.FAIL, result.reason
        assert result.reason.startswith("ticket tier 1d/2h fires"), result.reason
        measured = windows(result)
        assert measured["2h"]["error_ratio"] > 0.002 and measured["1d"]["error_ratio"] > 0.006, measured
        assert measured["4d"]["error_ratio"] is None, measured["4d"]

    async def test_a_value_born_since_the_increase_rules_evaluated_waits_for_their_next_evaluation(
        self, catalog, prometheus
    ):
        # The service's first 404 came after its increase group last evaluated: the rules, this SLO's own, carry 200
        # alone. Before: check_misconfigured ("may be another SLO's ... set pyrra.errors") until the group evaluated
        # again, an Error that Argo counts towards aborting the rollout.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-newborn-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        note = windows(result)["5m"]["note"]
        assert note.startswith(
            'no data (no burnrate5m series, and pyrra.total\'s raw series carry code="404", which none of the increase '
            "rule series found carries"
        ), note
        assert "wait for the next rule evaluation" in note
        total = 'ebr_http_requests_total{job="ebr-newborn"}'
        assert asked[0] == f"count by (code) (last_over_time({total}[4d]))"
        assert asked[1].startswith(f"count by (code) (count_over_time({total}[4d] @ ")
        assert len(asked) == 2, asked

    async def test_a_series_the_five_minute_increase_rules_cannot_group_is_not_waited_for(self, catalog, prometheus):
        # A 404 target scraped every 5 minutes: one sample in any 5 minutes, so the SLO's own 5m increase rules never
        # group it. Before: every window "series born since ...; wait for the next rule evaluation", at every
        # evaluation, though the group had evaluated a second before and the series was hours old.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-sparse-no-errors")
        total = 'ebr_http_requests_total{job="ebr-sparse"}'
        assert asked == [
            f"count by (code) (last_over_time({total}[4d]))",
            f"count by (code) (count_over_time({total}[5m]) > 1)",
        ]
        measured = windows(result)
        # Nor does the 5m window judge: those rules cannot count that target's errors (a 500 would burn unseen).
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert "1 raw series of pyrra.total hold a single sample over the last 5m" in measured["5m"]["note"]
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert measured["1h"]["error_ratio"] is None, measured["1h"]
        assert "wait for the next rule evaluation" not in result.reason

    async def test_a_five_minute_window_blind_to_a_series_judges_no_tier(self, catalog, prometheus):
        # The 500s come from a target scraped every 5 minutes: the 5m increase rules, and Pyrra's burnrate5m, cannot
        # count them, while 1h burns at 20x. Before: the 5m window read 0 errors, so the 1h/5m page tier judged "not
        # firing" and the check passed a service burning 29x over its last 30 minutes.
        result, _ = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-spburn-no-errors-page")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        measured = windows(result)
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert "hold a single sample over the last 5m" in measured["5m"]["note"], measured["5m"]
        assert measured["1h"]["error_ratio"] > 0.0144, measured["1h"]

    async def test_with_pyrra_errors_a_five_minute_window_blind_to_a_series_judges_no_tier(self, evaluate):
        # As above, with pyrra.errors: rate() over 5 minutes of a series scraped every 5 minutes is empty too, so the
        # raw errors read 0 there. Before: the 5m window read 0 errors, the 1h/5m page tier judged "not firing", and
        # the check passed a service burning 29x over its last 30 minutes.
        result = await evaluate("ebr-pyrra-spburn-page")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        measured = windows(result)
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert "1 raw series of pyrra.total hold a single sample over the last 5m" in measured["5m"]["note"]
        assert measured["1h"]["error_ratio"] > 0.0144, measured["1h"]
        assert "may be firing unseen" in result.reason, result.reason

    async def test_with_pyrra_errors_a_pod_deleted_minutes_ago_blinds_no_window(self, evaluate):
        # Pod b, scraped every 30 s, was deleted: its last sample, 4m50s ago, is its one in the last 5 minutes, as a
        # 5m-scraped target's is, but the 5 minutes before hold ten of it, not one. Before: the 5m window was no data
        # ("scraped every 5m or less often"), so a healthy service was inconclusive for one scrape interval after each
        # pod a rollout deleted.
        result = await evaluate("ebr-pyrra-podgone-page")
        assert result.verdict is Outcome.PASS, result.reason
        assert windows(result)["5m"]["error_ratio"] == 0.0, windows(result)["5m"]

    async def test_a_burnrates_vouched_label_and_another_windows_increase_rules_are_both_asked(
        self, catalog, prometheus
    ):
        # The 1h window's burnrate asks of cluster="eu1"; measured again, the 5m window (no burnrate: the errors
        # stopped) asks of its increase rules' cluster and code. Before: that second ask was check_misconfigured, so a
        # burning SLO whose every label the raw series vouch for blocked with "set pyrra.errors".
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-extl-no-errors")
        assert result.verdict is Outcome.FAIL, result.reason
        total = 'ebr_http_requests_total{job="ebr-extl"}[4d]'
        assert asked == [
            f"count by (cluster) (last_over_time({total}))",
            f"count by (cluster, code) (last_over_time({total}))",
        ]

    async def test_a_label_a_raw_series_of_the_total_lacked_within_a_window_leaves_that_window_unread(self, evaluate):
        # A series of job exto without cluster stopped 3h ago: over 4d pyrra.total selects it, the other SLO's
        # total (cluster="eu1" added) does not, so their burnrates differ, though over 1h they are the same. Before:
        # check_misconfigured, though over the 1h/5m tier's windows the burnrates are this SLO's (50x).
        result = await evaluate("ebr-pyrra-exto")
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50.0, rel=0.05), result.reason
        measured = windows(result)
        for window in ("2h", "6h", "1d", "4d"):
            assert measured[window]["error_ratio"] is None, measured[window]
            assert 'carry cluster="eu1"' in measured[window]["note"], measured[window]
            assert "over the last 1h only, not over " + window in measured[window]["note"], measured[window]

    @staticmethod
    async def evaluate_asking(catalog, prometheus, name, answer=None):
        """The check's verdict and the queries over the total's raw series it sent; `answer`: "refused" or
        "partial" (a store down) makes those fail or come back partial, on the real Prometheus ("refused-4d": those
        over 4d alone fail; "slow-4d": those over 4d alone time out, taking all the time they are given; "blind": the
        count of raw series holding a single sample, blind_query's, answers 1, a target scraped every 5 minutes)."""
        asked = []

        class Prometheus(PrometheusSource):
            async def query(self, promql, at, timeout_s, **kwargs):
                found = await super().query(promql, at, timeout_s, **kwargs)
                if answer == "blind" and promql.startswith("count(count_over_time("):
                    asked.append(promql)
                    return QueryResult(found.query, "vector", [Series({}, [(at.timestamp(), 1.0)])])
                if not promql.startswith("count by ("):
                    return found
                asked.append(promql)
                if answer == "refused" or (answer == "refused-4d" and "[4d]" in promql):
                    raise SourceRejected(f"query refused: {promql}")
                if answer == "slow-4d" and "[4d]" in promql:
                    # A querier too slow for 4d of raw samples: it answers nothing within the time it was given.
                    await asyncio.sleep(timeout_s)
                    raise SourceTimeout(f"no answer in {timeout_s} s: {promql}")
                if answer == "partial":
                    return QueryResult(found.query, found.result_type, found.series, [STORE_DOWN])
                return found

        sources = Sources(catalog.sources, make_prometheus=lambda source, config: Prometheus(source, config))
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            return await runner.evaluate(catalog.get(name), {}, at), asked
        finally:
            await sources.aclose()

    @pytest.mark.parametrize("answer", ["refused", "partial"])
    async def test_a_label_the_raw_series_cannot_be_asked_about_is_still_refused(self, catalog, prometheus, answer):
        # Nothing shows every series carries cluster="eu1": the error stands, never a verdict.
        result, asked = await self.evaluate_asking(catalog, prometheus, "ebr-pyrra-ext", answer)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert 'it has cluster="eu1"' in result.reason and 'add cluster="eu1" to pyrra.selectors' in result.reason
        assert asked == [
            f'count by (cluster) (last_over_time(ebr_http_requests_total{{job="ebr-ext"}}[{window}]))'
            for window in ("4d", "1h")
        ]

    @pytest.mark.parametrize(
        ("name", "sent"),
        [
            # The label's query is sent on the rare path only: over 4d, then over the burnrate's own window.
            (
                "ebr-pyrra-wide",
                [
                    f'count by (handler) (last_over_time(ebr_http_requests_total{{job="ebr-wide"}}[{window}]))'
                    for window in ("4d", "1h")
                ],
            ),
            ("ebr-pyrra-ext", ['count by (cluster) (last_over_time(ebr_http_requests_total{job="ebr-ext"}[4d]))']),
            ("ebr-pyrra-wide-itself", []),
        ],
    )
    async def test_the_raw_series_are_asked_once_and_only_for_an_unexplained_label(
        self, catalog, prometheus, name, sent
    ):
        _, asked = await self.evaluate_asking(catalog, prometheus, name)
        assert asked == sent

    async def test_what_the_error_says_to_write_reads_the_slos_own_series(self, evaluate):
        result = await evaluate("ebr-pyrra-wides-apart")
        assert result.verdict is Outcome.FAIL and result.value == pytest.approx(50.0, rel=0.05), result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-twin-itself", "ebr-pyrra-twin-apart-itself", "ebr-pyrra-wide-itself"])
    async def test_the_slo_itself_is_judged_as_before(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason


class TestBlindShortWindows:
    """A 5m window blind to a target scraped every 5 minutes judges only the tiers it cannot make fire."""

    @pytest.mark.parametrize("name", ["ebr-pyrra-spmix-no-errors-page", "ebr-pyrra-spmix-page"])
    async def test_a_recorded_burnrate_blind_to_a_burning_target_judges_no_tier(self, evaluate, name):
        # The dense targets' 500s record burnrate5m at 0.2x; the sparse target's 500s burn 19x over 1h and 29x over
        # 30m, unseen by any 5m rate(). Before, without pyrra.errors: PASS "no page tier fires: worst is page tier
        # 6h/30m at 3.1x", the 1h/5m tier "not firing" on burnrate5m's 0.2x.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        measured = windows(result)
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert measured["5m"]["note"].startswith(
            "no data (1 raw series of pyrra.total hold a single sample over the last 5m"
        ), measured["5m"]
        assert measured["1h"]["error_ratio"] > 0.014, measured["1h"]
        assert "page tier 1h/5m cannot judge" in result.reason and "may be firing unseen" in result.reason

    @pytest.mark.parametrize("name", ["ebr-pyrra-spok-no-errors-page", "ebr-pyrra-spok-page", "ebr-pyrra-sparse-page"])
    async def test_a_blind_window_whose_tier_cannot_fire_is_read(self, evaluate, name):
        # The sparse target answers 404s: 1h burns 0.2x (ebr-spok) or 0x (ebr-sparse, no error series at all), so the
        # 1h/5m tier cannot fire whatever 5m reads. Before, with pyrra.errors: INCONCLUSIVE at every evaluation (the
        # 5m window no data, and for ebr-sparse every other window's absent burnrate a rule that "did not evaluate").
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS, result.reason
        five = windows(result)["5m"]
        assert five["error_ratio"] is not None, five
        assert "read all the same: no tier it judges can fire whatever it reads (1h/5m: 1h burns" in five["note"]

    @pytest.mark.parametrize(
        ("name", "total"),
        [
            ("ebr-ratio-spmix-page", "ratio.total"),
            ("ebr-sloth-spmix-page", "sloth.total_query"),
            ("ebr-latency-spmix-page", "ebr_spmix_duration_seconds_count"),
        ],
    )
    async def test_a_raw_ratio_blind_to_a_burning_target_judges_no_tier(self, evaluate, name, total):
        # rate() over 5m reads the dense targets alone (0.2x; 0x for the latency check) in a raw ratio as in Sloth's
        # ratio_rate5m and a histogram's rates. Before: PASS "no page tier fires: worst is page tier 6h/30m at 3.15x"
        # while 1h burned 18.9x.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        measured = windows(result)
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert measured["5m"]["note"].startswith(
            f"no data (1 raw series of {total} hold a single sample over the last 5m"
        ), measured["5m"]
        assert measured["1h"]["error_ratio"] > 0.0144, measured["1h"]
        assert "page tier 1h/5m cannot judge" in result.reason and "may be firing unseen" in result.reason

    @pytest.mark.parametrize("name", ["ebr-ratio-spok-page", "ebr-sloth-spok-page"])
    async def test_a_raw_ratio_blind_to_a_clean_target_still_passes(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS, result.reason
        five = windows(result)["5m"]
        assert five["error_ratio"] is not None, five
        assert "read all the same: no tier it judges can fire whatever it reads (1h/5m: 1h burns" in five["note"]

    @pytest.mark.parametrize(
        ("name", "rule"),
        [
            ("ebr-sloth-spmix-no-total-page", 'slo:sli_error:ratio_rate5m{sloth_id="ebr-sloth-spmix"}'),
            ("ebr-pyrra-spmix-no-total-page", 'ebr_http_requests:burnrate5m{slo="ebr-spmix", job="ebr-spmix"}'),
        ],
    )
    async def test_without_the_raw_total_the_rules_api_tells_the_5m_rules_raw_series(self, evaluate, name, rule):
        # The rule's expression, as Prometheus' rules API lists it, rates the sparse target's series over 5m: the blind
        # query of the raw total's path finds it. Before: PASS "no page tier fires: worst is page tier 6h/30m at 3.14x;
        # unchecked: 1h/5m on its 5m window alone (0.19996x while 1h burns 18.7x ..." while 1h burned 18.7x.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        measured = windows(result)
        assert measured["5m"]["error_ratio"] is None, measured["5m"]
        assert measured["5m"]["note"].startswith(
            f"no data (1 raw series that {rule} reads (its expression, as the rules API lists it) hold a single sample "
            "over the last 5m"
        ), measured["5m"]
        assert measured["1h"]["burn_rate"] > 14.4, measured["1h"]
        assert "page tier 1h/5m cannot judge" in result.reason and "may be firing unseen" in result.reason
        read = result.details["rules_read"]["5m"]
        assert (
            read["single_sample_series"] == 1 and 'ebr_http_requests_total{job="ebr-spmix"}[5m]' in read["blind_query"]
        )

    @pytest.mark.parametrize("name", ["ebr-sloth-spent-no-total-page", "ebr-pyrra-spent-no-total-page"])
    async def test_without_the_raw_total_a_5m_rule_whose_raw_series_are_dense_holds_the_pass(self, evaluate, name):
        # Every target scraped every 30 s: the 5m rule counts every error, and its 0 holds the 1h/5m tier.
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS, result.reason
        assert "; checked: 1h/5m on its 5m window alone (0x while 1h burns " in result.reason, result.reason
        assert "unchecked" not in result.reason, result.reason
        assert windows(result)["1h"]["burn_rate"] > 14.4
        read = result.details["rules_read"]["5m"]
        assert read["single_sample_series"] == 0 and "[5m]" in read["blind_query"], read

    async def test_without_the_raw_total_a_rule_the_rules_api_does_not_list_leaves_the_pass_as_it_was(self, evaluate):
        # Its series are recorded (by another ruler, here the backfill), its rule is not listed: nothing tells whether
        # the 5m rule left a target out, and the pass stands as before (an unchecked 5m window made no data would
        # block every healthy service), saying which tier only the 5m window holds and why the rules did not tell.
        result = await evaluate("ebr-sloth-spmix-elsewhere-no-total-page")
        assert result.verdict is Outcome.PASS, result.reason
        assert "; unchecked: 1h/5m on its 5m window alone (0.19996x while 1h burns " in result.reason, result.reason
        why = 'the rules API lists no recording rule slo:sli_error:ratio_rate5m{sloth_id="ebr-sloth-spmix-elsewhere"}'
        assert (
            f"without sloth.total_query no query tells whether there is one (the rules API did not tell: {why}); set "
            "sloth.total_query to have it checked; "
        ) in result.reason, result.reason
        assert result.details["rules_read"] == {"5m": {"unread": why}}
        # Nor whether its ratio rules divide errors their total can match: said, the pass standing.
        divided = result.details["rules_divided"]
        assert divided["checked"] == [] and divided["unread"]["5m"] == why, divided
        assert result.reason.endswith(
            "; unchecked: whether the errors of Sloth's ratio rules over 1h, 5m, 6h, 30m, 1d, 2h, 3d can match their "
            "total (the rules API did not tell: the rules API lists no recording rule slo:sli_error:ratio_rate<window>"
            '{sloth_id="ebr-sloth-spmix-elsewhere"} over 1h, 5m, 6h, 30m, 1d, 2h, 3d): an error_query grouped by a '
            "label its total_query lacks records 0 while errors burn; set sloth.errors_query to have it checked"
        ), result.reason
        assert windows(result)["1h"]["burn_rate"] > 14.4

    @pytest.mark.parametrize("name", ["ebr-sloth-spok-no-total-page", "ebr-pyrra-spok-no-total-page"])
    async def test_without_the_raw_total_a_clean_pass_says_nothing_more(self, evaluate, name):
        result = await evaluate(name)
        assert result.verdict is Outcome.PASS and "unchecked" not in result.reason, result.reason


class TestPartlyRecordedWindows:
    """A tool's ratio rule that records nothing over one window while a shorter window's records a value did not
    evaluate (a longer window holds every error series a shorter one does): a gap, not zero errors
    (ebr-sloth-partial: its 1h and 6h rules fail, 5% errors elsewhere)."""

    async def test_without_the_raw_errors_the_shorter_windows_tell(self, evaluate):
        # Read as zero errors, both page tiers (1h/5m, 6h/30m) judged 0x and the pass showed only ticket warnings.
        result = await evaluate("ebr-sloth-partial-no-errors")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert result.reason.startswith("page tier 6h/30m cannot judge (6h: no Sloth ratio_rate6h series")
        assert "while its 30m window burns 50x (limit 6x): it may be firing unseen; so may 1h/5m" in result.reason
        hour = windows(result)["1h"]
        assert hour["error_ratio"] is None
        assert hour["note"].endswith(
            "but a shorter window's rule recorded a value, so this one did not evaluate (failing or lagging): no "
            "evidence of zero errors"
        )
        assert windows(result)["2h"]["burn_rate"] == pytest.approx(50)

    async def test_with_the_raw_errors_they_tell(self, evaluate):
        result = await evaluate("ebr-sloth-partial")
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert "although sloth.errors_query counted 0.5 errors/s over 1h" in windows(result)["1h"]["note"]


class TestMisspelledNames:
    """A selector whose metric name has no series at all is check_misconfigured, named in the reason; a label
    matcher that matches nothing (a canary without traffic yet) stays no data."""

    async def test_a_misspelled_errors_metric_on_a_burning_canary_is_an_error(self, evaluate):
        result = await evaluate("eb-shop-errors-typo", canary_hash="burn1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith(
            'ratio.errors selector eb_request_total{service="eb-shop", '
            'rollouts_pod_template_hash="burn1", code=~"5.."}: no series of metric '
            "eb_request_total exist at all (a misspelled metric name?)"
        )

    async def test_name_matchers_no_name_meets_are_an_error(self, evaluate):
        # burn1 burns its budget; its errors selector matches no series, which read as zero errors. Before: read as
        # the first name, which exists, and a pass.
        result = await evaluate("eb-shop-errors-contradicting-names", canary_hash="burn1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'query selector {__name__="eb_requests_total", __name__="eb_request_total", service="eb-shop", '
            'rollouts_pod_template_hash="burn1", code=~"5.."} matches no series'
        ), result.reason

    async def test_before_the_data_a_name_with_series_now_is_named(self, catalog):
        # A backtest past the retention: every name is missing then, and was called misspelled only.
        sources = Sources(catalog.sources)
        check = catalog.get("eb-shop-burn")
        before = datetime(1971, 1, 1, tzinfo=UTC)
        try:
            result = await Runner(catalog, sources, Metrics(), 8.0).evaluate(check, {"canary_hash": "burn1"}, before)
        finally:
            sources.close()
        assert (result.verdict, result.error) == (Outcome.ERROR, "check_misconfigured")
        assert "no series of metric eb_requests_total exist at all (a misspelled metric name?)" in result.reason
        assert result.reason.endswith(
            "; evaluated as of 1971-01-01T00:00:00.000Z, a past time: metric eb_requests_total has series now, so "
            "1971-01-01T00:00:00.000Z is likely before the oldest data the source keeps (its retention)"
        )

    async def test_a_misspelled_total_metric_is_an_error(self, evaluate):
        result = await evaluate("eb-shop-total-typo", canary_hash="ok1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith("ratio.total selector eb_request_total{")
        # optional_metrics excuses no total: the advice meant for error counters would mislead.
        assert result.reason.endswith("(optional_metrics is for counters of errors only)")

    async def test_a_canary_hash_without_series_stays_inconclusive(self, evaluate):
        result = await evaluate("eb-shop-burn", canary_hash="brand-new")
        assert result.verdict is Outcome.INCONCLUSIVE

    async def test_a_misspelled_histogram_is_an_error(self, evaluate):
        result = await evaluate("eb-api-latency-typo")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert "no series of metric eb_latency_secs_bucket exist at all" in result.reason
        assert "belongs in optional_metrics" not in result.reason

    async def test_an_optional_metric_may_be_absent(self, evaluate):
        listed = await evaluate("ebr-optional-errors")
        assert listed.verdict is Outcome.PASS and listed.value == 0
        unlisted = await evaluate("ebr-unlisted-errors")
        assert unlisted.verdict is Outcome.ERROR and unlisted.error == "check_misconfigured"
        assert unlisted.reason.endswith("a metric that appears only with its first error belongs in optional_metrics")

    async def test_a_typo_behind_an_or_vector_fallback_is_an_error(self, evaluate):
        # `or vector(0)` answers whatever the metric: read as zero errors, the clean traffic would pass.
        result = await evaluate("ebr-errors-typo-fallback")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith(
            'ratio.errors selector ebr_http_requests_totl{job="ebr-clean", code=~"5.."}: '
            "no series of metric ebr_http_requests_totl exist at all"
        )

    async def test_a_typo_in_a_regex_of_names_is_an_error(self, evaluate):
        result = await evaluate("ebr-errors-typo-regex")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith(
            'ratio.errors selector {__name__=~"ebr_http_requests_totl", job="ebr-clean", '
            'code=~"5.."}: no series of metric ebr_http_requests_totl exist at all'
        )

    async def test_a_regex_of_names_needs_only_one_of_them(self, evaluate):
        result = await evaluate("ebr-errors-regex-listed")
        assert result.verdict is Outcome.PASS and result.value == 0

    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("ebr-pyrra-slo-typo", 'no recording rule of Pyrra SLO slo="ebr-claen" has a series'),
            (
                "ebr-pyrra-metric-typo",
                'no recording rule of Pyrra SLO slo="ebr-clean" has a series (neither '
                'ebr_http_request:burnrate1h{slo="ebr-clean", job="ebr-clean"}',
            ),
            ("ebr-pyrra-total-typo", 'pyrra.total selector ebr_http_request_total{job="ebr-clean"}: no series'),
            ("ebr-sloth-id-typo", 'no recording rule of Sloth SLO {sloth_id="ebr-sloth-claen"} has a series'),
            ("ebr-sloth-total-typo", 'sloth.total_query selector ebr_http_request_total{job="ebr-clean"}: no series'),
        ],
    )
    async def test_misspelled_rule_names_never_pass(self, evaluate, name, reason):
        # Every one of them has the clean service's traffic: read as zero errors, it would pass.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured"
        assert result.reason.startswith(reason)

    async def test_the_probes_cost_no_request(self, evaluate, prometheus):
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate("ebr-pyrra-clean")
        assert prometheus.process.http_requests("/api/v1/query") - before == 1
        assert len(result.details["sent_queries"]) == 1


class TestMisspelledLabels:
    """A label matcher that cannot match the empty value needs a series of its metric carrying that label: else it
    matches nothing whatever the canary does, read as zero errors; a label that exists matching nothing yet stays
    zero errors."""

    async def test_a_misspelled_label_of_the_errors_on_a_burning_canary_is_an_error(self, evaluate):
        # burn1 burns 25x over 1h and 5m. Before: pass, zero errors.
        result = await evaluate("eb-shop-errors-label-typo", canary_hash="burn1")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason == (
            'ratio.errors selector eb_requests_total{service="eb-shop", rollouts_pod_template_hash="burn1", '
            'cdoe=~"5.."}: label cdoe is not on metric eb_requests_total, no series of it has it (a misspelled '
            "label name?). A label on the metric without error series reads as zero errors; a label that appears "
            "only with the first error: list its metric in optional_metrics"
        )

    async def test_a_canary_without_error_series_yet_passes(self, evaluate):
        # clean1 has only code="200" series: code exists, its 5xx match nothing yet.
        result = await evaluate("eb-shop-burn", canary_hash="clean1")
        assert result.verdict is Outcome.PASS and result.value == 0, result.reason

    async def test_a_matcher_that_matches_the_empty_value_needs_no_label(self, evaluate, catalog):
        # cdoe=~"5..|" matches every series (none has cdoe): every event an error, which fails.
        result = await evaluate("eb-shop-errors-no-label", canary_hash="ok1")
        assert result.verdict is Outcome.FAIL, result.reason
        check = catalog.get("eb-shop-errors-no-label")
        assert not any("cdoe" in probe.query for probe in check.plan(check.bind_args({"canary_hash": "ok1"})).probes)

    @pytest.mark.parametrize("name", ["ebr-pyrra-stopped-label-typo", "ebr-sloth-stopped-label-typo"])
    async def test_a_misspelled_label_of_the_raw_errors_beside_recorded_rules_is_an_error(self, evaluate, name):
        # The ratio rules stopped while the raw counters count 5% errors: the raw errors tell it, unless their label
        # is misspelt. Before: pass, zero errors.
        result = await evaluate(name)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert "label cdoe is not on metric ebr_http_requests_total" in result.reason

    async def test_a_label_only_errors_carry_is_unchecked_for_an_optional_metric(self, evaluate):
        listed = await evaluate("ebr-optional-error-label")
        assert listed.verdict is Outcome.PASS and listed.value == 0, listed.reason
        unlisted = await evaluate("ebr-unlisted-error-label")
        assert unlisted.verdict is Outcome.ERROR and unlisted.error == "check_misconfigured"
        assert "label error_reason is not on metric ebr_http_requests_total" in unlisted.reason

    async def test_the_label_probe_costs_no_request(self, evaluate, prometheus):
        before = prometheus.process.http_requests("/api/v1/query")
        result = await evaluate("ebr-sloth-stopped-label-typo")
        assert result.error == "check_misconfigured"
        assert prometheus.process.http_requests("/api/v1/query") - before == 1


class TestThroughTheAPI:
    """What Argo's web provider reads: the verdict at {$.verdict}, HTTP 200 for pass, fail and inconclusive."""

    @pytest.mark.parametrize(("canary", "verdict"), [("burn1", "fail"), ("ok1", "pass"), ("idle1", "inconclusive")])
    async def test_verdicts(self, aiohttp_client, catalog, prometheus, canary, verdict):
        client = await aiohttp_client(create_app(Settings(), catalog, Registry([ErrorBudgetCheck, PrometheusCheck])))
        answer = await client.get(
            "/api/v1/checks/eb-shop-burn/run",
            params={"canary_hash": canary, "at": str(int(prometheus.anchor)), "explain": "true"},
        )
        assert answer.status == 200
        body = await answer.json()
        assert body["verdict"] == verdict
        assert len(body["details"]["windows"]) == 7


class TestImportedDocuments:
    """Pyrra and Sloth documents loaded as catalog entries judge the same recorded series."""

    async def test_pyrra_and_sloth_documents(self, prometheus):
        pyrra = {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "eb-pyrra-api", "namespace": "shop"},
            "spec": {
                "target": "99.9",
                "window": "28d",
                "indicator": {
                    "ratio": {
                        "errors": {"metric": 'eb_http_requests_total{job="eb-pyrra", code=~"5.."}'},
                        "total": {"metric": 'eb_http_requests_total{job="eb-pyrra"}'},
                    }
                },
            },
        }
        sloth = {
            "version": "prometheus/v1",
            "service": "eb-sloth",
            "slos": [{"name": "availability", "objective": 99.9, "sli": {"raw": {"error_ratio_query": "x"}}}],
        }
        catalog = build_catalog(
            [
                ("sources", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}}),
                ("pyrra.yaml", pyrra),
                ("sloth.yaml", sloth),
            ],
            Registry.default(),
        )
        sources = Sources(catalog.sources)
        runner = Runner(catalog, sources, Metrics(), 8.0)
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        try:
            pyrra_result = await runner.evaluate(catalog.get("eb-pyrra-api"), {}, at)
            sloth_result = await runner.evaluate(catalog.get("eb-sloth-availability"), {}, at)
        finally:
            sources.close()
        assert pyrra_result.verdict is Outcome.FAIL and pyrra_result.value == pytest.approx(16, rel=1e-6)
        # pyrra_availability carries only `slo`: the imported job="eb-pyrra" must not narrow it to nothing.
        assert pyrra_result.details["budget"]["remaining"] == pytest.approx(0.5, rel=1e-6)
        assert sloth_result.verdict is Outcome.PASS and sloth_result.value == pytest.approx(2, rel=1e-6)

    async def test_imported_documents_of_a_service_that_never_errored_pass(self, prometheus):
        # The importer carries the SLO's total (Pyrra's total metric, Sloth's total_query) into the check.
        pyrra = {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "ebr-clean", "namespace": "shop"},
            "spec": {
                "target": "99.9",
                "window": "28d",
                "indicator": {
                    "ratio": {
                        "errors": {"metric": 'ebr_http_requests_total{job="ebr-clean", code=~"5.."}'},
                        "total": {"metric": 'ebr_http_requests_total{job="ebr-clean"}'},
                    }
                },
            },
        }
        sloth = {
            "version": "prometheus/v1",
            "service": "ebr-sloth",
            "slos": [
                {
                    "name": "clean",
                    "objective": 99.9,
                    "sli": {
                        "events": {
                            "error_query": (
                                'sum(rate(ebr_http_requests_total{job="ebr-clean",code=~"(5..|429)"}[{{.window}}]))'
                            ),
                            "total_query": 'sum(rate(ebr_http_requests_total{job="ebr-clean"}[{{.window}}]))',
                        }
                    },
                }
            ],
        }
        catalog = build_catalog(
            [
                ("sources", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}}),
                ("pyrra.yaml", pyrra),
                ("sloth.yaml", sloth),
            ],
            Registry.default(),
        )
        sources = Sources(catalog.sources)
        runner = Runner(catalog, sources, Metrics(), 8.0)
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        try:
            results = [await runner.evaluate(catalog.get(name), {}, at) for name in ("ebr-clean", "ebr-sloth-clean")]
        finally:
            sources.close()
        assert [(r.verdict, r.value) for r in results] == [(Outcome.PASS, 0), (Outcome.PASS, 0)]
        assert [r.details["traffic"] for r in results] == [
            "pyrra.total (the SLO's total metric)",
            "sloth.total_query (the SLI's total query)",
        ]

    async def test_imported_documents_of_an_erring_service_whose_ratio_rules_stopped_are_inconclusive(self, prometheus):
        # The importer carries the SLO's errors (Pyrra's errors metric, Sloth's error_query) into the check.
        pyrra = {
            "apiVersion": "pyrra.dev/v1alpha1",
            "kind": "ServiceLevelObjective",
            "metadata": {"name": "ebr-stopped"},
            "spec": {
                "target": "99.9",
                "window": "28d",
                "indicator": {
                    "ratio": {
                        "errors": {"metric": 'ebr_http_requests_total{job="ebr-stopped", code=~"5.."}'},
                        "total": {"metric": 'ebr_http_requests_total{job="ebr-stopped"}'},
                    }
                },
            },
        }
        sloth = {
            "version": "prometheus/v1",
            "service": "ebr-sloth",
            "slos": [
                {
                    "name": "stopped",
                    "objective": 99.9,
                    "sli": {
                        "events": {
                            "error_query": (
                                'sum(rate(ebr_http_requests_total{job="ebr-stopped",code=~"(5..|429)"}[{{.window}}]))'
                            ),
                            "total_query": 'sum(rate(ebr_http_requests_total{job="ebr-stopped"}[{{.window}}]))',
                        }
                    },
                }
            ],
        }
        catalog = build_catalog(
            [
                ("sources", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}}),
                ("pyrra.yaml", pyrra),
                ("sloth.yaml", sloth),
            ],
            Registry.default(),
        )
        sources = Sources(catalog.sources)
        runner = Runner(catalog, sources, Metrics(), 8.0)
        at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
        try:
            results = [
                await runner.evaluate(catalog.get(name), {}, at) for name in ("ebr-stopped", "ebr-sloth-stopped")
            ]
        finally:
            sources.close()
        assert [r.verdict for r in results] == [Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE]
        assert all("the tool's ratio rule did not record" in windows(r)["5m"]["note"] for r in results)


STORE_DOWN = "partial response: store 2 down"


def partial_prometheus(warning: str, info: str | None = None) -> type[PrometheusSource]:
    """The real Prometheus, answering every query with `warning` (and `info`), as a Thanos querier with a store
    down does."""

    class PartialPrometheus(PrometheusSource):
        async def query(self, promql, at, timeout_s, **kwargs):
            answer = await super().query(promql, at, timeout_s, **kwargs)
            warnings, infos = [warning] if warning else [], [info] if info else []
            return QueryResult(answer.query, answer.result_type, answer.series, warnings, infos)

    return PartialPrometheus


class TestPartialAnswers:
    """A partial answer's warnings travel with the evidence, and an error series absent from it is no evidence
    of zero errors; PromQL's own annotations say nothing about missing series."""

    @staticmethod
    async def evaluate(catalog, prometheus, name, warning, info=None):
        kind = partial_prometheus(warning, info)
        sources = Sources(catalog.sources, make_prometheus=lambda source, config: kind(source, config))
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            return await runner.evaluate(catalog.get(name), {}, datetime.fromtimestamp(prometheus.anchor, tz=UTC))
        finally:
            await sources.aclose()

    async def test_warnings_reach_the_details(self, catalog, prometheus):
        evaluation = await self.evaluate(catalog, prometheus, "ebr-pyrra-clean", STORE_DOWN)
        assert evaluation.details["prometheus_warnings"] == [STORE_DOWN]

    async def test_infos_reach_the_details(self, catalog, prometheus):
        info = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'
        evaluation = await self.evaluate(catalog, prometheus, "ebr-raw-clean", STORE_DOWN, info)
        assert evaluation.details["prometheus_infos"] == [info]

    async def test_infos_without_warnings_reach_the_details(self, catalog, prometheus):
        info = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'
        evaluation = await self.evaluate(catalog, prometheus, "ebr-raw-clean", "", info)
        assert evaluation.details["prometheus_infos"] == [info]
        assert "prometheus_warnings" not in evaluation.details

    @pytest.mark.parametrize("name", ["ebr-raw-clean", "ebr-pyrra-clean", "ebr-sloth-clean"])
    async def test_absent_errors_in_a_partial_answer_are_not_zero_errors(self, catalog, prometheus, name):
        evaluation = await self.evaluate(catalog, prometheus, name, STORE_DOWN)
        assert evaluation.verdict == Outcome.INCONCLUSIVE
        note = windows(evaluation)["5m"]["note"]
        assert "the answer may be partial (partial response: store 2 down)" in note
        assert "no evidence of zero errors" in note

    async def test_one_partial_answer_of_two_batches_is_enough(self, catalog, prometheus):
        # Only the windows' batch is partial (the period's, sent apart for raw counters, is complete): its absent
        # errors are still no evidence of zero errors.
        class WindowsPartial(PrometheusSource):
            async def query(self, promql, at, timeout_s, **kwargs):
                answer = await super().query(promql, at, timeout_s, **kwargs)
                warnings = [STORE_DOWN] if '"5m"' in promql else []
                return QueryResult(answer.query, answer.result_type, answer.series, warnings, [])

        sources = Sources(catalog.sources, make_prometheus=lambda source, config: WindowsPartial(source, config))
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            evaluation = await runner.evaluate(catalog.get("ebr-raw-clean"), {}, at)
        finally:
            await sources.aclose()
        assert len(evaluation.details["sent_queries"]) == 2
        assert evaluation.verdict == Outcome.INCONCLUSIVE
        assert evaluation.details["prometheus_warnings"] == [STORE_DOWN]

    @staticmethod
    async def evaluate_canary(catalog, prometheus, canary, warning):
        kind = partial_prometheus(warning)
        sources = Sources(catalog.sources, make_prometheus=lambda source, config: kind(source, config))
        try:
            check = catalog.get("eb-shop-burn")
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            return await Runner(catalog, sources, Metrics(), 8.0).evaluate(check, check.bind_args(canary), at)
        finally:
            await sources.aclose()

    async def test_a_pass_from_a_partial_answer_is_inconclusive(self, catalog, prometheus):
        # ok1 burns 0.5x on a complete answer (a pass): the store that did not answer may hold the canary's errors.
        evaluation = await self.evaluate_canary(catalog, prometheus, {"canary_hash": "ok1"}, STORE_DOWN)
        assert evaluation.verdict == Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.value == pytest.approx(0.5, rel=1e-6)
        assert evaluation.reason.endswith(
            f", but the answer may be partial ({STORE_DOWN}): a store that did not answer may hold what fails the "
            "check, so a pass from it is not enough evidence"
        )

    async def test_a_fail_from_a_partial_answer_stands_and_says_so(self, catalog, prometheus):
        evaluation = await self.evaluate_canary(catalog, prometheus, {"canary_hash": "burn1"}, STORE_DOWN)
        assert evaluation.verdict == Outcome.FAIL, evaluation.reason
        assert evaluation.reason.endswith(f" (judged on an answer that may be partial: {STORE_DOWN})")

    async def test_a_promql_annotation_leaves_a_pass_alone(self, catalog, prometheus):
        info = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'
        evaluation = await self.evaluate_canary(catalog, prometheus, {"canary_hash": "ok1"}, info)
        assert evaluation.verdict == Outcome.PASS, evaluation.reason
        assert "partial" not in evaluation.reason

    @pytest.mark.parametrize(
        "annotation",
        [
            'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"',
            "PromQL warning: encountered a mix of histograms and floats for metric name x",
        ],
    )
    @pytest.mark.parametrize("name", ["ebr-raw-clean", "ebr-pyrra-clean"])
    async def test_promql_annotations_leave_zero_errors_alone(self, catalog, prometheus, name, annotation):
        evaluation = await self.evaluate(catalog, prometheus, name, annotation)
        assert evaluation.verdict == Outcome.PASS
        assert evaluation.details["prometheus_warnings"] == [annotation]


class TestPyrraBudgetGate:
    """A Pyrra check without tiers (`tiers: []`, a pure budget gate) reads pyrra_availability alone: its plan has no
    burnrate window, and the increase rule over the period alone tells whether the SLO's rules are loaded."""

    @staticmethod
    async def evaluate(prometheus, slo):
        gate = {
            "name": "gate",
            "kind": "error_budget",
            "objective": 99.9,
            "period": "28d",
            "tiers": [],
            "min_budget_remaining": 0,
            "pyrra": {"slo": slo, "metric": "eb_http_requests", "selectors": 'job="eb-pyrra"'},
        }
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [gate]})],
            Registry([ErrorBudgetCheck]),
        )
        sources = Sources(catalog.sources)
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            return await runner.evaluate(catalog.get("gate"), {}, at)
        finally:
            await sources.aclose()

    async def test_a_budget_left_passes(self, prometheus):
        # pyrra_availability 0.9995 at 99.9%: half the budget left (was: an internal error, StopIteration).
        evaluation = await self.evaluate(prometheus, "eb-pyrra-api")
        assert evaluation.verdict == Outcome.PASS, evaluation.reason
        assert evaluation.value == pytest.approx(0.5), evaluation.reason

    async def test_an_slo_without_rules_is_misconfigured(self, prometheus):
        evaluation = await self.evaluate(prometheus, "eb-pyrra-nope")
        assert evaluation.verdict == Outcome.ERROR and evaluation.error == "check_misconfigured"
        assert evaluation.reason.startswith(
            'no recording rule of Pyrra SLO slo="eb-pyrra-nope" has a series (not even the increase rule over 28d)'
        ), evaluation.reason


class TestStaleRecordedRatios:
    """A recorded ratio whose latest sample is older than a live rule group leaves it (its ruler died minutes ago,
    and Prometheus serves its last value for 5 minutes) is no evidence of the minutes since."""

    @pytest.mark.parametrize(
        ("name", "group", "rule"),
        [
            ("ebr-pyrra-dead", "Pyrra's burnrate rule group", "Pyrra burnrate*"),
            ("ebr-pyrra-dead-no-errors", "Pyrra's burnrate rule group", "Pyrra burnrate*"),
            ("ebr-sloth-dead", "Sloth's sli-recordings rule group", "Sloth ratio_rate*"),
        ],
    )
    async def test_a_ratio_recorded_minutes_before_the_evaluation_is_no_data(self, evaluate, name, group, rule):
        # The ruler died at A-4m, the canary errs 5% since A-3m. Before: pass at 0x on the ratios recorded before
        # the errors began, 4 to 5 minutes old, which Prometheus still served as the series' values.
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        assert result.reason.startswith("no page tier can judge (1h/5m: 1h: no data ("), result.reason
        for window, measured in windows(result).items():
            assert measured["error_ratio"] is None, window
            assert 4 * 60 <= measured["recorded_age_s"] <= 5 * 60, measured
            assert measured["note"].startswith(
                f"no data ({group} stopped recording: {rule}'s latest sample is {round(measured['recorded_age_s'])} "
                "s old at the evaluation time, older than the 180 s a group that evaluates leaves it (its ruler "
                "gone?), and Prometheus serves a series' last value for 5 minutes after; no evidence of the minutes "
                "since; a ruler that evaluates the group less often or later needs max_recorded_age_s above its "
                "interval plus its delay)"
            ), measured["note"]

    @pytest.mark.parametrize("name", ["ebr-pyrra-dead-gone", "ebr-sloth-dead-gone"])
    async def test_a_dead_group_without_its_5m_rule_is_no_data_by_its_other_rules(self, evaluate, name):
        # The errors before the ruler died came from pods replaced since: no 5m rule has a series, the 1h one (0.5x)
        # does. Before: the age was read on the 5m rule alone, so no window's was known and the 1h window's value,
        # 4 minutes old, was judged as live (the verdict stayed inconclusive only because the raw 5m errors showed the
        # 5m rule missing; with none in the last 5 minutes, nothing told the stale windows apart).
        result = await evaluate(name)
        assert result.verdict is Outcome.INCONCLUSIVE, result.reason
        recorded = {w: m for w, m in windows(result).items() if m.get("recorded_age_s") is not None}
        assert "1h" in recorded, windows(result)
        for window, measured in recorded.items():
            assert measured["error_ratio"] is None, window
            assert 4 * 60 <= measured["recorded_age_s"] <= 5 * 60, measured

    @pytest.mark.parametrize(("name", "interval_s"), [("ebr-pyrra-burn", 30), ("ebr-sloth-burn", 60)])
    async def test_a_live_ratio_is_judged_with_its_age_shown(self, evaluate, name, interval_s):
        # Rules recorded up to A+10m: each window's latest sample at A is at most one evaluation interval old.
        result = await evaluate(name)
        assert result.verdict is Outcome.FAIL, result.reason
        for window, measured in windows(result).items():
            assert measured["error_ratio"] is not None, window
            assert 0 <= measured["recorded_age_s"] <= interval_s, measured


class TestCanaryHashInAnSlo:
    """A Pyrra SLO's rules keep only the labels they group by: a check scoping the SLO to the canary's pod template
    hash is told to judge the canary with a `ratio` check on the raw counters, not to add the hash to the selectors
    (which then select no rule series)."""

    HASH = 'rollouts_pod_template_hash="{{ canary_hash }}"'
    ADVICE = (
        "a recording rule keeps only the labels its expression groups by (Pyrra's rules their SLO's grouping, Sloth's "
        "none but the SLO's own), so it cannot tell the canary from the stable pods: judge the canary from the raw "
        "counters (an error_budget check with ratio: errors and total selecting "
        'rollouts_pod_template_hash="{{ canary_hash }}"), and the SLO as it is recorded in a check of its own'
    )

    @staticmethod
    async def evaluate(prometheus, check, **args):
        catalog = build_catalog(
            [("test", {"sources": {"default": {"type": "prometheus", "url": prometheus.url}}, "checks": [check]})],
            Registry([ErrorBudgetCheck]),
        )
        sources = Sources(catalog.sources)
        try:
            runner = Runner(catalog, sources, Metrics(), 8.0)
            at = datetime.fromtimestamp(prometheus.anchor, tz=UTC)
            bound = catalog.get(check["name"])
            return await runner.evaluate(bound, bound.bind_args(args), at)
        finally:
            await sources.aclose()

    def canary_check(self, *, total=False, errors=False, selectors=False):
        """Pyrra SLO ebr-cnry's check (data_error_budget_canary_slo.py) with the canary hash in the fields named."""
        hashed = ", " + self.HASH
        check = pyrra_check(
            "cnry",
            total='ebr_http_requests_total{job="ebr-cnry"' + (hashed if total else "") + "}",
            errors='ebr_http_requests_total{job="ebr-cnry", code=~"5.."' + (hashed if errors else "") + "}",
            **({"params": CANARY} if total or errors or selectors else {}),
        )
        if selectors:
            check["pyrra"]["selectors"] += hashed
        return check

    @pytest.mark.parametrize("errors", [False, True])
    async def test_the_hash_in_pyrra_total_says_to_judge_the_canary_from_the_raw_counters(self, prometheus, errors):
        # Before: "add rollouts_pod_template_hash="bad0001" to pyrra.selectors", which gave the no-rule-series error.
        result = await self.evaluate(prometheus, self.canary_check(total=True, errors=errors), canary_hash="bad0001")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'Pyrra SLO {slo="ebr-cnry"}: pyrra.total selects rollouts_pod_template_hash="bad0001", which the SLO\'s '
            "rules do not carry (the burnrate1h series ebr_http_requests:burnrate1h{"
        ), result.reason
        assert result.reason.endswith(": " + self.ADVICE)
        assert "to pyrra.selectors" not in result.reason

    async def test_the_hash_in_pyrra_selectors_says_to_judge_the_canary_from_the_raw_counters(self, prometheus):
        result = await self.evaluate(prometheus, self.canary_check(selectors=True), canary_hash="bad0001")
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith('no recording rule of Pyrra SLO slo="ebr-cnry" has a series'), result.reason
        assert f"check pyrra.slo, pyrra.metric and pyrra.selectors ({self.ADVICE}), that period 28d" in result.reason

    async def test_without_the_hash_the_slo_is_judged(self, prometheus):
        # The service's error ratio, 0.11 / 12 (the canary's 5% diluted by the stable pods): 9.17x, page tier 6h/30m.
        result = await self.evaluate(prometheus, self.canary_check())
        assert result.verdict is Outcome.FAIL, result.reason
        assert result.value == pytest.approx(0.11 / 12 / 0.001, rel=1e-3)

    async def test_a_misspelled_selector_label_fails_closed(self, prometheus):
        # The rules carry job, not jbo: no rule series is selected, so the check errs showing the selector it read.
        check = pyrra_check("cnry")
        check["pyrra"]["selectors"] = 'jbo="ebr-cnry"'
        result = await self.evaluate(prometheus, check)
        assert result.verdict is Outcome.ERROR and result.error == "check_misconfigured", result.reason
        assert result.reason.startswith(
            'no recording rule of Pyrra SLO slo="ebr-cnry" has a series (neither '
            'ebr_http_requests:burnrate1h{slo="ebr-cnry", jbo="ebr-cnry"} nor the increase rule over 28d)'
        ), result.reason
        assert "rollouts_pod_template_hash" not in result.reason

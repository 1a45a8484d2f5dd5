"""Sloth SLO `ebr-sloth-slby` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slby"}`: 9.5 req/s code="200" and
0.5 req/s code="500" (5% errors, 50x), whose sli.events.error_query groups by code and ends in `or vector(0)` while its
total_query does not group: Sloth's ratio rule, `(error_query) / (total_query)`, matches series one-to-one, so only
vector(0)'s label-less 0 matches the total, and every window records 0 while the service burns.

`build_grouped` and `grouped_rules` are the builder data_error_budget_sloth_by_service.py shares."""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "slby"


def error_query(job: str, by: str) -> str:
    """The SLO's sli.events.error_query over job ebr-`job`, grouped `by` a label, `{window}` for Sloth's."""
    return (
        f'sum by ({by}) (rate(ebr_http_requests_total{{job="ebr-{job}",code=~"(5..|429)"}}[{{window}}])) or vector(0)'
    )


ERROR_QUERY = error_query(JOB, "code")


def build_grouped(om: OpenMetrics, anchor: float, job: str, rates: Mapping[str, float]) -> None:
    """Job ebr-`job`'s counters, {code: req/s}, every 60 s from A-7h to A+1h."""
    for code, rate in rates.items():
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": f"ebr-{job}", "code": code},
            lambda t, r=rate: r,
            anchor - 7 * HOUR,
            anchor + HOUR,
            MINUTE,
        )


def grouped_rules(anchor: float, *queries: tuple[str, str]) -> tuple[str, float, float]:
    """Sloth's rule groups for each SLO (job, its error_query), evaluated from 40 minutes before the anchor to 10
    after it."""
    text = "".join(sloth_rules(job, error_query=query) for job, query in queries)
    return "groups:\n" + text, anchor - 40 * MINUTE, anchor + 10 * MINUTE


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    build_grouped(om, anchor, JOB, {"200": 9.5, "500": 0.5})


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for the SLO."""
    return grouped_rules(anchor, (JOB, ERROR_QUERY))


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s (its rules API lists the ratio rules' expressions)."""
    return rules(anchor)[0]

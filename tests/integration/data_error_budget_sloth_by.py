"""Sloth SLO `ebr-sloth-slby` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slby"}`: 9.5 req/s code="200" and
0.5 req/s code="500" (5% errors, 50x), whose sli.events.error_query groups by code and ends in `or vector(0)` while its
total_query does not group: Sloth's ratio rule, `(error_query) / (total_query)`, matches series one-to-one, so only
vector(0)'s label-less 0 matches the total, and every window records 0 while the service burns."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "slby"
ERROR_QUERY = (
    f'sum by (code) (rate(ebr_http_requests_total{{job="ebr-{JOB}",code=~"(5..|429)"}}[{{window}}])) or vector(0)'
)


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    for code, rate in (("200", 9.5), ("500", 0.5)):
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": f"ebr-{JOB}", "code": code},
            lambda t, r=rate: r,
            anchor - 7 * HOUR,
            anchor + HOUR,
            MINUTE,
        )


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for the SLO, evaluated from 40 minutes before the anchor to 10 after it."""
    return "groups:\n" + sloth_rules(JOB, error_query=ERROR_QUERY), anchor - 40 * MINUTE, anchor + 10 * MINUTE


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s (its rules API lists the ratio rules' expressions)."""
    return rules(anchor)[0]

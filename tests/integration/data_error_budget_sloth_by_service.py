"""Sloth SLO `ebr-sloth-slsv` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slsv"}`: 9.9995 req/s code="200" and
0.0005 req/s code="500" (0.005% errors, 0.05x), whose sli.events.error_query groups `by (service)`, a label none of
the series carries: the `by` does nothing (one label-less group), so Sloth's ratio rule, `(error_query) /
(total_query)`, matches its errors with the ungrouped total and records the true ratio, and a pass is right."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "slsv"
ERROR_QUERY = (
    f'sum by (service) (rate(ebr_http_requests_total{{job="ebr-{JOB}",code=~"(5..|429)"}}[{{window}}])) or vector(0)'
)


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    for code, rate in (("200", 9.9995), ("500", 0.0005)):
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

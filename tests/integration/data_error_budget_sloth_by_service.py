"""Sloth SLO `ebr-sloth-slsv` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slsv"}`: 9.9995 req/s code="200" and
0.0005 req/s code="500" (0.005% errors, 0.05x), whose sli.events.error_query groups `by (service)`, a label none of
the series carries: the `by` does nothing (one label-less group), so Sloth's ratio rule, `(error_query) /
(total_query)`, matches its errors with the ungrouped total and records the true ratio, and a pass is right."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_sloth_by import build_grouped, error_query, grouped_rules

JOB = "slsv"
ERROR_QUERY = error_query(JOB, "service")


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    build_grouped(om, anchor, JOB, {"200": 9.9995, "500": 0.0005}, period_ratio=False)


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for the SLO, evaluated from 40 minutes before the anchor to 10 after it."""
    return grouped_rules(anchor, (JOB, ERROR_QUERY))


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s (its rules API lists the ratio rules' expressions)."""
    return rules(anchor)[0]

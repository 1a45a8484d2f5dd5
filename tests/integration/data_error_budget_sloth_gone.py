"""Sloth SLO `ebr-sloth-slgone` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slgone"}`: 9.5 req/s code="200"
from A-7h to A+1h, and 0.5 req/s code="500" (5% errors, 50x) until two hours before the anchor, when its pods were
replaced (the new pods' code="500" series appears on their first error: none yet).

Sloth's rules, as data_error_budget_rules.py writes them, are evaluated from three hours before the anchor: its 5m
ratio recorded 5% until the errors ended, nothing since. Its period ratio, `slo:sli_error:ratio_rate30d`, the average
of that 5m ratio, records nothing here (promtool evaluates rules against the raw series only): a period rule that does
not record (failing, as a 30d range may in a ruler with query limits, or not loaded) beside a 5m ratio that did."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "slgone"
# The errors' series ended this long before the anchor: before a 1h tier window, within the rules' range.
ERRORS_ENDED_S = 2 * HOUR


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    labels = {"job": f"ebr-{JOB}"}
    om.add_counter_rate("ebr_http_requests_total", {**labels, "code": "200"}, lambda t: 9.5, start, end, MINUTE)
    om.add_counter_rate(
        "ebr_http_requests_total", {**labels, "code": "500"}, lambda t: 0.5, start, anchor - ERRORS_ENDED_S + 1, MINUTE
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for the SLO, evaluated from three hours before the anchor to ten minutes after it."""
    return "groups:\n" + sloth_rules(JOB), anchor - 3 * HOUR, anchor + 10 * MINUTE

"""Sloth SLO `ebr-sloth-sllb` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-sllb"}`: 10 req/s code="200" and a
code="500" series that stays flat (its errors burned before the data starts), whose sli.events.error_query is Sloth's
usual `sum(rate(...))` while its total_query groups `by (job)`: Sloth's ratio rule, `(error_query) / (total_query)`,
matches the errors' label-less series with no total series, so it records nothing at all, whatever the errors (and
its period ratio, the average of the 5m ratio, nothing either)."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "sllb"
TOTAL = f'ebr_http_requests_total{{job="ebr-{JOB}"}}'


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    for code, rate in (("200", 10.0), ("500", 0.0)):
        om.add_counter_rate(
            "ebr_http_requests_total", {"job": f"ebr-{JOB}", "code": code}, lambda t, r=rate: r, start, end, MINUTE
        )


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for the SLO, its total_query grouped by job, evaluated from 40 minutes before the anchor
    to 10 after it."""
    text = sloth_rules(JOB).replace(f"(sum(rate({TOTAL}[", f"(sum by (job) (rate({TOTAL}[")
    return "groups:\n" + text, anchor - 40 * MINUTE + 30, anchor + 10 * MINUTE

"""A canary under a Pyrra and a Sloth SLO: `ebr_http_requests_total{job="ebr-cnry", rollouts_pod_template_hash}`
every 60 s from A-7h to A+1h, the stable pods (`stable1`) at 9.99 req/s code="200" and 0.01 req/s code="500", the
canary's (`bad0001`) at 1.9 req/s code="200" and 0.1 req/s code="500" (5% errors). Pyrra SLO `ebr-cnry` and Sloth SLO
`ebr-sloth-cnry` over the job, as data_error_budget_rules.py writes them: their rules sum over both pod sets and carry
no rollouts_pod_template_hash."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import pyrra_rules, sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "cnry"


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read, per pod template hash."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    for pods, ok, failed in (("stable1", 9.99, 0.01), ("bad0001", 1.9, 0.1)):
        labels = {"job": f"ebr-{JOB}", "rollouts_pod_template_hash": pods}
        for code, rate in (("200", ok), ("500", failed)):
            om.add_counter_rate(
                "ebr_http_requests_total", {**labels, "code": code}, lambda t, r=rate: r, start, end, MINUTE
            )


def rules(anchor: float) -> tuple[str, float, float]:
    """Both SLOs' rule groups, evaluated from forty minutes before the anchor to ten minutes after it."""
    return "groups:\n" + pyrra_rules(JOB) + sloth_rules(JOB), anchor - 40 * MINUTE, anchor + 10 * MINUTE

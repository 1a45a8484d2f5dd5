"""Pyrra SLO `ebr-podgone` (ratio, 28d, `performanceOverAccuracy: true`, over
`ebr_http_requests_total{job="ebr-podgone"}`, errors `code=~"5.."`): a healthy service, no error at all, whose two pods
are scraped every 30 s: pod a at 10 req/s throughout, pod b at 10 req/s until it was deleted (a rollout's step), its
last sample 4m50s before the anchor, so that the last 5 minutes hold one sample of it and the 5 before hold ten.
As data_error_budget_sparse.py otherwise; the check on it reads its own rules."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration import data_error_budget_sparse as sparse

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-podgone"
# Pod b's last sample: within the last 5 minutes, and the only one of it there.
LAST_SAMPLE_S = 4 * MINUTE + 50


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    for pod, until in (("a", end), ("b", anchor - LAST_SAMPLE_S + 1)):
        for code, rate in (("200", 10.0), ("500", 0.0)):
            om.add_counter_rate(
                "ebr_http_requests_total",
                {"job": SLO, "pod": pod, "code": code},
                lambda t, r=rate: r,
                # On the 30 s grid shifted by 10 s, so that LAST_SAMPLE_S before the anchor is a scrape.
                start + 10,
                until,
                MINUTE / 2,
            )


def rules(anchor: float) -> tuple[str, float, float]:
    """data_error_budget_sparse.py's rule groups, for this SLO."""
    text, start, end = sparse.rules(anchor)
    return text.replace(sparse.SLO, SLO), start, end

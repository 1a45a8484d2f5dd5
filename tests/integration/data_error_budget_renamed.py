"""A release that renamed a label: `eb_requests_total{service="eb-renamed"}` every 60 s from A-7h to A+1h, its stable
pods (`rollouts_pod_template_hash="stable1"`) at 10 req/s code="200"; its canary's pods (`renamed1`), from A-2h on,
carry `status_code` instead of `code`: 9.5 req/s status_code="200" and 0.5 req/s status_code="500" (5% errors, 50x at
99.9%). The metric still has series with `code` (the stable pods'), none of the canary's has it."""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
HOUR = 3600.0
SERVICE = "eb-renamed"


def build(om: OpenMetrics, anchor: float) -> None:
    """The stable pods' series with code, the canary's with status_code."""
    end = anchor + HOUR
    stable = {"service": SERVICE, "rollouts_pod_template_hash": "stable1"}
    om.add_counter_rate("eb_requests_total", {**stable, "code": "200"}, lambda t: 10.0, anchor - 7 * HOUR, end, MINUTE)
    canary = {"service": SERVICE, "rollouts_pod_template_hash": "renamed1"}
    for code, rate in (("200", 9.5), ("500", 0.5)):
        om.add_counter_rate(
            "eb_requests_total", {**canary, "status_code": code}, lambda t, r=rate: r, anchor - 2 * HOUR, end, MINUTE
        )

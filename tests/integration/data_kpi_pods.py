"""Series for `kpi_compare`'s per-pod ratios: two variants of five pods each (the `pod` label), around the anchor.

- kpipodsbusy: the canary. Pod a: 20 visits/s, 2 failed payments/s (10%); pods b to e: 0.2 visits/s each, none
  failed. 9.6% of its visits fail; its pods' ratios average 2% and sum to 10%.
- kpipodseven: the baseline. Five pods of 4 visits/s, 0.1 failed payments/s each (2.5%): 2.5% of its visits fail; its
  pods' ratios average 2.5% and sum to 12.5%.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

START_S = 2 * 3600
END_S = 3600
STEP_S = 15.0

# hash: {pod: (visits/s, failed payments/s)}
PODS = {
    "kpipodsbusy": {"a": (20.0, 2.0), **{pod: (0.2, 0.0) for pod in "bcde"}},
    "kpipodseven": {pod: (4.0, 0.1) for pod in "abcde"},
}


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the per-pod series."""
    start, end = anchor - START_S, anchor + END_S
    for variant, pods in PODS.items():
        for pod, (visits, failed) in pods.items():
            labels = {"service": "shop", "rollouts_pod_template_hash": variant, "pod": pod}
            om.add_counter_rate("kpi_visits_total", labels, lambda t, r=visits: r, start, end, STEP_S)
            om.add_counter_rate("kpi_failed_payments_total", labels, lambda t, r=failed: r, start, end, STEP_S)

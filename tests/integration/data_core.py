"""Series for the core `prometheus` kind tests, laid out around the anchor time (unix seconds).

checkout service, rollouts_pod_template_hash:
- healthy1: 10 req/s, 0.01 of them 5xx per second -> error ratio 0.01 / 10 = 0.001
- broken1:  10 req/s, 1 5xx per second            -> error ratio 0.1
- idle1:    counters present, never increasing      -> 0 / 0 = NaN
- INJECTION (a hash that looks like PromQL): 5 5xx per second, so a literal match fails loudly
queue_depth{pod="a"} = 3, {pod="b"} = 7 (two series)
latency_p99_seconds{service="checkout"} = 0.2 until anchor - 30m, then 0.9
canary_error_ratio{service="checkout", rollouts_pod_template_hash="crashed1"} = 0.001 until anchor - 30m, then nothing
(a canary whose pods died: its series stops); {service="versus", rollouts_pod_template_hash="steady1" or "steady2"}:
0.001 throughout
crashloop_errors_total{pod="crashloop1"}: 2 errors per second, its pod restarted (the counter back to 0) at anchor - 1m
ending_errors_total{pod="ending1"}: 1 error per second until anchor - 10m, then nothing (the data a live Prometheus
holds when its clock reads anchor - 10m)
batch_processed_items{job="nightly"} = 500, written every 30 minutes (anchor - 3h, ..., anchor, ...): a batch job's
metric, sparser than the 5-minute look-back
lagging_requests_total, canary lagging1, two pods, 10 req/s each: pod "slow" 1 5xx per second, its newest sample at
anchor - 75s (its last scrapes timed out); pod "fast" no 5xx (its 5xx counter at 0), scraped to the end
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

START_S = 3 * 3600
END_S = 2 * 3600
STEP_CHANGE_S = 30 * 60
RESTART_S = 60
INJECTION = 'x"}[5m])) or vector(0) #'
ENDING_S = 10 * 60
SPARSE_STEP_S = 30 * 60
LAGGING_S = 75


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the core series."""
    start, end = anchor - START_S, anchor + END_S
    for pod_hash, ok_rate, error_rate in (("healthy1", 9.99, 0.01), ("broken1", 9.0, 1.0), ("idle1", 0.0, 0.0)):
        for code, rate in (("200", ok_rate), ("500", error_rate)):
            om.add_counter_rate(
                "http_requests_total",
                {"service": "checkout", "rollouts_pod_template_hash": pod_hash, "code": code},
                lambda t, r=rate: r,
                start,
                end,
            )
    om.add_counter_rate(
        "http_requests_total",
        {"service": "checkout", "rollouts_pod_template_hash": INJECTION, "code": "500"},
        lambda t: 5.0,
        start,
        end,
    )
    for pod, depth in (("a", 3.0), ("b", 7.0)):
        om.add("queue_depth", {"service": "checkout", "pod": pod}, lambda t, d=depth: d, start, end)
    om.add(
        "canary_error_ratio",
        {"service": "checkout", "rollouts_pod_template_hash": "crashed1"},
        lambda t: 0.001,
        start,
        anchor - STEP_CHANGE_S,
    )
    for steady in ("steady1", "steady2"):
        labels = {"service": "versus", "rollouts_pod_template_hash": steady}
        om.add("canary_error_ratio", labels, lambda t: 0.001, start, end)
    om.add(
        "latency_p99_seconds", {"service": "checkout"}, lambda t: 0.2 if t < anchor - STEP_CHANGE_S else 0.9, start, end
    )
    restart = anchor - RESTART_S
    om.add(
        "crashloop_errors_total",
        {"pod": "crashloop1"},
        lambda t: 2.0 * (t - start) if t < restart else 2.0 * (t - restart),
        start,
        end,
    )
    om.add_counter_rate("ending_errors_total", {"pod": "ending1"}, lambda t: 1.0, start, anchor - ENDING_S)
    om.add("batch_processed_items", {"job": "nightly"}, lambda t: 500.0, start, end, SPARSE_STEP_S)
    for pod, error_rate, pod_end in (("slow", 1.0, anchor - LAGGING_S + 1), ("fast", 0.0, end)):
        for code, rate in (("200", 10.0 - error_rate), ("500", error_rate)):
            om.add_counter_rate(
                "lagging_requests_total",
                {"rollouts_pod_template_hash": "lagging1", "pod": pod, "code": code},
                lambda t, r=rate: r,
                start,
                pod_end,
            )

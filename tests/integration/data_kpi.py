"""Series for the `kpi_compare` and `composite` tests: canary and stable business KPIs around the anchor.

Metric names start with `kpi_`; the variant is the `rollouts_pod_template_hash` label:
- kpistable: the baseline. 50 visits/s, 5 orders/s (conversion 10%), no failed payments; p95 latency 0.2 s;
  request latency 0.100 s +- 0.02 s (deterministic noise).
- kpiequal:  20 visits/s, 2 orders/s (10%); p95 0.2 s; latency 0.100 s +- 0.02 s (other noise).
- kpiworse:  20 visits/s, 1 order/s (5%), 0.5 failed payments/s (2.5% of visits); p95 0.4 s;
             latency 0.150 s +- 0.02 s.
- kpibetter: 20 visits/s, 3 orders/s (15%); p95 0.1 s; latency 0.060 s +- 0.02 s.
- kpitiny:   0.01 visits/s (6 in 10 minutes), conversion 10%; p95 0.2 s; latency series only in the last
             3 minutes before the anchor.
Only kpiworse has failed payments (kpi_failed_payments_total); the others' counters stay at 0.
- kpi_orders_v1_total / kpi_orders_v2_total: the orders counter renamed 40 minutes before the anchor: v1 (kpistable,
  5 orders/s) until then, v2 (kpistable 5/s, kpiequal 2/s) since; a baseline an hour back reads v1 alone.
- kpidead:   like kpiequal until 20 minutes before the anchor (visits and latency), then nothing: a canary
             whose pods died.
- kpihung:   like kpiequal (visits and orders) until 15 minutes before the anchor, then its counters stay flat
             and are still scraped: a canary whose request workers hung (its conversion is 0/0, NaN, since);
             its exported p95 gauge keeps reading 0.2 s.
- kpigone:   like kpiequal (visits, orders, no failed payments, p95) until 20 minutes before the anchor, then nothing:
             a canary as good as stable whose pods died (a lookback of 30m still holds its 10 good minutes).
- kpinoerr:  like kpiequal (visits, orders, p95) to the end, without a failed-payments series: a client library creates
             that counter at the first failure.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

START_S = 2 * 3600
END_S = 3600
STEP_S = 15.0
TINY_LATENCY_S = 3 * 60
NOISE_S = 0.02
DEAD_S = 20 * 60
HUNG_S = 15 * 60
RENAMED_S = 40 * 60

# hash: (visits/s, orders/s, p95 s, mean latency s, noise seed)
VARIANTS = {
    "kpistable": (50.0, 5.0, 0.2, 0.100, 17),
    "kpiequal": (20.0, 2.0, 0.2, 0.100, 71),
    "kpiworse": (20.0, 1.0, 0.4, 0.150, 29),
    "kpibetter": (20.0, 3.0, 0.1, 0.060, 43),
    "kpitiny": (0.01, 0.001, 0.2, 0.100, 53),
}


def noise(t: float, anchor: float, seed: int) -> float:
    """Uniform-looking noise in [-NOISE_S, NOISE_S), the same at the same offset from the anchor every run."""
    tick = round((t - anchor) / STEP_S)
    return ((tick * 2654435761 + seed * 40503) % 1000 / 1000 - 0.5) * 2 * NOISE_S


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the KPI series."""
    start, end = anchor - START_S, anchor + END_S
    for variant, (visits, orders, p95, latency, seed) in VARIANTS.items():
        labels = {"service": "shop", "rollouts_pod_template_hash": variant}
        om.add_counter_rate("kpi_visits_total", labels, lambda t, r=visits: r, start, end, STEP_S)
        om.add_counter_rate("kpi_orders_total", labels, lambda t, r=orders: r, start, end, STEP_S)
        failed = 0.5 if variant == "kpiworse" else 0.0
        om.add_counter_rate("kpi_failed_payments_total", labels, lambda t, r=failed: r, start, end, STEP_S)
        om.add("kpi_p95_latency_seconds", labels, lambda t, v=p95: v, start, end, STEP_S)
        latency_start = anchor - TINY_LATENCY_S if variant == "kpitiny" else start
        om.add(
            "kpi_request_latency_seconds",
            labels,
            lambda t, m=latency, s=seed: m + noise(t, anchor, s),
            latency_start,
            end,
            STEP_S,
        )
    dead = {"service": "shop", "rollouts_pod_template_hash": "kpidead"}
    om.add_counter_rate("kpi_visits_total", dead, lambda t: 20.0, start, anchor - DEAD_S, STEP_S)
    om.add("kpi_request_latency_seconds", dead, lambda t: 0.100 + noise(t, anchor, 71), start, anchor - DEAD_S, STEP_S)
    for variant, orders in (("kpistable", 5.0), ("kpiequal", 2.0)):
        labels = {"service": "shop", "rollouts_pod_template_hash": variant}
        if variant == "kpistable":
            om.add_counter_rate("kpi_orders_v1_total", labels, lambda t, r=orders: r, start, anchor - RENAMED_S, STEP_S)
        om.add_counter_rate("kpi_orders_v2_total", labels, lambda t, r=orders: r, anchor - RENAMED_S, end, STEP_S)
    hung = {"service": "shop", "rollouts_pod_template_hash": "kpihung"}
    for name, rate in (("kpi_visits_total", 20.0), ("kpi_orders_total", 2.0)):
        om.add_counter_rate(name, hung, lambda t, r=rate: r if t < anchor - HUNG_S else 0.0, start, end, STEP_S)
    om.add("kpi_p95_latency_seconds", hung, lambda t: 0.2, start, end, STEP_S)
    for variant, stop in (("kpigone", anchor - DEAD_S), ("kpinoerr", end)):
        labels = {"service": "shop", "rollouts_pod_template_hash": variant}
        om.add_counter_rate("kpi_visits_total", labels, lambda t: 20.0, start, stop, STEP_S)
        om.add_counter_rate("kpi_orders_total", labels, lambda t: 2.0, start, stop, STEP_S)
        om.add("kpi_p95_latency_seconds", labels, lambda t: 0.2, start, stop, STEP_S)
        if variant == "kpigone":
            om.add_counter_rate("kpi_failed_payments_total", labels, lambda t: 0.0, start, stop, STEP_S)

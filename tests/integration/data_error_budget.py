"""Series for the error_budget kind, laid out around the anchor A (unix seconds), every 60 s.

All request counters are `eb_requests_total{service, [rollouts_pod_template_hash], code}` at 10 req/s total;
a change point never sits within a minute of a window boundary (A-5m, -30m, -1h, -2h, -6h, -1d, -3d, -7d).

eb-shop canaries (rollouts_pod_template_hash), from A-3h:
- burn1:  0.05% errors until A-50m, then 2.5%
- ok1:    0.05% errors
- clean1: only code="200" series (no error series at all)
- idle1:  counters present but flat (no traffic)
- gone1:  0.05% errors until A-20m, then nothing (its pods died: its series stop)
eb-shop canary crash1, from A-7h: 0.05% errors, 5% from A-40m, no traffic at all from A-10m (crash-looping).
eb-billing, service-wide, from A-7d-10m: 0.08% errors, except 5% from A-50h to A-48h (an incident).
eb-search, service-wide, from A-7d-10m: 0.02% errors.
eb_layout_seconds histogram {service="eb-quiet"}, from A-2h, no traffic: pod a has buckets 0.5 and +Inf, pod b +Inf
  alone.
eb_latency_seconds histogram {service="eb-api"}, from A-2h: 20 req/s; le written as "0.50" and "1.0":
  19.6/s under 0.5 s (2% slow), 19.99/s under 1 s (0.05% slow).
Pyrra recording rules (values are error ratios), A-30m to A+10m:
  eb_http_requests:burnrate<w>{slo="eb-pyrra-api", job="eb-pyrra"}, and pyrra_availability{slo="eb-pyrra-api"}
  = 0.9995 (Pyrra's generic rules give it only `slo`, never the metric's matchers), the increase rule
  eb_http_requests:increase4w{slo="eb-pyrra-api", job="eb-pyrra"}; the raw total
  eb_http_requests_total{job="eb-pyrra", code="200"} at 10 req/s from A-5d;
  {slo="eb-pyrra-quiet"}: NaN over 5m and 1h (no traffic), 0.0001 elsewhere.
Sloth recording rules, A-30m to A+10m: slo:sli_error:ratio_rate<w>{sloth_id="eb-sloth-availability", ...}
  0.002 over every window, 0.0009 over 30d.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
TOTAL_RATE = 10.0
AFTER_S = HOUR

PYRRA_API = {"5m": 0.02, "30m": 0.01, "1h": 0.016, "2h": 0.004, "6h": 0.006, "1d": 0.003, "4d": 0.0012}
PYRRA_QUIET = {
    "5m": float("nan"),
    "30m": 0.0001,
    "1h": float("nan"),
    "2h": 0.0001,
    "6h": 0.0001,
    "1d": 0.0001,
    "4d": 0.0001,
}
SLOTH_WINDOWS = {
    "5m": 0.002,
    "30m": 0.002,
    "1h": 0.002,
    "2h": 0.002,
    "6h": 0.002,
    "1d": 0.002,
    "3d": 0.002,
    "30d": 0.0009,
}


def _requests(
    om: OpenMetrics,
    labels: dict[str, str],
    error_share,
    start: float,
    end: float,
    total_rate: float = TOTAL_RATE,
    with_errors: bool = True,
) -> None:
    """Two counters, code 200 and 500, whose error share at time t is error_share(t)."""
    om.add_counter_rate(
        "eb_requests_total", {**labels, "code": "200"}, lambda t: total_rate * (1 - error_share(t)), start, end, MINUTE
    )
    if with_errors:
        om.add_counter_rate(
            "eb_requests_total", {**labels, "code": "500"}, lambda t: total_rate * error_share(t), start, end, MINUTE
        )


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the error_budget series."""
    end = anchor + AFTER_S
    canary_start = anchor - 3 * HOUR
    shop = {"service": "eb-shop"}
    _requests(
        om,
        {**shop, "rollouts_pod_template_hash": "burn1"},
        lambda t: 0.0005 if t < anchor - 50 * MINUTE else 0.025,
        canary_start,
        end,
    )
    _requests(om, {**shop, "rollouts_pod_template_hash": "ok1"}, lambda t: 0.0005, canary_start, end)
    _requests(om, {**shop, "rollouts_pod_template_hash": "clean1"}, lambda t: 0.0, canary_start, end, with_errors=False)
    _requests(om, {**shop, "rollouts_pod_template_hash": "idle1"}, lambda t: 0.0, canary_start, end, total_rate=0.0)
    _requests(om, {**shop, "rollouts_pod_template_hash": "gone1"}, lambda t: 0.0005, canary_start, anchor - 20 * MINUTE)
    crashed = {**shop, "rollouts_pod_template_hash": "crash1"}
    for code, share in (
        ("200", lambda t: 0.9995 if t < anchor - 40 * MINUTE else 0.95),
        ("500", lambda t: 0.0005 if t < anchor - 40 * MINUTE else 0.05),
    ):
        om.add_counter_rate(
            "eb_requests_total",
            {**crashed, "code": code},
            lambda t, s=share: TOTAL_RATE * s(t) if t < anchor - 10 * MINUTE else 0.0,
            anchor - 7 * HOUR,
            end,
            MINUTE,
        )

    week_start = anchor - 7 * DAY - 10 * MINUTE
    _requests(
        om,
        {"service": "eb-billing"},
        lambda t: 0.05 if anchor - 50 * HOUR <= t < anchor - 48 * HOUR else 0.0008,
        week_start,
        end,
    )
    _requests(om, {"service": "eb-search"}, lambda t: 0.0002, week_start, end)

    histogram_start = anchor - 2 * HOUR
    api = {"service": "eb-api"}
    for le, rate in (("0.25", 15.0), ("0.50", 19.6), ("1.0", 19.99), ("+Inf", 20.0)):
        om.add_counter_rate(
            "eb_latency_seconds_bucket", {**api, "le": le}, lambda t, r=rate: r, histogram_start, end, MINUTE
        )
    om.add_counter_rate("eb_latency_seconds_count", api, lambda t: 20.0, histogram_start, end, MINUTE)
    # The same histogram at under one request per second: traffic all the same.
    trickle = {"service": "eb-trickle"}
    for le, rate in (("0.25", 0.3), ("0.50", 0.4), ("1.0", 0.5), ("+Inf", 0.5)):
        om.add_counter_rate(
            "eb_latency_seconds_bucket", {**trickle, "le": le}, lambda t, r=rate: r, histogram_start, end, MINUTE
        )
    om.add_counter_rate("eb_latency_seconds_count", trickle, lambda t: 0.5, histogram_start, end, MINUTE)
    # A histogram whose client was given no buckets: only +Inf, over which any quantile is NaN.
    om.add_counter_rate(
        "eb_unbucketed_seconds_bucket", {**api, "le": "+Inf"}, lambda t: 20.0, histogram_start, end, MINUTE
    )
    om.add_counter_rate("eb_unbucketed_seconds_count", api, lambda t: 20.0, histogram_start, end, MINUTE)
    # One histogram, four services: buckets and traffic (eb-other), buckets without traffic (eb-idle: every
    # quantile NaN, no data), and traffic with +Inf alone (eb-api) or without +Inf (eb-capped): every quantile NaN
    # whatever the latency. Its _count for eb-capped: a latency SLO reads its 0.5 s bucket against it.
    om.add_counter_rate(
        "eb_mixed_seconds_count", {"service": "eb-capped"}, lambda t: 20.0, histogram_start, end, MINUTE
    )
    for labels, rates in (
        ({"service": "eb-other"}, (("0.5", 19.0), ("+Inf", 20.0))),
        ({"service": "eb-idle"}, (("0.5", 0.0), ("+Inf", 0.0))),
        (api, (("+Inf", 20.0),)),
        ({"service": "eb-capped"}, (("0.5", 19.0), ("1.0", 20.0))),
    ):
        for le, rate in rates:
            om.add_counter_rate(
                "eb_mixed_seconds_bucket", {**labels, "le": le}, lambda t, r=rate: r, histogram_start, end, MINUTE
            )
    # The same histogram through a recording rule (level:metric:operations names its buckets' rates), and a metric
    # whose name ends in _bucket that is no histogram (no `le`): a quantile reads the first, a ratio the second.
    for labels, rates in ((api, (("+Inf", 20.0),)), ({"service": "eb-idle"}, (("0.5", 0.0), ("+Inf", 0.0)))):
        for le, rate in rates:
            om.add("eb:mixed_seconds_bucket:rate5m", {**labels, "le": le}, lambda t, r=rate: r, histogram_start, end)
    om.add_counter_rate("eb_objects_per_bucket", {"service": "eb-idle"}, lambda t: 0.0, histogram_start, end, MINUTE)
    # A histogram without traffic whose pods export different layouts: pod a its buckets, pod b (an old client) +Inf
    # alone. Summed by service, its buckets are whole; per pod, b's are not.
    for pod, bounds in (("a", ("0.5", "+Inf")), ("b", ("+Inf",))):
        for le in bounds:
            labels = {"service": "eb-quiet", "pod": pod, "le": le}
            om.add_counter_rate("eb_layout_seconds_bucket", labels, lambda t: 0.0, histogram_start, end, MINUTE)

    recorded_start, recorded_end = anchor - 30 * MINUTE, anchor + 10 * MINUTE
    for slo, windows in (("eb-pyrra-api", PYRRA_API), ("eb-pyrra-quiet", PYRRA_QUIET)):
        for window, ratio in windows.items():
            om.add(
                f"eb_http_requests:burnrate{window}",
                {"slo": slo, "job": "eb-pyrra"},
                lambda t, r=ratio: r,
                recorded_start,
                recorded_end,
                MINUTE,
            )
    om.add("pyrra_availability", {"slo": "eb-pyrra-api"}, lambda t: 0.9995, recorded_start, recorded_end, MINUTE)
    # Pyrra's increase rule over the SLO's 28d window, recorded whenever the total has series.
    om.add(
        "eb_http_requests:increase4w",
        {"slo": "eb-pyrra-api", "job": "eb-pyrra"},
        lambda t: TOTAL_RATE * 5 * DAY,
        recorded_start,
        recorded_end,
        MINUTE,
    )
    # The raw total the Pyrra SLO is defined on (an imported document reads its traffic from it).
    om.add_counter_rate(
        "eb_http_requests_total",
        {"job": "eb-pyrra", "code": "200"},
        lambda t: TOTAL_RATE,
        anchor - 5 * DAY,
        end,
        MINUTE,
    )
    for window, ratio in SLOTH_WINDOWS.items():
        om.add(
            f"slo:sli_error:ratio_rate{window}",
            {
                "sloth_id": "eb-sloth-availability",
                "sloth_service": "eb-sloth",
                "sloth_slo": "availability",
                "sloth_window": window,
                "owner": "eb-team",
            },
            lambda t, r=ratio: r,
            recorded_start,
            recorded_end,
            MINUTE,
        )

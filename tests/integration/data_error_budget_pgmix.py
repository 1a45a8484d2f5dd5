"""Pyrra SLO `ebr-pgmix` (ratio, 28d, over `ebr_http_requests_total{job="ebr-pgmix"}`, errors `code=~"5.."`), whose
burnrate series are two same-name SLOs' (each loaded for some windows only, the rest failing): those over 5m, 30m, 1h,
2h, 6h and 4d carry cluster="eu1" (a total that adds it), the one over 1d region="r" (a total that adds that). Raw
series: cluster="eu1", region="r" at 10 req/s, 1% errors (10x) over the last 30 minutes alone; region="r" without
cluster at 10 req/s, 10% errors (100x) from 6h to 3h before the anchor, when it ended; and a series with neither at
10 req/s that ended 2 days before the anchor. Over 6h the SLO burns 34x (its page tier 6h/30m fires), but the
cluster="eu1" burnrate6h, which leaves the series without cluster out, reads 0.83x. Every raw series over the last hour
carries cluster="eu1" (not over 6h), and over the last day region="r" (not over 4d)."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import pyrra_generic_group

MINUTE = 60.0
HOUR = 3600.0
DAY = 24 * HOUR
SLO = "ebr-pgmix"


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    add_counters(om, anchor, SLO)


def add_counters(om: OpenMetrics, anchor: float, job: str) -> None:
    """Job `job`'s raw series (see the module's docstring)."""
    start, end = anchor - 3 * DAY, anchor + HOUR
    both = {"job": job, "cluster": "eu1", "region": "r"}
    regional = {"job": job, "region": "r"}
    for labels, code, rate, until in (
        (both, "200", lambda t: 10.0, end),
        (both, "500", lambda t: 0.1 if t >= anchor - 30 * MINUTE else 0.0, end),
        (regional, "200", lambda t: 10.0, anchor - 3 * HOUR + 1),
        (regional, "500", lambda t: 1.0 if t >= anchor - 6 * HOUR else 0.0, anchor - 3 * HOUR + 1),
        ({"job": job}, "200", lambda t: 10.0, anchor - 2 * DAY + 1),
    ):
        om.add_counter_rate("ebr_http_requests_total", labels | {"code": code}, rate, start, until, MINUTE / 2)


def rules(anchor: float) -> tuple[str, float, float]:
    """The burnrate groups of the two SLOs (each window from one of them), and the --generic-rules group."""
    return burnrate_rules(anchor, SLO, ("1d",))


def burnrate_rules(anchor: float, slo: str, regional: tuple[str, ...]) -> tuple[str, float, float]:
    """SLO `slo`'s burnrate rules, those over `regional` windows carrying region="r", the rest cluster="eu1", and its
    --generic-rules group."""
    text = f"groups:\n- name: {slo}\n  interval: 30s\n  rules:\n"
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
        label, value = ("region", "r") if window in regional else ("cluster", "eu1")
        total = f'ebr_http_requests_total{{job="{slo}",{label}="{value}"}}'
        errors = f'ebr_http_requests_total{{code=~"5..",job="{slo}",{label}="{value}"}}'
        text += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n"
            f"    labels:\n      job: {slo}\n      slo: {slo}\n      {label}: {value}\n"
        )
    total = f'ebr_http_requests_total{{job="{slo}"}}'
    errors = f'ebr_http_requests_total{{code=~"5..",job="{slo}"}}'
    text += pyrra_generic_group(slo, total, errors)
    return text, anchor - 40 * MINUTE, anchor + 10 * MINUTE

"""Pyrra SLO `ebr-sparse` (ratio, 28d, `performanceOverAccuracy: true`, over
`ebr_http_requests_total{job="ebr-sparse"}`, errors `code=~"5.."`): code="200" at 10 req/s scraped every 30 s, and
code="404" at 0.1 req/s (not an error: no burnrate records) from a target scraped every 5 minutes, 7 s off the rule
evaluations' grid, so that every 5-minute range holds one sample of it. Its 5m increase group (beside the burnrate and
--generic-rules groups; the -long group runs elsewhere) is grouped by `code`: increase() needs two samples in its
range, so it carries code="200" alone, at every evaluation, and never code="404".
The check on it reads its own rules."""

from __future__ import annotations

from collections.abc import Callable

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import pyrra_generic_group

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-sparse"
# The 404 target's scrape interval, and its samples' offset from the rule evaluations' 30 s grid.
SPARSE_STEP_S = 5 * MINUTE
SPARSE_OFFSET_S = 7.0


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    add_counters(om, anchor, SLO, "404", lambda t: 0.1)


def add_counters(om: OpenMetrics, anchor: float, job: str, code: str, rate: Callable[[float], float]) -> None:
    """Job `job`'s code="200" at 10 req/s scraped every 30 s, and `code` at `rate` from the target scraped every 5
    minutes, from 7 hours before the anchor to an hour after it."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    labels = {"job": job}
    om.add_counter_rate("ebr_http_requests_total", labels | {"code": "200"}, lambda t: 10.0, start, end, MINUTE / 2)
    om.add_counter_rate(
        "ebr_http_requests_total", labels | {"code": code}, rate, start + SPARSE_OFFSET_S, end, SPARSE_STEP_S
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """Pyrra's 5m increase, burnrate and --generic-rules groups for the SLO (performanceOverAccuracy), and the range
    they are evaluated over."""
    total = f'ebr_http_requests_total{{job="{SLO}"}}'
    errors = f'ebr_http_requests_total{{code=~"5..",job="{SLO}"}}'
    labels = f"    labels:\n      job: {SLO}\n      slo: {SLO}\n"
    text = (
        f"groups:\n- name: {SLO}-increase\n  interval: 30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase5m\n    expr: sum by (code) (increase({total}[5m]))\n{labels}"
        f"- name: {SLO}\n  interval: 30s\n  rules:\n"
    )
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
        text += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    text += pyrra_generic_group(SLO, total, errors)
    return text, anchor - 40 * MINUTE, anchor + 10 * MINUTE

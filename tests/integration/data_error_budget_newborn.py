"""Pyrra SLO `ebr-newborn` (ratio, 28d, over `ebr_http_requests_total{job="ebr-newborn"}`, errors `code=~"5.."`) whose
service answered 200 alone until a minute before the anchor, when its first 404 came (not an error: no burnrate
records), and whose rule groups (burnrate and increase, as slo/rules.go writes them) were last evaluated at least 2
minutes before the anchor: its increase rule, grouped by `code`, carries code="200" alone, as it did at every
evaluation, and carries code="404" only from its next one on (Pyrra's increase group evaluates every 2m30s for a 28d
window). The check on it reads its own rules: what it finds is no same-name SLO's."""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-newborn"
# The first 404 this long before the anchor, after the rules' last evaluation.
BORN_S = MINUTE
# The rules are evaluated up to this long before the anchor.
RULES_END_S = 2 * MINUTE


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read: 10 req/s 200 throughout, 0.1 req/s 404 from BORN_S before the anchor."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    labels = {"job": SLO}
    om.add_counter_rate("ebr_http_requests_total", labels | {"code": "200"}, lambda t: 10.0, start, end, MINUTE)
    om.add_counter_rate(
        "ebr_http_requests_total", labels | {"code": "404"}, lambda t: 0.1, anchor - BORN_S, end, MINUTE
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """Pyrra's burnrate and increase groups for the SLO, and the range they are evaluated over."""
    total = f'ebr_http_requests_total{{job="{SLO}"}}'
    errors = f'ebr_http_requests_total{{code=~"5..",job="{SLO}"}}'
    labels = f"    labels:\n      job: {SLO}\n      slo: {SLO}\n"
    text = f"groups:\n- name: {SLO}\n  interval: 30s\n  rules:\n"
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d"):
        text += (
            f"  - record: ebr_http_requests:burnrate{window}\n"
            f"    expr: sum(rate({errors}[{window}])) / sum(rate({total}[{window}]))\n" + labels
        )
    text += (
        f"- name: {SLO}-increase\n  interval: 2m30s\n  rules:\n"
        f"  - record: ebr_http_requests:increase4w\n    expr: sum by (code) (increase({total}[4w]))\n" + labels
    )
    return text, anchor - 40 * MINUTE, anchor - RULES_END_S

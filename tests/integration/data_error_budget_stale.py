"""A ruler that died minutes ago: Prometheus serves each series' last sample for 5 minutes (its look-back), so an
instant query at A still reads the rules' last values, recorded before the errors began.

`ebr_http_requests_total{job="ebr-dead"}` every 60 s from A-7h to A+1h: 9.5 req/s code="200", and a code="500"
series that does not grow until A-3m, then 0.5 req/s (5% errors since: a canary that went bad). Its error series
exists throughout, so Pyrra's burnrate and Sloth's ratio rules record 0 until the ruler stops.

Pyrra SLO `ebr-dead` (ratio, 99.9%, 28d, burnrate and increase groups (the latter every 30 s), no --generic-rules)
and Sloth SLO `ebr-sloth-dead` (99.9%, 30d), in the forms of data_error_budget_rules.py, evaluated from A-40m to A-4m
only: their ruler died at A-4m, a minute before the errors began. At A every recorded ratio is 0, and 4 to 5 minutes
old.

`ebr_http_requests_total{job="ebr-dead-gone"}`: the same ruler's death, where the errors before it came from pods
replaced since: their code="500" series (0.005 req/s, 0.05% errors) ends at A-10m, so from A-5m no 5m rule has a series
(burnrate5m, ratio_rate5m) while the longer windows' still do, at 0.5x; a new pod's code="500" series errs at 0.5
req/s from A-3m. Pyrra SLO `ebr-dead-gone` and Sloth SLO `ebr-sloth-dead-gone`, their ruler dead at A-4m too."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import pyrra_rules, sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "dead"
GONE_JOB = "dead-gone"
ERRORS_SINCE_S = 3 * MINUTE
RULER_DIED_S = 4 * MINUTE


def build(om: OpenMetrics, anchor: float) -> None:
    """The raw counters, which the source scrapes on after the ruler died."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    labels = {"job": f"ebr-{JOB}"}
    om.add_counter_rate("ebr_http_requests_total", {**labels, "code": "200"}, lambda t: 9.5, start, end, MINUTE)
    om.add_counter_rate(
        "ebr_http_requests_total",
        {**labels, "code": "500"},
        lambda t: 0.5 if t >= anchor - ERRORS_SINCE_S else 0.0,
        start,
        end,
        MINUTE,
    )
    gone = {"job": f"ebr-{GONE_JOB}"}
    om.add_counter_rate("ebr_http_requests_total", {**gone, "code": "200"}, lambda t: 9.995, start, end, MINUTE)
    replaced_s = anchor - 10 * MINUTE
    om.add_counter_rate(
        "ebr_http_requests_total", {**gone, "code": "500", "pod": "old"}, lambda t: 0.005, start, replaced_s, MINUTE
    )
    om.add_counter_rate(
        "ebr_http_requests_total",
        {**gone, "code": "500", "pod": "new"},
        lambda t: 0.5,
        anchor - ERRORS_SINCE_S,
        end,
        MINUTE,
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """The Pyrra and Sloth groups, and the range they recorded over before their ruler died."""
    # Pyrra's increase group runs every 2m30s: its last sample before A-4m may lie past the look-back at A, and the
    # rules' existence check then fails (an error, no pass either). Every 30 s here, the groups' death alone decides.
    pyrra = pyrra_rules(JOB, generic=False).replace("interval: 2m30s", "interval: 30s")
    gone = pyrra_rules(GONE_JOB, generic=False).replace("interval: 2m30s", "interval: 30s")
    text = "groups:\n" + pyrra + sloth_rules(JOB) + gone + sloth_rules(GONE_JOB)
    return text, anchor - 40 * MINUTE, anchor - RULER_DIED_S

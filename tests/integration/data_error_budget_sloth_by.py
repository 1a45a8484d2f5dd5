"""Sloth SLO `ebr-sloth-slby` (99.9%, 30d) over `ebr_http_requests_total{job="ebr-slby"}`: 9.5 req/s code="200" and
0.5 req/s code="500" (5% errors, 50x), whose sli.events.error_query groups by code and ends in `or vector(0)` while its
total_query does not group: Sloth's ratio rule, `(error_query) / (total_query)`, matches series one-to-one, so only
vector(0)'s label-less 0 matches the total, and every window records 0 while the service burns.

Sloth SLO `ebr-sloth-slbp` over job ebr-slbp is the same rule over 10 req/s code="200" and a code="500" series that
stays flat (the errors it counted burned before the data starts, beyond the longest tier window, 3d): every window's
error side answers 0 in {code="500"}, no total series carries that label, and the rule recorded 0 whenever those errors
burned too.

Sloth SLOs `ebr-sloth-slnv` and `ebr-sloth-slnp` are ebr-sloth-slby's and ebr-sloth-slbp's over jobs ebr-slnv and
ebr-slnp (the same counters), their error_query grouped by code without `or vector(0)`: Sloth's ratio rule matches no
total series at any time, so it records nothing at all, whatever the errors.

Each SLO's period ratio, `slo:sli_error:ratio_rate30d`, is a rule over ratio_rate5m, which promtool cannot backfill
(it evaluates rules against the raw series only): it is written here as what Sloth's rule records over the 5m ratio
the misdivided rule records, 0 (beside the Sloth rule that would record it, which Prometheus loads).

`build_grouped` and `grouped_rules` are the builder data_error_budget_sloth_by_service.py shares."""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.testing import OpenMetrics
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
JOB = "slby"
# The SLO whose errors burned before the data: its code="500" counter is flat.
PAST_JOB = "slbp"
# Their counters again, under SLOs whose error_query has no `or vector(0)`: no ratio is ever recorded.
UNMATCHED_JOB, UNMATCHED_PAST_JOB = "slnv", "slnp"
# Sloth's labels on every rule of SLO ebr-sloth-<job>.
SERVICE = "ebr-sloth"


def error_query(job: str, by: str, *, fallback: bool = True) -> str:
    """The SLO's sli.events.error_query over job ebr-`job`, grouped `by` a label, `{window}` for Sloth's; ending in
    `or vector(0)` when `fallback`."""
    grouped = f'sum by ({by}) (rate(ebr_http_requests_total{{job="ebr-{job}",code=~"(5..|429)"}}[{{window}}]))'
    return f"{grouped} or vector(0)" if fallback else grouped


ERROR_QUERY = error_query(JOB, "code")


def build_grouped(om: OpenMetrics, anchor: float, job: str, rates: Mapping[str, float], *, period_ratio: bool) -> None:
    """Job ebr-`job`'s counters, {code: req/s}, every 60 s from A-7h to A+1h; with `period_ratio`, Sloth SLO
    ebr-sloth-`job`'s ratio_rate30d recorded at 0 over the rules' range (see the module's docstring)."""
    for code, rate in rates.items():
        om.add_counter_rate(
            "ebr_http_requests_total",
            {"job": f"ebr-{job}", "code": code},
            lambda t, r=rate: r,
            anchor - 7 * HOUR,
            anchor + HOUR,
            MINUTE,
        )
    if period_ratio:
        labels = {"owner": "ebr-team", "sloth_id": f"{SERVICE}-{job}", "sloth_service": SERVICE, "sloth_slo": job}
        om.add(
            "slo:sli_error:ratio_rate30d",
            labels | {"sloth_window": "30d"},
            lambda t: 0.0,
            anchor - 40 * MINUTE,
            anchor + 10 * MINUTE,
            MINUTE,
        )


def grouped_rules(anchor: float, *queries: tuple[str, str]) -> tuple[str, float, float]:
    """Sloth's rule groups for each SLO (job, its error_query), evaluated from 40 minutes before the anchor to 10
    after it."""
    text = "".join(sloth_rules(job, error_query=query) for job, query in queries)
    return "groups:\n" + text, anchor - 40 * MINUTE, anchor + 10 * MINUTE


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read, and the period ratios."""
    build_grouped(om, anchor, JOB, {"200": 9.5, "500": 0.5}, period_ratio=True)
    build_grouped(om, anchor, PAST_JOB, {"200": 10.0, "500": 0.0}, period_ratio=True)
    build_grouped(om, anchor, UNMATCHED_JOB, {"200": 9.5, "500": 0.5}, period_ratio=False)
    build_grouped(om, anchor, UNMATCHED_PAST_JOB, {"200": 10.0, "500": 0.0}, period_ratio=False)


def rules(anchor: float) -> tuple[str, float, float]:
    """Sloth's rule groups for both SLOs."""
    return grouped_rules(
        anchor,
        (JOB, ERROR_QUERY),
        (PAST_JOB, error_query(PAST_JOB, "code")),
        *((job, error_query(job, "code", fallback=False)) for job in (UNMATCHED_JOB, UNMATCHED_PAST_JOB)),
    )


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s (its rules API lists the ratio rules' expressions)."""
    return rules(anchor)[0]

"""A label only error series carry: `eb_errlabel_requests_total{service="eb-errlabel"}` (its own metric: the other
services' `eb_requests_total` all carry `code`, which data_error_budget_renamed.py needs) every 60 s from A-7h to
A+1h, its requests without an `error` label, its failures `error="true"` (with `reason`, which the successes lack).
The stable pods (`rollouts_pod_template_hash="stable3"`, `track="stable"`): 10 req/s and 0.005 req/s failing; the
healthy canary (`healthy3`, `track="canary"`), from A-2h on: 10 req/s, none failing, so none of its series has
`error`; the failing canary (`failing3`, `track="canary"`): 9.5 req/s and 0.5 req/s failing (5%, 50x at 99.9%)."""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
HOUR = 3600.0
SERVICE = "eb-errlabel"


def build(om: OpenMetrics, anchor: float) -> None:
    """The stable pods' and both canaries' series."""
    end = anchor + HOUR
    for pods, track, start, ok, failing in (
        ("stable3", "stable", anchor - 7 * HOUR, 10.0, 0.005),
        ("healthy3", "canary", anchor - 2 * HOUR, 10.0, 0.0),
        ("failing3", "canary", anchor - 2 * HOUR, 9.5, 0.5),
    ):
        labels = {"service": SERVICE, "rollouts_pod_template_hash": pods, "track": track}
        om.add_counter_rate("eb_errlabel_requests_total", labels, lambda t, r=ok: r, start, end, MINUTE)
        if failing:
            om.add_counter_rate(
                "eb_errlabel_requests_total",
                {**labels, "error": "true", "reason": "timeout"},
                lambda t, r=failing: r,
                start,
                end,
                MINUTE,
            )

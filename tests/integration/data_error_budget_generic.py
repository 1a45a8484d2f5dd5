"""The --generic-rules group of Pyrra SLO `ebr-generic-stopped` (ratio, 28d, over `ebr_http_requests_total{job=
"ebr-late"}`; see data_error_budget_rules.py), as slo/rules.go's GenericRules writes it, evaluated from A-40m to A-20m
only: the group stopped at A-20m (its ruler died), before job late began to err at A-15m, so its pyrra_errors:rate5m
recorded 0 (`or vector(0)`: no error series yet) and records nothing since. Its pyrra_availability, which reads the
increase rule another file records, is left out: promtool evaluates a rule against the raw series only.

Pyrra SLO `ebr-generic-off` (ratio, 28d, over job clean: no error series) had its --generic-rules group over the same
range and no longer: switched off on purpose (Pyrra restarted without --generic-rules) while its burnrate and increase
groups record on (data_error_budget_rules.py); nothing Pyrra records tells that from a ruler that died."""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
SLO = "ebr-generic-stopped"
OFF_SLO = "ebr-generic-off"


def build(om: OpenMetrics, anchor: float) -> None:
    """No raw series of its own: the counters are data_error_budget_rules.py's."""


def rules(anchor: float) -> tuple[str, float, float]:
    """The generic groups' rule file, and the range they recorded over before they stopped."""
    text = "groups:\n"
    for slo, job in ((SLO, "ebr-late"), (OFF_SLO, "ebr-clean")):
        total = f'ebr_http_requests_total{{job="{job}"}}'
        errors = f'ebr_http_requests_total{{code=~"5..",job="{job}"}}'
        labels = f"    labels:\n      slo: {slo}\n"
        text += (
            f"- name: {slo}-generic\n  interval: 30s\n  rules:\n"
            f'  - record: pyrra_objective\n    expr: "0.9990000000000001"\n{labels}'
            f'  - record: pyrra_window\n    expr: "2419200"\n{labels}'
            f"  - record: pyrra_requests:rate5m\n    expr: sum(rate({total}[5m]))\n{labels}"
            f"  - record: pyrra_errors:rate5m\n    expr: sum(rate({errors}[5m])) or vector(0)\n{labels}"
        )
    return text, anchor - 40 * MINUTE, anchor - 20 * MINUTE

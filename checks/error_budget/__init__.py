"""Kind `error_budget`: SLO burn rate over multiple windows (SRE workbook tiers) and budget remaining,
from raw counters, a classic histogram, or Pyrra / Sloth recording rules.

`burn` is the arithmetic, `readers` the SLI sources, `check` the kind itself.
"""

from checks.error_budget.burn import (
    WindowRatio,
    budget_remaining,
    burn_rate,
    error_budget,
    max_burn_rate,
    prometheus_duration,
    pyrra_tiers,
    reconcile_absences,
    workbook_tiers,
)
from checks.error_budget.check import ErrorBudgetCheck
from checks.error_budget.readers import le_pattern

__all__ = [
    "ErrorBudgetCheck",
    "WindowRatio",
    "budget_remaining",
    "burn_rate",
    "error_budget",
    "le_pattern",
    "max_burn_rate",
    "prometheus_duration",
    "pyrra_tiers",
    "reconcile_absences",
    "workbook_tiers",
]

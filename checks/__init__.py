"""The built-in check kinds; each uses the same contract as a third-party kind."""

from analyzer.check import Check
from checks.error_budget import ErrorBudgetCheck
from checks.prometheus import PrometheusCheck

BUILTIN_KINDS: tuple[type[Check], ...] = (PrometheusCheck, ErrorBudgetCheck)

__all__ = ["BUILTIN_KINDS", "ErrorBudgetCheck", "PrometheusCheck"]

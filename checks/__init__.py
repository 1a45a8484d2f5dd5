"""The built-in check kinds; each uses the same contract as a third-party kind."""

from analyzer.check import Check
from checks.composite import CompositeCheck
from checks.error_budget import ErrorBudgetCheck
from checks.http_smoke import HttpSmokeCheck
from checks.kpi_compare import KpiCompareCheck
from checks.prometheus import PrometheusCheck

BUILTIN_KINDS: tuple[type[Check], ...] = (PrometheusCheck, ErrorBudgetCheck, HttpSmokeCheck, KpiCompareCheck,
                                          CompositeCheck)

__all__ = ["BUILTIN_KINDS", "CompositeCheck", "ErrorBudgetCheck", "HttpSmokeCheck", "KpiCompareCheck",
           "PrometheusCheck"]

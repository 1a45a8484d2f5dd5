"""The built-in check kinds; each uses the same contract as a third-party kind."""

from analyzer.check import Check
from checks.composite import CompositeCheck
from checks.kpi_compare import KpiCompareCheck
from checks.prometheus import PrometheusCheck

BUILTIN_KINDS: tuple[type[Check], ...] = (PrometheusCheck, KpiCompareCheck, CompositeCheck)

__all__ = ["BUILTIN_KINDS", "CompositeCheck", "KpiCompareCheck", "PrometheusCheck"]

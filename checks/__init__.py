"""The built-in check kinds, by name; each uses the same contract as a third-party kind.

Listed as "module:Class" so that a catalog imports only the kinds it uses (see `analyzer.registry`).
"""

from analyzer.registry import KindRef

BUILTIN_KINDS: tuple[KindRef, ...] = tuple(KindRef.builtin(name, target) for name, target in {
    "prometheus": "checks.prometheus:PrometheusCheck",
    "error_budget": "checks.error_budget:ErrorBudgetCheck",
    "http_smoke": "checks.http_smoke:HttpSmokeCheck",
    "kpi_compare": "checks.kpi_compare:KpiCompareCheck",
    "composite": "checks.composite:CompositeCheck",
}.items())

__all__ = ["BUILTIN_KINDS"]

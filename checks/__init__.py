"""The built-in check kinds; each uses the same contract as a third-party kind."""

from analyzer.check import Check
from checks.prometheus import PrometheusCheck

BUILTIN_KINDS: tuple[type[Check], ...] = (PrometheusCheck,)

__all__ = ["BUILTIN_KINDS", "PrometheusCheck"]

"""The built-in check kinds; each uses the same contract as a third-party kind."""

from analyzer.check import Check
from checks.http_smoke import HttpSmokeCheck
from checks.prometheus import PrometheusCheck

BUILTIN_KINDS: tuple[type[Check], ...] = (PrometheusCheck, HttpSmokeCheck)

__all__ = ["BUILTIN_KINDS", "HttpSmokeCheck", "PrometheusCheck"]

"""Pyrra SLO `ebr-pgpair`: data_error_budget_pgmix.py's raw series and rules, but the burnrates over 2h and 1d both
carry region="r" (the same-name SLO whose total adds it), the rest cluster="eu1". Every raw series over the last hour
carries cluster="eu1" (not over 2h), and over the last day region="r" (not over 4d): the 1d/2h ticket tier's
burnrates are this SLO's (1d at 6.8x, 2h at 2.5x: it fires, factor 2)."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration import data_error_budget_pgmix as pgmix

SLO = "ebr-pgpair"
# The windows whose burnrate the region="r" SLO records.
REGIONAL = ("2h", "1d")


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    pgmix.add_counters(om, anchor, SLO)


def rules(anchor: float) -> tuple[str, float, float]:
    """The burnrate groups of the two SLOs (each window from one of them), and the --generic-rules group."""
    return pgmix.burnrate_rules(anchor, SLO, REGIONAL)

"""Pyrra SLO `ebr-spburn` (ratio, 28d, `performanceOverAccuracy: true`, over
`ebr_http_requests_total{job="ebr-spburn"}`, errors `code=~"5.."`): code="200" at 10 req/s scraped every 30 s, and
code="500" from a target scraped every 5 minutes, 7 s off the rule evaluations' grid (one sample in any 5 minutes), at
0 req/s until 40 minutes before the anchor, then 0.3 req/s: about 29x over 30m and 5m, 20x over 1h, 3.3x over 6h.
Its page tier 1h/5m (14.4x) fires; the 5m rules cannot see those errors (increase() needs two samples in its range).
As data_error_budget_sparse.py otherwise; the check on it reads its own rules."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration import data_error_budget_sparse as sparse

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-spburn"
# When the 5m-scraped target starts to answer 500s.
ERRORS_FROM_S = 40 * MINUTE


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    sparse.add_counters(om, anchor, SLO, "500", lambda t: 0.3 if t >= anchor - ERRORS_FROM_S else 0.0)


def rules(anchor: float) -> tuple[str, float, float]:
    """data_error_budget_sparse.py's rule groups, for this SLO."""
    text, start, end = sparse.rules(anchor)
    return text.replace(sparse.SLO, SLO), start, end

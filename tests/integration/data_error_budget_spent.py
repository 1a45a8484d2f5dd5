"""Job `ebr-spent`, every target scraped every 30 s: code="200" at 10 req/s, and code="500" at 2 req/s from 20 to 15
minutes before the anchor alone (a counter that stays, flat, before and after): 600 errors, about 17x over 1h, 0x
over 5m (every 5m rule records 0), 2.8x over 6h. Its page tier 1h/5m is kept from firing by the 5m window alone,
which no raw series escapes (none is scraped every 5 minutes). Pyrra SLO `ebr-spent` (data_error_budget_sparse.py's
groups) and Sloth SLO `ebr-sloth-spent` (data_error_budget_rules.sloth_rules) read it; Prometheus loads both (its
rules API lists them)."""

from __future__ import annotations

from analyzer.testing import OpenMetrics
from tests.integration import data_error_budget_sparse as sparse
from tests.integration.data_error_budget_rules import sloth_rules

MINUTE = 60.0
HOUR = 3600.0
SLO = "ebr-spent"


def build(om: OpenMetrics, anchor: float) -> None:
    """The counters the rules read."""
    start, end = anchor - 7 * HOUR, anchor + HOUR
    labels = {"job": SLO, "instance": "dense"}
    om.add_counter_rate("ebr_http_requests_total", labels | {"code": "200"}, lambda t: 10.0, start, end, MINUTE / 2)
    om.add_counter_rate(
        "ebr_http_requests_total",
        labels | {"code": "500"},
        lambda t: 2.0 if anchor - 20 * MINUTE <= t < anchor - 15 * MINUTE else 0.0,
        start,
        end,
        MINUTE / 2,
    )


def rules(anchor: float) -> tuple[str, float, float]:
    """Pyrra's groups (as data_error_budget_sparse.py's) and Sloth's, and the range they are evaluated over."""
    text, start, end = sparse.rules(anchor)
    return text.replace(sparse.SLO, SLO) + sloth_rules("spent"), start, end


def loaded_rules(anchor: float) -> str:
    """The rule file Prometheus loads: rules()'s."""
    return rules(anchor)[0]

"""Series whose own labels are the ones a combined query sets (analyzer_window, analyzer_part), A-30m to A+10m
every 60 s, for the splitting of QueryBatch answers.

- slo:sli_error:ratio_rate<w>{sloth_id="pb-own-window", analyzer_window="own"}: Sloth's rule series for every
  window, 0.0005 (half the 99.9% budget's rate), carrying a label of the batch's own.
- slo:sli_error:ratio_rate<w>{sloth_id="pb-own-part", analyzer_part="own"}: the same with the other label.
- pb_requests{job="pb", analyzer_window="1h"} 1 and {..., analyzer_window="5m"} 2: two series told apart only
  by that label.
- pb_other{job="pb"} 7.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
RATIO = 0.0005


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the series."""
    start, end = anchor - 30 * MINUTE, anchor + 10 * MINUTE
    for window in SLOTH_WINDOWS:
        name = f"slo:sli_error:ratio_rate{window}"
        om.add(name, {"sloth_id": "pb-own-window", "analyzer_window": "own"}, lambda t: RATIO, start, end, MINUTE)
        om.add(name, {"sloth_id": "pb-own-part", "analyzer_part": "own"}, lambda t: RATIO, start, end, MINUTE)
    for window, value in (("1h", 1.0), ("5m", 2.0)):
        om.add("pb_requests", {"job": "pb", "analyzer_window": window}, lambda t, v=value: v, start, end, MINUTE)
    om.add("pb_other", {"job": "pb"}, lambda t: 7.0, start, end, MINUTE)

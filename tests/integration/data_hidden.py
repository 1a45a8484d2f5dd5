"""Series for the NaN probe's edge cases, laid out around the anchor time (unix seconds).

- hidden_ratio_nan{service="hid"} = NaN and hidden_ratio_ok{service="hid"} = 0.001: two recording rules whose
  labels differ by the metric name alone (a probe matching elements without it would pair them)
- hidden_shift{pod="a"} = NaN until anchor - 5m, then 0.001 (a pod without traffic at first);
  hidden_shift{pod="b"} = 0.001 throughout
- hidden_quiet{pod="a"} = 0.001 until anchor - 3m, then NaN (a recorded ratio whose canary lost its traffic);
  hidden_quiet{pod="b"} = 0.001 throughout
"""

from __future__ import annotations

import math

from analyzer.testing import OpenMetrics

START_S = 3 * 3600
END_S = 2 * 3600
SHIFT_S = 5 * 60
QUIET_S = 3 * 60


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the NaN probe's series."""
    start, end = anchor - START_S, anchor + END_S
    om.add("hidden_ratio_nan", {"service": "hid"}, lambda t: math.nan, start, end)
    om.add("hidden_ratio_ok", {"service": "hid"}, lambda t: 0.001, start, end)
    om.add("hidden_shift", {"pod": "a"}, lambda t: math.nan if t < anchor - SHIFT_S else 0.001, start, end)
    om.add("hidden_shift", {"pod": "b"}, lambda t: 0.001, start, end)
    om.add("hidden_quiet", {"pod": "a"}, lambda t: 0.001 if t < anchor - QUIET_S else math.nan, start, end)
    om.add("hidden_quiet", {"pod": "b"}, lambda t: 0.001, start, end)

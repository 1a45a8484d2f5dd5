"""Recording-rule series for error_budget's grouped selectors, A-30m to A+10m every 60 s (values are error
ratios, as Pyrra's and Sloth's rules record them).

- ebb_api:burnrate<w>{slo="ebb-api"} and pyrra_availability{slo="ebb-api"}: equal label sets but for the name,
  as Pyrra's rules give them for a metric without matchers (`or` alone would drop all but one per label set).
  Burnrates 5m 0.02, 1h 0.015 (page 1h/5m at 15x fires), the rest 0.0005; availability 0.9996.
- slo:sli_error:ratio_rate<w>{sloth_id="ebb-weird", note=WEIRD_NOTE}: a matcher value with `}`, `"`, `|` and
  a backslash; 0.0005 over every window and 30d. A decoy {note="a"} with 0.5 everywhere must never be read.
- slo:sli_error:ratio_rate<w>{sloth_id="ebb-split", instance="a" | "b"}: two series per window (a rule kept
  by instance), which the check must refuse.
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
PYRRA_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "4d")
PYRRA_API = {**dict.fromkeys(PYRRA_WINDOWS, 0.0005), "5m": 0.02, "1h": 0.015}
PYRRA_AVAILABILITY = 0.9996
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
WEIRD_NOTE = 'a}b "q" c|d \\e'


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the grouped-selector series."""
    start, end = anchor - 30 * MINUTE, anchor + 10 * MINUTE
    for window, ratio in PYRRA_API.items():
        om.add(f"ebb_api:burnrate{window}", {"slo": "ebb-api"}, lambda t, r=ratio: r, start, end, MINUTE)
    om.add("pyrra_availability", {"slo": "ebb-api"}, lambda t: PYRRA_AVAILABILITY, start, end, MINUTE)
    for window in SLOTH_WINDOWS:
        name = f"slo:sli_error:ratio_rate{window}"
        om.add(name, {"sloth_id": "ebb-weird", "note": WEIRD_NOTE}, lambda t: 0.0005, start, end, MINUTE)
        om.add(name, {"sloth_id": "ebb-weird", "note": "a"}, lambda t: 0.5, start, end, MINUTE)
        for instance in ("a", "b"):
            om.add(name, {"sloth_id": "ebb-split", "instance": instance}, lambda t: 0.001, start, end, MINUTE)

"""Series for the OpenSLO import tests: the recording rules Sloth generates from its own OpenSLO v1alpha
examples (tests/unit/data/openslo/sloth-openslo-*.yml), A-30m to A+10m, every 60 s.

- slo:sli_error:ratio_rate<w>{sloth_id="my-service-sloth-slo-my-service-0", ...}: 0.02 over every window
  (burn 20x at 99.9%), 0.0005 over 30d.
- the same for sloth_id="k8s-apiserver-requests-availability-openslo-0": 0.0002 over every window (burn 0.2x),
  0.0002 over 30d.
Labels as Sloth writes them (slok/sloth examples/_gen/openslo-getting-started.yml).
"""

from __future__ import annotations

from analyzer.testing import OpenMetrics

MINUTE = 60.0
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# sloth_id: (service, slo, ratio over every alert window, ratio over the 30d period)
SLOS = {
    "my-service-sloth-slo-my-service-0": ("my-service", "sloth-slo-my-service-0", 0.02, 0.0005),
    "k8s-apiserver-requests-availability-openslo-0": (
        "k8s-apiserver",
        "requests-availability-openslo-0",
        0.0002,
        0.0002,
    ),
}


def build(om: OpenMetrics, anchor: float) -> None:
    """Add the Sloth recording-rule series."""
    start, end = anchor - 30 * MINUTE, anchor + 10 * MINUTE
    for sloth_id, (service, slo, ratio, period_ratio) in SLOS.items():
        for window in (*WINDOWS, "30d"):
            value = period_ratio if window == "30d" else ratio
            om.add(
                f"slo:sli_error:ratio_rate{window}",
                {"sloth_id": sloth_id, "sloth_service": service, "sloth_slo": slo, "sloth_window": window},
                lambda t, v=value: v,
                start,
                end,
                MINUTE,
            )

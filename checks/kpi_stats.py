"""The statistics behind `kpi_compare`: a two-proportion z test with its power, and the Hodges-Lehmann
shift with its Moses confidence interval (the Mann-Whitney family Kayenta uses).

scipy and numpy are imported inside the functions: importing scipy.stats takes more than a second, and
`analyzer run` must start in less than one. Call these from a worker thread (they sort up to a million
differences) so the event loop keeps serving.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProportionTest:
    """Canary vs baseline rates: the difference, its Wald interval and the pooled z test."""

    rate_canary: float
    rate_baseline: float
    difference: float
    interval: tuple[float, float]
    z: float
    p_value: float


def two_proportion_test(success_canary: float, total_canary: float, success_baseline: float,
                        total_baseline: float, confidence: float) -> ProportionTest:
    """Two-sided pooled z test of equal rates, and the unpooled (Wald) interval of canary - baseline.

    Totals must be positive and successes within [0, total]; counts may be fractional (from increase()).
    """
    from scipy.stats import norm

    rate_c = success_canary / total_canary
    rate_b = success_baseline / total_baseline
    difference = rate_c - rate_b
    pooled = (success_canary + success_baseline) / (total_canary + total_baseline)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / total_canary + 1 / total_baseline))
    # Both rates 0 (or both 1): no variance, no evidence of a difference.
    z = difference / se_pooled if se_pooled > 0 else 0.0
    p_value = float(2 * norm.sf(abs(z)))
    se = math.sqrt(rate_c * (1 - rate_c) / total_canary + rate_b * (1 - rate_b) / total_baseline)
    half = float(norm.ppf(0.5 + confidence / 2)) * se
    return ProportionTest(rate_c, rate_b, difference, (difference - half, difference + half), z, p_value)


def proportion_power(rate_baseline: float, effect: float, total_canary: float, total_baseline: float,
                     confidence: float) -> float:
    """Power of the two-sided z test at `confidence` to detect the canary rate moving by `effect`.

    The normal approximation with unpooled variances (Chow, Shao & Wang, Sample Size Calculations in
    Clinical Research, 2nd ed. 2008, section 4.2), solved for power instead of the sample size.
    """
    from scipy.stats import norm

    moved = min(max(rate_baseline + effect, 0.0), 1.0)
    delta = abs(moved - rate_baseline)
    if delta == 0:
        return 0.0
    se = math.sqrt(rate_baseline * (1 - rate_baseline) / total_baseline + moved * (1 - moved) / total_canary)
    if se == 0:
        return 1.0
    return float(norm.cdf(delta / se - norm.ppf(0.5 + confidence / 2)))


@dataclass(frozen=True)
class ShiftEstimate:
    """Hodges-Lehmann shift of canary vs baseline, its Moses interval and the Mann-Whitney U test."""

    shift: float
    interval: tuple[float, float]
    u_statistic: float
    p_value: float


def hodges_lehmann(canary: Sequence[float], baseline: Sequence[float], confidence: float) -> ShiftEstimate:
    """The median of all differences canary_i - baseline_j, with the asymptotic Moses interval.

    The interval follows Hollander & Wolfe (Nonparametric Statistical Methods, 1999) as SAS PROC NPAR1WAY
    documents it: with m = n1 * n2 ordered differences D(1..m) and
    C = floor(m / 2 - z * sqrt(n1 * n2 * (n1 + n2 + 1) / 12)), the limits are D(C) and D(m + 1 - C);
    when C < 1 there are too few samples for an interval at this confidence and it is unbounded.
    The p-value is scipy's two-sided Mann-Whitney U test (exact for small samples without ties).
    """
    import numpy as np
    from scipy.stats import mannwhitneyu, norm

    n1, n2 = len(canary), len(baseline)
    differences = np.sort(np.subtract.outer(np.asarray(canary, float), np.asarray(baseline, float)), axis=None)
    m = differences.size
    shift = float(np.median(differences))
    z = float(norm.ppf(0.5 + confidence / 2))
    c = math.floor(m / 2 - z * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12))
    interval = (float(differences[c - 1]), float(differences[m - c])) if c >= 1 else (-math.inf, math.inf)
    test = mannwhitneyu(canary, baseline, alternative="two-sided")
    return ShiftEstimate(shift, interval, float(test.statistic), float(test.pvalue))

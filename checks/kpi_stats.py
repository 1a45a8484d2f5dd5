"""The statistics behind `kpi_compare`: two proportions (Newcombe's interval of their difference, the pooled
z test and its power), and the Hodges-Lehmann shift with its Moses confidence interval (the Mann-Whitney family
Kayenta uses), widened for autocorrelated samples.

scipy and numpy are imported inside the functions: importing scipy.stats takes more than a second, and
`analyzer run` must start in less than one; `analyzer serve` imports them at start through `preload`. Call
these from a worker thread (they sort up to a million differences) so the event loop keeps serving.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ProportionTest:
    """Canary vs baseline rates: the difference, its Newcombe interval and the pooled z test."""

    rate_canary: float
    rate_baseline: float
    difference: float
    interval: tuple[float, float]
    z: float
    p_value: float


def two_proportion_test(
    success_canary: float, total_canary: float, success_baseline: float, total_baseline: float, confidence: float
) -> ProportionTest:
    """Two-sided pooled z test of equal rates, and the Newcombe hybrid score interval of canary - baseline.

    The interval is method 10 of Newcombe (Interval estimation for the difference between independent
    proportions: comparison of eleven methods, Statistics in Medicine 17, 1998), built from the two Wilson
    score intervals. Unlike the Wald interval it keeps a width when a rate is 0 or 1 (a baseline without
    errors) and stays inside [-1, 1]. Totals must be positive and successes within [0, total]; counts may be
    fractional (from increase()).
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
    z_interval = float(norm.ppf(0.5 + confidence / 2))
    low_c, high_c = _wilson(success_canary, total_canary, z_interval)
    low_b, high_b = _wilson(success_baseline, total_baseline, z_interval)
    # Clipped: at the extremes (0 of n against n of n) rounding can step just outside [-1, 1].
    low = max(difference - math.hypot(rate_c - low_c, high_b - rate_b), -1.0)
    high = min(difference + math.hypot(high_c - rate_c, rate_b - low_b), 1.0)
    return ProportionTest(rate_c, rate_b, difference, (low, high), z, p_value)


def pooled_ratio_test(
    canary: Sequence[float], events_canary: float, baseline: Sequence[float], events_baseline: float, confidence: float
) -> ProportionTest:
    """`two_proportion_test` of two variants' ratios of events sampled step by step, each variant's count taken as the
    mean of its samples times its events (positive; samples within [0, 1]), its p-value the exact conditional one.

    A ratio over a window of requests has the variant's true ratio as its expectation whatever the window's traffic
    (E[errors / n | n] = p), so the mean of the samples estimates it at any traffic, where their ranks depend on it (a
    variant with less traffic is at 0 more often); its variance is the binomial one of the events when the traffic is
    steady over the lookback, more when it is not (steps with less traffic weigh as much as those with more).

    The p-value is the conditional binomial test's (Lehmann & Romano, Testing Statistical Hypotheses, 3rd ed. 2005,
    section 4.5): given the rarer outcome's count of both variants, the canary's share of it is binomial at its share
    of the events when the rates are equal (the rarer outcome: a success ratio's failures); two-sided as twice the
    smaller tail, the counts fractional through the regularized incomplete beta. The z test's normal tail was too thin
    for a canary expecting a few errors: at a tenth of the baseline's traffic, the same 0.5% failed 5.2% of the time.
    """
    rate_c = sum(canary) / len(canary)
    rate_b = sum(baseline) / len(baseline)
    counts = (rate_c * events_canary, rate_b * events_baseline)
    test = two_proportion_test(counts[0], events_canary, counts[1], events_baseline, confidence)
    if counts[0] + counts[1] > (events_canary + events_baseline) / 2:
        counts = (events_canary - counts[0], events_baseline - counts[1])
    return replace(test, p_value=conditional_binomial_p(*counts, events_canary / (events_canary + events_baseline)))


def conditional_binomial_p(canary: float, baseline: float, share: float) -> float:
    """Two-sided p-value of `canary` of `canary + baseline` events falling to the canary at its `share` of the trials
    (twice the smaller tail, at most 1); the counts may be fractional: P(X >= k) of a binomial(n, share) is the
    regularized incomplete beta I_share(k, n - k + 1), and P(X <= k) = I_(1 - share)(n - k, k + 1)."""
    from scipy.special import betainc

    total = canary + baseline
    # P(X >= 0) and P(X <= n) are 1: the beta identities hold there only as limits (a first parameter of 0 is outside
    # the incomplete beta's domain).
    upper_tail = 1.0 if canary <= 0 else float(betainc(canary, total - canary + 1, share))
    lower_tail = 1.0 if baseline <= 0 else float(betainc(total - canary, canary + 1, 1 - share))
    return min(1.0, 2 * min(upper_tail, lower_tail))


def _wilson(success: float, total: float, z: float) -> tuple[float, float]:
    """The Wilson score interval of success / total (without continuity correction)."""
    rate = success / total
    # The textbook form multiplied through by the total: its z^2 / (4 total^2) underflowed to 0 and divided by zero
    # for a total below 1e-162 (fractional counts from increase() are totals too), and this one reads [0, 1] for
    # such a total, which says nothing, as so little traffic does.
    centre = (success + z * z / 2) / (total + z * z)
    half = z * math.sqrt(total * rate * (1 - rate) + z * z / 4) / (total + z * z)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def proportion_power(
    rate_baseline: float, effect: float, total_canary: float, total_baseline: float, confidence: float
) -> float:
    """Power of the two-sided z test at `confidence` to detect the canary rate moving by `effect`.

    The normal approximation with unpooled variances (Chow, Shao & Wang, Sample Size Calculations in
    Clinical Research, 2nd ed. 2008, section 4.2), solved for power instead of the sample size. Each rate in
    the variance is taken with one success and one failure added to its variant's count (as Agresti & Caffo
    do for the interval): a baseline with no errors in 10 requests is not a baseline known to be at 0%, so
    its variance must not vanish and make a tiny baseline look like strong evidence.
    """
    from scipy.stats import norm

    moved = min(max(rate_baseline + effect, 0.0), 1.0)
    delta = abs(moved - rate_baseline)
    if delta == 0:
        return 0.0
    plug_b = (rate_baseline * total_baseline + 1) / (total_baseline + 2)
    plug_c = (moved * total_canary + 1) / (total_canary + 2)
    se = math.sqrt(plug_b * (1 - plug_b) / total_baseline + plug_c * (1 - plug_c) / total_canary)
    return float(norm.cdf(delta / se - norm.ppf(0.5 + confidence / 2)))


# Below this many effective samples in a variant the autocorrelation behind them is too uncertain for any interval:
# the equivalent-sample-size test with an estimated autocorrelation is too liberal in small samples (Zwiers & von
# Storch, Taking serial correlation into account in tests of the mean, J. Climate 8, 1995), and t with 3 degrees of
# freedom is already 3.18 wide at 95%.
MIN_EFFECTIVE_SAMPLES = 4.0


@dataclass(frozen=True)
class ShiftEstimate:
    """Hodges-Lehmann shift of canary vs baseline, its Moses interval and the Mann-Whitney U test.

    `autocorrelation` is each variant's lag-1 rank autocorrelation used to widen the interval (0 when the
    samples are taken as independent) and `effective_samples` what the samples count as after it. `side_of_zero` is
    1 when the interval lies above 0, -1 below, 0 when it holds 0, with the differences at exactly 0 counted half on
    each side (as the test's mid-ranks count ties): tied samples (a KPI at 0 at most steps) pile differences onto 0,
    which the interval's ends then sit on however far the rest lie.
    """

    shift: float
    interval: tuple[float, float]
    u_statistic: float
    p_value: float
    autocorrelation: tuple[float, float]
    effective_samples: tuple[float, float]
    side_of_zero: int
    constant_baseline: BeyondConstant | None = None


@dataclass(frozen=True)
class BeyondConstant:
    """A canary against a baseline constant at `value` (see `beyond_constant`): `side` is 1 when the canary lies above
    it more often than the baseline can, -1 below, 0 when that is not shown; `share` is the canary's samples' share on
    that side, `share_low` its lower confidence bound and `baseline_high` the baseline's upper bound."""

    value: float
    side: int
    share: float
    share_low: float
    baseline_high: float


def hodges_lehmann(
    canary: Sequence[float], baseline: Sequence[float], confidence: float, serial: bool = True
) -> ShiftEstimate:
    """The median of all differences canary_i - baseline_j, with the asymptotic Moses interval.

    The interval follows Hollander & Wolfe (Nonparametric Statistical Methods, 1999) as SAS PROC NPAR1WAY
    documents it: with m = n1 * n2 ordered differences D(1..m) and C = floor(m / 2 - z * sd(U)), the limits
    are D(C) and D(m + 1 - C); when C < 1 there are too few samples for an interval at this confidence and it
    is unbounded. For independent samples Var(U) = n1 * n2 * (n1 + n2 + 1) / 12.

    `serial` says the samples are in time order, as a range query returns them, and may be autocorrelated
    (a rate over 5m sampled every 10s repeats most of its window): each variant's share of Var(U), n1 * n2^2 / 12
    for the canary and n2 * n1^2 / 12 for the baseline (Hoeffding's projection: each of a variant's samples ranks
    against all of the other's), is multiplied by the AR(1) variance inflation (1 + rho) / (1 - rho) of that
    variant's lag-1 rank autocorrelation rho, estimated with Kendall's small-sample bias correction
    rho + (1 + 3 rho) / n and floored at 0 (never narrower than for independent samples). That inflation is itself
    estimated from the samples, so the limits then take Student's t quantile instead of the normal one, with the
    Welch-Satterthwaite degrees of freedom of the two shares, each with its variant's effective samples n / inflation
    less 1 (the equivalent-sample-size t test, Wilks, Statistical Methods in the Atmospheric Sciences, 3rd ed. 2011,
    section 5.2.4); with fewer than MIN_EFFECTIVE_SAMPLES effective samples in a variant (when `serial`) the interval
    is unbounded and the p-value NaN. The p-value is otherwise t's with the same variance and degrees of freedom;
    without autocorrelation it is scipy's two-sided Mann-Whitney U test (exact for small samples without ties).
    """
    import numpy as np
    from scipy.stats import mannwhitneyu, norm, t

    n1, n2 = len(canary), len(baseline)
    differences = np.sort(np.subtract.outer(np.asarray(canary, float), np.asarray(baseline, float)), axis=None)
    m = differences.size
    # The median of the sorted differences; numpy's sums its two middle values, which overflows to inf for two
    # differences near the float range (1.7e308): halved first then (halving 5e-324 gives 0).
    below_middle, above_middle = float(differences[(m - 1) // 2]), float(differences[m // 2])
    shift = (below_middle + above_middle) / 2
    if not math.isfinite(shift):
        shift = below_middle / 2 + above_middle / 2
    rho = (_lag1_rank_autocorrelation(canary), _lag1_rank_autocorrelation(baseline)) if serial else (0.0, 0.0)
    inflation = tuple(math.inf if r >= 1 else (1 + r) / (1 - r) for r in rho)
    shares = (n2 * inflation[0], n1 * inflation[1])
    variance = n1 * n2 * (shares[0] + shares[1] + 1) / 12
    effective = (n1 / inflation[0], n2 / inflation[1])
    degrees = _degrees_of_freedom(shares, effective) if rho != (0.0, 0.0) else math.inf
    z = float(norm.ppf(0.5 + confidence / 2)) if math.isinf(degrees) else float(t.ppf(0.5 + confidence / 2, degrees))
    bounded = math.isfinite(variance) and (not serial or min(effective) >= MIN_EFFECTIVE_SAMPLES)
    c = math.floor(m / 2 - z * math.sqrt(variance)) if bounded else 0
    interval = (float(differences[c - 1]), float(differences[m - c])) if c >= 1 else (-math.inf, math.inf)
    # The interval lies above 0 when fewer than C differences are at or below it (D(C) > 0); so counted with those at 0
    # split, and the same below.
    below, at_or_below = (int(np.searchsorted(differences, 0.0, side)) for side in ("left", "right"))
    at = at_or_below - below
    side_of_zero = 0
    if c >= 1 and below + at / 2 < c:
        side_of_zero = 1
    elif c >= 1 and m - at_or_below + at / 2 < c:
        side_of_zero = -1
    constant = None
    if bounded and min(baseline) == max(baseline):
        # The baseline's share is not estimated, so the canary's effective samples less 1 are the degrees of freedom;
        # Korn & Graubard shrink a proportion's effective sample count by (z / t)^2 for them (Confidence intervals
        # for proportions with small expected number of positive counts estimated from survey data, Survey
        # Methodology 24, 1998).
        level = 0.5 + confidence / 2
        shrink = (float(norm.ppf(level)) / float(t.ppf(level, effective[0] - 1))) ** 2 if rho[0] > 0 else 1.0
        counted = effective[0] * shrink
        constant = beyond_constant(canary, float(baseline[0]), n2, counted, level)
    test = mannwhitneyu(canary, baseline, alternative="two-sided")
    p_value = float(test.pvalue)
    if not bounded:
        # Too few effective samples for an interval are too few for the test it inverts (its p-value read as
        # significant where the interval held every shift).
        p_value = math.nan
    elif rho != (0.0, 0.0):
        p_value = float(2 * t.sf(abs(float(test.statistic) - m / 2) / math.sqrt(variance), degrees))
    return ShiftEstimate(shift, interval, float(test.statistic), p_value, rho, effective, side_of_zero, constant)


def beyond_constant(
    canary: Sequence[float], value: float, baseline_count: int, effective_canary: float, level: float
) -> BeyondConstant:
    """Whether the canary lies on one side of a baseline constant at `value` more often than that baseline can, at the
    one-sided confidence `level`; only a canary with no sample on the other side can (`value` taken as a floor or a
    ceiling, as 0 is an error ratio's).

    With every sample at `value` the Mann-Whitney's tie-split share of pairs, theta = P(X > Y) + P(X = Y) / 2, rests on
    the canary alone, and the Moses interval's t quantile takes the canary's few effective samples as the degrees of
    freedom of both (a canary erring in long runs against a baseline without errors: no significance however often it
    erred). The baseline's share q of samples off `value` is unknown only to its sampling error: at most the
    Clopper-Pearson bound for none in `baseline_count`, 1 - (1 - level) ** (1 / baseline_count) (3.7 / n at 97.5%,
    the rule of three's kin). With neither variant beyond the other side of `value`, 2 theta - 1 >= a (1 - q) - q for
    the canary's share a above it, so theta > 1/2 (the canary ranks above) once a > q / (1 - q). a's lower bound is
    Wilson's over `effective_canary` samples (the canary's effective samples, reduced for their degrees of freedom by
    the caller). The two bounds need no Bonferroni split: were the canary's share no more than the baseline's, then
    either the baseline's is within q and the canary's bound is wrong, or it is above q and none of the baseline's
    samples off `value` has a chance below 1 - level (for independent samples: a constant series shows no
    autocorrelation to widen by, so `baseline_count` counts whole).
    """
    from scipy.stats import norm

    above = sum(1 for x in canary if x > value)
    below = sum(1 for x in canary if x < value)
    side = 1 if below == 0 < above else -1 if above == 0 < below else 0
    share = max(above, below) / len(canary)
    share_low, _ = _wilson(share * effective_canary, effective_canary, float(norm.ppf(level)))
    baseline_high = 1 - (1 - level) ** (1 / baseline_count)
    shown = share_low > baseline_high / (1 - baseline_high)
    # A baseline at -0.0 (-sum(...) of no errors) is at 0: + 0.0 makes it read so in the reason and the details.
    return BeyondConstant(value + 0.0, side if shown else 0, share, share_low, baseline_high)


def shifted_rank_z(
    canary: Sequence[float],
    baseline: Sequence[float],
    shift: float,
    tied_within: float,
) -> float:
    """The z score of the Mann-Whitney U of `canary - shift` against `baseline` (positive: the shifted canary ranks
    above), with mid-ranks for ties and the variance of U corrected for them; 0 when every value is tied.

    The Moses interval reads order statistics of the differences, which assumes no ties: with most samples equal (an
    error ratio that is 0 at most steps) the differences pile up on one value and the interval shrinks to it, even
    where the test itself finds the variants apart. A shifted canary value within `tied_within` of a baseline value
    is taken as equal to it (1.05 - 0.05 is not exactly 1.0).

    The samples are taken as independent, never widened for autocorrelation as `hodges_lehmann` widens its interval:
    a wider test finds the canary worse less often, which for a test that can only stop a pass lets more pass (one
    burst of errors over consecutive steps against a baseline without any passed).
    """
    import numpy as np
    from scipy.stats import rankdata

    n1, n2 = len(canary), len(baseline)
    ordered = np.sort(np.asarray(baseline, float))
    shifted = np.asarray(canary, float) - shift
    above = np.searchsorted(ordered, shifted)
    # The baseline values on either side of each shifted canary value.
    for neighbour in (ordered[np.maximum(above - 1, 0)], ordered[np.minimum(above, n2 - 1)]):
        shifted = np.where(np.abs(shifted - neighbour) <= tied_within, neighbour, shifted)
    values = np.concatenate([shifted, ordered])
    u = float(rankdata(values)[:n1].sum()) - n1 * (n1 + 1) / 2
    total = n1 + n2
    _, counts = np.unique(values, return_counts=True)
    ties = float((counts.astype(float) ** 3 - counts).sum())
    variance = n1 * n2 * (total + 1) / 12 * (1 - ties / (total * (total - 1) * (total + 1)))
    if variance <= 0:
        return 0.0
    return (u - n1 * n2 / 2) / math.sqrt(variance)


def _degrees_of_freedom(shares: tuple[float, float], effective: tuple[float, float]) -> float:
    """Welch-Satterthwaite degrees of freedom of Var(U)'s two shares, each with its variant's effective samples
    less 1 (at least a small positive number: below MIN_EFFECTIVE_SAMPLES the interval is unbounded anyway)."""
    canary, baseline = shares
    return (canary + baseline) ** 2 / (
        canary**2 / max(effective[0] - 1, 1e-9) + baseline**2 / max(effective[1] - 1, 1e-9)
    )


def _lag1_rank_autocorrelation(values: Sequence[float]) -> float:
    """Lag-1 autocorrelation of the ranks, bias-corrected and clipped to [0, 1]; 0 for a constant series."""
    from scipy.stats import rankdata

    ranks = rankdata(values)
    centred = ranks - ranks.mean()
    spread = float((centred * centred).sum())
    if spread == 0:
        return 0.0
    rho = float((centred[1:] * centred[:-1]).sum()) / spread
    return min(max(rho + (1 + 3 * rho) / len(values), 0.0), 1.0)


def preload() -> None:
    """Import scipy.stats now rather than in the first evaluation that needs it."""
    import scipy.stats  # noqa: F401 (imported for the import's cost, paid now)

"""The statistics of kpi_compare against published values."""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest

from checks.kpi_stats import (
    MIN_EFFECTIVE_SAMPLES,
    beyond_constant,
    conditional_binomial_p,
    hodges_lehmann,
    pooled_ratio_test,
    proportion_power,
    shifted_rank_z,
    two_proportion_test,
)
from tests.autocorrelated import ar1, normal

# Hollander & Wolfe's chicken data, as used by the PHUSE CAMIS comparison of R and SAS
# (psiaims.github.io/CAMIS, "Non-parametric point estimation"): group A and group B.
CHICKEN_A = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
CHICKEN_B = [0.878, 0.647, 0.598, 2.050, 1.060, 1.290, 1.060, 3.140, 1.290]


class TestHodgesLehmann:
    """For independent samples the shift, its Moses interval and the U test match textbook and scipy results."""

    def test_chicken_example_matches_sas_npar1way(self):
        # SAS PROC NPAR1WAY HL on this data (CAMIS): location shift (A - B) 0.5600, asymptotic (Moses)
        # 95% confidence limits -0.3700 and 1.1830. R's wilcox.test(conf.int=TRUE) agrees to 3 decimals.
        result = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.95, serial=False)
        assert result.shift == pytest.approx(0.56)
        assert result.interval == pytest.approx((-0.37, 1.183))

    def test_mann_whitney_matches_scipy_documented_example(self):
        # scipy.stats.mannwhitneyu docstring (after Conover): males vs females diagnosis ages,
        # U1 = 17 and the exact two-sided p-value 0.1111.
        result = hodges_lehmann([19, 22, 16, 29, 24], [20, 11, 17, 12], 0.95, serial=False)
        assert result.u_statistic == 17.0
        assert result.p_value == pytest.approx(0.1111111111111111)

    def test_shift_is_the_median_of_pairwise_differences(self):
        result = hodges_lehmann([10.0, 11.0, 12.0], [1.0, 2.0], 0.5)
        # Differences: 9, 8, 10, 9, 11, 10 -> median 9.5.
        assert result.shift == 9.5

    def test_too_few_samples_give_an_unbounded_interval(self):
        result = hodges_lehmann([1.0, 2.0], [3.0, 4.0], 0.95)
        assert result.interval == (-math.inf, math.inf)

    def test_the_fewest_samples_with_an_interval_span_every_difference(self):
        # 4 and 4 samples at 95%: C = floor(16 / 2 - 1.96 * sqrt(12)) = 1, so the limits are D(1) and D(16), the
        # smallest and largest differences, not yet unbounded.
        result = hodges_lehmann([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], 0.95, serial=False)
        assert result.interval == (-7.0, -1.0)

    def test_a_higher_confidence_widens_the_interval(self):
        narrow = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.80, serial=False).interval
        wide = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.99, serial=False).interval
        assert wide[0] < narrow[0] and wide[1] > narrow[1]


def moving_average(rng: random.Random, mean: float, samples: int = 61, window: int = 30) -> list[float]:
    """What a range query of rate(x[5m]) sampled every 10 s looks like: each sample averages 30 buckets, of
    which it shares 29 with the next."""
    raw = [normal(rng, mean) for _ in range(samples + window - 1)]
    return list(np.convolve(raw, np.ones(window) / window, "valid"))


class TestAutocorrelation:
    """Time-ordered samples that share data widen the interval, so they are not taken as more evidence than they
    are; independent ones keep theirs."""

    def test_overlapping_windows_do_not_make_a_regression_pass(self):
        # The reviewer's reproducer: the canary is 0.25 worse, the tolerance 0.1; a gate passes when the upper
        # end of the interval is within the tolerance. Taken as independent, 18 of these 200 pairs passed.
        rng = random.Random(3)
        passes = sum(
            hodges_lehmann(moving_average(rng, 0.25), moving_average(rng, 0.0), 0.95).interval[1] <= 0.1
            for _ in range(200)
        )
        assert passes <= 0.025 * 200

    def test_the_interval_covers_the_true_shift_at_about_its_confidence(self):
        # Taken as independent, the nominal 95% interval covered the shift 25% of the time.
        rng = random.Random(2)
        covered = 0
        for _ in range(200):
            low, high = hodges_lehmann(moving_average(rng, 0.1), moving_average(rng, 0.0), 0.95).interval
            covered += low <= 0.1 <= high
        assert covered >= 0.9 * 200

    def test_autocorrelation_and_effective_samples_are_reported(self):
        rng = random.Random(5)
        result = hodges_lehmann(moving_average(rng, 0.0), moving_average(rng, 0.0), 0.95)
        # 30-sample windows moved by one: lag-1 autocorrelation 29/30, its rank estimate over 61 samples 0.79 and 0.86.
        assert all(0.7 < rho <= 1 for rho in result.autocorrelation)
        assert all(effective < 61 / 5 for effective in result.effective_samples)

    def test_alternating_samples_keep_the_textbook_interval(self):
        # Negative autocorrelation is floored at 0: the interval is never narrower than for independent samples.
        canary = [1.0 + (0.1 if i % 2 else -0.1) + i / 1000 for i in range(30)]
        baseline = [1.0 + (0.1 if i % 2 else -0.1) - i / 1000 for i in range(30)]
        serial = hodges_lehmann(canary, baseline, 0.95)
        assert serial.autocorrelation == (0.0, 0.0)
        assert serial.interval == hodges_lehmann(canary, baseline, 0.95, serial=False).interval
        assert serial.p_value == hodges_lehmann(canary, baseline, 0.95, serial=False).p_value
        # Without autocorrelation the p-value is scipy's Mann-Whitney U test's, not the normal approximation.
        from scipy.stats import mannwhitneyu

        assert serial.p_value == pytest.approx(mannwhitneyu(canary, baseline, alternative="two-sided").pvalue)

    def test_a_constant_series_has_no_autocorrelation_to_correct(self):
        result = hodges_lehmann([0.0] * 30, [float(i % 7) for i in range(30)], 0.95)
        assert result.autocorrelation[0] == 0.0

    def test_a_smooth_trend_leaves_the_interval_unbounded(self):
        # Two steadily rising series: every sample is predicted by the previous one, there is no evidence here.
        ramp = [i / 100 for i in range(40)]
        assert hodges_lehmann(ramp, ramp, 0.95).interval == (-math.inf, math.inf)


class TestAutocorrelationOfUnequalVariants:
    """Each variant's autocorrelation widens its own share of the variance: a short autocorrelated canary against a
    long independent baseline is not taken as more evidence than it is."""

    def test_the_interval_covers_the_true_shift_and_passes_no_regression(self):
        # The canary's share of Var(U) is n1 * n2^2 / 12 (each of its n1 samples ranks against n2): its inflation
        # given to the baseline's share, n2 * n1^2 / 12, the interval covered the shift 131 times in 200, and let a
        # canary 0.25 worse pass a 0.1 tolerance 3 times.
        rng = random.Random(4)
        covered = passes = 0
        for _ in range(200):
            canary = moving_average(rng, 0.25)
            # Independent samples with the spread of one of the canary's 30-bucket averages.
            baseline = [normal(rng, 0.0, 1 / math.sqrt(30)) for _ in range(600)]
            low, high = hodges_lehmann(canary, baseline, 0.95).interval
            covered += low <= 0.25 <= high
            passes += high <= 0.1
        assert covered >= 0.9 * 200
        assert passes == 0


def autoregressive(count: int, offset: int) -> list[float]:
    """AR(1) samples (0.6 of the previous one plus a fixed pseudo-random step): autocorrelated, not a trend."""
    value, out = 0.0, []
    for i in range(count):
        value = 0.6 * value + (((i + offset) * 37) % 17) / 17
        out.append(value)
    return out


class TestAutocorrelatedPValue:
    """With autocorrelation the p-value is the normal approximation with the widened variance: 1 for identical
    samples, and on the same side of 0.05 as the interval is of 0; each variant's effective samples are its own,
    and the lag-1 rank autocorrelation carries Kendall's bias correction."""

    def test_identical_samples_have_p_one(self):
        samples = autoregressive(60, 0)
        result = hodges_lehmann(samples, samples, 0.95)
        assert result.autocorrelation[0] > 0
        assert result.p_value == 1.0

    @pytest.mark.parametrize(("shift", "significant"), [(0.1, False), (0.3, True)])
    def test_the_p_value_agrees_with_the_interval(self, shift, significant):
        result = hodges_lehmann([x + shift for x in autoregressive(60, 5)], autoregressive(60, 0), 0.95)
        assert result.autocorrelation[0] > 0
        assert (result.interval[0] > 0) is significant
        assert 0 < result.p_value < 1
        assert (result.p_value < 0.05) is significant

    def test_each_variant_has_its_own_effective_samples(self):
        alternating = [1.0 + (0.1 if i % 2 else -0.1) for i in range(60)]
        result = hodges_lehmann(autoregressive(60, 0), alternating, 0.95)
        assert result.autocorrelation[1] == 0.0
        assert result.effective_samples[1] == 60
        assert result.effective_samples[0] < 30

    def test_only_the_autocorrelated_variant_widens_its_share(self):
        alternating = [1.0 + (0.1 if i % 2 else -0.1) for i in range(60)]
        serial = hodges_lehmann(autoregressive(60, 0), alternating, 0.95)
        independent = hodges_lehmann(autoregressive(60, 0), alternating, 0.95, serial=False)
        assert serial.interval[0] < independent.interval[0] and serial.interval[1] > independent.interval[1]

    @pytest.mark.parametrize(("canary_count", "baseline_count"), [(30, 90), (90, 30)])
    def test_each_share_is_inflated_by_its_own_variant(self, canary_count, baseline_count):
        # Var(U) = n1 n2 (n2 f1 + n1 f2 + 1) / 12: the canary's share n2 n1^2 / 12 takes the canary's inflation f1.
        # With unequal counts, inflating the other variant's share instead gives a different interval.
        alternating = [1.0 + (0.1 if i % 2 else -0.1) for i in range(baseline_count)]
        canary = autoregressive(canary_count, 0)
        result = hodges_lehmann(canary, alternating, 0.95)
        assert result.autocorrelation[0] > 0 and result.autocorrelation[1] == 0.0
        n1, n2 = canary_count, baseline_count
        rho = result.autocorrelation[0]
        inflation = (1 + rho) / (1 - rho)
        variance = n1 * n2 * (n2 * inflation + n1 + 1) / 12
        # Student's t with the Welch-Satterthwaite degrees of freedom of the two shares (effective samples less 1).
        shares = (n2 * inflation, n1)
        degrees = sum(shares) ** 2 / (shares[0] ** 2 / (n1 / inflation - 1) + shares[1] ** 2 / (n2 - 1))
        from scipy.stats import t

        c = math.floor(n1 * n2 / 2 - t.ppf(0.975, degrees) * math.sqrt(variance))
        differences = sorted(x - y for x in canary for y in alternating)
        assert result.interval == pytest.approx((differences[c - 1], differences[n1 * n2 - c]))

    def test_the_moses_limits_of_six_samples_each(self):
        # C = floor(36 / 2 - 1.96 * sqrt(6 * 6 * (6 + 6 + 1) / 12)) = floor(5.76) = 5: the 5th smallest and the 5th
        # largest of the 36 differences.
        canary = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        baseline = [0.0, 0.13, 0.27, 0.41, 0.58, 0.72]
        differences = sorted(c - b for c in canary for b in baseline)
        result = hodges_lehmann(canary, baseline, 0.95, serial=False)
        assert result.interval == (differences[4], differences[31])

    def test_the_bias_correction(self):
        # Ranks 1..4: lag-1 autocorrelation 1.25 / 5 = 0.25, plus (1 + 3 * 0.25) / 4.
        result = hodges_lehmann([1.0, 2.0, 3.0, 4.0], [4.0, 1.0, 3.0, 2.0], 0.95)
        assert result.autocorrelation[0] == pytest.approx(0.6875)


class TestEstimatedInflation:
    """The inflation for autocorrelation is estimated from the samples: the limits take Student's t with the effective
    samples' degrees of freedom, and too few effective samples leave the interval unbounded."""

    def test_the_p_value_is_students_t_with_the_welch_satterthwaite_degrees(self):
        canary, baseline = autoregressive(60, 5), autoregressive(40, 0)
        result = hodges_lehmann(canary, baseline, 0.95)
        (n1, n2), (e1, e2) = (60, 40), result.effective_samples
        shares = (n2 * n1 / e1, n1 * n2 / e2)
        degrees = sum(shares) ** 2 / (shares[0] ** 2 / (e1 - 1) + shares[1] ** 2 / (e2 - 1))
        from scipy.stats import t

        z = abs(result.u_statistic - n1 * n2 / 2) / math.sqrt(n1 * n2 * (sum(shares) + 1) / 12)
        assert result.p_value == pytest.approx(2 * t.sf(z, degrees))
        assert result.p_value > 2 * t.sf(z, math.inf)

    def test_fewer_effective_samples_than_the_floor_leave_the_interval_unbounded(self):
        # AR(1) at 0.7, 20 samples: the estimate leaves some pairs below 4 effective samples and some above (40 and
        # 10 of these 50), the canary shifted far above (a difference any bounded interval finds).
        rng = random.Random(7)
        for _ in range(50):
            canary, baseline = ar1(rng, 20, 0.7), ar1(rng, 20, 0.7)
            result = hodges_lehmann([x + 100 for x in canary], baseline, 0.95)
            if min(result.effective_samples) < MIN_EFFECTIVE_SAMPLES:
                assert result.interval == (-math.inf, math.inf)
                assert result.side_of_zero == 0
            else:
                assert result.interval[0] > 90

    def test_without_an_interval_there_is_no_p_value(self):
        # The first of the draws above: 3.98 and 4.39 effective samples, too few for an interval; the t test with
        # the same degrees of freedom read p=0.045, significant at 95% where the interval held everything.
        rng = random.Random(7)
        canary, baseline = ar1(rng, 20, 0.7), ar1(rng, 20, 0.7)
        result = hodges_lehmann([x + 100 for x in canary], baseline, 0.95)
        assert min(result.effective_samples) < MIN_EFFECTIVE_SAMPLES
        assert result.interval == (-math.inf, math.inf)
        assert math.isnan(result.p_value)

    def test_exactly_the_floor_in_effective_samples_keeps_the_interval(self):
        # 4 samples in an order without positive autocorrelation count as 4.
        canary = [14.0, 11.0, 13.0, 12.0]
        baseline = [float(i % 7) for i in range(30)]
        result = hodges_lehmann(canary, baseline, 0.95)
        assert result.effective_samples[0] == MIN_EFFECTIVE_SAMPLES
        low, high = result.interval
        assert 4 < low <= high < 15
        assert result.p_value < 0.05

    def test_independent_samples_have_no_floor(self):
        # 3 samples against 30 taken as independent: the Moses interval of Hollander & Wolfe, C = floor(45 - 1.96 *
        # sqrt(3 * 30 * 34 / 12)) = 13, as before the floor on effective samples, which is for estimated
        # autocorrelation.
        canary = [15.0, 11.0, 13.0]
        baseline = [float(i % 7) for i in range(30)]
        result = hodges_lehmann(canary, baseline, 0.95, serial=False)
        differences = sorted(x - y for x in canary for y in baseline)
        assert result.interval == (differences[12], differences[90 - 13])
        assert result.side_of_zero == 1


class TestAutocorrelatedPValueIsTwoSided:
    """With autocorrelation the p-value is two-sided: a canary below the baseline is as significant as one above it
    by as much, and the p-value is the same with the samples swapped."""

    def test_a_canary_below(self):
        lower = [x - 0.3 for x in autoregressive(60, 5)]
        below = hodges_lehmann(lower, autoregressive(60, 0), 0.95)
        swapped = hodges_lehmann(autoregressive(60, 0), lower, 0.95)
        assert below.autocorrelation[0] > 0 and below.interval[1] < 0
        # From the signed z, a canary below got p near 2 (shown in details as p_value).
        assert 0 < below.p_value < 0.05
        assert below.p_value == pytest.approx(swapped.p_value)


class TestShiftNearTheFloatRange:
    """The shift of differences near the float range is their median, not the infinity their sum is."""

    def test_two_middle_differences_near_the_float_range_have_their_mean(self):
        # numpy's median summed the two middle differences: inf, a pass with an infinite value (an internal error).
        assert hodges_lehmann([1.7e308] * 60, [0.0] * 60, 0.95).shift == 1.7e308
        assert hodges_lehmann([1.7e308] * 30 + [1.5e308] * 30, [0.0] * 60, 0.95).shift == pytest.approx(1.6e308)
        assert hodges_lehmann([0.0] * 60, [1.7e308] * 60, 0.95).shift == -1.7e308

    def test_subnormal_differences_are_not_halved_to_zero(self):
        assert hodges_lehmann([5e-324] * 4, [0.0] * 4, 0.95, serial=False).shift == 5e-324


class TestBeyondConstant:
    """Against a baseline constant over its samples, the canary lies beyond it when the Wilson lower bound of its
    share beyond it exceeds q / (1 - q), q the baseline's Clopper-Pearson bound for none of its samples off it."""

    # Errors in runs of 11 steps in 20, 33 of 61 steps: the canary of the integration test's payment-error-most-steps.
    LONG_RUNS = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]

    def test_the_baseline_bound_is_clopper_pearsons_for_none_seen(self):
        result = beyond_constant([1.0] * 10, 0.0, 61, 10.0, 0.975)
        assert result.baseline_high == pytest.approx(1 - 0.025 ** (1 / 61))
        assert result.baseline_high == pytest.approx(0.0587, abs=1e-4)

    def test_the_canary_share_bound_is_wilsons_over_its_effective_samples(self):
        # 12 of 60 above: Wilson's lower bound at z 1.96 over 30 samples (6 of 30), 0.0951.
        result = beyond_constant([1.0] * 12 + [0.0] * 48, 0.0, 61, 30.0, 0.975)
        assert (result.side, result.share) == (1, 0.2)
        assert result.share_low == pytest.approx(0.09505, abs=1e-5)

    @pytest.mark.parametrize(("effective", "side"), [(11.2, 0), (12.0, 1)])
    def test_the_share_must_exceed_q_over_1_minus_q_not_q(self, effective, side):
        # At 11.2 effective samples the bound, 0.0606, lies between q = 0.0587 and q / (1 - q) = 0.0623: beyond
        # q, not beyond what the baseline can hold.
        result = beyond_constant([1.0] * 12 + [0.0] * 48, 0.0, 61, effective, 0.975)
        assert result.side == side

    def test_a_canary_on_both_sides_is_not_beyond(self):
        canary = [*self.LONG_RUNS[:-1], -0.001]
        assert beyond_constant(canary, 0.0, 61, 61.0, 0.975).side == 0

    def test_a_canary_below_a_ceiling_is_beyond_below(self):
        result = beyond_constant([1 - x for x in self.LONG_RUNS], 1.0, 61, 5.0, 0.975)
        assert result.side == -1
        assert result.value == 1.0

    def test_a_canary_at_the_constant_is_not_beyond(self):
        assert beyond_constant([0.0] * 61, 0.0, 61, 61.0, 0.975).side == 0

    def test_the_long_runs_canary_is_beyond_its_baseline_where_the_interval_holds_0(self):
        # The interval's t quantile takes about 5 degrees of freedom from the canary's 5.4 effective samples, and
        # the differences at 0 counted half keep 0 in the interval; the canary's share above 0, 33 of 61, over
        # its effective samples shrunk by (z / t)^2 for their 4.4 degrees of freedom (Korn & Graubard), is at
        # least 14%, beyond the baseline's 5.9% for none in 61.
        result = hodges_lehmann(self.LONG_RUNS, [0.0] * 61, 0.95)
        assert result.side_of_zero == 0
        assert result.constant_baseline is not None
        from scipy.stats import norm, t

        effective = result.effective_samples[0]
        counted = effective * (norm.ppf(0.975) / t.ppf(0.975, effective - 1)) ** 2
        expected = beyond_constant(self.LONG_RUNS, 0.0, 61, counted, 0.975)
        assert result.constant_baseline == expected
        assert expected.side == 1
        assert expected.share_low == pytest.approx(0.140, abs=1e-3)

    def test_independent_samples_count_whole(self):
        canary = [0.025 if i % 3 == 0 else 0.0 for i in range(61)]
        result = hodges_lehmann(canary, [0.0] * 61, 0.95)
        assert result.autocorrelation[0] == 0.0
        assert result.constant_baseline == beyond_constant(canary, 0.0, 61, 61.0, 0.975)

    def test_the_share_of_a_canary_on_both_sides_is_its_larger_side(self):
        result = beyond_constant([1.0] * 33 + [-1.0] * 2 + [0.0] * 26, 0.0, 61, 61.0, 0.975)
        assert (result.side, result.share) == (0, 33 / 61)

    def test_a_constant_at_negative_zero_is_0(self):
        value = beyond_constant(self.LONG_RUNS, -0.0, 61, 5.0, 0.975).value
        assert math.copysign(1.0, value) == 1.0

    def test_a_baseline_that_varies_or_too_few_effective_samples_give_none(self):
        assert hodges_lehmann(self.LONG_RUNS, [0.0] * 60 + [0.001], 0.95).constant_baseline is None
        burst = [0.025 if 20 <= i < 28 else 0.0 for i in range(61)]
        result = hodges_lehmann(burst, [0.0] * 61, 0.95)
        assert result.effective_samples[0] < MIN_EFFECTIVE_SAMPLES
        assert result.constant_baseline is None


class TestSideOfZero:
    """Which side of 0 the interval lies on, the differences at exactly 0 counted half on each side: the interval's own
    ends without them."""

    def test_differences_at_zero_split_between_the_sides(self):
        # 40% of the differences at 0 and 60% at 0.5: the interval [0, 0.5] holds 0 by those alone.
        canary = [0.0 if i % 5 in (0, 2) else 0.5 for i in range(60)]
        result = hodges_lehmann(canary, [0.0] * 60, 0.95)
        assert result.interval == (0.0, 0.5)
        assert result.side_of_zero == 1
        assert hodges_lehmann([0.0] * 60, canary, 0.95).side_of_zero == -1

    def test_a_side_needs_enough_samples_apart(self):
        result = hodges_lehmann([0.0 if i % 3 == 0 else 0.5 for i in range(60)], [0.0] * 60, 0.95)
        assert result.side_of_zero == 1
        assert hodges_lehmann([0.5 if i % 3 == 0 else 0.0 for i in range(60)], [0.0] * 60, 0.95).side_of_zero == 1
        assert hodges_lehmann([0.5 if i % 2 == 0 else 0.0 for i in range(8)], [0.0] * 8, 0.95).side_of_zero == 0

    @pytest.mark.parametrize("shift", [-0.3, 0.0, 0.3])
    def test_without_ties_it_is_the_intervals_side(self, shift):
        canary = [x + shift for x in autoregressive(60, 5)]
        result = hodges_lehmann(canary, autoregressive(60, 0), 0.95)
        low, high = result.interval
        assert result.side_of_zero == (1 if low > 0 else -1 if high < 0 else 0)

    @pytest.mark.parametrize(("middle", "side"), [(6.5, 0), (7.5, 1)])
    def test_exactly_c_differences_below_zero_hold_it(self, middle, side):
        # 20 samples each: C = 127. 6.5 leaves 127 differences below 0 (D(C) = -0.5, the interval holds 0), 7.5 126.
        canary = [0.5] * 6 + [middle] + [19.5] * 13
        baseline = [float(j) for j in range(20)]
        assert hodges_lehmann(canary, baseline, 0.95, serial=False).side_of_zero == side
        assert hodges_lehmann(baseline, canary, 0.95, serial=False).side_of_zero == -side

    def test_the_smallest_bounded_interval_has_a_side(self):
        # 4 samples each: C = 1, the interval runs from the lowest of the 16 differences to the highest, all above 0.
        result = hodges_lehmann([5.0, 6.0, 7.0, 8.0], [1.0, 2.0, 3.0, 4.0], 0.95, serial=False)
        assert result.interval == (1.0, 7.0)
        assert result.side_of_zero == 1
        assert hodges_lehmann([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], 0.95, serial=False).side_of_zero == -1

    def test_an_unbounded_interval_has_no_side(self):
        assert hodges_lehmann([1.0, 2.0], [3.0, 4.0], 0.95).side_of_zero == 0


class TestShiftedRankZ:
    """The Mann-Whitney z of the canary shifted against the baseline: mid-ranks and scipy's tie-corrected variance,
    samples independent, values as close as the rounding forgives tied."""

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_matches_scipys_tie_corrected_normal_approximation(self, seed):
        from scipy.stats import mannwhitneyu, norm

        rng = np.random.default_rng(seed)
        canary, baseline = list(rng.integers(0, 4, 25) * 1.0), list(rng.integers(0, 4, 30) * 1.0)
        z = shifted_rank_z(canary, baseline, 0.0, 0.0)
        test = mannwhitneyu(canary, baseline, alternative="two-sided", use_continuity=False, method="asymptotic")
        assert 2 * norm.sf(abs(z)) == pytest.approx(test.pvalue, rel=1e-9)
        assert (z > 0) is bool(test.statistic > 25 * 30 / 2)

    def test_a_third_of_the_canary_above_a_baseline_at_zero_is_far_above(self):
        # The Moses interval of these is [0, 0]; the test sees the canary apart.
        canary = [0.025 if i % 3 == 0 else 0.0 for i in range(61)]
        assert shifted_rank_z(canary, [0.0] * 61, 0.0, 0.0) == pytest.approx(5.0158, abs=1e-4)

    def test_every_value_tied_is_zero(self):
        assert shifted_rank_z([0.0] * 20, [0.0] * 20, 0.0, 0.0) == 0.0

    @pytest.mark.parametrize(
        ("canary", "shift", "baseline", "exact"),
        [
            # 0.33 - 0.03 is 0.30000000000000004: just above the baseline's one 0.3, the first of its sorted values...
            (0.33, 0.03, [0.3] + [0.4] * 59, 0.3),
            # ... or one between others (its neighbour below is then not the value two below it)...
            (0.33, 0.03, [0.1] * 30 + [0.3] + [0.4] * 29, 0.3),
            # ... and 0.3 - 0.1 is 0.19999999999999998: just below the baseline's one 0.2, the last of its values.
            (0.3, 0.1, [0.1] * 59 + [0.2], 0.2),
        ],
    )
    def test_a_value_rounded_beside_a_lone_baseline_value_is_tied_with_it(self, canary, shift, baseline, exact):
        tied = shifted_rank_z([exact] * 60, baseline, 0.0, 0.0)
        assert shifted_rank_z([canary] * 60, baseline, shift, 1e-10) == pytest.approx(tied, rel=1e-12)

    def test_a_variance_below_one_is_a_variance(self):
        # One canary sample above both of two baseline samples: U 2 of a mean 1, Var(U) 2/3 (below 1, and no tie).
        assert shifted_rank_z([1.0], [0.0, 0.5], 0.0, 0.0) == pytest.approx(math.sqrt(1.5), rel=1e-12)

    def test_the_shift_moves_the_canary(self):
        # Shifted down by 0.025, every erring sample ties with the baseline and the rest rank below it.
        canary = [0.025 if i % 3 == 0 else 0.0 for i in range(61)]
        assert shifted_rank_z(canary, [0.0] * 61, 0.025, 0.0) < -4

    def test_values_within_tied_within_are_tied(self):
        # 0.33 - 0.03 is 0.30000000000000004.
        assert shifted_rank_z([0.33] * 20, [0.3] * 20, 0.03, 0.0) > 5
        assert shifted_rank_z([0.33] * 20, [0.3] * 20, 0.03, 1e-9) == 0.0
        # At exactly tied_within apart (0.5 and 0.25 are exact in binary): tied too, "within" includes the edge.
        assert shifted_rank_z([1.5] * 20, [1.0] * 20, 0.0, 0.5) == 0.0
        assert shifted_rank_z([1.5] * 20, [1.0] * 20, 0.0, 0.25) > 5

    def test_a_value_rounded_below_or_above_its_baseline_value_is_tied_with_it(self):
        # 0.3 - 0.1 is 0.19999999999999998, just below the baseline's 0.2; 0.33 - 0.03 just above its 0.3: each ties
        # with that value, not with the other baseline value on its far side.
        assert shifted_rank_z([0.3] * 60, [0.2, 0.2, 0.1] * 20, 0.1, 1e-10) == pytest.approx(4.8785, abs=1e-4)
        assert shifted_rank_z([0.33] * 60, [0.3, 0.3, 0.4] * 20, 0.03, 1e-10) == pytest.approx(-4.8785, abs=1e-4)

    def test_autocorrelation_does_not_widen_it(self):
        # One burst of consecutive errors: widened as the interval is, it read 0.87 (not significant).
        canary = [0.025 if 20 <= i < 28 else 0.0 for i in range(61)]
        assert shifted_rank_z(canary, [0.0] * 61, 0.0, 0.0) == pytest.approx(2.914, abs=1e-3)


class TestTwoProportionTest:
    """The pooled z test and the Newcombe interval match published results."""

    def test_statsmodels_documented_example(self):
        # statsmodels proportions_ztest documentation: count [5, 12] of nobs [83, 99], two-sided
        # p-value 0.159 (pooled variance).
        result = two_proportion_test(5, 83, 12, 99, 0.95)
        assert result.z == pytest.approx(-1.408, abs=5e-4)
        assert result.p_value == pytest.approx(0.159, abs=5e-4)

    @pytest.mark.parametrize(
        ("counts", "interval"),
        [
            ((56, 70, 48, 80), (0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.1705, 0.8090)),
        ],
    )
    def test_newcombe_interval_of_the_difference(self, counts, interval):
        # Newcombe (Statistics in Medicine 17, 1998), table II, method 10 (hybrid score, no continuity correction).
        result = two_proportion_test(*counts, 0.95)
        assert result.difference == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
        assert result.interval == pytest.approx(interval, abs=5e-5)

    def test_a_rate_of_zero_keeps_a_width(self):
        # No errors in 200 requests does not prove an error rate of 0: the Wald interval was [0.0019, 0.0041],
        # as if the baseline were known exactly.
        result = two_proportion_test(30, 10000, 0, 200, 0.95)
        assert result.interval[0] < -0.015 and result.interval[1] > 0.004

    def test_the_interval_always_contains_the_estimate(self):
        # kpi_compare relies on it: an observed harm beyond the tolerance can then never pass.
        rng = np.random.default_rng(7)
        for _ in range(500):
            total_c, total_b = rng.integers(1, 100000, size=2)
            success_c = float(rng.choice([0, total_c, rng.uniform(0, total_c)]))
            success_b = float(rng.choice([0, total_b, rng.uniform(0, total_b)]))
            result = two_proportion_test(success_c, float(total_c), success_b, float(total_b), 0.95)
            assert result.interval[0] <= result.difference <= result.interval[1]
            assert result.interval[0] >= -1 and result.interval[1] <= 1

    def test_both_rates_zero_still_bound_the_difference_both_ways(self):
        low, high = two_proportion_test(0, 1000, 0, 50, 0.95).interval
        assert low < 0 < high

    @pytest.mark.parametrize("tiny", [1e-300, 5e-324])
    def test_a_vanishing_total_says_nothing_of_its_rate(self, tiny):
        # The textbook Wilson form divided by 4 * total^2, which underflowed to 0: a ZeroDivisionError.
        assert two_proportion_test(tiny, tiny, tiny, tiny, 0.95).interval == pytest.approx((-1.0, 1.0), abs=1e-9)
        # The canary's 1000 of 1000 bound its own rate; the baseline's may be anything.
        low, high = two_proportion_test(1000, 1000, tiny, tiny, 0.95).interval
        assert -0.01 < low < 0 and high == pytest.approx(1.0, abs=1e-9)

    def test_no_variance_means_no_evidence_of_a_difference(self):
        result = two_proportion_test(0, 1000, 0, 50, 0.95)
        assert (result.z, result.p_value) == (0.0, 1.0)


class TestConditionalBinomialP:
    """The conditional binomial test's two-sided p-value is twice the smaller exact tail, for fractional counts too."""

    @pytest.mark.parametrize(
        ("canary", "baseline", "share"),
        [
            (3, 9, 1 / 11),
            (0, 5, 0.5),
            (5, 0, 0.5),
            (2, 8, 0.3),
            (7, 3, 0.3),
            (1, 30, 0.5),
            (40, 2, 0.9),
            # One error, to the variant with 1% of the traffic: p = 0.02, significant.
            (1, 0, 0.01),
            (1, 3, 0.01),
            (3, 1, 0.99),
        ],
    )
    def test_integer_counts_give_scipy_s_exact_tails(self, canary, baseline, share):
        from scipy.stats import binomtest

        total = canary + baseline
        tails = [binomtest(canary, total, share, alternative=side).pvalue for side in ("greater", "less")]
        assert conditional_binomial_p(canary, baseline, share) == pytest.approx(min(1.0, 2 * min(tails)), rel=1e-9)

    def test_a_fractional_count_lies_between_its_integer_neighbours(self):
        # 2.5 errors of 12.5 at a tenth of the traffic: rarer than 2 of 12, less rare than 3 of 13.
        assert conditional_binomial_p(3, 10, 0.1) < conditional_binomial_p(2.5, 10, 0.1)
        assert conditional_binomial_p(2.5, 10, 0.1) < conditional_binomial_p(2, 10, 0.1)

    def test_no_events_at_all_is_no_evidence(self):
        assert conditional_binomial_p(0.0, 0.0, 0.1) == 1.0


class TestPooledRatioTest:
    """Per-step ratios pool as each variant's mean sample times its events, tested exactly on the rarer outcome."""

    def test_the_rates_are_the_mean_samples_and_the_counts_their_events(self):
        canary, baseline = [0.0, 0.02, 0.01, 0.01], [0.001] * 4
        result = pooled_ratio_test(canary, 1000.0, baseline, 10000.0, 0.95)
        assert (result.rate_canary, result.rate_baseline) == pytest.approx((0.01, 0.001))
        assert result.interval == pytest.approx(two_proportion_test(10, 1000, 10, 10000, 0.95).interval)
        # 10 errors of 20 to a variant with 1000 of 11000 events.
        assert result.p_value == pytest.approx(conditional_binomial_p(10, 10, 1000 / 11000), rel=1e-9)
        assert result.p_value < 1e-4

    def test_a_success_ratio_is_tested_on_its_failures(self):
        # The same counts as their complements: a success ratio near 1 counted on its successes would read 2010
        # successes out of 2020, which a binomial given their total cannot tell apart.
        errors = pooled_ratio_test([0.01] * 4, 1000.0, [0.001] * 4, 10000.0, 0.95)
        successes = pooled_ratio_test([0.99] * 4, 1000.0, [0.999] * 4, 10000.0, 0.95)
        assert successes.p_value == pytest.approx(errors.p_value, rel=1e-6)
        assert successes.difference == pytest.approx(-errors.difference)

    def test_a_success_ratio_s_failures_keep_their_variants(self):
        # 20 failures of the canary's 1000 events, 10 of the baseline's 10000: the canary's share of the 30 is tested
        # at its tenth of the events, not the baseline's 10 at it.
        result = pooled_ratio_test([0.98] * 4, 1000.0, [0.999] * 4, 10000.0, 0.95)
        assert result.p_value == pytest.approx(conditional_binomial_p(20, 10, 1000 / 11000), rel=1e-6)
        assert result.p_value != pytest.approx(conditional_binomial_p(10, 20, 1000 / 11000), rel=1e-2)

    def test_the_rarer_outcome_is_counted_below_half(self):
        # A pooled rate of 0.4 is the rarer outcome itself: its counts, 450 and 350, not their complements.
        result = pooled_ratio_test([0.45], 1000.0, [0.35], 1000.0, 0.95)
        assert result.p_value == pytest.approx(conditional_binomial_p(450, 350, 0.5), rel=1e-9)
        assert result.p_value != pytest.approx(conditional_binomial_p(550, 650, 0.5), rel=1e-3)

    def test_the_rarer_outcome_is_that_of_both_variants_together(self):
        # 18 and 4 of 20 each: 22 of 40 together, so their complements, 2 and 16, are the rarer (p 0.0013, where 18
        # and 4 give 0.0043).
        result = pooled_ratio_test([0.9], 20.0, [0.2], 20.0, 0.95)
        assert result.p_value == pytest.approx(conditional_binomial_p(2, 16, 0.5), rel=1e-9)
        assert result.p_value == pytest.approx(0.0013, abs=1e-4)

    def test_a_canary_expecting_a_few_errors_is_not_failed_by_a_normal_tail(self):
        # 3 errors of 180 against 9 of 1800: the z test's p=0.054 nears significance; exactly, 3 or more of 12 fall to
        # a variant with a tenth of the events 9% of the time.
        result = pooled_ratio_test([3 / 180], 180.0, [9 / 1800], 1800.0, 0.95)
        assert result.p_value == pytest.approx(conditional_binomial_p(3, 9, 180 / 1980), rel=1e-9)
        assert result.p_value > 0.15
        assert two_proportion_test(3, 180, 9, 1800, 0.95).p_value < 0.06


class TestProportionPower:
    """Power follows the textbook sample-size formula, solved for power."""

    def test_textbook_sample_size_reaches_the_power(self):
        # Chow, Shao & Wang, Sample Size Calculations in Clinical Research, section 4.2 (test for equality):
        # p1 = 0.10, p2 = 0.11, alpha 0.05 two-sided, power 80% needs
        # n = (1.959964 + 0.841621)^2 * (0.10 * 0.90 + 0.11 * 0.89) / 0.01^2 = 14748.04 per group. The added
        # success and failure per variant moves this by less than 0.1% at such counts.
        assert proportion_power(0.10, 0.01, 14749 * 1.001, 14749 * 1.001, 0.95) >= 0.80
        assert proportion_power(0.10, 0.01, 14749 * 0.999, 14749 * 0.999, 0.95) < 0.80

    @pytest.mark.parametrize("total_baseline", [10, 200])
    def test_a_small_baseline_without_errors_gives_little_power(self, total_baseline):
        # The baseline's observed rate 0 has no variance; taken at face value it gave power 0.89 (200 requests)
        # and 1.0 (10 requests) to detect an increase of 0.001, whatever the baseline's size.
        assert proportion_power(0.0, 0.001, 100000, total_baseline, 0.95) < 0.1

    def test_power_grows_with_traffic(self):
        assert proportion_power(0.1, -0.01, 1000, 1000, 0.95) < proportion_power(0.1, -0.01, 20000, 20000, 0.95)

    def test_an_effect_that_cannot_move_the_rate_has_no_power(self):
        # A baseline at 0% cannot drop any further.
        assert proportion_power(0.0, -0.05, 10000, 10000, 0.95) == 0.0


class TestPowerPlug:
    """Each rate in the power's variance has one success and one failure added to its variant's count
    (Agresti-Caffo), which matters most for small counts."""

    @pytest.mark.parametrize(
        ("rate_baseline", "effect", "totals", "plugs"),
        [
            # Baseline 0 of 10 reads as 1/12, a canary moved to 1 of 10 as 2/12.
            (0.0, 0.1, (10, 10), (1 / 12, 2 / 12)),
            # Baseline 5 of 20 reads as 6/22, a canary moved to 0.4 (12 of 30) as 13/32.
            (0.25, 0.15, (30, 20), (6 / 22, 13 / 32)),
        ],
    )
    def test_the_variance_reads_plugged_rates(self, rate_baseline, effect, totals, plugs):
        from scipy.stats import norm

        total_canary, total_baseline = totals
        plug_b, plug_c = plugs
        se = math.sqrt(plug_b * (1 - plug_b) / total_baseline + plug_c * (1 - plug_c) / total_canary)
        expected = norm.cdf(abs(effect) / se - norm.ppf(0.975))
        assert proportion_power(rate_baseline, effect, total_canary, total_baseline, 0.95) == pytest.approx(
            expected, rel=1e-9
        )


class TestLazyImport:
    """Loading the check kinds does not import scipy (over a second), so `analyzer run` starts fast."""

    def test_registry_does_not_import_scipy(self):
        code = (
            "import sys; from analyzer.registry import Registry; Registry.default(); "
            "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
        assert result.stdout.strip() == "[]"

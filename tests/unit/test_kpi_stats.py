"""The statistics of kpi_compare against published values."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from checks.kpi_stats import hodges_lehmann, proportion_power, two_proportion_test

# Hollander & Wolfe's chicken data, as used by the PHUSE CAMIS comparison of R and SAS
# (psiaims.github.io/CAMIS, "Non-parametric point estimation"): group A and group B.
CHICKEN_A = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
CHICKEN_B = [0.878, 0.647, 0.598, 2.050, 1.060, 1.290, 1.060, 3.140, 1.290]


class TestHodgesLehmann:
    """The shift, its Moses interval and the U test match textbook and scipy-documented results."""

    def test_chicken_example_matches_sas_npar1way(self):
        # SAS PROC NPAR1WAY HL on this data (CAMIS): location shift (A - B) 0.5600, asymptotic (Moses)
        # 95% confidence limits -0.3700 and 1.1830. R's wilcox.test(conf.int=TRUE) agrees to 3 decimals.
        result = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.95)
        assert result.shift == pytest.approx(0.56)
        assert result.interval == pytest.approx((-0.37, 1.183))

    def test_mann_whitney_matches_scipy_documented_example(self):
        # scipy.stats.mannwhitneyu docstring (after Conover): males vs females diagnosis ages,
        # U1 = 17 and the exact two-sided p-value 0.1111.
        result = hodges_lehmann([19, 22, 16, 29, 24], [20, 11, 17, 12], 0.95)
        assert result.u_statistic == 17.0
        assert result.p_value == pytest.approx(0.1111111111111111)

    def test_shift_is_the_median_of_pairwise_differences(self):
        result = hodges_lehmann([10.0, 11.0, 12.0], [1.0, 2.0], 0.5)
        # Differences: 9, 8, 10, 9, 11, 10 -> median 9.5.
        assert result.shift == 9.5

    def test_too_few_samples_give_an_unbounded_interval(self):
        result = hodges_lehmann([1.0, 2.0], [3.0, 4.0], 0.95)
        assert result.interval == (-math.inf, math.inf)

    def test_a_higher_confidence_widens_the_interval(self):
        narrow = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.80).interval
        wide = hodges_lehmann(CHICKEN_A, CHICKEN_B, 0.99).interval
        assert wide[0] < narrow[0] and wide[1] > narrow[1]


class TestTwoProportionTest:
    """The pooled z test and the Wald interval match published results."""

    def test_statsmodels_documented_example(self):
        # statsmodels proportions_ztest documentation: count [5, 12] of nobs [83, 99], two-sided
        # p-value 0.159 (pooled variance).
        result = two_proportion_test(5, 83, 12, 99, 0.95)
        assert result.z == pytest.approx(-1.408, abs=5e-4)
        assert result.p_value == pytest.approx(0.159, abs=5e-4)

    def test_wald_interval_of_the_difference(self):
        # p1 = 0.6 of 100, p2 = 0.5 of 100: SE = sqrt(0.24/100 + 0.25/100) = 0.07 and the 95% limits are
        # 0.1 -+ 1.959964 * 0.07 (the textbook unpooled interval).
        result = two_proportion_test(60, 100, 50, 100, 0.95)
        assert result.difference == pytest.approx(0.1)
        assert result.interval == pytest.approx((0.1 - 1.959964 * 0.07, 0.1 + 1.959964 * 0.07), abs=1e-6)

    def test_no_variance_means_no_evidence_of_a_difference(self):
        result = two_proportion_test(0, 1000, 0, 50, 0.95)
        assert (result.z, result.p_value) == (0.0, 1.0)


class TestProportionPower:
    """Power follows the textbook sample-size formula, solved for power."""

    def test_textbook_sample_size_reaches_the_power(self):
        # Chow, Shao & Wang, Sample Size Calculations in Clinical Research, section 4.2 (test for equality):
        # p1 = 0.65, p2 = 0.85, alpha 0.05 two-sided, power 80% needs
        # n = (1.96 + 0.84)^2 * (0.65 * 0.35 + 0.85 * 0.15) / 0.2^2 = 69.6, i.e. 70 per group.
        assert proportion_power(0.65, 0.20, 70, 70, 0.95) >= 0.80
        assert proportion_power(0.65, 0.20, 69, 69, 0.95) < 0.80

    def test_power_grows_with_traffic(self):
        assert proportion_power(0.1, -0.01, 1000, 1000, 0.95) < proportion_power(0.1, -0.01, 20000, 20000, 0.95)

    def test_an_effect_that_cannot_move_the_rate_has_no_power(self):
        # A baseline at 0% cannot drop any further.
        assert proportion_power(0.0, -0.05, 10000, 10000, 0.95) == 0.0


class TestLazyImport:
    """Loading the check kinds does not import scipy (over a second), so `analyzer run` starts fast."""

    def test_registry_does_not_import_scipy(self):
        code = ("import sys; from analyzer.registry import Registry; Registry.default(); "
                "print(sorted(m for m in ('scipy', 'numpy') if m in sys.modules))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
        assert result.stdout.strip() == "[]"

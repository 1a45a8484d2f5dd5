"""The error_budget kind without Prometheus: the arithmetic with worked examples, tiers, validation, verdicts."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from pydantic import ValidationError

from analyzer.catalog import build_catalog
from analyzer.check import EvalContext
from analyzer.comparison import exceeds
from analyzer.errors import CheckMisconfigured, DeadlineExceeded, MissingBucket, SourceRejected, UnexplainedLabels
from analyzer.imports import convert
from analyzer.metrics import Metrics
from analyzer.models import Outcome
from analyzer.params import parse_duration
from analyzer.promql_batch import QueryBatch
from analyzer.promql_names import label_presence_query, presence_query
from analyzer.registry import Registry
from analyzer.runner import Runner
from analyzer.sources import QueryResult, RecordingRule, Series, Sources
from checks.error_budget import (
    ErrorBudgetCheck,
    WindowRatio,
    budget_remaining,
    burn_rate,
    error_budget,
    le_pattern,
    max_burn_rate,
    prometheus_duration,
    pyrra_tiers,
    reconcile_absences,
    workbook_tiers,
)
from checks.error_budget.burn import (
    BurnTier,
    TierResult,
    absence_unproven,
    judge_tiers,
    measured_ratio,
    raw_burn,
    settle_blind,
)
from checks.error_budget.check import PLANS_KEPT, _window_details
from checks.error_budget.readers import (
    MAX_RECORDED_AGE_S,
    LatencyReader,
    LatencySLI,
    PyrraReader,
    RatioReader,
    SlothReader,
    aged,
    blind_note,
    blind_query,
    evaluated_query,
    newborn_note,
    rules_blind_query,
    rules_matched,
    same_objective,
    seen_query,
    vouch_query,
    vouched_by,
)

RATIO = {"errors": 'sum(rate(req_total{code=~"5.."}[{{ window }}]))', "total": "sum(rate(req_total[{{ window }}]))"}


PAGE_6X_TIER = {"long": "6h", "short": "30m", "factor": 6}


def make(**fields):
    """An error_budget check with a ratio SLI unless told otherwise."""
    base = {"name": "eb", "kind": "error_budget", "objective": 99.9, "period": "30d"}
    if not any(k in fields for k in ("ratio", "latency", "pyrra", "sloth")):
        base["ratio"] = RATIO
    return ErrorBudgetCheck.model_validate({**base, **fields})


PYRRA_28D_AGE_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "4d")
SLOTH_AGE_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


def ages(selector, windows=PYRRA_28D_AGE_WINDOWS):
    """The rule group's age query: `selector` (a format string of {w}) over `windows`, the shortest first."""
    return "max(" + " or ".join(f"time() - timestamp({selector.format(w=w)})" for w in windows) + ")"


def ratios(check, by_window, period=None):
    """WindowRatio for every window the check judges: given ratios, the rest an explicit no-traffic gap."""
    windows = {}
    for tier in check.tiers_in_force:
        for window in (tier.long, tier.short):
            value = by_window.get(window)
            windows[window] = WindowRatio(window, value, note="" if value is not None else "no traffic")
    return windows, WindowRatio(check.period, period, note="" if period is not None else "no traffic")


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


class TestArithmetic:
    """Budget, burn rate and budget remaining as the SRE workbook defines them."""

    def test_budget_is_exact_in_decimal(self):
        assert error_budget(99.9) == 0.001
        assert error_budget(99.95) == 0.0005
        assert error_budget(90) == 0.1

    def test_burn_rate_is_error_ratio_over_budget(self):
        # 2% errors at a 99.9% objective burn 20 times faster than sustainable.
        assert close(burn_rate(0.02, error_budget(99.9)), 20.0)

    def test_budget_remaining_goes_negative_when_overspent(self):
        assert close(budget_remaining(0.0005, 0.001), 0.5)
        assert close(budget_remaining(0.0015, 0.001), -0.5)
        assert close(budget_remaining(0.0, 0.001), 1.0)

    def test_max_burn_rate(self):
        assert close(max_burn_rate(error_budget(90)), 10.0)

    def test_exceeds_ignores_rounding_noise_at_the_limit(self):
        assert not exceeds(0.0144 / 0.001, 14.4)  # 14.400000000000002 is 14.4
        assert exceeds(14.41, 14.4)
        assert not exceeds(14.39, 14.4)

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [
            (30 * 86400, "30d"),
            (28 * 86400, "4w"),
            (7 * 86400, "1w"),
            (3600, "1h"),
            (3840, "1h4m"),
            (300, "5m"),
            (86400, "1d"),
            # model.Duration's edges: zero, milliseconds, exact years, inexact ones, seconds after minutes.
            (0, "0s"),
            (0.001, "1ms"),
            (1.5, "1s500ms"),
            (90, "1m30s"),
            (365 * 86400, "1y"),
            (400 * 86400, "400d"),
        ],
    )
    def test_prometheus_duration_names(self, seconds, text):
        assert prometheus_duration(seconds) == text


class TestBuiltAtOnce:
    """The objects every evaluation builds without a frozen dataclass's generated `__init__` are the ones it builds."""

    def test_measured_ratio_is_the_window_ratio(self):
        made = measured_ratio("1h", 0.25, 1.0, 4.0, 14400.0)
        built = WindowRatio("1h", 0.25, 1.0, 4.0, events=14400.0)
        assert type(made) is WindowRatio
        assert made == built
        assert list(vars(made).items()) == list(vars(built).items())
        assert list(vars(made)) == [f.name for f in dataclasses.fields(WindowRatio)]
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.note = "x"  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("long_burn", "short_burn", "judged", "fired"),
        [(20.0, 15.0, True, True), (20.0, 14.4, True, False), (None, 20.0, False, False), (20.0, None, False, False)],
    )
    def test_tier_result_judges_at_once(self, long_burn, short_burn, judged, fired):
        tier = BurnTier(long="1h", short="5m", factor=14.4)
        result = TierResult(tier, long_burn, short_burn)
        assert (result.judged, result.fired) == (judged, fired)
        assert list(vars(result)) == [f.name for f in dataclasses.fields(TierResult)]
        # replace() judges the new burns, not the old ones.
        again = dataclasses.replace(result, long_burn=1.0, short_burn=1.0)
        assert (again.judged, again.fired) == (True, False)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.fired = True  # type: ignore[misc]


class TestDefaultTiers:
    """The workbook tiers scale their factor with the period; Pyrra's scale their windows."""

    def test_workbook_30d(self):
        tiers = workbook_tiers(parse_duration("30d"))
        assert [(t.long, t.short, t.severity) for t in tiers] == [
            ("1h", "5m", "page"),
            ("6h", "30m", "page"),
            ("1d", "2h", "ticket"),
            ("3d", "6h", "ticket"),
        ]
        assert [t.factor for t in tiers] == pytest.approx([14.4, 6, 3, 1])

    def test_workbook_28d(self):
        assert [t.factor for t in workbook_tiers(parse_duration("28d"))] == pytest.approx([13.44, 5.6, 2.8, 0.9333333])

    def test_workbook_7d(self):
        # factor = consumed * period / long: 0.02 * 168h / 1h = 3.36, 0.05 * 168 / 6 = 1.4, ...
        assert [t.factor for t in workbook_tiers(parse_duration("7d"))] == pytest.approx([3.36, 1.4, 0.7, 0.2333333])

    def test_pyrra_28d_layout(self):
        tiers = pyrra_tiers(parse_duration("28d"))
        assert [(t.long, t.short, t.factor) for t in tiers] == [
            ("1h", "5m", 14),
            ("6h", "30m", 7),
            ("1d", "2h", 2),
            ("4d", "6h", 1),
        ]

    def test_pyrra_30d_windows_are_scaled_and_rounded_to_the_minute(self):
        assert [(t.long, t.short) for t in pyrra_tiers(parse_duration("30d"))] == [
            ("1h4m", "5m"),
            ("6h26m", "32m"),
            ("1d1h43m", "2h9m"),
            ("4d6h51m", "6h26m"),
        ]

    def test_pyrra_365d_windows(self):
        # 365d / 672 = 13h2m, 365d / 8064 = 1h5m, ...: each divisor of Pyrra's layout shows in a long period.
        assert [(t.long, t.short) for t in pyrra_tiers(parse_duration("365d"))] == [
            ("13h2m", "1h5m"),
            ("3d6h13m", "6h31m"),
            ("13d51m", "1d2h4m"),
            ("52d3h26m", "3d6h13m"),
        ]

    def test_pyrra_half_minutes_round_up_and_a_window_is_at_least_a_minute(self):
        # A period of 672 x 90 s: the 1h-equivalent window is 90 s exactly (2m), the 5m one is 7.5 s (1m).
        assert (pyrra_tiers(672 * 90)[0].long, pyrra_tiers(672 * 90)[0].short) == ("2m", "1m")

    def test_check_uses_pyrra_tiers_for_a_pyrra_sli(self):
        check = make(period="28d", pyrra={"slo": "api"})
        assert [t.factor for t in check.tiers_in_force] == [14, 7, 2, 1]


class TestLePattern:
    """A bucket bound matches every spelling of the same number, and no other number."""

    @pytest.mark.parametrize(
        ("bound", "same", "different"),
        [
            (0.5, ["0.5", "0.50", ".5", "5e-01", "5.0e-1"], ["0.05", "1.5", "0.55", "5", "50"]),
            (1.0, ["1", "1.0", "1.00", "1e+00", "1e0"], ["10", "0.1", "11", "1.5", "1e+01"]),
            (1e6, ["1000000", "1e+06", "1.0e6", "1000000.0"], ["100000", "1e+05", "10000000"]),
            (0.025, ["0.025", "0.0250", "2.5e-02"], ["0.25", "0.0025", "2.5e-01"]),
        ],
    )
    def test_matches(self, bound, same, different):
        pattern = le_pattern(bound)
        assert [s for s in same if re.fullmatch(pattern, s)] == same
        assert [s for s in different if re.fullmatch(pattern, s)] == []


class TestValidation:
    """Invalid checks are rejected at load with a message naming the field and the rule."""

    @pytest.mark.parametrize("objective", [100, 0, -1, 100.5])
    def test_objective_without_budget_is_rejected(self, objective):
        with pytest.raises(ValidationError, match="objective"):
            make(objective=objective)

    def test_an_objective_that_snaps_to_100_is_rejected(self):
        # 99.99999999999 is below 100, but snaps to it: no budget is left to burn.
        with pytest.raises(ValidationError, match=r"objective 100\.0 leaves no error budget"):
            make(objective=99.99999999999)

    def test_float_noise_in_objective_is_snapped(self):
        check = make(objective=99.90000000000001)
        assert check.objective == 99.9
        assert check.budget == 0.001

    @pytest.mark.parametrize(("period", "fix"), [(30, "write '30d'"), (28.0, "write '28d'"), (1, "write '1d'")])
    def test_a_period_without_its_unit_is_told_days(self, period, fix):
        # Any duration's advice ('30s' or '30m') would be a 30-second SLO.
        with pytest.raises(ValidationError, match=f"{period!r} has no unit: an SLO period is in days, {fix}"):
            make(period=period)

    @pytest.mark.parametrize("period", [0, 1e6])
    def test_a_number_no_period_is_written_as_is_not_told_days(self, period):
        # 0 days is no period, and a million days no SLO: the duration's own advice.
        with pytest.raises(ValidationError, match=f"{period!r} has no unit: write a duration"):
            make(period=period)

    def test_exactly_one_sli(self):
        with pytest.raises(ValidationError, match="exactly one SLI source"):
            make(ratio=RATIO, pyrra={"slo": "x"})
        with pytest.raises(ValidationError, match="exactly one SLI source"):
            ErrorBudgetCheck.model_validate({"name": "x", "objective": 99, "period": "30d"})

    def test_ratio_needs_the_window_placeholder(self):
        with pytest.raises(ValidationError, match=r"ratio.errors: the query needs a \{\{ window \}\}"):
            make(ratio={"errors": "sum(rate(e[5m]))", "total": RATIO["total"]})

    def test_window_may_not_be_a_param(self):
        with pytest.raises(ValidationError, match="may not be named `window`"):
            make(params={"window": {"type": "duration", "default": "5m"}})

    def test_label_value_outside_quotes_is_rejected(self):
        with pytest.raises(ValidationError, match="outside a quoted string"):
            make(
                params={"svc": {"type": "label_value", "required": True}},
                ratio={"errors": "sum(rate(e{s={{ svc }}}[{{ window }}]))", "total": RATIO["total"]},
            )

    def test_selectors_must_be_label_matchers(self):
        with pytest.raises(ValidationError, match="not a list of label matchers"):
            make(latency={"metric": "lat_seconds", "threshold_s": 0.5, "selectors": 'a="b"} or vector(1) #'})

    def test_selectors_may_not_set_the_checks_own_labels(self):
        with pytest.raises(ValidationError, match="label 'le' is set by the check"):
            make(latency={"metric": "lat_seconds", "threshold_s": 0.5, "selectors": 'le="1"'})

    def test_selector_placeholders_are_typed(self):
        check = make(
            params={"hash": {"type": "label_value", "required": True}},
            latency={
                "metric": "lat_seconds",
                "threshold_s": 0.5,
                "selectors": 'svc="a", rollouts_pod_template_hash="{{ hash }}"',
            },
        )
        assert check.latency is not None

    @pytest.mark.parametrize("severity", ["Page", "page!", "", "p" * 33])
    def test_a_severity_outside_its_grammar_is_rejected(self, severity):
        with pytest.raises(ValidationError, match=r"severity .* must match"):
            make(tiers=[{"long": "1h", "short": "5m", "factor": 14.4, "severity": severity}], fail_on=[severity])

    @pytest.mark.parametrize("factor", [math.inf, math.nan])
    def test_a_factor_that_is_not_finite_is_rejected(self, factor):
        with pytest.raises(ValidationError, match="finite number"):
            make(tiers=[{"long": "1h", "short": "5m", "factor": factor}])

    def test_an_infinite_latency_threshold_is_rejected(self):
        # The +Inf bucket counts every event as good: the check would pass whatever the latency.
        with pytest.raises(ValidationError, match=r"latency\.threshold_s must be finite"):
            make(latency={"metric": "lat_seconds", "threshold_s": math.inf})

    @pytest.mark.parametrize(
        ("sli", "field"),
        [
            ({"latency": {"metric": "lat seconds", "threshold_s": 0.5}}, "latency"),
            ({"pyrra": {"slo": "api", "metric": "http_requests{a='b'}"}}, "pyrra"),
        ],
    )
    def test_a_metric_that_is_no_metric_name_is_rejected(self, sli, field):
        with pytest.raises(ValidationError, match=rf"{field}\.metric: .* is not a metric name"):
            make(**sli)

    @pytest.mark.parametrize(
        ("sli", "field"),
        [({"pyrra": {"slo": ""}}, "pyrra.slo"), ({"sloth": {"service": "a", "slo": ""}}, "sloth.slo")],
    )
    def test_an_empty_slo_name_is_rejected(self, sli, field):
        # slo="" would select the series that lack the label: another SLO's, or none of any SLO's.
        with pytest.raises(ValidationError, match=rf"{field}\n  String should have at least 1 character"):
            make(**sli)

    def test_latency_metric_without_suffix(self):
        with pytest.raises(ValidationError, match=r"without its suffix, e\.g\. lat_seconds"):
            make(latency={"metric": "lat_seconds_bucket", "threshold_s": 0.5})

    def test_sloth_identity(self):
        with pytest.raises(ValidationError, match="sloth_id, or service and slo"):
            make(sloth={})
        with pytest.raises(ValidationError, match="service and slo go together"):
            make(sloth={"service": "a"})
        assert make(sloth={"service": "a", "slo": "b"}).sloth is not None
        with pytest.raises(ValidationError, match=r"sloth\.sloth_id"):
            make(sloth={"sloth_id": ""})  # would match every series without a sloth_id label

    @pytest.mark.parametrize("total", ["sum(rate(x[5m]))", "x{a=b}", 'x{a="1"} or vector(1)', 'x{analyzer_part="y"}'])
    def test_pyrra_total_is_one_selector(self, total):
        with pytest.raises(ValidationError, match=r"pyrra\.total"):
            make(period="28d", pyrra={"slo": "x", "total": total})

    def test_pyrra_total_takes_params_in_quotes(self):
        check = make(
            period="28d",
            params={"job": {"type": "label_value", "required": True}},
            pyrra={"slo": "x", "metric": "m", "total": 'm_total{job="{{ job }}"}'},
        )
        assert check.plan({"job": 'a"b'}).windows["5m"]["total"] == 'sum(rate(m_total{job="a\\"b"}[5m]))'

    def test_sloth_total_query_needs_the_window(self):
        with pytest.raises(ValidationError, match=r"sloth\.total_query: the query needs a \{\{ window \}\}"):
            make(sloth={"sloth_id": "a-b", "total_query": "sum(rate(t[5m]))"})

    def test_fail_on_must_name_a_tier_severity(self):
        with pytest.raises(ValidationError, match="fail_on: no tier has severity 'Page'"):
            make(fail_on=["Page"])

    def test_a_check_that_cannot_fail_is_rejected(self):
        with pytest.raises(ValidationError, match="nothing can fail this check"):
            make(tiers=[])
        with pytest.raises(ValidationError, match="nothing can fail this check"):
            make(tiers=[{"long": "1h", "short": "5m", "factor": 2, "severity": "ticket"}], fail_on=[])

    def test_a_check_whose_fail_on_tiers_can_never_fire_is_rejected(self):
        # 0.999 (a ratio given for a percent) leaves a budget of 0.99: every request failing burns 1.01x, so the
        # page tiers (x14.4, x6) stayed quiet and a canary failing everything passed.
        with pytest.raises(ValidationError, match=r"nothing can fail this check: at objective 0\.999% the burn rate "):
            make(objective=0.999)
        # At 90% every event bad burns exactly 10x, which does not exceed a factor of 10.
        with pytest.raises(ValidationError, match=r"cannot exceed 10 .*\(1h/5m x10\)"):
            make(objective=90, tiers=[{"long": "1h", "short": "5m", "factor": 10}])

    def test_one_fail_on_tier_that_can_fire_or_a_budget_gate_is_enough(self):
        check = make(objective=90, tiers=[{"long": "1h", "short": "5m", "factor": 9.9}])
        all_bad = {"1h": 1.0, "5m": 1.0}
        assert check.judge(*ratios(check, all_bad, 1.0)).outcome is Outcome.FAIL
        assert make(objective=0.999, min_budget_remaining=0).tiers_in_force
        assert make(objective=90).tiers_in_force  # 6h/30m x6 can fire

    def test_short_window_shorter_than_long(self):
        with pytest.raises(ValidationError, match="short window 1h must be shorter than long window 1h"):
            make(tiers=[{"long": "1h", "short": "1h", "factor": 2}])

    def test_the_checks_batch_labels_are_refused(self):
        with pytest.raises(ValidationError, match=r"ratio\.total: label 'analyzer_window' is set by the check"):
            make(ratio={"errors": RATIO["errors"], "total": "sum by (analyzer_window) (rate(req_total[{{ window }}]))"})
        with pytest.raises(ValidationError, match="label 'analyzer_part' is set by the check"):
            make(sloth={"sloth_id": "a-b", "selectors": 'analyzer_part="x"'})

    @pytest.mark.parametrize("minimum", [1, float("-inf"), float("nan")])
    def test_min_budget_remaining_is_finite_and_below_one(self, minimum):
        with pytest.raises(ValidationError, match="min_budget_remaining"):
            make(min_budget_remaining=minimum)


# What the warning of a Pyrra SLI without pyrra.errors adds: the generic rules' record of recent errors.
GENERIC_ERRORS_TOLD = "; Pyrra's --generic-rules tell it while they record (pyrra_errors:rate5m, read over each window)"


class TestWarnings:
    """Findings that do not invalidate a check but that its author must see."""

    def test_tier_that_can_never_fire(self):
        warnings = make(objective=90).warnings()
        assert any("tier 1h/5m x14.4 can never fire" in w and "cannot exceed 10" in w for w in warnings)
        assert not any("6h/30m" in w for w in warnings)

    def test_objective_given_as_a_ratio(self):
        assert any("did you mean 99.9?" in w for w in make(objective=0.999, min_budget_remaining=0).warnings())

    def test_a_long_window_as_long_as_the_period_draws_no_warning(self):
        check = make(period="1d", tiers=[{"long": "1d", "short": "2h", "factor": 2}])
        assert not any("longer than the period" in w for w in check.warnings())
        check = make(period="1d", tiers=[{"long": "3d", "short": "6h", "factor": 2}])
        assert any("tier 3d/6h: long window is longer than the period 1d" in w for w in check.warnings())

    def test_an_objective_of_one_percent_is_taken_as_written(self):
        assert not any("did you mean" in w for w in make(objective=1, min_budget_remaining=0).warnings())

    def test_a_factor_equal_to_the_highest_burn_can_never_fire(self):
        warnings = make(objective=90, tiers=[{"long": "1h", "short": "5m", "factor": 10}, PAGE_6X_TIER]).warnings()
        assert any("tier 1h/5m x10 can never fire" in w for w in warnings)
        assert not any("6h/30m" in w for w in warnings)

    def test_windows_sloth_does_not_record(self):
        check = make(sloth={"sloth_id": "a-b"}, tiers=[{"long": "4h", "short": "20m", "factor": 5}])
        assert any("window 4h is not one Sloth records" in w for w in check.warnings())
        assert (
            make(
                sloth={
                    "sloth_id": "a-b",
                    "total_query": "sum(rate(t[{{ window }}]))",
                    "errors_query": "sum(rate(e[{{ window }}]))",
                }
            ).warnings()
            == []
        )

    @pytest.mark.parametrize(
        ("errors", "total", "message"),
        [
            (
                "sum(rate(e[{{ window }}]))",
                "sum(increase(t[{{ window }}]))",
                r"ratio.errors is per second \(rate\(\)\) while ratio.total counts events \(increase\(\), "
                r"count_over_time\(\)\)",
            ),
            (
                "sum(increase(e[{{ window }}]))",
                "sum(rate(t[{{ window }}]))",
                r"ratio.errors counts events \(increase\(\), count_over_time\(\)\) while ratio.total is per "
                r"second \(rate\(\)\)",
            ),
            (
                "sum(avg_over_time(e:rate5m[{{ window }}]))",
                "sum(increase(t[{{ window }}]))",
                r"ratio.errors does not count events with increase\(\) or count_over_time\(\) \(it is read as per "
                r"second\) while ratio.total counts events",
            ),
            (
                "sum(increase(e[{{ window }}]))",
                "sum(avg_over_time(t:rate5m[{{ window }}]))",
                r"ratio.errors counts events \(increase\(\), count_over_time\(\)\) while ratio.total does not count",
            ),
            (
                "sum(count_over_time((probe_success == 0)[{{ window }}:]))",
                "sum(rate(probe_success_total[{{ window }}]))",
                r"ratio.errors counts events \(increase\(\), count_over_time\(\)\) while ratio.total is per second",
            ),
        ],
    )
    def test_a_count_beside_anything_but_a_count_is_refused(self, errors, total, message):
        # A side that cannot be told is read as per second: beside a count, the quotient is the ratio divided
        # (or multiplied) by the window's seconds, a check that passes a service failing every request.
        with pytest.raises(ValidationError, match=message):
            make(ratio={"errors": errors, "total": total})

    @pytest.mark.parametrize(
        "errors",
        ["sum(increase(e[{{ window }}]))", "sum(avg_over_time(e:rate5m[{{ window }}]))", "sum(irate(e[{{ window }}]))"],
    )
    def test_errors_and_total_of_one_form_or_of_no_telling_load(self, errors):
        total = "sum(increase(t[{{ window }}]))" if "increase" in errors else "sum(rate(t[{{ window }}]))"
        assert make(ratio={"errors": errors, "total": total}).ratio is not None

    @pytest.mark.parametrize(
        ("fields", "field", "function"),
        [
            (
                {
                    "ratio": {
                        "errors": "sum(sum_over_time(e:errors5m[{{ window }}]))",
                        "total": "sum(sum_over_time(t:requests5m[{{ window }}]))",
                    }
                },
                "ratio.total",
                "sum_over_time",
            ),
            (
                {"ratio": None, "sloth": {"sloth_id": "svc-slo", "total_query": "sum(delta(t_gauge[{{ window }}]))"}},
                "sloth.total_query",
                "delta",
            ),
        ],
    )
    def test_a_count_like_total_of_no_telling_form_warns_that_it_is_read_per_second(self, fields, field, function):
        # A count it does not recognise would be multiplied by the window's seconds: a thin window judged.
        warned = [w for w in make(**fields).warnings() if w.startswith(field)]
        assert warned == [
            f"{field} calls {function}() and neither rate() nor irate(), nor increase() nor count_over_time(): "
            "min_events_per_window reads it as events per second (its value times the window's seconds); a total "
            "that counts its window's events belongs in increase() or count_over_time()"
            + (", as sloth.errors_query then (only this check reads them, not Sloth)" if "sloth" in field else "")
            + "; one that sums recorded counts, which they cannot count, with min_events_per_window: 0 (each window "
            "judged on its ratio, as such a total has it judged already)"
        ]
        assert not [w for w in make(**fields, min_events_per_window=0).warnings() if w.startswith(field)]

    @pytest.mark.parametrize("function", ["sum_over_time", "delta", "idelta", "changes", "resets"])
    @pytest.mark.parametrize("spacing", ["", " "])
    def test_every_count_like_function_warns_at_any_minimum(self, function, spacing):
        # A minimum of one event is a minimum too: a count read per second still passes it on one sample.
        total = f"sum({function}{spacing}(t_gauge[{{{{ window }}}}]))"
        check = make(ratio=None, sloth={"sloth_id": "svc-slo", "total_query": total}, min_events_per_window=1)
        warned = [w for w in check.warnings() if w.startswith("sloth.total_query")]
        assert len(warned) == 1 and warned[0].startswith(f"sloth.total_query calls {function}() and neither")

    @pytest.mark.parametrize(
        "total",
        [
            "sum(rate(t[{{ window }}]))",
            "sum(count_over_time(t[{{ window }}]))",
            "sum(avg_over_time(t:rate5m[{{ window }}]))",
            "sum(increase(t[{{ window }}])) - sum(delta(g[{{ window }}]))",
        ],
    )
    def test_a_total_of_a_known_or_per_second_form_does_not_warn(self, total):
        check = make(ratio=None, sloth={"sloth_id": "svc-slo", "total_query": total})
        assert not any(w.startswith("sloth.total_query") for w in check.warnings())

    @pytest.mark.parametrize(
        ("errors", "total", "message"),
        [
            (
                "sum(rate(e[{{ window }}]))",
                "sum(increase(t[{{ window }}]))",
                r"sloth.errors_query is per second \(rate\(\)\) while sloth.total_query counts events",
            ),
            (
                "sum(increase(e[{{ window }}]))",
                "sum(avg_over_time(t:rate5m[{{ window }}]))",
                r"sloth.errors_query counts events \(increase\(\), count_over_time\(\)\) while sloth.total_query "
                r"does not count",
            ),
        ],
    )
    def test_a_sloth_sli_dividing_a_count_by_a_rate_is_refused(self, errors, total, message):
        # Sloth's recorded ratio is errors / total: a count over a rate is no error ratio, whatever the service does.
        with pytest.raises(ValidationError, match=message):
            make(ratio=None, sloth={"sloth_id": "svc-slo", "total_query": total, "errors_query": errors})

    def test_a_sloth_sli_of_one_form_loads(self):
        sloth = {
            "sloth_id": "svc-slo",
            "total_query": "sum(count_over_time(probe_success[{{ window }}]))",
            "errors_query": "sum(count_over_time((probe_success == 0)[{{ window }}:]))",
        }
        assert make(ratio=None, sloth=sloth).sloth is not None

    @pytest.mark.parametrize("pyrra", [{"slo": "api"}, {"slo": "api", "total": "t_total"}])
    def test_a_pyrra_budget_gate_is_not_told_to_set_a_total_or_errors(self, pyrra):
        # tiers: [] reads pyrra_availability alone: pyrra.total and pyrra.errors would read no window.
        gate = make(period="28d", pyrra=pyrra, tiers=[], min_budget_remaining=0)
        assert [w for w in gate.warnings() if "pyrra.total" in w or "pyrra.errors" in w] == []
        tiered = make(period="28d", pyrra=pyrra, min_budget_remaining=0)
        assert [w.split(" a window")[0] for w in tiered.warnings()] == [
            "without pyrra.errors" if "total" in pyrra else "without pyrra.total"
        ]

    def test_a_total_written_as_a_count_needs_no_warning(self):
        # min_events_per_window reads an increase() total as the count it is (TestMinimumEvidence).
        check = make(ratio={"errors": "sum(increase(e[{{ window }}]))", "total": "sum(increase(t[{{ window }}]))"})
        assert not any("ratio.total" in w for w in check.warnings())

    def test_recorded_slis_without_their_total(self):
        assert (
            "without sloth.total_query a window whose rule recorded nothing"
            in make(sloth={"sloth_id": "a-b"}).warnings()[0]
        )
        assert any(w.startswith("without pyrra.total") for w in make(period="28d", pyrra={"slo": "x"}).warnings())

    @pytest.mark.parametrize(
        ("sli", "field", "latency"),
        [
            ({"sloth": {"sloth_id": "a-b", "total_query": "sum(rate(t[{{ window }}]))"}}, "sloth.errors_query", ""),
            (
                {"period": "28d", "pyrra": {"slo": "x", "total": "t_total"}},
                "pyrra.errors",
                f"{GENERIC_ERRORS_TOLD}; a Pyrra latency SLO's (its success increase rule has an le) is no data: "
                "indicator: latency says it is one",
            ),
            (
                {"period": "28d", "pyrra": {"slo": "x", "total": "t_total", "indicator": "ratio"}},
                "pyrra.errors",
                GENERIC_ERRORS_TOLD,
            ),
        ],
    )
    def test_recorded_slis_with_a_total_but_without_their_errors(self, sli, field, latency):
        assert [w for w in make(**sli).warnings() if "stopped rule group" in w] == [
            f"without {field} a window whose rule recorded nothing while the total counts traffic reads as zero "
            "errors, which cannot be told from a stopped rule group (removed, failing or not loaded) while the "
            f"service errs{latency}"
        ]

    @pytest.mark.parametrize(
        ("sli", "message"),
        [
            (
                {"sloth": {"sloth_id": "a-b", "errors_query": "sum(rate(e[{{ window }}]))"}},
                "sloth.errors_query needs sloth.total_query",
            ),
            ({"period": "28d", "pyrra": {"slo": "x", "errors": 'e_total{code="5"}'}}, "pyrra.errors needs pyrra.total"),
            (
                {
                    "period": "28d",
                    "pyrra": {"slo": "x", "total": "t_count", "errors": "e_total", "indicator": "latency"},
                },
                "pyrra.errors: a Pyrra latency SLO's errors are its total minus the success bucket",
            ),
            (
                {"sloth": {"sloth_id": "a-b", "total_query": "sum(rate(t[{{ window }}]))", "errors_query": "sum(e)"}},
                r"sloth.errors_query: the query needs a \{\{ window \}\} placeholder",
            ),
            (
                {"period": "28d", "pyrra": {"slo": "x", "total": "t_total", "errors": "sum(rate(e[5m]))"}},
                "pyrra.errors: .* is not a metric selector",
            ),
        ],
    )
    def test_errors_fields_are_validated(self, sli, message):
        with pytest.raises(ValidationError, match=message):
            make(**sli)

    @pytest.mark.parametrize(
        ("sli", "field"),
        [
            ({"period": "28d", "pyrra": {"slo": "{{ slo }}"}}, "pyrra.slo"),
            ({"period": "28d", "pyrra": {"slo": "api", "metric": "{{ metric }}"}}, "pyrra.metric"),
            ({"sloth": {"sloth_id": "{{ id }}"}}, "sloth.sloth_id"),
            ({"sloth": {"service": "api", "slo": "{{slo}}"}}, "sloth.slo"),
            # Half a placeholder, its opening braces lost in an edit: no SLO's name either.
            ({"sloth": {"service": "{ service }}", "slo": "api"}}, "sloth.service"),
        ],
    )
    def test_a_placeholder_in_a_name_written_as_is_is_refused(self, sli, field):
        # Before: loaded, the param counted as placed; every evaluation read the rules of an SLO named "{{ slo }}",
        # none: an error at each measurement, and a catalog that said nothing of it.
        params = {name: {"type": "label_value", "required": True} for name in ("slo", "metric", "id")}
        with pytest.raises(ValidationError) as refused:
            make(params=params, **sli)
        (error,) = refused.value.errors()
        assert ".".join(map(str, error["loc"])) == field
        assert (
            "holds a placeholder, but this field is written into the queries as it is, not filled in with args"
            in (error["msg"])
        )

    def test_a_placeholder_in_pyrra_selectors_is_filled_in(self):
        params = {"namespace": {"type": "label_value", "required": True}}
        check = make(params=params, period="28d", pyrra={"slo": "api", "selectors": 'namespace="{{ namespace }}"'})
        assert check.pyrra.selectors == 'namespace="{{ namespace }}"'

    def test_a_sloth_errors_query_whose_name_is_a_regex_is_warned_about(self):
        check = make(
            sloth={
                "sloth_id": "a-b",
                "total_query": "sum(rate(t[{{ window }}]))",
                "errors_query": 'sum(rate({__name__=~"e.*"}[{{ window }}]))',
            }
        )
        assert any(
            w.startswith('sloth.errors_query selector {__name__=~"e.*"}: metric name given by a regex')
            for w in check.warnings()
        )

    def test_a_metric_name_given_by_a_regex(self):
        check = make(
            ratio={
                "errors": 'sum(rate({__name__=~"errs_.*", a="1"}[{{ window }}]))',
                "total": 'sum(rate({__name__=~"req_total|req_count"}[{{ window }}]))',
            }
        )
        assert [w for w in check.warnings() if "regex" in w] == [
            'ratio.errors selector {__name__=~"errs_.*", a="1"}: metric name given by a regex is not checked for '
            'existence (a misspelled name reads as no series; list the names, as in {__name__=~"a|b"}, to check '
            "them)"
        ]
        assert check.plan({}).probes[0].query == presence_query(["req_total", "req_count"])

    @pytest.mark.parametrize(
        ("sli", "field", "selector"),
        [
            (
                {"ratio": {**RATIO, "errors": 'sum(rate(req_total{code="5.."}[{{ window }}]))'}},
                "ratio.errors",
                'req_total{code="5.."}',
            ),
            (
                {"pyrra": {"slo": "x", "total": "req_total", "errors": 'req_total{code="5.."}'}},
                "pyrra.errors",
                'req_total{code="5.."}',
            ),
            ({"pyrra": {"slo": "x", "selectors": 'code="5.."'}}, "pyrra.selectors", '{code="5.."}'),
            ({"sloth": {"sloth_id": "a-b", "selectors": 'code="5.."'}}, "sloth.selectors", '{code="5.."}'),
            (
                {"latency": {"metric": "lat_seconds", "threshold_s": 0.5, "selectors": 'code="5.."'}},
                "latency.selectors",
                '{code="5.."}',
            ),
        ],
    )
    def test_a_regex_after_equality_is_warned(self, sli, field, selector):
        # Before: no warning; an errors selector written code="5.." matches nothing, read as zero errors: a canary
        # burning 80x passed.
        warnings = make(**sli).warnings()
        assert [w for w in warnings if "compares for equality" in w] == [
            f'{field} selector {selector}: code="5.." compares for equality, and "5.." reads as a regex: only a code '
            'written "5.." matches, so the selector matches no series (in an error count, zero errors: a pass); for '
            'a regex write code=~"5.."'
        ]

    def test_contradicting_names_are_warned(self):
        # Before: no warning, and every evaluation refused the errors query as misconfigured.
        errors = 'sum(rate({__name__="req_total", __name__="req_errors_total"}[{{ window }}]))'
        warnings = make(ratio={**RATIO, "errors": errors}).warnings()
        assert [w for w in warnings if "no metric name meets" in w] == [
            'ratio.errors selector {__name__="req_total", __name__="req_errors_total"} matches no series: no metric '
            "name meets all of its matchers on __name__ (Prometheus matches each series on every one of them), so "
            "every evaluation refuses the query; keep one matcher on the name, or a regex that lists the names "
            '(`{__name__=~"a|b"}`)'
        ]

    def test_a_counter_read_as_a_gauge_is_warned(self):
        # Before: none (prometheus alone); a restarted canary's errors counter read as a drop, negative errors that
        # burn no budget.
        errors = 'sum(idelta(req_total{code=~"5.."}[{{ window }}]))'
        warnings = make(ratio={**RATIO, "errors": errors}).warnings()
        assert [w for w in warnings if "reads a counter as a gauge" in w] == [
            "ratio.errors: idelta(req_total...) reads a counter as a gauge: idelta() does not see a counter reset, so "
            "a pod that restarts (a crash-looping canary) reads as a drop, a negative count of errors that meets any "
            "upper bound; use increase() for a count, rate() per second: both count on from 0 after a reset"
        ]

    def test_windows_pyrra_does_not_record(self):
        check = make(period="28d", pyrra={"slo": "x"}, tiers=[{"long": "3d", "short": "6h", "factor": 1}])
        assert [w for w in check.warnings() if "Pyrra" in w] == [
            "window 3d is not one Pyrra records for a 28d SLO (1d, 1h, 2h, 30m, 4d, 5m, 6h)"
        ]


class TestWorkedExamples:
    """Verdicts from measured ratios, checked against numbers worked out by hand."""

    def test_fast_burn_fails_on_the_page_tier(self):
        # 99.9%, 30d: 2% errors over 1h (burn 20) and 3% over 5m (burn 30): both above 14.4.
        check = make()
        windows, period = ratios(
            check,
            {"1h": 0.02, "5m": 0.03, "6h": 0.004, "30m": 0.004, "1d": 0.001, "2h": 0.001, "3d": 0.0005},
            period=0.0004,
        )
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.FAIL
        assert verdict.value == pytest.approx(20.0) and verdict.threshold == 14.4
        assert verdict.reason.startswith(
            "page tier 1h/5m fires: the budget burns 20x over both 1h and 5m (limit 14.4x)"
        )
        tiers = {f"{t['long']}/{t['short']}": t for t in verdict.details["tiers"]}
        assert tiers["1h/5m"]["fired"] and tiers["1h/5m"]["long_burn_rate"] == pytest.approx(20)
        assert tiers["1h/5m"]["short_burn_rate"] == pytest.approx(30)
        assert not tiers["6h/30m"]["fired"]  # 4x < 6x
        assert verdict.details["budget"]["remaining"] == pytest.approx(0.6)

    def test_the_fastest_fired_tier_is_the_one_reported(self):
        # 1h/5m burns 20x (limit 14.4x) and 6h/30m 10x (limit 6x): both fire; the page tier of 14.4x tells most.
        check = make()
        windows, period = ratios(
            check,
            {"1h": 0.02, "5m": 0.02, "6h": 0.01, "30m": 0.01, "1d": 0.001, "2h": 0.001, "3d": 0.0005},
            period=0.0004,
        )
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.FAIL
        assert verdict.value == pytest.approx(20.0) and verdict.threshold == 14.4
        assert verdict.reason.startswith("page tier 1h/5m fires")

    def test_short_window_alone_does_not_fire(self):
        # A spike in the last 5m (burn 50) with a calm hour (burn 2) is not a page: both windows must exceed.
        check = make()
        windows, period = ratios(
            check,
            {"1h": 0.002, "5m": 0.05, "6h": 0.0005, "30m": 0.0005, "1d": 0.0005, "2h": 0.0005, "3d": 0.0005},
            period=0.0005,
        )
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.PASS
        assert verdict.value == pytest.approx(2.0) and verdict.threshold == 14.4
        assert "worst is page tier 1h/5m at 2x (limit 14.4x)" in verdict.reason

    def test_a_pass_reports_the_tier_closest_to_firing(self):
        # 1h/5m burns 2x of 14.4x (14%), 6h/30m burns 1.5x of 6x (25%): the second is nearer its limit.
        check = make()
        windows, period = ratios(
            check,
            {"1h": 0.002, "5m": 0.002, "6h": 0.0015, "30m": 0.0015, "1d": 0.0001, "2h": 0.0001, "3d": 0.0001},
            period=0.0001,
        )
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.PASS
        assert verdict.value == pytest.approx(1.5) and verdict.threshold == 6
        assert "worst is page tier 6h/30m at 1.5x (limit 6x)" in verdict.reason

    def test_recovered_incident_with_overspent_budget(self):
        # The incident is over (every window calm, burn 0.1), but it spent 150% of the 30d budget:
        # period error ratio 0.0015 at a 0.001 budget -> remaining 1 - 1.5 = -0.5.
        calm = dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], 0.0001)
        burn_gate = make()
        windows, period = ratios(burn_gate, calm, period=0.0015)
        verdict = burn_gate.judge(windows, period)
        assert verdict.outcome is Outcome.PASS
        assert verdict.details["budget"]["remaining"] == pytest.approx(-0.5)
        # Said as an SRE says it (1.5 budgets spent), not as a negative share left.
        assert "budget exhausted: 1.5x the budget spent over 30d" in verdict.reason
        assert "remaining -" not in verdict.reason
        gated = make(min_budget_remaining=0)
        verdict = gated.judge(windows, period)
        assert verdict.outcome is Outcome.FAIL
        assert verdict.value == pytest.approx(-0.5) and verdict.threshold == 0
        assert verdict.reason == (
            "budget exhausted: 1.5x the budget spent; budget remaining -50% is not above min_budget_remaining 0% "
            "(error ratio 0.0015 over 30d at objective 99.9%)"
        )

    @pytest.mark.parametrize(
        ("period_ratio", "said"),
        [
            (0.08, "budget exhausted: 80x the budget spent over 30d"),
            (0.001, "budget exhausted: 1x the budget spent over 30d"),
            (0.0005, "budget remaining 50% over 30d"),
        ],
    )
    def test_an_overspent_budget_is_said_in_budgets_spent(self, period_ratio, said):
        # An 8% error ratio at a 0.1% budget spent 80 budgets (remaining -79, which a reader took for -7900%
        # left); exactly one budget spent is exhausted too; a budget half left is still said as remaining.
        check = make()
        burning = dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], 0.08)
        verdict = check.judge(*ratios(check, burning, period=period_ratio))
        assert verdict.outcome is Outcome.FAIL
        assert verdict.reason.endswith(f"; {said}")
        assert verdict.details["budget"]["remaining"] == pytest.approx(1 - period_ratio / 0.001)

    @pytest.mark.parametrize(("ratio", "said"), [(0.004, "; 2 non-failing tier(s) fire (1d/2h, 3d/6h)"), (0.0, "")])
    def test_a_pass_names_the_non_failing_tiers_that_fire(self, ratio, said):
        # 4x fires the ticket tiers (3x, 1x), not the page ones (14.4x, 6x) that fail_on reads: a pass that says so
        # (mut29: the clause, or its absence, had no test).
        check = make()
        verdict = check.judge(*ratios(check, dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], ratio), 0.0))
        assert verdict.outcome is Outcome.PASS, verdict.reason
        assert verdict.reason.endswith(f"budget remaining 100% over 30d{said}"), verdict.reason

    def test_a_budget_spent_exactly_fails_the_gate_said_exhausted(self):
        # Remaining exactly 0 is no budget left: the gate's reason says so, not "budget remaining 0%" alone.
        gated = make(tiers=[], min_budget_remaining=0)
        verdict = gated.judge(*ratios(gated, {}, period=0.001))
        assert (verdict.outcome, verdict.value) == (Outcome.FAIL, 0.0)
        assert verdict.reason.startswith(
            "budget exhausted: 1x the budget spent; budget remaining 0% is not above min_budget_remaining 0%"
        )

    @pytest.mark.parametrize("tiers", [None, []])
    def test_a_nan_period_ratio_never_passes_the_gate(self, tiers):
        # NaN read as a number exceeds every minimum: before, the gate passed with "budget remaining NaN%".
        gated = make(min_budget_remaining=0.2) if tiers is None else make(tiers=tiers, min_budget_remaining=0.2)
        calm = dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], 0.0)
        verdict = gated.judge(*ratios(gated, calm, period=math.nan))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert "budget remaining is unknown: the error ratio over 30d is NaN" in verdict.reason

    def test_an_overspent_budget_a_negative_gate_tolerates_is_said_exhausted_too(self):
        # min_budget_remaining -0.5 tolerates half a budget overspent: the pass still says the budget is exhausted.
        # Before: "budget remaining -40% is above ...", the form every other reason stopped using.
        gated = make(tiers=[], min_budget_remaining=-0.5)
        verdict = gated.judge(*ratios(gated, {}, period=0.0014))
        assert verdict.outcome is Outcome.PASS and verdict.value == pytest.approx(-0.4)
        assert verdict.reason == (
            "budget exhausted: 1.4x the budget spent; budget remaining -40% is above min_budget_remaining -50% over 30d"
        )

    def test_28d_period_fires_where_30d_does_not(self):
        # Burn 14 on both 1h and 5m: above 13.44 (28d) but below 14.4 (30d).
        burning = {"1h": 0.014, "5m": 0.014, "6h": 0.001, "30m": 0.001, "1d": 0.001, "2h": 0.001, "3d": 0.0005}
        check_30d, check_28d = make(), make(period="28d")
        assert check_30d.judge(*ratios(check_30d, burning, 0.001)).outcome is Outcome.PASS
        verdict = check_28d.judge(*ratios(check_28d, burning, 0.001))
        assert verdict.outcome is Outcome.FAIL
        assert verdict.threshold == pytest.approx(13.44) and verdict.value == pytest.approx(14)

    def test_7d_period(self):
        # 7d: the 1h/5m tier pages above 3.36; 0.4% errors burn 4x. Over the week 0.05% errors: half the budget.
        check = make(period="7d")
        windows, period = ratios(
            check,
            {"1h": 0.004, "5m": 0.004, "6h": 0.0008, "30m": 0.0008, "1d": 0.0005, "2h": 0.0005, "3d": 0.0005},
            period=0.0005,
        )
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.FAIL
        assert verdict.threshold == pytest.approx(3.36) and verdict.value == pytest.approx(4)
        assert verdict.details["budget"]["remaining"] == pytest.approx(0.5)
        # 6h/30m at 0.8x is below 1.4; the ticket tiers at 0.5x are below 0.7 and 0.233 -> 3d/6h (0.5 > 0.233)
        # fires as a warning only.
        assert verdict.details["warnings"] == ["ticket tier 3d/6h fires: burn 0.5x over both windows (limit 0.233333x)"]

    def test_90_percent_objective_where_14_4_cannot_fire(self):
        # Every request failing burns at most 1 / 0.1 = 10x: the 1h/5m x14.4 tier stays quiet, 6h/30m x6 pages.
        check = make(objective=90)
        all_bad = dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], 1.0)
        verdict = check.judge(*ratios(check, all_bad, 1.0))
        tiers = {f"{t['long']}/{t['short']}": t for t in verdict.details["tiers"]}
        assert not tiers["1h/5m"]["fired"] and tiers["1h/5m"]["long_burn_rate"] == pytest.approx(10)
        assert verdict.outcome is Outcome.FAIL
        assert verdict.reason.startswith("page tier 6h/30m fires")

    def test_ticket_tier_is_a_warning_unless_in_fail_on(self):
        slow = {"1h": 0.002, "5m": 0.002, "6h": 0.002, "30m": 0.002, "1d": 0.002, "2h": 0.002, "3d": 0.002}
        check = make()
        verdict = check.judge(*ratios(check, slow, 0.002))
        assert verdict.outcome is Outcome.PASS
        assert len(verdict.details["warnings"]) == 1 and "1d/2h" not in verdict.details["warnings"][0]
        assert "3d/6h" in verdict.details["warnings"][0]
        strict = make(fail_on=["page", "ticket"])
        verdict = strict.judge(*ratios(strict, slow, 0.002))
        assert verdict.outcome is Outcome.FAIL and verdict.reason.startswith("ticket tier 3d/6h fires")

    def test_each_tier_shows_whether_it_fails_the_verdict(self):
        slow = {"1h": 0.002, "5m": 0.002, "6h": 0.002, "30m": 0.002, "1d": 0.002, "2h": 0.002, "3d": 0.002}
        for fail_on, failing in ((["page"], {"1h/5m", "6h/30m"}), (["ticket"], {"1d/2h", "3d/6h"})):
            check = make(fail_on=fail_on)
            tiers = check.judge(*ratios(check, slow, 0.002)).details["tiers"]
            assert {f"{t['long']}/{t['short']}": t["fails_verdict"] for t in tiers} == {
                label: label in failing for label in ("1h/5m", "6h/30m", "1d/2h", "3d/6h")
            }


class TestNoData:
    """Windows without traffic never pass by default; a tier needs both its windows."""

    def test_no_tier_can_judge_is_inconclusive(self):
        check = make()
        verdict = check.judge(*ratios(check, {}, None))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("no page tier can judge (1h/5m: 1h: no traffic; 5m: no traffic;")
        assert verdict.reason.endswith("(no_data policy: inconclusive)")

    def test_no_data_policy_fail(self):
        check = make(no_data="fail")
        assert check.judge(*ratios(check, {}, None)).outcome is Outcome.FAIL

    def test_budget_gate_without_period_data_is_inconclusive(self):
        check = make(min_budget_remaining=0.1)
        calm = dict.fromkeys(["1h", "5m", "6h", "30m", "1d", "2h", "3d"], 0.0)
        verdict = check.judge(*ratios(check, calm, None))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("budget remaining is unknown: no traffic")

    def test_pure_budget_gate(self):
        check = make(tiers=[], min_budget_remaining=0.25)
        passing = check.judge({}, WindowRatio("30d", 0.0005))
        assert passing.outcome is Outcome.PASS and passing.value == pytest.approx(0.5)
        assert passing.threshold == 0.25
        failing = check.judge({}, WindowRatio("30d", 0.0008))
        assert failing.outcome is Outcome.FAIL and failing.value == pytest.approx(0.2)
        unknown = check.judge({}, WindowRatio("30d", None, note="no traffic over 30d"))
        assert unknown.outcome is Outcome.INCONCLUSIVE

    def test_budget_remaining_at_the_gate_is_not_above_it(self):
        # 0.05% errors at a 0.1% budget leave exactly half: a gate of 50% needs more than that.
        check = make(tiers=[], min_budget_remaining=0.5)
        verdict = check.judge({}, WindowRatio("30d", 0.0005))
        assert verdict.outcome is Outcome.FAIL and verdict.value == 0.5
        assert verdict.reason.startswith("budget remaining 50% is not above min_budget_remaining 50%")


def counted(check, by_window, period=None):
    """WindowRatio for every window from (error ratio, events) pairs; the rest an explicit no-traffic gap."""
    windows = {}
    for tier in check.tiers_in_force:
        for window in (tier.long, tier.short):
            ratio, events = by_window.get(window, (None, None))
            windows[window] = WindowRatio(window, ratio, events=events, note="" if ratio is not None else "no traffic")
    ratio, events = period or (None, None)
    return windows, WindowRatio(check.period, ratio, events=events, note="" if ratio is not None else "no traffic")


CALM = {
    "6h": (0.0005, 50000.0),
    "30m": (0.0005, 5000.0),
    "1d": (0.0005, 200000.0),
    "2h": (0.0005, 20000.0),
    "3d": (0.0005, 600000.0),
}


class TestPartialAnswers:
    """In an answer that may lack series, zero errors read from an absent error series become a gap."""

    def test_zero_errors_by_absence_is_a_gap(self):
        absent = WindowRatio("5m", 0.0, None, 10.0, "zero errors", events=3000)
        judged = absence_unproven(absent, ["store 2 down"])
        assert judged.error_ratio is None
        assert judged.note == (
            "zero errors; the answer may be partial (store 2 down): an absent error series is no evidence of "
            "zero errors"
        )

    @pytest.mark.parametrize(
        "window",
        [
            WindowRatio("5m", 0.0, 0.0, 10.0),  # errors measured as zero
            WindowRatio("5m", 0.01, 0.1, 10.0),  # errors measured
            WindowRatio("5m", 0.01, None, None),  # a recorded ratio
            WindowRatio("5m", None, None, None, "no data"),
        ],
    )
    def test_a_measured_window_stands(self, window):
        assert absence_unproven(window, ["store 2 down"]) is window

    @staticmethod
    def sloth_with_a_gate():
        sloth = {
            "sloth_id": "api-availability",
            "total_query": "sum(rate(req_total[{{ window }}]))",
            "errors_query": 'sum(rate(req_total{code=~"5.."}[{{ window }}]))',
        }
        return make(sloth=sloth, min_budget_remaining=0)

    @staticmethod
    def ratios_absent_with_traffic(check):
        """Every window's recorded ratio absent, its total counting traffic and its raw errors none; the
        period's ratio absent too (its store, say, did not answer)."""
        windows = {
            window: WindowRatio(
                window, 0.0, 0.0, 10.0, "zero errors", events=10 * parse_duration(window), recorded_absent=True
            )
            for tier in check.tiers_in_force
            for window in (tier.long, tier.short)
        }
        return windows, WindowRatio(check.period, None, recorded_absent=True, note="no Sloth ratio_rate30d series")

    def test_the_period_is_not_inferred_zero_from_a_partial_answer(self):
        check = self.sloth_with_a_gate()
        verdict = check.judge(*self.ratios_absent_with_traffic(check), partial=["store 2 down"])
        assert verdict.outcome is not Outcome.PASS
        assert verdict.details["budget"]["remaining"] is None
        assert "the answer may be partial (store 2 down)" in verdict.details["budget"]["note"]

    def test_the_period_is_inferred_zero_from_a_complete_answer(self):
        check = self.sloth_with_a_gate()
        verdict = check.judge(*self.ratios_absent_with_traffic(check))
        assert verdict.outcome is Outcome.PASS
        assert verdict.details["budget"]["remaining"] == 1.0

    def test_without_storage_warnings_absence_is_zero_errors(self):
        absent = WindowRatio("5m", 0.0, None, 10.0)
        assert absence_unproven(absent, []) is absent

    @staticmethod
    def absent_errors(check):
        """Every window's total counting traffic and its errors series absent."""
        return {
            window: WindowRatio(window, 0.0, None, 10.0, "zero errors", events=10 * parse_duration(window))
            for tier in check.tiers_in_force
            for window in (tier.long, tier.short)
        }

    @pytest.mark.parametrize(
        "fields",
        [
            {},  # no tier can judge
            {"accept_unjudged_tiers": True},
            {"tiers": [], "min_budget_remaining": 0},  # the budget is unknown
        ],
    )
    def test_a_no_data_policy_of_pass_does_not_cover_a_partial_answer(self, fields):
        # The store that holds the canary's errors did not answer: what it lost may be the errors.
        check = make(no_data="pass", **fields)
        period = WindowRatio(check.period, 0.0, None, 10.0, "zero errors", events=1e7)
        verdict = check.judge(self.absent_errors(check), period, partial=["store 2 down"])
        assert verdict.outcome is Outcome.INCONCLUSIVE, verdict.reason
        assert verdict.reason.endswith(
            "and the answer may be partial (store 2 down): no_data: pass does not apply to an answer that may "
            "lack series"
        )

    def test_a_no_data_policy_of_pass_still_covers_a_complete_answer_without_data(self):
        check = make(no_data="pass")
        windows, period = ratios(check, {})
        assert check.judge(windows, period).outcome is Outcome.PASS
        assert check.judge(windows, period, partial=["store 2 down"]).outcome is Outcome.INCONCLUSIVE

    def test_a_no_data_policy_of_fail_still_fails_a_partial_answer(self):
        # Only pass is withheld from an answer that may lack series (mut29: a partial one turned fail to inconclusive).
        check = make(no_data="fail")
        windows, period = ratios(check, {})
        verdict = check.judge(windows, period, partial=["store 2 down"])
        assert verdict.outcome is Outcome.FAIL, verdict.reason
        assert "no_data: pass does not apply" not in verdict.reason


class TestStoppedRules:
    """A window whose recording rule recorded nothing while its raw errors count some cannot judge; its raw burn
    still blocks a pass when it exceeds the tier's factor, under no_data: pass too."""

    @staticmethod
    def stopped(check, errors_per_s):
        windows = {
            window: WindowRatio(
                window, None, errors_per_s, 10.0, "no data (the tool's ratio rule did not record)", recorded_absent=True
            )
            for tier in check.tiers_in_force
            for window in (tier.long, tier.short)
        }
        return windows, WindowRatio(check.period, None, note="no data")

    def test_raw_errors_burning_above_the_factor_are_not_passed(self):
        check = make(sloth={"sloth_id": "a-b", "total_query": "sum(rate(t[{{ window }}]))"}, no_data="pass")
        verdict = check.judge(*self.stopped(check, 0.5))  # 5% of 10/s: 50x
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("page tier 6h/30m cannot judge")
        assert "window burns 50x (limit 6x): it may be firing unseen; so may 1h/5m" in verdict.reason

    @pytest.mark.parametrize(("measured", "stopped"), [("1h", "5m"), ("5m", "1h")])
    def test_the_reason_names_the_window_burning_fastest(self, measured, stopped):
        # One window burns 20x measured, the other's raw errors 300x (either may be the stopped one): the reason
        # (and under no_data: pass the value) is the faster burn, the one that says how bad it may be.
        check = make(tiers=[{"long": "1h", "short": "5m", "factor": 14.4}], no_data="pass")
        windows = {
            measured: WindowRatio(measured, 0.02),
            stopped: WindowRatio(
                stopped, None, 0.3, 1.0, "no data (the tool's ratio rule did not record)", recorded_absent=True
            ),
        }
        verdict = check.judge(windows, WindowRatio(check.period, None, note="no data"))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert f"while its {stopped} window burns 300x (limit 14.4x)" in verdict.reason
        assert verdict.value == pytest.approx(300.0)

    def test_the_reason_leads_with_the_tier_closest_to_firing(self):
        # 1h/5m: 1h burns 20x and 5m's raw errors 300x against 14.4x (its fastest, 21 times its factor); 6h/30m:
        # 6h burns 30x against 6x (5 times). The tier whose fastest burn is furthest beyond its factor speaks first.
        check = make(tiers=[{"long": "1h", "short": "5m", "factor": 14.4}, {"long": "6h", "short": "30m", "factor": 6}])
        windows = {
            "1h": WindowRatio("1h", 0.02),
            "5m": WindowRatio("5m", None, 0.3, 1.0, "no data (the rule did not record)", recorded_absent=True),
            "6h": WindowRatio("6h", 0.03),
            "30m": WindowRatio("30m", None, note="no traffic"),
        }
        verdict = check.judge(windows, WindowRatio(check.period, None, note="no traffic"))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("page tier 1h/5m cannot judge (5m: no data (the rule did not record)) while")
        assert "its 5m window burns 300x (limit 14.4x): it may be firing unseen; so may 6h/30m" in verdict.reason

    @pytest.mark.parametrize("errors_per_s", [0.001, math.nan, math.inf])
    def test_raw_errors_below_the_factor_or_unusable_leave_the_no_data_policy(self, errors_per_s):
        check = make(sloth={"sloth_id": "a-b", "total_query": "sum(rate(t[{{ window }}]))"}, no_data="pass")
        verdict = check.judge(*self.stopped(check, errors_per_s))  # 0.001 of 10/s: 0.1x
        assert verdict.outcome is Outcome.PASS
        assert verdict.reason.startswith("no page tier can judge")


class TestMinimumEvidence:
    """A window that counted fewer than min_events_per_window events cannot judge; one with enough still does."""

    def test_a_tiny_canary_window_pauses_instead_of_failing(self):
        # 1 error in 3 requests over 5m (333x) and 1 in 12 over 1h (83x): noise, not evidence.
        check = make()
        verdict = check.judge(*counted(check, {**CALM, "5m": (1 / 3, 3.0), "1h": (1 / 12, 12.0)}, (0.0005, 1e6)))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith(
            "1 of 2 page tiers cannot judge (1h/5m: 1h: too few events over 1h: 12 (1 "
            "bad), below min_events_per_window 30; 5m: too few events over 5m: 3 (1 bad)"
        )

    def test_a_window_that_clearly_burns_with_enough_events_still_fails(self):
        check = make()
        verdict = check.judge(*counted(check, {**CALM, "5m": (1.0, 300.0), "1h": (0.5, 3600.0)}, (0.0005, 1e6)))
        assert verdict.outcome is Outcome.FAIL
        assert verdict.value == pytest.approx(500) and verdict.threshold == 14.4

    @pytest.mark.parametrize(
        ("events", "outcome"), [(29.0, Outcome.INCONCLUSIVE), (30.0, Outcome.FAIL), (31.0, Outcome.FAIL)]
    )
    def test_the_default_minimum_is_30_events(self, events, outcome):
        check = make()
        verdict = check.judge(*counted(check, {**CALM, "5m": (0.5, events), "1h": (0.5, 3600.0)}, (0.0005, 1e6)))
        assert verdict.outcome is outcome

    def test_the_minimum_is_a_field(self):
        check = make(min_events_per_window=500)
        burning = {**CALM, "5m": (0.5, 300.0), "1h": (0.5, 3600.0)}
        assert check.judge(*counted(check, burning, (0.0005, 1e6))).outcome is Outcome.INCONCLUSIVE
        off = make(min_events_per_window=0)
        tiny = {**CALM, "5m": (1 / 3, 3.0), "1h": (1 / 3, 3.0)}
        assert off.judge(*counted(off, tiny, (0.0005, 1e6))).outcome is Outcome.FAIL

    def test_a_window_without_a_count_is_judged(self):
        # A recorded ratio without its total carries no count: the guard cannot apply, the ratio judges.
        check = make()
        verdict = check.judge(*counted(check, {**CALM, "5m": (0.5, None), "1h": (0.5, None)}, (0.0005, None)))
        assert verdict.outcome is Outcome.FAIL

    def test_too_few_events_in_the_period_leave_the_budget_unknown(self):
        check = make(tiers=[], min_budget_remaining=0)
        verdict = check.judge(*counted(check, {}, (0.5, 4.0)))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("budget remaining is unknown: too few events over 30d: 4 (2 bad)")
        assert check.judge(*counted(check, {}, (0.5, 400.0))).outcome is Outcome.FAIL

    def test_a_judged_window_shows_its_events(self):
        check = make()
        verdict = check.judge(*counted(check, {**CALM, "5m": (0.0, 300.0), "1h": (0.0, 3600.0)}, (0.0005, 1e6)))
        assert verdict.outcome is Outcome.PASS
        five = next(w for w in verdict.details["windows"] if w["window"] == "5m")
        assert five["events"] == 300 and five["burn_rate"] == 0

    def test_counts_that_are_no_numbers_show_as_null(self):
        # JSON has no NaN: a window whose counts were NaN (no traffic) shows them as null, its events too.
        check = make()
        windows, period = ratios(check, {})
        windows["5m"] = WindowRatio("5m", None, math.nan, math.nan, "no traffic (NaN over 5m)", events=math.inf)
        verdict = check.judge(windows, period)
        five = next(w for w in verdict.details["windows"] if w["window"] == "5m")
        assert (five["errors"], five["total"], five["events"]) == (None, None, None)
        windows["5m"] = WindowRatio("5m", None, None, 2.0, "no traffic", events=3.0)
        five = next(w for w in check.judge(windows, period).details["windows"] if w["window"] == "5m")
        assert (five["errors"], five["total"], five["events"]) == (None, 2.0, 3.0)

    @pytest.mark.parametrize("minimum", [-1, float("nan"), float("inf")])
    def test_the_minimum_is_finite_and_not_negative(self, minimum):
        with pytest.raises(ValidationError, match="min_events_per_window"):
            make(min_events_per_window=minimum)


# The reviewer's case (99.9%, 30d): a canary that errored heavily (1h and 30m burn 20x) and now has no traffic
# (5m empty); 6h at 5x keeps the 6h/30m tier below its x6.
CRASHED_CANARY = {"5m": None, "1h": 0.02, "30m": 0.02, "6h": 0.005, "1d": 0.005, "2h": 0.01, "3d": 0.001}
# A quiet 5m in an otherwise healthy service: 1h at 1x cannot make 1h/5m fire, but the tier is not judged.
QUIET_5M = {"5m": None, "1h": 0.001, "30m": 0.001, "6h": 0.001, "1d": 0.001, "2h": 0.001, "3d": 0.001}


class TestUnjudgedTiers:
    """A fail_on tier that cannot judge blocks a pass; one whose measured window burns above its factor
    blocks it whatever accept_unjudged_tiers and the no_data policy say."""

    def test_a_tier_missing_a_window_while_the_other_burns_is_not_a_pass(self):
        check = make()
        verdict = check.judge(*ratios(check, CRASHED_CANARY, 0.0005))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.threshold == 14.4
        assert verdict.reason == (
            "page tier 1h/5m cannot judge (5m: no traffic) while its 1h window burns 20x "
            "(limit 14.4x): it may be firing unseen (no_data policy: inconclusive)"
        )
        tiers = {f"{t['long']}/{t['short']}": t for t in verdict.details["tiers"]}
        assert tiers["1h/5m"]["judged"] is False and tiers["1h/5m"]["long_burn_rate"] == pytest.approx(20)

    def test_the_tier_burning_furthest_above_its_factor_is_named_first(self):
        # 1h burns 20x of 14.4x (1.4 times its limit), 6h burns 12x of 6x (2 times): 6h/30m leads the reason.
        burning = {"5m": None, "1h": 0.02, "30m": None, "6h": 0.012, "1d": 0.001, "2h": 0.001, "3d": 0.001}
        check = make()
        verdict = check.judge(*ratios(check, burning, 0.0005))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.threshold == 6
        assert verdict.reason == (
            "page tier 6h/30m cannot judge (30m: no traffic) while its 6h window burns 12x "
            "(limit 6x): it may be firing unseen; so may 1h/5m (no_data policy: inconclusive)"
        )

    def test_accepting_unjudged_tiers_does_not_accept_a_burning_one(self):
        check = make(accept_unjudged_tiers=True)
        assert check.judge(*ratios(check, CRASHED_CANARY, 0.0005)).outcome is Outcome.INCONCLUSIVE

    def test_a_no_data_policy_of_pass_does_not_cover_a_burning_window(self):
        check = make(no_data="pass")
        verdict = check.judge(*ratios(check, CRASHED_CANARY, 0.0005))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.value == pytest.approx(20) and verdict.threshold == 14.4
        assert verdict.reason.endswith("(no_data policy pass does not apply to a window burning above its factor)")
        assert make(no_data="fail").judge(*ratios(check, CRASHED_CANARY, 0.0005)).outcome is Outcome.FAIL

    def test_the_no_data_policy_still_decides_a_quiet_tier(self):
        check = make(no_data="pass")
        assert check.judge(*ratios(check, QUIET_5M, 0.001)).outcome is Outcome.PASS

    def test_the_burning_window_may_be_the_short_one(self):
        check = make()
        verdict = check.judge(*ratios(check, {**QUIET_5M, "6h": None, "30m": 0.01}, 0.001))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith(
            "page tier 6h/30m cannot judge (6h: no traffic) while its 30m window burns 10x (limit 6x)"
        )

    def test_any_unjudged_fail_on_tier_blocks_a_pass_by_default(self):
        check = make()
        verdict = check.judge(*ratios(check, QUIET_5M, 0.001))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason == (
            "1 of 2 page tiers cannot judge (1h/5m: 5m: no traffic); a pass needs every one "
            "judged (accept_unjudged_tiers: true accepts the rest) (no_data policy: "
            "inconclusive)"
        )

    def test_a_window_burning_at_its_factor_is_not_burning(self):
        # 30m burns 6x, the 6h/30m tier's factor: the tier fires only above it, whatever the missing 6h says.
        check = make(accept_unjudged_tiers=True)
        verdict = check.judge(*ratios(check, {**QUIET_5M, "5m": 0.001, "6h": None, "30m": 0.006}, 0.001))
        assert verdict.outcome is Outcome.PASS, verdict.reason
        assert verdict.reason.endswith("; accepted without judging: 6h/30m (6h: no traffic)")

    def test_accept_unjudged_tiers_passes_on_the_judged_ones(self):
        check = make(accept_unjudged_tiers=True)
        verdict = check.judge(*ratios(check, QUIET_5M, 0.001))
        assert verdict.outcome is Outcome.PASS
        assert verdict.value == pytest.approx(1) and verdict.threshold == 6
        assert verdict.reason.endswith("; accepted without judging: 1h/5m (5m: no traffic)")

    def test_accepting_still_needs_one_judged_tier(self):
        check = make(accept_unjudged_tiers=True)
        verdict = check.judge(*ratios(check, {**QUIET_5M, "30m": None}, 0.001))
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("no page tier can judge")

    def test_an_unjudged_warning_tier_does_not_block(self):
        check = make()
        verdict = check.judge(*ratios(check, {**QUIET_5M, "5m": 0.001, "3d": None}, 0.001))
        assert verdict.outcome is Outcome.PASS
        assert "accepted without judging" not in verdict.reason

    def test_a_tier_that_fires_fails_even_if_another_cannot_judge(self):
        check = make()
        verdict = check.judge(*ratios(check, {**QUIET_5M, "6h": 0.01, "30m": 0.01}, 0.001))
        assert verdict.outcome is Outcome.FAIL and verdict.reason.startswith("page tier 6h/30m fires")

    def test_accept_unjudged_tiers_is_a_boolean(self):
        with pytest.raises(ValidationError, match="accept_unjudged_tiers"):
            make(accept_unjudged_tiers="sometimes")


PART_RE = re.compile(r'"analyzer_window", "([^"]*)", "", ""\), "analyzer_part", "([^"]*)"')
GROUP_RE = re.compile(r'\{__name__=~"([^"]*)"[^}]*\}, "analyzer_part", "(group\d+)"')
RECORDED_WINDOW_RE = re.compile(r"(?:burnrate|ratio_rate)(\w+)$")


NAMES_RE = re.compile(r'group by \(__name__\) \(\{__name__=~"([^"]*)"\}\), "analyzer_part", "names"')
# A label probe's branch: its names, its label and its part.
LABEL_PROBE_RE = re.compile(
    r'\{__name__=~"([^"]*)", (\w+)!=""\}\), "analyzer_window", "[^"]*", "", ""\), "analyzer_part", "([^"]*)"'
)


def recorded_part(name):
    """(window, part) a grouped Pyrra or Sloth rule stands for: its name's window, the availability, or the
    rules' existence probe."""
    if name == "pyrra_availability":
        return "", "availability"
    if name in ("slo:objective:ratio", "pyrra_objective"):
        return "", "objective"
    if ":increase" in name:
        return "", "rules"
    if name == "slo:time_period:days":
        return "", "period_days"
    if name == "pyrra_window":
        return "", "window"
    if name == "pyrra_errors:rate5m":
        return "", "generic_errors"
    return RECORDED_WINDOW_RE.search(name).group(1), "ratio"


class TestPlanReuse:
    """A plan depends on the args only: the same args reuse it, other args get their own, and few are kept."""

    @staticmethod
    def check():
        return make(
            params={"job": {"type": "label_value", "required": True}},
            ratio={
                "errors": 'sum(rate(req_total{job="{{ job }}",code=~"5.."}[{{ window }}]))',
                "total": 'sum(rate(req_total{job="{{ job }}"}[{{ window }}]))',
            },
        )

    def test_the_same_args_reuse_the_plan(self):
        check = self.check()
        assert check.plan({"job": "a"}) is check.plan({"job": "a"})

    def test_other_args_get_their_own_queries(self):
        check = self.check()
        first, second = check.plan({"job": "a"}), check.plan({"job": "b"})
        assert first.windows["1h"]["total"] == 'sum(rate(req_total{job="a"}[1h]))'
        assert second.windows["1h"]["total"] == 'sum(rate(req_total{job="b"}[1h]))'
        assert 'job="b"' in second.required.promql and 'job="a"' not in second.required.promql

    def test_only_the_last_plans_kept_are_kept(self):
        check = self.check()
        first = check.plan({"job": "first"})
        for index in range(PLANS_KEPT - 1):
            check.plan({"job": str(index)})
        assert check.plan({"job": "first"}) is first  # used again: now the most recent
        for index in range(PLANS_KEPT):
            check.plan({"job": f"other{index}"})
        rebuilt = check.plan({"job": "first"})
        assert rebuilt is not first and rebuilt.required.promql == first.required.promql


class TestQueryBatch:
    """Every window's queries travel as one `or` of labelled parts, and the answer splits back per query."""

    def test_each_distinct_query_is_one_labelled_part(self):
        batch = QueryBatch.of({"1h": {"errors": "e1h", "total": "t1h"}, "60m": {"errors": "e1h", "total": "t60m"}})
        assert batch.queries == ["e1h", "t1h", "t60m"]
        assert batch.promql == (
            'label_replace(label_replace(e1h, "analyzer_window", "1h", "", ""), "analyzer_part", "errors", "", "") or '
            'label_replace(label_replace(t1h, "analyzer_window", "1h", "", ""), "analyzer_part", "total", "", "") or '
            'label_replace(label_replace(t60m, "analyzer_window", "60m", "", ""), "analyzer_part", "total", "", "")'
        )

    def test_split_gives_each_query_its_own_series_without_the_batch_labels(self):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}, "1h": {"errors": "e1", "total": "t1"}})
        answer = QueryResult(
            batch.promql,
            "vector",
            [
                Series({"analyzer_window": "5m", "analyzer_part": "total", "svc": "a"}, [(1.0, 10.0)]),
                Series({"analyzer_window": "1h", "analyzer_part": "total", "svc": "a"}, [(1.0, float("nan"))]),
                Series({"analyzer_window": "1h", "analyzer_part": "errors", "code": "500"}, [(1.0, 1.0)]),
                Series({"analyzer_window": "1h", "analyzer_part": "errors", "code": "503"}, [(1.0, 2.0)]),
            ],
        )
        results = batch.split(answer)
        assert results["e"].series == []  # absent errors stay absent: zero errors when the total is present
        assert results["t"].series == [Series({"svc": "a"}, [(1.0, 10.0)])]
        assert math.isnan(results["t1"].series[0].samples[0][1])
        # Several series of one part stay several, so the check refuses them as it would a single query's.
        assert [s.labels for s in results["e1"].series] == [{"code": "500"}, {"code": "503"}]
        assert all(r.query == q for q, r in results.items())

    def test_split_results_are_the_objects_their_constructors_build(self):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        labelled = Series({"analyzer_window": "5m", "analyzer_part": "total", "svc": "a"}, [(1.0, 10.0)])
        results = batch.split(QueryResult(batch.promql, "vector", [labelled], ["w"], ["i"]))
        assert results == {
            "e": QueryResult("e", "vector", [], ["w"]),
            "t": QueryResult("t", "vector", [Series({"svc": "a"}, [(1.0, 10.0)])], ["w"]),
        }
        with pytest.raises(dataclasses.FrozenInstanceError):
            results["t"].series[0].labels = {}  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            results["t"].query = "x"  # type: ignore[misc]

    @staticmethod
    def labelled_answer(batch):
        return QueryResult(
            batch.promql,
            "vector",
            [
                Series({"analyzer_window": "5m", "analyzer_part": "total", "svc": "a"}, [(1.0, 10.0)]),
                Series({"analyzer_window": "5m", "analyzer_part": "errors", "code": "500"}, [(1.0, 1.0)]),
            ],
            ["w"],
        )

    def test_an_owned_answer_splits_alike_into_its_own_series(self):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        copied, owned = self.labelled_answer(batch), self.labelled_answer(batch)
        results = batch.split(owned, owned=True)
        assert results == batch.split(copied)
        assert results["t"].series == [Series({"svc": "a"}, [(1.0, 10.0)])]
        assert results["t"].series[0] is owned.series[0] and results["e"].series[0] is owned.series[1]

    def test_a_copied_split_leaves_the_answer_as_it_was(self):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        answer = self.labelled_answer(batch)
        first = batch.split(answer)
        assert answer == self.labelled_answer(batch)
        assert batch.split(answer) == first
        assert first["t"].series[0] is not answer.series[0]

    @pytest.mark.parametrize("again", [False, True])
    def test_an_answer_split_in_place_is_refused_when_split_again(self, again):
        # Its series lost the labels that tell their part: a kind splitting it twice gets an error, never a misread.
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        answer = self.labelled_answer(batch)
        batch.split(answer, owned=True)
        with pytest.raises(SourceRejected, match=r"no part asked for: \{svc=\"a\"\}"):
            batch.split(answer, owned=again)

    @pytest.mark.parametrize("owned", [False, True])
    def test_a_series_of_no_part_is_shown_as_answered(self, owned):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        answer = self.labelled_answer(batch)
        answer.series.append(Series({"analyzer_window": "1h", "analyzer_part": "total", "svc": "b"}, [(1.0, 1.0)]))
        with pytest.raises(SourceRejected) as caught:
            batch.split(answer, owned=owned)
        assert caught.value.message == (
            "the combined query's answer has a series of no part asked for: "
            '{analyzer_part="total", analyzer_window="1h", svc="b"}'
        )

    def test_a_window_as_long_as_the_period_keeps_its_own_query(self):
        # Pyrra's period query differs from its 28d window's: both must be sent.
        check = make(
            period="28d",
            pyrra={"slo": "api", "metric": "m"},
            min_budget_remaining=0,
            tiers=[{"long": "28d", "short": "1d", "factor": 1}],
        )
        plan = check.plan({})
        assert [b.queries for b in plan.batches] == [
            [
                'm:burnrate4w{slo="api"}',
                ages('m:burnrate{w}{{slo="api"}}'),
                'm:burnrate1d{slo="api"}',
                'pyrra_availability{slo="api"}',
                'max(time() - timestamp(pyrra_availability{slo="api"}))',
                'pyrra_objective{slo="api"}',
                'pyrra_window{slo="api"}',
                'm:increase4w{slo="api"}',
                'm:increase5m{slo="api"}',
            ]
        ]

    def test_a_series_of_no_part_is_rejected(self):
        batch = QueryBatch.of({"5m": {"errors": "e", "total": "t"}})
        with pytest.raises(SourceRejected, match="no part asked for"):
            batch.split(QueryResult(batch.promql, "vector", [Series({"svc": "a"}, [(1.0, 1.0)])]))


def group_of(names, matchers, marker="group0"):
    """The branch a group of bare selectors is sent as."""
    return (
        f'label_replace({{__name__=~"{"|".join(names)}"{", " + matchers if matchers else ""}}}, '
        f'"analyzer_part", "{marker}", "", "")'
    )


def labelled(query, window, part):
    """The branch a query is sent as on its own."""
    return (
        f'label_replace(label_replace({query}, "analyzer_window", "{window}", "", ""), '
        f'"analyzer_part", "{part}", "", "")'
    )


SLOTH_NAMES = [f"slo:sli_error:ratio_rate{w}" for w in ("1h", "5m", "6h", "30m", "1d", "2h", "3d")]


def sloth_svc_slo_batch() -> str:
    """The one query of Sloth SLO `svc-slo`'s windows, period and objective, and its rule group's age."""
    return (
        group_of(
            [*SLOTH_NAMES, "slo:sli_error:ratio_rate30d", "slo:time_period:days", "slo:objective:ratio"],
            'sloth_id="svc-slo"',
        )
        # The rule group's age, one query for every window: no selector, so no member of the group.
        + " or "
        + labelled(ages('slo:sli_error:ratio_rate{w}{{sloth_id="svc-slo"}}', SLOTH_AGE_WINDOWS), "1h", "ratio_age")
    )


class TestGroupedSelectors:
    """Bare selectors of literal names with the same matcher text go out as one `{__name__=~...}` selector with
    a group marker; a lone one and every other query keep their labelled part."""

    def test_sloth_windows_and_period_are_one_selector(self):
        check = make(sloth={"sloth_id": "svc-slo"}, min_budget_remaining=0)
        [batch] = check.plan({}).batches
        assert batch.promql == sloth_svc_slo_batch()

    def test_recorded_period_without_a_gate_rides_in_the_same_selector(self):
        # A recording rule's period costs what a window costs: no second query for the evidence.
        check = make(sloth={"sloth_id": "svc-slo"})
        [batch] = check.plan({}).batches
        assert batch.promql == sloth_svc_slo_batch()

    def test_a_lone_selector_keeps_its_labelled_part(self):
        batch = QueryBatch.of({"30d": {"ratio": 'slo:sli_error:ratio_rate30d{sloth_id="svc-slo"}'}})
        assert batch.promql == labelled('slo:sli_error:ratio_rate30d{sloth_id="svc-slo"}', "30d", "ratio")

    def test_pyrra_availability_joins_the_burnrates_with_the_same_matchers(self):
        check = make(period="28d", pyrra={"slo": "api", "metric": "m"}, min_budget_remaining=0)
        [batch] = check.plan({}).batches
        names = [f"m:burnrate{w}" for w in ("1h", "5m", "6h", "30m", "1d", "2h", "4d")]
        assert batch.promql == (
            group_of(
                [*names, "pyrra_availability", "pyrra_objective", "pyrra_window", "m:increase4w", "m:increase5m"],
                'slo="api"',
            )
            + " or "
            + labelled(ages('m:burnrate{w}{{slo="api"}}'), "1h", "ratio_age")
            + " or "
            + labelled('max(time() - timestamp(pyrra_availability{slo="api"}))', "28d", "availability_age")
        )

    def test_pyrra_availability_with_other_matchers_stays_apart(self):
        check = make(period="28d", pyrra={"slo": "api", "metric": "m", "selectors": 'job="a"'}, min_budget_remaining=0)
        [batch] = check.plan({}).batches
        names = [f"m:burnrate{w}" for w in ("1h", "5m", "6h", "30m", "1d", "2h", "4d")]
        assert batch.promql == (
            group_of([*names, "m:increase4w", "m:increase5m"], 'slo="api", job="a"')
            + " or "
            + labelled(ages('m:burnrate{w}{{slo="api", job="a"}}'), "1h", "ratio_age")
            + " or "
            + group_of(["pyrra_availability", "pyrra_objective", "pyrra_window"], 'slo="api"', "group1")
            + " or "
            + labelled('max(time() - timestamp(pyrra_availability{slo="api"}))', "28d", "availability_age")
        )

    def test_pyrra_without_a_metric_name_is_not_grouped(self):
        check = make(period="28d", pyrra={"slo": "api"}, tiers=[{"long": "1h", "short": "5m", "factor": 14}])
        [batch] = check.plan({}).batches
        assert batch.promql == (
            labelled('{__name__=~".+:burnrate1h", slo="api"}', "1h", "ratio")
            + " or "
            + labelled(ages('{{__name__=~".+:burnrate{w}", slo="api"}}'), "1h", "ratio_age")
            + " or "
            + labelled('{__name__=~".+:burnrate5m", slo="api"}', "5m", "ratio")
            + " or "
            + group_of(["pyrra_availability", "pyrra_objective", "pyrra_window"], 'slo="api"')
            + " or "
            + labelled('max(time() - timestamp(pyrra_availability{slo="api"}))', "28d", "availability_age")
            + " or "
            + labelled('{__name__=~".+:increase4w", slo="api"}', "exists", "probe0")
            # performanceOverAccuracy's 5m increase rule (with pyrra_window, already sent) stands for it.
            + " or "
            + labelled('{__name__=~".+:increase5m", slo="api"}', "exists", "probe0.0")
        )

    def test_two_matcher_sets_are_two_groups_and_the_rest_keeps_its_parts(self):
        batch = QueryBatch.of(
            {
                "5m": {"errors": "sum(rate(e[5m]))", "a": 'x:r5m{s="1"}', "b": 'x:r5m{s=~"1"}'},
                "1h": {"a": 'x:r1h{s="1"}', "b": 'x:r1h{s=~"1"}', "c": 'y{s="2"}'},
            }
        )
        assert batch.promql == " or ".join(
            [
                labelled("sum(rate(e[5m]))", "5m", "errors"),
                group_of(["x:r5m", "x:r1h"], 's="1"'),
                group_of(["x:r5m", "x:r1h"], 's=~"1"', "group1"),
                labelled('y{s="2"}', "1h", "c"),
            ]
        )

    def test_matcher_text_is_compared_and_sent_verbatim(self):
        weird = 'note="a}b \\"q\\" c|d \\\\e", path=~"x|y"'
        batch = QueryBatch.of(
            {"5m": {"r": f"m:a{{{weird}}}"}, "1h": {"r": f"m:b{{{weird}}}"}, "6h": {"r": f"m:c{{{weird} }}"}}
        )  # one space more: other text, not grouped
        assert batch.promql == (group_of(["m:a", "m:b"], weird) + " or " + labelled(f"m:c{{{weird} }}", "6h", "r"))

    def test_empty_matchers(self):
        batch = QueryBatch.of({"5m": {"r": "m:a{}"}, "1h": {"r": "m:b{}"}})
        assert batch.promql == 'label_replace({__name__=~"m:a|m:b"}, "analyzer_part", "group0", "", "")'


class TestGroupedSplit:
    """A grouped selector's series go back to the query of their `__name__`, as that query alone would answer
    them; a series no part asked for is refused."""

    @staticmethod
    def batch():
        return QueryBatch.of(
            {
                "5m": {"ratio": 'm:burnrate5m{slo="x"}', "errors": "sum(rate(e[5m]))"},
                "1h": {"ratio": 'm:burnrate1h{slo="x"}'},
                "28d": {
                    "availability": 'pyrra_availability{slo="x"}',
                    "other": 'n:a{slo=~"x"}',
                    "more": 'n:b{slo=~"x"}',
                    "lone": 'z{slo="y"}',
                },
            }
        )

    @pytest.mark.parametrize("owned", [False, True])
    def test_each_series_reaches_the_query_of_its_name(self, owned):
        batch = self.batch()
        answer = QueryResult(
            batch.promql,
            "vector",
            [
                Series({"__name__": "m:burnrate5m", "slo": "x", "analyzer_part": "group0"}, [(1.0, 0.02)]),
                Series({"__name__": "m:burnrate1h", "slo": "x", "analyzer_part": "group0"}, [(1.0, float("nan"))]),
                # Equal label sets but for the name: each stays with its own query.
                Series({"__name__": "pyrra_availability", "slo": "x", "analyzer_part": "group0"}, [(1.0, 0.9995)]),
                Series({"__name__": "n:a", "slo": "x", "analyzer_part": "group1"}, [(1.0, 0.1)]),
                Series({"__name__": "z", "slo": "y", "analyzer_window": "28d", "analyzer_part": "lone"}, [(1.0, 3.0)]),
                Series({"analyzer_window": "5m", "analyzer_part": "errors"}, [(1.0, 4.0)]),
            ],
        )
        results = batch.split(answer, owned=owned)
        assert results['m:burnrate5m{slo="x"}'].series == [
            Series({"__name__": "m:burnrate5m", "slo": "x"}, [(1.0, 0.02)])
        ]
        assert math.isnan(results['m:burnrate1h{slo="x"}'].single_value("q"))
        assert results['pyrra_availability{slo="x"}'].series == [
            Series({"__name__": "pyrra_availability", "slo": "x"}, [(1.0, 0.9995)])
        ]
        assert results['n:a{slo=~"x"}'].single_value("q") == 0.1
        assert results['n:b{slo=~"x"}'].series == []  # absent stays absent
        assert results['z{slo="y"}'].series == [Series({"__name__": "z", "slo": "y"}, [(1.0, 3.0)])]
        assert results["sum(rate(e[5m]))"].series == [Series({}, [(1.0, 4.0)])]
        assert all(r.query == q and r.result_type == "vector" for q, r in results.items())

    def test_several_series_of_one_name_stay_several(self):
        batch = self.batch()
        answer = QueryResult(
            batch.promql,
            "vector",
            [
                Series({"__name__": "m:burnrate5m", "slo": "x", "instance": i, "analyzer_part": "group0"}, [(1.0, 0.1)])
                for i in ("a", "b")
            ],
        )
        result = batch.split(answer)['m:burnrate5m{slo="x"}']
        assert [s.labels["instance"] for s in result.series] == ["a", "b"]
        with pytest.raises(CheckMisconfigured, match=r"returned 2 series"):
            result.single_value("Sloth ratio query")

    @pytest.mark.parametrize("owned", [False, True])
    @pytest.mark.parametrize("window", ["5m", "1h", "own"])
    def test_a_grouped_series_own_window_label_is_kept(self, window, owned):
        # The batch sets none on a group: a rule that records one (with any value, a window of the batch's too)
        # answers with it, which refused the whole answer.
        batch = self.batch()
        labels = {"__name__": "m:burnrate5m", "slo": "x", "analyzer_part": "group0", "analyzer_window": window}
        results = batch.split(QueryResult(batch.promql, "vector", [Series(labels, [(1.0, 0.02)])]), owned=owned)
        assert results['m:burnrate5m{slo="x"}'].series == [
            Series({"__name__": "m:burnrate5m", "slo": "x", "analyzer_window": window}, [(1.0, 0.02)])
        ]
        assert [q for q, r in results.items() if r.series] == ['m:burnrate5m{slo="x"}']

    @pytest.mark.parametrize(
        "labels",
        [
            {"__name__": "m:burnrate6h", "slo": "x", "analyzer_part": "group0"},  # a name the group did not ask
            {"__name__": "n:a", "slo": "x", "analyzer_part": "group0"},  # another group's name
            {"slo": "x", "analyzer_part": "group0"},  # the name dropped
            {"__name__": "m:burnrate5m", "slo": "x", "analyzer_part": "group2"},  # no such group
            {"__name__": "m:burnrate5m", "slo": "x"},  # no marker at all
            {"__name__": "m:burnrate6h", "slo": "x", "analyzer_part": "group0", "analyzer_window": "5m"},
            {"__name__": "m:burnrate5m", "slo": "x", "analyzer_part": "ratio", "analyzer_window": "5m"},  # grouped
            {"__name__": "z", "slo": "y", "analyzer_part": "lone"},  # a labelled part lacking its window
        ],
    )
    @pytest.mark.parametrize("owned", [False, True])
    def test_a_series_of_no_part_is_rejected(self, labels, owned):
        batch = self.batch()
        with pytest.raises(SourceRejected, match="no part asked for"):
            batch.split(QueryResult(batch.promql, "vector", [Series(labels, [(1.0, 1.0)])]), owned=owned)


class FakePrometheus:
    """An aiohttp Prometheus stand-in: answers every part of a combined query, and every name of a grouped
    selector, with `value` (or value(window, part)) and `warnings`, a name or label probe when its names are not
    `missing` nor its label in `missing_labels`, fails queries containing `fail_on`, and holds every answer until
    `expected` queries are in flight at once (a sequential caller would wait forever)."""

    def __init__(self, expected, value="1", fail_on=None, stray_on=None, missing=(), missing_labels=(), warnings=()):
        self.expected = expected
        self.warnings = list(warnings)
        self.missing = missing
        self.missing_labels = missing_labels
        self.value = value
        self.fail_on = fail_on
        self.stray_on = stray_on
        self.queries = []
        self.all_arrived = asyncio.Event()

    async def handle(self, request):
        form = await request.post() if request.method == "POST" else request.query
        query = form["query"]
        self.queries.append(query)
        if len(self.queries) >= self.expected:
            self.all_arrived.set()
        await self.all_arrived.wait()
        if self.fail_on and self.fail_on in query:
            return web.json_response({"status": "error", "errorType": "execution", "error": "boom"}, status=422)
        # A series outside every part: what a backend that ignored label_replace would answer.
        stray_wanted = self.stray_on is not None and self.stray_on in query
        stray = [{"metric": {"job": "x"}, "value": [1700000000, "1"]}] if stray_wanted else []
        label_probes = {
            part: "1" if label not in self.missing_labels and not set(names.split("|")) <= set(self.missing) else None
            for names, label, part in LABEL_PROBE_RE.findall(query)
        }
        labelled = [
            ({"analyzer_window": window, "analyzer_part": part}, window, part)
            for window, part in PART_RE.findall(query)
        ]
        labelled += [
            ({"__name__": name, "analyzer_part": marker}, *recorded_part(name))
            for names, marker in GROUP_RE.findall(query)
            for name in names.split("|")
        ]
        names = [
            {"metric": {"__name__": name, "analyzer_part": "names"}, "value": [1700000000, "1"]}
            for names in NAMES_RE.findall(query)
            for name in names.split("|")
            if name not in self.missing
        ]
        # The presence query of a pass judged on windows longer than the look-back alone: the series report now.
        if query.startswith("count("):
            names.append({"metric": {}, "value": [1700000000, "1"]})
        return web.json_response(
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [
                        {"metric": metric, "value": [1700000000, value]}
                        for metric, window, part in labelled
                        if (value := label_probes[part] if part in label_probes else self.answer(window, part))
                        is not None
                    ]
                    + names
                    + stray,
                },
                **({"warnings": self.warnings} if self.warnings else {}),
            }
        )

    def answer(self, window, part):
        if part == "period_days":
            return "30"  # Sloth's slo:time_period:days of the checks' 30d SLO
        if part == "window":
            return None  # Pyrra's pyrra_window: recorded only with --generic-rules
        if part == "blind":
            return None  # blind_query's count: no raw series scraped as seldom as a 5m window (count() of none)
        if part == "objective":
            # The SLO's recorded objective, the checks' 99.9% (also Sloth's existence probe: there when "rules" is).
            return None if self.answer(window, "rules") is None else "0.9990000000000001"
        return self.value(window, part) if callable(self.value) else self.value


async def run_against(aiohttp_server, fake, check_fields, rules=None, args=None):
    """The check `eb` with `check_fields` evaluated against `fake` (with `args` when given, bound); `rules`: the
    handler of its rules API (404 without)."""
    app = web.Application()
    app.router.add_route("*", "/api/v1/query", fake.handle)
    if rules is not None:
        app.router.add_get("/api/v1/rules", rules)
    server = await aiohttp_server(app, host="127.0.0.1")
    catalog = build_catalog(
        [
            (
                "test",
                {
                    "sources": {
                        "default": {
                            "type": "prometheus",
                            "url": str(server.make_url("")),
                            "max_concurrency": 32,
                            "retry": False,
                        }
                    },
                    "checks": [
                        {"name": "eb", "kind": "error_budget", "objective": 99.9, "period": "30d", **check_fields}
                    ],
                },
            )
        ],
        Registry([ErrorBudgetCheck]),
    )
    sources = Sources(catalog.sources)
    try:
        check = catalog.get("eb")
        return await Runner(catalog, sources, Metrics(), 5.0).evaluate(
            check, {} if args is None else check.bind_args(args), datetime(2026, 11, 26, tzinfo=UTC)
        )
    finally:
        sources.close()


class TestQueriesRunConcurrently:
    """The windows' query and the optional period query are in flight together; a failing required query
    errors, a failing optional one not."""

    async def test_all_windows_in_flight_at_once(self, aiohttp_server):
        # 7 distinct windows x (errors, total), the 5m window's blind query (see with_blind_query) and the probes of
        # req_total and of its code label in one query + the period's two in another, none answered before both arrive.
        fake = FakePrometheus(expected=2)
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.FAIL  # 1 / 1: every event bad, burn 1000
        assert len(fake.queries) == 2
        assert [len(PART_RE.findall(q)) for q in fake.queries] in ([16, 2], [2, 16])
        assert sorted(fake.queries) == sorted(evaluation.details["sent_queries"])
        assert len(evaluation.details["queries"]) == 19  # and the probes of req_total and of its code label

    async def test_a_budget_gate_sends_everything_in_one_query(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value="0")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO, "min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.INCONCLUSIVE  # a total of 0 everywhere is no traffic
        assert (
            len(fake.queries) == 1 and len(PART_RE.findall(fake.queries[0])) == 18
        )  # with the blind query and the code label's probe
        assert evaluation.details["sent_queries"] == fake.queries

    async def test_a_failing_window_query_is_the_checks_error(self, aiohttp_server):
        fake = FakePrometheus(expected=2, fail_on="[5m]")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"

    async def test_a_failing_period_query_without_a_gate_is_only_evidence(self, aiohttp_server):
        fake = FakePrometheus(expected=2, fail_on="[30d]")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.FAIL
        assert evaluation.details["budget"]["remaining"] is None
        assert evaluation.details["budget"]["note"].startswith("not measured: Prometheus source 'default'")

    async def test_an_answer_with_a_series_of_no_part(self, aiohttp_server):
        fake = FakePrometheus(expected=2, stray_on="[5m]")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"
        fake = FakePrometheus(expected=2, stray_on="[30d]")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.FAIL
        assert evaluation.details["budget"]["note"].startswith(
            'not measured: the combined query\'s answer has a series of no part asked for: {job="x"}'
        )

    async def test_a_failing_period_query_with_a_gate_is_the_checks_error(self, aiohttp_server):
        fake = FakePrometheus(expected=1, fail_on="[30d]")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO, "tiers": [], "min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.ERROR


SLOTH = {"sloth": {"sloth_id": "svc-slo"}}


class TestRatiosOutsideZeroToOne:
    """An error ratio below 0 or infinite is a broken answer (error); above 1 counts as every event bad; NaN
    stays no traffic."""

    @pytest.mark.parametrize("value", ["-1", "-Inf", "+Inf", "-0.001"])
    async def test_a_recorded_ratio_that_reads_better_than_perfect_or_infinite_is_an_error(self, aiohttp_server, value):
        evaluation = await run_against(aiohttp_server, FakePrometheus(expected=1, value=value), SLOTH)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"
        assert "an error ratio lies between 0 and 1" in evaluation.reason

    async def test_one_bad_short_window_is_enough(self, aiohttp_server):
        # Only 5m reads -Inf; every other window is calm: before, the tier read as "not firing".
        fake = FakePrometheus(expected=1, value=lambda window, part: "-Inf" if window == "5m" else "0")
        evaluation = await run_against(aiohttp_server, fake, SLOTH)
        assert evaluation.verdict is Outcome.ERROR
        assert evaluation.reason.startswith("the error ratio over 5m is -inf (Sloth ratio_rate5m)")

    async def test_float_noise_below_zero_is_zero(self, aiohttp_server):
        evaluation = await run_against(aiohttp_server, FakePrometheus(expected=1, value="-1e-15"), SLOTH)
        assert evaluation.verdict is Outcome.PASS and evaluation.value == 0

    async def test_a_recorded_ratio_above_one_is_every_event_bad(self, aiohttp_server):
        evaluation = await run_against(aiohttp_server, FakePrometheus(expected=1, value="1.2"), SLOTH)
        assert evaluation.verdict is Outcome.FAIL
        assert evaluation.value == pytest.approx(1000)  # 1 / 0.001: the highest burn there is
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert five["error_ratio"] == 1.0
        assert five["note"] == "error ratio 1.2 (Sloth ratio_rate5m) is above 1: counted as every event bad"

    async def test_a_recorded_ratio_of_exactly_one_is_every_event_bad_without_a_note(self, aiohttp_server):
        evaluation = await run_against(aiohttp_server, FakePrometheus(expected=1, value="1"), SLOTH)
        assert evaluation.verdict is Outcome.FAIL and evaluation.value == pytest.approx(1000)
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert five["error_ratio"] == 1.0 and "note" not in five

    async def test_errors_above_total_are_every_event_bad(self, aiohttp_server):
        fake = FakePrometheus(expected=2, value=lambda window, part: "12" if part == "errors" else "10")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.FAIL and evaluation.value == pytest.approx(1000)
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert five["errors"] == 12 and five["total"] == 10 and five["error_ratio"] == 1.0
        assert "is above 1" in five["note"]

    @pytest.mark.parametrize(
        ("errors", "total"), [("-5", "10"), ("+Inf", "10"), ("1", "+Inf"), ("0", "-1"), ("3", "0")]
    )
    async def test_counts_no_rate_can_produce_are_an_error(self, aiohttp_server, errors, total):
        fake = FakePrometheus(expected=2, value=lambda window, part: errors if part == "errors" else total)
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"

    async def test_a_broken_total_beside_absent_errors_says_the_errors_are_absent(self, aiohttp_server):
        fake = FakePrometheus(expected=2, value=lambda window, part: None if part == "errors" else "-1")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"
        assert "the SLI counted errors absent of total -1" in evaluation.reason

    async def test_nan_is_still_no_traffic(self, aiohttp_server):
        evaluation = await run_against(aiohttp_server, FakePrometheus(expected=1, value="NaN"), SLOTH)
        assert evaluation.verdict is Outcome.INCONCLUSIVE

    async def test_a_bad_period_answer_without_a_gate_is_only_evidence(self, aiohttp_server):
        # pyrra_availability 1.5 would be an error ratio of -0.5; the burn tiers still judge.
        fake = FakePrometheus(expected=1, value=lambda window, part: "1.5" if part == "availability" else "0")
        evaluation = await run_against(aiohttp_server, fake, {"period": "28d", "pyrra": {"slo": "api"}})
        assert evaluation.verdict is Outcome.PASS
        assert evaluation.details["budget"]["note"].startswith(
            "not measured: the error ratio over 28d is -0.5 (1 - pyrra_availability 1.5)"
        )
        fake = FakePrometheus(expected=1, value=lambda window, part: "1.5" if part == "availability" else "0")
        evaluation = await run_against(
            aiohttp_server, fake, {"period": "28d", "pyrra": {"slo": "api"}, "min_budget_remaining": 0}
        )
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected"


class RecordedWindow(FakePrometheus):
    """A FakePrometheus whose Pyrra SLO records pyrra_window `window_s` (None: not recorded)."""

    def __init__(self, window_s, **fields):
        super().__init__(**fields)
        self.window_s = window_s

    def answer(self, window, part):
        return self.window_s if part == "window" else super().answer(window, part)


class TestPyrraWindowAnswers:
    """A pyrra_window that is no window (not finite, not above 0) is a broken answer: it excuses an absent increase
    rule over the period like a recorded window, so read as unrecorded a 28d SLO passed a 7d check while burning."""

    @staticmethod
    def burning_28d_slo(window, part):
        # 5% errors in every burnrate rule a 28d SLO records; no increase1w (a 7d SLO's), the total counts traffic.
        if part == "ratio":
            return "0.05" if window in ("5m", "30m", "1h", "2h", "6h", "1d", "4d") else None
        return None if part in ("rules", "availability", "objective") else "10"

    async def evaluate(self, aiohttp_server, window_s):
        fake = RecordedWindow(window_s, expected=1, value=self.burning_28d_slo)
        pyrra = {"slo": "api", "metric": "http_requests", "total": "http_requests_total"}
        return await run_against(aiohttp_server, fake, {"period": "7d", "accept_unjudged_tiers": True, "pyrra": pyrra})

    @pytest.mark.parametrize(
        ("window_s", "shown"), [("0", "0"), ("-2419200", "-2.4192e+06"), ("NaN", "NaN"), ("+Inf", "inf")]
    )
    async def test_no_window_is_an_error(self, aiohttp_server, window_s, shown):
        evaluation = await self.evaluate(aiohttp_server, window_s)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected", evaluation.reason
        assert evaluation.reason == (
            f'Pyrra SLO {{slo="api"}} records pyrra_window {shown}, which is no window (seconds above 0): whether '
            "the SLO's window is the check's period 7d cannot be told"
        )

    @pytest.mark.parametrize(("window_s", "reason"), [("2419200", "has a window of 28d"), (None, "records no")])
    async def test_another_window_or_none_is_misconfigured(self, aiohttp_server, window_s, reason):
        evaluation = await self.evaluate(aiohttp_server, window_s)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured"
        assert evaluation.reason.startswith(f'Pyrra SLO {{slo="api"}} {reason}'), evaluation.reason

    @pytest.mark.parametrize(
        ("window_s", "shown"), [("0.5", "500ms (pyrra_window 0.5)"), ("3600", "1h (pyrra_window 3600)")]
    )
    async def test_a_window_too_short_for_pyrras_tiers_is_another_window(self, aiohttp_server, window_s, shown):
        # Before: an internal error naming the tiers of the recorded window, which have no two distinct windows.
        evaluation = await self.evaluate(aiohttp_server, window_s)
        assert evaluation.error == "check_misconfigured", evaluation.reason
        assert evaluation.reason == (
            f'Pyrra SLO {{slo="api"}} has a window of {shown}, not the check\'s period 7d: Pyrra names its '
            "burnrate rules after the SLO window (burnrate15m for 7d), so the check would read windows Pyrra does "
            f"not record; set period: {shown.split()[0]}"
        )


class TestPyrraQueries:
    """Pyrra's burnrate series carry the total metric's matchers; pyrra_availability only `slo` (and the
    propagated labels), so each gets its own selectors."""

    def test_the_increase_rule_is_named_without_bucket_as_pyrra_names_it(self):
        # Pyrra's increaseName trims _total, _count and _bucket; its BurnrateName only _total and _count.
        check = make(period="28d", pyrra={"slo": "lat", "metric": "x_bucket", "total": 'x_bucket{le="+Inf"}'})
        plan = check.plan({})
        assert plan.windows["1h"]["ratio"] == 'x_bucket:burnrate1h{slo="lat"}'
        assert [p.query for p in plan.probes if ":increase" in p.query] == ['x:increase4w{slo="lat"}'] * 2

    def test_selectors_narrow_the_burnrate_series_only(self):
        check = make(
            period="28d",
            pyrra={"slo": "api", "metric": "http_requests", "selectors": 'job="a"'},
            min_budget_remaining=0,
        )
        plan = check.plan({})
        assert plan.windows["1h"] == {
            "ratio": 'http_requests:burnrate1h{slo="api", job="a"}',
            # The burnrate group's age, on its windows' rules, the shortest first: one query for every window.
            "ratio_age": ages('http_requests:burnrate{w}{{slo="api", job="a"}}'),
        }
        assert plan.period == {
            "availability": 'pyrra_availability{slo="api"}',
            "availability_age": 'max(time() - timestamp(pyrra_availability{slo="api"}))',
            "objective": 'pyrra_objective{slo="api"}',
            "window": 'pyrra_window{slo="api"}',
        }

    def test_availability_selectors_narrow_pyrra_availability(self):
        check = make(
            period="28d",
            pyrra={
                "slo": "api",
                "metric": "http_requests",
                "selectors": 'job="a"',
                "availability_selectors": 'team="x"',
            },
        )
        plan = check.plan({})
        assert plan.windows["5m"] == {
            "ratio": 'http_requests:burnrate5m{slo="api", job="a"}',
            "ratio_age": ages('http_requests:burnrate{w}{{slo="api", job="a"}}'),
        }
        assert plan.period == {
            "availability": 'pyrra_availability{slo="api", team="x"}',
            "availability_age": 'max(time() - timestamp(pyrra_availability{slo="api", team="x"}))',
            "objective": 'pyrra_objective{slo="api", team="x"}',
            "window": 'pyrra_window{slo="api", team="x"}',
        }

    def test_availability_selectors_may_not_set_slo(self):
        with pytest.raises(ValidationError, match=r"pyrra\.availability_selectors: label 'slo' is set by the check"):
            make(period="28d", pyrra={"slo": "api", "availability_selectors": 'slo="other"'})

    async def test_missing_availability_names_the_query(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value=lambda window, part: None if part == "availability" else "0")
        evaluation = await run_against(
            aiohttp_server, fake, {"period": "28d", "pyrra": {"slo": "api"}, "min_budget_remaining": 0}
        )
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert evaluation.reason.startswith(
            'budget remaining is unknown: no pyrra_availability{slo="api"} series '
            "(Pyrra records it only with --generic-rules, from the increase rule over the SLO window"
        )


class TestProbes:
    """Probes of metric names travel as one presence-query branch and split back per name."""

    def test_name_probes_are_one_branch(self):
        batch = QueryBatch.of(
            {"5m": {"errors": "sum(rate(e[5m]))"}},
            {"exists": {"probe0": presence_query(["e"]), "probe1": presence_query(["t:x"])}},
        )
        assert batch.promql == (
            labelled("sum(rate(e[5m]))", "5m", "errors") + " or "
            'label_replace(group by (__name__) ({__name__=~"e|t:x"}), "analyzer_part", '
            '"names", "", "")'
        )
        answer = QueryResult(
            batch.promql, "vector", [Series({"__name__": "t:x", "analyzer_part": "names"}, [(1.0, 3.0)])]
        )
        results = batch.split(answer)
        assert results[presence_query(["e"])].series == []
        assert results[presence_query(["t:x"])].series == [Series({"__name__": "t:x"}, [(1.0, 3.0)])]

    def test_a_ratio_check_probes_every_metric_it_names_once(self):
        check = make(
            ratio={
                "errors": 'sum(rate(errs_total{a="1"}[{{ window }}]))',
                "total": "sum(rate(req_total[{{ window }}])) + sum(rate(other[{{ window }}]))",
            }
        )
        plan = check.plan({})
        assert [p.query for p in plan.probes] == [
            presence_query(["errs_total"]),
            presence_query(["req_total"]),
            presence_query(["other"]),
            label_presence_query(["errs_total"], "a"),
        ]
        assert plan.probes[0].problem.startswith(
            'ratio.errors selector errs_total{a="1"}: no series of metric errs_total exist at all'
        )
        assert len(plan.probes[0].users) == 7  # every window's errors query

    def test_names_are_read_as_prometheus_reads_them(self):
        # `{__name__="x"}` names x; a name only inside absent() is meant to find nothing and is not probed.
        check = make(
            ratio={
                "errors": 'sum(rate({__name__="errs_total", a="1"}[{{ window }}])) or absent(gone)',
                "total": "sum(rate(req_total[{{ window }}]))",
            }
        )
        assert [p.query for p in check.plan({}).probes] == [
            presence_query(["errs_total"]),
            presence_query(["req_total"]),
            label_presence_query(["errs_total"], "a"),
        ]

    def test_optional_metrics_are_not_probed(self):
        check = make(optional_metrics=["req_total"])
        assert check.plan({}).probes == []

    def test_a_query_with_a_fallback_is_no_evidence_of_its_metric(self):
        # `or vector(0)` always answers: only the probe can tell that errs_totl does not exist.
        check = make(
            ratio={
                "errors": 'sum(rate(errs_totl{a="1"}[{{ window }}])) or vector(0)',
                "total": "sum(rate(req_total[{{ window }}]))",
            }
        )
        plan = check.plan({})
        errors_probe, total_probe, _ = plan.probes
        assert errors_probe.users == ()
        assert len(total_probe.users) == 7
        answered = QueryResult("q", "vector", [Series({}, [(1.0, 0.0)])])
        results = {query: answered for queries in plan.windows.values() for query in queries.values()}
        results[errors_probe.query] = results[total_probe.query] = QueryResult("q", "vector", [])
        assert errors_probe.missing(results) and not total_probe.missing(results)

    def test_a_regex_listing_names_is_probed_as_one_selector(self):
        check = make(
            ratio={
                "errors": 'sum(rate({__name__=~"errs_totl|errs_total", a="1"}[{{ window }}]))',
                "total": "sum(rate(req_total[{{ window }}]))",
            }
        )
        probes = check.plan({}).probes
        assert [p.query for p in probes] == [
            presence_query(["errs_totl", "errs_total"]),
            presence_query(["req_total"]),
            label_presence_query(["errs_totl", "errs_total"], "a"),
        ]
        assert probes[0].problem.startswith(
            'ratio.errors selector {__name__=~"errs_totl|errs_total", a="1"}: no '
            "series of metric errs_totl or errs_total exist at all"
        )
        assert make(optional_metrics=["errs_total"], ratio=check.ratio.model_dump()).plan({}).probes[0].query == (
            presence_query(["req_total"])
        )

    def test_optional_metrics_are_metric_names(self):
        with pytest.raises(ValidationError, match="optional_metrics"):
            make(optional_metrics=['req_total{code="500"}'])

    def test_latency_probes_bucket_and_count(self):
        check = make(latency={"metric": "lat_seconds", "threshold_s": 0.5})
        assert [p.query for p in check.plan({}).probes] == [
            presence_query(["lat_seconds_bucket"]),
            presence_query(["lat_seconds_count"]),
            label_presence_query(["lat_seconds_bucket"], "le"),
        ]

    async def test_a_missing_name_is_misconfigured_even_when_the_total_says_no_data(self, aiohttp_server):
        fake = FakePrometheus(expected=2, value=lambda window, part: None, missing=("req_total",))
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured"
        assert "no series of metric req_total exist at all" in evaluation.reason

    async def test_a_name_a_partial_answer_does_not_show_is_inconclusive(self, aiohttp_server):
        # A store that did not answer may hold req_total: no misspelled name can be told, and no pass either.
        # Before: error (check_misconfigured), saying that no series of it exist at all, which aborts the rollout.
        fake = FakePrometheus(
            expected=2, value=lambda window, part: None, missing=("req_total",), warnings=["store 2 down"]
        )
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason == (
            'ratio.errors selector req_total{code=~"5.."}; ratio.total selector req_total: no series of metric '
            "req_total found, in an answer that may be partial (store 2 down): a store that did not answer may hold "
            "them, so a misspelled metric name (or rules not loaded) cannot be told, and no value read without them "
            "is evidence"
        )
        assert evaluation.details["unseen_metrics"] == ["req_total"]
        assert evaluation.details["prometheus_warnings"] == ["store 2 down"]
        assert evaluation.details["queries"]

    async def test_an_existing_name_without_series_here_is_no_data(self, aiohttp_server):
        fake = FakePrometheus(expected=2, value=lambda window, part: None)
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.INCONCLUSIVE

    async def test_an_answered_query_proves_its_name_without_the_probe(self, aiohttp_server):
        # The probe sees only the last 5 minutes; a window's answer proves the name all the same.
        fake = FakePrometheus(expected=2, value="1", missing=("req_total",))
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.FAIL


class TestLabelProbes:
    """Each label a selector's matcher needs (one that cannot match the empty value) is probed on its metric's
    series, in the same one query: none carrying it is check_misconfigured, whatever the errors read."""

    def test_a_needed_label_is_probed_after_the_names(self):
        check = make(
            ratio={
                "errors": 'sum(rate(req_total{cdoe=~"5..", job="a"}[{{ window }}]))',
                "total": 'sum(rate(req_total{job="a"}[{{ window }}]))',
            }
        )
        probes = check.plan({}).probes
        assert [p.query for p in probes] == [
            presence_query(["req_total"]),
            label_presence_query(["req_total"], "cdoe"),
            label_presence_query(["req_total"], "job"),
            'count(req_total{job="a", cdoe!=""})',
        ]
        assert probes[1].problem == (
            'ratio.errors selector req_total{cdoe=~"5..", job="a"}: label cdoe is not on metric req_total, no series '
            "of it has it (a misspelled label name?). A label on the metric without error series reads as zero "
            "errors; a label that appears only with the first error: list its metric in optional_metrics"
        )
        # The errors query answering proves cdoe; the total's and the errors' both prove job.
        assert len(probes[1].users) == 7 and len(probes[2].users) == 14

    def test_a_label_only_the_errors_select_is_probed_on_the_totals_series(self):
        # Series of the metric elsewhere (the stable pods') carrying it prove nothing of those the total selects.
        check = make(
            ratio={
                "errors": 'sum(rate(req_total{job="a", code=~"5.."}[{{ window }}]))',
                "total": 'sum(rate(req_total{job="a"}[{{ window }}]))',
            }
        )
        carried = check.plan({}).probes[-1]
        assert carried.query == 'count(req_total{job="a", code!=""})'
        assert carried.beside == ('count(req_total{job="a"})',)
        assert carried.problem.startswith(
            'ratio.errors selector req_total{job="a", code=~"5.."}: label code is on none of the series ratio.total '
            'selector req_total{job="a"} selects now, so it counts none of their errors'
        )
        answers = {carried.query: [], carried.beside[0]: [Series({}, [(1.0, 3.0)])]}
        results = {query: QueryResult(query, "vector", series) for query, series in answers.items()}
        assert carried.missing(results)
        # None selected now: no data, not this.
        assert not carried.missing({**results, carried.beside[0]: QueryResult(carried.beside[0], "vector", [])})
        assert not carried.missing(
            {**results, carried.query: QueryResult(carried.query, "vector", answers[carried.beside[0]])}
        )
        # Series of the metric it does not select lacking code: code is not on every series (`error="true"` on
        # failures alone), and the total's lacking it prove no rename.
        assert carried.unless == ('count({__name__=~"req_total", code=""} unless req_total{job="a"})',)
        unless = QueryResult(carried.unless[0], "vector", answers[carried.beside[0]])
        assert not carried.missing({**results, carried.unless[0]: unless})

    def test_labels_the_total_selects_on_or_another_metrics_are_not_probed_so(self):
        for errors in (
            'sum(rate(req_total{job="a", code=~"5.."}[{{ window }}]))',
            'sum(rate(err_total{code=~"5.."}[{{ window }}]))',
        ):
            check = make(ratio={"errors": errors, "total": 'sum(rate(req_total{job="a", code=~".+"}[{{ window }}]))'})
            assert not [p for p in check.plan({}).probes if p.beside]

    def test_a_matcher_that_matches_empty_is_not_probed(self):
        check = make(ratio={**RATIO, "errors": 'sum(rate(req_total{cdoe=~"5..|", a!="x", b=""}[{{ window }}]))'})
        assert [p.query for p in check.plan({}).probes] == [presence_query(["req_total"])]
        # Nor asked of the total's series (a canary that never failed has no code="500" series, and needs none).
        errors = 'sum(rate(req_total{job="a", code!~"2..", c=~".*", d!="200", e=~"5..|"}[{{ window }}]))'
        check = make(ratio={"errors": errors, "total": 'sum(rate(req_total{job="a"}[{{ window }}]))'})
        assert [p.query for p in check.plan({}).probes] == [
            presence_query(["req_total"]),
            label_presence_query(["req_total"], "job"),
        ]

    def test_an_optional_metric_is_not_probed_for_its_labels(self):
        assert make(optional_metrics=["req_total"]).plan({}).probes == []

    async def test_a_label_no_series_carries_is_misconfigured(self, aiohttp_server):
        # No error series answers (cdoe matches none); the total has traffic. Before: pass, zero errors.
        ratio = {**RATIO, "errors": RATIO["errors"].replace("code", "cdoe")}
        fake = FakePrometheus(
            expected=2, value=lambda window, part: None if part == "errors" else "1", missing_labels=("cdoe",)
        )
        evaluation = await run_against(aiohttp_server, fake, {"ratio": ratio})
        assert (evaluation.verdict, evaluation.error) == (Outcome.ERROR, "check_misconfigured"), evaluation.reason
        assert "label cdoe is not on metric req_total" in evaluation.reason

    async def test_a_label_a_partial_answer_does_not_show_is_inconclusive(self, aiohttp_server):
        # A store that did not answer may hold the series carrying cdoe: no misspelled label can be told, no pass.
        ratio = {**RATIO, "errors": RATIO["errors"].replace("code", "cdoe")}
        fake = FakePrometheus(
            expected=2,
            value=lambda window, part: None if part == "errors" else "1",
            missing_labels=("cdoe",),
            warnings=["store 2 down"],
        )
        evaluation = await run_against(aiohttp_server, fake, {"ratio": ratio})
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason == (
            'ratio.errors selector req_total{cdoe=~"5.."}: no series of metric req_total with label cdoe found, in an '
            "answer that may be partial (store 2 down): a store that did not answer may hold them, so a misspelled "
            "metric or label name (or rules not loaded) cannot be told, and no value read without them is evidence"
        )
        assert (evaluation.details["unseen_metrics"], evaluation.details["unseen_labels"]) == ([], ["req_total: cdoe"])

    async def test_a_label_a_partial_answer_does_not_show_beside_its_unseen_name_is_the_names(self, aiohttp_server):
        fake = FakePrometheus(
            expected=2, value=lambda window, part: None, missing=("req_total",), warnings=["store 2 down"]
        )
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert "label" not in evaluation.reason and "unseen_labels" not in evaluation.details

    async def test_a_label_that_exists_without_error_series_is_zero_errors(self, aiohttp_server):
        fake = FakePrometheus(expected=2, value=lambda window, part: None if part == "errors" else "1")
        evaluation = await run_against(aiohttp_server, fake, {"ratio": RATIO})
        assert evaluation.verdict is Outcome.PASS, evaluation.reason


def recorded(window, ratio=None, *, absent=False, events=None, note=""):
    return WindowRatio(window, ratio, events=events, recorded_absent=absent, note=note)


class TestSettleBlind:
    """A window blind to some series' errors judges only the tiers it cannot make fire."""

    PAGE = BurnTier(long="1h", short="5m", factor=14.0)
    SLOW = BurnTier(long="6h", short="5m", factor=6.0)
    BLIND = "1 raw series of pyrra.total hold a single sample over the last 5m"

    def blind(self, ratio=0.0, note=""):
        return dataclasses.replace(recorded("5m", ratio, note=note), blind=self.BLIND)

    @pytest.mark.parametrize("long_ratio", [0.0149, 0.014 * 1.01, None])
    def test_a_blind_window_whose_tier_may_fire_is_no_data(self, long_ratio):
        # 1h above 14x (or unknown): the 5m window's clean reading would keep the tier from firing.
        settled = settle_blind([self.PAGE], {"1h": recorded("1h", long_ratio), "5m": self.blind()}, 0.001)
        assert settled["5m"].error_ratio is None
        assert settled["5m"].note == f"no data ({self.BLIND})"

    def test_a_blind_reading_above_the_factor_does_not_fire_either(self):
        # No lower bound of the true 5m ratio: the series it leaves out may add traffic without errors (dense pods at
        # 20x, 0.2 of 10 req/s, beside a 5m-scraped pod at 100 req/s that stopped failing 10 minutes ago: 1h above
        # 14x, the true 5m at 1.8x): a FAIL there would block a release whose tier does not fire.
        settled = settle_blind([self.PAGE], {"1h": recorded("1h", 0.03), "5m": self.blind(0.0196)}, 0.001)
        assert settled["5m"].error_ratio is None
        tier = judge_tiers([self.PAGE], settled, 0.001)[0]
        assert not tier.judged and not tier.fired and tier.note == f"5m: no data ({self.BLIND})"
        assert tier.burning == [("1h", pytest.approx(30.0))]  # inconclusive: "may be firing unseen", not a pass

    @pytest.mark.parametrize(("long_ratio", "burn"), [(0.0, "0"), (0.0139, "13.9"), (0.014, "14")])
    def test_a_blind_window_whose_tier_cannot_fire_is_read(self, long_ratio, burn):
        # 1h at most 14x: the tier cannot fire whatever 5m reads (both windows must exceed the factor).
        settled = settle_blind([self.PAGE], {"1h": recorded("1h", long_ratio), "5m": self.blind(0.5)}, 0.001)
        assert settled["5m"].error_ratio == 0.5
        assert settled["5m"].note == (
            f"{self.BLIND}; read all the same: no tier it judges can fire whatever it reads (1h/5m: 1h burns {burn}x, "
            "limit 14x)"
        )

    def test_every_tier_of_the_blind_window_must_be_held(self):
        # 1h holds the page tier, 6h burns above the other's factor: the window is no data for both.
        windows = {"1h": recorded("1h", 0.0), "6h": recorded("6h", 0.007), "5m": self.blind()}
        settled = settle_blind([self.PAGE, self.SLOW], windows, 0.001)
        assert settled["5m"].error_ratio is None
        held = settle_blind([self.PAGE, self.SLOW], {**windows, "6h": recorded("6h", 0.005)}, 0.001)
        assert held["5m"].error_ratio == 0.0
        assert held["5m"].note.endswith("(1h/5m: 1h burns 0x, limit 14x; 6h/5m: 6h burns 5x, limit 6x)")

    def test_another_blind_window_holds_nothing(self):
        tier = BurnTier(long="5m", short="1m", factor=14.0)
        windows = {"5m": self.blind(), "1m": dataclasses.replace(recorded("1m", 0.0), blind=self.BLIND)}
        settled = settle_blind([tier], windows, 0.001)
        assert settled["5m"].error_ratio is None and settled["1m"].error_ratio is None

    def test_a_blind_long_window_is_held_by_its_short_one(self):
        # A custom tier 5m/1m: the 1m window, not blind, at 0x keeps the tier from firing (eb30's mutant #27: the
        # long window taken for its own other window, so a blind 5m held nothing).
        tier = BurnTier(long="5m", short="1m", factor=14.0)
        settled = settle_blind([tier], {"5m": self.blind(0.5), "1m": recorded("1m", 0.0)}, 0.001)
        assert settled["5m"].error_ratio == 0.5
        assert settled["5m"].note.endswith("(5m/1m: 1m burns 0x, limit 14x)")

    def test_a_window_that_is_not_blind_or_has_no_ratio_is_left_as_it_is(self):
        windows = {"1h": recorded("1h", 0.5), "5m": recorded("5m", 0.0, note="x")}
        assert settle_blind([self.PAGE], windows, 0.001) == windows
        unread = {
            "1h": recorded("1h", 0.0),
            "5m": dataclasses.replace(recorded("5m", None, note="y"), blind=self.BLIND),
        }
        assert settle_blind([self.PAGE], unread, 0.001) == unread

    def test_a_read_blind_window_keeps_its_own_note(self):
        settled = settle_blind([self.PAGE], {"1h": recorded("1h", 0.0), "5m": self.blind(note="zero errors")}, 0.001)
        assert settled["5m"].note.startswith(f"zero errors; {self.BLIND}; read all the same")


class TestRawBlindWindows:
    """A raw ratio's or Sloth's 5m window blind to a target scraped every 5 minutes says so, as Pyrra's does."""

    RATIO = {
        "errors": 'sum(rate(req_total{job="api", code=~"5.."}[{{ window }}]))',
        "total": 'sum(rate(req_total{job="api"}[{{ window }}]))',
    }
    SLOTH = {
        "sloth_id": "svc-slo",
        "total_query": 'sum(rate(req_total{job="api"}[{{ window }}]))',
        "errors_query": 'sum(rate(req_total{job="api", code=~"5.."}[{{ window }}]))',
    }

    def reader(self, kind):
        if kind == "ratio":
            return RatioReader(make(ratio=self.RATIO).ratio, {})
        if kind == "latency":
            return LatencyReader(LatencySLI(metric="req", threshold_s=0.5, selectors='job="api"'), {})
        return SlothReader(make(period="30d", sloth=self.SLOTH).sloth, {}, parse_duration("30d"), 99.9)

    @pytest.mark.parametrize(("window", "count", "blind"), [("5m", 1.0, True), ("5m", 0.0, False), ("1h", None, False)])
    def test_a_latency_window_blind_to_a_raw_series_says_so(self, window, count, blind):
        # The histogram's _count over 5m leaves out a target scraped every 5 minutes, its slow requests too.
        reader = self.reader("latency")
        queries = reader.queries(window, {}, period=False)
        assert ("blind" in queries) is (window == "5m")
        if window == "5m":
            assert queries["blind"] == blind_query('req_count{job="api"}', 300.0)
        answers = {"good": [Series({}, [(1.0, 10.0)])], "total": [Series({}, [(1.0, 10.0)])]}
        measured = _measured_with_blind(reader, window, queries, answers, count)
        assert measured.error_ratio == 0.0, measured.note
        assert bool(measured.blind) is blind, measured.blind
        if blind:
            assert measured.blind.startswith("1 raw series of req_count hold a single sample over the last 5m"), (
                measured.blind
            )

    @pytest.mark.parametrize("kind", ["ratio", "sloth"])
    @pytest.mark.parametrize(("window", "count", "blind"), [("5m", 1.0, True), ("5m", 0.0, False), ("1h", None, False)])
    def test_a_window_blind_to_a_raw_series_says_so(self, kind, window, count, blind):
        # Before: no blind query, and a raw ratio (or Sloth's ratio_rate5m) over 5m read the dense targets alone at
        # 0.2x while the 5m-scraped target burned 19x over 1h: PASS "worst is page tier 6h/30m at 3.15x".
        reader = self.reader(kind)
        queries = reader.queries(window, {}, period=False)
        assert ("blind" in queries) is (window == "5m")
        if window == "5m":
            assert queries["blind"] == blind_query('req_total{job="api"}', 300.0)
        answers = {
            "errors": [Series({}, [(1.0, 0.0)])],
            "total": [Series({}, [(1.0, 10.0)])],
            "ratio": [Series({"sloth_id": "svc-slo"}, [(1.0, 0.0)])],
            "ratio_age": [Series({}, [(1.0, 0.0)])],
        }
        measured = _measured_with_blind(reader, window, queries, answers, count)
        # The ratio stays: settle_blind tells whether a tier may read it.
        assert measured.error_ratio == 0.0, measured.note
        assert bool(measured.blind) is blind, measured.blind
        if blind:
            field = "ratio.total" if kind == "ratio" else "sloth.total_query"
            assert measured.blind.startswith(f"1 raw series of {field} hold a single sample over the last 5m")
            assert measured.blind.endswith("scrape those targets at least twice per 5m")

    @pytest.mark.parametrize("kind", ["ratio", "sloth"])
    def test_the_period_and_a_total_read_without_rate_ask_nothing(self, kind):
        assert "blind" not in self.reader(kind).queries("30d", {}, period=True)
        # Recorded rates read at the evaluation time (one sample does): no range for a target to fall out of.
        recorded = {"errors": "sum(job:errors:rate{{ window }})", "total": "sum(job:requests:rate{{ window }})"}
        reader = RatioReader(make(ratio=recorded).ratio, {})
        assert "blind" not in reader.queries("5m", {}, period=False)

    def test_several_rated_selectors_each_ask(self):
        ratio = {**self.RATIO, "total": "sum(rate(a[{{ window }}])) + sum(rate(b[{{ window }}]))"}
        blind = RatioReader(make(ratio=ratio).ratio, {}).queries("5m", {}, period=False)["blind"]
        assert blind in (
            f"{blind_query('a', 300.0)} or {blind_query('b', 300.0)}",
            f"{blind_query('b', 300.0)} or {blind_query('a', 300.0)}",
        )

    def test_a_shorter_range_asks_over_its_own(self):
        # rate(a[1m]) in the 5m window leaves out a target scraped every 1 to 5 minutes (one sample in its minute): its
        # blind query reads that minute. Before: none sent, the window passed without its errors.
        ratio = {**self.RATIO, "total": "sum(rate(a[1m])) + sum(rate(b[{{ window }}]))"}
        blind = RatioReader(make(ratio=ratio).ratio, {}).queries("5m", {}, period=False)["blind"]
        assert sorted(blind.split(" or ")) == sorted([blind_query("a", 60.0), blind_query("b", 300.0)])

    def test_a_window_without_a_ratio_stays_unmarked(self):
        reader = self.reader("ratio")
        queries = reader.queries("5m", {}, period=False)
        answers = {"errors": [Series({}, [(1.0, 0.0)])], "blind": [Series({}, [(1.0, 1.0)])]}
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        measured = reader.measure("5m", queries, results)
        assert measured.error_ratio is None and not measured.blind


class TestUncheckedShortWindows:
    """Without the raw total a recorded SLI's 5m window goes unchecked for blindness: a pass it alone holds says so."""

    SLOTH = {"sloth_id": "svc-slo"}
    PYRRA = {"slo": "api", "metric": "req"}
    # Page tiers only, as a rollout gates: 1h/5m at 14.4x (30d) or 14x (28d), 6h/30m at 6x or 7x.
    SPMIX = {"1h": 0.0187, "5m": 0.0002, "6h": 0.0031, "30m": 0.029, "1d": 0.0027, "2h": 0.0092, "3d": 0.0027}

    def check(self, kind, total=False):
        if kind == "sloth":
            sloth = {**self.SLOTH, "total_query": "sum(rate(req_total[{{ window }}]))"} if total else self.SLOTH
            return make(period="30d", sloth=sloth, fail_on=["page"])
        pyrra = {**self.PYRRA, "total": "req_total"} if total else self.PYRRA
        return make(period="28d", pyrra=pyrra, fail_on=["page"])

    @pytest.mark.parametrize(
        ("kind", "field", "limit"), [("sloth", "sloth.total_query", "14.4"), ("pyrra", "pyrra.total", "14")]
    )
    def test_a_pass_held_by_an_unchecked_5m_window_says_so(self, kind, field, limit):
        # The spmix data (tests/integration/data_error_budget_spmix.py): a target scraped every 5 minutes burns 18.7x
        # over 1h, unseen by the 5m rule. Before: PASS "worst is page tier 6h/30m at 3.1x", nothing more.
        check = self.check(kind)
        windows, period = ratios(check, {**self.SPMIX, "4d": 0.0027})
        verdict = check.judge(windows, period)
        assert verdict.outcome is Outcome.PASS, verdict.reason
        assert verdict.reason.endswith(
            f"; unchecked: 1h/5m on its 5m window alone (0.2x while 1h burns 18.7x, limit {limit}x), whose rule leaves "
            "out any raw series scraped every 5m or less often, errors included (rate() and increase() need two "
            f"samples in their range): without {field} no query tells whether there is one; set {field} to have it "
            "checked"
        ), verdict.reason

    @pytest.mark.parametrize("kind", ["sloth", "pyrra"])
    def test_with_the_total_or_a_long_window_within_its_factor_nothing_is_said(self, kind):
        check = self.check(kind)
        windows, period = ratios(check, {**self.SPMIX, "4d": 0.0027})
        assert "unchecked" not in self.check(kind, total=True).judge(windows, period).reason
        factor = check.tiers_in_force[0].factor
        # 1h exactly at the factor: the tier cannot fire whatever 5m reads.
        at_factor = {**self.SPMIX, "4d": 0.0027, "1h": factor * check.budget}
        verdict = check.judge(*ratios(check, at_factor))
        assert verdict.outcome is Outcome.PASS and "unchecked" not in verdict.reason, verdict.reason
        above = {**at_factor, "1h": factor * check.budget * 1.001}
        assert "unchecked: 1h/5m on its 5m window alone" in check.judge(*ratios(check, above)).reason

    def test_a_long_window_of_5m_held_by_its_short_one_says_so_and_a_longer_short_one_does_not(self):
        custom = [{"long": "5m", "short": "1m", "factor": 14, "severity": "page"}]
        check = make(period="30d", sloth=self.SLOTH, tiers=custom, fail_on=["page"])
        # 1m above the factor, 5m below: the 5m window, unchecked, holds the tier alone.
        verdict = check.judge(*ratios(check, {"5m": 0.0002, "1m": 0.0187}))
        assert "unchecked: 5m/1m on its 5m window alone (0.2x while 1m burns 18.7x" in verdict.reason, verdict.reason
        longer = [{"long": "1h", "short": "6m", "factor": 14, "severity": "page"}]
        check = make(period="30d", sloth=self.SLOTH, tiers=longer, fail_on=["page"])
        verdict = check.judge(*ratios(check, {"1h": 0.0187, "6m": 0.0002}))
        assert verdict.outcome is Outcome.PASS and "unchecked" not in verdict.reason, verdict.reason

    @pytest.mark.parametrize(("kind", "field"), [("sloth", "sloth.total_query"), ("pyrra", "pyrra.total")])
    def test_the_load_warns_of_the_unchecked_5m_window(self, kind, field):
        [warning] = [w for w in self.check(kind).warnings() if w.startswith(f"without {field}")]
        assert warning.endswith(
            "min_events_per_window cannot apply; nor can the 5m window be checked for raw series scraped every 5m or "
            "less often, which the rule's rate() or increase() leaves out (one sample in its range), errors included, "
            "unless Prometheus' rules API lists the rule (its expression names them): else it reads clean while they "
            "burn, and a tier it alone keeps from firing passes (the pass's reason says so)"
        ), warning
        no_short = [{"long": "1h", "short": "10m", "factor": 14, "severity": "page"}]
        [plain] = [w for w in make(period="30d", sloth=self.SLOTH, tiers=no_short).warnings() if "without" in w]
        assert plain.endswith("min_events_per_window cannot apply"), plain


SLOTH_GENERATED = Path(__file__).parent / "data" / "sloth" / "out-base.yaml.tpl"
# Pyrra's burnrate rule of a ratio SLO as its slo/rules_test.go has it ("http-ratio"): the total's equality matchers
# and `slo` as labels.
PYRRA_BURNRATE = RecordingRule(
    "http_requests:burnrate5m",
    'sum(rate(http_requests_total{code=~"5..",job="thanos-receive-default"}[5m])) / '
    'sum(rate(http_requests_total{job="thanos-receive-default"}[5m]))',
    {"job": "thanos-receive-default", "slo": "monitoring-http-errors"},
)


def sloth_generated_rules():
    """The recording rules of Sloth's generated out-base.yaml.tpl (its template's version filled in)."""
    text = SLOTH_GENERATED.read_text().replace("{{ .version }}", "v0.11.0")
    return [
        RecordingRule(rule["record"], rule["expr"], {k: str(v) for k, v in rule.get("labels", {}).items()})
        for document in yaml.safe_load_all(text)
        if document
        for group in document["groups"]
        for rule in group["rules"]
        if "record" in rule
    ]


def sloth_reader(**sli):
    return SlothReader(make(period="30d", sloth=sli).sloth, {}, parse_duration("30d"), 99.9)


def pyrra_reader(**sli):
    return PyrraReader(make(period="28d", pyrra=sli).pyrra, {}, parse_duration("28d"), 99.9)


# As rated_selectors lists them: the right operand's first.
SLOTH_5M_SELECTORS = (
    'http_request_duration_seconds_count{job="myservice"}',
    'http_request_duration_seconds_count{job="myservice", code=~"(5..|429)"}',
)


def rules_query(selectors):
    """rules_blind_query's query of `selectors` over 5m: the blind query of each, or 0 when any has a sample there."""
    seen = " or ".join(f"last_over_time({selector}[5m])" for selector in selectors)
    return " or ".join(blind_query(selector, 300.0) for selector in selectors) + f" or 0 * count({seen})"


class TestRulesMatched:
    """The recording rule a Pyrra or Sloth window reads is found among the rules API's by its name and labels, and
    its expression's rated selectors make the blind query; a rule not found or not readable says why."""

    @pytest.mark.parametrize(
        "sli",
        [
            {"sloth_id": "svc01-slo1"},
            {"service": "svc01", "slo": "slo1"},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1="global01v1"'},
            # A label the rule does not set may come from its expression's series: it excludes no rule.
            {"sloth_id": "svc01-slo1", "selectors": 'cluster="eu1"'},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1=~"global0.v1", global02k1!="x"'},
            # A regex matches a value whole, as Prometheus anchors it: "v1" is not global01v1.
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1!~"v1"'},
        ],
    )
    def test_sloths_generated_5m_rule_is_found(self, sli):
        rule, found = sloth_reader(**sli).window_rules(sloth_generated_rules(), "5m", {})
        assert [(r.name, r.labels["sloth_window"]) for r in found] == [("slo:sli_error:ratio_rate5m", "5m")]
        query, read = rules_blind_query(found, rule, 300.0)
        assert query == rules_query(SLOTH_5M_SELECTORS)
        assert read.startswith("slo:sli_error:ratio_rate5m: (sum(rate(http_request_duration_seconds_count{"), read

    @pytest.mark.parametrize(
        "sli",
        [
            {"sloth_id": "svc01-slo2"},
            {"service": "svc01", "slo": "slo2"},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1="other"'},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1!="global01v1"'},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1=~"x.*"'},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1!~"global.*"'},
            {"sloth_id": "svc01-slo1", "selectors": 'global01k1=~"v1"'},
        ],
    )
    def test_a_rule_whose_labels_contradict_the_sli_is_not_its_own(self, sli):
        rule, found = sloth_reader(**sli).window_rules(sloth_generated_rules(), "5m", {})
        assert found == []
        assert rules_blind_query(found, rule, 300.0) == (None, f"the rules API lists no recording rule {rule}")

    def test_a_rule_without_the_slos_identity_labels_is_not_its_own(self):
        # Another tool's rule of the same name: no sloth_id, whatever its expression.
        [five] = [
            r
            for r in sloth_generated_rules()
            if r.name == "slo:sli_error:ratio_rate5m" and r.labels["sloth_id"] == "svc01-slo1"
        ]
        bare = dataclasses.replace(five, labels={k: v for k, v in five.labels.items() if k != "sloth_id"})
        assert sloth_reader(sloth_id="svc01-slo1").window_rules([bare], "5m", {})[1] == []
        assert sloth_reader(service="svc01", slo="slo1").window_rules([bare], "5m", {})[1] == [bare]
        unnamed = dataclasses.replace(
            five, labels={k: v for k, v in five.labels.items() if k not in ("sloth_service", "sloth_slo")}
        )
        assert sloth_reader(service="svc01", slo="slo1").window_rules([unnamed], "5m", {})[1] == []
        pyrra = dataclasses.replace(PYRRA_BURNRATE, labels={"job": "thanos-receive-default"})
        assert pyrra_reader(slo="monitoring-http-errors").window_rules([pyrra], "5m", {})[1] == []

    @pytest.mark.parametrize(
        "sli",
        [
            {"slo": "monitoring-http-errors", "metric": "http_requests"},
            {"slo": "monitoring-http-errors"},
            {"slo": "monitoring-http-errors", "selectors": 'job="thanos-receive-default"'},
        ],
    )
    def test_pyrras_burnrate_rule_is_found(self, sli):
        other = dataclasses.replace(PYRRA_BURNRATE, labels={**PYRRA_BURNRATE.labels, "slo": "other"})
        longer = dataclasses.replace(PYRRA_BURNRATE, name="http_requests:burnrate30m")
        rule, found = pyrra_reader(**sli).window_rules([other, longer, PYRRA_BURNRATE], "5m", {})
        assert found == [PYRRA_BURNRATE]
        query, _ = rules_blind_query(found, rule, 300.0)
        assert query == rules_query(
            (
                'http_requests_total{job="thanos-receive-default"}',
                'http_requests_total{code=~"5..", job="thanos-receive-default"}',
            )
        )

    @pytest.mark.parametrize(
        "sli",
        [
            {"slo": "monitoring-http-errors", "metric": "grpc_requests"},
            {"slo": "monitoring-http-errors", "selectors": 'job="other"'},
        ],
    )
    def test_another_pyrra_rule_is_not_found(self, sli):
        assert pyrra_reader(**sli).window_rules([PYRRA_BURNRATE], "5m", {})[1] == []

    def test_every_rule_found_adds_its_series(self):
        # Two same-name SLOs' rules the SLI's labels cannot tell apart: both are asked of (more series asked of can
        # only find more of them scraped seldom).
        twin = dataclasses.replace(
            PYRRA_BURNRATE,
            query="sum(rate(a{job='b'}[5m])) / sum(rate(a[5m]))",
            labels={"slo": "monitoring-http-errors"},
        )
        rule, found = pyrra_reader(slo="monitoring-http-errors").window_rules([PYRRA_BURNRATE, twin], "5m", {})
        query, _ = rules_blind_query(found, rule, 300.0)
        assert blind_query('a{job="b"}', 300.0) in query and blind_query("a", 300.0) in query
        assert blind_query('http_requests_total{job="thanos-receive-default"}', 300.0) in query

    @pytest.mark.parametrize(
        "expression",
        [
            # Sloth's period rule over its 5m rule: no raw series rated over 5m.
            'sum_over_time(slo:sli_error:ratio_rate5m{sloth_id="a"}[30d]) / count_over_time(x[30d])',
            "sum(rate(x[1h]))",
            "sum(rate(x[10m]))",  # longer than the window, as long as twice it
            "sum(rate(x[5m] offset 1m))",
            "sum(rate(x[5m] offset 0s))",  # Prometheus reads it, promql-parser refuses it
            "not promql (",
        ],
    )
    def test_an_expression_that_rates_nothing_over_the_window_cannot_tell(self, expression):
        found = [PYRRA_BURNRATE, dataclasses.replace(PYRRA_BURNRATE, query=expression)]
        query, why = rules_blind_query(found, "r", 300.0)
        assert query is None
        assert why.startswith("the expression of recording rule http_requests:burnrate5m (") and why.endswith(
            "rates no raw series over 5m that the check can read"
        ), why

    def test_a_rule_reading_the_window_written_out_is_read(self):
        # `@ end()`: the rule's evaluation time, as without it; a shorter range over its own. Before: y unread.
        found = [dataclasses.replace(PYRRA_BURNRATE, query="sum(rate(x[5m])) / sum(rate(y[1m] @ end()))")]
        query, _ = rules_blind_query(found, "r", 300.0)
        assert query is not None
        assert query == (
            f"{blind_query('y', 60.0)} or {blind_query('x', 300.0)}"
            " or 0 * count(last_over_time(y[1m]) or last_over_time(x[5m]))"
        )

    def test_a_regex_python_cannot_read_excludes_no_rule(self):
        # RE2's \p{L} (a letter), which Python's re refuses: the rule may be the SLI's.
        matchers = 'slo="monitoring-http-errors", job=~"\\\\p{L}+"'
        assert rules_matched([PYRRA_BURNRATE], matchers, frozenset({"slo"})) == [PYRRA_BURNRATE]

    def test_matchers_the_parser_cannot_read_match_no_rule(self):
        # No rule found is a window the rules API did not tell (the pass stands, unchecked), not an internal error.
        assert rules_matched([PYRRA_BURNRATE], 'slo="monitoring-http-errors", job=', frozenset({"slo"})) == []


class RulesPrometheus(FakePrometheus):
    """A FakePrometheus with a rules API listing `rules` (status `rules_status`), whose blind query answers `blind`
    (None: no series), fails when `blind` is "fail", and answers no series with a store's warning when "partial"."""

    def __init__(self, rules, blind=None, rules_status=200, rules_warnings=(), **fields):
        super().__init__(expected=1, **fields)
        self.rules = rules
        self.blind = blind
        self.rules_status = rules_status
        self.rules_warnings = list(rules_warnings)
        self.rules_asked = 0

    async def handle(self, request):
        form = await request.post() if request.method == "POST" else request.query
        query = form["query"]
        if not query.startswith("count(count_over_time("):
            return await super().handle(request)
        self.queries.append(query)
        if self.blind == "fail":
            return web.json_response({"status": "error", "errorType": "execution", "error": "boom"}, status=422)
        if self.blind == "partial":
            data = {"resultType": "vector", "result": []}
            return web.json_response({"status": "success", "data": data, "warnings": ["store eu1 down"]})
        result = [] if self.blind is None else [{"metric": {}, "value": [1700000000, self.blind]}]
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}})

    async def handle_rules(self, request):
        self.rules_asked += 1
        if self.rules_status != 200:
            return web.json_response({"status": "error", "errorType": "unavailable", "error": "no"}, status=503)
        groups = [
            {
                "name": "g",
                "rules": [
                    {"type": "recording", "name": r.name, "query": r.query, "labels": dict(r.labels)}
                    for r in self.rules
                ],
            }
        ]
        warnings = {"warnings": self.rules_warnings} if self.rules_warnings else {}
        return web.json_response({"status": "success", "data": {"groups": groups}, **warnings})


class TestRulesRead:
    """A pass that a Sloth or Pyrra SLI's 5m window alone holds, without its raw total, asks the rules API which raw
    series the window's rule reads, and judges that window blind when one holds a single sample there; a rules API
    that cannot tell leaves the pass as it was, and a failing verdict never asks."""

    SLOTH_RULE = RecordingRule(
        "slo:sli_error:ratio_rate5m",
        'sum(rate(req_total{code="500"}[5m])) / sum(rate(req_total[5m]))',
        {"sloth_id": "svc-slo", "sloth_window": "5m"},
    )
    # 1h burns 18.7x, 5m 0.2x: the page tier 1h/5m is held by the 5m window alone.
    SPMIX = TestUncheckedShortWindows.SPMIX

    async def run(self, aiohttp_server, fake, **fields):
        def value(window, part):
            if part == "total":
                return "100"  # requests per second: every window counts traffic
            return str(self.SPMIX.get(window, 0.0027)) if part == "ratio" else "0"

        fake.value = value
        fields = {"sloth": {"sloth_id": "svc-slo"}, "fail_on": ["page"], **fields}
        return await run_against(aiohttp_server, fake, fields, rules=fake.handle_rules)

    async def test_a_raw_series_the_5m_rule_leaves_out_makes_the_window_blind(self, aiohttp_server):
        fake = RulesPrometheus([self.SLOTH_RULE], blind="1")
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert "page tier 1h/5m cannot judge" in evaluation.reason and "may be firing unseen" in evaluation.reason
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert five["error_ratio"] is None and five["note"].startswith(
            'no data (1 raw series that slo:sli_error:ratio_rate5m{sloth_id="svc-slo"} reads'
        ), five
        asked = rules_query(("req_total", 'req_total{code="500"}'))
        assert fake.queries[-1] == asked
        assert evaluation.details["rules_read"] == {
            "5m": {
                "rules": f"slo:sli_error:ratio_rate5m: {self.SLOTH_RULE.query}",
                "blind_query": asked,
                "single_sample_series": 1.0,
            }
        }

    async def test_no_raw_series_left_out_checks_the_window(self, aiohttp_server):
        # The query counts 0 when its series have samples there, none of them a single one.
        evaluation = await self.run(aiohttp_server, RulesPrometheus([self.SLOTH_RULE], blind="0"))
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "; checked: 1h/5m on its 5m window alone (0.2x while 1h burns 18.7x" in evaluation.reason
        assert "unchecked: 1h/5m" not in evaluation.reason
        assert evaluation.details["rules_read"]["5m"]["single_sample_series"] == 0

    async def test_raw_series_the_source_does_not_hold_check_nothing(self, aiohttp_server):
        # No series at all: the rule's raw series are not where the check asks (another SLO's rule of the same
        # identity, or raw series kept by the ruler alone), so nothing shows they hold two samples.
        evaluation = await self.run(aiohttp_server, RulesPrometheus([self.SLOTH_RULE], blind=None))
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "checked: " not in evaluation.reason.replace("unchecked: ", ""), evaluation.reason
        why = (
            'no raw series that slo:sli_error:ratio_rate5m{sloth_id="svc-slo"} reads (its expression, as the rules '
            "API lists it) holds a sample over the last 5m at this source"
        )
        assert f"(the query of the rules' raw series did not tell: {why})" in evaluation.reason, evaluation.reason
        assert evaluation.details["rules_read"]["5m"]["unread"] == why

    @pytest.mark.parametrize(
        ("fake", "why"),
        [
            (RulesPrometheus([], rules_status=503), "the rules could not be listed: Prometheus source 'default' ("),
            (
                RulesPrometheus([]),
                'the rules API lists no recording rule slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}',
            ),
            (
                RulesPrometheus([SLOTH_RULE], blind="partial"),
                'the query of slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}\'s raw series may be partial '
                "(store eu1 down)",
            ),
            (
                RulesPrometheus([SLOTH_RULE], blind="fail"),
                'the query of slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}\'s raw series failed',
            ),
            # A rule rating a range longer than its window reads no raw series the window's blind query can count.
            (
                RulesPrometheus(
                    [dataclasses.replace(SLOTH_RULE, query=SLOTH_RULE.query.replace("[5m]", "[10m]"))], blind="1"
                ),
                'the expression of recording rule slo:sli_error:ratio_rate5m (sum(rate(req_total{code="500"}[10m]))',
            ),
        ],
    )
    async def test_a_rules_api_that_cannot_tell_leaves_the_pass_as_it_was(self, aiohttp_server, fake, why):
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "; unchecked: 1h/5m on its 5m window alone (0.2x while 1h burns 18.7x" in evaluation.reason
        # The rules API tells what it lists and what the check reads of it; the raw series' query, what it answered.
        teller = "the query of the rules' raw series" if why.startswith("the query of") else "the rules API"
        assert f"({teller} did not tell: {why}" in evaluation.reason, evaluation.reason
        assert evaluation.details["rules_read"]["5m"]["unread"].startswith(why)

    async def test_a_partial_rules_answer_without_the_rule_tells_nothing(self, aiohttp_server):
        # Thanos with a ruler down lists the others' rules: the rule may be the down one's. Before: "lists no rule".
        fake = RulesPrometheus([], rules_warnings=["rule endpoint ruler-1 down"])
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        why = (
            'the rules API\'s answer, which lists no recording rule slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}, '
            "may be partial (rule endpoint ruler-1 down)"
        )
        assert evaluation.details["rules_read"]["5m"]["unread"] == why
        assert f"(the rules API did not tell: {why})" in evaluation.reason, evaluation.reason
        # A partial answer listing the rule is read as any.
        listed = RulesPrometheus([self.SLOTH_RULE], blind="1", rules_warnings=["rule endpoint ruler-1 down"])
        evaluation = await self.run(aiohttp_server, listed)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason

    async def test_without_a_rules_api_the_pass_stands(self, aiohttp_server):
        # run_against's Prometheus serves queries alone: its rules API answers 404.
        fake = FakePrometheus(
            expected=1, value=lambda window, part: str(self.SPMIX.get(window, 0.0027)) if part == "ratio" else "0"
        )
        evaluation = await run_against(aiohttp_server, fake, {"sloth": {"sloth_id": "svc-slo"}, "fail_on": ["page"]})
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "no rules API at this address" in evaluation.details["rules_read"]["5m"]["unread"]

    async def test_a_failing_verdict_or_a_pass_no_5m_window_holds_alone_asks_nothing(self, aiohttp_server):
        # Both windows above the factor: read, the 5m window's rule would make it no data, hiding the firing tier.
        fake = RulesPrometheus([self.SLOTH_RULE], blind="1")
        evaluation = await self.run(aiohttp_server, fake, tiers=[{"long": "1h", "short": "5m", "factor": 0.1}])
        assert evaluation.verdict is Outcome.FAIL and fake.rules_asked == 0, evaluation.reason
        assert "rules_read" not in evaluation.details
        calm = RulesPrometheus([self.SLOTH_RULE], blind="1")
        evaluation = await self.run(aiohttp_server, calm, tiers=[{"long": "1h", "short": "5m", "factor": 20}])
        # Listed once, for the ratio rules' division (see TestRulesDivided): no blind query.
        assert evaluation.verdict is Outcome.PASS and calm.rules_asked == 1, evaluation.reason
        assert "rules_read" not in evaluation.details and calm.queries[-1].startswith("label_replace(")

    async def test_a_tier_fail_on_leaves_out_held_by_its_5m_window_asks_nothing(self, aiohttp_server):
        # The ticket tier 1h/5m is held by its 5m window alone, but fail_on is page, whose 6h/30m does not burn: what
        # the rules API would tell cannot change the verdict.
        fake = RulesPrometheus([self.SLOTH_RULE], blind="1")
        tiers = [
            {"long": "1h", "short": "5m", "factor": 14.4, "severity": "ticket"},
            {"long": "6h", "short": "30m", "factor": 14.4, "severity": "page"},
        ]
        evaluation = await self.run(aiohttp_server, fake, tiers=tiers)
        # Listed once, for the ratio rules' division (see TestRulesDivided): no blind query.
        assert evaluation.verdict is Outcome.PASS and fake.rules_asked == 1, evaluation.reason
        assert "rules_read" not in evaluation.details

    async def test_with_the_raw_total_the_rules_are_not_read(self, aiohttp_server):
        fake = RulesPrometheus([self.SLOTH_RULE], blind="1")
        sloth = {"sloth_id": "svc-slo", "total_query": "sum(rate(req_total[{{ window }}]))"}
        evaluation = await self.run(aiohttp_server, fake, sloth=sloth)
        # The raw total's own blind query (in the batch) answered no series: the pass stands, checked by it; the rules
        # are listed for the ratio rules' division alone (see TestRulesDivided).
        assert evaluation.verdict is Outcome.PASS and fake.rules_asked == 1, evaluation.reason
        assert not any(q.startswith("count(count_over_time(") for q in fake.queries)
        assert "unchecked: 1h/5m" not in evaluation.reason and "rules_read" not in evaluation.details


class SidesPrometheus(RulesPrometheus):
    """A RulesPrometheus whose ratio rules' sides' query (parts errors<N> and total<N>) answers `sides(window, part)`:
    a list of (labels, value) per part; "fail" fails it, "partial" answers it with a store's warning."""

    def __init__(self, rules, sides, answer="", **fields):
        super().__init__(rules, **fields)
        self.sides = sides
        self.sides_answer = answer
        self.sides_asked = 0

    async def handle(self, request):
        form = await request.post() if request.method == "POST" else request.query
        query = form["query"]
        if '"analyzer_part", "errors0"' not in query:
            return await super().handle(request)
        self.sides_asked += 1
        self.queries.append(query)
        if self.sides_answer == "fail":
            return web.json_response({"status": "error", "errorType": "execution", "error": "boom"}, status=422)
        result = [
            {"metric": {**labels, "analyzer_window": window, "analyzer_part": part}, "value": [1700000000, value]}
            for window, part in PART_RE.findall(query)
            for labels, value in self.sides(window, part)
        ]
        warnings = {"warnings": ["store eu1 down"]} if self.sides_answer == "partial" else {}
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}, **warnings})


class GateQueryPrometheus(FakePrometheus):
    """A FakePrometheus whose budget gate's 5m query of sloth.errors_query and sloth.total_query answers errors at 0
    (labelled `errors_labels`) and a label-less total of 100, with `warnings`."""

    def __init__(self, warnings, errors_labels=None, **fields):
        super().__init__(expected=1, **fields)
        self.gate_warnings = list(warnings)
        self.errors_labels = errors_labels or {}
        self.gate_asked = 0

    async def handle(self, request):
        form = await request.post() if request.method == "POST" else request.query
        if '"analyzer_part", "errors"' not in form["query"]:
            return await super().handle(request)
        self.gate_asked += 1
        result = [
            {"metric": {**labels, "analyzer_window": "5m", "analyzer_part": part}, "value": [1700000000, value]}
            for part, value, labels in (("errors", "0", self.errors_labels), ("total", "100", {}))
        ]
        warnings = {"warnings": self.gate_warnings} if self.gate_warnings else {}
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}, **warnings})


def sides_of(errors, total):
    """A SidesPrometheus's `sides`: every window's error side answers `errors`, its total side `total`."""
    return lambda window, part: errors if part.startswith("errors") else total


class TestRulesDivided:
    """A Sloth SLI's pass without sloth.errors_query reads each window's ratio rule from the rules API and, unless
    neither side can carry a label the division matches on, asks what its two sides answer: an error element above 0
    that no total element matches is left out of the ratio (the rule records 0 or nothing while it burns), a
    misconfigured SLO; sides that cannot tell leave the pass, saying so; a failing verdict, or sloth.errors_query,
    never asks."""

    GROUPED = '(sum by (code) (rate(req_total{code=~"5.."}[{w}])) or vector(0))\n/\n(sum(rate(req_total[{w}])))'
    BY_SERVICE = '(sum by (service) (rate(req_total{code=~"5.."}[{w}])) or vector(0))\n/\n(sum(rate(req_total[{w}])))'
    REVERSE = '(sum(rate(req_total{code=~"5.."}[{w}])))\n/\n(sum by (code) (rate(req_total[{w}])))'
    WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    ALL = ["1h", "5m", "6h", "30m", "1d", "2h", "3d"]
    # What the SLO's series answer when 0.5 of 100 requests/s fail with code 500.
    BY_CODE = staticmethod(sides_of([({"code": "500"}, "0.5"), ({}, "0")], [({}, "100")]))

    def rules(self, expression):
        return [
            RecordingRule(
                f"slo:sli_error:ratio_rate{w}", expression.replace("{w}", w), {"sloth_id": "svc-slo", "sloth_window": w}
            )
            for w in self.WINDOWS
        ]

    async def run(self, aiohttp_server, fake, ratio="0", gate=None, **sloth):
        fake.value = lambda window, part: "100" if part == "total" else ratio if part == "ratio" else "0"
        fields = {"sloth": {"sloth_id": "svc-slo", **sloth}, **(gate or {})}
        return await run_against(aiohttp_server, fake, fields, rules=fake.handle_rules)

    async def test_a_budget_gate_fails_on_errors_at_0_the_division_leaves_out(self, aiohttp_server):
        # The rule recorded 0 whenever {code="500"} counted, and the period ratio averages what it recorded. Before:
        # PASS "budget remaining 100%", every window checked.
        sides = sides_of([({"code": "500"}, "0"), ({}, "0")], [({}, "100")])
        fake = SidesPrometheus(self.rules(self.GROUPED), sides)
        evaluation = await self.run(aiohttp_server, fake, gate={"min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert (
            'its error side answers 0 over 1h in {code="500"}, whose labels no series of its total side carries ({}): '
        ) in evaluation.reason, evaluation.reason
        assert (
            "so it recorded 0 whenever those errors counted, and the budget remaining cannot be told from "
            "slo:sli_error:ratio_rate30d, Sloth's average of what ratio_rate5m recorded over 30d; aggregate"
        ) in evaluation.reason, evaluation.reason

    async def test_a_budget_gate_alone_reads_the_5m_rule(self, aiohttp_server):
        # No tier window: before, no rule was read and the gate passed at 100% while 0.5 of 100 requests/s failed.
        fake = SidesPrometheus(self.rules(self.GROUPED), self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake, gate={"min_budget_remaining": 0, "tiers": []})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert "its recording rule slo:sli_error:ratio_rate5m (as the rules API lists it: " in evaluation.reason
        assert len(PART_RE.findall(fake.queries[-1])) == 2

    @pytest.mark.parametrize(
        ("errors", "total"),
        [
            ([({}, "0")], [({"code": "200"}, "100")]),  # vector(0)'s label-less 0 beside grouped totals
            ([({"code": "500"}, "0"), ({}, "0")], [({"code": "500"}, "0"), ({}, "0")]),  # each matched, no traffic
        ],
    )
    async def test_a_budget_gate_holds_on_what_leaves_nothing_out(self, aiohttp_server, errors, total):
        fake = SidesPrometheus(self.rules(self.GROUPED), sides_of(errors, total))
        evaluation = await self.run(aiohttp_server, fake, gate={"min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.PASS, evaluation.reason

    async def test_a_budget_gate_fails_on_errors_left_out_beside_a_total_without_traffic(self, aiohttp_server):
        # {code="500"} matches no total series whatever the traffic: the rule leaves it out whenever it counts. Before:
        # PASS "budget remaining 100%; unchecked: ... counts no traffic at this source", a gate passing untold.
        sides = sides_of([({"code": "500"}, "0"), ({}, "0")], [({}, "0")])
        fake = SidesPrometheus(self.rules(self.GROUPED), sides)
        evaluation = await self.run(aiohttp_server, fake, gate={"min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert 'its error side answers 0 over 1h in {code="500"}, whose labels no series' in evaluation.reason

    @pytest.mark.parametrize("sloth", [{}, {"total_query": "sum(rate(req_total[{{ window }}]))"}])
    async def test_errors_grouped_by_a_label_the_total_lacks_are_a_misconfigured_slo(self, aiohttp_server, sloth):
        # Before: PASS "no page tier fires: worst is page tier 1h/5m at 0x" on every window's recorded 0.
        fake = SidesPrometheus(self.rules(self.GROUPED), self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake, **sloth)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert evaluation.reason.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API lists it: '
            '(sum by (code) (rate(req_total{code=~"5.."}[1h])) or vector(0)) / (sum(rate(req_total[1h])))) divides '
            "errors by a total none of whose series they match: its error side answers 0.5 over 1h in "
            '{code="500"}, whose labels no series of its total side carries ({}): '
        ), evaluation.reason
        assert "aggregate the SLO's error_query and total_query by the same labels" in evaluation.reason
        assert fake.sides_asked == 1
        # Every window's sides in the one query: 14 parts.
        assert len(PART_RE.findall(fake.queries[-1])) == 14

    async def test_a_by_list_no_error_series_carries_holds_the_pass(self, aiohttp_server):
        # `sum by (service)` over series without `service`: one label-less group, which the total matches. Before:
        # ERROR check_misconfigured "divides errors grouped by service by a total without it".
        fake = SidesPrometheus(self.rules(self.BY_SERVICE), sides_of([({}, "0.5")], [({}, "100")]))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.ALL, "unread": {}}
        assert "unchecked" not in evaluation.reason and fake.sides_asked == 1

    async def test_totals_grouped_by_a_label_the_errors_lack_are_a_misconfigured_slo(self, aiohttp_server):
        # `sum(...) / sum by (code) (...)`: the label-less errors match no total; the rule records nothing. Before:
        # PASS (the division read as matched).
        sides = sides_of([({}, "0.5")], [({"code": "200"}, "99.5"), ({"code": "500"}, "0.5")])
        fake = SidesPrometheus(self.rules(self.REVERSE), sides)
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert (
            "its error side answers 0.5 over 1h in {}, whose labels no series of its total side carries "
            '({code="200"}, {code="500"}): ' in evaluation.reason
        ), evaluation.reason

    @pytest.mark.parametrize("gate", [None, {"min_budget_remaining": 0}])
    async def test_label_less_errors_at_0_no_fallback_answers_are_left_out(self, aiohttp_server, gate):
        # `sum(...) / sum by (code) (...)` with no error now: the label-less 0 is the error side's own sum, left out
        # whenever it counts (the rule records nothing). Before: PASS "budget remaining 100%" under a gate, as told.
        sides = sides_of([({}, "0")], [({"code": "200"}, "100")])
        evaluation = await self.run(aiohttp_server, SidesPrometheus(self.rules(self.REVERSE), sides), gate=gate)
        if gate is None:
            assert evaluation.verdict is Outcome.PASS, evaluation.reason
            assert (
                "the budget remaining over 30d is not told: recording rule slo:sli_error:ratio_rate1h leaves out the "
                "errors of {} whenever they count"
            ) in evaluation.reason, evaluation.reason
            return
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert "its error side answers 0 over 1h in {}, whose labels no series of its total side carries" in (
            evaluation.reason
        ), evaluation.reason

    BY_JOB = '(sum by (job) (rate(req_total{code=~"5.."}[{w}])))\n/\n(sum by (code) (rate(req_total[{w}])))'
    UNMATCHED = '(sum by (code) (rate(req_total{code=~"5.."}[{w}])))\n/\n(sum(rate(req_total[{w}])))'

    async def test_a_budget_gate_fails_on_a_label_less_0_of_a_grouped_side_without_a_fallback(self, aiohttp_server):
        # `sum by (job) (...)` over series without `job` answers one label-less group, its own whenever it counts: no
        # fallback answered it, and no total matches it.
        sides = sides_of([({}, "0")], [({"code": "200"}, "100")])
        fake = SidesPrometheus(self.rules(self.BY_JOB), sides)
        evaluation = await self.run(aiohttp_server, fake, gate={"min_budget_remaining": 0})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason

    async def test_an_inconclusive_verdict_names_a_rule_that_records_nothing(self, aiohttp_server):
        # `sum by (code) (...)` without `or vector(0)` over `sum(...)`: no window recorded, read as no data.
        sides = sides_of([({"code": "500"}, "0.5"), ({"code": "200"}, "0")], [({}, "100")])
        fake = SidesPrometheus(self.rules(self.UNMATCHED), sides)
        evaluation = await self.run(aiohttp_server, fake, ratio=None)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert 'its error side answers 0.5 over 1h in {code="500"}' in evaluation.reason, evaluation.reason

    @pytest.mark.parametrize("status", [200, 503])
    async def test_an_inconclusive_verdict_the_rules_do_not_change_stands_as_it_was(self, aiohttp_server, status):
        # The division matches (200) or the rules API fails (503): the verdict, its reason and details, unchanged.
        sides = sides_of([({"code": "500"}, "0")], [({"code": "500"}, "100")])
        fake = SidesPrometheus(self.rules(self.UNMATCHED), sides, rules_status=status)
        evaluation = await self.run(aiohttp_server, fake, ratio=None)
        assert evaluation.verdict is Outcome.INCONCLUSIVE and fake.rules_asked == 1, evaluation.reason
        assert "unchecked" not in evaluation.reason and "rules_divided" not in evaluation.details, evaluation.reason

    LABEL_FREE = '(sum(rate(req_total{code=~"5.."}[{w}])) or vector(0))\n/\n(sum by (code) (rate(req_total[{w}])))'

    @pytest.mark.parametrize("gate", [None, {"min_budget_remaining": 0}])
    async def test_a_label_less_0_beside_a_fallback_of_a_side_that_carries_no_label_is_left_out(
        self, aiohttp_server, gate
    ):
        # `sum(...) or vector(0)` over `sum by (code) (...)`: whether the label-less 0 is the fallback's or the sum's,
        # the error side answers label-less whenever it counts, which no total matches (the rule records nothing).
        # Before: PASS "budget remaining 100%" under a gate.
        sides = sides_of([({}, "0")], [({"code": "200"}, "100")])
        evaluation = await self.run(aiohttp_server, SidesPrometheus(self.rules(self.LABEL_FREE), sides), gate=gate)
        if gate is None:
            assert evaluation.verdict is Outcome.PASS, evaluation.reason
            assert (
                "the budget remaining over 30d is not told: recording rule slo:sli_error:ratio_rate1h leaves out"
                in (evaluation.reason)
            ), evaluation.reason
            return
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason

    @pytest.mark.parametrize(
        ("errors", "total"),
        [
            ([({"code": "500"}, "0"), ({}, "0")], [({}, "100")]),  # errors that exist but count none now
            ([], [({}, "100")]),  # no error series
            ([({"code": "500", "job": "a"}, "0.5")], [({"job": "a"}, "100"), ({"job": "b"}, "10")]),  # on (job)
        ],
    )
    async def test_errors_above_0_all_matched_hold_the_pass(self, aiohttp_server, errors, total):
        on = '(sum by (code, job) (rate(r{code=~"5.."}[{w}]))) / on (job) group_left sum by (job) (rate(r[{w}]))'
        expression = on if "job" in total[0][0] else self.GROUPED
        fake = SidesPrometheus(self.rules(expression), sides_of(errors, total))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.ALL, "unread": {}}

    @pytest.mark.parametrize(
        "errors",
        [
            [({"code": "500"}, "0"), ({}, "0")],  # error series that exist but count none
            [({}, "0")],  # an error selector matching no code the service emits: its series absent, vector(0) alone
        ],
    )
    async def test_errors_at_0_hold_the_pass_only_with_traffic(self, aiohttp_server, errors):
        # 0 errors where the total counts requests is a clean service; errors of a code the total lacks still burn
        # unseen once they count, which the next evaluation's sides show (above 0, matched by no total series).
        fake = SidesPrometheus(self.rules(self.GROUPED), sides_of(errors, [({}, "100")]))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.ALL, "unread": {}}
        assert "unchecked" not in evaluation.reason
        # The budget the pass states averages what the rule recorded while {code="500"} counted: not told. Before: said
        # as told. vector(0)'s label-less 0 leaves nothing out.
        said = (
            "; the budget remaining over 30d is not told: recording rule slo:sli_error:ratio_rate1h leaves out the "
            'errors of {code="500"} whenever they count (no series of its total side carries its labels), and '
            "slo:sli_error:ratio_rate30d averages what ratio_rate5m recorded"
        )
        assert evaluation.reason.endswith(said) is (len(errors) == 2), evaluation.reason
        assert ("not told" in evaluation.reason) is (len(errors) == 2), evaluation.reason

    async def test_errors_at_0_over_a_total_without_traffic_check_nothing(self, aiohttp_server):
        # {code="500"} at 0 matches no total series, and the total counts no request: nothing shows those errors
        # would be divided once they count. Before: checked.
        fake = SidesPrometheus(self.rules(self.GROUPED), sides_of([({"code": "500"}, "0"), ({}, "0")], [({}, "0")]))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        why = (
            "the total side of recording rule slo:sli_error:ratio_rate1h counts no traffic at this source, and its "
            'error side answers 0 in {code="500"}, whose labels no series of its total side carries ({})'
        )
        assert evaluation.details["rules_divided"]["unread"]["1h"] == why
        assert evaluation.details["rules_divided"]["checked"] == []
        assert f"(the ratio rules' sides did not tell: {why}" in evaluation.reason, evaluation.reason
        assert "the budget remaining over 30d is not told" not in evaluation.reason, evaluation.reason

    @pytest.mark.parametrize(
        ("expression", "errors", "total"),
        [
            # on (job): a job the total lacks.
            (
                '(sum by (code, job) (rate(r{code=~"5.."}[{w}]))) / on (job) group_left sum by (job) (rate(r[{w}]))',
                [({"code": "500", "job": "a"}, "0.5")],
                [({"job": "b"}, "100")],
            ),
            # ignoring (code): the job still differs.
            (
                '(sum by (code, job) (rate(r{code=~"5.."}[{w}]))) / ignoring (code) group_left sum by (job) '
                "(rate(r[{w}]))",
                [({"code": "500", "job": "a"}, "0.5")],
                [({"job": "b"}, "100")],
            ),
        ],
    )
    async def test_on_and_ignoring_are_matched_as_prometheus_does(self, aiohttp_server, expression, errors, total):
        fake = SidesPrometheus(self.rules(expression), sides_of(errors, total))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        # Matched on the other labels, the same errors pass.
        matched = sides_of(errors, [({"job": "a"}, "100")])
        evaluation = await self.run(aiohttp_server, SidesPrometheus(self.rules(expression), matched))
        assert evaluation.verdict is Outcome.PASS, evaluation.reason

    async def test_the_slo_is_named_with_the_args(self, aiohttp_server):
        rules = [dataclasses.replace(rule, labels={**rule.labels, "env": "prod"}) for rule in self.rules(self.GROUPED)]
        fake = SidesPrometheus(rules, self.BY_CODE)
        fake.value = lambda window, part: "100" if part == "total" else "0"
        fields = {
            "params": {"env": {"type": "label_value", "required": True}},
            "sloth": {"sloth_id": "svc-slo", "selectors": 'env="{{ env }}"'},
        }
        evaluation = await run_against(aiohttp_server, fake, fields, rules=fake.handle_rules, args={"env": "prod"})
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert evaluation.reason.startswith(
            'Sloth SLO {sloth_id="svc-slo", env="prod"}: its recording rule slo:sli_error:ratio_rate1h'
        ), evaluation.reason

    async def test_one_window_s_grouped_rule_is_enough(self, aiohttp_server):
        rules = self.rules('(sum(rate(req_total{code=~"5.."}[{w}]))) / (sum(rate(req_total[{w}])))')
        rules[-1] = self.rules(self.GROUPED)[-1]
        fake = SidesPrometheus(rules, self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.ERROR and "slo:sli_error:ratio_rate3d (as" in evaluation.reason
        # The label-free rules are not asked of: only 3d's sides are.
        assert {window for window, _ in PART_RE.findall(fake.queries[-1])} == {"3d"}

    async def test_sloth_s_generated_rules_divide_alike_without_a_query(self, aiohttp_server):
        generated = [
            dataclasses.replace(rule, labels={**rule.labels, "sloth_id": "svc-slo"})
            for rule in sloth_generated_rules()
            if rule.name.startswith("slo:sli_error:ratio_rate")
        ]
        fake = SidesPrometheus(generated, self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.ALL, "unread": {}}
        assert "unchecked" not in evaluation.reason and fake.sides_asked == 0

    async def test_newer_sloth_s_total_above_0_divides_alike(self, aiohttp_server):
        # Sloth since v0.12 writes `(error_query) / ((total_query) > 0)`.
        newer = self.rules('(sum(rate(req_total{code=~"5.."}[{w}])))\n/\n((sum(rate(req_total[{w}]))) > 0)\n')
        fake = SidesPrometheus(newer, self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS and fake.sides_asked == 0, evaluation.reason
        grouped = self.rules('(sum by (code) (rate(r{code=~"5.."}[{w}])) or vector(0))\n/\n((sum(rate(r[{w}]))) > 0)')
        evaluation = await self.run(aiohttp_server, SidesPrometheus(grouped, self.BY_CODE))
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason

    async def test_a_rule_over_the_5m_rule_s_series_divides_alike(self, aiohttp_server):
        # Sloth's optimized form (its period's rule; any window a spec names the period): over the 5m rule's series,
        # `ignoring (sloth_window)`. Its sides carry the 5m rule's labels, which match.
        optimized = self.rules(
            'sum_over_time(slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}[{w}])\n/ ignoring (sloth_window)\n'
            'count_over_time(slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}[{w}])\n'
        )
        labels = {"sloth_id": "svc-slo", "sloth_window": "5m"}
        fake = SidesPrometheus(optimized, sides_of([(labels, "0.01")], [(labels, "12")]))
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.ALL, "unread": {}}
        assert fake.sides_asked == 1

    UNREADABLE = RecordingRule(
        "slo:sli_error:ratio_rate1h", "1 - sum(rate(g[1h])) / sum(rate(r[1h]))", {"sloth_id": "svc-slo"}
    )

    @pytest.mark.parametrize(
        ("fake", "why", "said"),
        [
            (
                RulesPrometheus([], rules_status=503),
                "the rules could not be listed: Prometheus source 'default' (",
                "over 1h, 5m, 6h, 30m, 1d, 2h, 3d can match their total (the rules API did not tell: the rules could "
                "not be listed: Prometheus source 'default' (",
            ),
            (
                RulesPrometheus([]),
                'the rules API lists no recording rule slo:sli_error:ratio_rate1h{sloth_id="svc-slo"}',
                "over 1h, 5m, 6h, 30m, 1d, 2h, 3d can match their total (the rules API did not tell: the rules API "
                'lists no recording rule slo:sli_error:ratio_rate<window>{sloth_id="svc-slo"} over 1h, 5m, 6h, 30m, '
                "1d, 2h, 3d): ",
            ),
            (
                RulesPrometheus([UNREADABLE]),
                "the expression of recording rule slo:sli_error:ratio_rate1h (1 - sum(rate(g[1h])) / sum(rate(r[1h]))) "
                "is no division",
                "over 1h, 5m, 6h, 30m, 1d, 2h, 3d can match their total (the rules API did not tell: the rules API "
                'lists no recording rule slo:sli_error:ratio_rate<window>{sloth_id="svc-slo"} over 5m, 6h, 30m, 1d, '
                "2h, 3d; the expression of recording rule slo:sli_error:ratio_rate1h (1 - sum(rate(g[1h])) / "
                "sum(rate(r[1h]))) is no division): ",
            ),
            (
                SidesPrometheus(
                    [dataclasses.replace(UNREADABLE, query="sum by (code) (rate(e[1h])) / sum(rate(r[1h]))")],
                    sides_of([({"code": "500"}, "0.5")], []),
                ),
                "the total side of recording rule slo:sli_error:ratio_rate1h answers no series at this source",
                "(the rules API did not tell: the rules API lists no recording rule slo:sli_error:ratio_rate<window>"
                '{sloth_id="svc-slo"} over 5m, 6h, 30m, 1d, 2h, 3d; the ratio rules\' sides did not tell: the total '
                "side of recording rule slo:sli_error:ratio_rate1h answers no series at this source): ",
            ),
            (
                SidesPrometheus(
                    [dataclasses.replace(UNREADABLE, query="sum by (code) (rate(e[1h])) / sum(rate(r[1h]))")],
                    BY_CODE,
                    answer="partial",
                ),
                "the query of the ratio rules' error and total sides may be partial (store eu1 down)",
                "the query of the ratio rules' error and total sides may be partial (store eu1 down)): ",
            ),
            (
                SidesPrometheus(
                    [dataclasses.replace(UNREADABLE, query="sum by (code) (rate(e[1h])) / sum(rate(r[1h]))")],
                    BY_CODE,
                    answer="fail",
                ),
                "the query of the ratio rules' error and total sides failed: ",
                "(the rules API did not tell: the rules API lists no recording rule slo:sli_error:ratio_rate<window>"
                '{sloth_id="svc-slo"} over 5m, 6h, 30m, 1d, 2h, 3d; the ratio rules\' sides did not tell: the query of '
                "the ratio rules' error and total sides failed: ",
            ),
        ],
    )
    async def test_a_rules_api_that_cannot_tell_leaves_the_pass_saying_so(self, aiohttp_server, fake, why, said):
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert "; unchecked: whether the errors of Sloth's ratio rules over 1h, " in evaluation.reason
        assert said in evaluation.reason, evaluation.reason
        assert evaluation.reason.endswith("set sloth.errors_query to have it checked"), evaluation.reason
        assert evaluation.details["rules_divided"]["unread"]["1h"].startswith(why)
        assert "1h" not in evaluation.details["rules_divided"]["checked"]

    async def test_a_partial_rules_answer_without_a_rule_tells_nothing_of_it(self, aiohttp_server):
        rules = self.rules(self.GROUPED)[:-1]  # 3d's rule is the ruler's that is down
        fake = SidesPrometheus(rules, self.BY_CODE, rules_warnings=["rule endpoint ruler-1 down"])
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        fake = SidesPrometheus([], self.BY_CODE, rules_warnings=["rule endpoint ruler-1 down"])
        evaluation = await self.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        why = (
            'the rules API\'s answer, which lists no recording rule slo:sli_error:ratio_rate1h{sloth_id="svc-slo"}, '
            "may be partial (rule endpoint ruler-1 down)"
        )
        assert evaluation.details["rules_divided"]["unread"]["1h"] == why
        assert "lists no recording rule slo:sli_error:ratio_rate<window>" not in evaluation.reason, evaluation.reason
        assert f"(the rules API did not tell: {why}; " in evaluation.reason, evaluation.reason

    async def test_a_failing_verdict_or_errors_query_that_can_carry_labels_asks_nothing(self, aiohttp_server):
        fake = SidesPrometheus(self.rules(self.GROUPED), self.BY_CODE)
        evaluation = await self.run(aiohttp_server, fake, ratio="0.5")
        assert evaluation.verdict is Outcome.FAIL and fake.rules_asked == 0, evaluation.reason
        # Its own series tell how Sloth divides it (see TestSlothErrorsMatched).
        fake = SidesPrometheus(self.rules(self.GROUPED), self.BY_CODE)
        errors = 'sum by (code) (rate(req_total{code=~"5.."}[{{ window }}])) or vector(0)'
        evaluation = await self.run(
            aiohttp_server, fake, total_query="sum(rate(req_total[{{ window }}]))", errors_query=errors
        )
        assert evaluation.verdict is Outcome.PASS and fake.rules_asked == 0, evaluation.reason
        assert "rules_divided" not in evaluation.details and fake.sides_asked == 0

    async def test_errors_query_that_carries_no_label_is_no_evidence_of_the_rules_division(self, aiohttp_server):
        # `sum(...)` matches the total whatever the SLO's error_query groups by. Before: PASS at 0x, the rules unread.
        fake = SidesPrometheus(self.rules(self.GROUPED), self.BY_CODE)
        errors = 'sum(rate(req_total{code=~"5.."}[{{ window }}]))'
        evaluation = await self.run(
            aiohttp_server, fake, total_query="sum(rate(req_total[{{ window }}]))", errors_query=errors
        )
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert evaluation.reason.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: its recording rule slo:sli_error:ratio_rate1h (as the rules API lists it: '
        ), evaluation.reason
        assert evaluation.reason.endswith(
            ", and write sloth.errors_query as the SLO's error_query (as set, its series match sloth.total_query's, "
            "so they could not tell)"
        ), evaluation.reason

    async def test_errors_query_that_carries_no_label_over_rules_that_cannot_tell_leaves_the_pass(self, aiohttp_server):
        # No rules API answer: the verdict as judged, without the note a check without errors_query gets.
        fake = SidesPrometheus([], self.BY_CODE)
        errors = 'sum(rate(req_total{code=~"5.."}[{{ window }}]))'
        evaluation = await self.run(
            aiohttp_server, fake, total_query="sum(rate(req_total[{{ window }}]))", errors_query=errors
        )
        assert evaluation.verdict is Outcome.PASS and fake.rules_asked == 1, evaluation.reason
        assert "unchecked" not in evaluation.reason and "rules_divided" not in evaluation.details

    @pytest.mark.parametrize(
        ("fake", "asked"),
        [
            (lambda rules, sides: SidesPrometheus([], sides, rules_status=503), 0),
            (lambda rules, sides: SidesPrometheus(rules, sides, answer="fail"), 1),
            (lambda rules, sides: SidesPrometheus(rules, sides, answer="partial"), 1),
        ],
    )
    async def test_errors_query_that_carries_no_label_passes_when_the_rules_api_or_sides_fail(
        self, aiohttp_server, fake, asked
    ):
        # The check's own data pass: a rules API down, or the sides' query failing or partial, tells nothing.
        fake = fake(self.rules(self.GROUPED), self.BY_CODE)
        errors = 'sum(rate(req_total{code=~"5.."}[{{ window }}]))'
        evaluation = await self.run(
            aiohttp_server, fake, total_query="sum(rate(req_total[{{ window }}]))", errors_query=errors
        )
        assert evaluation.verdict is Outcome.PASS and fake.sides_asked == asked, evaluation.reason
        assert "unchecked" not in evaluation.reason and "rules_divided" not in evaluation.details


class TestReconcileAbsences:
    """An absent recorded ratio is zero errors only where no error series is the one explanation."""

    def test_absent_short_windows_beside_present_long_ones_stay_zero(self):
        windows = {"5m": recorded("5m", 0.0, absent=True, events=3000.0), "6h": recorded("6h", 0.01)}
        judged, _ = reconcile_absences(windows, recorded("30d", 0.001))
        assert judged["5m"].error_ratio == 0.0 and judged["6h"].error_ratio == 0.01

    def test_an_absent_long_window_beside_a_present_short_one_is_a_gap(self):
        windows = {"5m": recorded("5m", 0.5), "4d": recorded("4d", 0.0, absent=True, events=1e6, note="no x")}
        judged, _ = reconcile_absences(windows, recorded("28d", None))
        assert judged["4d"].error_ratio is None and judged["5m"].error_ratio == 0.5
        assert judged["4d"].note.startswith("no x; but a shorter window's rule recorded a value")

    def test_an_absent_window_longer_than_the_shortest_present_one_is_a_gap(self):
        # 1h recorded nothing while 5m recorded a value: 1h did not evaluate, whatever the longer 6h says.
        windows = {
            "5m": recorded("5m", 0.5),
            "1h": recorded("1h", 0.0, absent=True, events=3600.0),
            "6h": recorded("6h", 0.01),
        }
        judged, _ = reconcile_absences(windows, recorded("30d", 0.001))
        assert judged["1h"].error_ratio is None

    def test_a_period_unread_for_another_reason_stays_unread(self):
        # Pyrra's pyrra_availability absent (no --generic-rules) is no recorded absence: nothing shows the period's
        # errors, whatever the windows read (mut29: with this dropped, the budget gate passed on an unread period).
        windows = {
            "5m": recorded("5m", 0.0, absent=True, events=300.0),
            "1h": recorded("1h", 0.0, absent=True, events=3600.0),
        }
        _, period = reconcile_absences(windows, recorded("28d", None, note="no pyrra_availability series"))
        assert period.error_ratio is None and period.note == "no pyrra_availability series"

    def test_the_period_is_zero_when_no_rule_recorded_and_the_windows_count_traffic(self):
        windows = {
            "5m": recorded("5m", 0.0, absent=True, events=300.0),
            "1h": recorded("1h", 0.0, absent=True, events=3600.0),
        }
        _, period = reconcile_absences(windows, recorded("30d", None, absent=True, note="no p"))
        assert period.error_ratio == 0.0 and period.events == 3600.0

    def test_a_window_without_traffic_beside_one_with_it_does_not_stop_the_rules(self):
        # 5m counted no traffic (and so no errors): only raw errors its rule did not record say the rules stopped.
        windows = {"5m": recorded("5m", None, absent=True), "1h": recorded("1h", 0.0, absent=True, events=3600.0)}
        _, period = reconcile_absences(windows, recorded("30d", None, absent=True, note="no p"))
        assert period.error_ratio == 0.0 and period.events == 3600.0

    def test_a_period_recorded_absent_with_its_own_traffic_keeps_its_events(self):
        # The period's own total counted its events: the busiest window's are not put in their place.
        windows = {"5m": recorded("5m", 0.0, absent=True, events=300.0)}
        _, period = reconcile_absences(windows, recorded("30d", 0.0, absent=True, events=1e6))
        assert period.error_ratio == 0.0 and period.events == 1e6

    @pytest.mark.parametrize(
        "windows",
        [
            {"5m": recorded("5m", 0.0, absent=True, events=300.0), "1h": recorded("1h", 0.001)},  # one recorded
            {"5m": recorded("5m", None, absent=True), "1h": recorded("1h", None, absent=True)},  # no traffic
            # The raw errors counted errors the 1h rule did not record: the rules stopped.
            {
                "5m": recorded("5m", 0.0, absent=True, events=300.0),
                "1h": WindowRatio("1h", None, errors=0.5, total=10.0, recorded_absent=True),
            },
        ],
    )
    def test_otherwise_the_period_stays_a_gap(self, windows):
        _, period = reconcile_absences(windows, recorded("30d", None, absent=True, note="no p"))
        assert period.error_ratio is None

    def test_judge_applies_it(self):
        check = make(sloth={"sloth_id": "a-b"})
        windows = {w: recorded(w, 0.02, events=1e5) for w in ("5m", "30m", "1h", "2h", "6h", "1d")}
        windows["3d"] = recorded("3d", 0.0, absent=True, events=1e7)
        verdict = check.judge(windows, recorded("30d", 0.001))
        assert verdict.outcome is Outcome.FAIL  # 20x over 1h and 5m
        three = next(t for t in verdict.details["tiers"] if t["long"] == "3d")
        assert three["judged"] is False


class TestRecordedTotals:
    """A recorded SLI's total counts each window's events; an absent ratio is zero errors only with traffic."""

    SLOTH_TOTAL = {"sloth": {"sloth_id": "svc-slo", "total_query": "sum(rate(req_total[{{ window }}]))"}}
    SLOTH_ERRORS = {
        "sloth": {**SLOTH_TOTAL["sloth"], "errors_query": 'sum(rate(req_total{code=~"5.."}[{{ window }}]))'}
    }
    PYRRA_ERRORS = {
        "period": "28d",
        "pyrra": {"slo": "api", "metric": "req", "total": "req_total", "errors": 'req_total{code=~"5.."}'},
    }

    @pytest.mark.parametrize("sli", [SLOTH_ERRORS, PYRRA_ERRORS])
    @pytest.mark.parametrize(
        ("errors", "outcome", "note"),
        [
            ("0.5", Outcome.INCONCLUSIVE, "counted 0.5 errors/s over 5m: the tool's ratio rule did not record"),
            ("NaN", Outcome.INCONCLUSIVE, "counted NaN errors/s over 5m: the tool's ratio rule did not record"),
            ("0", Outcome.PASS, "counts none: zero errors"),
            (None, Outcome.PASS, "counts none: zero errors"),
        ],
    )
    async def test_an_absent_ratio_with_traffic_is_zero_errors_only_if_the_raw_errors_show_none(
        self, aiohttp_server, sli, errors, outcome, note
    ):
        fake = FakePrometheus(
            expected=1, value=lambda window, part: {"total": "10", "rules": "1", "errors": errors}.get(part)
        )
        evaluation = await run_against(aiohttp_server, fake, {**sli, "min_budget_remaining": None})
        assert evaluation.verdict is outcome
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert note in five["note"]
        assert (five["error_ratio"] is None) is (outcome is Outcome.INCONCLUSIVE)

    @pytest.mark.parametrize("total", ["0.001", "0"])
    @pytest.mark.parametrize("sli", [SLOTH_TOTAL, PYRRA_ERRORS])
    async def test_a_recorded_zero_over_a_trickle_of_events_cannot_judge(self, aiohttp_server, sli, total):
        # 0.001 requests/s is 0.3 events over 5m, and a total of 0 counts none: a recorded 0 error ratio is too
        # little evidence to pass on.
        fake = FakePrometheus(expected=1, value=lambda window, part: {"total": total, "rules": "1"}.get(part, "0"))
        evaluation = await run_against(aiohttp_server, fake, {**sli, "min_budget_remaining": None})
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert "too few events over 5m" in five["note"]

    PYRRA_TOTAL = {"period": "28d", "pyrra": {"slo": "api", "metric": "req", "total": "req_total"}}

    @pytest.mark.parametrize(
        ("generic", "outcome", "five_note", "hour_ratio"),
        [
            (
                "0.5",
                Outcome.INCONCLUSIVE,
                "although pyrra_errors:rate5m (--generic-rules) counted 0.5 errors/s over 5m",
                None,
            ),
            ("NaN", Outcome.INCONCLUSIVE, "although pyrra_errors:rate5m (--generic-rules) counted NaN errors/s", None),
            ("0", Outcome.PASS, "and pyrra_errors:rate5m (--generic-rules) counts none: zero errors", 0.0),
            (None, Outcome.PASS, "while pyrra.total counts traffic: zero errors", 0.0),
        ],
    )
    async def test_without_pyrra_errors_the_generic_rules_errors_tell_a_stopped_burnrate_group(
        self, aiohttp_server, generic, outcome, five_note, hour_ratio
    ):
        # No burnrate series at all while the total counts traffic: zero errors only if pyrra_errors:rate5m (if
        # recorded) counts none over the last 5 minutes, which lie within every window of 5 minutes or more.
        parts = {"total": "10", "rules": "1", "latency_rule": "0", "generic_errors": generic}
        fake = FakePrometheus(expected=1, value=lambda window, part: parts.get(part))
        evaluation = await run_against(aiohttp_server, fake, self.PYRRA_TOTAL)
        assert evaluation.verdict is outcome, evaluation.reason
        by_window = {w["window"]: w for w in evaluation.details["windows"]}
        assert five_note in by_window["5m"]["note"]
        assert (by_window["5m"]["error_ratio"] is None) is (outcome is Outcome.INCONCLUSIVE)
        assert by_window["1h"]["error_ratio"] == hour_ratio
        if hour_ratio is None:
            assert by_window["1h"]["note"].startswith(
                "no data (no Pyrra burnrate1h series although pyrra_errors:rate5m (--generic-rules) counted up to "
                f"{generic} errors/s over 5 minutes within 1h: Pyrra's burnrate rule group stopped evaluating, fails, "
                "or is not loaded here (point the source at a querier that has it, or set pyrra.errors)"
            )

    async def test_a_generic_group_that_recorded_but_not_now_is_no_evidence_of_zero_errors(self, aiohttp_server):
        # pyrra_errors:rate5m has no sample now (its bare selector, grouped with the other recorded names: no window)
        # but recorded 0 within 4d (max_over_time, sent once for every window): its group stopped, and its zeros
        # predate the minutes since. Before: every window read as zero errors, a pass.
        parts = {"total": "10", "rules": "1", "latency_rule": "0"}
        fake = FakePrometheus(
            expected=1,
            value=lambda window, part: (window or None) and "0" if part.startswith("generic_") else parts.get(part),
        )
        evaluation = await run_against(aiohttp_server, fake, self.PYRRA_TOTAL)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        for window in evaluation.details["windows"]:
            if window["window"] != "28d":
                assert window["error_ratio"] is None, window
                assert "has no sample now though it recorded within 3d23h55m: its rule group stopped" in window["note"]
        plan = make(**self.PYRRA_TOTAL).plan({})
        # Both ride in the batch already, as the 5m and 4d windows' own queries: nothing more is sent.
        assert plan.windows["1h"]["generic_now"] == plan.windows["5m"]["generic_errors"]
        assert plan.windows["1h"]["generic_recent"] == plan.windows["4d"]["generic_errors"]
        # With pyrra.errors or without, the 5m window asks whether it is blind to a raw series (see blind_note).
        with_errors = make(**self.PYRRA_ERRORS).plan({})
        assert plan.windows["5m"]["blind"] == with_errors.windows["5m"]["blind"]
        assert "blind" not in plan.windows["1h"] and "blind" not in with_errors.windows["1h"]

    @pytest.mark.parametrize("selectors", ['code="500"', 'job="a", code=~"5.."', 'code!=""'])
    def test_a_selector_label_only_the_increase_rules_carry_is_refused(self, selectors):
        # Pyrra groups its increase rules by `code` (in pyrra.errors, not pyrra.total), not its burnrates: such a
        # selector matched no burnrate while the increase rule proved the rules (every window a stopped group).
        pyrra = {**self.PYRRA_ERRORS["pyrra"], "selectors": selectors}
        with pytest.raises(
            ValueError, match=re.escape("pyrra.selectors: label code is on Pyrra's increase rules only")
        ):
            make(period="28d", pyrra=pyrra)

    @pytest.mark.parametrize("selectors", ['code=""', 'job="a"', 'code=~"5..|"'])
    def test_a_selector_any_burnrate_matches_is_kept(self, selectors):
        # A matcher of the empty value matches a series without the label, as every burnrate is.
        make(period="28d", pyrra={**self.PYRRA_ERRORS["pyrra"], "selectors": selectors})
        make(period="28d", pyrra={**self.PYRRA_TOTAL["pyrra"], "selectors": 'code="500"'})

    @pytest.mark.parametrize(
        ("selectors", "said"),
        [
            ('job="web"', 'pyrra.selectors: job="web" is not pyrra.total\'s job="api"'),
            ('code="", job=""', 'pyrra.selectors: job="" is not pyrra.total\'s job="api"'),
        ],
    )
    def test_a_selector_contradicting_the_totals_equality_matcher_is_refused(self, selectors, said):
        # Pyrra writes pyrra.total's job="api" onto every rule of the SLO: job="web" matches another SLO's series or
        # none. Before: accepted, then every evaluation an error that said to add job="api" to pyrra.selectors
        # (which then matched nothing).
        pyrra = {**self.PYRRA_TOTAL["pyrra"], "total": 'req_total{job="api"}', "selectors": selectors}
        with pytest.raises(ValueError, match=re.escape(said)) as raised:
            make(period="28d", pyrra=pyrra)
        assert (
            "onto every rule of the SLO, so these selectors match none of its series (another SLO's, or none); "
            'write job="api"' in str(raised.value)
        ), raised.value

    @pytest.mark.parametrize("selectors", ['job="api"', 'job=~"web"', 'job="{{ job }}"', 'team="web"'])
    def test_a_selector_the_totals_equality_matchers_allow_is_kept(self, selectors):
        # The same value, a regex (not compared), a param (its value unknown until the rollout), another label.
        make(
            period="28d",
            params={"job": {"type": "label_value", "required": True}},
            pyrra={**self.PYRRA_TOTAL["pyrra"], "total": 'req_total{job="api"}', "selectors": selectors},
        )

    @pytest.mark.parametrize("sli", [PYRRA_TOTAL, PYRRA_ERRORS])
    def test_the_increase_rules_read_for_their_labels_are_the_probes_own(self, sli):
        # Each window reads the increase rules for the labels that tell the SLO's rules from a same-name SLO's: the
        # existence probe's queries, which the batch carries already.
        plan = make(**sli).plan({})
        probed = {query for probe in plan.probes for query in (probe.query, *probe.together)}
        for queries in plan.windows.values():
            assert {queries["rules"], queries["rules_5m"]} <= probed
        assert plan.windows["1h"]["rules"] == 'req:increase4w{slo="api"}'

    def test_the_generic_rules_errors_are_read_over_every_window(self):
        # A 7d SLO's 1m window lies within the last 5 minutes: their latest count, as over 5m.
        plan = make(**{**self.PYRRA_TOTAL, "period": "7d"}).plan({})
        assert all("generic_errors" in queries for queries in plan.windows.values())
        assert plan.windows["1m"]["generic_errors"] == 'pyrra_errors:rate5m{slo="api"}'
        # Over a longer window, the highest recorded over 5 minutes that lie within it.
        assert plan.windows["15m"]["generic_errors"] == 'max_over_time(pyrra_errors:rate5m{slo="api"}[10m])'
        narrowed = {**self.PYRRA_TOTAL["pyrra"], "availability_selectors": 'team="x"'}
        plan = make(period="28d", pyrra=narrowed).plan({})
        assert plan.windows["5m"]["generic_errors"] == 'pyrra_errors:rate5m{slo="api", team="x"}'
        assert (
            plan.windows["4d"]["generic_errors"] == 'max_over_time(pyrra_errors:rate5m{slo="api", team="x"}[3d23h55m])'
        )

    async def test_a_window_shorter_than_5_minutes_is_no_data_while_the_generic_rules_count_errors(
        self, aiohttp_server
    ):
        # A 2d SLO: its page tier 4m/1m lies within the last 5 minutes. Read as zero errors, that tier judged 0x and
        # accept_unjudged_tiers passed at 0x while every burnrate was gone and the generic rule counted 5% errors.
        parts = {"total": "10", "rules": "1", "latency_rule": "0", "generic_errors": "0.5"}
        fake = FakePrometheus(expected=1, value=lambda window, part: parts.get(part))
        evaluation = await run_against(
            aiohttp_server, fake, {**self.PYRRA_TOTAL, "period": "2d", "accept_unjudged_tiers": True}
        )
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        by_window = {w["window"]: w for w in evaluation.details["windows"]}
        for window in ("1m", "4m"):
            assert by_window[window]["error_ratio"] is None and by_window[window]["errors"] is None
            assert by_window[window]["note"].startswith(
                f"no data (no Pyrra burnrate{window} series although pyrra_errors:rate5m (--generic-rules) counted "
                f"0.5 errors/s over the last 5 minutes, which hold {window}: Pyrra's burnrate rule group stopped"
            )
        # The 26m window holds those 5 minutes' 150 errors at least: 150 / (10 req/s x 1560 s) burns 9.6x, above 7x.
        assert by_window["26m"]["errors"] == pytest.approx(150 / 1560)
        assert evaluation.reason.startswith("page tier 26m/2m cannot judge"), evaluation.reason
        assert "while its 26m window burns 9.61538x (limit 7x): it may be firing unseen" in evaluation.reason

    async def test_a_recorded_burnrate_is_judged_whatever_the_generic_rules_count(self, aiohttp_server):
        # pyrra_errors:rate5m only stands in for an absent burnrate: beside a recorded one (another rate window and
        # evaluation time), it neither blocks nor adds evidence.
        parts = {"ratio": "0.0001", "total": "10", "rules": "1", "latency_rule": "0", "generic_errors": "0.5"}
        fake = FakePrometheus(expected=1, value=lambda window, part: parts.get(part))
        evaluation = await run_against(aiohttp_server, fake, self.PYRRA_TOTAL)
        assert evaluation.verdict is Outcome.PASS and evaluation.value == pytest.approx(0.1), evaluation.reason
        for window in evaluation.details["windows"]:
            if window["window"] != "28d":
                assert window["error_ratio"] == 0.0001 and "pyrra_errors" not in str(window), window

    @pytest.mark.parametrize("generic", ["-0.5", "NaN"])
    async def test_a_generic_count_that_is_no_rate_is_no_evidence_of_zero_errors(self, aiohttp_server, generic):
        # A rate is not negative: such a record cannot show there were no errors, nor how many there were.
        parts = {"total": "10", "rules": "1", "latency_rule": "0", "generic_errors": generic}
        fake = FakePrometheus(expected=1, value=lambda window, part: parts.get(part))
        evaluation = await run_against(aiohttp_server, fake, self.PYRRA_TOTAL)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        hour = next(w for w in evaluation.details["windows"] if w["window"] == "1h")
        assert hour["error_ratio"] is None and hour["errors"] is None
        assert "at least" not in hour["note"]

    @pytest.mark.parametrize(
        "pyrra",
        [
            {"errors": 'req_total{code=~"5.."}'},
            {"metric": "req", "total": "req_count", "indicator": "latency"},
            {"total": None},
        ],
    )
    def test_the_generic_rules_errors_are_not_read_where_they_tell_nothing_more(self, pyrra):
        # pyrra.errors counts each window's errors; a declared latency SLO's absent burnrate is no data already; without
        # a total an absent burnrate is no data too.
        fields = {k: v for k, v in {**self.PYRRA_TOTAL["pyrra"], **pyrra}.items() if v is not None}
        plan = make(period="28d", pyrra=fields).plan({})
        assert not any("generic_errors" in queries for queries in plan.windows.values())
        assert "pyrra_errors:rate5m" not in make(period="28d", pyrra=fields).optional_names()

    def test_the_generic_rules_errors_may_be_absent(self):
        said = make(**self.PYRRA_TOTAL).optional_names()["pyrra_errors:rate5m"]
        assert said.startswith("Pyrra records it only with --generic-rules; without it a window whose burnrate rule")

    def test_the_errors_ride_in_the_windows_queries_and_are_probed(self):
        sloth = make(**self.SLOTH_ERRORS).plan({})
        assert sloth.windows["5m"]["errors"] == 'sum(rate(req_total{code=~"5.."}[5m]))'
        assert "errors" not in sloth.period
        pyrra = make(**self.PYRRA_ERRORS).plan({})
        assert pyrra.windows["1h"]["errors"] == 'sum(rate(req_total{code=~"5.."}[1h]))'
        probed = next(p for p in pyrra.probes if p.query == presence_query(["req_total"]))
        assert pyrra.windows["1h"]["errors"] in probed.users
        assert 'pyrra.errors selector req_total{code=~"5.."}' in probed.problem

    async def test_a_total_that_returns_nothing_leaves_the_events_unknown(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value=lambda window, part: None if part == "total" else "0.0001")
        evaluation = await run_against(aiohttp_server, fake, self.SLOTH_TOTAL)
        assert evaluation.verdict is Outcome.PASS
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert "events" not in five and five["note"] == "sloth.total_query returned nothing over 5m: events unknown"

    @pytest.mark.parametrize(
        ("total", "outcome", "note"),
        [
            ("10", Outcome.PASS, "no Sloth ratio_rate5m series while sloth.total_query counts traffic: zero errors"),
            ("0", Outcome.INCONCLUSIVE, "no Sloth ratio_rate5m series; no traffic over 5m"),
            (None, Outcome.INCONCLUSIVE, "no Sloth ratio_rate5m series; no data (the total query returned nothing"),
            ("NaN", Outcome.INCONCLUSIVE, "no Sloth ratio_rate5m series; no traffic (NaN over 5m)"),
        ],
    )
    async def test_an_absent_ratio_reads_by_the_total(self, aiohttp_server, total, outcome, note):
        fake = FakePrometheus(
            expected=1, value=lambda window, part: total if part == "total" else ("1" if part == "rules" else None)
        )
        evaluation = await run_against(aiohttp_server, fake, self.SLOTH_TOTAL)
        assert evaluation.verdict is outcome
        five = next(w for w in evaluation.details["windows"] if w["window"] == "5m")
        assert five["note"].startswith(note)

    async def test_an_absent_ratio_without_the_rules_is_misconfigured(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value=lambda window, part: "10" if part == "total" else None)
        evaluation = await run_against(aiohttp_server, fake, self.SLOTH_TOTAL)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured"
        assert evaluation.reason.startswith('no recording rule of Sloth SLO {sloth_id="svc-slo"} has a series')

    async def test_rules_a_partial_answer_does_not_show_are_inconclusive(self, aiohttp_server):
        # Before: error (check_misconfigured), saying that no recording rule has a series while a store was down.
        fake = FakePrometheus(
            expected=1, value=lambda window, part: "10" if part == "total" else None, warnings=["store 2 down"]
        )
        evaluation = await run_against(aiohttp_server, fake, self.SLOTH_TOTAL)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason.startswith(
            'no series of a recording rule of Sloth SLO {sloth_id="svc-slo"} found (not even slo:objective:ratio), '
            "in an answer that may be partial (store 2 down)"
        )
        assert evaluation.details["unseen_metrics"] == []

    @pytest.mark.parametrize(
        "sli",
        [
            {"sloth": {"sloth_id": "svc-slo", "total_query": "sum(rate(req_total[{{ window }}]))"}},
            {"period": "28d", "pyrra": {"slo": "api", "metric": "m", "total": "m_total"}},
        ],
    )
    async def test_a_window_the_tool_does_not_record_is_never_zero_by_absence(self, aiohttp_server, sli):
        # A 4h rule exists in neither tool: its absence says nothing about errors.
        fake = FakePrometheus(expected=1, value=lambda window, part: {"total": "10", "rules": "1"}.get(part))
        evaluation = await run_against(
            aiohttp_server, fake, {**sli, "tiers": [{"long": "4h", "short": "5m", "factor": 14.4}]}
        )
        assert evaluation.verdict is Outcome.INCONCLUSIVE
        assert "records no such window" in evaluation.reason

    async def test_an_imported_alert_window_outside_the_defaults_reads_an_absence_by_the_raw_errors(
        self, aiohttp_server
    ):
        # Sloth records every window of its AlertWindows (here 10m and 4h, which its defaults lack): with traffic
        # and no error series, the ratio is absent because there are no errors, as for a default window.
        windows = {
            "apiVersion": "sloth.slok.dev/v1",
            "kind": "AlertWindows",
            "spec": {
                "sloPeriod": "30d",
                "page": {
                    "quick": {"errorBudgetPercent": 2, "shortWindow": "10m", "longWindow": "1h"},
                    "slow": {"errorBudgetPercent": 5, "shortWindow": "30m", "longWindow": "4h"},
                },
                "ticket": {
                    "quick": {"errorBudgetPercent": 10, "shortWindow": "2h", "longWindow": "1d"},
                    "slow": {"errorBudgetPercent": 10, "shortWindow": "6h", "longWindow": "3d"},
                },
            },
        }
        slo = {
            "version": "prometheus/v1",
            "service": "svc",
            "slos": [
                {
                    "name": "slo",
                    "objective": 99.9,
                    "sli": {
                        "events": {
                            "error_query": 'sum(rate(req_total{code=~"5.."}[{{.window}}]))',
                            "total_query": "sum(rate(req_total[{{.window}}]))",
                        }
                    },
                }
            ],
        }
        (check,) = convert([slo, windows])
        fields = {key: check[key] for key in ("sloth", "tiers")}
        fake = FakePrometheus(expected=1, value=lambda window, part: {"total": "10", "rules": "1"}.get(part))
        evaluation = await run_against(aiohttp_server, fake, {**fields, "min_budget_remaining": None})
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        ten = next(w for w in evaluation.details["windows"] if w["window"] == "10m")
        assert "counts none: zero errors" in ten["note"]


class TestPyrraReaderMeasure:
    """PyrraReader.measure of one window from its answers: whose rules the series found are, and whether the generic
    group still records."""

    @staticmethod
    def measure(window, answers, **pyrra):
        """The window as the reader measures it from `answers` (part: series), the SLO api's rules named req."""
        sli = make(period="28d", pyrra={"slo": "api", "metric": "req", **pyrra}).pyrra
        reader = PyrraReader(sli, {}, parse_duration("28d"), 99.9)
        queries = reader.queries(window, {}, period=False)
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        return reader.measure(window, queries, results)

    @staticmethod
    def series(value, **labels):
        return Series(labels, [(1.0, value)])

    @staticmethod
    def answered(window, ratio):
        """A Pyrra reader of SLO api over req_total{job="api"} (28d, 99.9%), its queries over `window`, and their
        answers: `ratio` as the burnrate, a total of 10."""
        sli = make(period="28d", pyrra={"slo": "api", "metric": "req", "total": 'req_total{job="api"}'}).pyrra
        reader = PyrraReader(sli, {}, parse_duration("28d"), 99.9)
        queries = reader.queries(window, {}, period=False)
        answers = {"ratio": ratio, "total": [Series({}, [(1.0, 10.0)])]}
        return (
            reader,
            queries,
            {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()},
        )

    def test_a_generic_series_whose_labels_changed_within_the_longest_window_still_records(self):
        # pyrra_errors:rate5m records now, and did under two label sets within 4d (a propagated pyrra.dev/ label
        # added to the SLO, or its description edited with ruleOutput.enableDescriptionAsLabel): the group runs.
        # Before: the two series over 4d were check_misconfigured on every window without a burnrate (a clean
        # service blocked for 4 days), though no window of the check reads that query as its own.
        recent = [self.series(0.0, slo="api"), self.series(0.0, slo="api", team="payments")]
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api")],
                "generic_errors": [self.series(0.0, slo="api", team="payments")],
                "generic_now": [self.series(0.0, slo="api", team="payments")],
                "generic_recent": recent,
                "latency_rule": [self.series(0.0)],
            },
            total="req_total",
        )
        assert window.error_ratio == 0.0, window.note

    def test_a_group_that_stopped_is_no_data_whatever_labels_it_recorded_under(self):
        # The same two label sets within 4d, none now: the group stopped (see _generic_stopped).
        recent = [self.series(0.0, slo="api"), self.series(0.0, slo="api", team="payments")]
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api")],
                "generic_errors": [self.series(0.0, slo="api", team="payments")],
                "generic_recent": recent,
                "latency_rule": [self.series(0.0)],
            },
            total="req_total",
        )
        assert window.error_ratio is None
        assert "has no sample now though it recorded within 3d23h55m" in window.note
        # A group switched off on purpose reads the same: the note says what judges without it.
        assert window.note.endswith(
            "no evidence of zero errors; if --generic-rules was switched off on purpose, set pyrra.errors (the SLO's "
            "indicator.ratio.errors.metric): the check then reads the raw errors instead)"
        ), window.note

    def test_with_pyrra_errors_a_group_that_stopped_is_not_asked(self):
        # What that note says to write: the raw errors, counting none, make the absent burnrate zero errors.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api")],
                "errors": [self.series(0.0)],
            },
            total="req_total",
            errors='req_total{code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_a_regex_matcher_of_the_total_contradicts_no_increase_rule(self):
        # Pyrra groups its increase rules by the total's regex labels (slo/rules.go, increaseRulesRatio): each series
        # carries one value the regex matches, and only the equality matchers are copied onto the rules' labels.
        rules = [
            self.series(1.0, __name__="req:increase4w", slo="api", env="prod", job="api", code="200"),
            self.series(1.0, __name__="req:increase4w", slo="api", env="prod", job="web", code="200"),
        ]
        window = self.measure(
            "1h",
            {"total": [self.series(10.0)], "rules": rules, "errors": [self.series(0.0)]},
            total='req_total{job=~"api|web", env="prod"}',
            errors='req_total{job=~"api|web", env="prod", code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_the_slos_own_increase_rule_beside_a_same_name_slos_proves_its_rules(self):
        # A same-name SLO of another namespace records too (job checkout): the SLO's own series (job api) is found.
        rules = [
            self.series(1.0, __name__="req:increase4w", slo="api", job="checkout"),
            self.series(1.0, __name__="req:increase4w", slo="api", job="api"),
        ]
        window = self.measure(
            "1h",
            {"total": [self.series(10.0)], "rules": rules, "errors": [self.series(0.0)]},
            total='req_total{job="api"}',
            errors='req_total{job="api", code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_the_slos_own_5m_increase_rule_beside_a_same_name_slos_proves_its_rules(self):
        # performanceOverAccuracy: the SLO's -long group (increase over 4w) runs on a ruler not read here, its 5m
        # increase rule beside the burnrates is; a same-name SLO's increase over 4w is found too.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="checkout")],
                "rules_5m": [self.series(1.0, __name__="req:increase5m", slo="api", job="api")],
                "errors": [self.series(0.0)],
            },
            total='req_total{job="api"}',
            errors='req_total{job="api", code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_a_burnrate_series_lacking_a_label_of_the_totals_equality_matchers_is_another_slos(self):
        # Pyrra writes every equality matcher of the SLO's total onto each of its rules (slo/rules.go, ruleLabels): a
        # same-name SLO over {service="checkout"} records burnrates without job. Before: no label contradicted
        # job="api", and the other SLO's burn (0 here) was judged as this one's: a pass at 0x whatever this service
        # does.
        with pytest.raises(CheckMisconfigured) as raised:
            self.measure(
                "1h",
                {"ratio": [self.series(0.0, slo="api", service="checkout")], "total": [self.series(10.0)]},
                total='req_total{job="api"}',
                errors='req_total{job="api", code=~"5.."}',
            )
        assert str(raised.value).startswith(
            'Pyrra SLO {slo="api"}: the burnrate1h series {service="checkout", slo="api"} is another SLO\'s: it has no '
            'label job, which Pyrra writes onto every rule of an SLO whose total selects job="api"'
        ), raised.value
        assert str(raised.value).endswith(
            'add job="api" to pyrra.selectors; if pyrra.total selects more than the SLO\'s spec does, write it as '
            "the spec writes it (indicator.ratio.total.metric)"
        ), raised.value

    @pytest.mark.parametrize(
        ("pyrra", "field"),
        [
            ({"indicator": "latency"}, "(indicator.latency.total.metric)"),
            ({"indicator": "ratio"}, "(indicator.ratio.total.metric)"),
            ({"errors": 'req_count{job="api", code=~"5.."}'}, "(indicator.ratio.total.metric)"),
            ({}, "(indicator.ratio.total.metric, or indicator.latency.total.metric for a latency SLO)"),
        ],
    )
    def test_the_lacking_label_error_names_the_specs_field_of_the_slos_indicator(self, pyrra, field):
        # What to write names the field pyrra.total copies: a latency SLO's spec has no indicator.ratio. Before: every
        # message named indicator.ratio.total.metric, a field a latency SLO's spec does not have.
        with pytest.raises(CheckMisconfigured) as raised:
            self.measure(
                "1h",
                {"ratio": [self.series(0.0, slo="api", service="checkout")], "total": [self.series(10.0)]},
                total='req_count{job="api"}',
                **pyrra,
            )
        assert str(raised.value).endswith(f"write it as the spec writes it {field}"), raised.value

    def test_increase_rules_lacking_a_label_of_the_total_do_not_prove_the_slos_rules(self):
        # Only a same-name SLO over {service="checkout"} records here, without error series: no burnrate. Before: its
        # increase rule proved "the" rules and every window read as zero errors.
        with pytest.raises(CheckMisconfigured, match=r"the increase rule series .* has no label job"):
            self.measure(
                "1h",
                {
                    "total": [self.series(10.0)],
                    "rules": [self.series(1.0, __name__="req:increase4w", slo="api", service="checkout")],
                    "generic_errors": [self.series(0.0, slo="api")],
                    "generic_now": [self.series(0.0, slo="api")],
                    "generic_recent": [self.series(0.0, slo="api")],
                    "latency_rule": [self.series(0.0)],
                },
                total='req_total{job="api"}',
            )

    def test_an_empty_equality_matcher_asks_for_no_label(self):
        # handler="" selects series without handler; Pyrra's rule label of the empty value is no label at all.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api")],
                "errors": [self.series(0.0)],
            },
            total='req_total{job="api", handler=""}',
            errors='req_total{job="api", handler="", code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_a_bucket_totals_le_may_be_lacking_but_not_another_value(self):
        # pyrra.total the +Inf bucket where the SLO's spec writes the _count (the same events): the rules read are the
        # _count SLO's, whose total increase rule has no le, and still the SLO's; another le than +Inf on every rule
        # found is not.
        answers = {
            "total": [self.series(10.0)],
            "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api")],
            "latency_rule": [self.series(0.0)],
        }
        window = self.measure("1h", answers, total='req_bucket{job="api", le="+Inf"}', indicator="ratio")
        assert window.error_ratio == 0.0, window.note
        answers["rules"] = [self.series(1.0, __name__="req:increase4w", slo="api", job="api", le="0.5")]
        with pytest.raises(CheckMisconfigured, match=re.escape('its le="0.5" is not pyrra.total\'s le="+Inf"')):
            self.measure("1h", answers, total='req_bucket{job="api", le="+Inf"}', indicator="ratio")

    def test_the_rules_pyrra_writes_for_a_bucket_total_are_the_slos(self):
        # An SLO whose spec's total is the +Inf bucket: Pyrra writes le="+Inf" (the total's matcher) onto every rule,
        # the success increase rule's too, whose threshold's le it overwrites.
        rules = [self.series(1.0, __name__="req:increase4w", slo="api", job="api", le="+Inf")]
        window = self.measure(
            "1h",
            {"total": [self.series(10.0)], "rules": rules},
            total='req_bucket{job="api", le="+Inf"}',
            indicator="latency",
        )
        assert window.error_ratio is None and "indicator: latency, a Pyrra latency SLO" in window.note, window.note

    @pytest.mark.parametrize("indicator", [None, "ratio"])
    def test_a_bucket_totals_le_on_the_increase_rule_tells_no_latency_slo(self, indicator):
        # Pyrra writes pyrra.total's le="+Inf" onto every rule of the SLO, a ratio SLO's too: the le found is no
        # success rule's. Still no data (a latency SLO's burnrate group may have stopped), but the note says so and
        # what a ratio SLO writes. Before: "its success increase rule has an le", and with indicator: ratio, "set
        # indicator: latency", for a ratio SLO whose clean windows were then no data at every evaluation.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", le="+Inf")],
                "latency_rule": [self.series(1.0)],
            },
            total='req_bucket{job="api", le="+Inf"}',
            **({} if indicator is None else {"indicator": indicator}),
        )
        assert window.error_ratio is None, window.note
        assert 'an increase rule of the SLO has an le, which may be pyrra.total\'s le="+Inf"' in window.note
        assert "set pyrra.errors (the SLO's indicator.ratio.errors.metric) if it is a ratio SLO" in window.note
        assert "set indicator: latency" not in window.note, window.note

    def test_a_count_totals_le_on_the_increase_rule_is_the_success_rules(self):
        # pyrra.total a _count has no le: one on an increase rule is the success bucket's, a latency SLO's.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", le="0.5")],
                "latency_rule": [self.series(1.0)],
            },
            total='req_count{job="api"}',
        )
        assert window.error_ratio is None, window.note
        assert "series although pyrra.total counts traffic: its success increase rule has an le: a Pyrra latency" in (
            window.note
        ), window.note

    def test_a_series_carrying_the_empty_matchers_label_is_another_slos(self):
        # The existing rule for a contradicted label: a value where the total's matcher asks for none.
        with pytest.raises(CheckMisconfigured, match=re.escape('its handler="/x" is not pyrra.total\'s handler=""')):
            self.measure(
                "1h",
                {
                    "total": [self.series(10.0)],
                    "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", handler="/x")],
                    "errors": [self.series(0.0)],
                },
                total='req_total{job="api", handler=""}',
                errors='req_total{job="api", handler="", code=~"5.."}',
            )


class TestPyrraSupersetTwin:
    """A same-name Pyrra SLO whose total adds a matcher to pyrra.total's writes every label the SLO's rules carry and
    that matcher's besides: a label none of the check's fields name makes the series another SLO's, or ambiguous."""

    measure = staticmethod(TestPyrraReaderMeasure.measure)
    series = staticmethod(TestPyrraReaderMeasure.series)
    OURS = {"total": 'req_total{job="api"}', "errors": 'req_total{job="api", code=~"5.."}'}

    def test_a_burnrate_with_a_label_no_field_names_is_not_judged_as_the_slos(self):
        # Another namespace's SLO api over {job="api", handler="/x"}, healthy (0), is all that records here: this SLO's
        # rules are not loaded. Before: its 0 was this SLO's burn, a pass at 0x whatever this service does.
        with pytest.raises(CheckMisconfigured) as raised:
            self.measure(
                "1h",
                {"ratio": [self.series(0.0, slo="api", job="api", handler="/x")], "total": [self.series(10.0)]},
                **self.OURS,
            )
        assert str(raised.value) == (
            'Pyrra SLO {slo="api"}: the burnrate1h series {handler="/x", job="api", slo="api"} may be another SLO\'s: '
            'it has handler="/x", a label that neither pyrra.total\'s equality matchers nor pyrra.selectors nor '
            "pyrra.availability_selectors name, while Pyrra writes onto an SLO's rules only those matchers, its "
            "grouping labels and its propagated (pyrra.dev/) labels: a same-name SLO in another namespace whose total "
            'selects handler="/x" besides pyrra.total\'s matchers writes it, and its series cannot be told from this '
            "SLO's otherwise: if the series is another SLO's, add handler=\"\" to pyrra.selectors; if every series of "
            "this SLO carries it (a grouping or propagated label, or one its ruler or querier adds, as Thanos' "
            'external labels), add handler="/x" to pyrra.selectors'
        )

    def test_two_slos_burnrates_in_one_answer_name_the_other_slo_not_an_aggregation(self):
        # Both SLOs' rules loaded, both record: the answer holds two SLOs' series. Before: "aggregate it to one, e.g.
        # with sum(...)", which would add another SLO's error ratio to this one's.
        both = [self.series(0.05, slo="api", job="api"), self.series(0.0, slo="api", job="api", handler="/x")]
        with pytest.raises(CheckMisconfigured, match=re.escape('add handler="" to pyrra.selectors')) as raised:
            self.measure("1h", {"ratio": both, "total": [self.series(10.0)]}, **self.OURS)
        assert "aggregate" not in str(raised.value)

    @pytest.mark.parametrize(
        ("answers", "fields"),
        [
            # Named by pyrra.selectors: one group of a grouped SLO, or a label the querier adds.
            ({}, {"selectors": 'job="api", handler="/x"'}),
            ({}, {"selectors": 'handler=~"/.+"'}),
            # Named by pyrra.availability_selectors: a propagated label.
            ({}, {"availability_selectors": 'handler="/x"'}),
            # Carried by the SLO's pyrra_availability: propagated (pyrra.dev/handler), or the ruler's or querier's.
            ({"generic_labels": [Series({"slo": "api", "handler": "/x"}, [(1.0, 0.99)])]}, {}),
        ],
    )
    def test_a_label_the_checks_fields_or_the_slos_generic_series_carry_is_the_slos(self, answers, fields):
        window = self.measure(
            "1h",
            {"ratio": [self.series(0.05, slo="api", job="api", handler="/x")], "total": [self.series(10.0)], **answers},
            **self.OURS,
            **fields,
        )
        assert window.error_ratio == 0.05, window.note

    @pytest.mark.parametrize(
        "fields",
        [
            {"selectors": 'handler!="/y"'},
            {"selectors": 'handler=~"/x|"'},
            {"selectors": 'handler=~".*"'},
            {"availability_selectors": 'handler!="/y"'},
        ],
    )
    def test_a_matcher_that_matches_no_label_does_not_name_it(self, fields):
        # handler!="/y" (written to set apart a same-name SLO over handler /y) selects this SLO's series without a
        # handler as well as another's over handler /x: it says nothing of whether this SLO's series carry one.
        # Before: it named handler, and the other SLO's healthy burnrate passed this service at 0x.
        with pytest.raises(CheckMisconfigured, match=re.escape('may be another SLO\'s: it has handler="/x"')):
            self.measure(
                "1h",
                {"ratio": [self.series(0.0, slo="api", job="api", handler="/x")], "total": [self.series(10.0)]},
                **self.OURS,
                **fields,
            )

    def test_the_labels_of_a_regex_total_matcher_on_its_increase_rules_are_the_slos(self):
        # Pyrra groups the increase rules by the total's regex matchers' labels too (slo/rules.go, increaseRulesRatio),
        # even where pyrra.errors lacks them: handler here, code from the errors.
        rules = [self.series(1.0, __name__="req:increase4w", slo="api", job="api", handler="/x", code="200")]
        window = self.measure(
            "1h",
            {"total": [self.series(10.0)], "rules": rules, "errors": [self.series(0.0)]},
            total='req_total{job="api", handler=~"/x|/y"}',
            errors='req_total{job="api", code=~"5.."}',
        )
        assert window.error_ratio == 0.0, window.note

    def test_a_grouped_slos_group_named_in_selectors_as_the_docs_say_is_read(self):
        # Pyrra's grouping: [handler] records a burnrate per handler, each labelled with it (slo/rules.go deletes the
        # grouped label from the rule labels and sums by it); the docs: put the group's labels in selectors.
        groups = [self.series(0.05, slo="api", job="api", handler="/x")]
        window = self.measure(
            "1h", {"ratio": groups, "total": [self.series(10.0)]}, **self.OURS, selectors='job="api", handler="/x"'
        )
        assert window.error_ratio == 0.05, window.note

    def test_a_label_of_the_empty_value_is_no_label(self):
        # Prometheus shows no label of the empty value; an answer spelling one out holds nothing to tell apart.
        window = self.measure(
            "1h",
            {"ratio": [self.series(0.05, slo="api", job="api", handler="")], "total": [self.series(10.0)]},
            **self.OURS,
        )
        assert window.error_ratio == 0.05, window.note

    def test_increase_rules_with_a_label_no_field_names_do_not_prove_the_slos_rules(self):
        # The other SLO without error series (no burnrate), its increase rule alone here. Before: it proved "the"
        # rules, and every window read as zero errors.
        with pytest.raises(
            CheckMisconfigured, match=r'the increase rule series .* may be another SLO\'s: it has handler="/x"'
        ):
            self.measure(
                "1h",
                {
                    "total": [self.series(10.0)],
                    "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", handler="/x")],
                    "errors": [self.series(0.0)],
                },
                **self.OURS,
            )

    def test_the_slos_own_increase_rule_beside_the_other_slos_proves_its_rules(self):
        rules = [
            self.series(1.0, __name__="req:increase4w", slo="api", job="api", handler="/x", code="200"),
            self.series(1.0, __name__="req:increase4w", slo="api", job="api", code="200"),
        ]
        window = self.measure(
            "1h", {"total": [self.series(10.0)], "rules": rules, "errors": [self.series(0.0)]}, **self.OURS
        )
        assert window.error_ratio == 0.0, window.note

    def test_without_pyrra_errors_an_increase_rules_labels_are_asked_of_the_raw_series(self):
        # Pyrra groups the increase rules by the errors' labels the total lacks (code): without pyrra.errors the check
        # cannot know them, so the raw series of the total must show them (see TestPyrraIncreaseRulesWithoutErrors).
        with pytest.raises(UnexplainedLabels) as raised:
            TestPyrraIncreaseRulesWithoutErrors().measure([{"code": "200"}])
        assert raised.value.labels == {"code": "200"} and raised.value.groups == ({"code": "200"},)

    def test_a_declared_latency_slos_increase_rules_are_not_held_to_it(self):
        # Its success increase rule is grouped by the success selector's labels the total lacks (le, and any other),
        # which the check cannot know; an absent burnrate of a latency SLO is no data whatever its increase rules show.
        window = self.measure(
            "1h",
            {
                "total": [self.series(10.0)],
                "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", code="200", le="0.5")],
            },
            total='req_count{job="api"}',
            indicator="latency",
        )
        assert window.error_ratio is None and "indicator: latency" in window.note, window.note

    def test_a_latency_slos_burnrate_is_held_to_it(self):
        with pytest.raises(CheckMisconfigured, match=re.escape('it has handler="/x"')):
            self.measure(
                "1h",
                {"ratio": [self.series(0.0, slo="api", job="api", handler="/x")], "total": [self.series(10.0)]},
                total='req_count{job="api"}',
                indicator="latency",
            )
        window = self.measure(
            "1h",
            {"ratio": [self.series(0.01, slo="api", job="api")], "total": [self.series(10.0)]},
            total='req_count{job="api"}',
            indicator="latency",
        )
        assert window.error_ratio == 0.01, window.note


class TestPyrraVouchedLabels:
    """A label no field names is the SLO's when every raw series of pyrra.total carries it with that value (a Thanos
    external label, an enforced namespace): a same-name SLO whose total adds it selects the same series."""

    series = staticmethod(TestPyrraReaderMeasure.series)
    OURS = {"total": 'req_total{job="api"}', "errors": 'req_total{job="api", code=~"5.."}'}

    def measure(self, answers, vouched=None, **fields):
        sli = make(period="28d", pyrra={"slo": "api", "metric": "req", **self.OURS, **fields}).pyrra
        reader = PyrraReader(sli, {}, parse_duration("28d"), 99.9)
        queries = reader.queries("1h", {}, period=False)
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        return reader.measure("1h", queries, results, vouched)

    def burning(self, **labels):
        return {"ratio": [self.series(0.05, slo="api", job="api", **labels)], "total": [self.series(10.0)]}

    def test_the_error_carries_every_unexplained_label_and_the_totals_selector(self):
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure(self.burning(cluster="eu1", handler="/x"))
        assert raised.value.labels == {"cluster": "eu1", "handler": "/x"}
        assert raised.value.total == 'req_total{job="api"}'
        assert vouch_query(raised.value, 4 * 86400.0) == (
            'count by (cluster, handler) (last_over_time(req_total{job="api"}[4d]))'
        )

    def test_a_vouched_label_with_its_value_is_the_slos(self):
        window = self.measure(self.burning(cluster="eu1"), {"cluster": "eu1"})
        assert window.error_ratio == 0.05, window.note

    @pytest.mark.parametrize(
        ("labels", "vouched"),
        [
            # Vouched with another value: the raw series carry cluster="eu2", the rule series eu1.
            ({"cluster": "eu1"}, {"cluster": "eu2"}),
            # One of two labels vouched: handler still tells another SLO.
            ({"cluster": "eu1", "handler": "/x"}, {"cluster": "eu1"}),
            ({"handler": "/x"}, {}),
        ],
    )
    def test_a_label_not_vouched_with_its_value_is_still_refused(self, labels, vouched):
        with pytest.raises(UnexplainedLabels):
            self.measure(self.burning(**labels), vouched)

    def test_increase_rules_with_a_vouched_label_prove_the_slos_rules(self):
        rule = self.series(1.0, __name__="req:increase4w", slo="api", job="api", code="200", cluster="eu1")
        answers = {"total": [self.series(10.0)], "rules": [rule], "errors": [self.series(0.0)]}
        with pytest.raises(UnexplainedLabels, match="the increase rule series"):
            self.measure(answers)
        assert self.measure(answers, {"cluster": "eu1"}).error_ratio == 0.0
        # The SLO's own increase rule, once vouched, proves its rules beside a same-name SLO's of another job.
        other = self.series(1.0, __name__="req:increase4w", slo="api", job="web", code="200", cluster="eu1")
        answers["rules"] = [other, rule]
        assert self.measure(answers, {"cluster": "eu1"}).error_ratio == 0.0

    @pytest.mark.parametrize(
        ("raw", "vouched"),
        [
            # Every raw series carries cluster="eu1" (count by (cluster) answers one series): vouched.
            ([{"cluster": "eu1"}], {"cluster": "eu1"}),
            # A raw series without it, or with another value: the other SLO's total selects fewer series.
            ([{"cluster": "eu1"}, {}], {}),
            ([{"cluster": "eu1"}, {"cluster": "eu2"}], {}),
            ([{"cluster": "eu2"}], {}),
            # No raw series over the window: nothing shows which series the SLO's total selects.
            ([], {}),
        ],
    )
    def test_vouched_by_the_raw_series_of_the_total(self, raw, vouched):
        unexplained = UnexplainedLabels("refused", {"cluster": "eu1"}, 'req_total{job="api"}')
        answer = QueryResult("q", "vector", [Series(labels, [(1.0, 3.0)]) for labels in raw])
        assert vouched_by(unexplained, answer) == vouched

    def test_a_partial_answer_vouches_for_nothing(self):
        # A Thanos store down: the raw series it holds, without cluster="eu1" perhaps, are missing from the answer.
        unexplained = UnexplainedLabels("refused", {"cluster": "eu1"}, 'req_total{job="api"}')
        series = [Series({"cluster": "eu1"}, [(1.0, 3.0)])]
        answer = QueryResult("q", "vector", series, ["partial response: store 2 down"])
        assert vouched_by(unexplained, answer) == {}
        # PromQL's own annotations judge the query, not the data.
        answer = QueryResult("q", "vector", series, ["PromQL warning: something"])
        assert vouched_by(unexplained, answer) == {"cluster": "eu1"}

    @pytest.mark.parametrize("labels", [{"cluster": "eu1", "handler": "/x"}, {"handler": "/x", "cluster": "eu1"}])
    def test_the_error_names_every_unexplained_label(self, labels):
        # Before: it named handler="/x" alone, and the user who wrote it met cluster="eu1" at the next run. By name,
        # whatever order the answer holds them in.
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure(self.burning(**labels))
        message = str(raised.value)
        assert 'it has cluster="eu1", handler="/x", labels that neither' in message
        assert 'add cluster="" or handler="" to pyrra.selectors (one this SLO\'s series lack)' in message
        assert message.endswith('add cluster="eu1", handler="/x" to pyrra.selectors')

    def test_several_labels_are_vouched_only_together(self):
        unexplained = UnexplainedLabels("refused", {"cluster": "eu1", "handler": "/x"}, 'req_total{job="api"}')
        both = QueryResult("q", "vector", [Series({"cluster": "eu1", "handler": "/x"}, [(1.0, 3.0)])])
        assert vouched_by(unexplained, both) == {"cluster": "eu1", "handler": "/x"}
        split = [Series({"cluster": "eu1", "handler": "/x"}, [(1.0, 3.0)]), Series({"cluster": "eu1"}, [(1.0, 1.0)])]
        assert vouched_by(unexplained, QueryResult("q", "vector", split)) == {}


class TestPyrraIncreaseRulesWithoutErrors:
    """Without pyrra.errors, increase rule series (no burnrate recorded) are the SLO's own only when every raw series of
    pyrra.total carries, of the labels no field names and of its regex matchers' labels, values some rule series
    carries: a same-name SLO whose total adds or drops a matcher records others, and its absent burnrate is no zero."""

    series = staticmethod(TestPyrraReaderMeasure.series)
    answered = staticmethod(TestPyrraReaderMeasure.answered)

    def measure(
        self,
        rules,
        vouched=None,
        total='req_total{job="api"}',
        latency=0.0,
        part="rules",
        window="1h",
        vouched_s=None,
        pending="",
        **fields,
    ):
        """The window (1h unless given) with increase rule series of SLO api over job api carrying `rules`' labels
        besides (`latency`: the latency_rule query's answer, 1 for an increase rule with an le)."""
        sli = make(period="28d", pyrra={"slo": "api", "metric": "req", "total": total, **fields}).pyrra
        reader = PyrraReader(sli, {}, parse_duration("28d"), 99.9)
        queries = reader.queries(window, {}, period=False)
        found = [self.series(1.0, __name__="req:increase4w", slo="api", job="api", **labels) for labels in rules]
        answers = {
            "total": [self.series(10.0)],
            part: found,
            "generic_now": [self.series(0.0, slo="api")],
            "latency_rule": [self.series(latency)],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        return reader.measure(window, queries, results, vouched, vouched_s=vouched_s, pending=pending)

    def test_a_same_name_slo_whose_total_adds_a_matcher_is_asked_about(self):
        # Before: no label was held against an increase rule without pyrra.errors: this one proved "the" rules and
        # the absent burnrate read as zero errors, a pass at 0x whatever this service does.
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure([{"code": "200", "handler": "/x"}, {"code": "500", "handler": "/x"}])
        assert raised.value.labels == {"code": "", "handler": "/x"}
        assert raised.value.groups == ({"code": "200", "handler": "/x"}, {"code": "500", "handler": "/x"})
        assert vouch_query(raised.value, 4 * 86400.0) == (
            'count by (code, handler) (last_over_time(req_total{job="api"}[4d]))'
        )
        assert str(raised.value).startswith(
            'Pyrra SLO {slo="api"}: no burnrate1h series, and the increase rule series found (req:increase4w{code="200"'
        )
        assert 'they carry code="200"/"500", handler="/x", which no field of the check names' in str(raised.value)
        assert str(raised.value).endswith(
            "set pyrra.errors (the SLO's indicator.ratio.errors.metric, which `analyzer import` writes): the check "
            "then judges a window without a burnrate series by the raw errors"
        )

    def test_five_minute_increase_rules_alone_are_held_to_the_raw_series_of_five_minutes(self):
        # performanceOverAccuracy, its rule over the SLO window elsewhere: increase5m groups the last 5 minutes' series
        # alone. Before: asked over 4d, a code whose series ended an hour ago refused the SLO's own rules.
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure([{"code": "200"}], part="rules_5m")
        assert raised.value.range_s == 300.0
        assert raised.value.rules == 'req:increase5m{slo="api"}'
        # Over their 5 minutes, the series they can group (two samples): not a target scraped every 5m or less often.
        assert vouch_query(raised.value, 300.0) == 'count by (code) (count_over_time(req_total{job="api"}[5m]) > 1)'
        assert vouch_query(raised.value, 4 * 86400.0) == 'count by (code) (last_over_time(req_total{job="api"}[4d]))'
        # And how many it cannot group though they are not new: a target scraped every 5m, whose errors go unseen.
        assert blind_query(raised.value.total, 300.0) == (
            'count(count_over_time(req_total{job="api"}[5m]) < 2 and count_over_time(req_total{job="api"}[5m] '
            "offset 5m) < 3)"
        )
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure([{"code": "200"}])
        assert raised.value.range_s is None
        assert raised.value.rules == 'req:increase4w{slo="api"}'

    @pytest.mark.parametrize("window", ["1h", "30m"])
    def test_raw_series_vouched_over_five_minutes_prove_no_longer_window(self, window):
        # A same-name SLO whose total adds handler="/x": over the last 5 minutes every raw series carries it, over the
        # hour /y's errors (ended since) too. Before: those 5 minutes vouched for the hour, read as zero errors.
        measured = self.measure(
            [{"code": "200", "handler": "/x"}],
            {"code": "200", "handler": "/x"},
            window=window,
            vouched_s=300.0,
            part="rules_5m",
        )
        assert measured.error_ratio is None and measured.recorded_absent, measured
        assert measured.note.startswith(
            f"no data (no burnrate{window} series, and the increase rule series found "
            'carry code="200", handler="/x", which no field of the check names'
        )
        assert f"over the last 5m only, not over {window}" in measured.note and "set pyrra.errors" in measured.note
        # What those series are: the 5m rules group none with fewer than two samples there, ended or alive.
        assert (
            "every raw series of pyrra.total they can group (two samples in 5m) carries values some of them carry "
            f"over the last 5m only, not over {window}, where it selected series they do not group now (ended since, "
            "or scraped too seldom to hold two samples in 5m):"
        ) in measured.note

    @pytest.mark.parametrize(("window", "vouched_s"), [("5m", 300.0), ("30m", 1800.0), ("1h", None), ("1h", 3600.0)])
    def test_raw_series_vouched_over_a_window_prove_it(self, window, vouched_s):
        measured = self.measure(
            [{"code": "200", "handler": "/x"}],
            {"code": "200", "handler": "/x"},
            window=window,
            vouched_s=vouched_s,
            part="rules_5m",
        )
        assert measured.error_ratio == 0.0, measured.note

    def test_rules_vouched_only_once_they_evaluate_again_prove_nothing_yet(self):
        measured = self.measure([{"code": "200"}], {"code": "200"}, pending="values born since")
        assert measured.error_ratio is None and measured.note == "no data (no burnrate1h series, and values born since)"
        # Not vouched at all: refused as before, pending or not.
        with pytest.raises(UnexplainedLabels):
            self.measure([{"code": "200"}], {}, pending="values born since")

    @pytest.mark.parametrize("window", ["5m", "6h"])
    def test_rules_vouched_only_once_they_evaluate_again_explain_no_burnrate(self, window):
        # A same-name SLO whose total adds handler="/x" (its burnrate over the windows its errors still span): its
        # increase rules, waiting for values born since, vouched for handler="/x". Before: its burnrate read as this
        # SLO's zero errors where the unproven rules had been check_misconfigured.
        reader, queries, results = self.answered(window, [self.series(0.0, slo="api", job="api", handler="/x")])
        vouched = {"code": "200", "handler": "/x"}
        with pytest.raises(UnexplainedLabels) as raised:
            reader.measure(window, queries, results, vouched, pending="values born since")
        assert raised.value.labels == {"handler": "/x"} and raised.value.rules == ""
        # Vouched for by the raw series: this SLO's as before.
        assert reader.measure(window, queries, results, vouched).error_ratio == 0.0

    @pytest.mark.parametrize(
        ("window", "vouched_s", "pending", "lasting", "read"),
        [
            # Vouched over the last 5 minutes: a 5m burnrate, not a 6h one (the same-name SLO whose total adds
            # handler="/x" leaves out /y's errors, ended an hour ago). Before: read as this SLO's 0x.
            ("5m", 300.0, "", None, True),
            ("6h", 300.0, "", None, False),
            ("6h", 21600.0, "", None, True),
            ("6h", None, "", None, True),
            # Pending: no burnrate, of any window.
            ("5m", None, "values born since", None, False),
            # The label asked over the longest window: every window's.
            ("6h", 300.0, "", {"handler": "/x"}, True),
            ("6h", None, "values born since", {"handler": "/x"}, True),
            ("6h", 300.0, "", {"handler": "/y"}, False),
        ],
    )
    def test_a_burnrate_is_explained_by_labels_vouched_over_its_window_only(
        self, window, vouched_s, pending, lasting, read
    ):
        reader, queries, results = self.answered(window, [self.series(0.0, slo="api", job="api", handler="/x")])
        vouched = {"code": "200", "handler": "/x"}

        def measure():
            return reader.measure(
                window, queries, results, vouched, vouched_s=vouched_s, pending=pending, lasting=lasting
            )

        if read:
            assert measure().error_ratio == 0.0
        else:
            with pytest.raises(UnexplainedLabels) as raised:
                measure()
            assert raised.value.labels == {"handler": "/x"} and raised.value.range_s is None

    @pytest.mark.parametrize(
        ("window", "brief", "brief_s", "read"),
        [
            # The burnrate's label every raw series carries over the last 6h only (a cluster gone since): a 6h or
            # shorter burnrate is the SLO's, a 1d one no data. Before: check_misconfigured for every window.
            ("6h", {"cluster": "eu1"}, {"cluster": 21600.0}, 0.25),
            ("2h", {"cluster": "eu1"}, {"cluster": 21600.0}, 0.25),
            ("1d", {"cluster": "eu1"}, {"cluster": 21600.0}, None),
            # Another value, or nothing asked: refused as before.
            ("6h", {"cluster": "us1"}, {"cluster": 21600.0}, UnexplainedLabels),
            ("1d", {"cluster": "us1"}, {"cluster": 21600.0}, UnexplainedLabels),
            ("6h", {}, None, UnexplainedLabels),
            # A burnrate without the label needs no vouch, over any window.
            ("1d", {"cluster": "eu1"}, {"cluster": 21600.0}, "no label"),
        ],
    )
    def test_a_burnrates_label_vouched_over_a_shorter_window_reads_the_windows_within_it(
        self, window, brief, brief_s, read
    ):
        labels = {} if read == "no label" else {"cluster": "eu1"}
        reader, queries, results = self.answered(window, [self.series(0.25, slo="api", job="api", **labels)])
        read = 0.25 if read == "no label" else read

        def measure():
            return reader.measure(window, queries, results, {}, brief=brief, brief_s=brief_s)

        if read is UnexplainedLabels:
            with pytest.raises(UnexplainedLabels) as raised:
                measure()
            assert raised.value.window_s == parse_duration(window) and raised.value.rules == ""
            return
        measured = measure()
        assert measured.error_ratio == read, measured.note
        if read is None:
            assert measured.note == (
                'no data (the burnrate1d series carry cluster="eu1", which no field of the check names: every raw '
                'series of pyrra.total carries cluster="eu1" over the last 6h only, not over 1d, where it selected '
                "series without it that hold no sample over the last 6h (ended since, or scraped less often): a "
                "same-name SLO whose total adds it leaves them out; if every series of this SLO carries it now, add "
                'cluster="eu1" to pyrra.selectors)'
            )

    # cluster="eu1" vouched over the last 1h (a burnrate1h asked), region="r" over the last 1d (a burnrate1d asked).
    BRIEF = {"cluster": "eu1", "region": "r"}
    BRIEF_S = {"cluster": 3600.0, "region": 86400.0}

    @pytest.mark.parametrize(
        ("window", "labels", "read"),
        [
            # Each label proves the burnrates within its own range. Before: both over the shorter 1h, so the 2h and
            # 1d burnrates of the region="r" SLO were no data, and its firing 1d/2h ticket tier inconclusive.
            ("2h", {"region": "r"}, 0.25),
            ("1d", {"region": "r"}, 0.25),
            ("1h", {"cluster": "eu1", "region": "r"}, 0.25),
            ("2h", {"cluster": "eu1"}, None),
            ("4d", {"region": "r"}, None),
        ],
    )
    def test_each_briefly_vouched_label_proves_the_windows_within_its_own_range(self, window, labels, read):
        reader, queries, results = self.answered(window, [self.series(0.25, slo="api", job="api", **labels)])
        measured = reader.measure(window, queries, results, {}, brief=self.BRIEF, brief_s=self.BRIEF_S)
        assert measured.error_ratio == read, measured.note

    @pytest.mark.parametrize(
        ("window", "labels", "carried", "over", "shortest"),
        [
            # The window's own labels alone. Before: every label vouched briefly, with the shortest range.
            ("6h", {"cluster": "eu1"}, 'cluster="eu1"', 'cluster="eu1" over the last 1h', "1h"),
            ("4d", {"region": "r"}, 'region="r"', 'region="r" over the last 1d', "1d"),
            ("1d", {"cluster": "eu1", "region": "r"}, 'cluster="eu1"', 'cluster="eu1" over the last 1h', "1h"),
            (
                "4d",
                {"cluster": "eu1", "region": "r"},
                'cluster="eu1", region="r"',
                'cluster="eu1" over the last 1h and region="r" over the last 1d',
                "1h",
            ),
        ],
    )
    def test_a_briefly_vouched_windows_note_names_its_own_labels_with_their_ranges(
        self, window, labels, carried, over, shortest
    ):
        reader, queries, results = self.answered(window, [self.series(0.25, slo="api", job="api", **labels)])
        measured = reader.measure(window, queries, results, {}, brief=self.BRIEF, brief_s=self.BRIEF_S)
        it = "it" if "," not in carried else "them"
        assert measured.error_ratio is None
        assert measured.note == (
            f"no data (the burnrate{window} series carry {carried}, which no field of the check names: every raw "
            f"series of pyrra.total carries {over} only, not over {window}, where it selected series without {it} "
            f"that hold no sample over the last {shortest} (ended since, or scraped less often): a same-name SLO "
            f"whose total adds {it} leaves them out; if every series of this SLO carries {it} now, add {carried} to "
            "pyrra.selectors)"
        )

    def test_a_burnrates_brief_vouch_proves_no_increase_rules(self):
        # With pyrra.errors, increase rules (no burnrate) carrying the label: the 4w rule covers more than the 6h
        # over which the raw series carried it, so they are asked of as before (mut29: kills the brief branch taken
        # without a burnrate found).
        pyrra = {"slo": "api", "metric": "req", "total": 'req_total{job="api"}', "errors": 'req_total{code="500"}'}
        reader = PyrraReader(make(period="28d", pyrra=pyrra).pyrra, {}, parse_duration("28d"), 99.9)
        queries = reader.queries("1h", {}, period=False)
        answers = {
            "rules": [self.series(1.0, __name__="req:increase4w", slo="api", job="api", cluster="eu1")],
            "total": [self.series(10.0)],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        with pytest.raises(UnexplainedLabels) as raised:
            reader.measure("1h", queries, results, {}, brief={"cluster": "eu1"}, brief_s={"cluster": 21600.0})
        assert raised.value.labels == {"cluster": "eu1"} and raised.value.window_s is None

    def test_a_burnrate_contradicting_the_total_is_refused_whatever_was_vouched_briefly(self):
        reader, queries, results = self.answered("1d", [self.series(0.0, slo="api", job="web", cluster="eu1")])
        with pytest.raises(CheckMisconfigured) as raised:
            reader.measure("1d", queries, results, {}, brief={"cluster": "eu1"}, brief_s={"cluster": 21600.0})
        assert 'its job="web" is not pyrra.total\'s job="api"' in str(raised.value)

    @pytest.mark.parametrize("errors", ['req_total{code="500"}', None])
    @pytest.mark.parametrize(("window", "count", "blind"), [("5m", 1.0, True), ("5m", 0.0, False), ("1h", None, False)])
    def test_a_window_blind_to_a_raw_series_says_so(self, errors, window, count, blind):
        # A target scraped every 5 minutes: rate() over 5m counts none of its errors, in the burnrate as in the raw
        # errors; with pyrra.errors or without (a burnrate5m recorded from the other targets' errors). Before: the 5m
        # window read as any other, and the 1h/5m page tier judged "not firing" at 19x over 1h.
        pyrra = {"slo": "api", "metric": "req", "total": 'req_total{job="api"}'}
        if errors is not None:
            pyrra["errors"] = errors
        reader = PyrraReader(make(period="28d", pyrra=pyrra).pyrra, {}, parse_duration("28d"), 99.9)
        queries = reader.queries(window, {}, period=False)
        assert ("blind" in queries) is (window == "5m")
        answers = {"ratio": [self.series(0.0, slo="api", job="api")], "total": [self.series(10.0)]}
        if count is not None:
            answers["blind"] = [self.series(count)]
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        measured = reader.measure(window, queries, results)
        # The ratio stays: settle_blind tells whether a tier may read it.
        assert measured.error_ratio == 0.0, measured.note
        assert bool(measured.blind) is blind, measured.blind
        if blind:
            assert measured.blind.startswith("1 raw series of pyrra.total hold a single sample over the last 5m")

    @pytest.mark.parametrize(("answer", "blind"), [([], False), ([0.0], False), ([1.0], True), ([3.0], True)])
    def test_a_series_the_five_minute_rules_cannot_group_leaves_their_windows_unproven(self, answer, blind):
        note = blind_note(QueryResult("q", "vector", [self.series(value) for value in answer]), 300.0)
        assert bool(note) is blind, note
        if blind:
            assert note.startswith(f"{answer[0]:g} raw series of pyrra.total hold a single sample over the last 5m")
            assert note.endswith("scrape those targets at least twice per 5m")

    def test_rules_vouched_for_by_the_raw_series_prove_zero_errors(self):
        window = self.measure([{"code": "200"}, {"code": "500"}], {"code": ""})
        assert window.error_ratio == 0.0, window.note
        window = self.measure([{"code": "200", "handler": "/x"}], {"code": "200", "handler": "/x"})
        assert window.error_ratio == 0.0, window.note

    @pytest.mark.parametrize(
        "vouched",
        [
            {},
            # A burnrate's vouched label alone, or with another value: not these rules' labels.
            {"code": "200"},
            {"code": "500", "handler": "/x"},
        ],
    )
    def test_rules_not_vouched_for_are_refused(self, vouched):
        with pytest.raises(UnexplainedLabels):
            self.measure([{"code": "200", "handler": "/x"}], vouched)

    @pytest.mark.parametrize("matcher", ['handler=~"/y"', 'handler!~"/x"'])
    def test_a_regex_matchers_label_is_asked_even_where_the_rules_lack_it(self, matcher):
        # This SLO's rules are grouped by handler (the total's regex matcher); a same-name SLO's over the whole job lack
        # it. Before: nothing was held against them, a pass at 0x.
        with pytest.raises(UnexplainedLabels, match=re.escape('they carry code="200", handler=(none)')) as raised:
            self.measure([{"code": "200"}], total=f'req_total{{job="api", {matcher}}}')
        assert raised.value.groups == ({"code": "200", "handler": ""},)

    def test_a_label_of_the_empty_value_is_not_asked(self):
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure([{"code": "200", "handler": ""}])
        assert raised.value.groups == ({"code": "200"},)

    @pytest.mark.parametrize("vouched", [None, {"cluster": "eu1"}])
    def test_rules_whose_every_asked_label_differs_among_them_are_refused_unvouched(self, vouched):
        # Their labels as one mapping hold "" alone ({code: ""}): nothing in it is a value to match, but the raw series
        # must still show codes the rules carry (another window's burnrate vouched for another label, or none).
        with pytest.raises(UnexplainedLabels) as raised:
            self.measure([{"code": "200"}, {"code": "500"}], vouched)
        assert raised.value.labels == {"code": ""}

    def test_another_slos_increase_rule_series_are_no_group_of_this_slos(self):
        # A series of job web contradicts pyrra.total's job="api": its code="404" is no value the raw series may show.
        sli = make(period="28d", pyrra={"slo": "api", "metric": "req", "total": 'req_total{job="api"}'}).pyrra
        reader = PyrraReader(sli, {}, parse_duration("28d"), 99.9)
        queries = reader.queries("1h", {}, period=False)
        rules = [
            self.series(1.0, __name__="req:increase4w", slo="api", job="api", code="200"),
            self.series(1.0, __name__="req:increase4w", slo="api", job="web", code="404"),
        ]
        answers = {"total": [self.series(10.0)], "rules": rules, "latency_rule": [self.series(0.0)]}
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        with pytest.raises(UnexplainedLabels) as raised:
            reader.measure("1h", queries, results)
        assert raised.value.groups == ({"code": "200"},)

    def test_rules_with_no_label_to_ask_beside_another_windows_vouched_burnrate_are_the_slos(self):
        # A burnrate of another window had cluster="eu1" vouched for; these increase rules carry nothing to ask.
        window = self.measure([{}], {"cluster": "eu1"})
        assert window.error_ratio == 0.0, window.note

    @staticmethod
    def raw(*codes, warnings=()):
        return QueryResult("q", "vector", [Series({"code": code}, [(1.0, 1.0)]) for code in codes], list(warnings))

    def test_a_value_born_since_the_rules_last_evaluation_waits_for_the_next(self):
        # code="404" appeared after the increase group last evaluated: the rules cannot carry it yet. Before: an error
        # (check_misconfigured, "set pyrra.errors") until the group evaluated again.
        unexplained = UnexplainedLabels("refused", {"code": ""}, 'req_total{job="api"}', [{"code": "200"}], rules="r")
        note = newborn_note(unexplained, self.raw("200", "404"), self.raw("200"), 42.4)
        assert note.startswith('pyrra.total\'s raw series carry code="404", which none of the increase rule series')
        assert "at their last evaluation (42 s before the evaluation time)" in note
        assert "wait for the next rule evaluation" in note

    @pytest.mark.parametrize(
        ("now", "seen"),
        [
            # The rules could group code="404" at their last evaluation and did not: another SLO's.
            (("200", "404"), ("200", "404")),
            # Nothing born since that they lack.
            (("200",), ("200",)),
            # Nothing the rules could group then: nothing shows them this SLO's.
            (("200", "404"), ()),
        ],
    )
    def test_a_value_the_rules_could_have_grouped_is_not_waited_for(self, now, seen):
        unexplained = UnexplainedLabels("refused", {"code": ""}, 'req_total{job="api"}', [{"code": "200"}], rules="r")
        assert newborn_note(unexplained, self.raw(*now), self.raw(*seen), 10.0) == ""

    def test_a_partial_answer_of_what_the_rules_could_group_shows_no_value_born_since(self):
        # A store down may hold the raw series with code="404" that the rules could have grouped then.
        unexplained = UnexplainedLabels("refused", {"code": ""}, "t", [{"code": "200"}], rules="r")
        partial = self.raw("200", warnings=["partial response: store 2 down"])
        assert newborn_note(unexplained, self.raw("200", "404"), partial, 1.0) == ""

    def test_the_rules_last_evaluation_and_what_they_could_group_then_are_asked(self):
        unexplained = UnexplainedLabels(
            "refused", {"code": "", "handler": "/x"}, 'req_total{job="api"}', rules='req:increase5m{slo="api"}'
        )
        assert evaluated_query(unexplained) == 'max(timestamp(req:increase5m{slo="api"}))'
        assert seen_query(unexplained, 300.0, 1796614860.5) == (
            'count by (code, handler) (count_over_time(req_total{job="api"}[5m] @ 1796614860.500) > 1)'
        )

    def test_a_raw_series_without_a_label_matches_a_group_without_it(self):
        unexplained = UnexplainedLabels(
            "refused", {"code": "200", "handler": ""}, "t", [{"code": "200", "handler": ""}]
        )
        answer = QueryResult("q", "vector", [Series({"code": "200"}, [(1.0, 3.0)])])
        assert vouched_by(unexplained, answer) == {"code": "200", "handler": ""}

    @pytest.mark.parametrize("matcher", ['handler!="/x"', 'handler=""'])
    def test_a_total_matcher_pyrra_writes_nowhere_cannot_be_proven(self, matcher):
        # A same-name SLO whose total lacks it records the very same labels: nothing proves the rules this SLO's.
        with pytest.raises(CheckMisconfigured, match=re.escape(f"pyrra.total's {matcher} leaves no label")) as raised:
            self.measure([{"code": "200"}], total=f'req_total{{job="api", {matcher}}}')
        assert not isinstance(raised.value, UnexplainedLabels)
        assert "set pyrra.errors" in str(raised.value)

    def test_rules_with_every_label_named_need_no_raw_series(self):
        window = self.measure([{"code": "200"}], total='req_total{job="api", code="200"}')
        assert window.error_ratio == 0.0, window.note

    def test_a_declared_latency_slo_is_not_asked(self):
        window = self.measure([{"le": "0.5", "code": "200"}], total='req_count{job="api"}', indicator="latency")
        assert window.error_ratio is None, window.note

    def test_an_le_is_not_asked_about(self):
        # An increase rule with an le makes the window no data whatever SLO it is (a latency SLO's success rule).
        window = self.measure([{"le": "0.5"}], total='req_count{job="api"}', latency=1.0)
        assert window.error_ratio is None, window.note

    @pytest.mark.parametrize(
        ("raw", "vouched"),
        [
            ([{"code": "200"}, {"code": "500"}], {"code": ""}),
            ([{"code": "200"}], {"code": ""}),
            # A raw series with a code no rule series carries, or without code: another SLO's rules.
            ([{"code": "200"}, {"code": "404"}], {}),
            ([{"code": "200"}, {}], {}),
            ([], {}),
        ],
    )
    def test_vouched_by_every_raw_series_in_a_group(self, raw, vouched):
        groups = [{"code": "200"}, {"code": "500"}]
        unexplained = UnexplainedLabels("refused", {"code": ""}, 'req_total{job="api"}', groups)
        answer = QueryResult("q", "vector", [Series(labels, [(1.0, 3.0)]) for labels in raw])
        assert vouched_by(unexplained, answer) == vouched


class TestSameObjective:
    """The objective an SLO tool records (a ratio) must be the check's (percent) up to float noise: another one
    judges burn against another budget than the SLO's alerts."""

    QUERY = 'slo:objective:ratio{sloth_id="svc-slo"}'

    def results(self, value):
        series = [] if value is None else [Series({}, [(1.0, value)])]
        return {self.QUERY: QueryResult(self.QUERY, "vector", series)}

    @pytest.mark.parametrize(
        ("recorded", "objective"),
        [(0.9990000000000001, 99.9), (0.999, 99.9), (0.9995000000000001, 99.95), (0.99, 99), (0.9, 90)],
    )
    def test_the_same_objective_up_to_float_noise_passes(self, recorded, objective):
        same_objective("Sloth", "slo:objective:ratio", self.QUERY, self.results(recorded), objective)

    @pytest.mark.parametrize("objective", [99.99999999, 99.9999999999])
    def test_many_nines_as_the_tools_record_them_pass(self, objective):
        # Sloth (`objective / 100`, printed with %g) and Pyrra (its target parsed, / 100) record this float: its
        # error of about 1e-16 is a millionth of a budget of 1e-10 (relative to the budget it was a mismatch).
        same_objective("Sloth", "slo:objective:ratio", self.QUERY, self.results(objective / 100), objective)

    @pytest.mark.parametrize(
        ("recorded", "objective"),
        # A budget 10x larger (the fail-open), 10x smaller, 2x either way, one a millionth apart, and 10x at
        # twelve nines (where float noise is no longer far below a millionth of the budget).
        [
            (0.999, 99),
            (0.99, 99.9),
            (0.999, 99.95),
            (0.9995, 99.9),
            (0.999, 99.900001),
            (0.99999999999, 99.9999999999),
            (0.999999999999, 99.999999999),
        ],
    )
    def test_another_objective_is_misconfigured(self, recorded, objective):
        with pytest.raises(CheckMisconfigured) as caught:
            same_objective("Sloth", "slo:objective:ratio", self.QUERY, self.results(recorded), objective)
        assert caught.value.message.startswith(
            f'Sloth SLO {{sloth_id="svc-slo"}} has an objective of {round(recorded * 100, 10):g}% '
        )

    def test_the_refusal_gives_both_budgets_and_the_objective_to_set(self):
        with pytest.raises(CheckMisconfigured) as caught:
            same_objective("Sloth", "slo:objective:ratio", self.QUERY, self.results(0.999), 99)
        assert caught.value.message == (
            'Sloth SLO {sloth_id="svc-slo"} has an objective of 99.9% (slo:objective:ratio 0.999), not the check\'s '
            "objective 99%: the check would judge burn against a budget of 0.01 of events, the SLO's alerts against "
            "0.001; set objective: 99.9"
        )

    @pytest.mark.parametrize("recorded", [None, math.nan])
    def test_an_objective_not_recorded_is_not_compared(self, recorded):
        same_objective("Pyrra", "pyrra_objective", self.QUERY, self.results(recorded), 99)


class TestSlothErrorsMatched:
    """A recorded Sloth ratio whose errors_query holds errors the ratio rule cannot divide by a total is refused."""

    SLOTH = {
        "sloth_id": "svc-slo",
        "total_query": "sum(rate(req_total[{{ window }}]))",
        "errors_query": 'sum by (code) (rate(req_total{code="500"}[{{ window }}])) or vector(0)',
    }

    def measure(self, errors, totals, ratio=0.0, *, gated=False):
        reader = SlothReader(make(period="30d", sloth=self.SLOTH).sloth, {}, parse_duration("30d"), 99.9, gated=gated)
        queries = reader.queries("1h", {}, period=False)
        recorded = [] if ratio is None else [Series({"sloth_id": "svc-slo"}, [(1.0, ratio)])]
        answers = {"ratio": recorded, "errors": errors, "total": totals}
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        return reader.measure("1h", queries, results)

    def test_errors_in_a_series_the_total_lacks_are_refused(self):
        # Sloth's (error_query) / (total_query) matched vector(0)'s 0 alone: ratio_rate1h recorded 0 at 50x.
        errors = [Series({"code": "500"}, [(1.0, 0.5)]), Series({}, [(1.0, 0.0)])]
        with pytest.raises(CheckMisconfigured) as caught:
            self.measure(errors, [Series({}, [(1.0, 10.0)])])
        assert caught.value.message.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: sloth.errors_query counts 0.5 errors/s over 1h in {code="500"}, whose '
            "labels no series of sloth.total_query carries: Sloth records (error_query) / (total_query), which "
            "divides series with the same labels only, so its ratio_rate1h leaves those errors out"
        )

    @pytest.mark.parametrize(
        ("errors", "totals"),
        [
            # The same labels (the metric name aside), or none: the ratio counts them.
            ([Series({}, [(1.0, 0.5)])], [Series({}, [(1.0, 10.0)])]),
            ([Series({"__name__": "x", "code": "500"}, [(1.0, 0.5)])], [Series({"code": "500"}, [(1.0, 10.0)])]),
            # A 0 that matches nothing (`or vector(0)` beside grouped totals) leaves no error out.
            ([Series({}, [(1.0, 0.0)])], [Series({"cluster": "a"}, [(1.0, 10.0)])]),
            # No total answered: nothing to match against (the ratio's own lag), left to the windows' reading.
            ([Series({"code": "500"}, [(1.0, 0.5)])], []),
        ],
    )
    def test_errors_the_ratio_counts_are_read(self, errors, totals):
        assert self.measure(errors, totals, ratio=0.05).error_ratio == 0.05

    @pytest.mark.parametrize("total", [10.0, 0.0])
    def test_a_budget_gate_refuses_errors_at_0_the_ratio_leaves_out(self, total):
        # The rule recorded 0 whenever {code="500"} counted, and ratio_rate30d averages what it recorded: before, PASS
        # "budget remaining 100%". Without a gate the window's 0 stands (it counts no error now).
        errors = [Series({"code": "500"}, [(1.0, 0.0)])]
        with pytest.raises(CheckMisconfigured) as caught:
            self.measure(errors, [Series({}, [(1.0, total)])], gated=True)
        assert caught.value.message.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: sloth.errors_query counts 0 errors/s over 1h in {code="500"}, whose '
        )
        assert (
            "leaves those errors out (so it recorded 0 whenever those errors counted, and the budget remaining cannot "
            "be told from slo:sli_error:ratio_rate30d, Sloth's average of what ratio_rate5m recorded)"
        ) in caught.value.message
        assert self.measure(errors, [Series({}, [(1.0, total)])]).error_ratio == 0.0

    @pytest.mark.parametrize(
        ("errors", "totals"),
        [
            ([Series({}, [(1.0, 0.0)])], [Series({"cluster": "a"}, [(1.0, 10.0)])]),  # vector(0)'s 0: nothing left out
            ([Series({"code": "500"}, [(1.0, 0.0)])], [Series({"code": "500"}, [(1.0, 10.0)])]),  # matched
            ([Series({"code": "500"}, [(1.0, 0.0)])], []),  # no total answered: nothing to match against
        ],
    )
    def test_a_budget_gate_reads_errors_at_0_the_ratio_counts(self, errors, totals):
        assert self.measure(errors, totals, gated=True).error_ratio == 0.0

    @pytest.mark.parametrize("ratio", [0.0, None])
    def test_a_budget_gate_refuses_a_label_less_0_no_fallback_answers(self, ratio):
        # `sum(...)` over `sum by (cluster) (...)`: its label-less series is the query's own whenever it counts, and
        # matches no total then either (the rule records nothing). Before: PASS "budget remaining 100%".
        sloth = {**self.SLOTH, "errors_query": 'sum(rate(req_total{code="500"}[{{ window }}]))'}
        reader = SlothReader(make(period="30d", sloth=sloth).sloth, {}, parse_duration("30d"), 99.9, gated=True)
        queries = reader.queries("1h", {}, period=False)
        recorded = [] if ratio is None else [Series({"sloth_id": "svc-slo"}, [(1.0, ratio)])]
        answers = {
            "ratio": recorded,
            "errors": [Series({}, [(1.0, 0.0)])],
            "total": [Series({"cluster": "a"}, [(1.0, 10.0)])],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        with pytest.raises(CheckMisconfigured) as caught:
            reader.measure("1h", queries, results)
        assert caught.value.message.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: sloth.errors_query counts 0 errors/s over 1h in {}, whose labels no '
            "series of sloth.total_query carries"
        )

    @pytest.mark.parametrize("ratio", [0.0, None])
    def test_a_budget_gate_refuses_a_label_less_0_of_a_side_that_carries_no_label(self, ratio):
        # `sum(...) or vector(0)` over `sum by (cluster) (...)`: fallback or not, its series is label-less whenever it
        # counts, and matches no total then either. Before: PASS "budget remaining 100%".
        sloth = {**self.SLOTH, "errors_query": 'sum(rate(req_total{code="500"}[{{ window }}])) or vector(0)'}
        reader = SlothReader(make(period="30d", sloth=sloth).sloth, {}, parse_duration("30d"), 99.9, gated=True)
        queries = reader.queries("1h", {}, period=False)
        recorded = [] if ratio is None else [Series({"sloth_id": "svc-slo"}, [(1.0, ratio)])]
        answers = {
            "ratio": recorded,
            "errors": [Series({}, [(1.0, 0.0)])],
            "total": [Series({"cluster": "a"}, [(1.0, 10.0)])],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        with pytest.raises(CheckMisconfigured, match="the budget remaining cannot be told"):
            reader.measure("1h", queries, results)

    def test_a_budget_gate_refuses_a_label_less_0_of_a_grouped_query_without_a_fallback(self):
        # `sum by (job) (...)` over series without `job`: one label-less group, the query's own whenever it counts.
        sloth = {**self.SLOTH, "errors_query": 'sum by (job) (rate(req_total{code="500"}[{{ window }}]))'}
        reader = SlothReader(make(period="30d", sloth=sloth).sloth, {}, parse_duration("30d"), 99.9, gated=True)
        queries = reader.queries("1h", {}, period=False)
        answers = {
            "ratio": [],
            "errors": [Series({}, [(1.0, 0.0)])],
            "total": [Series({"cluster": "a"}, [(1.0, 10.0)])],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        with pytest.raises(CheckMisconfigured, match="the budget remaining cannot be told"):
            reader.measure("1h", queries, results)

    def test_a_label_less_fallback_0_of_a_grouped_side_stands(self):
        # `sum by (cluster) (...) or vector(0)` over `sum by (cluster) (...)`: the 0 is the fallback's, counting no
        # error; once errors count they carry `cluster`, which the total matches.
        sloth = {
            **self.SLOTH,
            "errors_query": 'sum by (cluster) (rate(req_total{code="500"}[{{ window }}])) or vector(0)',
            "total_query": "sum by (cluster) (rate(req_total[{{ window }}]))",
        }
        reader = SlothReader(make(period="30d", sloth=sloth).sloth, {}, parse_duration("30d"), 99.9, gated=True)
        queries = reader.queries("1h", {}, period=False)
        answers = {
            "ratio": [Series({"sloth_id": "svc-slo", "cluster": "a"}, [(1.0, 0.0)])],
            "errors": [Series({}, [(1.0, 0.0)])],
            "total": [Series({"cluster": "a"}, [(1.0, 10.0)])],
        }
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        assert reader.measure("1h", queries, results).error_ratio == 0.0


class TestSlothErrorsMatchedUnrecorded:
    """A Sloth window whose ratio rule recorded nothing is held to sloth.errors_query's series as a recorded one is."""

    matched = TestSlothErrorsMatched()

    def test_errors_no_total_matches_are_refused(self):
        # `sum by (code) (...)` without `or vector(0)` over `sum(...)`: Sloth records no ratio at all. Before: no data,
        # "the tool's ratio rule did not record (its rule group stopped evaluating ...)".
        with pytest.raises(CheckMisconfigured) as caught:
            self.matched.measure([Series({"code": "500"}, [(1.0, 0.5)])], [Series({}, [(1.0, 10.0)])], ratio=None)
        assert caught.value.message.startswith(
            'Sloth SLO {sloth_id="svc-slo"}: sloth.errors_query counts 0.5 errors/s over 1h in {code="500"}'
        )

    def test_a_budget_gate_refuses_errors_at_0_no_total_matches(self):
        # Before: zero errors, and the period's absence with it: PASS "budget remaining 100%".
        errors, totals = [Series({"code": "500"}, [(1.0, 0.0)])], [Series({}, [(1.0, 10.0)])]
        with pytest.raises(CheckMisconfigured, match="the budget remaining cannot be told"):
            self.matched.measure(errors, totals, ratio=None, gated=True)
        assert self.matched.measure(errors, totals, ratio=None).error_ratio == 0.0

    def test_matched_errors_read_as_before(self):
        zero = self.matched.measure([Series({}, [(1.0, 0.0)])], [Series({}, [(1.0, 10.0)])], ratio=None, gated=True)
        assert zero.error_ratio == 0.0 and zero.recorded_absent
        stopped = self.matched.measure([Series({}, [(1.0, 0.5)])], [Series({}, [(1.0, 10.0)])], ratio=None)
        assert stopped.error_ratio is None and "the tool's ratio rule did not record" in stopped.note


class TestGateUnasked:
    """A Sloth budget gate whose tiers ask no 5m window asks sloth.errors_query and sloth.total_query over 5m itself."""

    SLOTH = TestSlothErrorsMatched.SLOTH
    SIX_HOURS = [{"long": "6h", "short": "30m", "factor": 6}]

    @pytest.mark.parametrize(
        ("fields", "unasked"),
        [
            ({"tiers": [], "min_budget_remaining": 0}, True),
            ({"tiers": SIX_HOURS, "min_budget_remaining": 0}, True),
            # A tier over 5m asks them already; without a gate no period ratio is judged.
            ({"min_budget_remaining": 0}, False),
            ({"tiers": SIX_HOURS}, False),
        ],
    )
    def test_a_gate_without_a_5m_tier_is_unasked(self, fields, unasked):
        check = make(sloth=self.SLOTH, **fields)
        assert check._gate_unasked(check.plan({})) is unasked

    @pytest.mark.parametrize("warnings", [[], ["store eu1 down"]])
    async def test_its_5m_query_answered_partially_is_an_error(self, aiohttp_server, warnings):
        # A total series missing from a partial answer would hide errors the division leaves out: no evidence.
        fake = GateQueryPrometheus(warnings, value=lambda window, part: "0")
        fields = {"sloth": self.SLOTH, "tiers": [], "min_budget_remaining": 0}
        evaluation = await run_against(aiohttp_server, fake, fields)
        assert fake.gate_asked == 1
        if not warnings:
            assert evaluation.verdict is Outcome.PASS and evaluation.value == 1.0, evaluation.reason
            return
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected", evaluation.reason
        assert evaluation.reason.startswith(
            "the 5m query of sloth.errors_query and sloth.total_query, which tells whether the budget gate's ratio "
            "leaves errors out, may be partial (store eu1 down)"
        ), evaluation.reason

    async def test_errors_at_0_its_5m_query_shows_left_out_are_a_misconfigured_slo(self, aiohttp_server):
        fake = GateQueryPrometheus([], errors_labels={"code": "500"}, value=lambda window, part: "0")
        fields = {"sloth": self.SLOTH, "tiers": [], "min_budget_remaining": 0}
        evaluation = await run_against(aiohttp_server, fake, fields)
        assert evaluation.verdict is Outcome.ERROR and evaluation.error == "check_misconfigured", evaluation.reason
        assert 'sloth.errors_query counts 0 errors/s over 5m in {code="500"}' in evaluation.reason, evaluation.reason

    def test_a_pyrra_gate_is_not_asked(self):
        pyrra = {"slo": "s", "total": "req_total", "errors": 'req_total{code="500"}'}
        check = make(period="28d", pyrra=pyrra, tiers=[], min_budget_remaining=0)
        assert check._gate_unasked(check.plan({})) is False


class TestSlothPeriodAbsent:
    """Sloth's period ratio, absent, reads as zero errors (where no window recorded) only while ratio_rate5m, which
    it averages, recorded nothing in the period."""

    SLOTH = {"sloth_id": "svc-slo", "total_query": "sum(rate(req_total[{{ window }}]))"}

    def measure(self, recorded):
        reader = SlothReader(make(period="30d", sloth=self.SLOTH).sloth, {}, parse_duration("30d"), 99.9)
        queries = reader.queries("30d", {}, period=True)
        assert queries["recorded_5m"] == ('sum(count_over_time(slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}[30d]))')
        answers = {"recorded_5m": recorded}
        results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
        return reader.measure("30d", queries, results)

    def test_a_5m_ratio_recorded_in_the_period_is_no_evidence_of_zero_errors(self):
        period = self.measure([Series({}, [(1.0, 61.0)])])
        assert period.error_ratio is None and not period.recorded_absent
        assert period.note.startswith(
            "no Sloth ratio_rate30d series although slo:sli_error:ratio_rate5m recorded 61 samples within 30d: "
            "Sloth's period rule, their average, did not record"
        )
        # reconcile_absences leaves it unknown beside windows read as zero errors.
        zero = WindowRatio("1h", 0.0, events=36000.0, recorded_absent=True)
        assert reconcile_absences({"1h": zero}, period)[1].error_ratio is None

    def test_no_5m_ratio_in_the_period_leaves_the_absence_to_reconcile(self):
        period = self.measure([])
        assert period.recorded_absent and period.note == "no Sloth ratio_rate30d series"
        zero = WindowRatio("1h", 0.0, events=36000.0, recorded_absent=True)
        assert reconcile_absences({"1h": zero}, period)[1].error_ratio == 0.0

    def test_without_a_total_the_period_asks_nothing_more(self):
        reader = SlothReader(make(period="30d", sloth={"sloth_id": "svc-slo"}).sloth, {}, parse_duration("30d"), 99.9)
        assert "recorded_5m" not in reader.queries("30d", {}, period=True)
        assert "recorded_5m" not in SlothReader(
            make(period="30d", sloth=self.SLOTH).sloth, {}, parse_duration("30d"), 99.9
        ).queries("1h", {}, period=False)


def counts_5m(query):
    """Whether `query` asks how many samples Sloth's ratio_rate5m recorded over the period."""
    return "count_over_time(slo:sli_error:ratio_rate5m" in query


class CountPrometheus(FakePrometheus):
    """A FakePrometheus whose answer to the count of ratio_rate5m samples carries `count_warnings` (a store down)."""

    def __init__(self, count_warnings, **fields):
        super().__init__(expected=1, **fields)
        self.count_warnings = list(count_warnings)

    async def handle(self, request):
        answer = await super().handle(request)
        form = await request.post() if request.method == "POST" else request.query
        if not counts_5m(form["query"]):
            return answer
        body = json.loads(answer.body)
        return web.json_response({**body, "warnings": self.count_warnings})


class DeadlinePrometheus(FakePrometheus):
    """A FakePrometheus that ends its evaluation's deadline (`ctx`'s) as it answers."""

    def __init__(self, **fields):
        super().__init__(expected=1, **fields)
        self.ctx = None

    async def handle(self, request):
        answer = await super().handle(request)
        self.ctx.deadline = asyncio.get_running_loop().time()
        return answer


class TestSlothPeriodCountAskedAfter:
    """Sloth's count of ratio_rate5m samples over the period is asked after the batch, and only when the batch
    answers no period ratio; the verdicts are those it gave riding in the batch."""

    SLOTH = {
        "sloth_id": "svc-slo",
        "total_query": "sum(rate(req_total[{{ window }}]))",
        "errors_query": 'sum(rate(req_total{code="500"}[{{ window }}]))',
    }
    GATE = {"sloth": SLOTH, "tiers": [{"long": "1h", "short": "5m", "factor": 14.4}], "min_budget_remaining": 0}

    @staticmethod
    def answers(recorded):
        """Every window and the period without a ratio series, traffic and no errors, and the count `recorded`."""
        values = {"ratio": None, "total": "10", "errors": "0", "recorded_5m": recorded}
        return lambda window, part: values.get(part, "1")

    async def test_a_present_period_ratio_sends_no_count(self, aiohttp_server):
        # Before: every evaluation's batch carried sum(count_over_time(...[30d])), 86,400 samples read for nothing.
        fake = FakePrometheus(expected=1, value=lambda window, part: "10" if part == "total" else "0")
        evaluation = await run_against(aiohttp_server, fake, self.GATE)
        assert evaluation.verdict is Outcome.PASS and evaluation.details["budget"]["remaining"] == 1.0, (
            evaluation.reason
        )
        assert len(fake.queries) == 1 and not any(counts_5m(q) for q in fake.queries), fake.queries
        assert not any(counts_5m(q) for q in evaluation.details["queries"])

    async def test_an_absent_period_ratio_sends_the_count_after_the_batch(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value=self.answers("61"))
        evaluation = await run_against(aiohttp_server, fake, self.GATE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason.startswith(
            "budget remaining is unknown: no Sloth ratio_rate30d series although slo:sli_error:ratio_rate5m recorded "
            "61 samples within 30d: Sloth's period rule, their average, did not record"
        ), evaluation.reason
        assert len(fake.queries) == 2 and not counts_5m(fake.queries[0]) and counts_5m(fake.queries[1])
        assert evaluation.details["sent_queries"] == fake.queries
        assert (
            'sum(count_over_time(slo:sli_error:ratio_rate5m{sloth_id="svc-slo"}[30d]))' in evaluation.details["queries"]
        )

    async def test_an_absent_period_ratio_no_5m_ratio_recorded_beside_is_zero_errors(self, aiohttp_server):
        fake = FakePrometheus(expected=1, value=self.answers(None))
        evaluation = await run_against(aiohttp_server, fake, self.GATE)
        assert evaluation.verdict is Outcome.PASS and evaluation.details["budget"]["remaining"] == 1.0, (
            evaluation.reason
        )
        assert len(fake.queries) == 2 and counts_5m(fake.queries[1])

    @pytest.mark.parametrize("gate", [0, None])
    async def test_a_failed_count_is_the_gates_error_and_a_note_without_one(self, aiohttp_server, gate):
        # As the period's own query: the gate reads it, and without a gate the period is evidence only.
        fake = FakePrometheus(expected=1, value=self.answers(None), fail_on="count_over_time(slo:")
        evaluation = await run_against(aiohttp_server, fake, {**self.GATE, "min_budget_remaining": gate})
        if gate is not None:
            assert evaluation.verdict is Outcome.ERROR and evaluation.error == "source_rejected", evaluation.reason
            return
        assert evaluation.verdict is Outcome.PASS and evaluation.value == 0, evaluation.reason
        assert evaluation.details["budget"]["remaining"] is None
        assert evaluation.details["budget"]["note"].startswith("not measured: "), evaluation.details["budget"]

    async def test_a_partial_count_of_nothing_is_no_evidence_of_zero_errors(self, aiohttp_server):
        # The store that did not answer may hold what ratio_rate5m recorded: the period is not read as zero errors.
        fake = CountPrometheus(["store eu1 down"], value=self.answers(None))
        evaluation = await run_against(aiohttp_server, fake, self.GATE)
        assert evaluation.verdict is Outcome.INCONCLUSIVE, evaluation.reason
        assert evaluation.reason.startswith("budget remaining is unknown"), evaluation.reason
        assert evaluation.details["prometheus_warnings"] == ["store eu1 down"]

    @pytest.mark.parametrize("gate", [0, None])
    async def test_no_time_left_for_the_count_is_the_gates_error_and_a_note_without_one(self, aiohttp_server, gate):
        # The batch answered as the deadline came: no time is left for the count.
        fake = DeadlinePrometheus(value=self.answers(None))
        app = web.Application()
        app.router.add_route("*", "/api/v1/query", fake.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        source = {"type": "prometheus", "url": str(server.make_url("")), "retry": False}
        fields = {**self.GATE, "min_budget_remaining": gate}
        check = {"name": "eb", "kind": "error_budget", "objective": 99.9, "period": "30d", **fields}
        catalog = build_catalog(
            [("test", {"sources": {"default": source}, "checks": [check]})], Registry([ErrorBudgetCheck])
        )
        sources = Sources(catalog.sources)
        fake.ctx = EvalContext({}, datetime(2026, 11, 26, tzinfo=UTC), asyncio.get_running_loop().time() + 30, sources)
        try:
            if gate is not None:
                with pytest.raises(DeadlineExceeded):
                    await catalog.get("eb").evaluate(fake.ctx)
                assert len(fake.queries) == 1
                return
            verdict = await catalog.get("eb").evaluate(fake.ctx)
        finally:
            sources.close()
        assert verdict.outcome is Outcome.PASS and verdict.details["budget"]["remaining"] is None, verdict.reason
        assert (
            verdict.details["budget"]["note"] == "not measured: the deadline passed before the next query could start"
        )
        assert len(fake.queries) == 1


class TestSamePeriod:
    """Sloth's recorded slo:time_period:days must be the check's period (when recorded): another one means the
    check reads a period ratio Sloth does not record, and scales its tiers to the wrong period."""

    QUERY = 'slo:time_period:days{sloth_id="svc-slo"}'

    def results(self, value):
        series = [] if value is None else [Series({}, [(1.0, value)])]
        return {self.QUERY: QueryResult(self.QUERY, "vector", series)}

    @pytest.mark.parametrize(("days", "period"), [(30, "30d"), (28, "4w"), (28, "28d"), (7, "1w")])
    def test_the_same_period_passes(self, days, period):
        SlothReader._same_period(period, self.QUERY, self.results(days))

    @pytest.mark.parametrize("days", [None, math.nan, math.inf])
    def test_a_period_not_recorded_or_not_finite_is_not_compared(self, days):
        SlothReader._same_period("28d", self.QUERY, self.results(days))

    @pytest.mark.parametrize(("days", "shown"), [(30, "30d"), (28.5, "28d12h"), (0.5, "12h"), (0, "0"), (-1, "-1")])
    def test_another_period_is_misconfigured(self, days, shown):
        with pytest.raises(CheckMisconfigured) as caught:
            SlothReader._same_period("28d", self.QUERY, self.results(days))
        assert caught.value.message.startswith(
            f'Sloth SLO {{sloth_id="svc-slo"}} has a period of {shown} (slo:time_period:days {days:g}), '
            "not the check's period 28d"
        )


class TestRawBurn:
    """A window whose rule recorded nothing while its raw errors count some burns at errors / total (capped at
    every event bad), at any traffic rate, however low; no errors, no traffic or a recorded ratio is no raw burn."""

    @pytest.mark.parametrize(("errors", "total", "burn"), [(0.4, 0.5, 800.0), (3.0, 100.0, 30.0), (2.0, 1.0, 1000.0)])
    def test_raw_errors_over_the_total(self, errors, total, burn):
        window = WindowRatio("1h", None, errors=errors, total=total, recorded_absent=True)
        assert raw_burn(window, 0.001) == pytest.approx(burn)

    @pytest.mark.parametrize(
        ("errors", "total"), [(0.0, 10.0), (1.0, 0.0), (None, 10.0), (1.0, None), (math.nan, 10.0), (1.0, math.inf)]
    )
    def test_no_errors_or_no_traffic_is_no_raw_burn(self, errors, total):
        window = WindowRatio("1h", None, errors=errors, total=total, recorded_absent=True)
        assert raw_burn(window, 0.001) is None

    def test_a_window_with_a_ratio_or_not_recorded_absent_has_none(self):
        assert raw_burn(WindowRatio("1h", 0.5, errors=1.0, total=2.0, recorded_absent=True), 0.001) is None
        assert raw_burn(WindowRatio("1h", None, errors=1.0, total=2.0), 0.001) is None


class TestOptionalNames:
    """optional_metrics excuses, for the lint, only names the SLI's errors read and its total does not."""

    def test_the_ratio_total_stays_required(self):
        errors = "sum(rate(err_total[{{ window }}])) + sum(rate(req_total{code='5xx'}[{{ window }}]))"
        check = make(ratio={**RATIO, "errors": errors}, optional_metrics=["err_total", "req_total"])
        assert set(check.optional_names()) == {"err_total"}

    def test_the_latency_count_stays_required(self):
        latency = {"metric": "lat_seconds", "threshold_s": 0.5}
        check = make(ratio=None, latency=latency, optional_metrics=["lat_seconds_count", "lat_seconds_bucket"])
        assert set(check.optional_names()) == {"lat_seconds_bucket"}

    def test_the_sloth_total_stays_required(self):
        sloth = {
            "sloth_id": "s",
            "total_query": "sum(rate(req_total[{{ window }}]))",
            "errors_query": "sum(rate(err_total[{{ window }}]))",
        }
        check = make(ratio=None, sloth=sloth, optional_metrics=["req_total", "err_total"])
        assert set(check.optional_names()) == {"err_total", "slo:time_period:days"}

    def test_a_name_no_errors_field_reads_stays_required(self):
        pyrra = {"slo": "api", "metric": "http_requests"}
        check = make(ratio=None, pyrra=pyrra, min_budget_remaining=0.1, optional_metrics=["pyrra_availability"])
        assert set(check.optional_names()) == {"pyrra_objective", "pyrra_window", "http_requests:increase5m"}


class TestLatencyWindows:
    """A latency window whose threshold bucket has no series is a missing bucket only while its count shows
    traffic; without traffic, or without a count, it is a gap."""

    @staticmethod
    def measure(good, total):
        reader = LatencyReader(LatencySLI(metric="lat_seconds", threshold_s=0.5), {})
        queries = reader.queries("5m", {}, period=False)

        def answer(query, value):
            return QueryResult(query, "vector", [] if value is None else [Series({}, [(1.0, value)])])

        answers = {"good": good, "total": total, "blind": None}
        return reader.measure("5m", queries, {query: answer(query, answers[part]) for part, query in queries.items()})

    @pytest.mark.parametrize("total", [2.0, 0.5])
    def test_no_bucket_series_with_traffic_is_a_missing_bucket(self, total):
        # The count is a per-second rate: half an event per second is traffic too.
        with pytest.raises(MissingBucket):
            self.measure(None, total)

    def test_no_bucket_series_without_traffic_is_no_traffic(self):
        window = self.measure(None, 0.0)
        assert window.error_ratio is None and window.note == "no traffic over 5m"

    def test_a_bucket_series_without_a_count_is_no_data(self):
        window = self.measure(1.0, None)
        assert window.error_ratio is None and window.note.startswith("no data (the total query returned nothing")

    def test_slow_events_are_the_count_minus_the_bucket(self):
        window = self.measure(9.0, 10.0)
        assert window.errors == 1.0 and close(window.error_ratio, 0.1)


class TestValidateListing:
    """`analyzer validate` parses each query an evaluation sends: the SLI's over the shortest window and over
    the period (its own fields, named first), then each batch, numbered."""

    def test_the_sli_queries_then_every_batch(self):
        listed = make().promql({})
        assert [field for field, _ in listed] == [
            "ratio: its errors query over 1h",
            "ratio: its total query over 1h",
            "ratio: its errors query over 30d",
            "ratio: its total query over 30d",
            "the query it sends (1 of 2)",
            "the query it sends (2 of 2)",
        ]
        assert listed[0][1] == 'sum(rate(req_total{code=~"5.."}[1h]))'
        assert listed[3][1] == "sum(rate(req_total[30d]))"

    @pytest.mark.parametrize(
        "fields", [{"accept_unjudged_tiers": True}, {"tiers": [{"long": "6h", "short": "30m", "factor": 6}]}]
    )
    def test_a_pass_without_a_short_window_lists_its_presence_query(self, fields):
        role, query = make(**fields).promql({})[-1]
        assert role.startswith("the presence query for the series the SLI reads over windows")
        assert query == 'count(req_total{code=~"5.."}) or count(req_total)'

    def test_default_tiers_judge_5m_and_list_none(self):
        assert not any(role.startswith("the presence query") for role, _ in make().promql({}))


class TestQueryBatchPartsNamedAlike:
    """Plans naming a part alike in one window (a kind's canary and baseline plans) each keep their query."""

    def test_each_query_is_sent_and_split_back_to_itself(self):
        # The later query took the earlier's (window, part): the earlier was never sent, and its result was missing
        # from the split, where a kind reading it as no series read no errors.
        batch = QueryBatch.of({"5m": {"errors": "canary_errors"}}, {"5m": {"errors": "baseline_errors"}})
        assert batch.queries == ["canary_errors", "baseline_errors"]
        assert batch.promql == " or ".join(
            [labelled("canary_errors", "5m", "errors"), labelled("baseline_errors", "5m", "errors.1")]
        )
        results = batch.split(
            QueryResult(
                batch.promql,
                "vector",
                [
                    Series({"analyzer_window": "5m", "analyzer_part": "errors.1"}, [(1.0, 7.0)]),
                    Series({"analyzer_window": "5m", "analyzer_part": "errors"}, [(1.0, 3.0)]),
                ],
            )
        )
        assert {q: [s.samples for s in r.series] for q, r in results.items()} == {
            "canary_errors": [[(1.0, 3.0)]],
            "baseline_errors": [[(1.0, 7.0)]],
        }

    def test_a_part_named_as_the_renamed_one_keeps_its_own_query_too(self):
        batch = QueryBatch.of({"5m": {"errors": "a", "errors.1": "b"}}, {"5m": {"errors": "c"}})
        assert batch.queries == ["a", "b", "c"]
        assert batch.parts == {("5m", "errors"): "a", ("5m", "errors.1"): "b", ("5m", "errors.2"): "c"}


class TestRecordedAge:
    """A recorded ratio is judged while its group's latest sample is at most MAX_RECORDED_AGE_S old, and is no data
    beyond: Prometheus serves a dead ruler's last values for 5 minutes."""

    LIVE = WindowRatio("5m", 0.0, None, 9.8, events=2940.0)

    def test_an_unknown_age_leaves_the_ratio_as_it_was(self):
        assert aged(self.LIVE, "g", "r", None, max_age_s=MAX_RECORDED_AGE_S) is self.LIVE

    @pytest.mark.parametrize("age_s", [0.0, 30.0, MAX_RECORDED_AGE_S])
    def test_up_to_the_limit_the_ratio_is_judged_with_its_age(self, age_s):
        assert aged(self.LIVE, "g", "r", age_s, max_age_s=MAX_RECORDED_AGE_S) == WindowRatio(
            "5m", 0.0, None, 9.8, events=2940.0, recorded_age_s=age_s
        )

    @pytest.mark.parametrize("age_s", [MAX_RECORDED_AGE_S + 0.5, 299.0])
    def test_past_the_limit_the_ratio_is_no_data(self, age_s):
        stale = aged(self.LIVE, "Pyrra's burnrate rule group", "Pyrra burnrate5m", age_s, max_age_s=MAX_RECORDED_AGE_S)
        assert (stale.error_ratio, stale.total, stale.events, stale.recorded_age_s) == (None, 9.8, None, age_s)
        assert stale.note.startswith(
            f"no data (Pyrra's burnrate rule group stopped recording: Pyrra burnrate5m's latest sample is "
            f"{round(age_s)} s old at the evaluation time, older than the 180 s a group that evaluates leaves it"
        ), stale.note

    def test_an_age_that_is_no_number_is_no_data(self):
        # Before: `not age_s > 180` let NaN through, judging the ratio as live.
        assert aged(self.LIVE, "g", "r", math.nan, max_age_s=MAX_RECORDED_AGE_S).error_ratio is None

    def test_an_age_that_is_no_number_shows_as_null(self):
        # NaN is no JSON: the details an API answer and a verdict page carry hold null.
        stale = aged(self.LIVE, "g", "r", math.nan, max_age_s=MAX_RECORDED_AGE_S)
        assert _window_details(stale, 0.001)["recorded_age_s"] is None

    def test_a_ruler_that_evaluates_less_often_is_judged_under_its_own_bound(self):
        # Sloth's group at a 5m evaluation_interval: its latest sample is up to 300 s old while it records. Before:
        # no data past 180 s whatever the check said, so such a release paused on every other evaluation.
        assert aged(self.LIVE, "g", "r", 290.0, max_age_s=420.0).error_ratio == 0.0
        stale = aged(self.LIVE, "g", "r", 421.0, max_age_s=420.0)
        assert stale.error_ratio is None
        assert "older than the 420 s" in stale.note and "needs max_recorded_age_s above its interval" in stale.note

    @pytest.mark.parametrize("sli", [{"sloth": {"sloth_id": "a-b"}}, {"pyrra": {"slo": "api", "metric": "req"}}])
    def test_the_checks_bound_holds_its_readers_windows(self, sli):
        def measured(check):
            reader = check._reader
            queries = reader.queries("1h", {}, period=False)
            answers = {"ratio": 0.0, "ratio_age": 290.0}
            results = {
                query: QueryResult(query, "vector", [Series({}, [(1.0, answers[part])])] if part in answers else [])
                for part, query in queries.items()
            }
            return reader.measure("1h", queries, results)

        assert measured(make(**sli, period="28d", max_recorded_age_s=420)).error_ratio == 0.0
        assert measured(make(**sli, period="28d")).error_ratio is None

    def test_pyrra_availability_over_the_period_is_held_to_the_bound_too(self):
        # pyrra_availability (--generic-rules) is its own group's: read stale, its period's budget was a dead
        # ruler's.
        def measured(**fields):
            reader = make(pyrra={"slo": "api", "metric": "req"}, period="28d", **fields)._reader
            queries = reader.queries("28d", {}, period=True)
            answers = {"availability": 0.999, "availability_age": 290.0}
            results = {
                query: QueryResult(query, "vector", [Series({}, [(1.0, answers[part])])] if part in answers else [])
                for part, query in queries.items()
            }
            return reader.measure("28d", queries, results)

        stale = measured()
        assert (stale.error_ratio, stale.recorded_age_s) == (None, 290.0)
        assert stale.note.startswith("no data (Pyrra's --generic-rules group stopped recording: pyrra_availability's")
        assert close(measured(max_recorded_age_s=420).error_ratio, 0.001)

    @pytest.mark.parametrize("value", [0, -1, "inf"])
    def test_a_bound_that_is_no_positive_number_is_refused(self, value):
        with pytest.raises(ValidationError, match="max_recorded_age_s"):
            make(sloth={"sloth_id": "a-b"}, max_recorded_age_s=value)

    def test_a_bound_beside_a_raw_sli_is_refused(self):
        with pytest.raises(ValidationError, match="max_recorded_age_s bounds the age of Pyrra's or Sloth's"):
            make(max_recorded_age_s=420)

    def test_a_stale_ratio_of_every_event_bad_is_no_data_too(self):
        # Stale is stale whichever way it reads: its value is of minutes before the evaluation.
        assert (
            aged(WindowRatio("5m", 1.0, None, 9.8), "g", "r", 200.0, max_age_s=MAX_RECORDED_AGE_S).error_ratio is None
        )


def _measured_with_blind(reader, window, queries, answers, count):
    """The reader's window measured from `answers` (by query part), the blind query answering `count` (None: no
    series)."""
    if count is not None:
        answers = {**answers, "blind": [Series({}, [(1.0, count)])]}
    results = {query: QueryResult(query, "vector", answers.get(part, [])) for part, query in queries.items()}
    return reader.measure(window, queries, results)


class TestRulesDividedWindowsChecked:
    """A Sloth ratio rule's window is checked when the rules API lists its rule, even in a partial answer, and its
    sides show every error element matched, or errors at 0 apart from a total of which one series counts traffic."""

    divided = TestRulesDivided()

    async def test_a_partial_answer_listing_every_rule_checks_every_window(self, aiohttp_server):
        # The warnings may mean a ruler's rules are missing, but none the check reads is.
        sides = sides_of([({}, "0.5")], [({}, "100")])
        fake = SidesPrometheus(
            self.divided.rules(self.divided.BY_SERVICE), sides, rules_warnings=["rule endpoint ruler-1 down"]
        )
        evaluation = await self.divided.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.divided.ALL, "unread": {}}
        assert "unchecked" not in evaluation.reason, evaluation.reason

    async def test_errors_at_0_all_matched_are_checked_without_traffic(self, aiohttp_server):
        # No error element is left out of the division: a total counting no request shows nothing is dropped.
        fake = SidesPrometheus(self.divided.rules(self.divided.GROUPED), sides_of([({}, "0")], [({}, "0")]))
        evaluation = await self.divided.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.divided.ALL, "unread": {}}

    async def test_errors_at_0_apart_are_checked_when_one_total_series_counts_traffic(self, aiohttp_server):
        # One job serves requests, the other none: the division is seen at work, and drops no error counted now.
        totals = [({"job": "a"}, "100"), ({"job": "b"}, "0")]
        fake = SidesPrometheus(self.divided.rules(self.divided.GROUPED), sides_of([({"code": "500"}, "0")], totals))
        evaluation = await self.divided.run(aiohttp_server, fake)
        assert evaluation.verdict is Outcome.PASS, evaluation.reason
        assert evaluation.details["rules_divided"] == {"checked": self.divided.ALL, "unread": {}}

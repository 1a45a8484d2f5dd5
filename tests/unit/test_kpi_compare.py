"""kpi_compare definitions are validated when the catalog loads, with messages naming the field and rule."""

from __future__ import annotations

import math
from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.errors import ArgError, CheckMisconfigured, ConfigError
from analyzer.models import Outcome, Verdict
from analyzer.registry import Registry
from checks.kpi_compare import KpiCompareCheck, Measured

PARAMS = {
    "canary_hash": {"type": "label_value", "required": True},
    "stable_hash": {"type": "label_value", "required": True},
}
CANARY = 'avg(kpi{h="{{ canary_hash }}"})'
BASELINE = 'avg(kpi{h="{{ stable_hash }}"})'
SUCCESS = 'sum(increase(ok_total{h="{{ canary_hash }}"}[{{ lookback }}]))'
TOTAL = 'sum(increase(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))'


def check(**overrides: Any) -> dict[str, Any]:
    definition = {
        "name": "kpi",
        "kind": "kpi_compare",
        "params": PARAMS,
        "direction": "lower_is_better",
        "canary": CANARY,
        "baseline": BASELINE,
        "max_relative_change": 0.1,
    }
    definition.update(overrides)
    return {key: value for key, value in definition.items() if value is not None}


def load(definition: dict[str, Any]):
    return build_catalog(
        [
            (
                "test.yaml",
                {"sources": {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}, "checks": [definition]},
            )
        ],
        Registry.default(),
    )


def problem(definition: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(definition)
    return "\n".join(caught.value.problems)


class TestValid:
    """Well-formed definitions load, with the documented defaults."""

    def test_string_shorthand_is_the_query(self):
        loaded = load(check()).checks["kpi"]
        assert isinstance(loaded, KpiCompareCheck)
        assert (loaded.method, loaded.mode, loaded.lookback, loaded.confidence) == ("ratio", "gate", "10m", 0.95)

    def test_proportion_with_success_and_total(self):
        variant = {"success": SUCCESS, "total": TOTAL}
        loaded = load(
            check(
                method="proportion",
                canary=variant,
                baseline=variant,
                max_relative_change=None,
                min_detectable_effect=0.05,
                min_canary_events=500,
            )
        )
        assert loaded.checks["kpi"].min_canary_events == 500

    def test_identical_queries_warn(self):
        catalog = load(check(baseline=CANARY))
        assert any("same query" in warning for warning in catalog.warnings)

    def test_a_metric_name_given_by_a_regex_warns(self):
        catalog = load(
            check(
                canary='avg({__name__=~"kpi.*", h="{{ canary_hash }}"})',
                baseline='avg({__name__=~"kpi|kpi2", h="{{ stable_hash }}"})',
            )
        )
        regex = [warning for warning in catalog.warnings if "regex" in warning]
        assert len(regex) == 1
        assert (
            'canary.query selector {__name__=~"kpi.*", h="{{ canary_hash }}"}: metric name given by a regex is '
            "not checked for existence"
        ) in regex[0]

    @pytest.mark.parametrize(
        ("canary", "step", "warned"),
        [
            ("avg(rate(kpi_total[5m]))", None, "its range [5m] is longer than the step 10s"),
            (
                "avg(rate(kpi_total[1m])) / avg(rate(kpi_all[1h30m]))",
                "1m",
                "its range [1h30m] is longer than the step 60s",
            ),
            ("max_over_time(avg(rate(kpi_total[1m]))[15m:1m])", "1m", "its range [15m] is longer"),
            ("avg_over_time(kpi[{{ lookback }}])", None, "its range [10m] is longer"),
            ("avg(rate(kpi_total[5m]))", "5m", None),
            ("avg(kpi)", None, None),
        ],
    )
    def test_mann_whitney_samples_overlapping_the_range_warn(self, canary, step, warned):
        catalog = load(
            check(
                method="mann_whitney",
                canary=canary,
                baseline="avg(kpi)",
                step=step,
                lookback="2h" if step else None,
                min_samples=20 if step else None,
            )
        )
        overlaps = [w for w in catalog.warnings if "consecutive samples share data" in w]
        if warned is None:
            assert overlaps == []
        else:
            assert len(overlaps) == 1 and "canary query: " + warned in overlaps[0]

    def test_lookback_may_stand_bare(self):
        load(check(canary='avg_over_time(kpi{h="{{ canary_hash }}"}[{{ lookback }}])'))


class TestRejected:
    """Definitions that could never judge soundly are refused at load."""

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"mode": "ab", "direction": "either"}, "mode: ab needs direction higher_is_better or lower_is_better"),
            ({"no_data": "pass"}, "no_data: pass is not allowed"),
            ({"max_relative_change": None}, "method ratio needs max_relative_change and/or max_absolute_change"),
            ({"method": "proportion"}, "canary: method proportion needs success and total"),
            ({"confidence": 0.9}, "confidence only applies to method proportion and mann_whitney, not ratio"),
            ({"power": 0.9, "method": "mann_whitney"}, "power only applies to method proportion"),
            ({"min_samples": 5}, "min_samples only applies to method mann_whitney"),
            ({"min_canary_events": 100}, "min_canary_events needs canary.events"),
            ({"canary": "avg(kpi{h={{ canary_hash }}})"}, "canary: {{ canary_hash }} (label_value) stands outside"),
            (
                {"canary": {"query": CANARY, "events": "sum(x{h={{ canary_hash }}})"}},
                "canary.events: {{ canary_hash }}",
            ),
            ({"method": "mann_whitney", "lookback": "1d", "step": "1m"}, "more than 1000 samples; raise step"),
            ({"variant_names": {"canary": "a", "baseline": "a"}}, "variant_names: canary and baseline must differ"),
            ({"canary": {"query": CANARY, "total": TOTAL}}, "canary: total does not apply to method ratio"),
        ],
    )
    def test_rule(self, overrides, message):
        assert message in problem(check(**overrides))

    def test_proportion_needs_an_effect_to_detect(self):
        variant = {"success": SUCCESS, "total": TOTAL}
        assert "method proportion needs min_detectable_effect" in problem(
            check(method="proportion", canary=variant, baseline=variant, max_relative_change=None)
        )

    def test_proportion_has_no_events_query(self):
        variant = {"success": SUCCESS, "total": TOTAL, "events": TOTAL}
        assert "events does not apply to method proportion (the total is the traffic count)" in problem(
            check(method="proportion", canary=variant, baseline=variant)
        )


PROPORTION = {"success": SUCCESS, "total": TOTAL}
QUERIES = {"query": "q", "success": "s", "total": "t", "events": "e"}


def judge(
    method: str = "ratio",
    direction: str = "lower_is_better",
    *,
    canary: dict[str, float | None] | None = None,
    baseline: dict[str, float | None] | None = None,
    samples: tuple[list[float], list[float]] | None = None,
    partial: tuple[str, ...] = (),
    **overrides: Any,
) -> Verdict:
    """The verdict of a check of `method` on the given measurements, without Prometheus."""
    variant: Any = PROPORTION if method == "proportion" else CANARY
    loaded = load(check(method=method, direction=direction, canary=variant, baseline=variant, **overrides))
    kpi = loaded.checks["kpi"]
    assert isinstance(kpi, KpiCompareCheck)
    values = {("canary", k): v for k, v in (canary or {}).items()} | {
        ("baseline", k): v for k, v in (baseline or {}).items()
    }
    roles = ["success", "total"] if method == "proportion" else ["query"]
    queries = {side: {role: QUERIES[role] for role in roles} for side in ("canary", "baseline")}
    return kpi.judge(
        Measured(
            queries,
            values,
            {} if samples is None else {"canary": samples[0], "baseline": samples[1]},
            warnings=partial,
            partial=partial,
        )
    )


def around(centre: float, count: int = 60, spread: float = 0.004) -> list[float]:
    """`count` samples within +-spread of centre in a fixed order without serial trend."""
    return [centre + spread * (((i * 37) % 17) / 8 - 1) for i in range(count)]


class TestSameVariant:
    """Args that make the canary's judged queries the baseline's are a 400, whatever else the canary counts."""

    EVENTS = 'sum(increase(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))'

    @pytest.mark.parametrize(
        "overrides",
        [
            {},
            # Only the canary counts its traffic (min_canary_events needs no more), as the shipped examples do.
            {"canary": {"query": CANARY, "events": EVENTS}, "min_canary_events": 100},
            {"method": "mann_whitney", "canary": {"query": CANARY, "events": EVENTS}, "min_canary_events": 100},
            {
                "method": "proportion",
                "canary": {"success": SUCCESS, "total": TOTAL},
                "baseline": {
                    "success": SUCCESS.replace("canary", "stable"),
                    "total": TOTAL.replace("canary", "stable"),
                },
            },
        ],
    )
    def test_the_same_hash_for_both_is_a_bad_arg(self, overrides):
        kpi = load(check(**overrides)).get("kpi")
        with pytest.raises(ArgError, match="canary_hash='a', stable_hash='a' make the canary's queries the same"):
            kpi.bind_args({"canary_hash": "a", "stable_hash": "a"})
        assert kpi.bind_args({"canary_hash": "a", "stable_hash": "b"})

    def test_the_refusal_does_not_quote_a_secret_arg(self):
        params = {**PARAMS, "tenant": {"type": "label_value", "required": True, "secret": True}}
        # Both variants read the same args: every arg is named as a culprit, the secret one without its value.
        same = 'avg(kpi{t="{{ tenant }}", h=~"{{ canary_hash }}|{{ stable_hash }}"})'
        kpi = load(check(params=params, canary=same, baseline=same + " ")).get("kpi")
        with pytest.raises(ArgError, match="compared with itself") as refused:
            kpi.bind_args({"canary_hash": "a", "stable_hash": "b", "tenant": "tenant-secret-7f3a"})
        assert "tenant-secret-7f3a" not in refused.value.message
        assert "tenant='<redacted>'" in refused.value.message

    def test_queries_that_differ_only_in_spacing_or_comments_are_the_same(self):
        # A YAML block scalar ends its text with a line end, an inline value not.
        spaced = {"canary": CANARY + "\n", "baseline": 'avg( kpi{ h = "{{ stable_hash }}" } )  # stable'}
        kpi = load(check(**spaced)).get("kpi")
        with pytest.raises(ArgError, match="compared with itself"):
            kpi.bind_args({"canary_hash": "a", "stable_hash": "a"})

    def test_spacing_inside_strings_tells_queries_apart(self):
        kpi = load(check(baseline='avg(kpi{h="{{ stable_hash }}", zone="a b"})')).get("kpi")
        other = load(check(canary='avg(kpi{h="{{ canary_hash }}", zone="ab"})', baseline=kpi.baseline)).get("kpi")
        assert other.bind_args({"canary_hash": "a", "stable_hash": "a"})

    def test_queries_that_differ_in_what_they_judge_are_accepted(self):
        kpi = load(check(baseline='avg(kpi{h="{{ stable_hash }}", zone="a"})')).get("kpi")
        assert kpi.bind_args({"canary_hash": "a", "stable_hash": "a"})
        # The same successes over other totals: still two different rates.
        other_total = TOTAL.replace("canary_hash }}", 'stable_hash }}", zone="a')
        proportion = {
            "method": "proportion",
            "canary": {"success": SUCCESS, "total": TOTAL},
            "baseline": {"success": SUCCESS.replace("canary", "stable"), "total": other_total},
        }
        assert load(check(**proportion)).get("kpi").bind_args({"canary_hash": "a", "stable_hash": "a"})


class TestJudgeRatio:
    """Point estimates: which way is worse, and the tolerance on the right side of zero."""

    @pytest.mark.parametrize(
        ("direction", "canary", "verdict"),
        [
            ("lower_is_better", 0.4, Outcome.FAIL),
            ("lower_is_better", 0.1, Outcome.PASS),
            ("higher_is_better", 0.1, Outcome.FAIL),
            ("higher_is_better", 0.4, Outcome.PASS),
            ("either", 0.1, Outcome.FAIL),
            ("either", 0.4, Outcome.FAIL),
            ("either", 0.21, Outcome.PASS),
        ],
    )
    def test_direction_decides_which_change_fails(self, direction, canary, verdict):
        assert judge("ratio", direction, canary={"query": canary}, baseline={"query": 0.2}).outcome is verdict

    @pytest.mark.parametrize(
        ("canary", "verdict"),
        [(0.21, Outcome.PASS), (0.219, Outcome.PASS), (0.221, Outcome.FAIL), (0.25, Outcome.FAIL)],
    )
    def test_a_regression_within_the_tolerance_passes_and_beyond_it_fails(self, canary, verdict):
        judged = judge("ratio", canary={"query": canary}, baseline={"query": 0.2})
        assert judged.outcome is verdict
        assert judged.threshold == pytest.approx(0.02)

    def test_value_is_canary_minus_baseline(self):
        judged = judge("ratio", canary={"query": 0.4}, baseline={"query": 0.2})
        assert judged.value == pytest.approx(0.2)
        assert judged.details["relative_change"] == pytest.approx(1.0)
        assert "+0.2, +100%" in judged.reason

    @pytest.mark.parametrize("missing", [None, math.nan])
    def test_a_missing_value_is_no_data(self, missing):
        assert judge("ratio", canary={"query": missing}, baseline={"query": 0.2}).outcome is Outcome.INCONCLUSIVE


class TestJudgeProportion:
    """Two proportions: the z test's tails, the interval's side and the margin decide, never the wrong way."""

    def test_more_errors_fails_with_a_positive_interval(self):
        judged = judge(
            "proportion",
            canary={"success": 100, "total": 2000},
            baseline={"success": 20, "total": 2000},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.outcome is Outcome.FAIL
        low, high = judged.details["interval"]
        assert 0 < low < judged.value < high
        assert judged.value == pytest.approx(0.04)

    def test_an_absent_success_series_is_no_successes_unless_the_answer_may_be_partial(self):
        errors = {"canary": {"success": None, "total": 2e5}, "baseline": {"success": 1000, "total": 2e5}}
        fields = {"max_relative_change": None, "max_absolute_change": 0.001}
        assert judge("proportion", **errors, **fields).outcome is Outcome.PASS
        lost = judge("proportion", **errors, partial=("store 2 down",), **fields)
        assert lost.outcome is Outcome.INCONCLUSIVE
        assert lost.reason.startswith("the canary success query returned no series and the answer may be partial")
        assert lost.details["prometheus_warnings"] == ["store 2 down"]

    def test_a_conversion_drop_fails(self):
        judged = judge(
            "proportion",
            "higher_is_better",
            canary={"success": 50, "total": 1000},
            baseline={"success": 100, "total": 1000},
        )
        assert judged.outcome is Outcome.FAIL
        assert judged.details["interval"][1] < 0 and judged.details["z"] < 0

    def test_fewer_errors_passes_when_the_interval_rules_out_harm(self):
        judged = judge(
            "proportion",
            canary={"success": 200, "total": 2e5},
            baseline={"success": 1000, "total": 2e5},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.outcome is Outcome.PASS
        assert judged.details["interval"][1] < 0

    def test_a_significant_harm_within_the_tolerance_passes(self):
        judged = judge(
            "proportion",
            canary={"success": 12000, "total": 1e6},
            baseline={"success": 10000, "total": 1e6},
            max_relative_change=None,
            max_absolute_change=0.005,
        )
        assert judged.details["significant"] is True
        assert judged.outcome is Outcome.PASS

    def test_a_drop_the_interval_cannot_bound_below_the_tolerance_is_inconclusive(self):
        # Conversion 10% -> 9.1% on 100k each: significant but smaller than the tolerance 0.01, while the
        # interval's far end (a drop of about 0.0116) lies beyond it.
        judged = judge(
            "proportion",
            "higher_is_better",
            canary={"success": 9100, "total": 1e5},
            baseline={"success": 10000, "total": 1e5},
        )
        assert judged.details["harm_bound"] > judged.threshold
        assert judged.outcome is Outcome.INCONCLUSIVE

    def test_no_errors_on_either_side_passes_with_enough_traffic(self):
        judged = judge(
            "proportion",
            canary={"success": 0, "total": 50000},
            baseline={"success": 0, "total": 50000},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.details["power"] > 0.8
        assert judged.outcome is Outcome.PASS

    def test_an_absent_success_series_counts_as_zero(self):
        judged = judge(
            "proportion",
            canary={"success": None, "total": 50000},
            baseline={"success": 0, "total": 50000},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.details["canary"]["success"] == 0

    def test_either_direction_needs_both_ends_of_the_interval_within_the_tolerance(self):
        # 10% -> 10.8% on 100k each: the interval (about 0.0053 to 0.0107) reaches past the tolerance 0.01.
        judged = judge(
            "proportion", "either", canary={"success": 10800, "total": 1e5}, baseline={"success": 10000, "total": 1e5}
        )
        assert judged.details["harm_bound"] > judged.threshold
        assert judged.outcome is Outcome.INCONCLUSIVE

    def test_successes_above_the_total_are_a_misconfiguration(self):
        with pytest.raises(CheckMisconfigured, match="success 20 is not between 0 and total 10"):
            judge("proportion", canary={"success": 20, "total": 10}, baseline={"success": 1, "total": 10})


class TestJudgeMannWhitney:
    """Range samples: the shift's interval keeps its sign, and the tolerance bounds the harm side."""

    def test_slower_canary_fails_with_a_positive_interval(self):
        judged = judge("mann_whitney", samples=(around(0.15), around(0.10)))
        assert judged.outcome is Outcome.FAIL
        low, high = judged.details["interval"]
        assert 0 < low <= judged.value <= high
        assert judged.value == pytest.approx(0.05, abs=0.002)

    def test_faster_canary_passes(self):
        judged = judge("mann_whitney", samples=(around(0.06), around(0.10)))
        assert judged.outcome is Outcome.PASS
        assert judged.details["interval"][1] < 0

    @pytest.mark.parametrize("side", [0, 1])
    @pytest.mark.parametrize("infinity", [math.inf, -math.inf])
    def test_an_infinite_sample_is_no_evidence(self, side, infinity):
        # Every other sample says the canary is faster: one infinity must not be dropped to let that pass.
        samples = [around(0.06), around(0.10)]
        samples[side] = samples[side] + [infinity]
        judged = judge("mann_whitney", samples=(samples[0], samples[1]))
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "1 infinite samples" in judged.reason

    def test_a_drop_fails_when_higher_is_better(self):
        assert judge("mann_whitney", "higher_is_better", samples=(around(0.06), around(0.10))).outcome is Outcome.FAIL

    def test_a_shift_within_the_tolerance_passes(self):
        judged = judge("mann_whitney", samples=(around(0.104, spread=0.001), around(0.10, spread=0.001)))
        assert judged.details["interval"][0] > 0
        assert judged.outcome is Outcome.PASS

    @pytest.mark.parametrize("centre", [0.05, 0.15])
    def test_either_direction_fails_a_clear_shift_either_way(self, centre):
        assert judge("mann_whitney", "either", samples=(around(centre), around(0.10))).outcome is Outcome.FAIL

    @pytest.mark.parametrize(
        ("canary", "significant"), [(around(0.10), False), (around(0.15), True), (around(0.05), True)]
    )
    def test_significant_when_the_interval_excludes_zero(self, canary, significant):
        judged = judge("mann_whitney", samples=(canary, around(0.10)))
        assert judged.details["significant"] is significant

    def test_too_few_samples_is_no_data(self):
        judged = judge("mann_whitney", samples=(around(0.15, count=10), around(0.10)))
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "fewer than min_samples 20" in judged.reason


class TestJudgeAB:
    """A/B names the better variant by the KPI's direction."""

    @pytest.mark.parametrize(
        ("direction", "canary", "verdict"),
        [
            ("higher_is_better", 150, Outcome.PASS),
            ("higher_is_better", 50, Outcome.FAIL),
            ("lower_is_better", 150, Outcome.FAIL),
            ("lower_is_better", 50, Outcome.PASS),
        ],
    )
    def test_winner(self, direction, canary, verdict):
        judged = judge(
            "proportion",
            direction,
            mode="ab",
            canary={"success": canary, "total": 1000},
            baseline={"success": 100, "total": 1000},
        )
        assert judged.outcome is verdict

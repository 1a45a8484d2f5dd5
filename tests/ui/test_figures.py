"""From a verdict's evidence to its figures, without a source: what each figure draws of what was judged."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.sources import Series
from analyzer.ui.figures import (
    Evidence,
    _error_budget,
    _error_ratio_promql,
    _evaluated_mark,
    _http_smoke,
    _judged_first,
    _judged_tier,
    _side_value,
    figures,
)
from checks.error_budget import ErrorBudgetCheck, WindowRatio, pyrra_tiers
from checks.http_smoke import HttpSmokeCheck

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def budget_evidence(verdict: str, remaining: float, gate: float | None) -> Evidence:
    details: dict[str, Any] = {"period": "7d", "budget": {"remaining": remaining, "min_budget_remaining": gate}}
    return Evidence("budget", "error_budget", verdict, remaining, gate, AT, details, {})


def meter_class(evidence: Evidence) -> str:
    (figure,) = _error_budget(evidence)
    match = re.search(r'<rect [^>]*class="bar ([a-z]+)"', str(figure.svg))
    assert match is not None
    return match.group(1)


class TestHeard:
    """A figure's aria-label starts with its verdict, and a kpi_compare side is said by the value it was judged on."""

    def test_the_budget_meter_says_the_verdict_the_share_and_the_gate(self):
        (figure,) = _error_budget(budget_evidence("fail", 0.8, 0.9))
        label = re.search(r'aria-label="([^"]*)"', str(figure.svg))
        assert label is not None
        assert label.group(1) == ("budget remaining (verdict FAIL): budget remaining: 80%; min_budget_remaining 90%")

    @pytest.mark.parametrize(
        ("side", "said"),
        [
            ({"success": 45, "total": 900, "rate": 0.05}, "rate 0.05"),
            ({"value": 12.5}, "value 12.5"),
            ({"samples": 30, "median": 0.2}, "median 0.2"),
            ({"samples": 0}, "not measured"),
            (None, "not measured"),
        ],
    )
    def test_a_side_is_said_by_its_judged_value(self, side, said):
        assert _side_value({"canary": side}, "canary") == said


class TestBudgetMeter:
    """The budget remaining is coloured by the gate the kind judges it against: at or below it is a fail."""

    @pytest.mark.parametrize(
        ("remaining", "gate", "colour"),
        [
            (0.8, 0.9, "fail"),  # above 0, below the gate: the verdict failed on it
            (0.9, 0.9, "fail"),  # at the gate: "not above min_budget_remaining" fails
            (0.9000000000000001, 0.9, "fail"),  # above it by a float's rounding alone, as the kind reads it
            (0.95, 0.9, "pass"),
            (0.5, 0.0, "pass"),
            (-0.2, 0.0, "fail"),
            (0.5, None, "pass"),  # no gate: evidence only, drawn by its sign
            (0.0, None, "fail"),  # spent
            (0.0, 0.0, "fail"),
            (-0.2, None, "fail"),
            (float("nan"), 0.5, "fail"),
            (float("nan"), None, "fail"),
        ],
    )
    def test_colour_against_the_gate(self, remaining, gate, colour):
        assert meter_class(budget_evidence("fail", remaining, gate)) == colour

    def test_an_overspent_budget_is_written_in_budgets_spent(self):
        # Before: "budget remaining: -7900%" above the bar, as the reason wrote it.
        (figure,) = _error_budget(budget_evidence("fail", -79.0, None))
        assert ">budget exhausted: 80x the budget spent (remaining -7900%)</text>" in str(figure.svg)
        (figure,) = _error_budget(budget_evidence("fail", 0.5, None))
        assert ">budget remaining: 50%</text>" in str(figure.svg)
        # A budget spent exactly is exhausted too, as the reason says it.
        (figure,) = _error_budget(budget_evidence("fail", 0.0, None))
        assert ">budget exhausted: 1x the budget spent (remaining 0%)</text>" in str(figure.svg)

    @pytest.mark.parametrize(
        ("remaining", "gate", "legend"),
        [
            # To 4 decimals: "budget remaining: 10%" beside "min_budget_remaining 10%", passing or failing.
            (0.1000001, 0.1, "budget remaining: 10.00001%"),
            (0.09999999, 0.1, "budget remaining: 9.999999%"),
            (0.1, 0.1, "budget remaining: 10%"),
            (-0.0000001, 0.0, "budget exhausted: 1x the budget spent (remaining -1e-05%)"),
            # Far from the gate, to 4 decimals still.
            (0.123456789, 0.1, "budget remaining: 12.3457%"),
        ],
    )
    def test_the_share_never_reads_as_its_gate(self, remaining, gate, legend):
        (figure,) = _error_budget(budget_evidence("fail", remaining, gate))
        assert f">{legend}</text>" in str(figure.svg)
        assert f">min_budget_remaining {gate * 100:g}%</text>" in str(figure.svg)

    def test_the_gate_is_written_as_the_reason_writes_it(self):
        (figure,) = _error_budget(budget_evidence("fail", 0.99994, 0.99995))
        assert ">min_budget_remaining 99.995%</text>" in str(figure.svg)
        assert ">budget remaining: 99.994%</text>" in str(figure.svg)


def tier(name: str, factor: float, long: float | None, short: float | None, *, fails: bool = True) -> dict[str, Any]:
    """A tier as the error_budget kind's details give it (fired when both windows exceed the factor)."""
    fired = long is not None and short is not None and min(long, short) > factor
    return {
        "severity": name,
        "long": "1h",
        "short": "5m",
        "factor": factor,
        "long_burn_rate": long,
        "short_burn_rate": short,
        "judged": long is not None and short is not None,
        "fired": fired,
        "fails_verdict": fails,
    }


class TestJudgedTier:
    """The burn over time is drawn for the tier the verdict's reason names, as the error_budget kind picks it."""

    def test_a_fired_tier_before_a_quiet_one_of_a_higher_factor(self):
        quiet, fired = tier("fast", 30, 21, 25), tier("slow", 8, 10.7, 25)
        assert _judged_tier([quiet, fired]) is fired

    def test_of_fired_tiers_the_highest_factor_then_the_highest_burn(self):
        low, high, higher_burn = tier("a", 6, 20, 20), tier("b", 14.4, 15, 15), tier("c", 14.4, 16, 30)
        assert _judged_tier([low, high]) is high
        assert _judged_tier([high, higher_burn, low]) is higher_burn

    def test_a_fired_warning_tier_is_not_the_verdict_s(self):
        warning, page = tier("ticket", 1, 5, 5, fails=False), tier("page", 14.4, 5, 5)
        assert _judged_tier([warning, page]) is page
        assert _judged_tier([warning]) is None

    def test_without_a_fired_tier_the_one_closest_to_firing(self):
        # Burn / factor: 12/14.4 = 0.83 beats 4/6 = 0.67, though the other has the higher factor or the higher burn.
        close, far, high = tier("close", 14.4, 12, 13), tier("far", 6, 4, 30), tier("high", 30, 1, 1)
        assert _judged_tier([far, high, close]) is close

    def test_tiers_that_cannot_judge_the_one_burning_most_above_its_factor(self):
        burning, other = tier("burning", 6, 30, None), tier("other", 14.4, None, 20)
        assert _judged_tier([other, burning]) is burning
        unmeasured, fast = tier("unmeasured", 6, None, None), tier("fast", 14.4, None, None)
        assert _judged_tier([unmeasured, fast]) is fast

    def test_a_tier_is_fired_as_the_kind_says_not_by_a_burn_above_its_factor_by_rounding(self):
        # 14.4 * (1 + 1e-15) is not above 14.4 for the kind (comparison.exceeds): that tier did not fire.
        rounding = {**tier("rounding", 14.4, 14.400000000000013, 20), "fired": False}
        fired = tier("fired", 6, 7, 7)
        assert _judged_tier([rounding, fired]) is fired

    def test_a_nan_burn_is_not_a_measurement(self):
        nan, measured = tier("nan", 14.4, float("nan"), float("nan")), tier("measured", 6, 1, 1)
        assert _judged_tier([nan, measured]) is measured


class TestJudgedFirst:
    """A prometheus plot draws first the series the verdict's value is of, then the others judged as the verdict."""

    @staticmethod
    def order(verdict: str, value: float, judged: list[tuple[str, str, float]], answered: list[str]) -> list[str]:
        details = {"series": [{"labels": {"pod": pod}, "verdict": v, "value": x} for pod, v, x in judged]}
        evidence = Evidence("pods", "prometheus", verdict, value, None, AT, details, {})
        drawn = _judged_first([Series({"pod": pod}, []) for pod in answered], evidence)
        return [series.labels["pod"] for series in drawn]

    def test_the_worst_then_the_failing_then_the_rest_in_prometheus_order(self):
        judged = [("a", "pass", 0.1), ("b", "fail", 0.6), ("c", "inconclusive", 0.3), ("d", "fail", 0.9)]
        assert self.order("fail", 0.9, judged, ["a", "b", "c", "d", "e"]) == ["d", "b", "c", "a", "e"]

    def test_a_pass_draws_the_closest_first(self):
        judged = [("a", "pass", 0.1), ("b", "pass", 0.4)]
        assert self.order("pass", 0.4, judged, ["a", "b"]) == ["b", "a"]

    def test_reduced_by_max_the_largest_first(self):
        # `reduce: max` gives no series a verdict of its own: the one its value is of is the one that decided.
        details = {"series": [{"labels": {"pod": pod}, "value": value} for pod, value in (("a", 0.1), ("b", 0.7))]}
        evidence = Evidence("pods", "prometheus", "fail", 0.7, None, AT, details, {})
        drawn = _judged_first([Series({"pod": "a"}, []), Series({"pod": "b"}, [])], evidence)
        assert [one.labels["pod"] for one in drawn] == ["b", "a"]

    def test_series_the_evaluation_did_not_see_keep_their_order(self):
        assert self.order("fail", 0.9, [], ["b", "a"]) == ["b", "a"]


class TestEvaluatedMark:
    """The evaluated value's point is labelled with the digits that tell it from its threshold or 100."""

    @pytest.mark.parametrize(
        ("value", "threshold", "shown"),
        [
            (79.9999999, 80.0, "79.9999999"),
            (80.0000001, [10.0, 80.0], "80.0000001"),
            (99.99999999999999, 80.0, "99.99999999999999"),
            (0.123456789, 0.5, "0.123457"),
        ],
    )
    def test_its_label(self, value, threshold, shown):
        (mark,) = _evaluated_mark(Evidence("c", "prometheus", "pass", value, threshold, AT, {}, {}))
        assert mark.label == f"evaluated value {shown} (pass)"


class TestErrorRatioPromql:
    """The burn over time is drawn from the query that measured the window's error ratio."""

    def test_a_recorded_ratio_before_the_errors_and_total_beside_it(self):
        parts = {"ratio": "burnrate1h", "errors": "errors", "total": "total"}
        assert _error_ratio_promql(parts) == "(burnrate1h)"

    def test_errors_and_total_else_good_and_total(self):
        assert _error_ratio_promql({"errors": "e", "total": "t"}) == "(e) / (t)"
        assert _error_ratio_promql({"good": "g", "total": "t"}) == "1 - (g) / (t)"
        assert _error_ratio_promql({"total": "t"}) is None


_SHIPPED_TIERS = {
    "workbook 30d": {},
    "pyrra 28d": {"period": "28d", "tiers": [t.model_dump() for t in pyrra_tiers(28 * 86400)]},
    "workbook 7d, tickets fail too": {"period": "7d", "fail_on": ["page", "ticket"]},
    "ties of factor": {
        "tiers": [
            {"long": "1h", "short": "5m", "factor": 10, "severity": "page"},
            {"long": "6h", "short": "30m", "factor": 10, "severity": "page"},
            {"long": "2h", "short": "10m", "factor": 10, "severity": "ticket"},
            {"long": "1d", "short": "2h", "factor": 2, "severity": "page"},
        ]
    },
}
# The tier a reason names, and how it names it: fired, cannot judge while a window burns, closest of a pass.
_NAMED_TIER_RE = re.compile(r"(?:^|worst is )([a-z0-9_-]+) tier ([0-9a-z]+/[0-9a-z]+) (?:fires|cannot judge|at )")


class TestJudgedTierAgreesWithTheKind:
    """`_judged_tier` reads the details; the kind picks from its TierResults: on every shipped tier set and any
    burns (ties, unjudged windows, one window burning), the tier drawn is the one the reason names."""

    @pytest.mark.parametrize("tier_set", list(_SHIPPED_TIERS))
    def test_on_every_shipped_tier_set(self, tier_set):
        check = ErrorBudgetCheck.model_validate(
            {
                "name": "eb",
                "kind": "error_budget",
                "objective": 99.9,
                "period": "30d",
                "ratio": {"errors": "e[{{ window }}]", "total": "t[{{ window }}]"},
                "min_events_per_window": 0,
                **_SHIPPED_TIERS[tier_set],
            }
        )
        names = sorted({w for t in check.tiers_in_force for w in (t.long, t.short)})
        burns = [None, 0.0, 0.5, 1.0, 2.0, 6.0, 7.0, 10.0, 14.0, 14.4, 20.0, 50.0]
        pick = random.Random(tier_set)  # the same cases every run
        named = 0
        for _ in range(400):
            chosen = {name: pick.choice(burns) for name in names}
            windows = {
                name: WindowRatio(name, None if burn is None else burn * check.budget, note="no data")
                for name, burn in chosen.items()
            }
            verdict = check.judge(windows, WindowRatio(check.period, 0.0005))
            match = _NAMED_TIER_RE.search(verdict.reason)
            if match is None:
                continue
            named += 1
            drawn = _judged_tier(verdict.details["tiers"])
            assert drawn is not None, (chosen, verdict.reason)
            assert (drawn["severity"], f"{drawn['long']}/{drawn['short']}", drawn["factor"]) == (
                match.group(1),
                match.group(2),
                verdict.threshold,
            ), (chosen, verdict.reason)
        assert named > 100


class TestRepeatedStepLatency:
    """A repeated step's requests are each judged by expect.max_latency_ms: the slowest is drawn beside that limit."""

    def test_the_slowest_request_is_drawn_against_the_per_request_limit(self):
        check = HttpSmokeCheck.model_validate(
            {
                "name": "smoke",
                "kind": "http_smoke",
                "base_url": "http://127.0.0.1:9",
                "allowed_hosts": ["127.0.0.1"],
                "steps": [{"name": "burst", "path": "/", "repeat": 200, "expect": {"max_latency_ms": 100}}],
            }
        )
        # One request of 200 took 300 ms: the step fails min_success_ratio 1 on it, its p99 (15 ms) far below 100.
        repeat = {"requests": 200, "p50_ms": 10.0, "p95_ms": 12.0, "p99_ms": 15.0, "max_p95_ms": None}
        step = {"name": "burst", "outcome": "fail", "status": 200, "latency_ms": 300.0, "repeat": repeat}
        evidence = Evidence("smoke", "http_smoke", "fail", 0.0, None, AT, {"steps": [step]}, {})
        (_, latency) = _http_smoke(evidence, check)
        marks = dict(re.findall(r'<circle [^>]*class="mark ([a-z0-9]+)" data-value="([^"]+)"', str(latency.svg)))
        # Before: p50, p95 and p99 alone, every one left of the max_latency line beside a step that failed on it.
        assert float(marks["max"]) == 300.0
        assert ">max_latency 100 ms</text>" in str(latency.svg)


class TestHiddenQuery:
    """A plot whose query holds <redacted> is not drawn, and says what the hidden part was: a secret arg, or the
    credential a URL arg held."""

    @pytest.mark.parametrize(
        ("query", "args", "said"),
        [
            ('up{pod!="<redacted>"}', {"tenant": "<redacted>", "n": 2}, "secret arg 'tenant'"),
            # Was "a secret arg": the arg is no secret, its URL's password was hidden.
            (
                'probe_success{instance="https://<redacted>@backend/"}',
                {"target": "https://<redacted>@backend/", "region": "eu"},
                "the credential that arg 'target' held (a URL's password or token)",
            ),
            (
                'up{a="<redacted>", b="dsn=root:<redacted>@tcp(db)/x"}',
                {"a": "<redacted>", "b": "dsn=root:<redacted>@tcp(db)/x", "c": "https://<redacted>@other/"},
                "secret arg 'a' and the credential that arg 'b' held (a URL's password or token)",
            ),
            # A value hidden as the evaluation ran, no arg's: said as such.
            ('up{job="<redacted>"}', {"region": "eu"}, "a hidden value"),
        ],
    )
    async def test_the_refusal_says_what_was_hidden(self, query, args, said):
        evidence = Evidence("c", "prometheus", "pass", 1.0, None, AT, {"queries": [query]}, args)
        (figure,) = await figures(evidence, None, None, 5.0, lambda *_: "")
        assert figure.svg is None
        assert figure.note == (
            f"the plot's range query failed: it holds {said} (shown as <redacted>), which a page never sends again"
        )

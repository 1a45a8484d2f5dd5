"""kpi_compare definitions are validated when the catalog loads, with messages naming the field and rule."""

from __future__ import annotations

import asyncio
import json
import math
import random
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from analyzer.catalog import build_catalog
from analyzer.check import EvalContext
from analyzer.errors import ArgError, CheckMisconfigured, ConfigError
from analyzer.models import Outcome, Verdict
from analyzer.promql_names import MetricSelector
from analyzer.registry import Registry
from analyzer.sources.prometheus import QueryResult, Series
from checks.kpi_compare import (
    Fallback,
    Hidden,
    KpiCompareCheck,
    Measured,
    _direction_against_ratio,
    _fallbacks,
    _instant_values,
    _missing_reason,
    _presence,
    _samples,
    _silent_s,
    _window_text,
    _windows_read,
)
from tests.autocorrelated import ar1
from tests.error_ratios import windowed

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
    if "params" not in overrides:
        # Only the params the variants place: the catalog refuses a param that its check places nowhere.
        placed = json.dumps([definition["canary"], definition["baseline"]])
        definition["params"] = {name: rule for name, rule in PARAMS.items() if f"{{{{ {name} }}}}" in placed}
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


class TestRegexAfterEquality:
    """A regex written after `=` in a variant's query is a load warning naming `=~`."""

    def test_warned_per_variant_query(self):
        canary = 'avg(kpi{h="{{ canary_hash }}", route=".*checkout.*"})'
        warnings = load(check(canary=canary)).warnings
        assert [w for w in warnings if "compares for equality" in w] == [
            'test.yaml: check \'kpi\': canary.query selector kpi{h="{{ canary_hash }}", route=".*checkout.*"}: '
            'route=".*checkout.*" compares for equality, and ".*checkout.*" reads as a regex: only a route written '
            '".*checkout.*" matches, so the selector matches no series (in an error count, zero errors: a pass); for '
            'a regex write route=~".*checkout.*"'
        ]


class TestContradictingNames:
    """Matchers on the metric name that no name meets all of, in a variant's query, are a load warning."""

    def test_warned_per_variant_query(self):
        canary = 'avg({__name__="kpi", __name__="kpo", h="{{ canary_hash }}"})'
        warnings = load(check(canary=canary)).warnings
        assert [w for w in warnings if "no metric name meets" in w] == [
            'test.yaml: check \'kpi\': canary.query selector {__name__="kpi", __name__="kpo", h="{{ canary_hash }}"} '
            "matches no series: no metric name meets all of its matchers on __name__ (Prometheus matches each series "
            "on every one of them), so every evaluation refuses the query; keep one matcher on the name, or a regex "
            'that lists the names (`{__name__=~"a|b"}`)'
        ]


class TestGrafanaVariables:
    """A Grafana variable in a variant's label value (`env="$env"`) is a load warning naming the param to declare."""

    def test_warned_per_variant_query(self):
        canary = 'avg(kpi{h="{{ canary_hash }}", env="$env"})'
        warnings = load(check(canary=canary)).warnings
        assert [w for w in warnings if "Grafana" in w] == [
            'test.yaml: check \'kpi\': canary.query selector kpi{h="{{ canary_hash }}", env="$env"}: env="$env" holds '
            "$env, Grafana's variable syntax, which the analyzer leaves as it is: only series whose env holds that "
            "text match; for a value given at each run, declare a param env and write {{ env }} in its place"
        ]


class TestCounterReadAsAGauge:
    """delta(), idelta() or deriv() of a counter's name in a variant's query is a load warning, as in `prometheus`."""

    def test_warned_per_variant_query(self):
        counts = {
            "success": 'sum(delta(orders_total{h="{{ canary_hash }}"}[{{ lookback }}]))',
            "total": 'sum(increase(visits_total{h="{{ canary_hash }}"}[{{ lookback }}]))',
        }
        stable = {role: query.replace("canary", "stable") for role, query in counts.items()}
        definition = check(method="proportion", direction="higher_is_better", canary=counts, baseline=stable)
        warnings = [w for w in load(definition).warnings if "reads a counter as a gauge" in w]
        # Before: none; a restarted canary's orders read as a drop, a negative count compared as a conversion.
        assert [w.partition(": check 'kpi': ")[2].partition(" reads")[0] for w in warnings] == [
            "canary.success: delta(orders_total...)",
            "baseline.success: delta(orders_total...)",
        ]


class TestProportionOfNoCounts:
    """A proportion's success or total that is per second (rate()) or a counter read without a range is a load
    warning naming increase() over the lookback: the test needs the lookback's counts."""

    def definition(self, success: str, total: str) -> dict[str, Any]:
        canary = {"success": success, "total": total}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        return check(method="proportion", direction="higher_is_better", canary=canary, baseline=baseline)

    def warned(self, definition: dict[str, Any]) -> list[str]:
        return [
            w.partition(": check 'kpi': ")[2]
            for w in load(definition).warnings
            if "method proportion counts events" in w or "without a range" in w
        ]

    def test_rate_warned(self):
        rated = TOTAL.replace("increase(", "rate(")
        # Before: no warning; the check loaded and answered inconclusive (power 0.03) on the demo's 1000s of visits.
        assert self.warned(self.definition(SUCCESS, rated)) == [
            f"{side}.total is per second (rate() or irate()), and method proportion counts events: the test reads "
            "the events of one second as the lookback's, a fraction of the evidence, and stays inconclusive where "
            "the lookback's counts would pass; write increase(...[{{ lookback }}])"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize("offset", ["-5m", "5m"])
    def test_a_counter_at_an_offset_is_warned_without_a_range(self, offset):
        # Before: at -5m warned as a counter less its value at an offset (the minus of `offset -5m`), which it is not;
        # at 5m not warned at all (any offset was taken for a difference).
        shifted = f'sum(all_total{{h="{{{{ canary_hash }}}}"}} offset {offset})'
        assert self.warned(self.definition(SUCCESS, shifted)) == [
            f"{side}.total reads the counter all_total without a range: its value counts every event since the "
            "process started, not the lookback's, and a restart starts it again from 0; write "
            "increase(...[{{ lookback }}])"
            for side in ("canary", "baseline")
        ]
        assert not [w for w in load(self.definition(SUCCESS, shifted)).warnings if "counter reset" in w]

    def test_recorded_rate_warned(self):
        recorded = 'sum(job:all:rate5m{h="{{ canary_hash }}"})'
        # Before: no warning, as a recorded count; the rule records rate(), per second, as its name says.
        assert self.warned(self.definition(SUCCESS, recorded)) == [
            f"{side}.total reads job:all:rate5m, a recorded rate (per second, by its name), and method proportion "
            "counts events: the test reads the events of one second as the lookback's, a fraction of the "
            "evidence, and stays inconclusive where the lookback's counts would pass; write "
            "increase(...[{{ lookback }}]) of the counter it records"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize("counter", ["ok_total", "rpc_duration_seconds_count"])
    def test_bare_counter_warned(self, counter):
        bare = f'sum({counter}{{h="{{{{ canary_hash }}}}"}})'
        # Before: no warning; every order since the pod started was compared, the lookback unused.
        assert self.warned(self.definition(bare, TOTAL)) == [
            f"{side}.success reads the counter {counter} without a range: its value counts every event since the "
            "process started, not the lookback's, and a restart starts it again from 0; write "
            "increase(...[{{ lookback }}])"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize(
        "total",
        [
            TOTAL,
            'sum(count_over_time(probe_success{h="{{ canary_hash }}"}[{{ lookback }}]))',
            'sum(job:visits:increase30m{h="{{ canary_hash }}"})',  # a recorded count
            'sum(slo:sli_error:ratio_rate5m{h="{{ canary_hash }}"})',  # Sloth's: a ratio, by its name
            'sum(job:visits:rate5m{h="{{ canary_hash }}"}) * 1800',
            # The lookback's counts written otherwise. Before: warned "stays inconclusive" and "every event since the
            # process started", neither true.
            'sum(rate(all_total{h="{{ canary_hash }}"}[{{ lookback }}])) * 1800',
            'sum(all_total{h="{{ canary_hash }}"}) - sum(all_total{h="{{ canary_hash }}"} offset {{ lookback }})',
            'sum(max_over_time(all_total{h="{{ canary_hash }}"}[{{ lookback }}]) - '
            'min_over_time(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))',
        ],
    )
    def test_counts_not_warned(self, total):
        assert self.warned(self.definition(SUCCESS, total)) == []


class TestResetBlindDifference:
    """A count written as a counter less its value at an offset, which a pod's restart within the window turns into a
    loss of what it counted, is a load warning naming increase(), whatever the method and role."""

    DIFFERENCE = 'sum(err_total{h="{{ canary_hash }}"}) - sum(err_total{h="{{ canary_hash }}"} offset {{ lookback }})'

    def warned(self, definition: dict[str, Any]) -> list[str]:
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "counter reset" in w]

    def test_a_proportions_success_less_its_offset_is_warned(self):
        # Measured against a real Prometheus: a canary of a healthy pod and a pod failing half its requests that
        # restarted 10 minutes before the end counted 0 errors over 30m (the failing pod's count now equals its count
        # 30 minutes back) and passed, where increase() counted a 25% error ratio and failed.
        canary = {"success": self.DIFFERENCE, "total": TOTAL}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        definition = check(method="proportion", canary=canary, baseline=baseline, max_absolute_change=0.005)
        assert self.warned(definition) == [
            f"{side}.success counts err_total as its value now less its value at an offset, which does not see a "
            "counter reset: a pod that restarted within the window (a crash-looping canary) loses what it counted "
            "before, so a canary erring on a restarting pod can count no errors and pass; write "
            "increase(...[{{ lookback }}]), which counts on from 0 after a reset"
            for side in ("canary", "baseline")
        ]

    def test_a_ratios_query_and_events_are_warned_too(self):
        difference = self.DIFFERENCE.replace("err_total", "all_total")
        ratio = f"({self.DIFFERENCE}) / ({difference})"
        definition = check(canary={"query": ratio, "events": difference}, baseline=ratio.replace("canary", "stable"))
        assert [warning.partition(" counts ")[0] for warning in self.warned(definition)] == [
            "canary.events",
            "canary.query",
            "baseline.query",
        ]

    def test_a_counter_less_its_value_at_an_at_time_is_warned(self):
        # Before: silent; `@` reads the counter at a fixed time as offset does a lookback back, as blind to a reset.
        query = 'sum(err_total{h="{{ canary_hash }}"}) - sum(err_total{h="{{ canary_hash }}"} @ 1700000000)'
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        assert [warning.partition(", which")[0] for warning in self.warned(definition)] == [
            f"{side}.query counts err_total as its value now less its value at an @ time"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize("counter", ["err_total", "rpc_duration_seconds_count"])
    def test_a_counters_max_less_its_min_over_a_range_is_warned(self, counter):
        # Before: silent. Across a restart the max is all the pod counted since it first started and the min 0: a
        # total of every visit since then hides the canary's errors of the window.
        spread = (
            f'sum(max_over_time({counter}{{h="{{{{ canary_hash }}}}"}}[10m]) - '
            f'min_over_time({counter}{{h="{{{{ canary_hash }}}}"}}[10m]))'
        )
        definition = check(canary=spread, baseline=spread.replace("canary", "stable"), max_absolute_change=0.001)
        assert self.warned(definition) == [
            f"{side}.query counts {counter} as its max_over_time() less its min_over_time(), which does not see a "
            "counter reset: a pod that restarted within the window reads as everything it counted since it first "
            "started (the max before the restart) less 0 (the min after it), not the window's events, so the count is "
            "far too large (a total that hides a canary's errors, or errors that fail a sound canary); write "
            "increase(...[{{ lookback }}]), which counts on from 0 after a reset"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize(
        "query",
        [
            SUCCESS,
            # A gauge's spread over the window (its swing), and a counter's max alone (no difference), see no reset.
            'max_over_time(kpi{h="{{ canary_hash }}"}[10m]) - min_over_time(kpi{h="{{ canary_hash }}"}[10m])',
            'max_over_time(err_total{h="{{ canary_hash }}"}[10m])',
            'max_over_time(err_total{h="{{ canary_hash }}"}[10m]) - 1',  # no min_over_time taken away
            'sum(increase(err_total{h="{{ canary_hash }}"}[{{ lookback }}] offset 1h))',
            'sum(kpi{h="{{ canary_hash }}"}) - sum(kpi{h="{{ canary_hash }}"} offset 1h)',  # a gauge's change
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m] offset 1h)) - sum(rate(err_total{h="x"}[5m]))',
            'sum(err_total{h="{{ canary_hash }}", note="- offset"})',
            'sum(err_total{h="{{ canary_hash }}"} offset 1h)',  # no difference
        ],
    )
    def test_counts_that_see_a_reset_are_not_warned(self, query):
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        assert self.warned(definition) == []


class TestCanaryReadBack:
    """A canary query that reads all its selectors further back than Prometheus' look-back (an offset) or at a fixed
    `@` time is a load warning: every evaluation judges the canary as it was, not as it is."""

    def warned(self, definition: dict[str, Any]) -> list[str]:
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "not now" in w]

    @pytest.mark.parametrize(
        ("query", "then"),
        [
            ('last_over_time(kpi{h="{{ canary_hash }}"}[1m] offset 30m)', "30m back (offset 30m)"),
            ('max_over_time(avg(kpi{h="{{ canary_hash }}"})[10m:1m] offset 1h)', "1h back (offset 1h)"),
            ('avg(kpi{h="{{ canary_hash }}"} @ 1700000000)', "at a fixed time (@ 1700000000)"),
            # The read nearest now is named.
            (
                'avg(kpi{h="{{ canary_hash }}"} offset 1h) - avg(kpi{h="{{ canary_hash }}"} offset 30m)',
                "30m back (offset 30m)",
            ),
            (
                'sum(increase(err_total{h="{{ canary_hash }}"}[{{ lookback }}] offset {{ lookback }}))',
                "10m back (offset 10m)",
            ),
        ],
    )
    def test_a_canary_read_only_in_the_past_is_warned(self, query, then):
        # Before: silent; a canary that began failing 20 minutes ago passed on what it measured 30 minutes ago.
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        assert self.warned(definition) == [
            f"canary.query reads the canary only {then}, not now: every evaluation judges the canary as it was then "
            "(before its pods started, or before a regression began), so a canary failing now passes on its past; "
            "read it now, without the offset or @ (to compare the canary with the past, put the offset in the "
            "baseline's query alone)"
        ]

    MANN_WHITNEY = {"method": "mann_whitney", "lookback": "30m", "step": "1m", "min_samples": 20}

    @pytest.mark.parametrize(
        ("query", "then"),
        [
            ('avg(kpi{h="{{ canary_hash }}"} @ start())', "30m back"),
            ('avg(kpi{h="{{ canary_hash }}"} @ start() offset 10m)', "40m back"),
            ('avg(last_over_time(kpi{h="{{ canary_hash }}"}[1m] @ start()))', "30m back"),
            ('max_over_time(avg(kpi{h="{{ canary_hash }}"})[5m:1m] @ start())', "30m back"),
        ],
    )
    def test_a_canary_pinned_to_the_start_of_mann_whitney_s_range_is_warned(self, query, then):
        # Before: silent: `@ start()` was read as the evaluation time, which it is in an instant query only;
        # mann_whitney asks a range query over the lookback, every sample of which read the canary at its start.
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        assert self.warned(definition | self.MANN_WHITNEY) == [
            f"canary.query reads the canary only {then} (@ start(), the start of mann_whitney's range query over the "
            "lookback), not now: every evaluation judges the canary as it was then (before its pods started, or "
            "before a regression began), so a canary failing now passes on its past; read it now, without the offset "
            "or @ (to compare the canary with the past, put the offset in the baseline's query alone)"
        ]

    @pytest.mark.parametrize("lookback", ["5m", "3m"])
    def test_a_canary_pinned_to_the_start_of_a_short_range_is_warned(self, lookback):
        # Before: silent at a lookback of 5m or less, its start within Prometheus' look-back read as now: every sample
        # of the range still reads the canary at that one moment.
        query = 'avg(kpi{h="{{ canary_hash }}"} @ start())'
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        fields = self.MANN_WHITNEY | {"lookback": lookback, "step": "5s"}
        assert [warning.partition(" (@ start()")[0] for warning in self.warned(definition | fields)] == [
            f"canary.query reads the canary only {lookback} back"
        ]

    @pytest.mark.parametrize(
        ("query", "fields"),
        [
            # A difference with the window's start reads now too.
            ('avg(kpi{h="{{ canary_hash }}"}) - avg(kpi{h="{{ canary_hash }}"} @ start())', MANN_WHITNEY),
            # The range query's end is the evaluation time: now.
            ('avg(kpi{h="{{ canary_hash }}"} @ end())', MANN_WHITNEY),
            # An instant query's start() is its evaluation time: now.
            ('avg(kpi{h="{{ canary_hash }}"} @ start())', {"method": "ratio"}),
        ],
    )
    def test_a_canary_read_now_beside_start_or_in_an_instant_query_is_not_warned(self, query, fields):
        definition = check(canary=query, baseline=query.replace("canary", "stable"), max_absolute_change=0.001)
        assert self.warned(definition | fields) == []

    def test_each_role_of_a_proportion_is_named(self):
        back = SUCCESS.replace("[{{ lookback }}]", "[{{ lookback }}] offset 1h")
        canary = {"success": back, "total": TOTAL.replace("[{{ lookback }}]", "[{{ lookback }}] offset 1h")}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        definition = check(method="proportion", canary=canary, baseline=baseline, max_absolute_change=0.001)
        assert [warning.partition(" reads")[0] for warning in self.warned(definition)] == [
            "canary.success",
            "canary.total",
        ]

    @pytest.mark.parametrize(
        ("canary", "baseline"),
        [
            # A few minutes back, within the look-back (waiting for late scrapes), reads now.
            ('avg(kpi{h="{{ canary_hash }}"} offset 5m)', 'avg(kpi{h="{{ stable_hash }}"} offset 5m)'),
            # Now against a week ago: the baseline's past is the comparison meant.
            ('avg(kpi{h="{{ canary_hash }}"})', 'avg(kpi{h="{{ canary_hash }}"} offset 1w)'),
            # A difference with the past reads now too.
            (
                'avg(kpi{h="{{ canary_hash }}"}) - avg(kpi{h="{{ canary_hash }}"} offset 1h)',
                'avg(kpi{h="{{ stable_hash }}"}) - avg(kpi{h="{{ stable_hash }}"} offset 1h)',
            ),
            ('avg(kpi{h="{{ canary_hash }}"} @ end())', 'avg(kpi{h="{{ stable_hash }}"} @ end())'),
            ('avg(kpi{h="{{ canary_hash }}"} offset -10m)', 'avg(kpi{h="{{ stable_hash }}"})'),
            ("vector(1)  # no selector, read at no offset", 'avg(kpi{h="{{ stable_hash }}"})'),
        ],
    )
    def test_a_canary_read_now_is_not_warned(self, canary, baseline):
        assert self.warned(check(canary=canary, baseline=baseline, max_absolute_change=0.001)) == []


# A latency histogram's bucket at 0.3 s and its count, and its buckets' rates by le (histogram_fraction's argument).
BUCKET = 'sum(rate(http_request_duration_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m]))'
COUNT = 'sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))'
BY_LE = 'sum by (le) (rate(http_request_duration_seconds_bucket{h="{{ canary_hash }}"}[5m]))'


class TestMannWhitneyErrorRatio:
    """A mann_whitney error ratio without an events query on both variants is a load warning: it compares per-step
    ratios, which a variant's traffic sets as much as its quality, and no verdict can tell them apart."""

    RATIO = (
        'sum(rate(http_requests_total{code=~"5..",h="{{ canary_hash }}"}[5m])) '
        '/ sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m]))'
    )
    EVENTS = 'sum(increase(http_requests_total{h="{{ canary_hash }}"}[{{ lookback }}]))'

    def warned(self, definition: dict[str, Any]) -> list[str]:
        warnings = load(definition).warnings
        return [w.partition(": check 'kpi': ")[2] for w in warnings if "mann_whitney compares step by step" in w]

    def variants(self, query: str, counted: tuple[str, ...]) -> dict[str, dict[str, str]]:
        """Canary and baseline with `query` (the baseline's on the stable hash), `events` for those `counted`."""
        found = {}
        for side in ("canary", "baseline"):
            queries = {"query": query, "events": self.EVENTS} if side in counted else {"query": query}
            found[side] = {k: v.replace("canary", "stable") if side == "baseline" else v for k, v in queries.items()}
        return found

    @pytest.mark.parametrize(
        "query",
        [
            RATIO,
            'sum(rate(errors_total{h="{{ canary_hash }}"}[5m])) / sum(rate(requests_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(App_Errors_total{h="{{ canary_hash }}"}[5m])) / sum(rate(App_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(rpc_total{outcome="SERVER_ERROR",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(rpc_total{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["5xx", "errors-name", "outcome", "capitalised-name"],
    )
    @pytest.mark.parametrize("counted", [(), ("canary",), ("baseline",)], ids=["none", "canary", "baseline"])
    def test_an_error_ratio_without_both_events_is_warned(self, query, counted):
        # Seeded: a canary at a tenth of the baseline's traffic erring 5x as often passed 17% of the time; at 10x its
        # traffic and the same ratio one failed 25%.
        variants = self.variants(query, counted)
        definition = check(method="mann_whitney", **variants, max_absolute_change=0.001)
        assert self.warned(definition) == [
            "canary.query is an error ratio, which method mann_whitney compares step by step, not request by "
            "request: a variant with less traffic is at 0 more often and noisier, so with unequal traffic it fails "
            "a canary erring as rarely as the baseline, or passes one erring more often; without an events query on "
            "both variants the verdict cannot tell a baseline at 0 for its little traffic from one at 0 for its "
            "quality. Use method proportion (success and total as increase(...[{{ lookback }}])), or count both "
            "variants' traffic with events (the pooled counts then judge it at any weights)"
        ]

    @pytest.mark.parametrize(
        ("query", "function", "kept"),
        [
            (f"max_over_time(({RATIO})[5m:1m])", "max_over_time", "highest"),
            ('min_over_time(job:errors:ratio1m{h="{{ canary_hash }}"}[5m])', "min_over_time", "lowest"),
        ],
        ids=["max-subquery", "min-recorded"],
    )
    def test_a_window_s_extreme_is_not_advised_events(self, query, function, kept):
        # Before: advised events on both variants "(the pooled counts then judge it at any weights)", which take no
        # counts of a window's extreme: the ranks alone would judge it still.
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == [
            "canary.query is an error ratio, which method mann_whitney compares step by step, not request by "
            "request: a variant with less traffic is at 0 more often and noisier, so with unequal traffic it fails "
            "a canary erring as rarely as the baseline, or passes one erring more often; without an events query on "
            "both variants the verdict cannot tell a baseline at 0 for its little traffic from one at 0 for its "
            "quality. Use method proportion (success and total as increase(...[{{ lookback }}])), or compare the "
            "ratio itself with events on both variants (the pooled counts then judge it at any weights): "
            f"{function}() keeps a window's {kept} ratio, of which no counts are taken, with events or without"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(requests_total{h="{{ canary_hash }}"}[5m])) / sum(rate(errors_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_requests_total{code=~"5..",h="{{ canary_hash }}"}[5m]))',
            f"1 / ({RATIO})",
            'max_over_time((sum(rate(requests_total{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(errors_total{h="{{ canary_hash }}"}[5m])))[5m:1m])',
        ],
        ids=["by-name", "by-matcher", "one-over", "max-over-time"],
    )
    def test_the_inverse_of_an_error_ratio_is_not_called_one(self, query):
        # Before: "canary.query is an error ratio ... at 0 more often": the requests per error exceed 1, and a step
        # without errors divides by zero.
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == []

    def test_an_error_ratio_picking_its_failures_by_a_param_is_warned(self):
        # Before: silent; the template's `code=~"{{ failing }}"` picks no outcome until the param's example fills it.
        query = self.RATIO.replace('code=~"5.."', 'code=~"{{ failing }}"')
        failing = {"type": "enum", "values": ["5..", "5..|429"], "example": "5..", "required": True}
        definition = check(
            method="mann_whitney",
            **self.variants(query, ()),
            params={**PARAMS, "failing": failing},
            max_absolute_change=0.001,
        )
        assert [w[:40] for w in self.warned(definition)] == ["canary.query is an error ratio, which me"]

    @pytest.mark.parametrize(
        ("method", "query", "events"),
        [
            ("mann_whitney", RATIO, True),
            ("ratio", RATIO, False),
            (
                "mann_whitney",
                'sum(rate(http_requests_total{code=~"2..|5..",h="{{ canary_hash }}"}[5m])) '
                '/ sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m]))',
                False,
            ),
            (
                "mann_whitney",
                'histogram_quantile(0.95, sum by (le) (rate(errors_seconds_bucket{h="{{ canary_hash }}"}[5m]))) '
                '/ histogram_quantile(0.5, sum by (le) (rate(errors_seconds_bucket{h="{{ canary_hash }}"}[5m])))',
                False,
            ),
            ("mann_whitney", 'sum(increase(errors_total{h="{{ canary_hash }}"}[{{ lookback }}])) / 30', False),
        ],
        ids=["both-events", "ratio-method", "mixed-outcomes", "quantile", "by-a-number"],
    )
    def test_other_kpis_or_both_events_are_not_warned(self, method, query, events):
        variants = self.variants(query, ("canary", "baseline") if events else ())
        assert self.warned(check(method=method, **variants, max_absolute_change=0.001)) == []

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(http_requests_total{code!~"5..",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(rpc_total{outcome="SUCCESS",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(rpc_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(http_requests_total{code=~"2..",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m]))',
            # Before: called "an error ratio" (its denominator names errors), at 0 where it sits at 1.
            'sum(rate(ok_total{h="{{ canary_hash }}"}[5m])) / (sum(rate(ok_total{h="{{ canary_hash }}"}[5m])) '
            '+ sum(rate(errors_total{h="{{ canary_hash }}"}[5m])))',
            # Before: called "an error ratio" (a failure word, negated, in the numerator's name).
            'sum(rate(error_free_sessions_total{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(sessions_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(non_error_requests_total{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(requests_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(requests_without_errors_total{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(requests_total{h="{{ canary_hash }}"}[5m]))',
            # Before: not warned: a latency SLI, the share of requests within 0.3 s, sits at 1 alike.
            'sum(rate(http_request_duration_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))',
            # Before: not warned: a recorded success ratio, by its name.
            'avg(job:http_success:ratio_rate5m{h="{{ canary_hash }}"})',
            # Before: called "an error ratio" (its name says errors): 1 less an error ratio sits at 1.
            '1 - avg(job:errors:ratio5m{h="{{ canary_hash }}"})',
        ],
        ids=[
            "not-5xx",
            "outcome-success",
            "2xx",
            "ok-over-both",
            "error-free",
            "non-error",
            "without-errors",
            "latency-sli",
            "recorded-success",
            "1-less-recorded",
        ],
    )
    def test_a_ratio_picking_successes_is_warned_as_one(self, query):
        # A success ratio's samples sit at 1 (no failure) more often the less traffic they hold, as an error ratio's
        # at 0: the constant-baseline rule fails a canary against a quiet baseline at 1 alike (higher_is_better).
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == [
            # Before: "a success ratio (or 1 less one)", "at 1 (or 0)": a success ratio is what it is, at 1 when no
            # request failed.
            "canary.query is a success ratio, which method mann_whitney compares step by step, not request by "
            "request: a variant with less traffic is at 1 (no failure) more often and noisier, so with unequal "
            "traffic it fails a canary erring as rarely as the baseline, or passes one erring more often; without "
            "an events query on both variants the verdict cannot tell a baseline at 1 for its little traffic from "
            "one at 1 for its quality. Use method proportion (success and total as "
            "increase(...[{{ lookback }}])), or count both variants' traffic with events (the pooled counts then "
            "judge it at any weights)"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            # 1 less a success ratio is an error ratio, at 0 for little traffic.
            '1 - sum(rate(http_requests_total{code!~"5..",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_requests_total{h="{{ canary_hash }}"}[5m]))',
            # Before: not warned: recorded error ratios (`level:metric:operations`), by their names.
            'avg(job:errors:ratio5m{h="{{ canary_hash }}"})',
            'avg(slo:sli_error:ratio_rate5m{h="{{ canary_hash }}"})',
            'max(job:http_error_ratio:rate5m{h="{{ canary_hash }}"})',
            # Before: not warned: 1 less the share of requests within 0.3 s, the slow ones.
            '1 - sum(rate(http_request_duration_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["1-less-success", "recorded", "recorded-sloth", "recorded-ratio-metric", "1-less-latency-sli"],
    )
    def test_an_error_ratio_read_through_its_form_is_warned_as_one(self, query):
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert [w[:40] for w in self.warned(definition)] == ["canary.query is an error ratio, which me"]

    @pytest.mark.parametrize(
        "ratio",
        [
            RATIO,
            'sum(rate(errors_total{h="{{ canary_hash }}"}[5m])) / sum(rate(requests_total{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["5xx", "errors-name"],
    )
    def test_an_error_ratio_nested_too_deeply_to_read_is_warned_in_a_job(self, ratio):
        # A Job loads its one check past the size guard: the numerator is not read (it recursed once per bracket),
        # and the ratio is still an error ratio by its 5xx matcher or its numerator's name.
        query = "(" * 1000 + ratio + ")" * 1000
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        source = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
        job = build_catalog(
            [("test.yaml", {"sources": source, "checks": [definition]})], Registry.default(), only="kpi"
        )
        warned = [w.partition(": check 'kpi': ")[2] for w in job.warnings if "mann_whitney compares step by step" in w]
        assert [w[:40] for w in warned] == ["canary.query is an error ratio, which me"]

    @pytest.mark.parametrize(
        "query",
        [
            # Recorded, but no share of events: a burn rate, an error budget, a recorded rate, no outcome by name.
            'avg(slo:current_burn_rate:ratio{h="{{ canary_hash }}"})',
            'avg(slo:period_error_budget_remaining:ratio{h="{{ canary_hash }}"})',
            'avg(job:errors:rate5m{h="{{ canary_hash }}"})',
            'avg(job:cache_hits:ratio5m{h="{{ canary_hash }}"})',
            'avg(job:errors:ratio5m{h="{{ canary_hash }}"}) + avg(job:cache_hits:ratio5m{h="{{ canary_hash }}"})',
            # The infinite bucket holds every request.
            'sum(rate(http_request_duration_seconds_bucket{le="+Inf",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["burn-rate", "budget", "recorded-rate", "no-outcome", "mixed", "inf-bucket"],
    )
    def test_other_recorded_series_and_buckets_are_not_warned(self, query):
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == []

    @pytest.mark.parametrize(
        "query",
        [
            f"{COUNT} / {BUCKET}",
            f"({BUCKET.replace('0.3', '0.5')} - {BUCKET}) / {COUNT}",
            f"{BUCKET.replace('le=', 'le=~').replace('0.3', '0.3|0.5')} / {COUNT}",
            f"{BUCKET.replace('le=', 'le!=')} / {COUNT}",
            f"{BUCKET.replace('le=', 'le!~')} / {COUNT}",
            f"histogram_fraction(0.1, 0.3, {BY_LE})",
            f"histogram_fraction(0, +Inf, {BY_LE})",
        ],
        ids=["count-over-bucket", "band", "two-bounds", "not-a-bound", "not-a-bound-regex", "band-fraction", "all"],
    )
    def test_bucket_readings_that_say_no_outcome_are_not_warned(self, query):
        # Before: each warned as a success ratio (a bucket's le anywhere in the query), `le!="0.3"` as an error ratio:
        # the inverse of a share, the share between two bounds, two buckets summed, or every other bucket summed is no
        # share of one outcome.
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == []

    @pytest.mark.parametrize(
        ("query", "kind"),
        [
            (f"histogram_fraction(0, 0.3, {BY_LE})", "a success ratio"),
            (f"histogram_fraction(-Inf, 0.3, {BY_LE})", "a success ratio"),
            (f"histogram_fraction(0.3, +Inf, {BY_LE})", "an error ratio"),
            (f"{BUCKET.replace('le=', 'le=~')} / {COUNT}", "a success ratio"),
            (f"round({BUCKET} / {COUNT}, 0.001)", "a success ratio"),
            (f"abs(1 - {BUCKET} / {COUNT})", "an error ratio"),
            ('avg_over_time(job:errors:ratio5m{h="{{ canary_hash }}"}[1h])', "an error ratio"),
            ('max_over_time(job:errors:ratio5m{h="{{ canary_hash }}"}[1h] offset 5m)', "an error ratio"),
            (f"avg_over_time(({BUCKET} / {COUNT})[1h:1m])", "a success ratio"),
        ],
        ids=[
            "fraction-within",
            "fraction-from-inf",
            "fraction-above",
            "one-bound-regex",
            "round",
            "abs",
            "avg-over-time",
            "max-over-time-offset",
            "subquery",
        ],
    )
    def test_a_share_read_through_a_function_is_warned(self, query, kind):
        # Before: not read (no warning), histogram_fraction() warned as a count of events.
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert [w[: len(kind) + 18] for w in self.warned(definition)] == [f"canary.query is {kind}, "]
        assert [w for w in load(definition).warnings if "counts events" in w] == []

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(error_handler_duration_seconds_sum{h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(error_handler_duration_seconds_count{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(http_request_duration_seconds_sum{code=~"5..",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_request_duration_seconds_count{code=~"5..",h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["failure-word-name", "5xx-matcher"],
    )
    def test_a_mean_of_a_measure_is_not_an_error_ratio(self, query):
        # A mean latency (_sum over _count) is not at 0 for little traffic, whatever its name or matchers pick.
        definition = check(method="mann_whitney", **self.variants(query, ()), max_absolute_change=0.001)
        assert self.warned(definition) == []


class TestTrafficScaledKpi:
    """A ratio or mann_whitney KPI that counts events without dividing them by the traffic (`sum(rate(errors[5m]))`)
    is a load warning: it compares the variants' traffic, which the canary's weight sets, not their quality."""

    def warned(self, definition: dict[str, Any]) -> list[str]:
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "traffic" in w]

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m]))',
            '(sum(irate(err_total{h="{{ canary_hash }}"}[1m])) or vector(0))',
            'sum(increase(err_total{h="{{ canary_hash }}"}[{{ lookback }}]))',
            'sum(job:errors:rate5m{h="{{ canary_hash }}"})',
            # A division by a number scales the count (errors per minute), it does not divide it by the traffic.
            'sum(increase(err_total{h="{{ canary_hash }}"}[{{ lookback }}])) / 30',
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) / 1e-3',
            # Before: silent; a number in brackets is a number too.
            'sum(increase(err_total{h="{{ canary_hash }}"}[{{ lookback }}])) / (1/60)',
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) * 60 / (60 * 60)',
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) / vector(60)',
        ],
    )
    def test_a_count_of_events_is_warned(self, method, query):
        # Measured against a real Prometheus with sum(rate(errors[5m])): a canary at a tenth of stable's traffic
        # erring ten times as often (0.2 errors a second each) passed, and so did a canary without traffic.
        definition = check(method=method, canary=query, baseline=query.replace("canary", "stable"))
        name = "job:errors:rate5m" if "job:" in query else "err_total"
        # Before: errors, a name no series has (a recorded rate's name drops its counter's _total).
        counter = "errors_total" if "job:" in query else "err_total"
        amount = "errors per second" if "rate" in query else "errors"
        assert self.warned(definition) == [
            f"{side}.query counts events ({name} through rate(), irate(), increase(), count_over_time() or a recorded "
            "rate, without a division): the count grows with the variant's traffic, which the canary's weight sets, "
            "not with its quality: a canary at 10% of the traffic with ten times the baseline's errors per request "
            f"counts as many {amount} as the baseline and passes, as one without traffic does (it counts none); "
            f"divide it by the variant's traffic, sum(rate({counter}[5m])) / sum(rate(requests[5m])), or use method "
            "proportion"
            for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize(
        ("metric", "amount", "advice"),
        [
            (
                "container_cpu_usage_seconds_total",
                "CPU seconds per second",
                "divide it by the variant's traffic, sum(rate(container_cpu_usage_seconds_total[5m])) / "
                "sum(rate(requests[5m]))",
            ),
            (
                "http_response_size_bytes_total",
                "bytes per second",
                "divide it by the variant's traffic, sum(rate(http_response_size_bytes_total[5m])) / "
                "sum(rate(requests[5m]))",
            ),
            (
                "job:http_response_size_bytes:rate5m",
                "bytes per second",
                "divide it by the variant's traffic, sum(rate(http_response_size_bytes_total[5m])) / "
                "sum(rate(requests[5m]))",
            ),
            (
                "checkout_orders_total",
                "checkout_orders events per second",
                "divide it by the variant's traffic, sum(rate(checkout_orders_total[5m])) / sum(rate(requests[5m]))",
            ),
        ],
    )
    def test_the_warning_says_what_the_query_counts(self, metric, amount, advice):
        # Before: every count was said in errors per second ("erring ten times as often") and told to use a
        # proportion, which a CPU KPI has no successes for.
        selector = f'{metric}{{h="{{{{ canary_hash }}}}"}}'
        query = f"avg({selector})" if ":" in metric else f"avg(rate({selector}[5m]))"  # a recorded rate read as is
        (warning, _) = self.warned(check(canary=query, baseline=query.replace("canary", "stable")))
        assert f"counts as many {amount} as the baseline and passes" in warning
        assert warning.endswith(f"; {advice}")
        assert "error" not in warning

    def test_a_recorded_rate_of_a_histograms_count_is_said_in_requests(self):
        # Before: said in seconds, by the recorded name's missing _count.
        query = 'sum(job:http_request_duration_seconds_count:rate5m{h="{{ canary_hash }}"})'
        (warning, _) = self.warned(check(canary=query, baseline=query.replace("canary", "stable")))
        assert "it compares the traffic split: a canary at 10% of the traffic counts a tenth of the baseline's " in (
            warning
        )
        assert "seconds per second" not in warning

    def test_a_count_of_names_a_regex_picks_names_no_counter(self):
        query = 'sum(rate({__name__=~"kpi_.*", h="{{ canary_hash }}"}[5m]))'
        (warning, _) = self.warned(check(canary=query, baseline=query.replace("canary", "stable")))
        assert warning.startswith("canary.query counts events (rate(), irate(), increase(), count_over_time() or a")
        assert "counts as many events per second as the baseline and passes" in warning
        assert warning.endswith("; divide it by the variant's traffic, sum(rate(events[5m])) / sum(rate(requests[5m]))")

    @pytest.mark.parametrize("matcher", ['code=~"[45].."', 'outcome="SERVER_ERROR"', 'response_code!~"[123].."'])
    def test_a_count_of_requests_a_matcher_picks_failures_of_is_said_in_errors(self, matcher):
        # Kayenta's sample request_error, sum(rate(http_requests_total{code=~"[45].."}[5m])): errors, not the traffic.
        query = f'sum(rate(http_requests_total{{h="{{{{ canary_hash }}}}", {matcher}}}[5m]))'
        (warning, _) = self.warned(check(canary=query, baseline=query.replace("canary", "stable")))
        assert "counts as many errors per second as the baseline and passes" in warning
        assert warning.endswith(", or use method proportion")

    @pytest.mark.parametrize(
        "metric", ["http_requests_total", "http_request_duration_seconds_count", "error_free_requests_total"]
    )
    def test_a_count_of_requests_is_said_to_compare_the_split(self, metric):
        # A histogram's _count counts requests, not seconds; a negated failure word counts no errors.
        query = f'sum(rate({metric}{{h="{{{{ canary_hash }}}}"}}[5m]))'
        (warning, _) = self.warned(check(canary=query, baseline=query.replace("canary", "stable")))
        assert warning.endswith(
            "not with its quality: it compares the traffic split: a canary at 10% of the traffic counts a tenth of "
            "the baseline's requests per second; compare what the requests did instead: an error ratio, "
            "sum(rate(errors[5m])) / sum(rate(requests[5m]))"
        )

    @pytest.mark.parametrize(
        ("direction", "said"),
        [
            (
                "higher_is_better",
                "a canary at 10% of the traffic, as good as the baseline, counts a tenth of its checkout_orders events "
                "per second and fails, as one without traffic does (it counts none)",
            ),
            (
                "either",
                "a canary at 10% of the traffic with ten times the baseline's checkout_orders events per request "
                "counts as many checkout_orders events per second and passes, and one as good as the baseline counts "
                "a tenth of them and fails",
            ),
        ],
    )
    def test_the_harm_said_follows_the_direction(self, direction, said):
        # Before: "both pass where lower is better" whatever the direction; better higher, the count fails instead.
        query = 'sum(rate(checkout_orders_total{h="{{ canary_hash }}"}[5m]))'
        definition = check(canary=query, baseline=query.replace("canary", "stable"), direction=direction)
        (warning, _) = self.warned(definition)
        assert f"not with its quality: {said}; divide" in warning

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) / sum(rate(all_total{h="{{ canary_hash }}"}[5m]))',
            'histogram_quantile(0.95, sum by (le) (rate(latency_bucket{h="{{ canary_hash }}"}[5m])))',
            'avg(kpi{h="{{ canary_hash }}"})',
            'sum(slo:sli_error:ratio_rate5m{h="{{ canary_hash }}"})',
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) / 60 / sum(rate(all_total{h="{{ canary_hash }}"}[5m]))',
            'sum(rate(err_total{h="{{ canary_hash }}"}[5m])) / on() sum(job:requests:rate5m{h="{{ canary_hash }}"})',
            # Before: "counts events", its :rate5m read as a rate although its metric part says ratio.
            'avg(job:http_error_ratio:rate5m{h="{{ canary_hash }}"})',
            'avg(job:http_requests_ratio:irate1m{h="{{ canary_hash }}"})',
            # Before: "counts events" (its rate() inside): a share of the requests.
            'histogram_fraction(0, 0.3, sum by (le) (rate(latency_bucket{h="{{ canary_hash }}"}[5m])))',
        ],
    )
    def test_a_ratio_a_quantile_or_a_gauge_is_not_warned(self, query):
        assert self.warned(check(canary=query, baseline=query.replace("canary", "stable"))) == []

    def test_a_proportions_counts_and_a_ratios_events_are_not_warned(self):
        events = 'sum(increase(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))'
        proportion = {"success": SUCCESS, "total": TOTAL}
        assert self.warned(check(method="proportion", canary=proportion, baseline=proportion)) == []
        assert self.warned(check(canary={"query": CANARY, "events": events}, baseline=BASELINE)) == []


def counted(selector: str) -> str:
    """A proportion's count of `selector`'s events over the lookback."""
    return f"sum(increase({selector}[{{{{ lookback }}}}]))"


class TestDirectionAgainstTheSuccessCount:
    """A proportion whose success counts failures by its metric name (or a 5xx matcher) better higher, or successes
    better lower, is a load warning naming the direction meant: a swapped direction passes every regression."""

    CANARY = 'h="{{ canary_hash }}"'
    ALL_REQUESTS = f"http_requests_total{{{CANARY}}}"

    def warned(self, direction: str, success: str) -> list[str]:
        canary = {"success": success, "total": TOTAL}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        definition = check(method="proportion", direction=direction, canary=canary, baseline=baseline)
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "calls a" in w]

    @pytest.mark.parametrize(
        ("selector", "what"),
        [
            (f"kpi_failed_payments_total{{{CANARY}}}", "kpi_failed_payments_total, by its name"),
            (f"http_server_errors_total{{{CANARY}}}", "http_server_errors_total, by its name"),
            (f"payment_err_total{{{CANARY}}}", "payment_err_total, by its name"),
            (f'http_requests_total{{{CANARY}, code=~"5.."}}', "http_requests_total with a 5xx matcher"),
            # Before: silent, 5xx counted after 4xx, in a group or through another label's name.
            (f'http_requests_total{{{CANARY}, code=~"4..|5.."}}', "http_requests_total with a 5xx matcher"),
            (f'http_requests_total{{{CANARY}, code=~"(5..)"}}', "http_requests_total with a 5xx matcher"),
            (f'http_requests_total{{{CANARY}, http_status=~"5.."}}', "http_requests_total with a 5xx matcher"),
            (f"checkout_abandoned_total{{{CANARY}}}", "checkout_abandoned_total, by its name"),
            # A negation beside another word negates no failure: these count errors.
            (f"http_not_found_errors_total{{{CANARY}}}", "http_not_found_errors_total, by its name"),
            (f"no_route_errors_total{{{CANARY}}}", "no_route_errors_total, by its name"),
            # Before: silent. A matcher's value on an outcome label picks failures (Spring Boot's outcome, a
            # result, a success flag false, an error flag true, 4xx codes), as does excluding the successes.
            (
                f'http_requests_total{{{CANARY}, outcome="SERVER_ERROR"}}',
                'http_requests_total with outcome="SERVER_ERROR"',
            ),
            (
                f'http_requests_total{{{CANARY}, outcome=~"CLIENT_ERROR|SERVER_ERROR"}}',
                'http_requests_total with outcome=~"CLIENT_ERROR|SERVER_ERROR"',
            ),
            (f'payments_total{{{CANARY}, result="failure"}}', 'payments_total with result="failure"'),
            (f'payments_total{{{CANARY}, success="false"}}', 'payments_total with success="false"'),
            (f'jobs_total{{{CANARY}, error="true"}}', 'jobs_total with error="true"'),
            (f'http_requests_total{{{CANARY}, code=~"4.."}}', 'http_requests_total with code=~"4.."'),
            (f'http_requests_total{{{CANARY}, outcome!="SUCCESS"}}', 'http_requests_total with outcome!="SUCCESS"'),
            (f'rpc_calls_total{{{CANARY}, status_code!~"2.."}}', 'rpc_calls_total with status_code!~"2.."'),
            (f'response_total{{{CANARY}, classification="failure"}}', 'response_total with classification="failure"'),
            # Before: silent. gRPC codes but OK by name on a code label, and by number on a gRPC label (14
            # Unavailable); a process's exit code but 0.
            (
                f'grpc_server_handled_total{{{CANARY}, grpc_code="Unavailable"}}',
                'grpc_server_handled_total with grpc_code="Unavailable"',
            ),
            (
                f'envoy_rq_total{{{CANARY}, code=~"Unavailable|Internal|DeadlineExceeded"}}',
                'envoy_rq_total with code=~"Unavailable|Internal|DeadlineExceeded"',
            ),
            (
                f'rpc_total{{{CANARY}, grpc_status=~"DEADLINE_EXCEEDED"}}',
                'rpc_total with grpc_status=~"DEADLINE_EXCEEDED"',
            ),
            (
                f'istio_requests_total{{{CANARY}, grpc_response_status="14"}}',
                'istio_requests_total with grpc_response_status="14"',
            ),
            (
                f'istio_requests_total{{{CANARY}, grpc_response_status!="0"}}',
                'istio_requests_total with grpc_response_status!="0"',
            ),
            # The highest gRPC code, 16 Unauthenticated (17 is none: see the names that say neither).
            (
                f'istio_requests_total{{{CANARY}, grpc_response_status="16"}}',
                'istio_requests_total with grpc_response_status="16"',
            ),
            # Before: said "with a 5xx matcher": an exit code 5 is no HTTP class.
            (f'jobs_total{{{CANARY}, exit_code="5"}}', 'jobs_total with exit_code="5"'),
            (f'jobs_total{{{CANARY}, exit_code!="0"}}', 'jobs_total with exit_code!="0"'),
            # An exit code beyond gRPC's (137: killed, out of memory) or of two digits.
            (f'jobs_total{{{CANARY}, exit_code="137"}}', 'jobs_total with exit_code="137"'),
            (f'jobs_total{{{CANARY}, exit_code="50"}}', 'jobs_total with exit_code="50"'),
        ],
    )
    def test_failures_better_higher_are_warned(self, selector, what):
        # Before: no warning; with failed payments better higher, a canary failing 2.5% of its payments against a
        # baseline failing 0.5% passes (its rate is higher: "better"; see test_a_swapped_direction_passes_a_regression).
        assert self.warned("higher_is_better", counted(selector)) == [
            f"canary.success counts failures ({what}) and direction higher_is_better calls a higher rate of them "
            "better: a canary failing more would pass; if success counts failures, write direction: lower_is_better"
        ]

    def test_a_negative_offset_is_no_subtraction(self):
        # Before: silent; the minus of `offset -5m` read as `all - 5xx`, the successes.
        success = f'sum(increase(http_requests_total{{{self.CANARY}, code=~"5.."}}[{{{{ lookback }}}}] offset -5m))'
        assert [w[:75] for w in self.warned("higher_is_better", success)] == [
            "canary.success counts failures (http_requests_total with a 5xx matcher) and"
        ]

    @pytest.mark.parametrize(
        "metric", ["payments_not_ok_total", "payments_non_success_total", "payments_unsuccessful_total"]
    )
    def test_a_negated_success_name_counts_failures(self, metric):
        # Before: silent better higher, and better lower `not_ok` read as successes, warned to write higher_is_better.
        success = counted(f"{metric}{{{self.CANARY}}}")
        assert self.warned("lower_is_better", success) == []
        assert self.warned("higher_is_better", success) == [
            f"canary.success counts failures ({metric}, by its name) and direction higher_is_better calls a higher "
            "rate of them better: a canary failing more would pass; if success counts failures, write direction: "
            "lower_is_better"
        ]

    @pytest.mark.parametrize("value", ["NOT_OK", "non_success", "unsuccessful"])
    def test_a_negated_success_value_picks_failures(self, value):
        # Before: `outcome="NOT_OK"` read as successes (its ok), warned better lower.
        success = counted(f'payments_total{{{self.CANARY}, outcome="{value}"}}')
        assert self.warned("lower_is_better", success) == []
        assert self.warned("higher_is_better", success) == [
            f'canary.success counts failures (payments_total with outcome="{value}") and direction higher_is_better '
            "calls a higher rate of them better: a canary failing more would pass; if success counts failures, write "
            "direction: lower_is_better"
        ]

    def test_a_swapped_direction_passes_a_regression(self):
        # What the warning is for: the judge cannot tell a swapped direction from a meant one.
        counts = {"canary": {"success": 2500, "total": 100000}, "baseline": {"success": 2000, "total": 400000}}
        judged = judge("proportion", "higher_is_better", **counts, max_relative_change=None, max_absolute_change=0.001)
        assert judged.outcome is Outcome.PASS

    @pytest.mark.parametrize(
        ("selector", "what"),
        [
            (f"checkout_orders_total{{{CANARY}}}", "checkout_orders_total, by its name"),
            # Before: silent. A matcher's value on an outcome label picks successes, as does excluding the failures.
            (f'http_requests_total{{{CANARY}, outcome="SUCCESS"}}', 'http_requests_total with outcome="SUCCESS"'),
            (f'payments_total{{{CANARY}, success="true"}}', 'payments_total with success="true"'),
            (f'grpc_server_handled_total{{{CANARY}, grpc_code="OK"}}', 'grpc_server_handled_total with grpc_code="OK"'),
            (f'http_requests_total{{{CANARY}, code=~"2..|3.."}}', 'http_requests_total with code=~"2..|3.."'),
            (f'http_requests_total{{{CANARY}, status!~"5.."}}', 'http_requests_total with status!~"5.."'),
            (f'http_requests_total{{{CANARY}, outcome=~"^SUCCESS$"}}', 'http_requests_total with outcome=~"^SUCCESS$"'),
            # Before: silent. gRPC's OK by number, a process's exit code 0.
            (
                f'istio_requests_total{{{CANARY}, grpc_response_status="0"}}',
                'istio_requests_total with grpc_response_status="0"',
            ),
            (f'jobs_total{{{CANARY}, exit_code="0"}}', 'jobs_total with exit_code="0"'),
            (
                f'rpc_total{{{CANARY}, grpc_code!~"Unavailable|Internal"}}',
                'rpc_total with grpc_code!~"Unavailable|Internal"',
            ),
        ],
    )
    def test_successes_better_lower_are_warned(self, selector, what):
        assert self.warned("lower_is_better", counted(selector)) == [
            f"canary.success counts successes ({what}) and direction lower_is_better calls "
            "a lower rate of them better: a canary converting less would pass; if success counts successes, write "
            "direction: higher_is_better"
        ]

    @pytest.mark.parametrize(
        ("direction", "success"),
        [
            ("lower_is_better", counted(f"kpi_failed_payments_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"checkout_orders_total{{{CANARY}}}")),
            ("lower_is_better", counted(f"failed_orders_total{{{CANARY}}}")),
            ("either", counted(f"errors_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"errorless_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"config_defaults_total{{{CANARY}}}")),  # "faults" within a word
            ("higher_is_better", "vector(0)"),  # no metric name to read
            ("either", counted(f"checkout_orders_total{{{CANARY}}}")),
            (
                "lower_is_better",
                counted(f"checkout_orders_total{{{CANARY}}}") + " - " + counted(f"refunds_total{{{CANARY}}}"),
            ),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, code!~"5.."}}')),
            (
                "higher_is_better",
                counted(ALL_REQUESTS) + " - " + counted(f'http_requests_total{{{CANARY}, code=~"5.."}}'),
            ),
            ("higher_is_better", counted(ALL_REQUESTS) + " - " + counted(f"errors_total{{{CANARY}}}")),
            # Before: warned. A negated failure word counts successes; a matcher saying failures makes orders failed.
            ("higher_is_better", counted(f"error_free_sessions_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"non_error_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"no_timeout_total{{{CANARY}}}")),
            ("higher_is_better", counted(f"requests_without_errors_total{{{CANARY}}}")),
            ("lower_is_better", counted(f'orders_total{{{CANARY}, status="failed"}}')),
            ("lower_is_better", counted(f'orders_total{{{CANARY}, status=~"cancelled|declined"}}')),
            ("lower_is_better", counted(f"purchase_refunds_total{{{CANARY}}}")),
            ("lower_is_better", counted(f"checkout_abandoned_total{{{CANARY}}}")),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, code=~"2..|3.."}}')),
            ("lower_is_better", "vector(0)"),  # no metric name to read, either way
            # Label values that agree with the direction, or name a workload rather than an outcome.
            ("lower_is_better", counted(f'http_requests_total{{{CANARY}, outcome="SERVER_ERROR"}}')),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, outcome="SUCCESS"}}')),
            ("higher_is_better", counted(f'payments_total{{{CANARY}, success="true"}}')),
            ("lower_is_better", counted(f'payments_total{{{CANARY}, success="false"}}')),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, job="error-reporter"}}')),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, service="errors"}}')),
            ("higher_is_better", counted(f'response_total{{{CANARY}, classification!="failure"}}')),  # linkerd's
            # Alternatives that say both, either way; a failure word negated; a number on a label that is no code.
            ("higher_is_better", counted(f'payments_total{{{CANARY}, success=~"true|false"}}')),
            ("lower_is_better", counted(f'payments_total{{{CANARY}, success=~"true|false"}}')),
            ("higher_is_better", counted(f'jobs_total{{{CANARY}, result="no_error"}}')),
            ("higher_is_better", counted(f'jobs_total{{{CANARY}, state="5"}}')),
            # Successes by their name picked failed by a flag; successes taken away from all requests.
            ("lower_is_better", counted(f'checkout_orders_total{{{CANARY}, success="false"}}')),
            (
                "lower_is_better",
                counted(ALL_REQUESTS) + " - " + counted(f'http_requests_total{{{CANARY}, outcome="SUCCESS"}}'),
            ),
            ("higher_is_better", counted(f'http_requests_total{{{CANARY}, outcome=~"SUCCESS|SERVER_ERROR"}}')),
            ("lower_is_better", counted(f'http_requests_total{{{CANARY}, service="orders"}}')),
            (
                "higher_is_better",
                counted(ALL_REQUESTS) + " - " + counted(f'http_requests_total{{{CANARY}, outcome="SERVER_ERROR"}}'),
            ),
            # Before: warned. A number is an HTTP code only as one is written: an exit or error code 1 and a gRPC
            # status 14 (Istio's grpc_response_status) count failures, not 1xx responses.
            ("lower_is_better", counted(f'jobs_total{{{CANARY}, exit_code="1"}}')),
            ("lower_is_better", counted(f'rpc_total{{{CANARY}, error_code=~"1|2"}}')),
            ("lower_is_better", counted(f'istio_requests_total{{{CANARY}, grpc_response_status="14"}}')),
            ("lower_is_better", counted(f'istio_requests_total{{{CANARY}, grpc_response_status=~"1[34]"}}')),
            # A gRPC code by name on a label that says no code (`type="internal"`: a kind of request), a gRPC number
            # beyond the codes, a 5 alone on a code label that is no class: neither.
            ("higher_is_better", counted(f'rpc_total{{{CANARY}, type="internal"}}')),
            ("higher_is_better", counted(f'rpc_total{{{CANARY}, grpc_code="17"}}')),
            ("higher_is_better", counted(f'rpc_total{{{CANARY}, code="5"}}')),
            ("lower_is_better", counted(f'rpc_total{{{CANARY}, grpc_code=~"OK|Unavailable"}}')),
            # Before: warned. A sum of successes and failures the team accepts (client errors, a lookup's 404) says
            # neither, as a regex's alternatives that disagree do.
            (
                "higher_is_better",
                counted(f'http_requests_total{{{CANARY}, outcome="SUCCESS"}}')
                + " + "
                + counted(f'http_requests_total{{{CANARY}, outcome="CLIENT_ERROR"}}'),
            ),
            (
                "higher_is_better",
                counted(f'http_requests_total{{{CANARY}, code=~"2.."}}')
                + " + "
                + counted(f'http_requests_total{{{CANARY}, code="404"}}'),
            ),
            # One name says successes, the other neither: the sum counts more than successes.
            (
                "lower_is_better",
                counted(f"checkout_orders_total{{{CANARY}}}") + " + " + counted(f"kpi_visits_total{{{CANARY}}}"),
            ),
            # A success name beside a matcher whose alternatives pick both outcomes: orders completed or failed.
            ("lower_is_better", counted(f'checkout_orders_total{{{CANARY}, status=~"completed|failed"}}')),
        ],
    )
    def test_a_direction_the_names_agree_with_or_cannot_tell_is_not_warned(self, direction, success):
        assert self.warned(direction, success) == []

    @pytest.mark.parametrize(
        ("selector", "what"),
        [
            (f'http_requests_total{{{CANARY}, code="503"}}', "http_requests_total with a 5xx matcher"),
            (f'http_requests_total{{{CANARY}, code="404"}}', 'http_requests_total with code="404"'),
            (
                f'envoy_cluster_upstream_rq_xx{{{CANARY}, envoy_response_code_class="4"}}',
                'envoy_cluster_upstream_rq_xx with envoy_response_code_class="4"',
            ),
        ],
    )
    def test_a_code_written_as_an_http_status_is_read(self, selector, what):
        assert self.warned("higher_is_better", counted(selector)) == [
            f"canary.success counts failures ({what}) and direction higher_is_better calls a higher rate of them "
            "better: a canary failing more would pass; if success counts failures, write direction: lower_is_better"
        ]

    def test_a_param_outside_a_string_does_not_hide_the_matchers(self):
        # Before: silent. `offset {{ shift }}` is no PromQL until rendered, so the outcome matchers went unread and a
        # failure count better higher loaded without a warning.
        success = counted('http_requests_total{h="{{ canary_hash }}", outcome="SERVER_ERROR"}').replace(
            "]", "] offset {{ shift }}"
        )
        canary = {"success": success, "total": TOTAL}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        params = {**PARAMS, "shift": {"type": "duration", "default": "1m"}}
        definition = check(
            method="proportion", direction="higher_is_better", params=params, canary=canary, baseline=baseline
        )
        assert [
            w.partition(": check 'kpi': ")[2].partition(")")[0] for w in load(definition).warnings if "direction" in w
        ] == ['canary.success counts failures (http_requests_total with outcome="SERVER_ERROR"']


NOT_OK = 'outcome="NOT_OK"'


def rate_of(metric: str, matcher: str = "") -> str:
    """A ratio's rate per second of the canary's `metric` events, picked by `matcher` too."""
    picked = f", {matcher}" if matcher else ""
    return "sum(rate(" + metric + '{h="{{ canary_hash }}"' + picked + "}[5m]))"


class TestDirectionAgainstTheRatio:
    """A ratio or mann_whitney KPI that is a ratio of failures better higher, or of successes better lower (a constant
    less one says the other: Flagger's gRPC `100 - errors / started * 100`), is a load warning naming the fragment that
    says so and the direction to write: a swapped direction passes every regression."""

    ALL = rate_of("http_requests_total")
    ERRORS = rate_of("errors_total")
    # Flagger's documented gRPC "error rate" template (go-grpc-prometheus' counters): a success percentage.
    FLAGGER_GRPC = (
        "100 - " + rate_of("grpc_server_handled_total", 'grpc_code!="OK"') + " "
        f"/ {rate_of('grpc_server_started_total')} * 100"
    )

    def warned(self, direction: str, query: str, method: str = "ratio") -> list[str]:
        definition = check(method=method, direction=direction, canary=query, baseline=query.replace("canary", "stable"))
        if method == "mann_whitney":
            definition |= {"lookback": "30m", "step": "1m", "min_samples": 20}
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "calls a" in w]

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_flaggers_grpc_success_percentage_better_lower_is_warned(self, method):
        # Before: silent; judged lower_is_better (its name says "error rate"), a canary failing 5% of its calls
        # against a baseline failing 1% reads 95 against 99: lower, "better", and passes.
        assert self.warned("lower_is_better", self.FLAGGER_GRPC, method) == [
            "canary.query is a success ratio (100 less a ratio whose numerator counts failures: "
            'grpc_server_handled_total with grpc_code!="OK") and direction lower_is_better calls a lower value '
            "better: a canary failing more would pass and one failing less fail; if the query is a success ratio, "
            "write direction: higher_is_better"
        ]

    @pytest.mark.parametrize("nested", ["(", "sum(", "1 - ("])
    def test_a_query_nested_too_deeply_to_read_is_warned_and_loads_in_a_job(self, nested):
        # Before: a RecursionError out of the catalog load (the reader recursed once per bracket): `analyzer
        # validate` crashed with exit 1, and a reload lost the good checks beside this one. The whole catalog's
        # load now refuses such a query (promql_size_problem); a Job's, of its one check, reads it and warns.
        query = nested * 1000 + f"{self.ERRORS} / {self.ALL}" + ")" * 1000
        definition = check(direction="lower_is_better", canary=query, baseline=query.replace("canary", "stable"))
        with pytest.raises(ConfigError) as caught:
            load(definition)
        # 1,000 levels around sum(rate(x[5m])), which are 3 more.
        assert [problem.partition(": check 'kpi': ")[2] for problem in caught.value.problems] == [
            "canary: the query nests 1003 levels of brackets; at most 200: write it with fewer "
            "nested brackets and operators"
        ]
        source = {"default": {"type": "prometheus", "url": "http://127.0.0.1:9"}}
        job = build_catalog(
            [("test.yaml", {"sources": source, "checks": [definition]})], Registry.default(), only="kpi"
        )
        warnings = [w.partition(": check 'kpi': ")[2] for w in job.warnings]
        assert [w for w in warnings if "direction" in w] == [
            "canary.query nests its brackets too deeply (hundreds of levels) to read whether it is an error or a "
            "success ratio, so its direction lower_is_better is not checked against it; write it with fewer nested "
            "brackets to have it checked"
        ]

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_quantile_over_time_of_a_ratio_is_read_through(self, method):
        # Before: silent (every reading stopped at "quantile"): a step's 90th percentile of an error ratio is still
        # better lower.
        query = 'quantile_over_time(0.9, job:errors:ratio5m{h="{{ canary_hash }}"}[10m])'
        assert self.warned("higher_is_better", query, method) == [
            "canary.query is an error ratio (a ratio whose numerator counts failures: job:errors:ratio5m, a recorded "
            "ratio by its name) and direction higher_is_better calls a higher value better: a canary failing more "
            "would pass and one failing less fail; if the query is an error ratio, write direction: lower_is_better"
        ]
        assert self.warned("lower_is_better", query, method) == []

    @pytest.mark.parametrize(
        "query",
        [
            f"quantile_over_time(0.9, ({ERRORS} / {ALL})[10m:1m])",
            'quantile(0.9, job:errors:ratio5m{h="{{ canary_hash }}"})',
            'quantile_over_time(0.9, histogram_quantile(0.99, rate(errors_bucket{h="{{ canary_hash }}"}[5m]))[10m:1m])',
        ],
        ids=["subquery", "quantile-aggregation", "of-a-latency-quantile"],
    )
    def test_only_a_quantile_over_time_of_a_ratio_is_read(self, query):
        warned = self.warned("higher_is_better", query)
        assert [w[:30] for w in warned] == (["canary.query is an error ratio"] if "over_time(0.9, (" in query else [])

    @pytest.mark.parametrize(
        "numerator", ["error_free_sessions_total", "non_error_requests_total", "requests_without_errors_total"]
    )
    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_negated_failure_name_counts_successes(self, numerator, method):
        # Before: neither way warned (a negated failure word said nothing), and mann_whitney's load warning called
        # it an error ratio, at 0 for little traffic.
        query = f"{rate_of(numerator)} / {self.ALL}"
        assert self.warned("higher_is_better", query, method) == []
        assert self.warned("lower_is_better", query, method) == [
            f"canary.query is a success ratio (a ratio whose numerator counts successes: {numerator}, by its name) and "
            "direction lower_is_better calls a lower value better: a canary failing more would pass and one failing "
            "less fail; if the query is a success ratio, write direction: higher_is_better"
        ]

    @pytest.mark.parametrize(
        "wrapped",
        [
            'label_replace({}, "kpi", "errors", "", "")',
            'label_join({}, "kpi", ",", "h")',
            "clamp_max({}, 1)",
            "clamp_min({}, 0)",
            "clamp({}, 0, 1)",
            "sort({})",
        ],
    )
    def test_a_ratio_inside_a_function_keeping_its_values_is_read(self, wrapped):
        # Before: read as neither, so a swapped direction went unwarned.
        query = wrapped.format(rate_of("http_requests_total", 'code=~"5.."') + f" / {self.ALL}")
        assert self.warned("lower_is_better", query) == []
        assert self.warned("higher_is_better", query) == [
            "canary.query is an error ratio (a ratio whose numerator counts failures: http_requests_total with "
            'code=~"5..") and direction higher_is_better calls a higher value better: a canary failing more would '
            "pass and one failing less fail; if the query is an error ratio, write direction: lower_is_better"
        ]

    def test_a_negative_offset_is_no_subtraction(self):
        # Before: `offset -5m` split the query at its minus, and the ratio read as neither.
        query = (
            'http_requests_total{code=~"5..",h="{{ canary_hash }}"} offset -5m '
            '/ http_requests_total{h="{{ canary_hash }}"} offset -5m'
        )
        assert self.warned("lower_is_better", query) == []
        assert [w[:60] for w in self.warned("higher_is_better", query)] == [
            "canary.query is an error ratio (a ratio whose numerator coun"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'avg(job:not_ok:ratio{h="{{ canary_hash }}"})',
            'avg(job:non_success:ratio{h="{{ canary_hash }}"})',
            'avg(job:not_available:ratio{h="{{ canary_hash }}"})',
            f"{rate_of('not_ok_total')} / {rate_of('requests_total')}",
            f"{rate_of('requests_without_success_total')} / {rate_of('requests_total')}",
        ],
        ids=["not-ok", "non-success", "not-available", "not-ok-total", "without-success"],
    )
    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_negated_success_word_says_no_success(self, query, method):
        # Before: read as a success ratio, so the right direction, lower_is_better, drew a warning to write
        # higher_is_better (which passes every regression).
        assert self.warned("lower_is_better", query, method) == []

    @pytest.mark.parametrize(
        ("query", "evidence"),
        [
            ('avg(job:not_ok:ratio{h="{{ canary_hash }}"})', "job:not_ok:ratio, a recorded ratio by its name"),
            (
                'avg(job:non_success:ratio{h="{{ canary_hash }}"})',
                "job:non_success:ratio, a recorded ratio by its name",
            ),
            (f"{rate_of('not_ok_total')} / {rate_of('requests_total')}", "not_ok_total, by its name"),
            (f"{rate_of('unsuccessful_total')} / {rate_of('requests_total')}", "unsuccessful_total, by its name"),
            (
                f"{rate_of('requests_without_success_total')} / {rate_of('requests_total')}",
                "requests_without_success_total, by its name",
            ),
            (f"{rate_of('rpc_total', NOT_OK)} / {rate_of('rpc_total')}", f"rpc_total with {NOT_OK}"),
        ],
        ids=["not-ok", "non-success", "not-ok-total", "unsuccessful", "without-success", "not-ok-value"],
    )
    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_negated_success_word_counts_failures(self, query, evidence, method):
        # Before: neither, so an error ratio better higher drew no warning (it passes every regression).
        assert self.warned("higher_is_better", query, method) == [
            f"canary.query is an error ratio (a ratio whose numerator counts failures: {evidence}) and direction "
            "higher_is_better calls a higher value better: a canary failing more would pass and one failing less "
            "fail; if the query is an error ratio, write direction: lower_is_better"
        ]

    def test_a_negative_time_is_no_subtraction(self):
        # The minus of `@ -60` is a sign, as an offset's is. Before: the load crashed, a panic of the PromQL parser's
        # binding reading a time before 1970 (promql_groups._read_by), and `analyzer validate` exited 1.
        query = (
            'http_requests_total{code=~"5..",h="{{ canary_hash }}"} @ -60 / http_requests_total{h="{{ canary_hash }}"}'
        )
        assert self.warned("lower_is_better", query) == []
        assert [w[:60] for w in self.warned("higher_is_better", query)] == [
            "canary.query is an error ratio (a ratio whose numerator coun"
        ]
        assert _direction_against_ratio("lower_is_better", query) is None

    def test_a_function_changing_the_values_is_not_read_through(self):
        query = f"abs({rate_of('errors_total')} / {self.ALL} - 0.5)"
        assert self.warned("higher_is_better", query) == []

    @pytest.mark.parametrize(
        ("query", "direction"),
        [
            (f"{BUCKET.replace('le=', 'le!=')} / {COUNT}", "higher_is_better"),
            (f"{BUCKET.replace('le=', 'le=~').replace('0.3', '0.3|0.5')} / {COUNT}", "lower_is_better"),
            (f"histogram_fraction(0.1, 0.3, {BY_LE})", "lower_is_better"),
            (f"histogram_fraction(0.1, 0.3, {BY_LE})", "higher_is_better"),
            (f"histogram_fraction(0, +Inf, {BY_LE})", "higher_is_better"),
            (f"histogram_fraction(-Inf, +Inf, {BY_LE})", "lower_is_better"),
        ],
        ids=["not-a-bound", "two-bounds", "band-lower", "band-higher", "all-higher", "all-lower"],
    )
    def test_a_bucket_reading_no_outcome_is_not_warned(self, query, direction):
        # Before: `le!="0.3"` (every other bucket) read as the slow requests, two bounds as the fast ones.
        assert self.warned(direction, query) == []

    @pytest.mark.parametrize(
        ("query", "direction", "evidence"),
        [
            (
                f"histogram_fraction(0, 0.3, {BY_LE})",
                "lower_is_better",
                "a success ratio (a ratio whose numerator counts successes: histogram_fraction(0, 0.3, ...) of "
                "http_request_duration_seconds_bucket, the share at or below 0.3)",
            ),
            (
                f"histogram_fraction(0.3, +Inf, {BY_LE})",
                "higher_is_better",
                "an error ratio (a ratio whose numerator counts failures: histogram_fraction(0.3, +Inf, ...) of "
                "http_request_duration_seconds_bucket, the share above 0.3)",
            ),
            (
                f"round({rate_of('errors_total')} / {rate_of('requests_total')}, 0.001)",
                "higher_is_better",
                "an error ratio (a ratio whose numerator counts failures: errors_total, by its name)",
            ),
            (
                f"abs({rate_of('errors_total')} / {rate_of('requests_total')})",
                "higher_is_better",
                "an error ratio (a ratio whose numerator counts failures: errors_total, by its name)",
            ),
            (
                'last_over_time(job:errors:ratio5m{h="{{ canary_hash }}"}[10m])',
                "higher_is_better",
                "an error ratio (a ratio whose numerator counts failures: job:errors:ratio5m, a recorded ratio by its "
                "name)",
            ),
        ],
        ids=["fraction-within", "fraction-above", "round", "abs", "last-over-time"],
    )
    def test_a_ratio_read_through_a_function_is_warned(self, query, direction, evidence):
        # Before: histogram_fraction(), round(), abs() and *_over_time() were not read through: no warning.
        (warning,) = self.warned(direction, query)
        assert warning.startswith(f"canary.query is {evidence} and direction {direction} calls a "), warning

    @pytest.mark.parametrize(
        ("query", "kind", "evidence"),
        [
            ("avg(job:errors:ratio5m{h})", "an error ratio", "job:errors:ratio5m"),
            ("avg(slo:sli_error:ratio_rate5m{h})", "an error ratio", "slo:sli_error:ratio_rate5m"),
            ("max(job:http_error_ratio:rate5m{h}) * 100", "an error ratio", "job:http_error_ratio:rate5m"),
            ("avg(job:http_success:ratio{h})", "a success ratio", "job:http_success:ratio"),
            ("avg(job:availability:ratio{h})", "a success ratio", "job:availability:ratio"),
            ("1 - avg(job:errors:ratio5m{h})", "a success ratio", "1 less a ratio whose numerator counts failures: "),
        ],
        ids=["recorded", "sloth", "ratio-metric", "success", "availability", "1-less"],
    )
    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_recorded_ratio_is_read_by_its_name(self, query, kind, evidence, method):
        # Before: read as neither, so an error ratio better higher (or a success ratio better lower), every regression
        # passing, loaded without a warning.
        query = query.replace("{h}", '{h="{{ canary_hash }}"}')
        right, wrong = (
            ("lower_is_better", "higher_is_better")
            if kind == "an error ratio"
            else reversed(("lower_is_better", "higher_is_better"))
        )
        assert self.warned(right, query, method) == []
        [warning] = self.warned(wrong, query, method)
        assert warning.startswith(f"canary.query is {kind} ("), warning
        assert evidence in warning, warning
        assert warning.endswith(f"if the query is {kind}, write direction: {right}")

    @pytest.mark.parametrize(
        "name",
        [
            "http_requests_total:burnrate5m",
            "slo:current_burn_rate:ratio",
            "slo:error_budget",
            "slo:period_error_budget_remaining:ratio",
            "slo:objective:ratio",
            "job:errors:rate5m",
            "job:errors_per_success:ratio",
        ],
    )
    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better"])
    def test_other_recorded_series_say_no_direction(self, name, direction):
        # A burn rate, a budget, an objective, a rate, a ratio of errors to successes: no share of one outcome.
        assert self.warned(direction, f'avg({name}{{h="{{{{ canary_hash }}}}"}})', "mann_whitney") == []

    def test_a_swapped_direction_passes_a_regression(self):
        # What the warning is for: the judge cannot tell a swapped direction from a meant one.
        judged = judge("ratio", "lower_is_better", canary={"query": 95.0}, baseline={"query": 99.0})
        assert judged.outcome is Outcome.PASS

    @pytest.mark.parametrize(
        ("query", "what"),
        [
            (
                rate_of("http_requests_total", 'code=~"5.."') + f" / {ALL}",
                'http_requests_total with code=~"5.."',
            ),
            (f"{ERRORS} / {ALL} or vector(0)", "errors_total, by its name"),
            (
                'avg by (pod) (rate(errors_total{h="{{ canary_hash }}"}[5m]) '
                '/ rate(http_requests_total{h="{{ canary_hash }}"}[5m])) * 100',
                "errors_total, by its name",
            ),
            (
                rate_of("rpc_total", 'grpc_code=~"Unavailable|Internal"') + f" / {ALL}",
                'rpc_total with grpc_code=~"Unavailable|Internal"',
            ),
            # An exponent's sign is no subtraction.
            (f"{ERRORS} / {ALL} * 1e-2", "errors_total, by its name"),
            (f"100 - (1 - {ERRORS} / {ALL}) * 100", "errors_total, by its name"),
        ],
        ids=["5xx", "errors-name-fallback", "avg-by-pod", "grpc-names", "percent-by-exponent", "twice-flipped"],
    )
    def test_an_error_ratio_better_higher_is_warned(self, query, what):
        less = "100 less 1 less " if query.startswith("100 - (1") else ""
        assert self.warned("higher_is_better", query) == [
            f"canary.query is an error ratio ({less}a ratio whose numerator counts failures: {what}) and direction "
            "higher_is_better calls a higher value better: a canary failing more would pass and one failing less "
            "fail; if the query is an error ratio, write direction: lower_is_better"
        ]

    def test_flaggers_404_percentage_better_higher_is_warned(self):
        # 100 less the share of the responses but 404: the 404s' percentage.
        query = (
            "100 - " + rate_of("istio_requests_total", 'response_code!="404"') + " "
            f"/ {rate_of('istio_requests_total')} * 100"
        )
        assert self.warned("higher_is_better", query) == [
            "canary.query is an error ratio (100 less a ratio whose numerator counts successes: istio_requests_total "
            'with response_code!="404") and direction higher_is_better calls a higher value better: a canary failing '
            "more would pass and one failing less fail; if the query is an error ratio, write direction: "
            "lower_is_better"
        ]

    @pytest.mark.parametrize(
        ("query", "what"),
        [
            (
                rate_of("http_requests_total", 'code!~"5.."') + f" / {ALL}",
                'a ratio whose numerator counts successes: http_requests_total with code!~"5.."',
            ),
            (
                f"(1 - {ERRORS} / {ALL}) * 100",
                "1 less a ratio whose numerator counts failures: errors_total, by its name",
            ),
            (
                f"{rate_of('checkout_orders_total')} / {rate_of('checkout_visits_total')}",
                "a ratio whose numerator counts successes: checkout_orders_total, by its name",
            ),
            (
                f"{rate_of('ok_total')} / ({rate_of('ok_total')} + {ERRORS})",
                "a ratio whose numerator counts successes: ok_total, by its name",
            ),
            # A grouping modifier before the bracketed ratio.
            (
                f"1 - on() ({ERRORS} / {ALL})",
                "1 less a ratio whose numerator counts failures: errors_total, by its name",
            ),
            # A sign after an operator is no addition.
            (
                f"(1 - {ERRORS} / {ALL}) * +100",
                "1 less a ratio whose numerator counts failures: errors_total, by its name",
            ),
            # All the events less the failures: the successes (before: read as neither, a swapped direction silent).
            (
                f"({ALL} - {ERRORS}) / {ALL}",
                "a ratio whose numerator counts successes: http_requests_total less errors_total, by its name",
            ),
            # Bare selectors: a name starting or ending in a set operator's word (`orders`, `app_error`) is no `or`.
            (
                '1 - order_errors_total{h="{{ canary_hash }}"} / orders_total{h="{{ canary_hash }}"}',
                "1 less a ratio whose numerator counts failures: order_errors_total, by its name",
            ),
            (
                '1 - app_error{h="{{ canary_hash }}"} / app_requests{h="{{ canary_hash }}"}',
                "1 less a ratio whose numerator counts failures: app_error, by its name",
            ),
            (
                f"({ALL} - " + rate_of("http_requests_total", 'code=~"5.."') + f") / {ALL}",
                "a ratio whose numerator counts successes: http_requests_total less http_requests_total with "
                'code=~"5.."',
            ),
        ],
        ids=[
            "not-5xx",
            "1-less-errors",
            "conversion",
            "ok-over-ok-and-errors",
            "on-modifier",
            "unary-plus",
            "all-less-errors",
            "all-less-5xx",
            "orders-bare",
            "error-bare",
        ],
    )
    def test_a_success_ratio_better_lower_is_warned(self, query, what):
        assert self.warned("lower_is_better", query) == [
            f"canary.query is a success ratio ({what}) and direction lower_is_better calls a lower value better: a "
            "canary failing more would pass and one failing less fail; if the query is a success ratio, write "
            "direction: higher_is_better"
        ]

    @pytest.mark.parametrize(
        ("direction", "query"),
        [
            ("higher_is_better", FLAGGER_GRPC),
            ("either", FLAGGER_GRPC),
            ("lower_is_better", f"{ERRORS} / {ALL}"),
            ("higher_is_better", f"1 - {ERRORS} / {ALL}"),
            # A mean of a measure, a quantile, a gauge: no share of an outcome.
            ("higher_is_better", f"{rate_of('error_handler_seconds_sum')} / {rate_of('error_handler_seconds_count')}"),
            (
                "higher_is_better",
                'histogram_quantile(0.99, sum by (le) (rate(errors_bucket{h="{{ canary_hash }}"}[5m])))',
            ),
            ("higher_is_better", 'avg(kpi_errors{h="{{ canary_hash }}"})'),
            # A count taken away from all requests, the inverse of a ratio, a numerator of both outcomes, the traffic
            # over the errors, a difference of two ratios: none is a share of one outcome.
            (
                "higher_is_better",
                f"({ALL} - " + rate_of("http_requests_total", 'code=~"5.."') + f") / {ALL}",
            ),
            ("higher_is_better", f"1 / ({ERRORS} / {ALL})"),
            (
                "higher_is_better",
                rate_of("http_requests_total", 'outcome=~"SUCCESS|SERVER_ERROR"') + f" / {ALL}",
            ),
            ("lower_is_better", f"{ALL} / {ERRORS}"),
            ("higher_is_better", f"{ERRORS} / {ALL} - {ERRORS} / {ALL}"),
            ("either", f"{ERRORS} / {ALL}"),
            # A ratio of quantiles; a product; a number divided; a ratio times a negative number; a constant first
            # (it answers for the query).
            (
                "higher_is_better",
                'histogram_quantile(0.99, sum by (le) (rate(errors_seconds_bucket{h="{{ canary_hash }}"}[5m]))) '
                '/ histogram_quantile(0.5, sum by (le) (rate(errors_seconds_bucket{h="{{ canary_hash }}"}[5m])))',
            ),
            ("higher_is_better", f"{ERRORS} * {ALL}"),
            ("higher_is_better", f"1 / {ERRORS} / {ALL}"),
            ("higher_is_better", f"{ERRORS} / {ALL} * -1"),
            ("higher_is_better", f"{ERRORS} / {ALL} * (-100)"),
            ("higher_is_better", f"vector(0) or {ERRORS} / {ALL}"),
            # Numerators whose outcomes or names disagree, or a failure word negated.
            (
                "lower_is_better",
                "("
                + rate_of("checkout_orders_total", 'outcome="SUCCESS"')
                + " + "
                + rate_of("checkout_orders_total", 'outcome="CLIENT_ERROR"')
                + f") / {ALL}",
            ),
            ("higher_is_better", f"{rate_of('error_free_sessions_total')} / {rate_of('sessions_total')}"),
            ("higher_is_better", f"({ERRORS} + {ALL}) / {ALL}"),
            # An aggregated ratio raised to -1: its inverse, better higher.
            ("higher_is_better", f"avg({ERRORS} / {ALL}) ^ -1"),
            # A count of one outcome less another count of one: errors less timeouts say neither.
            ("lower_is_better", f"({ERRORS} - {rate_of('timeouts_total')}) / {ALL}"),
            ("higher_is_better", f"({ERRORS} - {rate_of('timeouts_total')}) / {ALL}"),
            # A comparison with bool: 1 while the error ratio is under the threshold, better higher (before: warned as
            # an error ratio, and the lower_is_better it advised would pass a canary failing more).
            ("higher_is_better", f"{ERRORS} / {ALL} < bool 0.01"),
            ("lower_is_better", f"{ERRORS} / {ALL} > bool 0.01"),
            ("lower_is_better", f"({rate_of('checkout_orders_total')} + {rate_of('visits_total')}) / {ALL}"),
        ],
    )
    def test_a_direction_the_ratio_agrees_with_or_cannot_tell_is_not_warned(self, direction, query):
        assert self.warned(direction, query) == []


class TestRelativeToleranceOfASuccessRatio:
    """A gate's max_relative_change on a success ratio of requests (better higher or either way) is a load warning
    saying the failures it lets pass at a baseline of 0.999 and what to write: it is taken of the success rate."""

    OK = rate_of("http_requests_total", 'code!~"5.."')
    ALL = rate_of("http_requests_total")

    def warned(self, **overrides: Any) -> list[str]:
        definition = check(**{"direction": "higher_is_better", **overrides})
        if overrides.get("method") == "mann_whitney":
            definition |= {"lookback": "30m", "step": "5m", "min_samples": 6}
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "taken of the" in w]

    def variants(self, query: str) -> dict[str, str]:
        return {"canary": query, "baseline": query.replace("canary", "stable")}

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_a_success_ratio_picked_by_a_matcher_is_warned(self, method):
        # Before: silent; judged by the ratio method, a canary at 0.95 against a baseline at 0.999 passed (its errors
        # 50x the baseline's).
        assert self.warned(method=method, **self.variants(f"{self.OK} / {self.ALL}")) == [
            "canary.query is a success ratio (a ratio whose numerator counts successes: http_requests_total with "
            'code!~"5..") and max_relative_change 0.1 is taken of the success rate, not of the failures: at a '
            "baseline of 0.999 (failing 0.1%) it passes a canary at 0.8991 (failing 10.09%, 101x the baseline's "
            "failures); to bound the drop of the success rate write max_absolute_change in its units (0.001 lets "
            "0.999 fall to 0.998, twice the failures) instead; to allow 10% more failures judge the error ratio (1 "
            "less this one) with direction: lower_is_better and max_relative_change 0.1"
        ]

    @pytest.mark.parametrize(
        "query", ['avg(job:availability:ratio{h="{{ canary_hash }}"})', "1 - avg(job:errors:ratio5m)"]
    )
    def test_a_recorded_success_ratio_is_warned(self, query):
        # Before: silent (a recorded ratio was read for mann_whitney's load warning alone).
        (warning,) = self.warned(canary=query, baseline=query.replace("canary", "stable"))
        assert warning.startswith("canary.query is a success ratio ("), warning
        assert "a recorded ratio by its name) and max_relative_change 0.1 is taken of the success rate" in warning

    def test_the_factor_follows_the_tolerance(self):
        # 0.999 * 0.99 = 0.98901: failing 1.099%, 11x.
        (warning,) = self.warned(
            direction="either", max_relative_change=0.01, **self.variants(f"1 - {rate_of('errors_total')} / {self.ALL}")
        )
        assert "1 less a ratio whose numerator counts failures: errors_total, by its name" in warning
        assert "passes a canary at 0.98901 (failing 1.099%, 11x the baseline's failures)" in warning

    def test_a_proportion_of_successes_is_warned(self):
        success = 'sum(increase(http_requests_total{code!~"5..",h="{{ canary_hash }}"}[{{ lookback }}]))'
        total = 'sum(increase(http_requests_total{h="{{ canary_hash }}"}[{{ lookback }}]))'
        canary = {"success": success, "total": total}
        baseline = {role: query.replace("canary", "stable") for role, query in canary.items()}
        (warning,) = self.warned(method="proportion", canary=canary, baseline=baseline)
        assert warning.startswith("canary.success / canary.total is a success ratio (")
        assert "passes a canary at 0.8991" in warning

    @pytest.mark.parametrize(
        "overrides",
        [
            {"direction": "lower_is_better"},  # the direction warning says swap it
            {"mode": "ab"},  # a tolerance there is a margin to win by, not a pass
            {"max_relative_change": None, "max_absolute_change": 0.001},
            {"max_relative_change": 0},
            {"max_relative_change": 5},  # warned as a percentage written for a fraction
            {"canary": f"{rate_of('orders_total')} / {rate_of('visits_total')}"},  # a conversion, far from 1
            {"canary": f"{rate_of('errors_total')} / {ALL}"},  # an error ratio: relative to its errors
        ],
        ids=["lower", "ab", "absolute", "zero", "percent", "conversion", "error-ratio"],
    )
    def test_others_are_not_warned(self, overrides):
        variants = self.variants(overrides.pop("canary", f"{self.OK} / {self.ALL}"))
        assert self.warned(**{**variants, **overrides}) == []


class TestEventsNotCounted:
    """An `events` query per second, or a counter read without a range, is a load warning naming increase() where a
    count is read: mann_whitney's pooled counts of an error ratio, else min_canary_events."""

    RATIO = rate_of("http_requests_total", 'code=~"5.."') + " / " + rate_of("http_requests_total")
    COUNT = 'sum(increase(http_requests_total{h="{{ canary_hash }}"}[{{ lookback }}]))'

    def warned(
        self, query: str, events: str, method: str = "mann_whitney", counted: str = "both", **overrides: Any
    ) -> list[str]:
        variants = {
            side: {"query": query, "events": events} if counted in (side, "both") else {"query": query}
            for side in ("canary", "baseline")
        }
        variants["baseline"] = json.loads(json.dumps(variants["baseline"]).replace("canary", "stable"))
        definition = check(method=method, **variants, max_absolute_change=0.001, **overrides)
        if method == "mann_whitney":
            definition |= {"lookback": "30m", "step": "5m", "min_samples": 6}
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if ".events " in w]

    def test_per_second_events_of_the_pooled_counts_are_warned(self):
        # Before: silent; the pooled counts read 0.5 requests a second as the lookback's 0.5 events and held every pass
        # inconclusive.
        assert self.warned(self.RATIO, self.COUNT.replace("increase(", "rate(")) == [
            f"{side}.events is per second (rate() or irate()), and method mann_whitney's pooled counts read it as "
            "the lookback's events: they weigh the events of one second, a fraction of the evidence, so they hold "
            "inconclusive the passes the lookback's counts would give, and fail few canaries erring more; "
            "min_canary_events is compared with it too; write increase(...[{{ lookback }}])"
            for side in ("canary", "baseline")
        ]

    def test_a_recorded_rate_and_a_bare_counter_are_warned(self):
        recorded = self.warned(self.RATIO, 'sum(job:http_requests:rate5m{h="{{ canary_hash }}"})')
        assert [w.partition(",")[0] for w in recorded] == [
            f"{side}.events reads job:http_requests:rate5m" for side in ("canary", "baseline")
        ]
        bare = self.warned(self.RATIO, 'sum(http_requests_total{h="{{ canary_hash }}"})')
        assert [w.partition(":")[0] for w in bare] == [
            f"{side}.events reads the counter http_requests_total without a range" for side in ("canary", "baseline")
        ]

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_per_second_events_against_min_canary_events_are_warned(self, method):
        # A latency: no pooled counts, but min_canary_events 100 compared with 3 requests a second never let it judge.
        latency = 'avg(latency_seconds{h="{{ canary_hash }}"})'
        events = self.COUNT.replace("increase(", "rate(")
        assert self.warned(latency, events, method, min_canary_events=100) == [
            "canary.events is per second (rate() or irate()), and min_canary_events 100 is a count of the lookback's "
            "events: it is compared with the events of one second, which holds a canary with enough traffic without "
            "a verdict; write increase(...[{{ lookback }}])"
        ]

    @pytest.mark.parametrize(
        ("query", "events", "method", "counted", "minimum"),
        [
            (RATIO, COUNT, "mann_whitney", "both", 100),  # counts
            (
                'avg(latency_seconds{h="{{ canary_hash }}"})',
                COUNT.replace("increase(", "rate("),
                "mann_whitney",
                "both",
                0,
            ),
            # A rate tells no traffic as well: without both variants' events no pooled counts read it.
            (RATIO, COUNT.replace("increase(", "rate("), "ratio", "both", 0),
            (RATIO, COUNT.replace("increase(", "rate("), "mann_whitney", "canary", 0),
        ],
        ids=["counts", "latency-without-minimum", "ratio-without-minimum", "canary-events-alone"],
    )
    def test_others_are_not_warned(self, query, events, method, counted, minimum):
        assert self.warned(query, events, method, counted, min_canary_events=minimum) == []


class TestRatioToleranceInPercent:
    """A max_relative_change of 1 or more (5 written for 5%) is a load warning, said for its direction: a KPI never
    below 0 cannot drop by more than all of itself, so no drop fails; a rise of 500% lets a canary at 6 times pass."""

    def warned(self, **overrides: Any) -> list[str]:
        definition = check(**{"direction": "higher_is_better", **overrides})
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "max_relative_change" in w]

    def test_percent_warned(self):
        # Before: loaded silently; a canary converting 0.05 against 0.1 passed at tolerance 0.5 (500%).
        assert self.warned(max_relative_change=5) == [
            "max_relative_change 5 tolerates a drop of 500% of the baseline: a KPI that is never below 0 (a rate, a "
            "conversion, a count) drops by 100% at most, so no canary fails; a fraction: 0.05 is 5%; if 5 is meant "
            "(a KPI that can fall below 0, such as a margin), set large_relative_change: true"
        ]

    def test_either_way_no_drop_fails(self):
        judged = judge("ratio", "either", canary={"query": 0.0}, baseline={"query": 0.2}, max_relative_change=5)
        assert judged.outcome is Outcome.PASS

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney", "proportion"])
    def test_either_way_warned(self, method):
        # Before: loaded silently; a canary whose KPI fell to 0 passed (harm 0.2 within a tolerance of 1).
        variant: Any = PROPORTION if method == "proportion" else CANARY
        assert self.warned(max_relative_change=5, direction="either", method=method, canary=variant, baseline=variant)
        assert self.warned(max_relative_change=1, direction="either") == [
            "max_relative_change 1 tolerates a change of 100% of the baseline either way: a KPI that is never below 0 "
            "(a rate, a conversion, a count) drops by 100% at most, so no drop fails, not even to 0; a fraction: "
            "0.01 is 1%; if 1 is meant (a KPI that can fall below 0, such as a margin), set large_relative_change: "
            "true"
        ]

    @pytest.mark.parametrize("method", ["ratio", "proportion"])
    def test_a_rise_warned(self, method):
        # Before: loaded silently; a canary at 6 times the baseline's latency or error rate passed.
        variant: Any = PROPORTION if method == "proportion" else CANARY
        assert self.warned(
            max_relative_change=5, direction="lower_is_better", method=method, canary=variant, baseline=variant
        ) == [
            "max_relative_change 5 tolerates a rise of 500% of the baseline: a canary at 6 times the baseline "
            "passes; a fraction: 0.05 is 5%; if 5 is meant, set large_relative_change: true"
        ]

    @pytest.mark.parametrize("direction", ["higher_is_better", "lower_is_better", "either"])
    def test_at_1_warned(self, direction):
        assert len(self.warned(max_relative_change=1, direction=direction)) == 1

    @pytest.mark.parametrize("direction", ["higher_is_better", "lower_is_better"])
    def test_a_meant_tolerance_is_not_warned(self, direction):
        # Before: a latency allowed to double (lower_is_better, 1) was warned at every load, with no way to say so.
        assert self.warned(max_relative_change=1, direction=direction, large_relative_change=True) == []

    def test_either_way_a_meant_tolerance_fails_on_a_drop_below_0_alone(self):
        meant = {"max_relative_change": 1, "large_relative_change": True}
        for canary in (0.0, 0.1):
            judged = judge("ratio", "either", canary={"query": canary}, baseline={"query": 0.2}, **meant)
            assert judged.outcome is Outcome.PASS
        assert judge("ratio", "either", canary={"query": 0.5}, baseline={"query": 0.2}, **meant).outcome is Outcome.FAIL
        assert judge("ratio", "either", canary={"query": -0.3}, baseline={"query": 0.2}, **meant).outcome is (
            Outcome.FAIL
        )

    @pytest.mark.parametrize(
        ("relative", "canary", "outcome"), [(1, -0.01, "fail"), (2, -0.1, "pass"), (2, -0.25, "fail")]
    )
    def test_either_way_a_margin_fails_on_a_drop_beyond_the_tolerance(self, relative, canary, outcome):
        # docs/kinds/kpi-compare.md's numbers: at 1 any fall below 0 fails; at 2 only one beyond -1 x the baseline.
        meant = {"max_relative_change": relative, "large_relative_change": True}
        judged = judge("ratio", "either", canary={"query": canary}, baseline={"query": 0.2}, **meant)
        assert judged.outcome is Outcome(outcome)

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney", "proportion"])
    def test_either_way_a_meant_tolerance_still_says_no_drop_fails(self, method):
        # Before: large_relative_change: true silenced it all, though (a latency allowed to double either way) a KPI
        # never below 0 then fails on no drop, not even to 0.
        variant: Any = PROPORTION if method == "proportion" else CANARY
        meant = {"max_relative_change": 1, "large_relative_change": True, "method": method}
        (warning,) = self.warned(direction="either", canary=variant, baseline=variant, **meant)
        assert warning.startswith(
            "direction either with max_relative_change 1 (large_relative_change: true) tolerates a change of 100% of "
            "the baseline either way, and "
        )
        assert "so no drop fails, not even to 0: only a rise beyond 100% does; to judge rises alone say so" in warning
        assert warning.endswith("a KPI that can fall below 0 (a margin) fails on a drop of more than 100%") is (
            method != "proportion"
        )

    @pytest.mark.parametrize("overrides", [{"max_relative_change": 0.5}, {"max_absolute_change": 3}])
    def test_the_acknowledgement_of_a_small_tolerance_is_refused(self, overrides):
        with pytest.raises(ConfigError, match="large_relative_change only applies to a max_relative_change of 1"):
            load(check(direction="lower_is_better", large_relative_change=True, **overrides))

    @pytest.mark.parametrize(
        ("overrides", "quoted"),
        [
            ({"max_relative_change": 0.5}, "0.5"),
            # Left on an absolute tolerance alone, it would silence the warning for a max_relative_change of 5 added
            # later for 5%.
            ({"max_relative_change": None, "max_absolute_change": 3}, "unset"),
        ],
    )
    def test_the_refusal_quotes_the_tolerance(self, overrides, quoted):
        with pytest.raises(ConfigError, match=f"max_relative_change of 1 or more, not {quoted}: remove it"):
            load(check(direction="lower_is_better", large_relative_change=True, **overrides))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"max_relative_change": 0.99},
            {"max_relative_change": 0.99, "direction": "either"},
            {"max_relative_change": 0.99, "direction": "lower_is_better"},
            {"max_absolute_change": 5},
        ],
    )
    def test_not_warned(self, overrides):
        assert self.warned(**{"max_relative_change": None, **overrides}) == []


class TestRejected:
    """Definitions that could never judge soundly are refused at load."""

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"mode": "ab", "direction": "either"}, "mode: ab needs direction higher_is_better or lower_is_better"),
            ({"no_data": "pass"}, "no_data: pass is not allowed"),
            (
                {"max_relative_change": None},
                "method ratio needs the change it tolerates: max_relative_change (a fraction of the baseline's value: "
                "0.05 for 5%) and/or max_absolute_change (in the KPI's own units)",
            ),
            ({"method": "proportion"}, "canary: method proportion needs success and total"),
            ({"confidence": 0.9}, "confidence only applies to method proportion and mann_whitney, not ratio"),
            ({"power": 0.9, "method": "mann_whitney"}, "power only applies to method proportion"),
            ({"min_samples": 5}, "min_samples only applies to method mann_whitney"),
            ({"min_canary_events": 100}, "min_canary_events needs canary.events"),
            ({"min_canary_events": 1}, "min_canary_events needs canary.events"),
            ({"canary": "avg(kpi{h={{ canary_hash }}})"}, "canary: {{ canary_hash }} (label_value) stands outside"),
            (
                {"canary": {"query": CANARY, "events": "sum(x{h={{ canary_hash }}})"}},
                "canary.events: {{ canary_hash }}",
            ),
            ({"method": "mann_whitney", "lookback": "1d", "step": "1m"}, "more than 1000 samples; raise step"),
            ({"method": "mann_whitney", "lookback": "5m", "step": "10m"}, "step 10m is longer than lookback 5m"),
            ({"method": "mann_whitney", "lookback": "5m", "step": "5m"}, "min_samples 20 is more than lookback / step"),
            ({"variant_names": {"canary": "a", "baseline": "a"}}, "variant_names: canary and baseline must differ"),
            ({"canary": {"query": CANARY, "total": TOTAL}}, "canary: total does not apply to method ratio"),
        ],
    )
    def test_rule(self, overrides, message):
        assert message in problem(check(**overrides))

    @pytest.mark.parametrize(("lookback", "refused"), [("999s", False), ("1000s", True)])
    def test_mann_whitney_takes_at_most_1000_samples_its_ends_included(self, lookback, refused):
        # lookback / step + 1 points: 999 s at 1 s are 1000 samples.
        definition = check(method="mann_whitney", lookback=lookback, step="1s", min_samples=20)
        if refused:
            assert f"lookback {lookback} at step 1s is more than 1000 samples; raise step" in problem(definition)
        else:
            load(definition)

    @pytest.mark.parametrize(("min_samples", "refused"), [(20, False), (21, True)])
    def test_min_samples_may_be_every_sample_the_lookback_gives(self, min_samples, refused):
        # 19 s at 1 s are 20 samples, both ends included.
        definition = check(method="mann_whitney", lookback="19s", step="1s", min_samples=min_samples)
        if refused:
            assert f"min_samples {min_samples} is more than lookback / step can give" in problem(definition)
        else:
            load(definition)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"canary": {"query": ""}}, "canary.VariantQueries.query"),
            ({"baseline": {"query": BASELINE, "events": ""}}, "baseline.VariantQueries.events"),
            ({"canary": {"success": "", "total": TOTAL}}, "canary.VariantQueries.success"),
            ({"baseline": {"success": SUCCESS, "total": ""}}, "baseline.VariantQueries.total"),
            ({"variant_names": {"canary": ""}}, "variant_names.canary"),
            ({"variant_names": {"baseline": ""}}, "variant_names.baseline"),
        ],
    )
    def test_an_empty_query_or_name_is_refused(self, overrides, field):
        assert f"{field}: String should have at least 1 character" in problem(check(**overrides))

    def test_proportion_needs_an_effect_to_detect(self):
        variant = {"success": SUCCESS, "total": TOTAL}
        # Before: "needs min_detectable_effect, or a tolerance above 0 to use as it", naming no field to write.
        refusal = problem(check(method="proportion", canary=variant, baseline=variant, max_relative_change=None))
        assert (
            "method proportion needs the change it tolerates: max_relative_change (a fraction of the baseline's rate: "
            "0.05 for 5%) and/or max_absolute_change (in the rate's own units: 0.01 for one percentage point); or, "
            "tolerating none, min_detectable_effect"
        ) in refusal
        for written in ({"max_relative_change": 0.05}, {"max_absolute_change": 0.01}, {"min_detectable_effect": 0.05}):
            # Each field the refusal names is one that makes the check load.
            load(
                check(method="proportion", canary=variant, baseline=variant, **{"max_relative_change": None, **written})
            )

    def test_proportion_has_no_events_query(self):
        variant = {"success": SUCCESS, "total": TOTAL, "events": TOTAL}
        assert "events does not apply to method proportion (the total is the traffic count)" in problem(
            check(method="proportion", canary=variant, baseline=variant)
        )


class TestQuantileOutsideZeroToOne:
    """A quantile outside 0 to 1 that a variant's query writes or a param's value gives is refused at load, as in a
    `prometheus` check: Prometheus answers +Inf for it whatever was measured."""

    @pytest.mark.parametrize(
        ("variants", "params", "said"),
        [
            (
                {"canary": "histogram_quantile(99, sum by (le) (rate(x_bucket[5m])))"},
                {},
                "canary: histogram_quantile(99, ...) asks for a quantile outside 0 to 1",
            ),
            (
                {"baseline": {"query": "quantile_over_time((95), x[5m])"}},
                {},
                "baseline.query: quantile_over_time((95), ...) asks for a quantile outside 0 to 1",
            ),
            (
                {
                    "canary": "histogram_quantile({{ q }}, sum by (le) (rate(x_bucket[5m])))",
                    "baseline": "histogram_quantile({{ q }}, sum by (le) (rate(y_bucket[5m])))",
                },
                {"q": {"type": "number", "default": 99}},
                "params.q: default 99 is the quantile of histogram_quantile({{ q }}, ...), outside 0 to 1",
            ),
        ],
    )
    def test_refused(self, variants, params, said):
        # Before: loaded; every evaluation compared +Inf with the other variant, inconclusive.
        definition = check(**variants)
        definition["params"] = {**definition["params"], **params}
        assert said in problem(definition)

    def test_a_quantile_reading_the_lookback_is_judged_by_what_it_measures(self):
        # `{{ lookback }}` is no param, the kind fills it: a quantile of series, neither refused nor read as a number.
        selector = 'lat{h="{{ canary_hash }}"}'
        canary = f"quantile(scalar(count_over_time({selector}[{{{{ lookback }}}}])) / 1000, {selector})"
        definition = check(
            method="mann_whitney", lookback="30m", canary=canary, baseline=canary.replace("canary", "stable")
        )
        kpi = load(definition).checks["kpi"]
        assert kpi.bind_args({"canary_hash": "c1", "stable_hash": "s1"}) == {"canary_hash": "c1", "stable_hash": "s1"}


class TestProportionToleranceInPercent:
    """A proportion's tolerance or effect written in percent (`max_relative_change: 5` for 5%) is refused at load when
    no canary could then fail, or the power rule would ask nothing: a rate falls by at most all of itself, and moves
    by at most 1."""

    def definition(self, **overrides):
        variant = {"success": SUCCESS, "total": TOTAL}
        fields = {"method": "proportion", "direction": "higher_is_better", "canary": variant, "baseline": variant}
        return check(**{**fields, "max_relative_change": None, "min_detectable_effect": 0.05, **overrides})

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            (
                {"max_relative_change": 5},
                "nothing can fail this check: max_relative_change 5 tolerates a drop of 500% of the baseline rate, and "
                "a rate cannot drop by more than 100% of itself; a fraction: 0.05 is 5%",
            ),
            (
                {"max_relative_change": 1, "max_absolute_change": 0.001},
                "max_relative_change 1 tolerates a drop of 100%",
            ),
            (
                {"max_absolute_change": 2, "direction": "lower_is_better"},
                "nothing can fail this check: max_absolute_change 2 tolerates a change of the rate by 2, and a rate "
                "(between 0 and 1) moves by 1 at most; a fraction: 0.02 is 2 percentage points",
            ),
            (
                {"max_absolute_change": 1, "direction": "either"},
                "max_absolute_change 1 tolerates a change of the rate by 1",
            ),
            (
                {"min_detectable_effect": 50},
                "min_detectable_effect 50 asks the test to detect a drop of 5000% of the baseline rate, and a rate "
                "cannot drop by more than 100% of itself, so the power rule asks nothing; a fraction: 0.5 is 50%",
            ),
        ],
    )
    def test_refused(self, overrides, message):
        assert message in problem(self.definition(**overrides))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"max_relative_change": 0.99},
            {"max_relative_change": 5, "direction": "lower_is_better"},  # the error rate may grow sixfold
            {"max_relative_change": 5, "direction": "either"},
            {"max_absolute_change": 0.99, "direction": "either"},
            {"min_detectable_effect": 1},  # a drop to nothing: loose, not impossible
            {"min_detectable_effect": 5, "direction": "lower_is_better"},
        ],
    )
    def test_loaded(self, overrides):
        load(self.definition(**overrides))

    def test_a_ratio_kpi_may_fall_below_zero(self):
        # A ratio's KPI is any number (a margin, a delta): its relative drop is not bounded.
        load(check(direction="higher_is_better", max_relative_change=5))


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
    silent_s: dict[str, float] | None = None,
    hidden: dict[str, Hidden] | None = None,
    presence_query: str | None = None,
    stopped: str | None = None,
    baseline_stopped: str | None = None,
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
            presence_query=presence_query,
            silent_s=silent_s or {},
            warnings=partial,
            partial=partial,
            hidden=hidden or {},
            now_query=None if stopped is None else "count(x)",
            stopped=stopped,
            baseline_now_query=None if baseline_stopped is None else "count(y)",
            baseline_stopped=baseline_stopped,
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
        with pytest.raises(
            ArgError, match="canary_hash='a', stable_hash='a' make the canary's queries the same"
        ) as caught:
            kpi.bind_args({"canary_hash": "a", "stable_hash": "a"})
        # The 400 names the first culprit as the bad arg.
        assert caught.value.arg == "canary_hash"
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

    @pytest.mark.parametrize(
        ("direction", "verdict"),
        [("lower_is_better", Outcome.FAIL), ("either", Outcome.FAIL), ("higher_is_better", Outcome.PASS)],
    )
    def test_a_difference_beyond_the_float_range_is_judged(self, direction, verdict):
        # Two finite values whose difference is infinite: an infinite harm is beyond any tolerance.
        judged = judge("ratio", direction, canary={"query": 1.7e308}, baseline={"query": -1.7e308})
        assert judged.outcome is verdict

    @pytest.mark.parametrize("missing", [None, math.nan])
    def test_a_missing_value_is_no_data(self, missing):
        assert judge("ratio", canary={"query": missing}, baseline={"query": 0.2}).outcome is Outcome.INCONCLUSIVE


class TestJudgeStoppedCanary:
    """A canary whose series read over windows all stopped is the no_data verdict instead of a pass; a fail stands."""

    STOPPED = "none of the canary's series read over a window has a sample now"

    @pytest.mark.parametrize(
        ("method", "canary", "baseline"),
        [
            ("ratio", {"query": 0.2}, {"query": 0.2}),
            ("proportion", {"success": 5000, "total": 50000}, {"success": 5000, "total": 50000}),
        ],
    )
    def test_a_pass_is_no_data(self, method, canary, baseline):
        assert judge(method, canary=canary, baseline=baseline).outcome is Outcome.PASS
        judged = judge(method, canary=canary, baseline=baseline, stopped=self.STOPPED)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason == f"{self.STOPPED} (no_data policy: inconclusive)"
        assert judged.details["presence_now_query"] == "count(x)"

    def test_a_canary_winning_an_ab_test_is_no_data(self):
        ab = {"mode": "ab", "canary": {"success": 150, "total": 1000}, "baseline": {"success": 100, "total": 1000}}
        assert judge("proportion", "higher_is_better", **ab).outcome is Outcome.PASS
        assert judge("proportion", "higher_is_better", stopped=self.STOPPED, **ab).outcome is Outcome.INCONCLUSIVE

    def test_a_fail_stands(self):
        judged = judge("ratio", canary={"query": 0.4}, baseline={"query": 0.2}, stopped=self.STOPPED)
        assert judged.outcome is Outcome.FAIL

    def test_a_baseline_winning_an_ab_test_whose_series_stopped_is_no_data(self):
        ab = {"mode": "ab", "canary": {"success": 100, "total": 1000}, "baseline": {"success": 150, "total": 1000}}
        assert judge("proportion", "higher_is_better", **ab).outcome is Outcome.FAIL
        judged = judge("proportion", "higher_is_better", baseline_stopped="the baseline stopped", **ab)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason == "the baseline stopped (no_data policy: inconclusive)"
        assert judged.details["baseline_presence_now_query"] == "count(y)"
        # The canary winning stands: the baseline's window measured it while it ran.
        won = {**ab, "canary": ab["baseline"], "baseline": ab["canary"]}
        assert judge("proportion", "higher_is_better", baseline_stopped="the baseline stopped", **won).outcome is (
            Outcome.PASS
        )

    def test_an_ab_fail_without_a_winner_keeps_its_reason(self):
        # no_data: fail on a canary without traffic: the fail is the canary's, whatever the baseline's series do.
        ab = {"mode": "ab", "no_data": "fail", "canary": {"success": 0, "total": 0}}
        ab["baseline"] = {"success": 150, "total": 1000}
        judged = judge("proportion", "higher_is_better", baseline_stopped="the baseline stopped", **ab)
        assert judged.outcome is Outcome.FAIL
        assert judged.reason.startswith("the canary has no traffic over")


class TestStoppedCanaryWindows:
    """A stopped variant's reason names the windows its queries read: those longer than Prometheus' look-back, ending
    where the presence query asks, each in its largest whole unit."""

    def test_a_window_within_the_look_back_is_not_named(self):
        # rate(x[1m]) says nothing of earlier samples: it reads no further back than the 5m look-back does.
        assert _windows_read(["sum(rate(x[1m])) / sum(rate(y[30m]))"], 0.0) == (1800.0,)

    def test_a_window_ending_elsewhere_is_named_with_its_own_presence(self):
        queries = ["sum(increase(x[30m])) / sum(increase(y[2h] offset 1h))"]
        assert (_windows_read(queries, 0.0), _windows_read(queries, 3600.0)) == ((1800.0,), (7200.0,))

    def test_each_window_in_its_largest_whole_unit(self):
        assert [_window_text(s) for s in (86400.0, 5400.0, 3600.0, 90.0)] == ["1d", "90m", "1h", "90s"]

    def test_several_windows_are_named_together(self):
        kpi = load(check(method="ratio", lookback="10m")).checks["kpi"]
        assert isinstance(kpi, KpiCompareCheck)
        assert kpi._windows_named((1800.0, 3600.0)) == "the 30m, 1h windows its queries read"
        assert kpi._windows_named((600.0,)) == "its 10m lookback"


class TestToleranceInTheReason:
    """The reason states the tolerance as configured: one part alone, or both and which one applies."""

    def test_one_tolerance(self):
        judged = judge(canary={"query": 1.0}, baseline={"query": 1.0})
        assert judged.reason.endswith("by more than the tolerance 0.1 (10% of the baseline)")

    def test_both_tolerances(self):
        judged = judge(canary={"query": 1.0}, baseline={"query": 1.0}, max_absolute_change=0.01)
        assert judged.reason.endswith(
            "by more than the tolerance 0.1 (10% of the baseline or absolute 0.01, whichever is larger)"
        )


def hidden(*values: float) -> Hidden:
    """A max() probe that found elements of these values (none: nothing hidden)."""
    return Hidden("max()", "probe", [Series({"pod": f"p{i}"}, [(0.0, v)]) for i, v in enumerate(values)])


class TestJudgeHiddenElements:
    """A variant whose KPI aggregation left an element without a value out (its probe found one) is no pass."""

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize("side", ["canary", "baseline"])
    def test_a_pass_becomes_the_no_data_verdict(self, method, side):
        samples = (around(0.2), around(0.2)) if method == "mann_whitney" else None
        judged = judge(
            method,
            canary={"query": 0.2},
            baseline={"query": 0.2},
            samples=samples,
            hidden={side: hidden(math.nan), ("baseline" if side == "canary" else "canary"): hidden()},
        )
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f'the {side} query\'s max() leaves out {{pod="p0"}} at NaN'), judged.reason
        assert {probe["variant"]: probe["series"] for probe in judged.details["hidden_queries"]}[side] == [
            {"labels": {"pod": "p0"}, "value": "NaN"}
        ]

    def test_an_infinity_is_named_first(self):
        judged = judge(
            "ratio", canary={"query": 0.2}, baseline={"query": 0.2}, hidden={"canary": hidden(math.nan, math.inf)}
        )
        assert judged.reason.startswith('the canary query\'s max() leaves out {pod="p1"} at inf, which cannot be')

    def test_the_no_data_policy_applies(self):
        judged = judge(
            "ratio", canary={"query": 0.2}, baseline={"query": 0.2}, no_data="fail", hidden={"canary": hidden(math.nan)}
        )
        assert judged.outcome is Outcome.FAIL

    def test_a_winning_canary_in_ab_is_no_pass(self):
        judged = judge(
            "ratio", canary={"query": 0.1}, baseline={"query": 0.2}, mode="ab", hidden={"canary": hidden(math.nan)}
        )
        assert judged.outcome is Outcome.INCONCLUSIVE

    @pytest.mark.parametrize(("canary", "verdict"), [(0.4, Outcome.FAIL), (0.2, Outcome.PASS)])
    def test_a_fail_stays_and_nothing_found_is_judged(self, canary, verdict):
        found = hidden(math.nan) if verdict is Outcome.FAIL else hidden()
        judged = judge("ratio", canary={"query": canary}, baseline={"query": 0.2}, hidden={"canary": found})
        assert judged.outcome is verdict
        assert judged.details["hidden_queries"] == [
            {
                "variant": "canary",
                "query": "probe",
                "series": [{"labels": s.labels, "value": "NaN"} for s in found.found],
            }
        ]

    @pytest.mark.parametrize("canary", [0.4, 0.2])
    def test_a_kpi_without_a_probe_shows_no_probes(self, canary):
        judged = judge("ratio", canary={"query": canary}, baseline={"query": 0.2}, hidden={})
        assert judged.outcome is (Outcome.FAIL if canary == 0.4 else Outcome.PASS)
        assert "hidden_queries" not in judged.details


class TestListing:
    """`analyzer validate` lists each variant's queries, the probe of a KPI whose aggregation may hide NaN, then the
    presence query."""

    ARGS = {"canary_hash": "c1", "stable_hash": "s1"}

    def test_a_max_gets_its_probe_after_its_query(self):
        kpi = load(check(canary='max(kpi{h="{{ canary_hash }}"})')).checks["kpi"]
        roles = [role for role, _ in kpi.promql(self.ARGS)]
        assert roles == [
            "canary",
            "the probe for elements the canary query's max() leaves out (on a pass)",
            "baseline",
            "the presence query built from their metric names",
        ]

    def test_the_presence_query_listed_is_the_one_sent(self):
        # mann_whitney's range query reads an hour back over its 30-minute lookback too: the listing asks there, as
        # measure() does. Before: the listing asked over the look-back alone ([300s] offset 3600s).
        definition = check(
            method="mann_whitney",
            lookback="30m",
            canary='avg(lat{h="{{ canary_hash }}"})',
            baseline='avg(lat{h="{{ stable_hash }}"} offset 1h)',
        )
        kpi = load(definition).checks["kpi"]
        (role, presence) = kpi.promql(self.ARGS)[-1]
        assert role == "the presence query built from their metric names"
        reads = kpi._reads(
            {"canary": {"query": 'avg(lat{h="c1"})'}, "baseline": {"query": 'avg(lat{h="s1"} offset 1h)'}}
        )
        assert (
            presence
            == _presence(tuple(reads.values()))
            == (
                'group by (__name__) ({__name__=~"lat"}) or on(__name__, label) label_replace(group by (__name__) '
                '({__name__=~"lat", h!=""}), "label", "h", "", "") or on(__name__, label, read_over) label_replace('
                'group by (__name__) (last_over_time({__name__=~"lat"}[2100s] offset 3600s)), "read_over", "[2100s] '
                'offset 3600s", "", "") or on(__name__, label, read_over) label_replace(label_replace(group by '
                '(__name__) (last_over_time({__name__=~"lat", h!=""}[2100s] offset 3600s)), "label", "h", "", ""), '
                '"read_over", '
                '"[2100s] offset 3600s", "", "")'
            )
        )

    @pytest.mark.parametrize(
        ("method", "canary"),
        [
            ("ratio", 'avg(lat{h="{{ canary_hash }}"})'),
            ("proportion", {"success": 'sum(lat{h="{{ canary_hash }}"})', "total": 'sum(lat{h="{{ canary_hash }}"})'}),
        ],
    )
    def test_a_baseline_an_hour_back_is_asked_over_the_look_back(self, method, canary):
        # Only mann_whitney's query reads over its lookback: another's baseline reads its one sample an hour back.
        if isinstance(canary, str):
            baseline: Any = 'avg(lat{h="{{ stable_hash }}"} offset 1h)'
        else:
            baseline = {role: query.replace("canary", "stable")[:-1] + " offset 1h)" for role, query in canary.items()}
        definition = check(method=method, canary=canary, baseline=baseline)
        (role, presence) = load(definition).checks["kpi"].promql(self.ARGS)[-1]
        assert role == "the presence query built from their metric names"
        assert 'group by (__name__) (last_over_time({__name__=~"lat"}[300s] offset 3600s))' in presence
        assert "[301s]" not in presence

    def test_a_baseline_pinned_by_at_is_asked_there(self):
        # Asked now, a name with series now but none at the pinned time would pass presence, and beside a fallback
        # the fallback's value would be compared.
        definition = check(
            canary='avg(lat{h="{{ canary_hash }}"})', baseline='avg(lat{h="{{ stable_hash }}"} @ 1700000000)'
        )
        (role, presence) = load(definition).checks["kpi"].promql(self.ARGS)[-1]
        assert role == "the presence query built from their metric names"
        assert 'group by (__name__) (last_over_time({__name__=~"lat"}[300s] @ 1700000000.000))' in presence

    def test_a_query_reading_now_is_read_without_the_parser(self):
        # Only a query that may read back in time (offset, @) is parsed for where it reads: a Job of the usual one
        # imports no PromQL parser for it.
        script = (
            "import sys\n"
            "from checks.kpi_compare import _reads\n"
            "now = _reads('sum(increase(x_total{h=\"a\"}[10m]))', 0.0)\n"
            "print('promql_parser' in sys.modules, [sorted(overs) for _, overs in now])\n"
            "back = _reads('sum(increase(x_total{h=\"a\"}[10m] offset 1h))', 0.0)\n"
            "print('promql_parser' in sys.modules, [sorted(overs) for _, overs in back])\n"
        )
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        assert ran.stdout == "False [['']]\nTrue [['[600s] offset 3600s']]\n", ran.stderr

    def test_proportion_counts_get_no_probe(self):
        counts = {"success": SUCCESS, "total": TOTAL}
        stable = {role: query.replace("canary", "stable") for role, query in counts.items()}
        kpi = load(check(method="proportion", canary=counts, baseline=stable)).checks["kpi"]
        assert kpi.promql(self.ARGS) == [
            ("canary.success", 'sum(increase(ok_total{h="c1"}[10m]))'),
            ("canary.total", 'sum(increase(all_total{h="c1"}[10m]))'),
            ("baseline.success", 'sum(increase(ok_total{h="s1"}[10m]))'),
            ("baseline.total", 'sum(increase(all_total{h="s1"}[10m]))'),
            (
                "the presence query for the canary's series read over windows",
                'count(ok_total{h="c1"}) or count(all_total{h="c1"})',
            ),
            (
                "the presence query built from their metric names",
                'group by (__name__) ({__name__=~"all_total|ok_total"}) or on(__name__, label) label_replace(group '
                'by (__name__) ({__name__=~"all_total|ok_total", h!=""}), "label", "h", "", "")',
            ),
        ]

    def test_an_ab_test_asks_both_variants_and_a_gate_the_canary_alone(self):
        counts = {"success": SUCCESS, "total": TOTAL}
        stable = {role: query.replace("canary", "stable") for role, query in counts.items()}
        for mode, asked in (("ab", ["canary", "baseline"]), ("gate", ["canary"])):
            definition = check(
                method="proportion", direction="higher_is_better", mode=mode, canary=counts, baseline=stable
            )
            listed = load(definition).checks["kpi"].promql(self.ARGS)
            assert [role for role, _ in listed if "series read over windows" in role] == [
                f"the presence query for the {side}'s series read over windows" for side in asked
            ]

    def test_mann_whitney_sends_no_presence_query_of_now(self):
        # Its range's last step tells a stopped variant (see _silent_s): no query of its own for it.
        rate = 'sum(rate(lat_sum{h="{{ canary_hash }}"}[10m]))'
        definition = check(
            method="mann_whitney", lookback="30m", canary=rate, baseline=rate.replace("canary", "stable")
        )
        roles = [role for role, _ in load(definition).checks["kpi"].promql(self.ARGS)]
        assert roles == ["canary", "baseline", "the presence query built from their metric names"]


class TestEvidence:
    """The details show the presence query when one was sent, and no such key when none was."""

    @pytest.mark.parametrize("method", ["ratio", "proportion"])
    def test_the_presence_query_is_shown_when_sent(self, method):
        values = {"success": 90.0, "total": 100.0} if method == "proportion" else {"query": 0.2}
        sent = judge(method, canary=values, baseline=values, presence_query='group by (__name__) ({__name__="kpi"})')
        assert sent.details["presence_query"] == 'group by (__name__) ({__name__="kpi"})'
        assert "presence_query" not in judge(method, canary=values, baseline=values).details


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
        assert judged.reason.startswith("canary rate 0.05 vs baseline 0.01")
        low, high = judged.details["interval"]
        assert 0 < low < judged.value < high
        assert judged.value == pytest.approx(0.04)

    def test_a_rise_beyond_the_tolerance_that_is_not_significant_is_inconclusive_not_fail(self):
        # 3 errors in 100 against 10 in 1,000: a rise of 2 points (the tolerance is 1), p 0.08. Chance may explain it,
        # so it blocks nothing yet; neither does it pass, as the interval allows a rise beyond the tolerance.
        judged = judge(
            "proportion",
            canary={"success": 3, "total": 100},
            baseline={"success": 10, "total": 1000},
            max_relative_change=None,
            max_absolute_change=0.01,
        )
        assert judged.value == pytest.approx(0.02)
        assert judged.details["significant"] is False
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("power ")

    def test_the_reason_gives_the_interval_in_order_and_the_rule_at_the_confidence(self):
        judged = judge(
            "proportion",
            canary={"success": 100, "total": 2000},
            baseline={"success": 20, "total": 2000},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.reason == (
            "canary rate 0.05 vs baseline 0.01 (+0.04, +400%, 95% CI [0.0297466, 0.0510205], p=1.21588e-13); "
            "fails when the increase is significant (p < 0.05) and larger than the tolerance 0.001 (absolute 0.001), "
            "passes when the interval rules out an increase beyond the tolerance and the test has power 0.8 to "
            "detect an increase of 0.001"
        )

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
        assert judged.reason.startswith("the interval allows a drop of 0.0115762: canary rate ")

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

    def test_successes_above_the_total_by_rounding_are_the_total(self):
        # increase() extrapolates each counter on its own: 1e-7 above the total is rounding, judged as all.
        judged = judge(
            "proportion", canary={"success": 1000 * (1 + 1e-7), "total": 1000}, baseline={"success": 10, "total": 1000}
        )
        assert judged.details["canary"]["rate"] == 1.0
        assert judged.outcome is Outcome.FAIL

    def test_successes_above_the_total_are_a_misconfiguration(self):
        with pytest.raises(CheckMisconfigured, match="success 20 is not between 0 and total 10"):
            judge("proportion", canary={"success": 20, "total": 10}, baseline={"success": 1, "total": 10})

    @pytest.mark.parametrize(("success", "shown"), [(-5.0, "-5"), (math.nan, "NaN")])
    def test_successes_below_zero_or_not_a_number_are_a_misconfiguration(self, success, shown):
        # Counted, -5 errors in 1,000 were a rate below 0, and NaN a comparison that is never true.
        with pytest.raises(CheckMisconfigured, match=f"^canary: success {shown} is not between 0 and total 1000"):
            judge("proportion", canary={"success": success, "total": 1000}, baseline={"success": 10, "total": 1000})

    def test_a_partial_answer_holding_both_series_is_judged(self):
        # Only an absent success series is no evidence in a partial answer; present counts are judged.
        judged = judge(
            "proportion",
            canary={"success": 20, "total": 2000},
            baseline={"success": 100, "total": 2000},
            partial=("store 2 down",),
            max_relative_change=None,
            max_absolute_change=0.03,
        )
        assert judged.outcome is Outcome.PASS


class TestJudgeMannWhitney:
    """Range samples: the shift's interval keeps its sign, and the tolerance bounds the harm side."""

    def test_slower_canary_fails_with_a_positive_interval(self):
        judged = judge("mann_whitney", samples=(around(0.15), around(0.10)))
        assert judged.outcome is Outcome.FAIL
        assert judged.reason.startswith("canary shifted")
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

    @pytest.mark.parametrize("side", ["canary", "baseline"])
    def test_a_variant_silent_for_more_than_a_step_is_no_data(self, side):
        # The lookback 10m at 10 s a step: silent for 12 s is still reporting, for 60 s it stopped.
        samples = (around(0.06), around(0.10))
        assert judge("mann_whitney", samples=samples, silent_s={side: 11.0}).outcome is Outcome.PASS
        judged = judge("mann_whitney", samples=samples, silent_s={side: 60.0})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "stopped reporting" in judged.reason

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

    def test_the_reason_names_the_winner_with_the_interval_and_the_rule(self):
        judged = judge(
            "proportion",
            "higher_is_better",
            mode="ab",
            canary={"success": 50, "total": 1000},
            baseline={"success": 100, "total": 1000},
        )
        assert judged.reason == (
            "baseline wins: canary rate 0.05 vs baseline 0.1 (-0.05, -50%, 95% CI [-0.0733879, -0.0270522], "
            "p=2.18824e-05); a variant wins when the difference is significant (p < 0.05) and larger than the "
            "tolerance 0.01 (10% of the baseline)"
        )


class TestReasonsNameTheRightSide:
    """The reason and the details of a comparison put each variant's numbers under its own name and state the rule
    the way it reads."""

    def test_ab_without_a_test_states_that_the_better_variant_wins(self):
        judged = judge("ratio", "lower_is_better", mode="ab", canary={"query": 0.4}, baseline={"query": 0.2})
        assert judged.reason == (
            "baseline wins: canary 0.4 vs baseline 0.2 (+0.2, +100%); a variant wins when it is better by more than "
            "the tolerance 0.02 (10% of the baseline)"
        )

    def test_a_proportion_shows_each_variants_counts_under_its_name(self):
        judged = judge(
            "proportion",
            canary={"success": 100, "total": 2000},
            baseline={"success": 20, "total": 1000},
            max_relative_change=None,
            max_absolute_change=0.001,
        )
        assert judged.details["canary"] == {"success": 100, "total": 2000, "rate": 0.05}
        assert judged.details["baseline"] == {"success": 20, "total": 1000, "rate": 0.02}

    @pytest.mark.parametrize(
        ("direction", "canary", "reason"),
        [
            (
                "lower_is_better",
                0.4,
                "canary 0.4 vs baseline 0.2 (+0.2, +100%); fails when the canary is higher by more than the "
                "tolerance 0.02 (10% of the baseline)",
            ),
            (
                "higher_is_better",
                0.1,
                "canary 0.1 vs baseline 0.2 (-0.1, -50%); fails when the canary is lower by more than the "
                "tolerance 0.02 (10% of the baseline)",
            ),
        ],
    )
    def test_a_ratio_states_the_canarys_harm_by_the_direction(self, direction, canary, reason):
        assert judge("ratio", direction, canary={"query": canary}, baseline={"query": 0.2}).reason == reason

    @pytest.mark.parametrize(
        ("direction", "reason"),
        [
            (
                "lower_is_better",
                "canary shifted -0.14, -70% from baseline median 0.2 (Hodges-Lehmann, 95% CI [-0.15, -0.13]); "
                "fails when the interval lies above 0 and the shift exceeds the tolerance 0.02 (10% of the baseline), "
                "passes when the interval rules out an increase beyond the tolerance",
            ),
            (
                "higher_is_better",
                "canary shifted -0.14, -70% from baseline median 0.2 (Hodges-Lehmann, 95% CI [-0.15, -0.13]); "
                "fails when the interval lies below 0 and the shift exceeds the tolerance 0.02 (10% of the baseline), "
                "passes when the interval rules out a drop beyond the tolerance",
            ),
        ],
    )
    def test_mann_whitney_states_the_shift_from_the_baseline_by_the_direction(self, direction, reason):
        samples = ([0.05, 0.06, 0.07] * 20, [0.1, 0.2, 0.3] * 20)
        assert judge("mann_whitney", direction, samples=samples).reason == reason

    def test_ab_details_name_each_variant_as_the_check_names_it(self):
        judged = judge(
            "ratio",
            mode="ab",
            canary={"query": 0.4},
            baseline={"query": 0.2},
            variant_names={"canary": "B", "baseline": "A"},
        )
        assert judged.reason.startswith("A wins: B 0.4 vs A 0.2 (+0.2, +100%); "), judged.reason
        assert (judged.details["variants"], judged.details["winner"]) == ({"canary": "B", "baseline": "A"}, "A")

    def test_mann_whitney_with_tied_samples_ranks_the_canary_against_the_baseline(self):
        judged = judge("mann_whitney", samples=(bursts(3), [0.0] * 61))
        assert judged.reason.startswith(
            "tied samples: the interval rules out an increase beyond the tolerance, but the "
            "Mann-Whitney test with ties ranks the canary higher than the baseline by more than the tolerance, z="
        ), judged.reason

    def test_a_proportion_against_a_baseline_at_zero_names_the_baselines_rate(self):
        judged = judge("proportion", canary={"success": 5, "total": 1000}, baseline={"success": 0, "total": 1000})
        assert judged.reason.endswith(
            "; with the baseline rate at 0 a relative min_detectable_effect is 0, so set max_absolute_change"
        ), judged.reason

    def test_infinite_samples_name_the_variant_and_the_likely_cause(self):
        judged = judge("mann_whitney", samples=([*around(0.06), math.inf], around(0.10)))
        assert judged.reason.startswith(
            "the canary's series has 1 infinite samples over 10m (a division by zero, or a quantile above the "
            "histogram's top bucket?): it cannot be compared"
        ), judged.reason

    def test_mann_whitney_shows_each_variants_median_under_its_name(self):
        judged = judge("mann_whitney", samples=([0.05, 0.06, 0.07] * 20, [0.1, 0.2, 0.3] * 20))
        assert (judged.details["canary"]["median"], judged.details["baseline"]["median"]) == (0.06, 0.2)

    @pytest.mark.parametrize("side", ["canary", "baseline"])
    def test_a_proportion_without_traffic_shows_each_variants_counts_under_its_name(self, side):
        counts = {"canary": {"success": 3, "total": 40}, "baseline": {"success": 5, "total": 50}}
        counts[side] = {"success": 0, "total": 0}
        judged = judge("proportion", **counts, max_relative_change=None, max_absolute_change=0.001)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the {side} has no traffic"), judged.reason
        assert (judged.details["canary"], judged.details["baseline"]) == (counts["canary"], counts["baseline"])


EVENTS = 'sum(increase(all_total{h="{{ canary_hash }}"}[{{ lookback }}]))'


def judge_events(events: float | None, min_canary_events: float, method: str = "ratio") -> Verdict:
    """A ratio (or mann_whitney) check with a canary events query: a canary 0.4 against a baseline 0.2 (a fail
    when judged) with `events` canary events measured."""
    loaded = load(
        check(
            method=method,
            canary={"query": CANARY, "events": EVENTS},
            min_canary_events=min_canary_events,
        )
    )
    kpi = loaded.checks["kpi"]
    assert isinstance(kpi, KpiCompareCheck)
    queries = {"canary": {"query": "q", "events": "e"}, "baseline": {"query": "q"}}
    values = {("canary", "query"): 0.4, ("baseline", "query"): 0.2, ("canary", "events"): events}
    samples = {"canary": around(0.4), "baseline": around(0.2)} if method == "mann_whitney" else {}
    return kpi.judge(Measured(queries, values, samples))


class TestMinCanaryEvents:
    """Canary traffic below min_canary_events, or not known, is no verdict; at or above it the KPI is judged."""

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(("events", "shown"), [(99, "99"), (None, "no series"), (math.nan, "NaN")])
    def test_too_few_or_unknown_events_is_no_data(self, method, events, shown):
        judged = judge_events(events, 100, method)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the canary has {shown} events over 10m, fewer than min_canary_events 100")

    def test_infinite_events_is_no_data(self):
        judged = judge_events(math.inf, 100)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "fewer than min_canary_events 100" in judged.reason

    @pytest.mark.parametrize("events", [100, 5000])
    def test_enough_events_is_judged(self, events):
        assert judge_events(events, 100).outcome is Outcome.FAIL

    def test_a_minimum_of_one_event_needs_one(self):
        assert judge_events(0, 1).outcome is Outcome.INCONCLUSIVE

    def test_no_minimum_judges_any_traffic(self):
        assert judge_events(1, 0).outcome is Outcome.FAIL

    def test_the_minimum_is_the_canarys_alone(self):
        # A baseline that counts fewer events than the canary's minimum (a small stable pool) is still judged.
        loaded = load(
            check(
                canary={"query": CANARY, "events": EVENTS},
                baseline={"query": BASELINE, "events": EVENTS.replace("canary_hash", "stable_hash")},
                min_canary_events=100,
            )
        )
        kpi = loaded.checks["kpi"]
        queries = {"canary": {"query": "q", "events": "e"}, "baseline": {"query": "q", "events": "e"}}
        values = {("canary", "query"): 0.4, ("baseline", "query"): 0.2, ("canary", "events"): 500}
        judged = kpi.judge(Measured(queries, values | {("baseline", "events"): 50}, {}))
        assert judged.outcome is Outcome.FAIL

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(("events", "shown"), [(0, "0"), (None, "no series"), (math.nan, "NaN")])
    def test_no_traffic_is_no_data_without_a_minimum_too(self, method, events, shown):
        # A canary that served nothing over the lookback: its KPI (a gauge keeping its last value) is not of now.
        judged = judge_events(events, 0, method)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the canary has no traffic over 10m (events {shown})")


class TestVariantWithoutTraffic:
    """A variant whose events query counts no traffic over the lookback (0, no series, NaN, inf) is no evidence:
    its KPI is not of now (a gauge keeps its last value), so no verdict, whatever min_canary_events says."""

    @pytest.mark.parametrize("side", ["canary", "baseline"])
    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(("events", "shown"), [(0, "0"), (None, "no series"), (math.nan, "NaN"), (math.inf, "inf")])
    def test_a_variant_without_traffic_is_no_data(self, side, method, events, shown):
        # Equal KPIs: a pass, had the missing traffic been left unread.
        samples = ([0.1] * 30, [0.1] * 30) if method == "mann_whitney" else None
        values = {"canary": {"query": 0.2}, "baseline": {"query": 0.2}}
        values[side]["events"] = events
        judged = judge(method, **values, samples=samples)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the {side} has no traffic over 10m (events {shown})")

    @pytest.mark.parametrize(
        ("method", "role", "written", "over"),
        [
            ("ratio", "events", "[1h]", "over 1h"),
            ("proportion", "total", "[90m]", "over 90m"),
            ("proportion", "total", "[{{ lookback }}]", "over 10m"),
            ("ratio", "events", "[30m:1m]", "over 30m"),
        ],
    )
    def test_the_reason_names_the_window_the_count_reads(self, method, role, written, over):
        # Before: "no traffic over 10m", the lookback, for a count that reads another window it writes.
        variant = PROPORTION if method == "proportion" else CANARY
        kpi = load(check(method=method, canary=variant, baseline=variant, max_relative_change=0.1)).checks["kpi"]
        assert isinstance(kpi, KpiCompareCheck)
        count = f'sum(increase(all_total{{h="c"}}{written}))'.replace("{{ lookback }}", "10m")
        queries = {side: {"query": "q", "success": "s", role: count} for side in ("canary", "baseline")}
        values = {(side, name): 1.0 for side in ("canary", "baseline") for name in ("query", "success")}
        values |= {("canary", role): 0.0, ("baseline", role): 5.0}
        judged = kpi.judge(Measured(queries, values))
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the canary has no traffic {over} ({role} 0)"), judged.reason

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    def test_variants_with_traffic_are_judged(self, method):
        samples = ([0.1] * 30, [0.1] * 30) if method == "mann_whitney" else None
        judged = judge(
            method, canary={"query": 0.2, "events": 1}, baseline={"query": 0.2, "events": 1}, samples=samples
        )
        assert judged.outcome is Outcome.PASS
        assert judged.details["baseline"]["events"] == judged.details["canary"]["events"] == 1


class TestRatioWithoutAValue:
    """ratio: a variant whose KPI is NaN (0/0: no events over the lookback, or a quantile its histogram cannot give)
    or infinite has no value to compare: no verdict (no_data: pass is refused at load), and the reason says what
    such a value most likely is."""

    NAN = (
        "returned NaN, which cannot be compared (0/0: no events over the lookback, or a histogram whose buckets "
        "cannot give the quantile?) (no_data policy: inconclusive)"
    )

    @pytest.mark.parametrize("side", ["canary", "baseline"])
    @pytest.mark.parametrize("mode", ["gate", "ab"])
    def test_a_nan_variant_is_inconclusive_saying_why(self, side, mode):
        # Before: "the canary query returned NaN (no_data policy: inconclusive)", the same words as no series.
        values = {"canary": {"query": 0.2}, "baseline": {"query": 0.2}}
        values[side]["query"] = math.nan
        judged = judge("ratio", **values, mode=mode, direction="lower_is_better")
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason == f"the {side} query {self.NAN}"
        assert judged.value is None
        assert judged.details[side]["value"] == "NaN"
        assert judged.details["decision_rule"] == "no verdict below the minimum evidence"

    def test_an_infinite_variant(self):
        judged = judge("ratio", canary={"query": math.inf}, baseline={"query": 0.2})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("the canary query returned inf, which cannot be compared (a division by zero?)")

    def test_no_series_says_no_more(self):
        judged = judge("ratio", canary={"query": None}, baseline={"query": 0.2})
        assert judged.reason == "the canary query returned no series (no_data policy: inconclusive)"

    def test_the_policy_may_fail_it_never_pass_it(self):
        judged = judge("ratio", canary={"query": math.nan}, baseline={"query": 0.2}, no_data="fail")
        assert judged.outcome is Outcome.FAIL
        assert "no_data: pass is not allowed; a comparison without evidence never passes" in problem(
            check(no_data="pass")
        )


class TestJudgeRatioEdges:
    """The reason starts with the estimate, not the verdict its evaluation already says, and an absolute tolerance
    alone is not widened by the baseline."""

    @pytest.mark.parametrize(("canary", "verdict"), [(0.4, Outcome.FAIL), (0.21, Outcome.PASS)])
    def test_the_reason_does_not_repeat_the_verdict(self, canary, verdict):
        # Before: "fail: canary 0.4 ...", shown as "FAIL checkout-conversion: fail: canary 0.4 ..." in the summary.
        judged = judge("ratio", canary={"query": canary}, baseline={"query": 0.2})
        assert judged.outcome is verdict
        assert judged.reason.startswith(f"canary {canary} vs baseline 0.2 ("), judged.reason

    @pytest.mark.parametrize(("canary", "verdict"), [(0.25, Outcome.PASS), (0.27, Outcome.FAIL)])
    def test_with_both_tolerances_the_larger_applies_not_their_sum(self, canary, verdict):
        # 10% of 0.2 is 0.02, the absolute 0.05 is larger: 0.05 it is, not 0.07.
        judged = judge("ratio", canary={"query": canary}, baseline={"query": 0.2}, max_absolute_change=0.05)
        assert judged.threshold == pytest.approx(0.05)
        assert judged.outcome is verdict

    def test_an_absolute_tolerance_alone_is_the_tolerance(self):
        judged = judge(
            "ratio",
            canary={"query": 0.25},
            baseline={"query": 0.2},
            max_relative_change=None,
            max_absolute_change=0.01,
        )
        assert judged.threshold == pytest.approx(0.01)
        assert judged.outcome is Outcome.FAIL


class TestProportionCounts:
    """Proportion: a total missing, not finite, zero or under min_canary_events (canary only) is no verdict; a
    canary whose every request failed is counted, not refused."""

    @pytest.mark.parametrize(("total", "shown"), [(None, "no series"), (math.nan, "NaN"), (math.inf, None)])
    def test_a_total_without_a_finite_value_is_no_data(self, total, shown):
        judged = judge("proportion", canary={"success": 100, "total": total}, baseline={"success": 10, "total": 1e4})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("the canary total query returned ")
        if shown is not None:
            assert judged.reason.startswith(f"the canary total query returned {shown} ")

    def test_successes_up_to_the_rounding_slack_above_the_total_are_counted_as_the_total(self):
        # increase() extrapolates: a success counter a millionth above its total is rounding, not a broken query.
        judged = judge(
            "proportion",
            canary={"success": 1000 * (1 + 1e-6), "total": 1000},
            baseline={"success": 10, "total": 1e4},
        )
        assert judged.details["canary"]["success"] == 1000

    def test_a_zero_total_is_no_traffic(self):
        judged = judge("proportion", canary={"success": 0, "total": 0}, baseline={"success": 10, "total": 1e4})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "has no traffic over 10m" in judged.reason

    @pytest.mark.parametrize(("total", "shown"), [(-96000, "-96000"), (-0.001, "-0.001")])
    def test_a_negative_total_is_no_data_and_not_called_no_traffic(self, total, shown):
        # `x_total - x_total offset 30m` across a pod's restart. Before: "the canary has no traffic over 10m (total
        # -96000)", for a canary serving 20 requests a second.
        judged = judge("proportion", canary={"success": 0, "total": total}, baseline={"success": 10, "total": 1e4})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(
            f"the canary total query returned {shown}, a negative count (a counter less its value at an offset, across "
            "a reset?), which says nothing of its traffic"
        ), judged.reason

    def test_a_total_of_one_is_traffic(self):
        judged = judge("proportion", canary={"success": 0, "total": 1}, baseline={"success": 10, "total": 1e4})
        assert "no traffic" not in judged.reason

    def test_min_canary_events_applies_to_the_canary_only(self):
        fields = {"min_canary_events": 500, "max_relative_change": None, "max_absolute_change": 0.001}
        short = judge(
            "proportion", canary={"success": 0, "total": 499}, baseline={"success": 0, "total": 1e5}, **fields
        )
        assert short.outcome is Outcome.INCONCLUSIVE
        assert "fewer than min_canary_events 500" in short.reason
        at = judge("proportion", canary={"success": 400, "total": 500}, baseline={"success": 0, "total": 1e5}, **fields)
        assert at.outcome is Outcome.FAIL
        small_baseline = judge(
            "proportion", canary={"success": 400, "total": 1e4}, baseline={"success": 0, "total": 100}, **fields
        )
        assert small_baseline.outcome is Outcome.FAIL

    def test_a_canary_failing_every_request_fails(self):
        judged = judge("proportion", canary={"success": 1000, "total": 1000}, baseline={"success": 10, "total": 1000})
        assert judged.outcome is Outcome.FAIL
        assert judged.details["canary"]["rate"] == 1.0


class TestProportionPower:
    """A pass needs power to detect the worse-direction effect (both directions for `either`); a baseline at 0%
    with only a relative effect has nothing to detect, so no power and no pass."""

    def test_a_relative_effect_of_a_zero_baseline_has_no_power(self):
        judged = judge(
            "proportion",
            canary={"success": 0, "total": 1e5},
            baseline={"success": 0, "total": 1e5},
            max_relative_change=None,
            min_detectable_effect=0.1,
        )
        assert judged.details["power"] == 0.0
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert "a relative min_detectable_effect is 0, so set max_absolute_change" in judged.reason

    def test_a_detectable_effect_above_zero_gets_no_note(self):
        counts = {"canary": {"success": 100, "total": 1e4}, "baseline": {"success": 100, "total": 1e4}}
        judged = judge("proportion", **counts, max_relative_change=None, min_detectable_effect=0.5)
        assert "min_detectable_effect is 0" not in judged.reason

    def test_the_detectable_effect_is_relative_to_the_baseline_with_the_absolute_tolerance_as_floor(self):
        counts = {"canary": {"success": 100, "total": 1e4}, "baseline": {"success": 100, "total": 1e4}}
        relative = judge("proportion", **counts, max_relative_change=None, min_detectable_effect=0.5)
        assert relative.details["detectable_effect"] == pytest.approx(0.005)
        floored = judge(
            "proportion", **counts, max_relative_change=None, max_absolute_change=0.008, min_detectable_effect=0.5
        )
        assert floored.details["detectable_effect"] == pytest.approx(0.008)

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better", "either"])
    def test_power_is_for_the_worse_direction(self, direction):
        from checks.kpi_stats import proportion_power

        judged = judge(
            "proportion",
            direction,
            canary={"success": 100, "total": 1e4},
            baseline={"success": 100, "total": 1e4},
            max_relative_change=None,
            min_detectable_effect=0.5,
        )
        up, down = (proportion_power(0.01, sign * 0.005, 1e4, 1e4, 0.95) for sign in (1, -1))
        assert up != pytest.approx(down)
        expected = {"lower_is_better": up, "higher_is_better": down, "either": min(up, down)}[direction]
        assert judged.details["power"] == pytest.approx(expected)

    def test_either_takes_the_weaker_direction(self):
        from checks.kpi_stats import proportion_power

        # At 99% a drop to 98.5% has more variance, so less power, than a rise to 99.5%.
        judged = judge(
            "proportion",
            "either",
            canary={"success": 9900, "total": 1e4},
            baseline={"success": 9900, "total": 1e4},
            max_relative_change=None,
            max_absolute_change=0.005,
            min_detectable_effect=0.001,
        )
        up, down = (proportion_power(0.99, sign * 0.005, 1e4, 1e4, 0.95) for sign in (1, -1))
        assert down < up
        assert judged.details["power"] == pytest.approx(down)

    def test_an_interval_within_the_tolerance_without_the_power_is_inconclusive(self):
        # Equal rates on 10,000 each: the interval rules out a rise beyond the 50% tolerance, but the test cannot
        # detect the 1% rise asked for: no pass on the interval alone.
        judged = judge(
            "proportion",
            canary={"success": 1000, "total": 1e4},
            baseline={"success": 1000, "total": 1e4},
            max_relative_change=0.5,
            min_detectable_effect=0.01,
        )
        assert judged.details["harm_bound"] < judged.threshold
        assert judged.details["power"] < 0.8
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("power ")
        assert "the interval allows" not in judged.reason

    def test_too_little_power_is_inconclusive(self):
        judged = judge(
            "proportion",
            canary={"success": 0, "total": 300},
            baseline={"success": 0, "total": 300},
            max_relative_change=None,
            max_absolute_change=0.01,
        )
        assert judged.details["power"] < 0.8
        assert judged.outcome is Outcome.INCONCLUSIVE


class TestProportionPowerOfEachVariantsCount:
    """A proportion's power is that of detecting the effect from the baseline's rate, each variant's variance with its
    own count: a canary with few requests and fewer errors is not powered by its low rate or the baseline's count."""

    def test_a_small_canary_with_fewer_errors_is_underpowered(self):
        from checks.kpi_stats import proportion_power

        # 10 errors in 500 against 250 in 5,000: its interval rules out a rise of 3 points, but a test on 500 requests
        # detects one with power 0.66. From the canary's 2% (less variance) or with the totals swapped, the power
        # read 0.84 or 0.81, and the step passed.
        judged = judge(
            "proportion",
            canary={"success": 10, "total": 500},
            baseline={"success": 250, "total": 5000},
            max_relative_change=None,
            max_absolute_change=0.03,
        )
        assert judged.details["harm_bound"] < judged.threshold
        assert judged.details["power"] == pytest.approx(proportion_power(0.05, 0.03, 500, 5000, 0.95))
        assert judged.details["power"] == pytest.approx(0.661, abs=0.001)
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("power 0.66")


class TestABNoWinner:
    """A/B names no winner (inconclusive) when the difference is within the tolerance or not significant."""

    def test_a_point_difference_within_the_tolerance_has_no_winner(self):
        judged = judge("ratio", "higher_is_better", mode="ab", canary={"query": 0.205}, baseline={"query": 0.2})
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.details["winner"] is None
        assert judged.reason.startswith("no winner yet: ")

    def test_a_point_difference_beyond_the_tolerance_wins(self):
        judged = judge("ratio", "higher_is_better", mode="ab", canary={"query": 0.3}, baseline={"query": 0.2})
        assert judged.outcome is Outcome.PASS
        assert judged.details["winner"] == "canary"

    def test_a_large_difference_that_is_not_significant_has_no_winner(self):
        judged = judge(
            "proportion",
            "higher_is_better",
            mode="ab",
            canary={"success": 15, "total": 100},
            baseline={"success": 10, "total": 100},
        )
        assert judged.details["significant"] is False
        assert judged.outcome is Outcome.INCONCLUSIVE

    def test_a_significant_difference_within_the_tolerance_has_no_winner(self):
        judged = judge(
            "proportion",
            "higher_is_better",
            mode="ab",
            canary={"success": 12000, "total": 1e6},
            baseline={"success": 10000, "total": 1e6},
            max_relative_change=None,
            max_absolute_change=0.01,
        )
        assert judged.details["significant"] is True
        assert judged.outcome is Outcome.INCONCLUSIVE

    @pytest.mark.parametrize("direction", ["higher_is_better", "lower_is_better"])
    def test_mann_whitney_without_a_significant_shift_has_no_winner(self, direction):
        judged = judge(
            "mann_whitney", direction, mode="ab", samples=(around(0.10), around(0.10)), max_relative_change=0.0
        )
        assert judged.outcome is Outcome.INCONCLUSIVE


class TestMannWhitneyEdges:
    """mann_whitney: an interval too wide to rule out harm is inconclusive, min_samples samples are enough, and
    an interval touching 0 is not significant."""

    def test_an_interval_too_wide_is_inconclusive(self):
        judged = judge(
            "mann_whitney", samples=(around(0.10, count=20, spread=0.08), around(0.10, count=20, spread=0.08))
        )
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("the interval is too wide: canary shifted ")

    def test_the_reason_gives_each_variants_samples_and_what_they_count_as(self):
        # The canary trends (each sample repeats its neighbour: it counts as none), the baseline barely.
        canary = [0.15 + 0.0005 * i for i in range(50)]
        judged = judge("mann_whitney", samples=(canary, around(0.10)))
        assert (
            "widened for autocorrelation: 50 and 60 samples count as 0 and 42, "
            "fewer than 4 effective samples: no interval)" in judged.reason
        )
        assert judged.outcome is Outcome.INCONCLUSIVE

    def test_one_autocorrelated_variant_is_enough_to_say_the_interval_was_widened(self):
        # The baseline alternates (no positive autocorrelation: it counts as all its samples), the canary trends.
        canary = [0.15 + 0.0005 * i for i in range(50)]
        baseline = [0.10 + 0.01 * (i % 2) for i in range(60)]
        judged = judge("mann_whitney", samples=(canary, baseline))
        assert (
            "widened for autocorrelation: 50 and 60 samples count as 0 and 60, "
            "fewer than 4 effective samples: no interval)" in judged.reason
        )

    def test_too_few_samples_for_an_interval_say_so_without_autocorrelation(self):
        # 3 canary samples in an order without positive autocorrelation (min_samples 3 lets them through), the baseline
        # alternating: they count as 3, too few for an interval, and the reason says so rather than only "too wide".
        baseline = [0.10 + 0.01 * (i % 2) for i in range(30)]
        judged = judge("mann_whitney", samples=([0.30, 0.10, 0.20], baseline), min_samples=3)
        assert judged.details["canary"]["autocorrelation"] == judged.details["baseline"]["autocorrelation"] == 0.0
        assert judged.details["interval"] == [None, None]
        assert judged.details["p_value"] is None
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert (
            "(Hodges-Lehmann, 95% CI [-inf, inf], 3 and 30 samples, fewer than 4 effective samples: no interval)"
            in (judged.reason)
        )

    def test_exactly_4_effective_samples_give_an_interval(self):
        judged = judge("mann_whitney", samples=([0.40, 0.10, 0.30, 0.20], around(0.10, count=30)), min_samples=3)
        assert judged.details["canary"]["effective_samples"] == 4.0
        assert judged.details["interval"][0] is not None
        assert "no interval" not in judged.reason

    def test_either_with_an_interval_across_zero_is_inconclusive_whatever_the_estimate(self):
        judged = judge(
            "mann_whitney", "either", samples=(around(0.13, count=20, spread=0.08), around(0.10, count=20, spread=0.08))
        )
        low, high = judged.details["interval"]
        assert low < 0 < high
        assert judged.value > judged.threshold
        assert judged.outcome is Outcome.INCONCLUSIVE

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better", "either"])
    def test_an_unbounded_interval_is_inconclusive(self, direction):
        # Both variants trend through the lookback (a rate rising since the canary started): every sample
        # repeats its neighbour, they count as no samples at all and the interval is (-inf, inf). It rules out
        # nothing: the canary 9 times the baseline passed, an infinite harm bound read as within the tolerance.
        canary = [1.0 + 0.01 * i for i in range(20)]
        baseline = [0.1 + 0.001 * i for i in range(20)]
        judged = judge("mann_whitney", direction, samples=(canary, baseline))
        assert judged.details["interval"] == [None, None]
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith("the interval is too wide: canary shifted ")

    def test_min_samples_samples_are_enough(self):
        judged = judge("mann_whitney", samples=(around(0.15, count=20), around(0.10, count=20)))
        assert judged.outcome is Outcome.FAIL

    def test_identical_constant_samples_are_not_significant(self):
        judged = judge("mann_whitney", samples=([0.1] * 30, [0.1] * 30))
        assert judged.details["interval"] == [0.0, 0.0]
        assert judged.details["significant"] is False


class TestMannWhitneyRoundingOfTheCanarysValues:
    """mann_whitney forgives the rounding of differences computed from the canary's values too, not only from the
    baseline's median: a canary exactly at the tolerance is not beyond it."""

    def test_the_tie_test_forgives_the_rounding_of_the_values_not_of_the_tolerance(self):
        # 1e9 + 0.7 less the tolerance 0.4 is not 1e9 + 0.3 in floats: they differ by about 1e-7, 1e-9 of the values'
        # scale but 250 of the tolerance's (1e-9 of the smaller of the two read the canary as beyond the tolerance at
        # every step: z 10.9, a spurious inconclusive).
        judged = judge(
            "mann_whitney",
            samples=([1e9 + 0.7] * 60, [1e9 + 0.3] * 60),
            max_relative_change=None,
            max_absolute_change=0.4,
        )
        assert judged.details["tolerance_test_z"] == 0.0
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_a_shift_at_the_tolerance_between_large_values_passes(self):
        # Six in ten canary samples are 1e9 (the baseline's four in ten are 1e9 + 0.1), the rest 1 (1.1): each
        # variant's pairs differ by the tolerance 0.1, but 1e9 - (1e9 + 0.1) is -0.10000002384185791 in floats.
        # Forgiving only 1e-9 of the baseline's median 1.1, that noise read as a drop beyond the tolerance: an
        # interval shown as [-0.1, -0.1] was "too wide", a spurious inconclusive.
        canary = [1e9 if i * 3 % 5 < 3 else 1.0 for i in range(60)]
        baseline = [1e9 + 0.1 if i * 3 % 5 < 2 else 1.1 for i in range(60)]
        judged = judge(
            "mann_whitney",
            "higher_is_better",
            samples=(canary, baseline),
            max_relative_change=None,
            max_absolute_change=0.1,
        )
        assert judged.details["interval"][0] == -0.10000002384185791
        assert (judged.details["canary"]["median"], judged.details["baseline"]["median"]) == (1e9, 1.1)
        assert judged.outcome is Outcome.PASS, judged.reason


def bursts(every: int, value: float = 0.025, count: int = 61) -> list[float]:
    """An error ratio that is 0 at every step but one in `every`, where it is `value`: tied samples."""
    return [value if i % every == 0 else 0.0 for i in range(count)]


class TestMannWhitneyAutocorrelatedRates:
    """Over 600 seeded draws of AR(1) samples at rho 0.9, 20 per variant, the judge fails a canary that did not change
    at most about as often as its one-sided 2.5%, and passes one twice the tolerance worse more rarely.

    The draws come from Python's random (tests/autocorrelated.py), whose stream no numpy upgrade changes. These draws
    see 14 fails and 8 passes; with the normal quantile and no floor on the effective samples (before the
    twenty-eighth session) 38 fails (6.3%) and 14 passes (2.3%)."""

    @pytest.mark.parametrize(("shift", "outcome", "most"), [(0.0, Outcome.FAIL, 20), (1.0, Outcome.PASS, 11)])
    def test_the_rate(self, shift, outcome, most):
        rng = random.Random(2809200 + int(2 * shift))
        seen = 0
        for _ in range(600):
            canary = [10.0 + shift + x for x in ar1(rng, 20, 0.9)]
            baseline = [10.0 + x for x in ar1(rng, 20, 0.9)]
            judged = judge(
                "mann_whitney",
                samples=(canary, baseline),
                max_absolute_change=0.5,
                max_relative_change=None,
                lookback="10m",
                step="10s",
            )
            seen += judged.outcome is outcome
        assert seen <= most


class TestMannWhitneyTies:
    """With most samples tied (an error ratio at 0 at most steps) the Moses interval shrinks onto the tied value; a
    pass also needs the tie-corrected Mann-Whitney test not to find the canary worse beyond the tolerance."""

    @pytest.mark.parametrize("every", [3, 4])
    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_canary_erring_at_some_steps_against_a_baseline_at_zero_does_not_pass(self, every, direction):
        # The baseline's median is 0, so its relative tolerance is 0; the interval was [0, 0], a pass.
        judged = judge("mann_whitney", direction, samples=(bursts(every), [0.0] * 61))
        assert judged.details["interval"] == [0.0, 0.0]
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("tied samples: the interval rules out")
        assert judged.details["tolerance_test_z"] > 4

    def test_a_baseline_erring_at_some_steps_does_not_pass_a_canary_better_higher(self):
        judged = judge("mann_whitney", "higher_is_better", samples=([0.0] * 61, bursts(3)))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better", "either"])
    def test_two_variants_at_zero_pass(self, direction):
        judged = judge("mann_whitney", direction, samples=([0.0] * 61, [0.0] * 61))
        assert judged.outcome is Outcome.PASS
        assert judged.details["tolerance_test_z"] == 0

    @pytest.mark.parametrize(("canary", "baseline"), [(0.33, 0.3), (1.21, 1.1), (1.05, 1.0)])
    def test_a_constant_canary_at_most_the_tolerance_above_passes(self, canary, baseline):
        # 0.33 - 0.03 is not exactly 0.3: values within at_most's rounding are tied, not beyond the tolerance.
        judged = judge("mann_whitney", samples=([canary] * 61, [baseline] * 61))
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_a_canary_erring_less_than_the_absolute_tolerance_passes(self):
        # Within an absolute tolerance of 0.03 every shifted sample ranks below the baseline's 0.
        judged = judge("mann_whitney", samples=(bursts(3), [0.0] * 61), max_absolute_change=0.03)
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_a_baseline_erring_at_some_steps_does_not_pass_a_canary_changed_either_way(self):
        judged = judge("mann_whitney", "either", samples=([0.0] * 61, bursts(3)))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["tolerance_test_z"] > 4

    def test_a_canary_lower_by_less_than_the_absolute_tolerance_passes_when_higher_is_better(self):
        # Raised by the tolerance of 0.03, every canary sample ranks above the baseline's.
        judged = judge("mann_whitney", "higher_is_better", samples=([0.0] * 61, bursts(3)), max_absolute_change=0.03)
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.details["tolerance_test_z"] < -4

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_canary_erring_at_most_steps_against_a_baseline_at_zero_fails(self, direction):
        # 60% of the canary's steps at 0.5: the 40% of differences at 0 kept the interval's low end at 0, inconclusive.
        canary = [0.0 if i % 5 in (0, 2) else 0.5 for i in range(60)]
        judged = judge("mann_whitney", direction, samples=(canary, [0.0] * 60))
        assert judged.details["interval"] == [0.0, 0.5]
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("tied samples: with the differences at 0 counted half")
        assert judged.details["significant"] is True

    @pytest.mark.parametrize("shift", [0.5, -0.5])
    def test_a_canary_changed_either_way_without_ties_fails_on_its_interval_alone(self, shift):
        # The reason blames no ties when the interval lies off 0 on either side (mut26h: the harm's low end read on
        # the wrong side of 0 said "tied samples" for a canary changed by half and no sample tied).
        # Distinct values in no order (a ramp is autocorrelated: its interval widened to everything).
        baseline = [1.0 + 0.01 * (i * 37 % 61) for i in range(61)]
        judged = judge("mann_whitney", "either", samples=([b + shift for b in baseline], baseline))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert not judged.reason.startswith("tied samples"), judged.reason

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_canary_erring_in_long_runs_against_a_baseline_at_zero_fails(self, direction):
        # Errors in runs of 11 steps in 20 (33 of 61): 5.4 effective samples, the interval's t quantile about 2.6
        # and its low end 0 (inconclusive); the baseline's 61 samples at 0 bound its share of errors to 5.9%, the
        # canary's is at least 14%.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", direction, samples=(canary, [0.0] * 61))
        assert judged.details["interval"] == [0.0, 0.025]
        assert judged.details["significant"] is False
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith(
            "the baseline is 0 at all 61 samples and the canary above it at 33 of 61 (at least 14.0% of the time "
            "over its 5.39 effective samples), more often than the baseline can be (at most 5.9%, none of 61): "
            "canary shifted +0.025"
        ), judged.reason
        assert judged.details["constant_baseline"] == {
            "value": 0.0,
            "canary_share": 33 / 61,
            "canary_share_low": pytest.approx(0.1402, abs=1e-4),
            "baseline_share_high": pytest.approx(0.0587, abs=1e-4),
            "beyond": True,
            "traffic_ratio": None,
            "applies": True,
        }

    def test_a_canary_beyond_a_constant_baseline_within_the_tolerance_passes(self):
        # Beyond the baseline's 0 as often as above, but by 0.025, within the absolute tolerance 0.03: the constant
        # baseline adds fails only beyond the tolerance.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), max_absolute_change=0.03)
        assert judged.details["constant_baseline"]["beyond"] is True
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_a_canary_better_than_a_constant_baseline_does_not_fail(self):
        # Below the baseline's 1 at 33 of 61 steps, where lower is worse only for higher_is_better.
        canary = [0.975 if i % 20 >= 9 else 1.0 for i in range(61)]
        judged = judge("mann_whitney", "lower_is_better", samples=(canary, [1.0] * 61))
        assert judged.details["constant_baseline"]["beyond"] is True
        assert judged.outcome is Outcome.PASS, judged.reason
        worse = judge("mann_whitney", "higher_is_better", samples=(canary, [1.0] * 61), max_relative_change=0.01)
        assert worse.outcome is Outcome.FAIL, worse.reason
        assert worse.reason.startswith("the baseline is 1 at all 61 samples and the canary below it at 33 of 61")
        assert worse.details["decision_rule"].startswith(
            "fails when the baseline is constant and the canary lies below it more often than that baseline can"
        )

    @pytest.mark.parametrize(
        "canary",
        [[0.0] * 61, [*([0.025 if i % 3 == 0 else 0.0 for i in range(60)]), -0.001]],
        ids=["at-the-constant", "on-both-sides"],
    )
    def test_a_canary_not_beyond_a_constant_baseline_is_reported_so(self, canary):
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61))
        assert judged.details["constant_baseline"]["beyond"] is False
        assert not judged.reason.startswith("the baseline is"), judged.reason

    def test_the_reason_counts_the_canary_samples_beyond_exactly(self):
        # 28 of 55 above 0: 28 / 55 * 55 is 27.999999999999996, which truncated would read 27.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(55)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 55))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("the baseline is 0 at all 55 samples and the canary above it at 28 of 55 ")

    def test_a_baseline_at_negative_zero_reads_0(self):
        # -sum(...) of no errors is -0.0: the reason and details say 0, as a human reads it.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", samples=(canary, [-0.0] * 61))
        assert judged.reason.startswith("the baseline is 0 at all 61 samples"), judged.reason
        assert math.copysign(1.0, judged.details["constant_baseline"]["value"]) == 1.0

    def test_a_fail_on_a_constant_baseline_says_so_in_its_decision_rule(self):
        # The interval [0, 0.025] holds 0: a rule reading "fails when the interval lies above 0" contradicted it.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["decision_rule"] == (
            "fails when the baseline is constant and the canary lies above it more often than that baseline can (the "
            "interval holding 0) and the shift exceeds the tolerance 0 (10% of the baseline), passes when "
            "the interval rules out an increase beyond the tolerance"
        )
        assert judged.reason.endswith(f"; {judged.details['decision_rule']}")

    @pytest.mark.parametrize(
        ("events", "ratio"),
        [({"canary": 1000.0, "baseline": 1000.0}, 1.0), ({"canary": 1000.0, "baseline": 800.0}, 0.8), (None, None)],
        ids=["equal-traffic", "at-the-floor", "events-unknown"],
    )
    def test_the_constant_baseline_rule_applies_with_enough_baseline_traffic_or_unknown_traffic(self, events, ratio):
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        counted = (
            {}
            if events is None
            else {"canary": {"events": events["canary"]}, "baseline": {"events": events["baseline"]}}
        )
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), **counted)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["constant_baseline"]["applies"] is True
        assert judged.details["constant_baseline"]["traffic_ratio"] == ratio

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_baseline_with_less_traffic_than_the_canary_is_judged_by_the_interval_alone(self, direction):
        # A baseline at a tenth of the canary's traffic is at 0 more often for its traffic (seeded: the rule failed 6.5%
        # of canaries erring as rarely): the interval [0, 0.025] holds 0, so inconclusive, and the reason says why.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge(
            "mann_whitney",
            direction,
            samples=(canary, [0.0] * 61),
            canary={"events": 1000.0},
            baseline={"events": 100.0},
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "the interval is too wide (the baseline is 0 at all 61 samples, but with 0.1x the canary's events, fewer "
            "than 0.8x: a variant with less traffic sits at the constant more often for its traffic, so the interval "
            "alone judges): canary shifted +0.025"
        ), judged.reason
        assert judged.details["constant_baseline"]["beyond"] is True
        assert judged.details["constant_baseline"]["applies"] is False
        assert judged.details["constant_baseline"]["traffic_ratio"] == 0.1
        assert judged.details["decision_rule"].startswith("fails when the interval lies ")

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_canary_not_beyond_a_baseline_with_less_traffic_is_not_said_to_be(self, direction):
        # Above 0 at 24 of 60 steps in runs of 8: not more often than the baseline can be, so the traffic changes
        # nothing and the reason does not bring it up.
        canary = [0.025 if i % 20 >= 12 else 0.0 for i in range(60)]
        judged = judge(
            "mann_whitney",
            direction,
            samples=(canary, [0.0] * 60),
            canary={"events": 1000.0},
            baseline={"events": 100.0},
        )
        assert judged.details["constant_baseline"]["beyond"] is False
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("the interval is too wide: canary shifted"), judged.reason

    def test_the_canary_s_events_alone_leave_the_traffic_unknown(self):
        # As the shipped examples count traffic, for min_canary_events: the baseline's is unknown, the rule applies.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), canary={"events": 1000.0})
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["constant_baseline"]["traffic_ratio"] is None
        assert judged.details["constant_baseline"]["applies"] is True

    def test_a_traffic_ratio_beyond_the_float_range_is_null_and_the_rule_applies(self):
        # 1e10 events over 1e-300 is inf, which JSON cannot carry; a baseline with so much more traffic is enough.
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        counted = {"canary": {"events": 1e-300}, "baseline": {"events": 1e10}}
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), **counted)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["constant_baseline"]["traffic_ratio"] is None
        assert judged.details["constant_baseline"]["applies"] is True
        json.dumps(judged.details, allow_nan=False)

    def test_the_baseline_s_events_alone_leave_the_traffic_unknown(self):
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), baseline={"events": 1000.0})
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["constant_baseline"]["traffic_ratio"] is None

    def test_an_inconclusive_canary_beyond_a_baseline_with_enough_traffic_does_not_blame_the_traffic(self):
        # Above 0 at 25 of 61 steps, beyond what the baseline can be, but its shift (the median difference) is 0,
        # within the tolerance, and the interval [0, 0.05] is not: inconclusive, and equal traffic gated nothing.
        canary = [0.05 if i % 20 >= 12 else 0.0 for i in range(61)]
        counted = {"canary": {"events": 1000.0}, "baseline": {"events": 1000.0}}
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), max_absolute_change=0.01, **counted)
        assert judged.details["constant_baseline"]["beyond"] is True
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("the interval is too wide: canary shifted +0"), judged.reason

    def test_a_canary_the_rule_would_not_fail_does_not_blame_a_baseline_with_less_traffic(self):
        # Beyond the constant, but its shift 0 is within the tolerance: the rule would not have failed it, so the
        # traffic gate changed nothing and the reason is the interval's own, as at equal traffic.
        canary = [0.05 if i % 20 >= 12 else 0.0 for i in range(61)]
        counted = {"canary": {"events": 1000.0}, "baseline": {"events": 100.0}}
        judged = judge("mann_whitney", samples=(canary, [0.0] * 61), max_absolute_change=0.01, **counted)
        assert judged.details["constant_baseline"]["applies"] is False
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("the interval is too wide: canary shifted +0"), judged.reason

    def test_a_baseline_just_below_the_traffic_floor_is_judged_by_the_interval_alone(self):
        canary = [0.025 if i % 20 >= 9 else 0.0 for i in range(61)]
        judged = judge(
            "mann_whitney", samples=(canary, [0.0] * 61), canary={"events": 1000.0}, baseline={"events": 799.0}
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["constant_baseline"]["applies"] is False

    def test_a_canary_at_zero_where_the_baseline_errs_at_most_steps_fails_when_higher_is_better(self):
        baseline = [0.0 if i % 5 in (0, 2) else 0.5 for i in range(60)]
        judged = judge("mann_whitney", "higher_is_better", samples=([0.0] * 60, baseline))
        assert judged.outcome is Outcome.FAIL, judged.reason

    def test_the_baseline_wins_an_ab_over_a_canary_erring_at_most_steps(self):
        canary = [0.0 if i % 5 in (0, 2) else 0.5 for i in range(60)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 60), mode="ab")
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["winner"] == "baseline"

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_one_burst_of_errors_against_a_baseline_at_zero_does_not_pass(self, direction):
        # Two bursts of 4 consecutive steps (2 minutes each) at 2.5%: widened for their autocorrelation as the interval
        # is, the test read z=0.87 and the canary passed; widening makes this gate's pass easier, so it takes the
        # samples as independent.
        canary = [0.025 if 20 <= i < 24 or 40 <= i < 44 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", direction, samples=(canary, [0.0] * 61))
        assert judged.details["interval"] == [0.0, 0.0]
        assert judged.details["canary"]["autocorrelation"] > 0.7
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["tolerance_test_z"] == pytest.approx(2.914, abs=1e-3)

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_one_long_burst_leaves_too_few_effective_samples_for_an_interval(self, direction):
        # 8 consecutive steps at 2.5%: the canary's 61 samples count as fewer than 4, too few for any interval.
        canary = [0.025 if 20 <= i < 28 else 0.0 for i in range(61)]
        judged = judge("mann_whitney", direction, samples=(canary, [0.0] * 61))
        assert judged.details["canary"]["effective_samples"] < 4
        assert judged.details["interval"] == [None, None]
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert "fewer than 4 effective samples" in judged.reason

    def test_samples_without_ties_judge_as_before(self):
        judged = judge("mann_whitney", samples=(around(0.104, spread=0.001), around(0.10, spread=0.001)))
        assert judged.outcome is Outcome.PASS
        assert judged.details["tolerance_test_z"] < 0


class TestMannWhitneyTiesThreshold:
    """The tie-corrected test stops a pass when it finds the canary worse at the check's confidence, two-sided as the
    interval is: z above 1.96 at 95%."""

    @pytest.mark.parametrize(
        ("bursts_in_60", "z", "outcome"), [(3, 1.747, Outcome.PASS), (4, 2.026, Outcome.INCONCLUSIVE)]
    )
    def test_the_threshold(self, bursts_in_60, z, outcome):
        # A canary erring at 3 (or 4) of 60 steps against a baseline at 0: the interval is [0, 0]. One-sided (1.645),
        # 3 bursts were inconclusive too.
        canary = [0.025 if i * 7 % 60 < bursts_in_60 else 0.0 for i in range(60)]
        judged = judge("mann_whitney", samples=(canary, [0.0] * 60))
        assert judged.details["interval"] == [0.0, 0.0]
        assert judged.details["tolerance_test_z"] == pytest.approx(z, abs=0.001)
        assert judged.outcome is outcome, judged.reason


class TestRangeSamples:
    """A range answer's samples drop NaN points (no value there) but keep infinities, and its silence runs from
    the last point with a value to the end of the lookback."""

    END = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)

    def answer(self, *values: float) -> QueryResult:
        start = self.END.timestamp() - 60 * (len(values) - 1)
        samples = [(start + 60 * i, value) for i, value in enumerate(values)]
        return QueryResult("q", "matrix", [Series({}, samples)])

    def test_nan_points_are_dropped_and_infinities_kept(self):
        assert _samples(self.answer(1.0, math.nan, math.inf, 2.0)) == [1.0, math.inf, 2.0]

    def test_no_series_has_no_samples(self):
        assert _samples(QueryResult("q", "matrix", [])) == []

    def test_a_nan_tail_is_silence(self):
        assert _silent_s(self.answer(1.0, 2.0, 3.0, math.nan, math.nan), self.END) == 120.0
        assert _silent_s(self.answer(1.0, 2.0), self.END) == 0.0

    @pytest.mark.parametrize("series", [[], [Series({}, [(1.0, math.nan)])]])
    def test_no_valued_point_is_no_silence(self, series):
        assert _silent_s(QueryResult("q", "matrix", series), self.END) == 0.0

    def test_points_at_steps_a_fallback_answered_are_neither_samples_nor_values(self):
        # Steps 3 and 4 (of 0-4) read no series beside the query's fallback: its 0 there is no measurement.
        answer = self.answer(1.0, 2.0, 3.0, 0.0, 0.0)
        steps = frozenset(at for at, _ in answer.series[0].samples[:3])
        assert _samples(answer, steps) == [1.0, 2.0, 3.0]
        assert _silent_s(answer, self.END, steps) == 120.0


class TestBaselineMedian:
    """mann_whitney's relative tolerance is a fraction of the baseline's median: the middle sample, or the mean of
    the two middle ones."""

    @pytest.mark.parametrize(("count", "median"), [(21, 0.2), (20, 0.195), (3, 0.11)])
    def test_the_tolerance_is_a_fraction_of_the_median(self, count, median):
        baseline = [0.1 + 0.01 * ((i * 11) % count) for i in range(count)]  # distinct, not in order
        judged = judge("mann_whitney", samples=(around(0.2, count=30), baseline), min_samples=3)
        assert judged.details["baseline"]["median"] == pytest.approx(median)
        assert judged.threshold == pytest.approx(0.1 * median)

    @pytest.mark.parametrize(
        ("direction", "outcome"), [("higher_is_better", Outcome.PASS), ("lower_is_better", Outcome.FAIL)]
    )
    def test_a_shift_near_the_float_range_is_finite(self, direction, outcome):
        # The shift's median summed two differences of 1.7e308: inf, which the runner answered with a 500.
        judged = judge("mann_whitney", direction, samples=([1.7e308] * 60, [0.0] * 60))
        assert judged.outcome is outcome, judged.reason
        assert judged.value == 1.7e308

    def test_two_distinct_middle_samples_near_the_float_range_have_their_mean(self):
        judged = judge("mann_whitney", samples=([1.7e308] * 60, [1e308] * 30 + [1.2e308] * 30))
        assert judged.details["baseline"]["median"] == pytest.approx(1.1e308)

    def test_two_subnormal_middle_samples_are_not_halved_to_zero(self):
        judged = judge("mann_whitney", samples=([5e-324] * 60, [5e-324] * 60))
        assert judged.details["baseline"]["median"] == 5e-324

    def test_two_middle_samples_near_the_float_range_have_their_mean(self):
        # Their sum overflowed: the median read as inf, a tolerance of 10% of it too, and a canary 70% slower passed.
        judged = judge("mann_whitney", samples=([1.7e308] * 60, [1e308] * 60))
        assert judged.details["baseline"]["median"] == 1e308
        assert judged.threshold == pytest.approx(1e307)
        assert judged.outcome is Outcome.FAIL, judged.reason


class TestMeasure:
    """What an evaluation asks Prometheus: instant queries for every role but mann_whitney's `query`, whose samples
    come from a range query, and the presence query of their metric names."""

    class Source:
        """Every metric exists; an events query counts `events`, a range query gives 61 samples around 0.2."""

        def __init__(self, events: float) -> None:
            self.events = events
            self.instant: list[str] = []

        async def query(self, promql: str, at: datetime, timeout_s: float) -> QueryResult:
            self.instant.append(promql)
            if promql.startswith("group by (__name__)"):
                found = [Series({"__name__": name}, [(1.0, 1.0)]) for name in ("kpi", "all_total")]
                found += [Series({"__name__": name, "label": "h"}, [(1.0, 1.0)]) for name in ("kpi", "all_total")]
                return QueryResult(promql, "vector", found)
            return QueryResult(promql, "vector", [Series({}, [(1.0, self.events if "all_total" in promql else 0.2)])])

        async def query_range(
            self, promql: str, start: datetime, end: datetime, step_s: float, timeout_s: float
        ) -> QueryResult:
            begin = start.timestamp()
            points = [(begin + i * step_s, value) for i, value in enumerate(around(0.2, count=61))]
            return QueryResult(promql, "matrix", [Series({}, points)])

    class Sources:
        """Every source name is the one stub."""

        def __init__(self, source: TestMeasure.Source) -> None:
            self.source = source

        def prometheus(self, name: str) -> TestMeasure.Source:
            return self.source

    @staticmethod
    def evaluate(source: TestMeasure.Source) -> Verdict:
        kpi = load(
            check(method="mann_whitney", canary={"query": CANARY, "events": EVENTS}, min_canary_events=100)
        ).checks["kpi"]

        async def run() -> Verdict:
            at = datetime(2026, 1, 1, tzinfo=UTC)
            deadline = asyncio.get_running_loop().time() + 30
            args = {"canary_hash": "c1", "stable_hash": "s1"}
            return await kpi.evaluate(EvalContext(args, at, deadline, TestMeasure.Sources(source)))  # type: ignore[arg-type]

        return asyncio.run(run())

    def test_mann_whitney_counts_the_canary_events_with_an_instant_query(self):
        source = self.Source(events=5)
        verdict = self.evaluate(source)
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert verdict.reason.startswith("the canary has 5 events over 10m, fewer than min_canary_events 100")
        assert 'sum(increase(all_total{h="c1"}[10m]))' in source.instant
        assert not any(query.startswith("avg(kpi") for query in source.instant)  # the samples are a range's

    def test_enough_events_let_the_samples_be_judged(self):
        assert self.evaluate(self.Source(events=500)).outcome is Outcome.PASS

    def test_a_metric_read_without_label_matchers_is_present_by_its_name(self):
        # The presence answer has a series labelled with the name alone for each name with samples, and one more per
        # label a matcher needs: `up`, read with no matcher, has only the first, which is enough.
        class Source(TestMeasure.Source):
            async def query(self, promql: str, at: datetime, timeout_s: float) -> QueryResult:
                answer = await super().query(promql, at, timeout_s)
                if not promql.startswith("group by (__name__)"):
                    return answer
                return QueryResult(promql, "vector", [*answer.series, Series({"__name__": "up"}, [(1.0, 1.0)])])

        kpi = load(check(canary=f"{CANARY} * scalar(count(up))", baseline=f"{BASELINE} * scalar(count(up))")).checks[
            "kpi"
        ]

        async def run() -> Verdict:
            at = datetime(2026, 1, 1, tzinfo=UTC)
            deadline = asyncio.get_running_loop().time() + 30
            args = {"canary_hash": "c1", "stable_hash": "s1"}
            sources = TestMeasure.Sources(Source(events=500))
            return await kpi.evaluate(EvalContext(args, at, deadline, sources))  # type: ignore[arg-type]

        verdict = asyncio.run(run())
        assert verdict.outcome is Outcome.PASS, verdict.reason


class TestInstantValues:
    """Each instant query's answer is its variant and role's one value, and a refusal names that variant and role."""

    class Source:
        """Answers query "two" and any grouping by pod with two series, "raw" with two series of raw samples, any other
        with one of value 0.5."""

        async def query(self, promql: str, at: datetime, timeout_s: float) -> QueryResult:
            if promql in ("two", "raw") or "by (pod)" in promql:
                kind = "matrix" if promql == "raw" else "vector"
                return QueryResult(promql, kind, [Series({"pod": p}, [(1.0, 1.0)]) for p in ("a", "b")])
            return QueryResult(promql, "vector", [Series({}, [(1.0, 0.5)])])

    @staticmethod
    def read(queries: dict[tuple[str, str], str]) -> dict[tuple[str, str], float | None]:
        async def run() -> dict[tuple[str, str], float | None]:
            at = datetime(2026, 1, 1, tzinfo=UTC)
            ctx = EvalContext({}, at, asyncio.get_running_loop().time() + 30, {})
            values, _ = await _instant_values(ctx, TestInstantValues.Source(), queries)  # type: ignore[arg-type]
            return values

        return asyncio.run(run())

    def test_each_value_is_read_by_variant_and_role(self):
        assert self.read({("canary", "query"): "c", ("baseline", "query"): "b"}) == {
            ("canary", "query"): 0.5,
            ("baseline", "query"): 0.5,
        }

    def test_a_query_answering_more_than_one_series_is_named_by_variant_and_role(self):
        with pytest.raises(CheckMisconfigured, match=r"^the baseline\.events query returned 2 series"):
            self.read({("canary", "query"): "c", ("baseline", "events"): "two"})

    def test_a_kpi_answering_more_than_one_series_is_told_to_average_and_a_count_to_sum(self):
        # Before: "e.g. with sum(...)" for the KPI too: per-pod error ratios summed over stable's ten pods against the
        # canary's one read ten times stable's ratio, so a canary erring five times as often would pass.
        with pytest.raises(CheckMisconfigured, match=r"aggregate it to one, e\.g\. with avg\(\.\.\.\)"):
            self.read({("canary", "query"): "two", ("baseline", "query"): "b"})
        with pytest.raises(CheckMisconfigured, match=r"aggregate it to one, e\.g\. with sum\(\.\.\.\)"):
            self.read({("canary", "success"): "two", ("canary", "total"): "b"})

    def test_a_ratio_answering_more_than_one_series_is_told_to_divide_the_sums(self):
        # Before: "e.g. with avg(...)": an average of the pods' error ratios weighs a quiet pod's as much as a busy
        # one's (a busy pod failing 10% beside a quiet one at 0 reads 5%), and it gets no pooled counts.
        with pytest.raises(CheckMisconfigured) as raised:
            self.read({("canary", "query"): PODS_RATIO, ("baseline", "query"): "b"})
        assert str(raised.value) == (
            'the canary.query query returned 2 series ({pod="a"}, {pod="b"}); it must return one: divide the sums of '
            "its counts, sum(rate(errors[...])) / sum(rate(total[...])) (avg(...) of the series' ratios weighs a quiet "
            "series' ratio as much as a busy one's), or narrow the selectors"
        )

    def test_a_latency_answering_more_than_one_series_is_told_to_average(self):
        latency = 'avg by (pod) (rate(latency_seconds_sum{h="c"}[5m]) / rate(latency_seconds_count{h="c"}[5m]))'
        with pytest.raises(CheckMisconfigured, match=r"aggregate it to one, e\.g\. with avg\(\.\.\.\)"):
            self.read({("canary", "query"): latency, ("baseline", "query"): "b"})

    def test_a_kpi_answering_raw_samples_is_told_to_reduce_its_window(self):
        with pytest.raises(CheckMisconfigured, match=r"returned a range vector \(raw samples\)"):
            self.read({("canary", "query"): "raw", ("baseline", "query"): "b"})


def fallback_measured(method: str, found: dict[str, bool], canary: float, baseline: float) -> Measured:
    """Both variants' KPI at these values, with a fallback probe per variant that found (or not) a series."""
    queries = {side: {"query": "q"} for side in ("canary", "baseline")}
    values: dict[tuple[str, str], float | None] = {("canary", "query"): canary, ("baseline", "query"): baseline}
    samples = {"canary": around(canary), "baseline": around(baseline)} if method == "mann_whitney" else {}
    return Measured(
        queries, values, samples, fallbacks={side: Fallback(0.0, f"probe-{side}", hit) for side, hit in found.items()}
    )


def fallback_kpi(method: str, **overrides: Any) -> KpiCompareCheck:
    query = 'sum(rate(errors{h="{{ canary_hash }}"}[5m])) / sum(rate(requests{h="{{ canary_hash }}"}[5m])) or vector(0)'
    fields: dict[str, Any] = {"method": method, "canary": query, "baseline": query.replace("canary", "stable")}
    if method == "mann_whitney":
        fields.update(lookback="30m", step="1m")
    kpi = load(check(**fields, **overrides)).checks["kpi"]
    assert isinstance(kpi, KpiCompareCheck)
    return kpi


class TestJudgeVariantReadingNothingBesideAFallback:
    """A variant whose fallback probe found no series measured nothing: the no_data verdict, whatever the values."""

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(
        ("side", "canary", "baseline"),
        [("canary", 0.0, 0.025), ("baseline", 0.025, 0.0)],  # a pass and a fail, from a variant never measured
    )
    def test_the_no_data_verdict(self, method, side, canary, baseline):
        found = {"canary": side != "canary", "baseline": side != "baseline"}
        judged = fallback_kpi(method).judge(fallback_measured(method, found, canary, baseline))
        assert judged.outcome is Outcome.INCONCLUSIVE
        assert judged.reason.startswith(f"the {side} query read no series beside its fallback: its value 0 is the")
        assert [probe["found"] for probe in judged.details["fallback_queries"]] == [found["canary"], found["baseline"]]

    def test_the_no_data_policy_applies(self):
        judged = fallback_kpi("ratio", no_data="fail").judge(
            fallback_measured("ratio", {"canary": False, "baseline": True}, 0.0, 0.025)
        )
        assert judged.outcome is Outcome.FAIL

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(("canary", "verdict"), [(0.0, Outcome.PASS), (0.05, Outcome.FAIL)])
    def test_variants_with_series_are_judged(self, method, canary, verdict):
        found = {"canary": True, "baseline": True}
        judged = fallback_kpi(method, max_absolute_change=0.001).judge(fallback_measured(method, found, canary, 0.025))
        assert judged.outcome is verdict


class TestFallbackProbe:
    """The probe asks for the series read beside the fallback where the query reads them (and over the range)."""

    def test_a_ratio_reads_each_selector_over_its_range(self):
        kpi = fallback_kpi("ratio")
        rendered = kpi._canary["query"].render({"canary_hash": "c1", "lookback": "10m"})
        assert kpi._fallback_probe(rendered) == (
            0.0,
            'group(last_over_time(errors{h="c1"}[300s]) or last_over_time(requests{h="c1"}[300s]))',
        )

    def test_a_range_shorter_than_the_look_back_is_read_as_written(self):
        # A series silent for its minute reads as nothing to rate(x[1m]): older samples are no measurement of it.
        kpi = fallback_kpi("ratio")
        rendered = kpi._canary["query"].render({"canary_hash": "c1", "lookback": "10m"}).replace("[5m]", "[1m]")
        assert kpi._fallback_probe(rendered) == (
            0.0,
            'group(last_over_time(errors{h="c1"}[60s]) or last_over_time(requests{h="c1"}[60s]))',
        )

    def test_a_range_query_is_probed_at_each_step_as_it_reads(self):
        # Sent over the range: each step asks for what the query reads at that step, not over the whole lookback.
        kpi = fallback_kpi("mann_whitney")
        rendered = kpi._canary["query"].render({"canary_hash": "c1", "lookback": "30m"})
        probe = kpi._fallback_probe(rendered)
        assert probe is not None and 'last_over_time(errors{h="c1"}[300s])' in probe[1]

    def test_a_query_without_a_whole_fallback_has_none(self):
        kpi = fallback_kpi("ratio")
        assert (
            kpi._fallback_probe('(sum(rate(errors{h="c1"}[5m])) or vector(0)) / sum(rate(requests{h="c1"}[5m]))')
            is None
        )

    def test_the_probe_is_listed_with_the_queries(self):
        roles = [role for role, _ in fallback_kpi("ratio").promql({"canary_hash": "c1", "stable_hash": "s1"})]
        assert "the probe for the series the canary query reads beside its fallback" in roles


class TestFallbackProbes:
    """Each variant's fallback probe is sent at the evaluation time, or over mann_whitney's range, and kept with its
    constant, whether it found a series and, over a range, the steps it found one at."""

    class Source:
        """Finds a series for the probe "probe-c" only: at 100 and 160 over a range."""

        def __init__(self) -> None:
            self.sent: list[tuple[str, str]] = []

        async def query(self, promql: str, at: datetime, timeout_s: float) -> QueryResult:
            self.sent.append(("instant", promql))
            return QueryResult(promql, "vector", [Series({}, [(1.0, 1.0)])] if promql == "probe-c" else [])

        async def query_range(
            self, promql: str, start: datetime, end: datetime, step_s: float, timeout_s: float
        ) -> QueryResult:
            self.sent.append(("range", promql))
            found = [Series({}, [(100.0, 1.0), (160.0, 1.0)])] if promql == "probe-c" else []
            return QueryResult(promql, "matrix", found)

    @staticmethod
    def probe(over: tuple[datetime, datetime, float] | None) -> tuple[dict[str, Fallback], list[tuple[str, str]]]:
        async def run() -> tuple[dict[str, Fallback], list[tuple[str, str]]]:
            at = datetime(2026, 1, 1, tzinfo=UTC)
            ctx = EvalContext({}, at, asyncio.get_running_loop().time() + 30, {})
            source = TestFallbackProbes.Source()
            probes = {"canary": (0.0, "probe-c"), "baseline": (1.0, "probe-b")}
            found = await _fallbacks(ctx, source, probes, over)  # type: ignore[arg-type]
            return found, sorted(source.sent)

        return asyncio.run(run())

    def test_at_the_evaluation_time(self):
        assert self.probe(None) == (
            {"canary": Fallback(0.0, "probe-c", True), "baseline": Fallback(1.0, "probe-b", False)},
            [("instant", "probe-b"), ("instant", "probe-c")],
        )

    def test_over_the_range(self):
        over = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 30, tzinfo=UTC), 60.0)
        assert self.probe(over) == (
            {
                "canary": Fallback(0.0, "probe-c", True, frozenset({100.0, 160.0})),
                "baseline": Fallback(1.0, "probe-b", False, frozenset()),
            },
            [("range", "probe-b"), ("range", "probe-c")],
        )


class TestMissingReason:
    """Metrics without series are named once each with the variants selecting them; a presence answer that may be
    partial is said once, at the end."""

    MISSING = [
        ("canary", MetricSelector(("a_total",), 'a_total{h="c1"}'), ""),
        ("baseline", MetricSelector(("a_total",), 'a_total{h="s1"}'), ""),
        ("canary", MetricSelector(("b_total",), "b_total"), ""),
    ]

    def test_missing(self):
        never = "has no series at all in source 'default' (misspelled, or never exported or scraped)"
        assert _missing_reason(self.MISSING, "default") == (
            f'metric a_total {never}; canary, baseline select it: a_total{{h="c1"}}; '
            f"metric b_total {never}; canary selects it: b_total"
        )

    def test_where_the_query_reads_it(self):
        # A baseline a day back reads a name none of whose series is there (new since), as the reason says.
        missing = [("baseline", MetricSelector(("a_total",), 'a_total{h="s1"}'), "[300s] offset 86400s")]
        assert _missing_reason(missing, "default") == (
            "metric a_total has no series in source 'default' where the query reads it ([300s] offset 86400s); "
            'baseline selects it: a_total{h="s1"}'
        )

    def test_in_a_partial_answer(self):
        assert _missing_reason(self.MISSING, "default", ["store x did not answer"]) == (
            "metric a_total: no series found in source 'default'; canary, baseline select it: a_total{h=\"c1\"}; "
            "metric b_total: no series found in source 'default'; canary selects it: b_total, in a presence answer "
            "that may be partial (store x did not answer): a store that did not answer may hold them, so a misspelled "
            "metric name cannot be told, and no value read without them is evidence"
        )


ERROR_RATIO = TestMannWhitneyErrorRatio.RATIO
REQUESTS = TestMannWhitneyErrorRatio.EVENTS


def counted_check(
    counted: tuple[bool, bool], direction: str = "lower_is_better", query: str = ERROR_RATIO, **overrides: Any
) -> KpiCompareCheck:
    """A mann_whitney check of `query` (an error ratio unless said), with an events query on the variants `counted`
    (canary, baseline)."""
    variants = {}
    for side, hash_, events in (("canary", "canary_hash", counted[0]), ("baseline", "stable_hash", counted[1])):
        queries = {"query": query, **({"events": REQUESTS} if events else {})}
        variants[side] = {role: text.replace("canary_hash", hash_) for role, text in queries.items()}
    kpi = load(check(method="mann_whitney", direction=direction, **variants, **overrides)).checks["kpi"]
    assert isinstance(kpi, KpiCompareCheck)
    return kpi


def counted_measured(
    samples: tuple[Sequence[float], Sequence[float]], events: tuple[float | None, float | None]
) -> Measured:
    """What a counted_check measured: the `samples` and the `events` of the variants that count them (not None)."""
    counts = dict(zip(("canary", "baseline"), events, strict=True))
    queries = {side: {"query": "q", **({"events": "e"} if n is not None else {})} for side, n in counts.items()}
    values = {(side, "events"): n for side, n in counts.items() if n is not None}
    return Measured(queries, values, {"canary": samples[0], "baseline": samples[1]})


def judge_counted(
    samples: tuple[Sequence[float], Sequence[float]],
    events: tuple[float | None, float | None] | None,
    direction: str = "lower_is_better",
    query: str = ERROR_RATIO,
    **overrides: Any,
) -> Verdict:
    """The verdict of a counted_check on `samples`, with `events` counted on the variants given a number (None: on
    neither)."""
    events = events or (None, None)
    kpi = counted_check((events[0] is not None, events[1] is not None), direction, query, **overrides)
    return kpi.judge(counted_measured(samples, events))


# A canary erring at one step in 10 (5% then) against a baseline always at 0.1%: mostly below it, so the ranks pass it,
# where over 10000 events each it counts 57 errors to the baseline's 10.
RARE_BURSTS = ([0.05 if i % 10 == 0 else 0.0 for i in range(61)], [0.001] * 61)
# The other way: a canary steady at 0.5% against a baseline erring at one step in 10, above it at most steps.
STEADY = ([0.005] * 61, RARE_BURSTS[0])
# A canary erring at one step in 20 (5%) against a baseline steady near 0.33%: below it at most steps, the ranks pass.
QUIET_CANARY = ([0.05 if i % 20 == 0 else 0.0 for i in range(61)], [0.003 + 0.0001 * (i % 7) for i in range(61)])

# A canary steady at 0.2% against a baseline at 0 but at one step in 10 (5%): above it at most steps, so the ranks have
# it worse, where over 100000 events each it errs a third as often (0.002 against 0.0057); and the same as success
# ratios.
CONTRADICTED = ([0.002] * 61, RARE_BURSTS[0])
SUCCESS_CONTRADICTED = tuple([1 - x for x in side] for side in CONTRADICTED)
# By direction: the query (an error ratio better lower, a success ratio better higher), and its tolerance (of a success
# ratio near 1: 0.1% of it).
QUERY_OF = {"lower_is_better": ERROR_RATIO, "higher_is_better": ERROR_RATIO.replace('code=~"5.."', 'code!~"5.."')}
TOLERANCE_OF: dict[str, dict[str, Any]] = {"lower_is_better": {}, "higher_is_better": {"max_relative_change": 0.001}}


class TestPooledCounts:
    """A mann_whitney error ratio with events on both variants is judged by its pooled counts too: their fail stands,
    the ranks' fail not when they find the canary significantly better, and beyond 2x the traffic either way the ranks
    alone neither fail nor pass."""

    def test_a_fail_of_the_counts_stands_over_a_pass_of_the_ranks(self):
        assert judge_counted(RARE_BURSTS, None).outcome is Outcome.PASS
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith(
            "the pooled counts find an increase beyond the tolerance: pooled counts canary 0.0057377 of 10000 events "
            "vs baseline 0.001 of 10000 (+0.0047377, +474%, 95% CI [0.00318795, 0.0064806], p="
        ), judged.reason
        assert "; by the ranks: canary shifted -0.001, -100% from baseline median 0.001" in judged.reason
        counted = judged.details["count_test"]
        assert counted["applied"] is True and counted["ranks_judge"] is True and counted["traffic_ratio"] == 1.0
        assert counted["p_value"] < 1e-8
        assert (judged.value, judged.threshold) == pytest.approx((counted["estimate"], 0.0001))
        rule = (
            "the pooled counts (each variant's mean sample times its events) fail it when the increase is significant "
            "(p < 0.05) and larger than the tolerance 0.0001 (10% of the baseline), and a pass needs their interval to "
            "rule out an increase beyond the tolerance too, and a fail of the ranks stands only when they do not find "
            "the canary significantly better"
        )
        assert judged.reason.endswith(f"; {rule}")
        assert judged.details["decision_rule"].endswith(f"; {rule}")

    def test_a_fail_of_both_is_said_by_the_ranks(self):
        # 1% against 0.1% at every step: the ranks fail it, and the counts agree, said after them.
        judged = judge_counted(([0.01] * 61, [0.001] * 61), (10000.0, 10000.0))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("canary shifted +0.009, +900% from baseline median 0.001"), judged.reason
        assert judged.reason.endswith(
            "fail it when the increase is significant (p < 0.05) and larger than the "
            "tolerance 0.0001 (10% of the baseline), and a pass needs their interval to rule out an increase beyond "
            "the tolerance too, and a fail of the ranks stands only when they do not find the canary significantly "
            "better"
        )
        assert judged.value == pytest.approx(0.009)

    def test_a_fail_of_the_counts_needs_a_harm_beyond_the_tolerance(self):
        # The same counts, significant, but within an absolute tolerance of 0.007, their interval too: the ranks' pass
        # stands.
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), max_absolute_change=0.007)
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.details["count_test"]["tolerance"] == 0.007

    def test_a_success_ratio_dropping_fails_by_its_counts(self):
        # 1 less each sample, better higher: the canary's success ratio is 0.9943 against 0.999, a drop beyond 0.1%.
        query = ERROR_RATIO.replace('code=~"5.."', 'code!~"5.."')
        samples = tuple([1 - x for x in side] for side in RARE_BURSTS)
        judged = judge_counted(samples, (10000.0, 10000.0), "higher_is_better", query, max_relative_change=0.001)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("the pooled counts find a drop beyond the tolerance: pooled counts canary ")

    @pytest.mark.parametrize("direction", ["lower_is_better", "either"])
    def test_a_fail_of_the_ranks_at_10x_the_canary_s_traffic_needs_the_counts(self, direction):
        assert judge_counted(STEADY, None, direction).outcome is Outcome.FAIL
        judged = judge_counted(STEADY, (18000.0, 1800.0), direction)
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "the baseline has 0.1x the canary's events, beyond 2x either way, where the per-step ratios' ranks compare "
            "the traffic more than the ratios, and the pooled counts find no significant harm: pooled counts canary "
            "0.005 of 18000 events vs baseline 0.0057377 of 1800 (-0.000737705, -12.9%, 95% CI [-0.00552254, "
            "0.00209116], p=0.77"
        ), judged.reason
        assert "; by the ranks: canary shifted +0.005 from baseline median 0" in judged.reason
        assert judged.details["count_test"]["ranks_judge"] is False
        assert judged.details["decision_rule"].endswith(
            ", and a pass needs their interval to rule out "
            f"{'an increase' if direction == 'lower_is_better' else 'a change'} beyond the tolerance too, and a fail "
            "of the ranks stands only when they do not find the canary significantly better; at a traffic ratio "
            "beyond 2x either way only they fail it"
        )

    def test_a_fail_of_the_ranks_at_10x_the_canary_s_traffic_stands_with_the_counts(self):
        judged = judge_counted(([0.01] * 61, [0.001] * 61), (10000.0, 1000.0))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("canary shifted +0.009, +900% from baseline median 0.001"), judged.reason
        assert judged.details["count_test"]["ranks_judge"] is False

    def test_a_fail_of_the_ranks_within_2x_the_traffic_stands_without_the_counts(self):
        # At equal traffic the ranks are calibrated: their fail stands where the counts find no significant harm.
        judged = judge_counted(STEADY, (18000.0, 18000.0))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("canary shifted +0.005 from baseline median 0"), judged.reason
        assert judged.details["count_test"]["p_value"] > 0.05

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better"])
    def test_a_fail_of_the_ranks_the_counts_contradict_is_inconclusive(self, direction):
        # Before: a fail within 2x the traffic, where the counts over 100000 events each find the canary erring a third
        # as often (p=1e-42): the two tests disagree on which variant is worse.
        samples = CONTRADICTED if direction == "lower_is_better" else SUCCESS_CONTRADICTED
        judged = judge_counted(samples, (100000.0, 100000.0), direction, QUERY_OF[direction], **TOLERANCE_OF[direction])
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            f"the ranks find {'an increase' if direction == 'lower_is_better' else 'a drop'} beyond the tolerance, "
            "but the pooled counts find the canary significantly better: pooled counts canary "
        ), judged.reason
        assert judged.details["count_test"]["canary_better"] is True

    def test_a_pass_of_the_ranks_at_a_tenth_of_the_baseline_s_traffic_needs_the_counts_interval(self):
        assert judge_counted(QUIET_CANARY, None).outcome is Outcome.PASS
        judged = judge_counted(QUIET_CANARY, (180.0, 1800.0))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "the baseline has 10x the canary's events, beyond 2x either way, where the per-step ratios' ranks compare "
            "the traffic more than the ratios, and the pooled counts' interval allows an increase of 0.0237007: "
            "pooled counts canary 0.00327869 of 180 events vs baseline 0.0032918 of 1800"
        ), judged.reason
        assert judged.details["count_test"]["harm_bound"] == pytest.approx(0.0237007, abs=1e-7)

    def test_a_pass_of_the_ranks_with_the_counts_interval_within_the_tolerance_stands_at_any_traffic(self):
        judged = judge_counted(QUIET_CANARY, (180000.0, 1800000.0), max_absolute_change=0.003)
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.details["count_test"]["ranks_judge"] is False
        assert judged.details["count_test"]["harm_bound"] <= 0.003

    def test_a_pass_of_the_ranks_needs_the_counts_interval_within_the_tolerance_itself(self):
        # The interval's bad end 0.000549 lies within twice the tolerance 0.000329, not within it: no pass.
        judged = judge_counted(QUIET_CANARY, (50000.0, 500000.0))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        counted = judged.details["count_test"]
        assert counted["tolerance"] < counted["harm_bound"] <= 2 * counted["tolerance"]
        assert "the pooled counts' interval allows an increase of 0.000549327: " in judged.reason

    @pytest.mark.parametrize(
        ("events", "outcome"),
        [
            ((900.0, 1800.0), Outcome.FAIL),
            ((899.0, 1800.0), Outcome.INCONCLUSIVE),
            ((3600.0, 1800.0), Outcome.FAIL),
            ((3601.0, 1800.0), Outcome.INCONCLUSIVE),
        ],
        ids=["half", "below-half", "twice", "above-twice"],
    )
    def test_the_ranks_fail_within_2x_the_traffic_either_way(self, events, outcome):
        judged = judge_counted(STEADY, events)
        assert judged.outcome is outcome, judged.reason
        assert judged.details["count_test"]["ranks_judge"] is (outcome is Outcome.FAIL)

    def test_a_pass_of_the_ranks_at_equal_traffic_needs_the_counts_interval_too(self):
        # 180 events each cannot rule out an increase beyond 0.000329: the ranks' pass (the canary at 0 at most steps)
        # is no evidence of it.
        judged = judge_counted(QUIET_CANARY, (180.0, 180.0))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "the pooled counts' interval allows an increase of 0.0238101, beyond the tolerance: "
        ), judged.reason
        assert ", beyond the tolerance: pooled counts canary 0.00327869 of 180 events vs baseline" in judged.reason
        assert judged.details["count_test"]["ranks_judge"] is True

    @pytest.mark.parametrize(
        "events", [None, (1000.0, None), (None, 1000.0)], ids=["neither", "canary-only", "baseline-only"]
    )
    def test_without_events_on_both_the_verdict_says_the_traffic_is_unmeasured(self, events):
        judged = judge_counted(RARE_BURSTS, events)
        why = (
            "traffic unmeasured: without an events query on both variants the per-step ratios are compared by rank "
            "alone, and a variant with less traffic sits at 0 more often for its traffic, not its quality"
        )
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.reason.endswith(f" ({why})"), judged.reason
        assert judged.details["count_test"] == {"applied": False, "why": why}

    def test_the_inverse_of_an_error_ratio_is_not_said_to_sit_at_0(self):
        # Before: "(traffic unmeasured: ... sits at 0 more often ...)": the requests per error sit at no 0.
        query = (
            'sum(rate(requests_total{h="{{ canary_hash }}"}[5m])) / sum(rate(errors_total{h="{{ canary_hash }}"}[5m]))'
        )
        judged = judge_counted(([20.0 + i % 3 for i in range(61)], [20.0] * 61), None, query=query)
        assert "count_test" not in judged.details, judged.details
        assert "traffic unmeasured" not in judged.reason

    @pytest.mark.parametrize("scale", [100, 30, -1], ids=["percent", "above-1", "negative"])
    def test_a_sample_outside_0_to_1_gets_no_pooled_counts(self, scale):
        # A percentage (x 100), or a ratio below 0, is no ratio of the events: no counts, said so.
        samples = tuple([scale * x for x in side] for side in RARE_BURSTS)
        judged = judge_counted(samples, (10000.0, 10000.0))
        why = "no pooled counts: a sample outside 0 to 1 is no ratio of the events counted"
        assert judged.reason.endswith(f" ({why})")
        assert judged.details["count_test"] == {"applied": False, "why": why}

    @pytest.mark.parametrize(
        ("query", "function", "kept"),
        [
            (f"max_over_time(({ERROR_RATIO})[5m:1m])", "max_over_time", "highest"),
            ('max_over_time(job:errors:ratio1m{h="{{ canary_hash }}"}[5m])', "max_over_time", "highest"),
            ('min_over_time(job:errors:ratio1m{h="{{ canary_hash }}"}[5m])', "min_over_time", "lowest"),
        ],
        ids=["max-subquery", "max-recorded", "min-recorded"],
    )
    def test_a_window_s_extreme_gets_no_pooled_counts(self, query, function, kept):
        # Each 5-minute step's worst minute: the canary errs at 1% every minute, the baseline at 0.5% bunched into one
        # minute in 50 (at 25%), so 1 step in 10 reads 25% and the rest 0. The ranks fail the canary, rightly (1%
        # against 0.5%); the mean of the steps' worst minutes (0.029 for the baseline) is no rate of its events. Before:
        # the pooled counts found the canary significantly better (0.01 of 100000 events vs 0.0287): inconclusive.
        samples = ([0.01] * 61, [0.25 if i % 10 == 0 else 0.0 for i in range(61)])
        assert judge_counted(samples, (100000.0, 100000.0)).outcome is Outcome.INCONCLUSIVE
        judged = judge_counted(samples, (100000.0, 100000.0), query=query)
        why = (
            f"no pooled counts: {function}() keeps a window's {kept} ratio, and the mean of those times the events "
            "counts no events"
        )
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.endswith(f" ({why})"), judged.reason
        assert judged.details["count_test"] == {"applied": False, "why": why}

    def test_a_quantile_over_time_gets_no_pooled_counts(self):
        # A window's 90th percentile of the ratios, as its extreme, counts no events, and the verdict says so.
        query = 'quantile_over_time(0.9, job:errors:ratio1m{h="{{ canary_hash }}"}[5m])'
        samples = ([0.01] * 61, [0.25 if i % 10 == 0 else 0.0 for i in range(61)])
        judged = judge_counted(samples, (100000.0, 100000.0), query=query)
        why = (
            "no pooled counts: quantile_over_time() keeps a quantile of a window's ratios, and the mean of those "
            "times the events counts no events"
        )
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["count_test"] == {"applied": False, "why": why}

    def test_a_traffic_ratio_beyond_the_float_range_is_null(self):
        # 1e10 events over 1e-300 is inf, which JSON cannot carry; the counts still judge (unequal, beyond 2x).
        judged = judge_counted(QUIET_CANARY, (1e-300, 1e10))
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["count_test"]["traffic_ratio"] is None
        assert judged.details["count_test"]["ranks_judge"] is False
        json.dumps(judged.details, allow_nan=False)

    def test_an_error_ratio_picking_its_failures_by_a_param_is_judged_by_its_counts(self):
        # Before: the count test was gated on the template, whose `code=~"{{ failing }}"` picks no outcome it can read,
        # so the ranks alone passed a canary erring 5.7 times as often as the baseline over as many events.
        query = ERROR_RATIO.replace('code=~"5.."', 'code=~"{{ failing }}"')
        failing = {"type": "enum", "values": ["5..", "5..|429"], "required": True}
        kpi = counted_check((True, True), query=query, params={**PARAMS, "failing": failing})
        rendered = query.replace("{{ failing }}", "5..")
        queries = {
            side: {"query": rendered.replace("{{ canary_hash }}", hash_), "events": "e"}
            for side, hash_ in (("canary", "c0ffee1"), ("baseline", "stable1"))
        }
        values = {("canary", "events"): 10000.0, ("baseline", "events"): 10000.0}
        judged = kpi.judge(Measured(queries, values, dict(zip(("canary", "baseline"), RARE_BURSTS, strict=True))))
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("the pooled counts find an increase beyond the tolerance"), judged.reason

    def test_a_success_ratio_over_both_outcomes_is_judged_the_way_its_direction_says(self):
        # ok / (ok + errors) reads as failures to the count test's gate (its denominator names errors): the gate only
        # decides that the counts judge, the direction written decides which way is harm (a drop here).
        ok = 'sum(rate(ok_total{h="{{ canary_hash }}"}[5m]))'
        query = f'{ok} / ({ok} + sum(rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m])))'
        samples = tuple([1 - x for x in side] for side in RARE_BURSTS)
        judged = judge_counted(samples, (10000.0, 10000.0), "higher_is_better", query, max_relative_change=0.001)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("the pooled counts find a drop beyond the tolerance: pooled counts canary ")
        rose = judge_counted(samples[::-1], (10000.0, 10000.0), "higher_is_better", query, max_relative_change=0.001)
        assert rose.outcome is Outcome.PASS, rose.reason

    def test_a_kpi_that_is_no_outcome_ratio_has_no_count_test(self):
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=CANARY)
        assert judged.outcome is Outcome.PASS, judged.reason
        assert "count_test" not in judged.details

    @pytest.mark.parametrize(
        "query",
        [
            'avg(job:errors:ratio5m{h="{{ canary_hash }}"})',
            '1 - sum(rate(http_request_duration_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m])) '
            '/ sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["recorded", "slow-share"],
    )
    def test_a_recorded_ratio_or_a_latency_sli_is_judged_by_its_counts(self, query):
        # Before: judged by the ranks alone, with no note: a pass of the canary at 0 at most steps over 180 events.
        judged = judge_counted(QUIET_CANARY, (180.0, 180.0), query=query)
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("the pooled counts' interval allows an increase of 0.0238101, beyond the ")
        unmeasured = judge_counted(QUIET_CANARY, None, query=query)
        assert unmeasured.reason.endswith(
            "a variant with less traffic sits at 0 more often for its traffic, not its quality)"
        ), unmeasured.reason

    def test_a_band_of_latency_buckets_is_judged_by_its_counts(self):
        # The share of requests between 0.3 s and 0.5 s says no outcome (no direction warning), but is a share of the
        # events all the same: the counts judge it.
        band = f"({BUCKET.replace('0.3', '0.5')} - {BUCKET}) / {COUNT}"
        judged = judge_counted(QUIET_CANARY, (180.0, 180.0), query=band)
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("the pooled counts' interval allows an increase of 0.0238101, beyond the ")

    def test_a_band_of_latency_buckets_without_events_sits_at_0(self):
        # A band's share with little traffic is 0 (no request in it), as an error ratio's is, not 1.
        band = f"({BUCKET.replace('0.3', '0.5')} - {BUCKET}) / {COUNT}"
        judged = judge_counted(QUIET_CANARY, None, query=band)
        assert judged.reason.endswith(
            "a variant with less traffic sits at 0 more often for its traffic, not its quality)"
        )

    @pytest.mark.parametrize(
        "query",
        [
            'avg(slo:current_burn_rate:ratio{h="{{ canary_hash }}"})',
            'avg(slo:period_error_budget_remaining:ratio{h="{{ canary_hash }}"})',
        ],
        ids=["burn-rate", "budget"],
    )
    def test_a_recorded_burn_rate_or_budget_draws_no_direction_note(self, query):
        # Not a share of events that may be either outcome: a burn rate and a budget say which way is better themselves.
        judged = judge_counted(RARE_BURSTS, None, "lower_is_better", query)
        assert "names no outcome" not in judged.reason
        assert "count_test" not in judged.details

    @pytest.mark.parametrize(
        ("direction", "better"),
        [
            ("lower_is_better", "lower is taken as better"),
            ("higher_is_better", "higher is taken as better"),
            ("either", "a change either way is taken as worse"),
        ],
    )
    @pytest.mark.parametrize("events", [None, (10000.0, 10000.0)], ids=["no-events", "events"])
    def test_a_recorded_ratio_naming_no_outcome_says_its_direction_is_assumed(self, direction, better, events):
        # Before: judged by the ranks alone with no word of it: whether job:slo_sli:ratio5m is an error or a success
        # ratio (or no share of events at all) its name does not say, so only the direction written says which way is
        # better, and no pooled counts can be taken.
        query = 'avg(job:slo_sli:ratio5m{h="{{ canary_hash }}"})'
        judged = judge_counted(RARE_BURSTS, events, direction, query)
        why = (
            f"job:slo_sli:ratio5m, a recorded ratio, names no outcome (no failure or success word): {better} by "
            f"direction {direction} alone, and its per-step values are compared by rank alone, without pooled counts"
        )
        assert judged.reason.endswith(f" ({why})"), judged.reason
        assert judged.details["count_test"] == {"applied": False, "why": why}
        assert judged.outcome is judge_counted(RARE_BURSTS, events, direction, CANARY).outcome

    def test_a_latency_sli_s_slow_canary_fails_by_its_counts(self):
        # Before: a pass. The share of requests within 0.3 s, better higher: the canary is at 1 (no slow request) at 3
        # steps in 4 and 0.95 at the fourth, the baseline at 0.9975 throughout; over 18000 requests each the canary
        # had 5 times the baseline's slow requests.
        samples = tuple([1 - x for x in side] for side in SLOW_BURSTS)
        judged = judge_counted(samples, (18000.0, 18000.0), "higher_is_better", LATENCY_SLI, **ABSOLUTE)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith(
            "the pooled counts find a drop beyond the tolerance: pooled counts canary "
            "0.986885 of 18000 events vs baseline 0.9975 of 18000"
        ), judged.reason
        unmeasured = judge_counted(samples, None, "higher_is_better", LATENCY_SLI, **ABSOLUTE)
        assert unmeasured.outcome is Outcome.PASS
        assert unmeasured.reason.endswith(
            "a variant with less traffic sits at 1 more often for its traffic, not its quality)"
        ), unmeasured.reason


LATENCY_SLI = (
    'sum(rate(http_request_duration_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m])) '
    '/ sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))'
)
# An absolute tolerance alone, 0.1 percentage points.
ABSOLUTE = {"max_relative_change": None, "max_absolute_change": 0.001}
# A canary erring (or slow) at one step in 4 (5% then) against a baseline always at 0.25%: below it at most steps, so
# the ranks have it better, where its mean, 0.0131, is 5 times the baseline's.
SLOW_BURSTS = ([0.05 if i % 4 == 0 else 0.0 for i in range(61)], [0.0025] * 61)


REQUESTS_RATE = 'sum(rate(requests_total{h="{{ canary_hash }}"}[5m]))'
ERRORS_RATE = 'sum(rate(errors_total{h="{{ canary_hash }}"}[5m]))'
OK_RATE = 'sum(rate(ok_total{h="{{ canary_hash }}"}[5m]))'


class TestRatiosTheCountsDoNotRead:
    """A query naming an outcome whose samples are no share of the events at each step (a filter, a rounding, a
    distance, the traffic per failure wrapped) gets no pooled counts and no step-by-step warning of an error ratio,
    and says its direction is the one written; one whose samples are such a share gets them."""

    def warned(self, query: str, counted: tuple[str, ...] = (), **overrides: Any) -> list[str]:
        variants = TestMannWhitneyErrorRatio().variants(query, counted)
        definition = check(method="mann_whitney", **variants, max_absolute_change=0.001, **overrides)
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings]

    @pytest.mark.parametrize(
        "query",
        [
            f"({REQUESTS_RATE} / {ERRORS_RATE}) > 0",
            f"topk(1, {REQUESTS_RATE} / {ERRORS_RATE})",
            f"ceil({REQUESTS_RATE} / {ERRORS_RATE})",
        ],
        ids=["filtered", "topk", "ceil"],
    )
    def test_the_traffic_per_failure_wrapped_is_no_error_ratio(self, query):
        # Before: "canary.query is an error ratio ... at 0 more often" at load and "(traffic unmeasured: ... sits at 0
        # more often ...)" in the verdict: the requests per error are above 1, better higher.
        assert not [w for w in self.warned(query) if "step by step" in w]
        judged = judge_counted(([40.0 + i % 3 for i in range(61)], [40.0] * 61), None, "higher_is_better", query)
        why = (
            "canary.query names an outcome (errors_total) but is not read as its share of the events (a ratio read "
            "through sums, scaling and the functions that keep its values): higher is taken as better by direction "
            "higher_is_better alone, and its per-step values are compared by rank alone, without pooled counts"
        )
        assert judged.reason.endswith(f" ({why})"), judged.reason
        assert judged.details["count_test"] == {"applied": False, "why": why}

    @pytest.mark.parametrize(
        ("query", "named"),
        [
            (f"ceil({ERROR_RATIO})", 'code=~"5.."'),
            (f"abs({ERROR_RATIO} - 0.5)", 'code=~"5.."'),
            ('abs(job:errors:ratio5m{h="{{ canary_hash }}"} - 0.5)', "job:errors:ratio5m"),
            (f"{ERRORS_RATE} / {REQUESTS_RATE} > bool 0.01", "errors_total"),
        ],
        ids=["ceil", "distance", "recorded-distance", "indicator"],
    )
    def test_a_figure_other_than_the_ratio_gets_no_pooled_counts(self, query, named):
        # The canary's figure is above the baseline's at one step in 10, at 0.1 more (a step with any error, a
        # distance from 0.5 less a tenth): the ranks pass it. Before: the pooled counts read its mean, 0.0098 more,
        # as 98 errors in 10000 events and failed it.
        samples = ([0.1 if i % 10 == 0 else 0.0 for i in range(61)], [0.0] * 60 + [0.1])
        before = judge_counted(samples, (10000.0, 10000.0))
        assert before.outcome is Outcome.FAIL, before.reason
        judged = judge_counted(samples, (10000.0, 10000.0), query=query)
        assert judged.details["count_test"]["applied"] is False
        assert judged.details["count_test"]["why"].startswith(f"canary.query names an outcome ({named}) but is not")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("tied samples: the interval rules out an increase"), judged.reason
        assert not [w for w in self.warned(query) if "step by step" in w]

    @pytest.mark.parametrize("mode", ["gate", "ab"])
    def test_the_ranks_pass_of_a_figure_not_counted_within_0_to_1_is_held(self, mode):
        # A ratio times a mask, 0 at two steps in three: the ranks pass a canary erring at one step in 10 (5%) against
        # a baseline steady at 0.1%, 57 errors in 10000 events to 10. Before this reading refused it the counts
        # failed it; the ranks alone, with events on both, would pass it.
        query = f"{ERROR_RATIO} * (time() % 90 < bool 30)"
        assert judge_counted(RARE_BURSTS, None, query=query, mode=mode).outcome is Outcome.PASS
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=query, mode=mode)
        passed = "canary win" if mode == "ab" else "pass"
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            f"no pooled counts confirm the ranks' {passed} of samples within 0 to 1 with events on both variants, as "
            'every error (or success) ratio\'s pass needs: canary.query names an outcome (code=~"5..") but is not read'
        ), judged.reason
        assert judged.details["count_test"]["applied"] is False
        if mode == "ab":
            assert judged.details["winner"] is None
        # Outside 0 to 1 (a percentage) no counts were ever taken: the ranks' pass stands, with the note.
        outside = tuple([30 * x for x in side] for side in RARE_BURSTS)
        assert judge_counted(outside, (10000.0, 10000.0), query=query).outcome is Outcome.PASS

    @pytest.mark.parametrize("precision", ["0.1", "0.001"])
    def test_a_rounded_ratio_gets_no_pooled_counts(self, precision):
        # A canary erring at 6% at one step in 10 (0.6%) against a baseline steadily at 4.9%, both rounded to 0.1:
        # the canary reads 0.1 at those steps, the baseline 0 at all but one. Before: the pooled counts found the
        # canary erring at 0.0098 against 0.0016 and failed the canary erring 8 times less. Any precision is a
        # rounding: the reading takes no counts of one.
        query = f"round({ERROR_RATIO}, {precision})"
        samples = ([0.1 if i % 10 == 0 else 0.0 for i in range(61)], [0.0] * 60 + [0.1])
        judged = judge_counted(samples, (10000.0, 10000.0), query=query)
        why = (
            "no pooled counts: round() keeps the ratio rounded to a multiple of its second argument (1 without one), "
            "and the mean of those times the events counts no events"
        )
        assert judged.details["count_test"] == {"applied": False, "why": why}
        assert judged.outcome is not Outcome.FAIL, judged.reason
        assert judged.reason.endswith(f" ({why})"), judged.reason

    def test_a_rounded_ratio_is_read_for_its_direction(self):
        query = f"round({ERROR_RATIO}, 0.1)"
        assert [w[:30] for w in self.warned(query, direction="higher_is_better") if "direction" in w] == [
            "canary.query is an error ratio"
        ]
        assert [w for w in self.warned(query) if "step by step" in w] == [
            "canary.query is an error ratio, which method mann_whitney compares step by step, not request by "
            "request: a variant with less traffic is at 0 more often and noisier, so with unequal traffic it fails "
            "a canary erring as rarely as the baseline, or passes one erring more often; without an events query on "
            "both variants the verdict cannot tell a baseline at 0 for its little traffic from one at 0 for its "
            "quality. Use method proportion (success and total as increase(...[{{ lookback }}])), or compare the "
            "ratio itself with events on both variants (the pooled counts then judge it at any weights): round() "
            "keeps the ratio rounded to a multiple of its second argument (1 without one), of which no counts are "
            "taken, with events or without"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'quantile_over_time(0.9, job:errors:ratio5m{h="{{ canary_hash }}"}[10m])',
            f"quantile_over_time(0.9, ({ERROR_RATIO})[10m:1m])",
        ],
        ids=["recorded", "subquery"],
    )
    def test_a_quantile_over_time_of_an_error_ratio_draws_the_step_by_step_warning(self, query):
        # Before: none, where the ratio itself draws it: the quantile of a window's ratios is at 0 as often.
        assert [w for w in self.warned(query) if "step by step" in w] == [
            "canary.query is an error ratio, which method mann_whitney compares step by step, not request by "
            "request: a variant with less traffic is at 0 more often and noisier, so with unequal traffic it fails "
            "a canary erring as rarely as the baseline, or passes one erring more often; without an events query on "
            "both variants the verdict cannot tell a baseline at 0 for its little traffic from one at 0 for its "
            "quality. Use method proportion (success and total as increase(...[{{ lookback }}])), or compare the "
            "ratio itself with events on both variants (the pooled counts then judge it at any weights): "
            "quantile_over_time() keeps a quantile of a window's ratios, of which no counts are taken, with events "
            "or without"
        ]
        judged = judge_counted(RARE_BURSTS, None, query=query)
        assert "traffic unmeasured" in judged.details["count_test"]["why"]

    @pytest.mark.parametrize(
        "query",
        [
            f"max_over_time(({ERROR_RATIO})[5m:1m])",
            'min_over_time(job:errors:ratio1m{h="{{ canary_hash }}"}[5m])',
            f"round({ERROR_RATIO}, 0.1)",
        ],
        ids=["max", "min", "round"],
    )
    def test_events_per_second_of_a_ratio_not_counted_are_not_said_to_be_counted(self, query):
        # Before: "canary.events is per second ..., and method mann_whitney's pooled counts read it as the lookback's
        # events", where no counts are taken of it: only the traffic ratio (per second as well) and min_canary_events
        # read them.
        per_second = {"events": REQUESTS_RATE}
        variants = TestMannWhitneyErrorRatio().variants(query, ("canary", "baseline"))
        for side in ("canary", "baseline"):
            variants[side] |= {
                k: v.replace("canary", "stable") if side == "baseline" else v for k, v in per_second.items()
            }
        warned = [
            w.partition(": check 'kpi': ")[2]
            for minimum in (0, 100)
            for w in load(
                check(method="mann_whitney", **variants, max_absolute_change=0.001, min_canary_events=minimum)
            ).warnings
            if ".events " in w
        ]
        assert warned == [
            "canary.events is per second (rate() or irate()), and min_canary_events 100 is a count of the lookback's "
            "events: it is compared with the events of one second, which holds a canary with enough traffic without "
            "a verdict; write increase(...[{{ lookback }}])"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'histogram_fraction(0.1, 0.3, sum by (le) (rate(x_seconds_bucket{h="{{ canary_hash }}"}[5m])))',
            '(sum(rate(x_seconds_bucket{le="0.3",h="{{ canary_hash }}"}[5m])) '
            '- sum(rate(x_seconds_bucket{le="0.1",h="{{ canary_hash }}"}[5m]))) '
            '/ sum(rate(x_seconds_count{h="{{ canary_hash }}"}[5m]))',
        ],
        ids=["histogram-fraction", "buckets"],
    )
    def test_a_band_of_a_histogram_is_judged_by_its_counts_either_way(self, query):
        # Before: the buckets' band was, histogram_fraction()'s the ranks alone passed (57 in the band of 10000
        # against 10).
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=query)
        assert judged.details["count_test"]["applied"] is True
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("the pooled counts find an increase beyond the tolerance"), judged.reason

    def test_an_error_rate_per_second_draws_no_note(self):
        # No share of anything: judged by the ranks as any rate is.
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=ERRORS_RATE)
        assert "count_test" not in judged.details

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERROR_RATIO} or on() vector(0)",
            f"({ERROR_RATIO.partition(' / ')[0]} and on() (vector(time() % 90) < 30) or on() vector(0)) / "
            f"{ERROR_RATIO.partition(' / ')[2]}",
            f"{ERROR_RATIO.partition(' / ')[0]} / ({ERROR_RATIO.partition(' / ')[2]} > 0)",
            f"{ERROR_RATIO.partition(' / ')[0]} / ignoring(code) {ERROR_RATIO.partition(' / ')[2]}",
            f"scalar({ERROR_RATIO})",
        ],
        ids=["fallback", "masked-numerator", "traffic-filtered", "ignoring", "scalar"],
    )
    def test_the_common_shapes_of_an_error_ratio_are_counted(self, query):
        # Flagger's, Argo Rollouts' and Kayenta's error ratios, with the fallbacks, masks and guards users add: each
        # step's samples are the share of its events, so the counts fail the canary erring 5.7 times as often.
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=query)
        assert judged.details["count_test"]["applied"] is True, judged.details["count_test"]
        assert judged.outcome is Outcome.FAIL, judged.reason

    @pytest.mark.parametrize("query", [f"{ERROR_RATIO} > 0", f"({ERROR_RATIO}) > 0", f"{ERROR_RATIO} != 0"])
    def test_a_ratio_filtered_by_a_comparison_gets_no_pooled_counts(self, query):
        # PromQL compares after it divides: `errors / total > 0` keeps each variant's steps with errors alone. A canary
        # steady at 1% against a baseline at 2% at one step in 3 (0.67%), filtered: the baseline's 21 steps at 2%.
        # The counts of those (2% of its events) found the canary erring 50% more than the baseline significantly
        # better and passed it; the same as the ranks' pass, held.
        filtered = ([0.01] * 61, [0.02] * 21)
        judged = judge_counted(filtered, (100000.0, 100000.0), query=query)
        assert judged.details["count_test"]["applied"] is False
        assert judged.details["count_test"]["why"].startswith('canary.query names an outcome (code=~"5..") but is not')
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert not [w for w in self.warned(query) if "step by step" in w]

    @pytest.mark.parametrize(
        "query",
        [
            f"({ERRORS_RATE} > 0) / {REQUESTS_RATE}",
            f'sum(rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]) > 0) / {REQUESTS_RATE}',
            f'sum by (pod) (rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]) != 0) / {REQUESTS_RATE}',
            f"max_over_time(({ERRORS_RATE} > 0)[5m:1m]) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() ({ERRORS_RATE} > 0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} unless on() ({ERRORS_RATE} == 0)",
            f"{ERRORS_RATE} / ({REQUESTS_RATE} and on() ({ERRORS_RATE} > 0))",
            f"(({ERRORS_RATE} > 0) * 60) / ({REQUESTS_RATE} * 60)",
            f"({ERRORS_RATE} > 0.5 or on() vector(0)) / {REQUESTS_RATE}",
            f"(({ERRORS_RATE} > 0.5) or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} and on() ({ERRORS_RATE} >= 0.5) or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} unless on() ({ERRORS_RATE} < 0.5) or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() ({ERRORS_RATE} > 0.5) or on() vector(0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} unless on() ({ERRORS_RATE} < 0.5) or on() vector(0)",
            f"clamp_min({ERRORS_RATE}, 1) / {REQUESTS_RATE}",
            f'sum(clamp_min(rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]), 0.1)) / {REQUESTS_RATE}',
            f"clamp_max({ERRORS_RATE}, 1) / {REQUESTS_RATE}",
            f"clamp({ERRORS_RATE}, 0.1, 1) / {REQUESTS_RATE}",
            f"ceil({ERRORS_RATE}) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} + 1) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} or on() vector(1)) / {REQUESTS_RATE}",
            f"clamp_min({ERRORS_RATE} / {REQUESTS_RATE}, 0.01)",
            f"clamp_max({ERRORS_RATE} / {REQUESTS_RATE}, 0.01)",
            f"clamp({ERRORS_RATE} / {REQUESTS_RATE}, 0, 0.5)",
        ],
        ids=[
            "numerator",
            "within-sum",
            "within-sum-by",
            "within-subquery",
            "and-errors",
            "unless-no-errors",
            "denominator-and-errors",
            "scaled-numerator",
            "threshold-or-0",
            "threshold-bracketed-or-0",
            "numerator-and-threshold-or-0",
            "numerator-unless-threshold-or-0",
            "and-threshold-or-0",
            "unless-threshold-or-0",
            "clamp-min",
            "clamp-min-within-sum",
            "clamp-max",
            "clamp",
            "ceil",
            "plus-one",
            "or-1",
            "ratio-clamp-min",
            "ratio-clamp-max",
            "ratio-clamp",
        ],
    )
    def test_a_ratio_kept_at_its_steps_with_errors_gets_no_pooled_counts(self, query):
        # A filter of the failures, in the numerator or on the ratio, drops the steps without errors as `> 0` on the
        # ratio does: the counts of the baseline's steps at 2% (of 61 at 0.67%) found the canary at 1% significantly
        # better and passed it.
        filtered = ([0.01] * 61, [0.02] * 21)
        judged = judge_counted(filtered, (100000.0, 100000.0), query=query)
        assert judged.details["count_test"]["applied"] is False
        assert judged.details["count_test"]["why"].startswith("canary.query names an outcome (errors_total) but is not")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert not [w for w in self.warned(query) if "step by step" in w]

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERRORS_RATE} / ({REQUESTS_RATE} > 0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} unless on() ({REQUESTS_RATE} < 1)",
            f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() ({REQUESTS_RATE} > 0)",
            f"({ERRORS_RATE} > 0 or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} and on() (vector(time() % 90) < 30) or on() vector(0)) / {REQUESTS_RATE}",
            f"{ERRORS_RATE} / (({OK_RATE} + {ERRORS_RATE}) > 0)",
            f"(0 < {ERRORS_RATE} or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} != 0 or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} and on() ({ERRORS_RATE} > 0) or on() vector(0)) / {REQUESTS_RATE}",
            f"clamp_min({ERRORS_RATE}, 0) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} * 60) / ({REQUESTS_RATE} * 60)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} and on() (hour() > 8)",
            f"clamp_max({ERRORS_RATE} / {REQUESTS_RATE}, 1)",
            f"clamp({ERRORS_RATE} / {REQUESTS_RATE}, 0, 1)",
        ],
        ids=[
            "traffic",
            "unless-traffic",
            "and-traffic",
            "numerator-or-0",
            "masked-or-0",
            "outcomes-traffic",
            "zero-below-or-0",
            "not-zero-or-0",
            "numerator-and-errors-or-0",
            "clamp-min-0",
            "scaled-numerator",
            "time-mask",
            "ratio-clamp-max-1",
            "ratio-clamp-0-1",
        ],
    )
    def test_a_ratio_kept_by_its_traffic_or_filled_is_counted(self, query):
        # Its steps are not chosen by their errors (or the fallback fills those dropped): the counts judge it, and
        # fail the canary at 1% against the baseline at 0.67% the ranks passed (2% at a third of its steps).
        samples = ([0.01] * 61, [0.02 if i % 3 == 0 else 0.0 for i in range(61)])
        judged = judge_counted(samples, (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"]["applied"] is True, judged.details
        assert judged.outcome is Outcome.FAIL, judged.reason

    @pytest.mark.parametrize(
        "query",
        [
            f"round({ERROR_RATIO}, 0.001)",
            f"max_over_time(({ERROR_RATIO})[5m:1m])",
            f"quantile_over_time(0.5, ({ERROR_RATIO})[5m:1m])",
        ],
        ids=["round", "max", "quantile"],
    )
    def test_the_ranks_pass_of_a_ratio_not_counted_within_0_to_1_is_held(self, query):
        # A canary erring at 2.5% at one step in 3 against a baseline without errors: the ranks' ties at 0 pass it
        # within the absolute tolerance 0.001, and no counts are taken of its samples to fail it.
        samples = ([0.025 if i % 3 == 0 else 0.0 for i in range(61)], [0.0] * 61)
        judged = judge_counted(samples, (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "no pooled counts confirm the ranks' pass of samples within 0 to 1 with events on both variants"
        ), judged.reason
        assert judged.details["count_test"]["why"].startswith("no pooled counts: "), judged.details
        # Without events on both the traffic is unmeasured, said, and the ranks' pass stands as before.
        assert judge_counted(samples, None, query=query, **ABSOLUTE).outcome is Outcome.PASS

    @pytest.mark.parametrize(
        "query",
        [
            f"round({ERROR_RATIO}, 0.001)",
            f"max_over_time(({ERROR_RATIO})[5m:1m])",
            f"quantile_over_time(0.5, ({ERROR_RATIO})[5m:1m])",
        ],
        ids=["round", "max", "quantile"],
    )
    def test_the_ranks_canary_win_of_a_ratio_not_counted_within_0_to_1_is_held(self, query):
        # A canary erring at one step in 10 (5%) against a baseline steady at 0.1%: the ranks name it the winner (at 0
        # at most steps), where it errs 5 times as often; no counts are taken of its samples to deny the win.
        unmeasured = judge_counted(RARE_BURSTS, None, query=query, mode="ab")
        assert unmeasured.outcome is Outcome.PASS, unmeasured.reason
        assert unmeasured.details["winner"] == "canary"
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=query, mode="ab")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "no pooled counts confirm the ranks' canary win of samples within 0 to 1 with events on both variants"
        ), judged.reason
        assert judged.details["winner"] is None
        assert judged.details["count_test"]["why"].startswith("no pooled counts: "), judged.details


TIMEOUTS_RATE = 'sum(rate(timeouts_total{h="{{ canary_hash }}"}[5m]))'


class TestCountsReadExactlyOrNotAtAll:
    """A numerator or a traffic bent by a filter, a power, a modulo or a clamp reads a canary failing more as one
    failing less, so it gets no pooled counts; a filter whose dropped steps are exactly what a fallback fills, a mask
    by the ratio's own counts and a top-1 of one series keep each step's share and are counted."""

    @pytest.mark.parametrize(
        ("query", "samples"),
        [
            # A canary failing 0.4 of 10 requests/s (4%) against a baseline failing none: the filter keeps the steps at
            # 0 alone (`== 0`, `<= 0`), or none (`< 0`), and the fallback fills the rest with 0: both read 0.
            (f"({ERRORS_RATE} == 0 or on() vector(0)) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            (f"({ERRORS_RATE} < 0 or on() vector(0)) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            (f"({ERRORS_RATE} <= 0 or on() vector(0)) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            (f"(0 > {ERRORS_RATE} or on() vector(0)) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            (f"({ERRORS_RATE} != 0.4 or on() vector(0)) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            # Failing 0.15 of 10 requests/s (1.5%, three times the tolerance): squared, 0.0225/s, read as 0.225%.
            (f"{ERRORS_RATE} ^ 2 / {REQUESTS_RATE}", ([0.00225] * 61, [0.0] * 61)),
            (
                f'sum(rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]) ^ 2) / {REQUESTS_RATE}',
                ([0.00225] * 61, [0.0] * 61),
            ),
            # Failing 2.02 of 101 requests/s (2%): modulo 2, 0.02/s, read as 0.02%.
            (f"{ERRORS_RATE} % 2 / {REQUESTS_RATE}", ([0.0002] * 61, [0.0] * 61)),
            (f"({ERRORS_RATE} % 2) / {REQUESTS_RATE}", ([0.0002] * 61, [0.0] * 61)),
            (f"({ERRORS_RATE} / {REQUESTS_RATE}) % 0.01", ([0.0] * 61, [0.0] * 61)),
            # Its errors above 0, else its timeouts above 0.5/s: the steps its timeouts stay below that read 0 (or
            # none), whatever its errors.
            (f"({ERRORS_RATE} > 0 or {TIMEOUTS_RATE} > 0.5) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            (
                f"({ERRORS_RATE} > 0 or {TIMEOUTS_RATE} > 0.5 or on() vector(0)) / {REQUESTS_RATE}",
                ([0.0] * 61, [0.0] * 61),
            ),
            (f"({ERRORS_RATE} > 0.5 or {TIMEOUTS_RATE} > 0.5) / {REQUESTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            # A canary failing 4% of 0.05 requests/s against a baseline failing none: its traffic clamped to 1/s
            # reads it at 0.2%, within the tolerance.
            (f"{ERRORS_RATE} / clamp_min({REQUESTS_RATE}, 1)", ([0.002] * 61, [0.0] * 61)),
            (f"{ERRORS_RATE} / clamp({REQUESTS_RATE}, 1, 1e9)", ([0.002] * 61, [0.0] * 61)),
            (f"{ERRORS_RATE} / ({REQUESTS_RATE} + 1)", ([0.0019] * 61, [0.0] * 61)),
            # The ratio filled with 0 where a filter drops it: a filter dropping its steps at 0 drops its steps
            # without traffic too (0/0, NaN), which then read 0, a share of no events (a canary whose workers hung
            # reads as one without errors).
            (f"{ERRORS_RATE} / {REQUESTS_RATE} > 0 or on() vector(0)", ([0.0] * 61, [0.0] * 61)),
            (f"{ERRORS_RATE} / {REQUESTS_RATE} >= 0 or on() vector(0)", ([0.0] * 61, [0.0] * 61)),
            (
                f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() ({ERRORS_RATE} > 0) or on() vector(0)",
                ([0.0] * 61, [0.0] * 61),
            ),
            (
                f"({ERRORS_RATE} / {REQUESTS_RATE}) unless on() ({ERRORS_RATE} == 0) or on() vector(0)",
                ([0.0] * 61, [0.0] * 61),
            ),
            # Kept where another outcome's series has a sample: one created at its first timeout keeps the steps since.
            (f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() {TIMEOUTS_RATE}", ([0.0] * 61, [0.0] * 61)),
            # Kept where its own errors have a sample beside their fallback: the steps before its first error, read 0
            # by the fallback, are dropped.
            (f"({ERRORS_RATE} or on() vector(0)) / {REQUESTS_RATE} and on() {ERRORS_RATE}", ([0.0] * 61, [0.0] * 61)),
            # The worst of several pods' ratios is no share of the variant's events.
            (
                'topk(1, sum by (pod) (rate(errors_total{h="{{ canary_hash }}"}[5m])) / sum by (pod) '
                '(rate(requests_total{h="{{ canary_hash }}"}[5m])))',
                ([0.0] * 61, [0.0] * 61),
            ),
        ],
        ids=[
            "equal-0-filled",
            "below-0-filled",
            "at-most-0-filled",
            "0-above-filled",
            "not-a-rate-filled",
            "squared",
            "squared-within-sum",
            "modulo",
            "modulo-bracketed",
            "ratio-modulo",
            "threshold-in-the-fallback",
            "threshold-in-the-fallback-filled",
            "thresholds-both",
            "traffic-clamp-min",
            "traffic-clamp",
            "traffic-plus-1",
            "ratio-above-0-filled",
            "ratio-at-least-0-filled",
            "and-errors-or-0",
            "unless-no-errors-or-0",
            "and-other-failures",
            "fallback-and-its-errors",
            "topk-of-pods",
        ],
    )
    def test_a_bent_count_gets_no_pooled_counts_and_does_not_pass(self, query, samples):
        # Before: counted, both variants' samples read alike (or the canary's within the tolerance), and passed.
        judged = judge_counted(
            samples, (100000.0, 100000.0), query=query, max_relative_change=None, max_absolute_change=0.005
        )
        assert judged.details["count_test"]["applied"] is False, judged.details["count_test"]
        assert "but is not read as its share of the events" in judged.details["count_test"]["why"]
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith("no pooled counts confirm the ranks' pass of samples within 0 to 1"), (
            judged.reason
        )

    @pytest.mark.parametrize(
        "query",
        [
            f"({ERRORS_RATE} >= 0 or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} > -1 or on() vector(0)) / {REQUESTS_RATE}",
            f"(0 <= {ERRORS_RATE} or on() vector(0)) / {REQUESTS_RATE}",
            f"({ERRORS_RATE} != -1 or on() vector(0)) / {REQUESTS_RATE}",
            f"{ERRORS_RATE} / {REQUESTS_RATE} and on() {ERRORS_RATE}",
            f'({ERRORS_RATE} / {REQUESTS_RATE}) and on() (rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]) * 0)',
            f"topk(1, {ERRORS_RATE} / {REQUESTS_RATE})",
            f"bottomk(1, ({ERRORS_RATE} / {REQUESTS_RATE}))",
            f"{ERRORS_RATE} / clamp_min({REQUESTS_RATE}, 0)",
        ],
        ids=[
            "at-least-0-filled",
            "above-minus-1-filled",
            "0-at-most-filled",
            "not-minus-1-filled",
            "and-its-errors",
            "and-its-errors-times-0",
            "topk-of-one",
            "bottomk-of-one",
            "traffic-clamp-min-0",
        ],
    )
    def test_an_exact_count_is_counted(self, query):
        # Each step keeps its share of the events. Before (but `>= 0`, `0 <=` and the clamp at 0): no counts, so the
        # ranks' pass of two variants without errors over 100000 events each was held inconclusive.
        judged = judge_counted(([0.0] * 61, [0.0] * 61), (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"]["applied"] is True, judged.details
        assert judged.outcome is Outcome.PASS, judged.reason
        # And the counts fail the canary at 1% against the baseline at 0.67% (2% at a third of its steps).
        samples = ([0.01] * 61, [0.02 if i % 3 == 0 else 0.0 for i in range(61)])
        assert judge_counted(samples, (100000.0, 100000.0), query=query, **ABSOLUTE).outcome is Outcome.FAIL


PODS_RATIO = (
    'sum by (pod) (rate(errors_total{h="{{ canary_hash }}"}[5m])) / sum by (pod) '
    '(rate(requests_total{h="{{ canary_hash }}"}[5m]))'
)


class TestCountsOfAScaledOrSelectedRatio:
    """A ratio scaled by a number, moved by one, or the highest (lowest) of several series' ratios is no share of the
    events at each step: the mean of its samples times the events counts other events, so it gets no pooled counts."""

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERRORS_RATE} / {REQUESTS_RATE} * 100",
            f"100 * {ERRORS_RATE} / {REQUESTS_RATE}",
            f"({ERRORS_RATE} / {REQUESTS_RATE}) * 100",
            f"{ERRORS_RATE} * 2 / {REQUESTS_RATE}",
            f"({ERRORS_RATE} * 60) / {REQUESTS_RATE}",
            f'sum(rate(errors_total{{h="{{{{ canary_hash }}}}"}}[5m]) * 100) / {REQUESTS_RATE}',
            f"avg({ERRORS_RATE} / {REQUESTS_RATE} * 100)",
        ],
        ids=[
            "times-100",
            "100-times",
            "bracketed-times-100",
            "numerator-times-2",
            "numerator-bracketed",
            "in-sum",
            "in-avg",
        ],
    )
    def test_a_scaled_ratio_is_not_counted_at_its_scale(self, query):
        # A canary failing 0.9% against a baseline failing 0.1% of 2000 events each, in percent: 0.9 against 0.1,
        # within 1 (percentage point). Before: counted as 90% against 10% of 2000 (1800 errors against 200), an interval
        # within 1 that passed it; its 18 errors against 2 allow 1.32 points.
        samples = ([0.9] * 61, [0.1] * 61)
        judged = judge_counted(samples, (2000.0, 2000.0), query=query, max_relative_change=None, max_absolute_change=1)
        assert judged.details["count_test"]["applied"] is False, judged.details["count_test"]
        assert judged.details["count_test"]["why"].startswith("no pooled counts: the ratio is scaled by "), (
            judged.details
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        # The same canary as written without the scale, in fractions: its counts do not pass it.
        plain = judge_counted(
            ([0.009] * 61, [0.001] * 61), (2000.0, 2000.0), max_relative_change=None, max_absolute_change=0.01
        )
        assert plain.outcome is Outcome.INCONCLUSIVE, plain.reason

    def test_a_ratio_divided_by_a_number_is_not_counted(self):
        judged = judge_counted(
            ([0.0] * 61, [0.0] * 61), (100000.0, 100000.0), query=f"{ERRORS_RATE} / {REQUESTS_RATE} / 100", **ABSOLUTE
        )
        assert judged.details["count_test"]["why"] == (
            "no pooled counts: the ratio is scaled by 0.01, so each step's share of the events counts as 0.01x of "
            "them, and the mean of those times the events counts no events"
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason

    def test_a_ratio_moved_by_a_number_is_not_counted(self):
        judged = judge_counted(
            ([0.05] * 61, [0.05] * 61),
            (100000.0, 100000.0),
            query=f"{ERRORS_RATE} / {REQUESTS_RATE} + 0.05",
            **ABSOLUTE,
        )
        assert judged.details["count_test"]["why"].startswith("no pooled counts: the ratio is moved by a number")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason

    @pytest.mark.parametrize(
        ("query", "kept"),
        [
            (f"max({PODS_RATIO})", "max() of several series' ratios keeps the highest"),
            (f"min({PODS_RATIO})", "min() of several series' ratios keeps the lowest"),
            (f"max(({PODS_RATIO}))", "max() of several series' ratios keeps the highest"),
            (
                'max(rate(errors_total{h="{{ canary_hash }}"}[5m]) / rate(requests_total{h="{{ canary_hash }}"}[5m]))',
                "max() of several series' ratios keeps the highest",
            ),
            (f"topk(1, max({PODS_RATIO}))", "max() of several series' ratios keeps the highest"),
        ],
        ids=["max-of-pods", "min-of-pods", "max-bracketed", "max-of-series", "topk-of-max"],
    )
    def test_the_extreme_of_several_ratios_is_not_counted(self, query, kept):
        # The worst pod's ratio times all the variant's events: before, a canary whose busy pod failed 4% read as its
        # quiet pod at 0 (min), or a baseline as its worst pod (max), counted.
        judged = judge_counted(([0.0] * 61, [0.0] * 61), (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"]["why"] == (
            f"no pooled counts: {kept}, and the mean of those times the events counts no events"
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason

    @pytest.mark.parametrize(
        "query",
        [
            f"({ERRORS_RATE} * 60) / ({REQUESTS_RATE} * 60)",
            f"{ERRORS_RATE} * 60 / ({REQUESTS_RATE} * 60)",
            f"1 - (1 - {ERRORS_RATE} / {REQUESTS_RATE})",
            f"max({ERRORS_RATE} / {REQUESTS_RATE})",
            f"max(sum({ERRORS_RATE}) / sum({REQUESTS_RATE}))",
            f"{ERRORS_RATE} / {REQUESTS_RATE} * 1",
        ],
        ids=[
            "both-per-minute",
            "both-per-minute-unbracketed",
            "1-less-1-less",
            "max-of-one",
            "max-of-sums",
            "times-1",
        ],
    )
    def test_a_ratio_at_its_own_scale_is_counted(self, query):
        judged = judge_counted(([0.0] * 61, [0.0] * 61), (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"]["applied"] is True, judged.details
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_a_scaled_ratio_with_events_on_both_is_warned_it_cannot_pass(self):
        variants = TestMannWhitneyErrorRatio().variants(
            f"{ERRORS_RATE} / {REQUESTS_RATE} * 100", ("canary", "baseline")
        )
        definition = check(method="mann_whitney", **variants, max_absolute_change=0.1, max_relative_change=None)
        warned = [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings]
        assert (
            "canary.query gets no pooled counts: the ratio is scaled by 100, so each step's share of the events counts "
            "as 100x of them: with events on both variants the ranks' pass of its samples (within 0 to 1) is "
            "inconclusive, since no pooled counts confirm it, so this check cannot pass; compare the ratio itself "
            "(sum(rate(errors[...])) / sum(rate(total[...]))) to have it judged by its pooled counts"
        ) in warned, warned


class TestFilledRatioWithoutEvents:
    """Without events on both variants, the ranks' pass of a ratio filtered and filled with a constant (`errors / total
    > 0 or on() vector(0)`) is inconclusive: a step without traffic (0/0) is dropped by the filter and read as the
    constant, so a canary whose workers hung reads as one without errors."""

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERRORS_RATE} / {REQUESTS_RATE} > 0 or on() vector(0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} != 0 or on() vector(0)",
            f"({ERRORS_RATE} / {REQUESTS_RATE}) and on() ({ERRORS_RATE} > 0) or on() vector(0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE} unless on() ({ERRORS_RATE} == 0) or on() vector(0)",
            f"{ERRORS_RATE} / ({REQUESTS_RATE} > 0) or on() vector(0)",
            f"({ERRORS_RATE} / {REQUESTS_RATE} > 0 or on() vector(0))",
        ],
        ids=["above-0", "not-0", "and-errors", "unless-no-errors", "traffic-filtered", "bracketed"],
    )
    def test_its_pass_without_events_is_inconclusive(self, query):
        # Before: a pass (a hung canary, 0 at every step, against a baseline without errors, by the ranks alone).
        judged = judge_counted(([0.0] * 61, [0.0] * 61), None, query=query, **ABSOLUTE)
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.reason.startswith(
            "canary.query filters the ratio (a comparison, of it, of its traffic or in a mask) and "
        ), judged.reason
        assert judged.details["count_test"]["applied"] is False

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERRORS_RATE} / {REQUESTS_RATE} or on() vector(0)",
            f"({ERRORS_RATE} > 0 or on() vector(0)) / {REQUESTS_RATE}",
            f"{ERRORS_RATE} / {REQUESTS_RATE} < bool 0.01 or on() vector(0)",
            f"{ERRORS_RATE} / {REQUESTS_RATE}",
        ],
        ids=["unfiltered", "numerator-filled", "bool", "plain"],
    )
    def test_an_unfiltered_or_numerator_filled_ratio_still_passes_without_events(self, query):
        # 0/0 stays NaN there (no value: no data), so the ranks' pass stands, with its note.
        judged = judge_counted(([0.0] * 61, [0.0] * 61), None, query=query, **ABSOLUTE)
        assert judged.outcome is Outcome.PASS, judged.reason


RENDERED_REQUESTS = REQUESTS_RATE.replace("{{ canary_hash }}", "x")


class TestCountsOfAveragedOrSummedRatios:
    """An average or a sum of several series' ratios is no share of the events (a busy failing pod is diluted by quiet
    healthy ones; ratios added are no ratio), so it gets no pooled counts; of one series or a recorded ratio, it
    does."""

    @pytest.mark.parametrize(
        ("query", "read"),
        [
            (
                f"avg({PODS_RATIO})",
                "avg() of several series' ratios weighs a quiet series' ratio as much as a busy one's",
            ),
            (
                'sum(rate(errors_total{h="{{ canary_hash }}"}[5m]) / rate(requests_total{h="{{ canary_hash }}"}[5m]))',
                "sum() of several series' ratios adds them up, no ratio of their events",
            ),
            (
                f"avg by (pod) ({PODS_RATIO})",
                "avg() of several series' ratios weighs a quiet series' ratio as much as a busy one's",
            ),
        ],
        ids=["avg-of-pods", "sum-of-series", "avg-by-pod"],
    )
    def test_an_average_or_a_sum_of_several_ratios_is_not_counted(self, query, read):
        # Pod A: 1000 requests at 10% errors, pod B: 10 at 0: their ratios average 5%, counted as 50 errors of 1010
        # where 100 failed; against a baseline at 6% of 1010 the counts and the ranks passed it.
        judged = judge_counted(([0.05] * 61, [0.06] * 61), (1010.0, 1010.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"] == {
            "applied": False,
            "why": f"no pooled counts: {read}, and the mean of those times the events counts no events",
        }
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason

    @pytest.mark.parametrize(
        "query",
        [
            f"avg({ERRORS_RATE} / {REQUESTS_RATE})",
            f"sum({ERRORS_RATE} / {REQUESTS_RATE})",
            'avg(job:errors:ratio5m{h="{{ canary_hash }}"})',
            'sum(job:errors:ratio5m{h="{{ canary_hash }}"})',
        ],
        ids=["avg-of-one", "sum-of-one", "avg-of-recorded", "sum-of-recorded"],
    )
    def test_an_average_or_a_sum_of_one_ratio_is_counted(self, query):
        judged = judge_counted(([0.0] * 61, [0.0] * 61), (100000.0, 100000.0), query=query, **ABSOLUTE)
        assert judged.details["count_test"]["applied"] is True, judged.details
        assert judged.outcome is Outcome.PASS, judged.reason

    def test_an_average_of_pods_ratios_with_events_on_both_is_warned_it_cannot_pass(self):
        variants = TestMannWhitneyErrorRatio().variants(f"avg({PODS_RATIO})", ("canary", "baseline"))
        definition = check(method="mann_whitney", **variants, max_absolute_change=0.1, max_relative_change=None)
        warned = [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings]
        assert any(
            w.startswith(
                "canary.query gets no pooled counts: avg() of several series' ratios weighs a quiet series' ratio as "
                "much as a busy one's: with events on both variants the ranks' pass of its samples (within 0 to 1) is "
                "inconclusive"
            )
            for w in warned
        ), warned


class TestTrafficClampedWarning:
    """A ratio KPI dividing by its traffic clamped from below at a number above 0 draws a load warning: a quiet
    variant's ratio reads lower than it is, whatever the method."""

    def warned(self, query: str, method: str) -> list[str]:
        variants = TestMannWhitneyErrorRatio().variants(query, ())
        definition = check(method=method, **variants, max_absolute_change=0.005, max_relative_change=None)
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "clamped from below" in w]

    @pytest.mark.parametrize("method", ["ratio", "mann_whitney"])
    @pytest.mark.parametrize(
        ("query", "bound"),
        [
            (f"{ERRORS_RATE} / clamp_min({REQUESTS_RATE}, 1)", "1"),
            (f"{ERRORS_RATE} / on() (clamp({REQUESTS_RATE}, 0.5, 1e9))", "0.5"),
        ],
        ids=["clamp-min", "clamp"],
    )
    def test_a_clamped_traffic_is_warned(self, query, bound, method):
        # Before: no warning, and a canary failing 4% of 0.05 requests a second read 0.2%, passing against a baseline
        # without errors within 0.005 (by the ratio method's point values, or the ranks without events on both).
        assert self.warned(query, method) == [
            f"canary.query divides by a value clamped from below at {bound}: where the traffic it clamps is below "
            f"{bound}, the bound divides instead and the ratio reads lower than it is (a canary failing 4% of "
            f"{float(bound) / 20:g} reads 0.2%), so a quiet canary passes as one without errors, and a quiet baseline "
            f"fails a canary like it; divide by the traffic filtered instead, ({RENDERED_REQUESTS} > 0), which leaves "
            "the steps without traffic out"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            f"{ERRORS_RATE} / clamp_min({REQUESTS_RATE}, 0)",
            f"{ERRORS_RATE} / ({REQUESTS_RATE} > 0)",
            f"clamp_min({ERRORS_RATE}, 1) / {REQUESTS_RATE}",
            f"clamp_min({ERRORS_RATE} / {REQUESTS_RATE}, 0.01)",
        ],
        ids=["clamp-at-0", "filtered", "numerator", "ratio"],
    )
    def test_no_clamp_of_the_divisor_above_0_is_not_warned(self, query):
        assert self.warned(query, "ratio") == []


class TestPooledCountsAB:
    """In mode ab a mann_whitney error ratio with events on both variants is judged by its pooled counts too: their
    baseline win stands, the canary wins only when they name it too, the baseline's win by the ranks not when they find
    the canary significantly better, and beyond 2x the traffic either way the baseline wins only when they name it."""

    def test_a_canary_erring_5x_as_often_wins_by_the_ranks_alone(self):
        # What the counts are for: the canary's ties at 0 rank it below the baseline.
        judged = judge_counted(SLOW_BURSTS, None, mode="ab")
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.details["winner"] == "canary"
        assert judged.reason.endswith(
            " (traffic unmeasured: without an events query on both variants the per-step ratios are compared by rank "
            "alone, and a variant with less traffic sits at 0 more often for its traffic, not its quality)"
        )
        assert judged.details["count_test"]["applied"] is False

    def test_a_baseline_win_of_the_counts_stands_over_a_canary_win_of_the_ranks(self):
        # Before: "canary wins" over 18000 events each, the canary erring 5 times as often.
        judged = judge_counted(SLOW_BURSTS, (18000.0, 18000.0), mode="ab")
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["winner"] == "baseline"
        assert judged.details["count_test"]["winner"] == "baseline"
        assert judged.reason.startswith(
            "baseline wins by the pooled counts: pooled counts canary 0.0131148 of 18000 events vs baseline 0.0025 of "
            "18000 (+0.0106148, +425%, 95% CI [0.0088404, 0.0124929], p="
        ), judged.reason
        assert "; by the ranks: canary wins: canary shifted -0.0025, -100% from baseline median 0.0025" in judged.reason
        rule = (
            "the pooled counts (each variant's mean sample times its events) name a winner when the difference is "
            "significant (p < 0.05) and larger than the tolerance 0.00025 (10% of the baseline); their baseline win "
            "stands, and the canary wins only when they name it too, and the baseline only when they do not find the "
            "canary significantly better"
        )
        assert judged.reason.endswith(f"; {rule}")
        assert judged.details["decision_rule"].endswith(f"; {rule}")
        assert (judged.value, judged.threshold) == pytest.approx((0.0106148, 0.00025), rel=1e-5)

    def test_a_canary_win_of_the_ranks_needs_the_counts(self):
        # At a tenth of the baseline's traffic the counts (p=0.13) name no winner: before, "canary wins".
        judged = judge_counted(SLOW_BURSTS, (180.0, 1800.0), mode="ab")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["winner"] is None
        assert judged.reason.startswith(
            "no winner yet: the pooled counts do not find the canary better: pooled counts canary 0.0131148 of 180 "
            "events vs baseline 0.0025 of 1800"
        ), judged.reason
        assert judged.details["count_test"]["ranks_judge"] is False
        assert judged.details["decision_rule"].endswith(
            "; at a traffic ratio beyond 2x either way the baseline wins only when they name it"
        )

    def test_a_canary_win_of_both_stands(self):
        judged = judge_counted(([0.001] * 61, [0.01] * 61), (10000.0, 10000.0), mode="ab")
        assert judged.outcome is Outcome.PASS, judged.reason
        assert judged.reason.startswith("canary wins: canary shifted -0.009, -90% from baseline median 0.01")
        assert judged.details["count_test"]["winner"] == "canary"
        assert judged.value == pytest.approx(-0.009)

    def test_a_canary_win_of_the_counts_alone_is_no_win(self):
        # The counts can stop a win, never make one: the canary's 0.001 lies between the baseline's 0 and 0.01, so the
        # ranks' interval holds 0 where the counts (0.001 against 0.005 over 100000 events each) name the canary.
        baseline = [0.0 if i % 2 else 0.01 for i in range(61)]
        judged = judge_counted(([0.001] * 61, baseline), (100000.0, 100000.0), mode="ab")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["count_test"]["winner"] == "canary"
        assert judged.reason.startswith("no winner yet: canary shifted -0.009, -90% from baseline median 0.01")

    def test_a_baseline_win_of_the_counts_stands_where_the_ranks_name_no_winner(self):
        # The mirror of the counts' canary win alone: the canary's 0 and 0.01 lie either side of the baseline's 0.001,
        # so the ranks name no winner, while the counts (0.005 against 0.001 over 100000 events each) name the baseline.
        canary = [0.0 if i % 2 else 0.01 for i in range(61)]
        judged = judge_counted((canary, [0.001] * 61), (100000.0, 100000.0), mode="ab")
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["winner"] == "baseline"
        assert judged.reason.startswith("baseline wins by the pooled counts: pooled counts canary "), judged.reason
        assert "; by the ranks: no winner yet: " in judged.reason, judged.reason

    def test_a_canary_win_of_the_counts_within_the_tolerance_is_no_win(self):
        # The canary at 0 at most steps (the ranks name it), its mean 0.0095 against the baseline's 0.01: over 10^7
        # events each the counts find it significant, but within the tolerance 0.001.
        canary = [0.0095 * 61 / 4 if i % 20 == 0 else 0.0 for i in range(61)]
        judged = judge_counted((canary, [0.01] * 61), (1e7, 1e7), mode="ab")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["count_test"]["winner"] is None
        assert judged.details["count_test"]["p_value"] < 0.05, judged.details["count_test"]
        assert judged.reason.startswith("no winner yet: the pooled counts do not find the canary better"), judged.reason

    def test_a_baseline_win_of_the_ranks_at_10x_the_canary_s_traffic_needs_the_counts(self):
        # Before: "baseline wins" by the ranks, the baseline at 0 at most steps for its tenth of the traffic.
        judged = judge_counted(STEADY, (18000.0, 1800.0), mode="ab")
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["winner"] is None
        assert judged.reason.startswith(
            "no winner yet: the baseline has 0.1x the canary's events, beyond 2x either way, where the per-step "
            "ratios' ranks compare the traffic more than the ratios, and the pooled counts find no significant "
            "difference: pooled counts canary 0.005 of 18000 events"
        ), judged.reason

    def test_a_baseline_win_of_the_ranks_within_2x_the_traffic_stands(self):
        judged = judge_counted(STEADY, (18000.0, 18000.0), mode="ab")
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.reason.startswith("baseline wins: canary shifted +0.005 from baseline median 0"), judged.reason
        assert judged.details["count_test"]["winner"] is None
        assert judged.value == 0.005

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better"])
    def test_a_baseline_win_of_the_ranks_the_counts_contradict_is_no_win(self, direction):
        # Before: "baseline wins", a fail. The canary at 0.002 at every step, the baseline at 0 but at one step in 10
        # (5%): the ranks have the canary worse at most steps, the counts over 100000 events each have it erring a
        # third as often (p=1e-42). Which test is right depends on how steady the traffic was: no winner yet.
        samples = CONTRADICTED if direction == "lower_is_better" else SUCCESS_CONTRADICTED
        judged = judge_counted(
            samples, (100000.0, 100000.0), direction, QUERY_OF[direction], mode="ab", **TOLERANCE_OF[direction]
        )
        assert judged.outcome is Outcome.INCONCLUSIVE, judged.reason
        assert judged.details["winner"] is None
        assert judged.details["count_test"]["winner"] == "canary"
        assert judged.details["count_test"]["canary_better"] is True
        assert judged.reason.startswith(
            "no winner yet: the ranks name the baseline, but the pooled counts find the canary significantly better: "
            "pooled counts canary "
        ), judged.reason
        assert "; by the ranks: baseline wins: canary shifted " in judged.reason
        assert judged.value == pytest.approx(judged.details["count_test"]["estimate"])

    @pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better"])
    def test_a_canary_win_of_the_ranks_the_counts_contradict_is_the_counts_baseline_win(self, direction):
        # The mirror: the counts' baseline win stands whatever the ranks found (it ships nothing).
        samples = CONTRADICTED[::-1] if direction == "lower_is_better" else SUCCESS_CONTRADICTED[::-1]
        judged = judge_counted(
            samples, (100000.0, 100000.0), direction, QUERY_OF[direction], mode="ab", **TOLERANCE_OF[direction]
        )
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["winner"] == "baseline"
        assert judged.reason.startswith("baseline wins by the pooled counts: "), judged.reason


def outcomes(
    traffic: tuple[float, float], ratios: tuple[float, float], draws: int, seed: int, **overrides: Any
) -> dict[Outcome, int]:
    """How often the mann_whitney error-ratio check with events on both answers each outcome for seeded variants: 1h
    at 1m over rate[6m], `traffic` requests per minute and the true error `ratios` (canary, baseline)."""
    kpi = counted_check((True, True), **overrides)
    rng = random.Random(seed)
    counted = dict.fromkeys(Outcome, 0)
    for _ in range(draws):
        canary, events_c = windowed(rng, traffic[0], ratios[0])
        baseline, events_b = windowed(rng, traffic[1], ratios[1])
        counted[kpi.judge(counted_measured((canary, baseline), (events_c, events_b))).outcome] += 1
    return counted


class TestPooledCountsSeeded:
    """Seeded error ratios at unequal traffic: the ranks' wrong passes and spurious fails are gone, and at equal traffic
    the counts add fails within alpha."""

    def test_a_canary_at_a_tenth_of_the_traffic_erring_5x_as_often_never_passes(self):
        # The ranks alone passed 19.4% of 500 (bench/kpi_traffic.py).
        counted = outcomes((3, 30), (0.01, 0.002), 200, 3039)
        assert counted[Outcome.PASS] == 0
        assert counted[Outcome.FAIL] >= 30

    def test_a_canary_with_10x_the_traffic_at_the_same_ratio_fails_within_alpha(self):
        # The ranks alone failed 16.8% of 500.
        assert outcomes((30, 3), (0.005, 0.005), 200, 3035)[Outcome.FAIL] <= 5

    def test_a_canary_at_equal_low_traffic_erring_twice_as_often_never_passes(self):
        # 3 requests a minute, 1% against 0.5%: the ranks alone passed 17% of 300 (their ties at 0).
        assert outcomes((3, 3), (0.01, 0.005), 200, 4042)[Outcome.PASS] == 0

    @pytest.mark.parametrize("traffic", [(3, 3), (30, 30)])
    def test_at_equal_traffic_the_counts_fail_within_alpha(self, traffic):
        assert outcomes(traffic, (0.005, 0.005), 300, 3030)[Outcome.FAIL] <= 9

    def test_in_mode_ab_a_canary_at_a_thirtieth_of_the_traffic_erring_5x_as_often_never_wins(self):
        # The ranks alone named it the winner 7.8% of 500 (bench/kpi_traffic.py --mode ab).
        counted = outcomes((1, 30), (0.025, 0.005), 200, 3045, mode="ab")
        assert counted[Outcome.PASS] == 0

    def test_in_mode_ab_a_canary_at_a_tenth_of_the_traffic_at_the_same_ratio_wins_within_alpha(self):
        # The ranks alone named it the winner 17.6% of 500.
        assert outcomes((3, 30), (0.005, 0.005), 200, 3037, mode="ab")[Outcome.PASS] <= 5


class TestPooledCountsOfNegatedSuccessNames:
    """An error ratio whose numerator's metric name negates a success word counts failures: judged by the counts."""

    def test_a_not_ok_numerator_is_judged_by_the_pooled_counts(self):
        # The ranks pass a canary erring in bursts; its 57 errors in 10000 events to the baseline's 10 fail it.
        query = (
            'sum(rate(checkout_not_ok_total{h="{{ canary_hash }}"}[5m])) / '
            'sum(rate(checkout_requests_total{h="{{ canary_hash }}"}[5m]))'
        )
        judged = judge_counted(RARE_BURSTS, (10000.0, 10000.0), query=query)
        assert judged.outcome is Outcome.FAIL, judged.reason
        assert judged.details["count_test"]["applied"] is True


class TestBucketsThatAreNoShare:
    """Every bucket but one, or the +Inf bucket, over the count is no share of the events: no pooled counts, nor a
    note of them."""

    @pytest.mark.parametrize("matcher", ['le!="0.3"', 'le="+Inf"'], ids=["every-other", "inf"])
    def test_a_bucket_reading_that_is_no_share_says_nothing_of_its_traffic(self, matcher):
        query = (
            f'sum(rate(http_request_duration_seconds_bucket{{{matcher},h="{{{{ canary_hash }}}}"}}[5m])) / '
            'sum(rate(http_request_duration_seconds_count{h="{{ canary_hash }}"}[5m]))'
        )
        judged = judge_counted(RARE_BURSTS, None, query=query)
        assert "count_test" not in judged.details, judged.details
        assert "traffic unmeasured" not in judged.reason


class TestAPassHeldIsWarnedAtLoad:
    """A mann_whitney query whose ranks' pass is held inconclusive with events on both variants (no pooled counts
    confirm it) is warned at load, so the check that cannot pass is found before a rollout pauses on it."""

    def warned(self, query: str, counted: tuple[str, ...]) -> list[str]:
        variants = TestMannWhitneyErrorRatio().variants(query, counted)
        definition = check(method="mann_whitney", **variants, max_absolute_change=0.001)
        return [w.partition(": check 'kpi': ")[2] for w in load(definition).warnings if "cannot pass" in w]

    @pytest.mark.parametrize(
        ("query", "why"),
        [
            (f"max_over_time(({ERROR_RATIO})[15m:1m])", "gets no pooled counts: max_over_time() keeps"),
            (f"round({ERROR_RATIO}, 0.1)", "gets no pooled counts: round() keeps"),
            (f"ceil({ERROR_RATIO})", 'names an outcome (code=~"5..") but is not read as its share'),
            (f"{ERRORS_RATE} / {REQUESTS_RATE} > 0", "names an outcome (errors_total) but is not read as its share"),
            (f"({ERRORS_RATE} > 0) / {REQUESTS_RATE}", "names an outcome (errors_total) but is not read as its share"),
            (
                f"({ERRORS_RATE} > 0.5 or on() vector(0)) / {REQUESTS_RATE}",
                "names an outcome (errors_total) but is not read as its share",
            ),
            (
                f"clamp_min({ERRORS_RATE}, 1) / {REQUESTS_RATE}",
                "names an outcome (errors_total) but is not read as its share",
            ),
        ],
        ids=["extreme", "rounded", "indicator", "filtered", "numerator-filtered", "threshold-filled", "clamped"],
    )
    def test_a_ratio_whose_pass_is_held_is_warned_with_both_events(self, query, why):
        (warning,) = self.warned(query, ("canary", "baseline"))
        assert warning.startswith(f"canary.query {why}"), warning
        assert "compare the ratio itself" in warning

    @pytest.mark.parametrize("counted", [(), ("canary",)], ids=["none", "canary"])
    def test_without_both_events_nothing_is_held(self, counted):
        assert self.warned(f"max_over_time(({ERROR_RATIO})[15m:1m])", counted) == []

    @pytest.mark.parametrize(
        "query",
        [ERROR_RATIO, 'histogram_fraction(0.1, 0.3, sum by (le) (rate(latency_bucket{h="{{ canary_hash }}"}[5m])))'],
    )
    def test_a_counted_ratio_is_not_warned(self, query):
        assert self.warned(query, ("canary", "baseline")) == []

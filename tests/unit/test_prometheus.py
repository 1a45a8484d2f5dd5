import math
import random
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from analyzer.errors import ArgError, CheckMisconfigured
from analyzer.models import Outcome, Verdict, format_number
from analyzer.sources.prometheus import QueryResult, Series
from checks.prometheus import (
    _MAX_LABEL_CHARS_IN_DETAILS,
    _MAX_LABELS_IN_DETAILS,
    PrometheusCheck,
    _bounded_labels,
    _canary_apart,
    _counted,
    _groups_at_top_level,
    _lost_its_values,
    _named_variants,
    _presence,
    _presence_now,
    _with_presence,
    read_now_over_windows,
    refuse_pinned_in_the_past,
    refuse_reads_of_the_future,
)

BASE = {"name": "c", "query": "vector(1)", "pass_if": "> 0"}


def invalid(**fields):
    with pytest.raises(ValidationError) as caught:
        PrometheusCheck.model_validate({**BASE, **fields})
    return str(caught.value)


class TestDefinition:
    """Contradictory or unjudgeable definitions are rejected when the catalog loads."""

    @pytest.mark.parametrize(
        ("fields", "text"),
        [
            ({"reduce": "max", "each": True}, "either reduce"),
            ({"reduce": "last"}, "reduce: last has no meaning"),
            ({"step": "1m"}, "step only applies to range"),
            ({"over_time": "max"}, "over_time only applies to range"),
            ({"min_samples": 5}, "min_samples only applies"),
            ({"range": "5m", "step": "10m"}, "longer than range"),
            ({"range": "30d", "step": "15s"}, "more than 11000 points"),
            ({"range": "ten minutes"}, "duration"),
            ({"query": "sum by (pod) (x)"}, "set reduce"),
            ({"query": "x{a={{ h }}}", "params": {"h": {"type": "label_value", "required": True}}}, "inside quotes"),
            ({"pass_if": "< 1", "fail_if": "maybe"}, "not a condition"),
            ({"deadline_s": 0}, "greater than 0"),
            ({"no_data": "ignore"}, "no_data"),
            ({"query": ""}, "at least 1 character"),
            ({"range": "5m", "min_samples": 0}, "greater than or equal to 1"),
            ({"range": "11001s", "step": "1s"}, "more than 11000 points"),
        ],
    )
    def test_rejected(self, fields, text):
        assert text in invalid(**fields)

    @pytest.mark.parametrize("fields", [{"range": "5m", "step": "5m"}, {"range": "11000s", "step": "1s"}])
    def test_limits_are_inclusive(self, fields):
        # A step as long as the range is one point; 11,000 points is Prometheus' own limit, not over it.
        assert PrometheusCheck.model_validate({**BASE, **fields}).range == fields["range"]

    def test_definition_round_trips_as_text(self):
        check = PrometheusCheck.model_validate({**BASE, "range": "10m", "over_time": "quantile(0.9)"})
        definition = check.definition()
        assert (definition["pass_if"], definition["over_time"]) == ("> 0", "quantile(0.9)")
        assert PrometheusCheck.model_validate(definition).definition() == definition


RATIO = 'sum(rate(errors{h="{{ h }}"}[5m])) / sum(rate(requests{h="{{ h }}"}[5m]))'
HASH = {"h": {"type": "label_value", "required": True, "example": "c0ffee1"}}


def fallback_warnings(**fields):
    return PrometheusCheck.model_validate({**BASE, "params": HASH, "pass_if": "< 0.01", **fields}).warnings()


class TestConstantFallback:
    """A query whose whole answer falls back to a constant that passes (`ratio or vector(0)`) passes when it
    measures nothing (no traffic, a canary hash matching no pod, a misspelt metric): its author is warned."""

    @pytest.mark.parametrize(
        "query",
        [
            f"{RATIO} or vector(0)",
            f"({RATIO}) or vector(0)",
            f"(\n  {RATIO} or on() vector(0)\n)",
            f"{RATIO} or vector(0.001)",
            "sum(rate(errors{h='{{ h }}'}[5m])) OR vector(0)",
            # The fallback's element kept by what follows. Before: not warned, and each answered 0 (Prometheus).
            f"({RATIO} or vector(0)) * 100",
            f"100 * ({RATIO} or on() vector(0))",
            f"{RATIO} or vector(0) or vector(1)",
            f"clamp_max({RATIO} or vector(0), 1)",
            f"{RATIO} or vector(0) > bool 1",
            # Nothing to drop the constant when no series exists. Before: not warned.
            f"{RATIO} or (vector(0) unless on() maintenance)",
            # vector(0)'s element matches the ratio's, which never reaches the answer: 0, measured or not.
            # Before: not warned, and the check passed whatever the canary did.
            f"vector(0) or {RATIO}",
            f"vector(0) or on() max({RATIO})",
            # What reads no series, aggregated or over a subquery. Before: not warned.
            f"{RATIO} or sum(vector(0))",
            f"{RATIO} or max_over_time(vector(0)[5m:1m])",
        ],
    )
    def test_warned(self, query):
        [warning] = fallback_warnings(query=query)
        assert warning.startswith("query: its whole answer falls back to vector(")
        assert "meets pass_if < 0.01" in warning and "no_data" in warning
        assert "(sum(rate(errors[5m])) or vector(0)) / sum(rate(requests[5m]))" in warning

    @pytest.mark.parametrize(
        "query",
        [
            "vector(0) or on() sum by (pod) (rate(errors{h='{{ h }}'}[5m]))",
            # Before: not warned (ignoring the pod, or on a label no group has, matches every group too).
            "vector(0) or ignoring(pod) sum by (pod) (rate(errors{h='{{ h }}'}[5m]))",
            "vector(0) or on(code) sum by (pod) (rate(errors{h='{{ h }}'}[5m]))",
        ],
    )
    def test_warned_when_on_nothing_matches_each_group(self, query):
        # on() matches vector(0)'s element with each pod's: none of them answers, 0 whatever is measured.
        # Before: not warned, and the check passed whatever the canary did.
        [warning] = fallback_warnings(query=query, reduce="max")
        assert warning.startswith("query: its whole answer falls back to vector(0)")

    @pytest.mark.parametrize(
        ("query", "fields"),
        [
            # The fallback on the error count alone: no traffic is still no data.
            (
                "(sum(rate(errors{h='{{ h }}'}[5m])) or vector(0)) / sum(rate(requests{h='{{ h }}'}[5m]))",
                {},
            ),
            (f"{RATIO} or vector(1)", {}),  # a fallback that fails
            (f"{RATIO} or vector(0)", {"no_data": "pass"}),  # no data passes, as the check says
            (f"{RATIO} or vector(0)", {"pass_if": "< 0.01", "fail_if": ">= 0"}),  # 0 meets fail_if: fails
            # The sums, labelled, answer beside vector(0)'s element.
            ("vector(0) or sum by (h) (rate(errors{h='{{ h }}'}[5m]))", {"reduce": "max"}),
            (f"{RATIO} or errors_ratio", {}),
            (f"{RATIO} or vector(0) > 1", {}),  # the fallback filtered out: no data
            (f"({RATIO} or vector(0)) / sum(rate(requests{{h='{{{{ h }}}}'}}[5m]))", {}),
            (f"{RATIO} or vector(1/0)", {}),  # an infinity is no value to pass
            (f"{RATIO} or vector(time())", {}),
            # A check on absence passes on it by design.
            ("absent(errors{h='{{ h }}'}) - 1", {"pass_if": "< 0.5"}),
            ("absent(errors{h='{{ h }}'}) or vector(0)", {"pass_if": "> 0.5"}),
            ("vector(0) unless on() errors{h='{{ h }}'}", {}),
            (RATIO, {}),
        ],
    )
    def test_not_warned(self, query, fields):
        assert fallback_warnings(query=query, **fields) == []


class TestPresenceQuery:
    """A check with a fallback lists the presence query it sends, so `analyzer validate` parses it; the names it
    asks leave out optional_metrics, and what those may hold is checked at load."""

    FALLBACK = "(sum(rate(errors_total{h='{{ h }}'}[5m])) or vector(0)) / sum(rate(requests_total{h='{{ h }}'}[5m]))"

    def check(self, **fields):
        return PrometheusCheck.model_validate({**BASE, "params": HASH, "pass_if": "< 0.01", **fields})

    def test_listed_after_the_query(self):
        assert self.check(query=self.FALLBACK).promql({"h": "c0ffee1"}) == [
            ("query", self.FALLBACK.replace("{{ h }}", "c0ffee1")),
            (
                "the presence query for the metric and label names beside its fallback",
                'group by (__name__) ({__name__=~"errors_total"}) or on(__name__, label) label_replace(group by '
                '(__name__) ({__name__=~"errors_total", h!=""}), "label", "h", "", "")',
            ),
        ]

    def test_none_without_a_fallback_nor_for_an_optional_metric(self):
        assert [what for what, _ in self.check(query=RATIO).promql({"h": "c0ffee1"})] == ["query"]
        check = self.check(query=self.FALLBACK, optional_metrics=["errors_total"])
        assert [what for what, _ in check.promql({"h": "c0ffee1"})] == ["query"]
        assert check.optional_names() == {
            "errors_total": "it is in optional_metrics, its absence reads as the fallback's value"
        }

    @pytest.mark.parametrize(
        "param",
        [
            {"type": "enum", "values": ["or", "and"], "default": "or"},
            {"type": "identifier", "default": "or"},
            {"type": "enum", "values": ["OR", "and"], "default": "OR"},
        ],
    )
    def test_an_or_a_param_renders_sends_the_presence_query(self, param):
        # The query's text holds no `or` of its own: `or` comes from the arg. Before: no presence query, and a
        # misspelt errors_total passed.
        check = self.check(params={"op": param}, query="sum(errors_total) {{ op }} vector(0)")
        assert check.promql({"op": param["default"]})[1:] == [
            (
                "the presence query for the metric and label names beside its fallback",
                'group by (__name__) ({__name__=~"errors_total"})',
            )
        ]

    def test_an_or_two_args_make_a_fallback_of_sends_the_presence_query(self):
        # op=or makes a fallback with gate=and only: gate's default `+` answers vector(0) + y, no constant. Before:
        # decided at load with gate's default, no presence query, and a misspelt errors_total passed.
        gate = {"type": "enum", "values": ["+", "and"], "default": "+"}
        op = {"type": "enum", "values": ["+", "or"], "default": "+"}
        query = "sum(errors_total) {{ op }} vector(0) {{ gate }} on() sum(requests_total)"
        check = self.check(params={"op": op, "gate": gate}, query=query)
        assert check.promql({"op": "or", "gate": "and"})[1:] == [
            (
                "the presence query for the metric and label names beside its fallback",
                'group by (__name__) ({__name__=~"errors_total"})',
            )
        ]
        assert check.promql({"op": "or", "gate": "+"})[1:] == []

    @pytest.mark.parametrize(
        ("param", "query"),
        [
            ({"type": "enum", "values": ["+", "and"], "default": "+"}, "x {{ op }} vector(0)"),
            ({"type": "identifier", "default": "errors_total"}, "sum(rate({{ op }}[5m])) / sum(rate(requests[5m]))"),
            ({"type": "identifier", "default": "x"}, "x {{ op }} y"),  # an `or` there is no fallback
        ],
    )
    def test_a_param_that_cannot_write_a_fallback_sends_nothing_more(self, param, query):
        # Decided at load: the query's evaluations look for no fallback (issue 13 counts their instructions).
        assert self.check(params={"op": param}, query=query)._judging.fallback is False

    def test_an_optional_metric_must_be_a_name(self):
        assert "'errors_total{}' is not a metric name" in invalid(optional_metrics=["errors_total{}"])

    @pytest.mark.parametrize(
        ("query", "optional"),
        [
            (FALLBACK, ["error_total"]),  # a misspelt errors_total
            (FALLBACK, ["requests_total"]),  # read, but not beside the fallback
            (RATIO, ["errors_total"]),  # no fallback at all
        ],
    )
    def test_an_optional_metric_no_fallback_reads_is_warned(self, query, optional):
        assert self.check(query=query, optional_metrics=optional).warnings() == [
            f"optional_metrics: {optional[0]!r} is not a metric name read beside a fallback of the query (`x or "
            "vector(0)`), so it changes nothing: a misspelt name?"
        ]

    def test_a_regex_promql_parsers_engine_refuses_sends_the_presence_query(self):
        # Go's \Q...\E, which Prometheus accepts and promql-parser's regex engine refuses. Before: no presence query,
        # and a misspelt errors_total passed.
        query = "sum(rate(errors_total{path=~'\\\\Q/v1/pay.now\\\\E'}[5m])) or vector(0)"
        check = self.check(query=query, skip_promql_parse=True)
        assert check.promql({})[1:] == [
            (
                "the presence query for the metric and label names beside its fallback",
                'group by (__name__) ({__name__=~"errors_total"})',  # Python's re cannot tell whether path is needed
            )
        ]
        # Warned as the same query with a regex promql-parser reads: its whole answer falls back to vector(0). Before:
        # no constant computed, not warned.
        plain = self.check(query=query.replace("\\\\Q/v1/pay.now\\\\E", "/v1/pay\\\\.now"))
        assert check.warnings() == plain.warnings() != []

    def test_a_fallback_promql_parser_cannot_read_is_warned(self):
        # Which names stand beside its fallback cannot be told: none is checked. Before: not a word, and a misspelt
        # name passed.
        check = self.check(query="sum(rate(errors_total[5m])) or vector(0) or", optional_metrics=["errors_total"])
        assert check.warnings() == [
            "query: promql-parser cannot parse it (invalid promql query), so which metric names stand beside its "
            "fallback (`x or vector(0)`) cannot be told: none is checked for existence at run time, and a misspelt "
            "one reads as the fallback's value (a pass); `analyzer validate --prometheus` checks every name it reads"
        ]

    def test_an_operator_param_is_no_query_promql_parser_cannot_parse(self):
        # Its placeholder `x` stood where an operator goes. Before: "promql-parser cannot parse it" for a query that
        # parses with op=or, and no name beside its fallback was said to be checked.
        params = {"op": {"type": "identifier", "required": True}}
        query = "sum(rate(errors_total[5m])) {{ op }} vector(0)"
        assert self.check(query=query, params=params).warnings() == []
        # Read as the query with `or`: an optional name is one it reads beside the fallback.
        assert self.check(query=query, params=params, optional_metrics=["errors_totl"]).warnings() == [
            "optional_metrics: 'errors_totl' is not a metric name read beside a fallback of the query (`x or "
            "vector(0)`), so it changes nothing: a misspelt name?"
        ]

    def test_an_optional_metric_beside_the_fallback_is_not_warned(self):
        assert self.check(query=self.FALLBACK, optional_metrics=["errors_total"]).warnings() == []

    def test_a_regex_name_beside_a_fallback_is_warned(self):
        query = "(sum(rate({__name__=~'errors_.*', h='{{ h }}'}[5m])) or vector(0)) / sum(rate(requests_total[5m]))"
        assert self.check(query=query).warnings() == [
            "query selector {__name__=~'errors_.*', h='c0ffee1'}: metric name given by a regex is not checked for "
            'existence (a misspelled name reads as the fallback\'s value; list the names, as in {__name__=~"a|b"}, to '
            "check them)"
        ]


class TestLabelPresence:
    """The presence query asks, beside each metric name, for its series carrying each label a matcher beside the
    fallback needs, over the span the selector reads; the same one query."""

    QUERY = '(sum(rate(e_total{cdoe=~"5..", h="c0ffee1"}[5m])) or vector(0)) / sum(rate(r_total{h="c0ffee1"}[5m]))'

    def test_a_needed_label_is_asked_beside_its_name(self):
        query, selectors, _ = _presence(self.QUERY, frozenset(), 0.0)
        assert query == (
            'group by (__name__) ({__name__=~"e_total"}) or on(__name__, label) label_replace(group by (__name__) '
            '({__name__=~"e_total", cdoe!=""}), "label", "cdoe", "", "") or on(__name__, label) label_replace(group '
            'by (__name__) ({__name__=~"e_total", h!=""}), "label", "h", "", "")'
        )
        assert [(selector.selector, labels) for selector, labels in selectors] == [
            ('e_total{cdoe=~"5..", h="c0ffee1"}', ("cdoe", "h"))
        ]

    def test_a_range_query_asks_over_its_window(self):
        query, _, _ = _presence(self.QUERY.replace("{h=", "{x="), frozenset(), 600.0)
        assert 'label_replace(group by (__name__) (last_over_time({__name__=~"e_total", cdoe!=""}[900s]))' in query

    def test_labels_read_at_several_spans_are_asked_at_each(self):
        query, _, _ = _presence('sum(x{a="1"} offset 1h) or sum(x{a="1"}) or vector(0)', frozenset(), 0.0)
        assert query == (
            'group by (__name__) ({__name__=~"x"}) or on(__name__) group by (__name__) (last_over_time('
            '{__name__=~"x"}[300s] offset 3600s)) or on(__name__, label) label_replace(group by (__name__) '
            '({__name__=~"x", a!=""}), "label", "a", "", "") or on(__name__, label) label_replace(group by (__name__) '
            '(last_over_time({__name__=~"x", a!=""}[300s] offset 3600s)), "label", "a", "", "")'
        )

    def test_a_matcher_that_matches_empty_asks_nothing_more(self):
        query, selectors, _ = _presence('sum(x{a=~"5..|", b!="x", c=""}) or vector(0)', frozenset(), 0.0)
        assert query == 'group by (__name__) ({__name__=~"x"})'
        assert selectors[0][1] == ()

    def test_an_optional_metric_asks_nothing(self):
        assert _presence(self.QUERY.replace("r_total", "e_total"), frozenset({"e_total"}), 0.0) is None

    def test_a_label_lists_labels_are_asked_over_its_names(self):
        query, _, lists = _presence(
            "(sum by (code) (rate(e_total[5m])) / ignoring(cdoe) group_left sum(rate(r_total[5m]))) or vector(0)",
            frozenset(),
            0.0,
        )
        assert [(listed.written, listed.labels) for listed in lists] == [
            ("ignoring (cdoe)", ("cdoe",)),
            ("by (code)", ("code",)),
        ]
        assert (
            'or on(__name__, label) label_replace(group by (__name__) ({__name__=~"e_total|r_total", cdoe!=""}), '
            '"label", "cdoe", "", "")'
        ) in query
        assert 'label_replace(group by (__name__) ({__name__=~"e_total", code!=""}), "label", "code", "", "")' in query

    def test_a_list_over_an_optional_metric_asks_nothing(self):
        _, _, lists = _presence("sum by (cdoe) (e_total) or sum(r_total) or vector(0)", frozenset({"e_total"}), 0.0)
        assert lists == ()


class TestLabelsTheAnswerShows:
    """A series of the answer under its metric's name carrying a label proves that label, as it proves the name (a
    range query reads series the presence query, at the end, no longer finds)."""

    QUERY = 'max(x{cdoe="1"}) or vector(0)'

    async def presence_of(self, answered: list[Series]) -> None:
        presence = _presence(self.QUERY, frozenset(), 0.0)
        assert presence is not None
        named = QueryResult(presence[0], "vector", [Series({"__name__": "x"}, [(1.0, 1.0)])])

        class Source:
            async def query(self, promql, at, timeout_s):
                return named

        async def asked():
            return QueryResult(self.QUERY, "matrix", answered)

        ctx = type("Ctx", (), {"evaluation_time": datetime.now(UTC), "timeout_s": lambda self: 1.0})()
        await _with_presence(ctx, Source(), asked(), presence)

    async def test_a_label_the_answer_shows_exists(self):
        await self.presence_of([Series({"__name__": "x", "cdoe": "1"}, [(1.0, 1.0)])])

    async def test_a_label_nowhere_is_misconfigured(self):
        with pytest.raises(CheckMisconfigured, match="label cdoe is not on metric x"):
            await self.presence_of([Series({"__name__": "y", "cdoe": "1"}, [(1.0, 1.0)])])

    async def test_a_label_of_a_list_the_answer_shows_exists(self):
        self.QUERY = "sum by (pod) (x) or vector(0)"
        await self.presence_of([Series({"pod": "a"}, [(1.0, 1.0)])])

    async def test_a_label_of_a_list_nowhere_is_misconfigured(self):
        self.QUERY = "sum by (pod) (x) or vector(0)"
        with pytest.raises(CheckMisconfigured, match=r"query by \(pod\): label pod is on no series of metric x"):
            await self.presence_of([Series({}, [(1.0, 1.0)])])


class TestPartialPresenceAnswer:
    """A presence answer that may be partial and lacks a name or a label makes no error: it says which of them it
    cannot tell from a misspelling, a metric name, a label name or either."""

    @pytest.mark.parametrize(
        ("shown", "cannot_tell"),
        [
            ({"x"}, "metric or label name"),  # neither y nor x's cdoe
            ({"x", "y"}, "label name"),
            ({"x", "x:cdoe"}, "metric name"),
        ],
    )
    async def test_what_it_cannot_tell(self, shown, cannot_tell):
        query = '(max(x{cdoe="1"}) or vector(0)) + (max(y) or vector(0))'
        presence = _presence(query, frozenset(), 0.0)
        assert presence is not None
        series = [
            Series({"__name__": name.partition(":")[0], **({"label": "cdoe"} if ":" in name else {})}, [(1.0, 1.0)])
            for name in shown
        ]
        answer = QueryResult(presence[0], "vector", series, warnings=["store b did not answer"])

        class Source:
            async def query(self, promql, at, timeout_s):
                return answer

        async def asked():
            return QueryResult(query, "vector", [Series({}, [(1.0, 0.0)])])

        ctx = type("Ctx", (), {"evaluation_time": datetime.now(UTC), "timeout_s": lambda self: 1.0})()
        _, unknown = await _with_presence(ctx, Source(), asked(), presence)
        assert unknown is not None
        assert unknown[0].endswith(f"the fallback's value cannot be told from a misspelled {cannot_tell}")


class TestGrafanaVariables:
    """A label value holding a Grafana variable (`job="$job"`, a query pasted from a dashboard) draws a load warning
    naming the param to declare: nothing fills it in, and the check loaded silently to answer no data at every run."""

    @pytest.mark.parametrize(
        ("matcher", "variable", "name"),
        [
            ('job="$job"', "$job", "job"),
            ('job=~"${job:regex}"', "${job:regex}", "job"),
            ('job="[[job]]"', "[[job]]", "job"),
            ('pod=~"$pod.*"', "$pod", "pod"),
        ],
    )
    def test_warned_naming_the_param_to_declare(self, matcher, variable, name):
        query = f"sum(rate(errors_total{{{matcher}}}[5m])) / sum(rate(requests_total[5m]))"
        check = PrometheusCheck.model_validate({**BASE, "pass_if": "< 0.01", "query": query})
        label, _, value = matcher.partition("=")
        op = "=~" if value.startswith("~") else "="
        assert check.warnings() == [
            f"query selector errors_total{{{matcher}}}: {label}{op}{value.removeprefix('~')} holds {variable}, "
            f"Grafana's variable syntax, which the analyzer leaves as it is: only series whose {label} holds that text "
            "match; "
            f"for a value given at each run, declare a param {name} and write {{{{ {name} }}}} in its place"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            'sum(rate(errors_total{job=~"api$"}[5m]))',
            'sum(label_replace(rate(errors_total[5m]), "svc", "$1", "job", "(.*)"))',
            'sum(label_replace(rate(errors_total[5m]), "svc", "$name", "job", "(?P<name>.*)"))',
            'sum(rate(errors_total{job="{{ job }}"}[5m]))',
        ],
    )
    def test_a_dollar_that_is_no_variable_in_a_matcher_is_not_warned(self, query):
        params = {"job": {"type": "label_value", "required": True}} if "{{" in query else {}
        check = PrometheusCheck.model_validate({**BASE, "params": params, "pass_if": "< 1", "query": query})
        assert check.warnings() == []


class TestContradictingNames:
    """Matchers on the metric name that no name meets all of draw a load warning: every evaluation refuses the query
    (kinds.refuse_contradicting_names), where `analyzer validate` said nothing of it."""

    def test_warned(self):
        query = 'sum(rate({__name__="errors_total", __name__="requests_total"}[5m])) or vector(0)'
        warnings = PrometheusCheck.model_validate({**BASE, "pass_if": "< 1", "query": query}).warnings()
        assert [w for w in warnings if "no metric name meets all of its matchers" in w] == [
            'query selector {__name__="errors_total", __name__="requests_total"} matches no series: no metric name '
            "meets all of its matchers on __name__ (Prometheus matches each series on every one of them), so every "
            "evaluation refuses the query; keep one matcher on the name, or a regex that lists the names "
            '(`{__name__=~"a|b"}`)'
        ]

    def test_a_placeholder_in_the_name_is_not_warned(self):
        params = {"metric": {"type": "identifier", "required": True}}
        query = 'sum(rate({__name__="{{ metric }}", __name__=~"errors_total|requests_total"}[5m]))'
        check = PrometheusCheck.model_validate({**BASE, "params": params, "pass_if": "< 1", "query": query})
        assert check.warnings() == []


class TestRegexAfterEquality:
    """A regex written after `=` in the query draws a load warning naming `=~`: `code="5.."` beside a fallback read
    zero errors for ever, so the ratio passed a canary failing every request, with no word at load."""

    def test_warned_with_the_selector_as_written(self):
        query = "(sum(rate(errors_total{code='5..', h='{{ h }}'}[5m])) or vector(0)) / sum(rate(requests_total[5m]))"
        check = PrometheusCheck.model_validate({**BASE, "params": HASH, "pass_if": "< 0.01", "query": query})
        assert check.warnings() == [
            "query selector errors_total{code='5..', h='{{ h }}'}: code='5..' compares for equality, and '5..' reads "
            "as a regex: only a code written '5..' matches, so the selector matches no series (in an error count, "
            "zero errors: a pass); for a regex write code=~'5..'"
        ]

    @pytest.mark.parametrize("value", ["5..", "5.*", ".+health", "2xx|5xx", "[45]xx", r"5\\d\\d", "a.?b"])
    @pytest.mark.parametrize("quote", ['"', "'", "`"])
    def test_every_regex_the_lexer_names_is_looked_for(self, value, quote):
        # The kind looks at a query with its own quick pattern first (the lexer's module is not imported otherwise).
        text = value.replace("\\\\", "\\") if quote == "`" else value
        query = f"sum(rate(errors_total{{code!={quote}{text}{quote}}}[5m])) or vector(0)"
        warnings = PrometheusCheck.model_validate({**BASE, "pass_if": "< 1", "query": query}).warnings()
        assert len([w for w in warnings if "compares for equality" in w]) == 1, warnings

    def test_a_regex_matcher_is_not_warned(self):
        query = "(sum(rate(errors_total{code=~'5..'}[5m])) or vector(0)) / sum(rate(requests_total[5m]))"
        assert PrometheusCheck.model_validate({**BASE, "pass_if": "< 0.01", "query": query}).warnings() == []


class TestQuantileOutsideZeroToOne:
    """A quantile written in percent (`histogram_quantile(99, ...)`) is refused when the catalog loads: Prometheus
    answers +Inf for any quantile above 1 (-Inf below 0), so the check would answer inconclusive forever, blaming a
    division by zero."""

    @pytest.mark.parametrize(
        ("query", "written", "percent"),
        [
            ("histogram_quantile(99, sum by (le) (rate(latency_seconds_bucket[5m])))", "histogram_quantile(99", "0.99"),
            (
                "histogram_quantile( 99.9 ,sum(rate(latency_seconds_bucket[5m])) by (le))",
                "histogram_quantile(99.9",
                "0.999",
            ),
            ("quantile(95, rate(requests_total[5m]))", "quantile(95", "0.95"),
            ("quantile by (pod) (95, rate(requests_total[5m]))", "quantile(95", "0.95"),
            ("max(quantile_over_time(50, queue_depth[10m]))", "quantile_over_time(50", "0.5"),
            ("HISTOGRAM_QUANTILE(1.5, sum by (le) (rate(x_bucket[5m])))", "histogram_quantile(1.5", "0.015"),
            ("histogram_quantile(100, sum by (le) (rate(x_bucket[5m])))", "histogram_quantile(100", "1"),
        ],
    )
    def test_a_quantile_in_percent_is_refused(self, query, written, percent):
        text = invalid(query=query)
        assert f"{written}, ...) asks for a quantile outside 0 to 1" in text
        assert f"In percent? {written.partition('(')[2]} is {percent}" in text

    def test_a_negative_quantile_is_refused(self):
        assert "Prometheus answers -Inf" in invalid(query="histogram_quantile(-0.5, sum by (le) (rate(x_bucket[5m])))")

    def test_a_quantile_past_100_is_not_read_as_percent(self):
        assert "In percent?" not in invalid(query="histogram_quantile(101, sum by (le) (rate(x_bucket[5m])))")

    @pytest.mark.parametrize(
        "query",
        [
            "histogram_quantile(0.99, sum by (le) (rate(latency_seconds_bucket[5m])))",
            "histogram_quantile(1, sum by (le) (rate(x_bucket[5m]))) - histogram_quantile(0, sum by (le) (x_bucket))",
            "quantile(.5, rate(x[5m]))",
            'sum(rate(x{path="/quantile(99, a)"}[5m]))',
            "sum(rate(x[5m])) # histogram_quantile(99, x)",
            "quantile_over_time(0.95, x[10m]) * 99",
        ],
    )
    def test_a_quantile_between_0_and_1_or_none_is_not(self, query):
        PrometheusCheck.model_validate({**BASE, "query": query})

    @pytest.mark.parametrize(
        ("query", "param", "said"),
        [
            (
                "histogram_quantile({{ q }}, sum by (le) (rate(x_bucket[5m])))",
                {"type": "number", "default": 99},
                "params.q: default 99 is the quantile of histogram_quantile({{ q }}, ...), outside 0 to 1",
            ),
            (
                "quantile by (pod) ( {{q}} , rate(x[5m]))",
                {"type": "number", "default": 0.5, "example": 95},
                "params.q: example 95 is the quantile of quantile({{ q }}, ...), outside 0 to 1",
            ),
        ],
    )
    def test_a_quantile_in_percent_a_param_gives_is_refused(self, query, param, said):
        # Before: loaded; every evaluation without the arg asked for +Inf and was inconclusive, "a division by zero?".
        text = invalid(query=query, params={"q": param}, reduce="max")
        assert said in text
        assert "minimum: 0 and maximum: 1 refuse any other arg" in text

    @pytest.mark.parametrize(
        "param",
        [
            {"type": "number", "default": 1, "example": 0},
            {"type": "number", "default": 0, "example": 1},
            {"type": "enum", "values": ["0", "0.5", "1"], "default": "0.5"},
        ],
    )
    def test_a_quantile_of_0_or_1_a_param_gives_is_not(self, param):
        # 0 and 1 are quantiles (the lowest and the highest bucket's bound): loaded, as written ones are.
        PrometheusCheck.model_validate({**BASE, "params": {"q": param}, "query": "quantile_over_time({{ q }}, x[5m])"})

    def test_an_enum_value_in_percent_is_refused(self):
        # Before: loaded; `q=99` asked for +Inf on every evaluation, inconclusive.
        param = {"type": "enum", "values": ["0.5", "0.9", "99"], "default": "0.5"}
        text = invalid(query="quantile_over_time({{ q }}, x[5m])", params={"q": param})
        assert "params.q: value 99 is the quantile of quantile_over_time({{ q }}, ...), outside 0 to 1" in text
        assert "In percent? 99 is 0.99" in text

    @pytest.mark.parametrize(
        ("raw", "refused"),
        [
            ({"q": "0.95"}, False),
            ({"q": 95}, True),
            ({}, False),
            ({"q": "1e2"}, True),
            ({"q": "1"}, False),
            ({"q": 0}, False),
        ],
    )
    def test_an_arg_outside_0_to_1_is_refused_when_bound(self, raw, refused):
        params = {"q": {"type": "number", "default": 0.99}}
        check = PrometheusCheck.model_validate(
            {**BASE, "params": params, "query": "histogram_quantile({{ q }}, sum by (le) (rate(x_bucket[5m])))"}
        )
        if not refused:
            assert 0 <= check.bind_args(raw)["q"] <= 1
            return
        with pytest.raises(
            ArgError, match=r"^arg 'q' is the quantile of histogram_quantile\(\{\{ q \}\}, ...\)"
        ) as err:
            check.bind_args(raw)
        assert err.value.arg == "q"

    def test_a_dns_label_as_the_quantile_is_refused_at_load(self):
        # A DNS label may be `nan`, `inf` or `99`, which PromQL reads as numbers there: placed bare, it is refused
        # whatever its value (before: only an arg of nan or inf was, when given).
        params = {"q": {"type": "dns_label", "default": "a"}}
        assert "{{ q }} (dns_label) stands outside quotes" in invalid(params=params, query="quantile({{ q }}, x)")

    def test_a_secret_arg_is_not_shown(self):
        params = {"q": {"type": "number", "default": 0.99, "secret": True}}
        check = PrometheusCheck.model_validate({**BASE, "params": params, "query": "quantile({{ q }}, x)"})
        with pytest.raises(ArgError) as err:
            check.bind_args({"q": "95.5"})
        assert "95.5" not in str(err.value) and "got a secret value" in str(err.value)

    @pytest.mark.parametrize(
        ("query", "written"),
        [
            ("histogram_quantile((99), sum by (le) (rate(x_bucket[5m])))", "histogram_quantile((99), ...)"),
            ("quantile_over_time(scalar(vector(95)), x[5m])", "quantile_over_time(scalar(vector(95)), ...)"),
            ("quantile by (pod) (-(0.5), x)", "quantile(-(0.5), ...)"),
        ],
    )
    def test_a_quantile_in_parentheses_or_wrapped_is_refused(self, query, written):
        # Before: loaded; every evaluation asked for +Inf (-Inf) and was inconclusive.
        assert f"query: {written} asks for a quantile outside 0 to 1" in invalid(query=query, reduce="max")

    @pytest.mark.parametrize(
        ("argument", "param", "said"),
        [
            (
                "({{ q }})",
                {"default": 99},
                "params.q: default 99 is the quantile of histogram_quantile(({{ q }}), ...)",
            ),
            (
                "scalar(vector({{q}}))",
                {"default": 0.5, "example": 95},
                "params.q: example 95 is the quantile of histogram_quantile(scalar(vector({{ q }})), ...)",
            ),
            (
                "{{ q }} / 100",
                {"default": 9900},
                "params.q: default 9900 makes histogram_quantile({{ q }} / 100, ...) ask for the quantile 99, outside",
            ),
        ],
    )
    def test_a_param_in_parentheses_or_wrapped_is_refused(self, argument, param, said):
        # Before: loaded, the rule reading `histogram_quantile({{ q }},` alone.
        query = f"histogram_quantile({argument}, sum by (le) (rate(x_bucket[5m])))"
        assert said in invalid(query=query, params={"q": {"type": "number", **param}})

    def test_a_param_a_quantile_divides_is_read_as_the_quantile_it_gives(self):
        # p99 written as 99 over 100: a fraction, judged; 99 alone, bound, is no longer refused as a quantile.
        params = {"q": {"type": "number", "default": 99}}
        query = "histogram_quantile({{ q }} / 100, sum by (le) (rate(x_bucket[5m])))"
        check = PrometheusCheck.model_validate({**BASE, "params": params, "query": query})
        assert check.bind_args({"q": "95"})["q"] == 95
        with pytest.raises(ArgError, match=r"makes the quantile of histogram_quantile\(\{\{ q \}\} / 100, ...\)"):
            check.bind_args({"q": "150"})

    def test_a_quantile_a_param_gives_is_left_to_its_bounds(self):
        params = {"q": {"type": "number", "default": 0.99, "minimum": 0, "maximum": 1}}
        PrometheusCheck.model_validate({**BASE, "params": params, "query": "quantile({{ q }}, rate(x[5m]))"})


class TestMillisecondsOverSeconds:
    """A bound of 100 or more on a quantile of a `_seconds` histogram is a load warning saying what the bound is in
    seconds: `pass_if: "< 500"` meant 500 ms, and passed a canary whose p95 was a full second."""

    QUANTILE = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"

    def warnings(self, query: str = QUANTILE, **fields):
        return PrometheusCheck.model_validate({**BASE, "query": query, **fields}).warnings()

    def test_a_bound_in_milliseconds_is_warned(self):
        assert self.warnings(pass_if="< 500") == [
            "pass_if: < 500 judges a quantile of http_request_duration_seconds_bucket, in seconds: 500 s. A bound in "
            "milliseconds? 500 ms is 0.5"
        ]
        assert [w[:8] for w in self.warnings(pass_if="< 0.3", fail_if="between 250 and 1000")] == ["fail_if:"]

    @pytest.mark.parametrize(
        ("pass_if", "shown"),
        [
            ("< 100", "100 s. A bound in milliseconds? 100 ms is 0.1"),
            ("between 0 and 500", "500 s. A bound in milliseconds? 500 ms is 0.5"),
        ],
    )
    def test_the_largest_bound_from_100_on_is_warned(self, pass_if, shown):
        assert self.warnings(pass_if=pass_if) == [
            f"pass_if: {pass_if} judges a quantile of http_request_duration_seconds_bucket, in seconds: {shown}"
        ]

    def test_a_native_histograms_quantile_is_too(self):
        # A native histogram has no `_bucket` series: the quantile reads the name itself.
        native = "histogram_quantile(0.95, sum(rate(http_request_duration_seconds[5m])))"
        assert self.warnings(native, pass_if="< 500") == [
            "pass_if: < 500 judges a quantile of http_request_duration_seconds, in seconds: 500 s. A bound in "
            "milliseconds? 500 ms is 0.5"
        ]

    @pytest.mark.parametrize(
        ("query", "pass_if"),
        [
            (QUANTILE, "< 0.5"),
            ("histogram_quantile(0.95, sum(rate(http_request_duration_seconds[5m]))) * 1000", "< 500"),
            ("histogram_quantile(0.95, sum by (le) (rate(process_cpu_seconds_total[5m])))", "< 500"),
            (QUANTILE, "< 99"),
            (QUANTILE + " * 1000", "< 500"),
            ("1e3 * " + QUANTILE, "< 500"),
            (QUANTILE.replace("_seconds_bucket", "_milliseconds_bucket"), "< 500"),
            ("sum(rate(http_request_duration_seconds_bucket[5m]))", "< 500"),
        ],
    )
    def test_seconds_scaled_or_other_units_are_not(self, query, pass_if):
        assert self.warnings(query, pass_if=pass_if) == []


class TestPercentOverShare:
    """A bound of 1 or more on a share of a counter's series (errors over all requests: between 0 and 1) is a load
    warning saying what the bound is in percent: `pass_if: "< 1"` meant 1%, and passed a canary failing 99% of its
    requests; `pass_if: "> 99"` meant 99% and failed every canary."""

    ERRORS = (
        '(sum(rate(http_requests_total{s="a",rollouts_pod_template_hash="{{ h }}",code=~"5.."}[5m])) or vector(0))'
        ' / sum(rate(http_requests_total{s="a",rollouts_pod_template_hash="{{ h }}"}[5m]))'
    )
    PARAMS = {"h": {"type": "label_value", "required": True, "example": "c0ffee1"}}

    def warnings(self, query: str = ERRORS, **fields):
        return PrometheusCheck.model_validate({**BASE, "params": self.PARAMS, "query": query, **fields}).warnings()

    def test_a_bound_in_percent_is_warned(self):
        assert self.warnings(pass_if="< 1") == [
            "pass_if: < 1 judges a share, some of http_requests_total's series over all of them: between 0 and 1, "
            "where 1 is 100%. A bound in percent? 1% is 0.01"
        ]
        success = self.ERRORS.replace('code=~"5.."', 'code!~"5.."').replace(" or vector(0)", "")
        assert [w[:27] for w in self.warnings(success, pass_if=">= 99.9")] == ["pass_if: >= 99.9 judges a s"]
        assert [w[:8] for w in self.warnings(pass_if="< 0.01", fail_if="> 5")] == ["fail_if:"]
        assert [w[:8] for w in self.warnings(pass_if="between 0 and 2")] == ["pass_if:"]
        # The bound in percent is the greatest one.
        assert [w[-30:] for w in self.warnings(pass_if="between 0.5 and 5")] == ["A bound in percent? 5% is 0.05"]

    def test_a_share_of_fast_requests_is_too(self):
        fast = (
            'sum(rate(latency_seconds_bucket{le="0.3",rollouts_pod_template_hash="{{ h }}"}[5m]))'
            ' / sum(rate(latency_seconds_count{rollouts_pod_template_hash="{{ h }}"}[5m]))'
        )
        assert self.warnings(fast, pass_if="> 99") == [
            "pass_if: > 99 judges a share, some of latency_seconds_bucket's series over all of them: between 0 and 1, "
            "where 1 is 100%. A bound in percent? 99% is 0.99"
        ]

    @pytest.mark.parametrize(
        ("query", "pass_if"),
        [
            (ERRORS, "< 0.01"),
            (ERRORS, "between 0 and 1"),
            (ERRORS, "!= 1"),
            (f"100 * ({ERRORS})", "< 1"),  # a percentage
            (ERRORS.replace("[5m]))", "[1h]))", 1), "< 2"),  # the last 5 minutes against the hour's average
            ("sum(rate(bytes_out_total[5m])) / sum(rate(bytes_in_total[5m]))", "< 1"),  # two metrics: any ratio
        ],
    )
    def test_a_share_bounded_as_one_or_other_values_are_not(self, query, pass_if):
        assert self.warnings(query, pass_if=pass_if) == []

    def test_a_share_as_one_minus_the_other_or_spared_a_division_by_zero_is_too(self):
        # Before: no warning; `< 1` meant 1% and passed a canary failing 99% of its requests.
        success = self.ERRORS.replace('code=~"5.."', 'code!~"5.."').replace(" or vector(0)", "")
        spared = self.ERRORS.replace("/ sum(", "/ (sum(") + " > 0)"
        for query in (f"1 - ({success})", spared):
            assert [w[:27] for w in self.warnings(query, pass_if="< 1")] == ["pass_if: < 1 judges a share"]

    @pytest.mark.parametrize(
        "shape",
        [
            "{share} > 0",
            "({share}) >= 0.001",
            "0 < {share}",
            "{share} and on() sum(rate(x[5m])) > 1",
            "{share} or vector(0)",
        ],
    )
    def test_a_share_a_filter_or_a_fallback_keeps_is_too(self, shape):
        # Before: no warning; `< 1` meant 1% and passed a canary failing 99% of its requests.
        query = shape.format(share=self.ERRORS.replace(" or vector(0)", ""))
        assert [w[:27] for w in self.warnings(query, pass_if="< 1")][:1] == ["pass_if: < 1 judges a share"]

    def test_a_share_of_failures_over_another_metric_is_too(self):
        # Before: no warning; `< 1` meant 1% and passed a canary failing 99% of its payments.
        query = "sum(rate(payments_failed_total[5m])) / sum(rate(payments_total[5m]))"
        assert self.warnings(query, pass_if="< 1") == [
            "pass_if: < 1 judges a share, payments_failed_total over payments_total, failures over all of them: "
            "between 0 and 1, where 1 is 100%. A bound in percent? 1% is 0.01"
        ]

    def test_a_share_compared_as_a_bool_is_not(self):
        # 0 or 1 for each element: `< 1` is meant as written.
        assert self.warnings(self.ERRORS + " > bool 0.01", pass_if="< 1") == []

    def test_a_share_of_a_recorded_rate_is_too(self):
        # Before: no warning; `< 1` meant 1% and passed a canary failing 99% of its requests.
        query = 'sum(job:http_requests:rate5m{code=~"5.."}) / sum(job:http_requests:rate5m)'
        assert [w[:27] for w in self.warnings(query, pass_if="< 1")] == ["pass_if: < 1 judges a share"]

    @pytest.mark.parametrize(("pass_if", "fail_if"), [(">= 1", None), ("> 0.99", "< 1")])
    def test_a_share_of_all_of_them_is_not(self, pass_if, fail_if):
        # Before: warned "A bound in percent? 1% is 0.01" of a check passing only when no request failed.
        success = self.ERRORS.replace('code=~"5.."', 'code!~"5.."').replace(" or vector(0)", "")
        assert self.warnings(success, pass_if=pass_if, fail_if=fail_if) == []


class TestBucketsAddedUp:
    """A quantile of `_bucket` series aggregated without `le` is a load warning: the buckets add up into series
    without `le`, in which histogram_quantile finds no bucket, so the check answered no data forever, unexplained."""

    def warnings(self, query: str):
        return PrometheusCheck.model_validate({**BASE, "query": query, "pass_if": "< 0.5"}).warnings()

    @pytest.mark.parametrize(
        ("inner", "how", "meant"),
        [
            ("sum(rate(x_bucket[5m]))", "into one series", "by (le), as in sum by (le) (rate(...))"),
            ("sum by (service) (rate(x_bucket[5m]))", "by (service)", "by (le, service)"),
            ("sum(rate(x_bucket[5m])) by (service, pod)", "by (service, pod)", "by (le, service, pod)"),
            ("max without (le, pod) (rate(x_bucket[5m]))", "without (le, pod)", "without (pod)"),
            ("sum without (le) (rate(x_bucket[5m]))", "without (le)", "by (le), as in sum by (le) (rate(...))"),
            ('sum(rate(x_bucket{job="a"}[5m]))', "into one series", "by (le), as in sum by (le) (rate(...))"),
            # The side whose labels the answer keeps drops le.
            (
                "sum(rate(x_bucket[5m])) * on() group_left() (sum by (le) (rate(x_bucket[5m])) > bool 1)",
                "into one series",
                "by (le), as in sum by (le) (rate(...))",
            ),
            # The side the group takes `le` from drops it.
            (
                "sum(rate(y_total[5m])) * on() group_left(le) sum(rate(x_bucket[5m]))",
                "into one series",
                "by (le), as in sum by (le) (rate(...))",
            ),
        ],
    )
    def test_warned(self, inner, how, meant):
        assert self.warnings(f"histogram_quantile(0.99, {inner})") == [
            f"query: histogram_quantile reads x_bucket aggregated {how}, which drops `le`: the buckets add up into "
            "series without it, in which histogram_quantile finds no bucket, so the query answers no series, ever (no "
            f"data); keep le in the grouping: {meant}"
        ]

    @pytest.mark.parametrize(
        "query",
        [
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))",
            "histogram_quantile(0.99, sum by (service, le) (rate(x_bucket[5m])))",
            "histogram_quantile(0.99, sum without (pod) (rate(x_bucket[5m])))",
            "histogram_quantile(0.99, rate(x_bucket[5m]))",  # each series keeps its le
            "histogram_quantile(0.99, sum(rate(x_seconds[5m])))",  # a native histogram has no le
            'sum(rate(x_bucket{le="0.3"}[5m])) / sum(rate(x_count[5m]))',  # no quantile
            'histogram_quantile(0.9, label_replace(sum by (b) (x_bucket), "le", "$1", "b", "(.*)"))',
            # A traffic guard picks the buckets' elements; none of its values reaches the quantile.
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])) and on() sum(rate(x_bucket[5m])) > 1)",
            "histogram_quantile(0.99, sum by (le, s) (rate(x_bucket[5m])) unless on(s) sum by (s) (x_bucket) < 1)",
            # A guard multiplied in: the answer's labels are the left side's (le kept), the guard's value 0 or 1.
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])) * on() group_left() (sum(rate(x_bucket[5m]))"
            " > bool 1))",
            "histogram_quantile(0.99, (sum(rate(x_bucket[5m])) > bool 1) * on() group_right() sum by (le) (rate("
            "x_bucket[5m])))",
            # What the quantile does not read, a bucket it chooses.
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) / sum(rate(y_total[5m]))",
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) / sum(rate(y_bucket[5m]))",
            'histogram_quantile(0.99, sum(rate(x_bucket{le="0.3"}[5m])))',
        ],
    )
    def test_not_warned(self, query):
        assert self.warnings(query) == []

    def test_a_quantile_by_le_is_read_without_the_parser(self):
        # A Job computes its check's warnings at load: one of a latency check written as usual imports no parser.
        script = (
            "import sys\n"
            "from checks.prometheus import PrometheusCheck\n"
            "q = 'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) + histogram_quantile(0.5, sum(rate("
            "x_bucket[5m])) by (service, le))'\n"
            "assert PrometheusCheck.model_validate({'name': 'c', 'query': q, 'pass_if': '< 1'}).warnings() == []\n"
            "print(sorted(m for m in ('promql_parser', 'analyzer.promql_groups') if m in sys.modules))\n"
        )
        ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        assert ran.stdout == "[]\n", ran.stderr


class TestCounterReadAsAGauge:
    """delta(), idelta() and deriv() of a counter's name are warned: a reset (a restarted pod) reads as a drop."""

    def warnings(self, query: str) -> list[str]:
        return PrometheusCheck.model_validate({**BASE, "query": query, "pass_if": "< 1"}).warnings()

    @pytest.mark.parametrize(
        ("query", "read"),
        [
            ('sum(delta(http_errors_total{code=~"5.."}[5m]))', "delta(http_errors_total...)"),
            ("idelta( x_count [1m])", "idelta(x_count...)"),
            ("deriv(x_bucket[5m]) + deriv(x_sum[5m])", "deriv(x_bucket...)"),
        ],
    )
    def test_warned(self, query, read):
        found = self.warnings(query)
        assert found[0].startswith(f"query: {read} reads a counter as a gauge"), found
        assert "use increase() for a count, rate() per second" in found[0]

    @pytest.mark.parametrize(
        ("query", "suffix"), [("delta(pg_stat_activity_count[5m])", "_count"), ("deriv(x_sum[5m])", "_sum")]
    )
    def test_a_name_gauges_share_with_histograms_is_warned_of_as_a_condition(self, query, suffix):
        # pg_stat_activity_count is a gauge (connections open now): delta() of it is right, and the warning says so.
        (found,) = self.warnings(query)
        assert f"reads a counter as a gauge if it is a histogram's or summary's {suffix} (a gauge so named" in found

    def test_a_counters_own_suffix_is_warned_of_without_a_condition(self):
        (found,) = self.warnings("delta(x_total[5m]) + deriv(y_bucket[5m])")[:1]
        assert "reads a counter as a gauge: delta() does not see" in found

    @pytest.mark.parametrize(
        "query",
        [
            "sum(increase(http_errors_total[5m]))",
            "deriv(queue_depth[5m])",
            "delta(x_total_ratio[5m])",
            'increase(x_total[5m]) # delta(x_total[5m])\n + on() absent(y{a="delta(x_total[5m])"})',
            "delta(sum_over_time(x_total[5m])[10m:1m])",
        ],
    )
    def test_not_warned(self, query):
        assert self.warnings(query) == []


class TestGroupingDetection:
    """Only a by/without grouping outside every parenthesis is flagged as multi-series."""

    @pytest.mark.parametrize(
        ("query", "flagged"),
        [
            ("sum by (pod) (rate(x[5m]))", True),
            ("sum(rate(x[5m])) by (pod)", True),
            ("sum without(instance) (x) / sum without(instance) (y)", True),
            ("max(sum by (pod) (rate(x[5m])))", False),
            ('sum(rate(x{by="by (x)"}[5m]))', False),
            ("sum(x) # by (pod)", False),
            ("sum(rate(x[5m]))", False),
            ("standby(x)", False),
            # An empty `by` list is one group, as no grouping is; an empty `without` list keeps every series apart.
            ("sum by () (x)", False),
            ("sum(x) by ( )", False),
            ("sum BY() (x) / sum by (pod) (y)", True),
            ("sum without () (x)", True),
            ("sum(x) without()", True),
            # PromQL keywords are case-insensitive. Before: not flagged, and every run was an error.
            ("sum BY (pod) (x)", True),
            ("sum(x) Without (pod)", True),
            ("sum BY () (x)", False),
        ],
    )
    def test_detection(self, query, flagged):
        assert _groups_at_top_level(query) is flagged


class TestGroupingAnEnumWrites:
    """A grouping at the top level that an enum value writes (`sum {{ g }} (pod) (...)`) is refused at load without
    each or reduce, as a written one is: one series per group where one is judged, one judged alone when misspelt."""

    GROUPING = {"g": {"type": "enum", "values": ["by", "without"], "default": "by"}}

    @pytest.mark.parametrize(
        ("query", "said"),
        [
            # Before: loaded; misspelt (pdo), the one group was judged alone and passed.
            ("sum {{ g }} (pdo) (rate(x[5m]))", "with g=by it aggregates by (...) at the top level"),
            ("sum(rate(x[5m])) {{g}} ()", "with g=without it aggregates without (...) at the top level"),
        ],
    )
    def test_refused(self, query, said):
        assert said in invalid(query=query, params=self.GROUPING)

    @pytest.mark.parametrize(
        ("query", "fields"),
        [
            ("max(sum {{ g }} (pod) (rate(x[5m])))", {}),
            ("sum {{ g }} (pod) (rate(x[5m]))", {"each": True}),
            ("sum {{ g }} (pod) (rate(x[5m]))", {"reduce": "max"}),
            ('sum(rate(x{a="{{ g }}"}[5m]))', {}),
        ],
    )
    def test_loaded(self, query, fields):
        PrometheusCheck.model_validate({**BASE, "query": query, "params": self.GROUPING, **fields})

    def test_an_empty_by_is_one_group(self):
        params = {"g": {"type": "enum", "values": ["by"], "default": "by"}}
        PrometheusCheck.model_validate({**BASE, "query": "sum {{ g }} () (rate(x[5m]))", "params": params})


class TestLostItsValues:
    """A range series lost its values when it still reports at the end but has read NaN for more than a step
    before it; one that stopped reporting altogether (a pod replaced) is judged on its samples."""

    END = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)

    def series(self, *values: float, last_s_before_end: float = 0.0) -> Series:
        last = self.END.timestamp() - last_s_before_end
        return Series({}, [(last - 60 * (len(values) - 1 - i), value) for i, value in enumerate(values)])

    def test_nan_to_the_end_of_a_series_still_reporting(self):
        assert _lost_its_values(self.series(0.1, 0.1, math.nan, math.nan, math.nan), self.END, 60.0)

    def test_one_nan_step_at_the_end_is_no_loss(self):
        assert not _lost_its_values(self.series(0.1, 0.1, 0.1, math.nan), self.END, 60.0)

    def test_a_series_that_stopped_after_a_nan_tail_is_judged_on_its_samples(self):
        stopped = self.series(0.1, 0.1, math.nan, math.nan, math.nan, last_s_before_end=600)
        assert not _lost_its_values(stopped, self.END, 60.0)

    def test_only_nan_is_no_value_to_lose(self):
        assert not _lost_its_values(self.series(math.nan, math.nan), self.END, 60.0)


class TestOverTimeLast:
    """`over_time: last` is the range's last point: NaN there (no traffic in the last step) is no value, not the
    value of an earlier point, which says nothing of now."""

    END = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)

    def value(self, *values: float) -> float:
        check = PrometheusCheck.model_validate({**BASE, "range": "5m", "step": "1m", "over_time": "last"})
        start = self.END.timestamp() - 60 * (len(values) - 1)
        return check._series_value(Series({}, [(start + 60 * i, v) for i, v in enumerate(values)]), self.END, "5m")[0]

    def test_the_last_point(self):
        assert self.value(0.5, 0.2, 0.9) == 0.9

    def test_a_nan_last_point_is_no_value(self):
        assert math.isnan(self.value(0.5, 0.2, math.nan))


class _Answering:
    """A source answering every instant query with the same series (the judging is what is tested here)."""

    def __init__(self, values: list[float]) -> None:
        self.series = [Series({"pod": f"p{index}"}, [(1.0, value)]) for index, value in enumerate(values)]

    async def query(self, promql, at, timeout_s, *, encoded_promql=None):
        return QueryResult(promql, "vector", self.series)


class _Context:
    def __init__(self, values: list[float]) -> None:
        self.args: dict[str, object] = {}
        self.evaluation_time = datetime(2026, 1, 1, tzinfo=UTC)
        self.source = _Answering(values)

    def prometheus(self, name):
        return self.source

    def timeout_s(self):
        return 5.0


async def judged_each(values: list[float], **fields) -> Verdict:
    check = PrometheusCheck.model_validate({**BASE, "query": "x", "each": True, **fields})
    return await check.evaluate(_Context(values))  # type: ignore[arg-type]


class TestEach:
    """With `each`, every series is judged on its own and the worst verdict is the whole's."""

    async def test_a_series_without_a_value_beside_valued_ones_is_never_a_pass(self):
        # A pod whose ratio is NaN while the others have one (its workers hung, its counters flat) is no absence
        # of data: no_data: pass does not make it a pass.
        verdict = await judged_each([math.nan, 0.5], no_data="pass")
        assert verdict.outcome is Outcome.INCONCLUSIVE
        assert "no_data: pass does not apply to a series without a value beside series that have one" in (
            verdict.reason
        )
        assert (await judged_each([math.nan, 0.5], no_data="inconclusive")).outcome is Outcome.INCONCLUSIVE
        assert (await judged_each([math.nan, 0.5], no_data="fail")).outcome is Outcome.FAIL

    async def test_no_series_with_a_value_is_the_no_data_policy(self):
        # Every series NaN: no traffic anywhere, which no_data: pass is for.
        assert (await judged_each([math.nan, math.nan], no_data="pass")).outcome is Outcome.PASS

    async def test_the_reason_counts_the_worst_series(self):
        verdict = await judged_each([-1.0, 0.5, 0.7])
        assert verdict.outcome is Outcome.FAIL
        assert verdict.reason.startswith("1 of 3 series fail; worst")

    async def test_an_infinite_series_under_no_data_fail_names_the_policy(self):
        verdict = await judged_each([math.inf, 0.5], no_data="fail")
        assert verdict.outcome is Outcome.FAIL
        assert verdict.reason.endswith("at inf (no_data policy: fail)")

    async def test_more_series_than_the_details_show_are_all_judged(self):
        verdict = await judged_each([0.5] * 60 + [-1.0])
        assert verdict.outcome is Outcome.FAIL
        assert len(verdict.details["series"]) == 50 and verdict.details["series_count"] == 61


class TestSeveralSeriesWithoutReduce:
    """Several series with neither reduce nor each is a misconfiguration naming the first three."""

    async def test_the_first_three_are_named(self):
        check = PrometheusCheck.model_validate({**BASE, "query": "x"})
        with pytest.raises(CheckMisconfigured) as raised:
            await check.evaluate(_Context([0.5, 0.6, 0.7, 0.8]))  # type: ignore[arg-type]
        assert raised.value.message.startswith(
            'the query returned 4 series ({pod="p0"}, {pod="p1"}, {pod="p2"}, ...); set reduce or each: true'
        )

    async def test_two_are_named_without_an_ellipsis(self):
        # Before: "2 series ({pod="p0"}, {pod="p1"}, ...)", as if more were left out.
        check = PrometheusCheck.model_validate({**BASE, "query": "x"})
        with pytest.raises(CheckMisconfigured) as raised:
            await check.evaluate(_Context([0.5, 0.6]))  # type: ignore[arg-type]
        assert raised.value.message.startswith('the query returned 2 series ({pod="p0"}, {pod="p1"}); set reduce')

    async def test_three_are_all_named_without_an_ellipsis(self):
        check = PrometheusCheck.model_validate({**BASE, "query": "x"})
        with pytest.raises(CheckMisconfigured) as raised:
            await check.evaluate(_Context([0.5, 0.6, 0.7]))  # type: ignore[arg-type]
        assert raised.value.message.startswith(
            'the query returned 3 series ({pod="p0"}, {pod="p1"}, {pod="p2"}); set reduce'
        )


class TestBoundedLabels:
    """Details keep at most _MAX_LABELS_IN_DETAILS labels per series, each name and value clipped."""

    def test_few_short_labels_are_kept_as_they_are(self):
        labels = {f"l{i:02d}": "v" for i in range(_MAX_LABELS_IN_DETAILS - 1)}
        # A name and value of exactly the cap together: still short.
        labels["n"] = "v" * (_MAX_LABEL_CHARS_IN_DETAILS - 1)
        assert _bounded_labels(labels) is labels

    def test_no_labels_kept_as_they_are(self):
        # An aggregate's one series (sum(...) / sum(...)) has none.
        labels: dict[str, str] = {}
        assert _bounded_labels(labels) is labels

    @pytest.mark.parametrize("others", [0, 3])
    def test_a_long_value_is_clipped(self, others):
        labels = {**{f"l{i}": "v" for i in range(others)}, "note": "x" * (_MAX_LABEL_CHARS_IN_DETAILS + 1)}
        bounded = _bounded_labels(labels)
        assert bounded["note"] == "x" * (_MAX_LABEL_CHARS_IN_DETAILS - 3) + "..."
        assert {k: v for k, v in bounded.items() if k != "note"} == {f"l{i}": "v" for i in range(others)}

    def test_a_long_name_is_clipped(self):
        name = "n" * (_MAX_LABEL_CHARS_IN_DETAILS + 1)
        assert _bounded_labels({name: "v"}) == {"n" * (_MAX_LABEL_CHARS_IN_DETAILS - 3) + "...": "v"}

    def test_labels_beyond_the_cap_are_counted_not_kept(self):
        labels = {f"l{i:03d}": "v" for i in range(_MAX_LABELS_IN_DETAILS + 2)}
        bounded = _bounded_labels(labels)
        assert len(bounded) == _MAX_LABELS_IN_DETAILS + 1
        assert bounded["..."] == "2 more labels"
        assert all(bounded[f"l{i:03d}"] == "v" for i in range(_MAX_LABELS_IN_DETAILS))

    def test_at_the_cap_with_a_long_value_nothing_is_counted(self):
        labels = {f"l{i:02d}": "v" for i in range(_MAX_LABELS_IN_DETAILS - 1)}
        labels["note"] = "x" * (_MAX_LABEL_CHARS_IN_DETAILS + 1)
        bounded = _bounded_labels(labels)
        assert "..." not in bounded and len(bounded) == _MAX_LABELS_IN_DETAILS


class TestJudging:
    """The judging made once per check decides, words and bounds a value as its conditions do."""

    CONDITIONS = ["< 0.05", "<= 0.05", "> 0.95", ">= 1", "== 0.3", "!= 0", "between 0.1 and 0.2", "outside -1 and 1"]

    @staticmethod
    def expected(pass_if, fail_if, value):
        # The rule as the contract states it, from the conditions' own matches and threshold.
        if fail_if is not None and fail_if.matches(value):
            return Outcome.FAIL, fail_if.threshold
        if pass_if.matches(value):
            return Outcome.PASS, pass_if.threshold
        return (Outcome.INCONCLUSIVE if fail_if is not None else Outcome.FAIL), pass_if.threshold

    def test_decide_as_the_conditions_do(self):
        rng = random.Random(16)
        values = [0.0, 0.05, 0.3, 0.1 + 0.2, 0.15, 1.0, -2.0, 0.96, math.nan, math.inf, -math.inf]
        for pass_text in self.CONDITIONS:
            for fail_text in [None, *self.CONDITIONS]:
                fields = {"pass_if": pass_text} if fail_text is None else {"pass_if": pass_text, "fail_if": fail_text}
                check = PrometheusCheck.model_validate({**BASE, **fields})
                judging = check._judging
                for value in [*values, *(rng.uniform(-2, 2) for _ in range(20))]:
                    outcome, threshold = judging.decide(value)
                    assert (outcome, threshold) == self.expected(check.pass_if, check.fail_if, value), (fields, value)
                    if isinstance(threshold, list):
                        # An interval is a list: each verdict gets its own, which no other verdict sees change.
                        assert threshold is not judging.decide(value)[1]

    @pytest.mark.parametrize("value", [0.01, 1 / 3, 123456789.0, 1e-300, -0.0, math.nan, math.inf, -math.inf])
    def test_reason_spells_a_value_far_from_its_bounds_as_format_number(self, value):
        judging = PrometheusCheck.model_validate(BASE)._judging
        for outcome in Outcome:
            assert f"value {format_number(value)} " in judging.reason(outcome, "value", value)

    @pytest.mark.parametrize(
        ("conditions", "value", "reason"),
        [
            # To 6 digits: "value 80 meets pass_if < 80".
            ({"pass_if": "< 80"}, 79.9999999, "value 79.9999999 meets pass_if < 80"),
            ({"pass_if": "< 80"}, 80.0000001, "value 80.0000001 does not meet pass_if < 80"),
            ({"pass_if": "< 80"}, 80.0, "value 80 does not meet pass_if < 80"),
            (
                {"pass_if": "between 0.1 and 0.9"},
                0.9000001,
                "value 0.9000001 does not meet pass_if between 0.1 and 0.9",
            ),
            # fail_if's bound too: "value 0.5 meets fail_if > 0.5".
            (
                {"pass_if": "< 0.1", "fail_if": "> 0.5"},
                0.50000001,
                "value 0.50000001 meets fail_if > 0.5",
            ),
            (
                {"pass_if": "< 0.1", "fail_if": "> 0.5"},
                0.49999999,
                "value 0.49999999 meets neither pass_if < 0.1 nor fail_if > 0.5",
            ),
        ],
    )
    async def test_reason_never_shows_a_value_as_a_bound_it_is_not(self, conditions, value, reason):
        check = PrometheusCheck.model_validate({**BASE, **conditions})
        verdict = await check.evaluate(_Context([value]))  # type: ignore[arg-type]
        assert verdict.reason == reason


class TestValuesRoundedOntoAZeroBound:
    """A value counted equal to a bound of 0 within float rounding still fails a strict pass_if (its noise must never
    pass `> 0`), and the reason says so and how to judge values that small."""

    @pytest.mark.parametrize(
        ("pass_if", "value"),
        [
            ("> 0", 5e-13),
            ("< 0", -5e-13),
            ("!= 0", 1e-13),
            ("outside 0 and 1", -5e-13),
            ("> 0", 1 - 0.9999999999999999),
        ],
    )
    async def test_fails_naming_the_rounding(self, pass_if, value):
        verdict = await PrometheusCheck.model_validate({**BASE, "pass_if": pass_if}).evaluate(
            _Context([value])  # type: ignore[arg-type]
        )
        assert verdict.outcome is Outcome.FAIL
        assert verdict.reason.endswith(
            "(within float rounding of 0, which counts as equal to it; to judge values this small, scale the query, "
            "e.g. * 1e6)"
        ), verdict.reason

    @pytest.mark.parametrize(
        ("pass_if", "value"),
        [
            ("> 0", -5e-13),
            ("> 0", 0.0),
            ("< 0.3", 0.1 + 0.2),
            ("< 1e-13", 9e-13),
            ("> 0.5", 0.4),
            ("< 0.3", 0.3 - 1e-12),
        ],
    )
    async def test_a_value_on_the_failing_side_or_a_relative_rounding_says_nothing_more(self, pass_if, value):
        # 0.3 - 1e-12 is a rounding of 0.3 itself: scaling the query would change nothing.
        verdict = await PrometheusCheck.model_validate({**BASE, "pass_if": pass_if}).evaluate(
            _Context([value])  # type: ignore[arg-type]
        )
        assert verdict.outcome is Outcome.FAIL
        assert "float rounding" not in verdict.reason


class TestSmallNonZeroBounds:
    """A small non-zero bound is judged relatively, as any other: a value several times it is on its side of it, and
    its reason names no rounding of 0."""

    @pytest.mark.parametrize(
        ("conditions", "value", "outcome"),
        [
            # Before: within 1e-12 (absolute) of the bound each value counted as equal to it, and each passed.
            ({"pass_if": "<= 1e-13"}, 9e-13, Outcome.FAIL),
            ({"pass_if": ">= 1e-12"}, 1e-13, Outcome.FAIL),
            ({"pass_if": "== 1e-13"}, 9e-13, Outcome.FAIL),
            ({"pass_if": "between 1e-13 and 2e-13"}, 9e-13, Outcome.FAIL),
            ({"pass_if": "< 1", "fail_if": "> 1e-13"}, 9e-13, Outcome.FAIL),
            ({"pass_if": "> -1", "fail_if": "< 1e-12"}, 5e-13, Outcome.FAIL),
            ({"pass_if": "< 1", "fail_if": "!= 1e-13"}, 9e-13, Outcome.FAIL),
            ({"pass_if": "< 1", "fail_if": "outside 1e-12 and 1"}, 5e-13, Outcome.FAIL),
            # Before: failed "(within float rounding of 1e-12, ...)", a value half the bound.
            ({"pass_if": "< 1e-12"}, 5e-13, Outcome.PASS),
            ({"pass_if": "> 1e-13"}, 9e-13, Outcome.PASS),
        ],
    )
    async def test_the_verdict(self, conditions, value, outcome):
        check = PrometheusCheck.model_validate({**BASE, **conditions})
        verdict = await check.evaluate(_Context([value]))  # type: ignore[arg-type]
        assert verdict.outcome is outcome, verdict.reason
        assert "float rounding" not in verdict.reason


class TestDetailsNameWhatJudged:
    """The evidence shows fail_if and reduce when the check sets them, and no such key when it does not."""

    async def test_fail_if_and_reduce_are_shown_when_set(self):
        check = PrometheusCheck.model_validate({**BASE, "query": "x", "fail_if": "< -1", "reduce": "max"})
        verdict = await check.evaluate(_Context([0.5, 0.7]))  # type: ignore[arg-type]
        assert verdict.outcome is Outcome.PASS
        assert (verdict.details["fail_if"], verdict.details["reduce"]) == ("< -1", "max")

    async def test_neither_is_shown_when_unset(self):
        verdict = await PrometheusCheck.model_validate({**BASE, "query": "x"}).evaluate(
            _Context([0.5])  # type: ignore[arg-type]
        )
        assert verdict.outcome is Outcome.PASS
        assert "fail_if" not in verdict.details and "reduce" not in verdict.details


class _RangeContext(_Context):
    """Answers range queries with one series holding `values`, one a minute up to the evaluation time."""

    def __init__(self, values: list[float]) -> None:
        super().__init__([])
        self.values = values
        self.source = self  # type: ignore[assignment]

    async def query_range(self, promql, start, end, step_s, timeout_s, *, encoded_promql=None):
        first = end.timestamp() - 60 * (len(self.values) - 1)
        samples = [(first + 60 * index, value) for index, value in enumerate(self.values)]
        return QueryResult(promql, "matrix", [Series({}, samples)])


class TestRangeDetails:
    """A range query's evidence names the reduction over time it judged with: the one set, else avg."""

    async def judged(self, **fields) -> Verdict:
        check = PrometheusCheck.model_validate({**BASE, "query": "x", "range": "5m", "step": "1m", **fields})
        return await check.evaluate(_RangeContext([0.1, 0.3, 0.2]))  # type: ignore[arg-type]

    async def test_the_reduction_set_is_shown(self):
        verdict = await self.judged(over_time="max")
        assert (verdict.value, verdict.details["range"]["over_time"]) == (0.3, "max")

    async def test_avg_is_shown_by_default(self):
        verdict = await self.judged()
        assert verdict.value == pytest.approx(0.2)
        assert verdict.details["range"] == {"window": "5m", "step_s": 60.0, "over_time": "avg"}


def shown(named):
    """Each variant as a reason names it, with its selectors."""
    return tuple((variant.named_so, variant.selectors) for variant in named)


class TestNamedVariants:
    """Variants a query compares are the selectors two args name under one label, or one arg names both ways; any
    other query has none."""

    def test_canary_and_stable_hashes_are_two_variants(self):
        selectors = ('x{hash="c",service="s"}', 'x{hash="s1",service="s"}', 'y{service="s"}')
        assert shown(_named_variants(selectors, ("s", "c", "s1"))) == (
            ('name "c"', ('x{hash="c",service="s"}',)),
            ('name "s1"', ('x{hash="s1",service="s"}',)),
        )

    def test_a_regex_matcher_of_a_value_names_its_variant(self):
        # A regex matches a label's whole value: `hash=~"c"` selects what `hash="c"` does.
        assert shown(_named_variants(('x{hash=~"c"}', 'x{hash="s1"}'), ("c", "s1"))) == (
            ('name "c"', ('x{hash=~"c"}',)),
            ('name "s1"', ('x{hash="s1"}',)),
        )

    def test_a_regex_writing_a_value_among_other_text_names_its_variant(self):
        # Before: none. A pod name's regex (`pod=~"app-{{ canary_hash }}-.*"`) selects the pods of that hash.
        selectors = ('x{pod=~"app-c-.*"}', 'x{pod=~"app-s1-.*"}', 'x{pod!~".*-c-.*"}')
        assert shown(_named_variants(selectors, ("c", "s1"))) == (
            ('name "c"', ('x{pod=~"app-c-.*"}',)),
            ('leave out "c"', ('x{pod!~".*-c-.*"}',)),
            ('name "s1"', ('x{pod=~"app-s1-.*"}',)),
        )

    @pytest.mark.parametrize("negated", ["!=", "!~"])
    def test_a_canary_and_every_other_pod_are_two_variants(self, negated):
        assert shown(_named_variants(('x{hash="c"}', f'x{{hash{negated}"c"}}'), ("c",))) == (
            ('name "c"', ('x{hash="c"}',)),
            ('leave out "c"', (f'x{{hash{negated}"c"}}',)),
        )

    @pytest.mark.parametrize(
        ("selectors", "values"),
        [
            # One variant: the service and its canary on every selector, or a service-wide total beside it.
            (('errors{service="s",hash="c"}', 'requests{service="s",hash="c"}'), ("s", "c")),
            (('errors{service="s",hash="c"}', 'requests{service="s"}'), ("s", "c")),
            # An arg of another label (an error code) names no variant, nor one left out by every selector.
            (('errors{hash="c",code="503"}', 'requests{hash="c"}'), ("c", "503")),
            (('errors{hash="c",code!="503"}', 'requests{hash="c",code!="503"}'), ("c", "503")),
            # A value inside a longer word of a regex, or in an equality's text, is not named.
            (('x{hash=~"c10.*"}', 'x{hash=~"ac1"}', 'x{hash="c1.*"}', 'x{hash="s"}'), ("c1", "s")),
            # An empty value is a piece of any text: only `hash=""` (or `=~""`) names it.
            (('x{hash=~"5.."}', 'x{hash="s"}'), ("", "s")),
        ],
    )
    def test_other_queries_have_none(self, selectors, values):
        assert _named_variants(selectors, values) == ()


class TestCanaryApart:
    """A declared canary's selectors are a variant apart from the rest whatever label names it; a query all or none of
    whose selectors name it has none."""

    def test_the_canary_against_the_fleet_is_two_variants(self):
        selectors = ('x{hash="c"}', 'x{service="s"}', "x")
        assert shown(_canary_apart(selectors, "c")) == (
            ('name "c"', ('x{hash="c"}',)),
            ('do not name "c"', ('x{service="s"}', "x")),
        )

    def test_a_canary_written_inside_a_regex_is_apart_from_the_fleet(self):
        # Before: none, and the fleet's series answered for a dead canary's.
        selectors = ('x{pod=~"app-c-.*"}', 'x{hash=~"c_1|c"}', "x")
        assert shown(_canary_apart(selectors, "c")) == (
            ('name "c"', ('x{pod=~"app-c-.*"}', 'x{hash=~"c_1|c"}')),
            ('do not name "c"', ("x",)),
        )

    @pytest.mark.parametrize(
        "selectors",
        [
            ('x{hash="c"}', 'y{hash=~"c"}'),
            ('x{service="s"}', "x"),
            # Leaving the canary out does not name it.
            ('x{hash!="c"}', 'x{hash!~"c"}'),
        ],
    )
    def test_all_or_none_naming_it_is_none(self, selectors):
        assert _canary_apart(selectors, "c") == ()


class TestCountedVariants:
    """A silent variant is no data unless the params declare it is not the canary (variant: canary elsewhere, or
    variant: baseline on it)."""

    named = _named_variants(('x{hash="c"}', 'x{hash="s1"}', 'x{hash!="c"}'), ("c", "s1"))

    @pytest.mark.parametrize(
        ("roles", "counted"),
        [
            # Undeclared: every variant silent counts, as before.
            ((None, ()), ['name "c"', 'leave out "c"', 'name "s1"']),
            # The canary declared: its silence alone (stable scaled to zero, the other pods gone, are judged).
            (("c", ()), ['name "c"']),
            (("c", ("s1",)), ['name "c"']),
            # The baseline declared alone: all but its own.
            ((None, ("s1",)), ['name "c"', 'leave out "c"']),
            # A canary named by no variant of the query (an arg of another label): as undeclared.
            (("z", ()), ['name "c"', 'leave out "c"', 'name "s1"']),
        ],
    )
    def test_silence_counted(self, roles, counted):
        assert [variant.named_so for variant in _counted(list(self.named), self.named, roles)] == counted


class TestPresenceOfACanaryEverySelectorNames:
    """A declared canary every selector names leaves the variants the other args name asked apart, each one's silence
    no data."""

    def test_the_variants_of_another_label_are_asked_apart(self):
        now = (('x{service="a",hash="c"}', 'x{service="b",hash="c"}'), 0.0, None)
        query, named = _presence_now(now, ("c", "a", "b"), "c")
        assert shown(named) == (('name "a"', ('x{service="a",hash="c"}',)), ('name "b"', ('x{service="b",hash="c"}',)))
        assert query.count('"analyzer_named"') == 2
        # Service a silent while b reports: no data, not b's series answering for a's.
        assert _counted([named[0]], named, ("c", ())) == [named[0]]


class TestCanaryApartShownClipped:
    """A variant's value (a declared canary's, or one args name) is shown whole in a reason up to 100 characters,
    clipped past them."""

    @pytest.mark.parametrize(("length", "shown_as"), [(100, "c" * 100), (101, "c" * 97 + "...")])
    def test_clipped_past_100_characters(self, length, shown_as):
        canary = "c" * length
        named = _canary_apart((f'x{{hash="{canary}"}}', "x"), canary)
        assert [variant.named_so for variant in named] == [f'name "{shown_as}"', f'do not name "{shown_as}"']

    @pytest.mark.parametrize(("length", "shown_as"), [(100, "c" * 100), (101, "c" * 97 + "...")])
    def test_a_variant_named_by_args_is_clipped_alike(self, length, shown_as):
        value = "c" * length
        named = _named_variants((f'x{{hash="{value}"}}', 'x{hash="s"}'), (value, "s"))
        assert [variant.named_so for variant in named] == [f'name "{shown_as}"', 'name "s"']


class TestCountedWhenStableIsLeftOut:
    """With stable declared baseline, the pods a query leaves stable out of (the canary's) are asked: their silence is
    no data, stable's is judged."""

    named = _named_variants(('x{hash="s1"}', 'x{hash!="s1"}'), ("s1",))

    def test_the_other_pods_silence_counts(self):
        assert [variant.named_so for variant in _counted(list(self.named), self.named, (None, ("s1",)))] == [
            'leave out "s1"'
        ]


class TestCountedOfACanaryApart:
    """Of a declared canary asked apart from the fleet, the canary's silence is no data and the fleet's is judged (a
    stable scaled to zero at full weight)."""

    named = _canary_apart(('x{hash="c"}', "x"), "c")

    @pytest.mark.parametrize(("silent", "counted"), [(1, []), (0, ['name "c"'])])
    def test_the_canary_alone_counts(self, silent, counted):
        roles = ("c", ())
        assert [variant.named_so for variant in _counted([self.named[silent]], self.named, roles)] == counted


class TestCountedOfACanaryOnlyLeftOut:
    """A declared canary that the query only leaves out (`hash!=`) is named by no variant: every silent variant counts,
    as undeclared."""

    named = _named_variants(('x{hash="s1"}', 'x{hash!="c"}'), ("c", "s1"))

    def test_every_silence_counts(self):
        counted = _counted(list(self.named), self.named, ("c", ()))
        assert [variant.named_so for variant in counted] == ['leave out "c"', 'name "s1"']


class TestVariantDeclared:
    """`variant` names what a label_value param's value is in a comparison; a query comparing variants without it is
    warned of."""

    params = {
        "canary_hash": {"type": "label_value", "required": True},
        "stable_hash": {"type": "label_value", "required": True},
    }
    versus = 'avg_over_time(x{hash="{{ canary_hash }}"}[1h]) - avg_over_time(x{hash="{{ stable_hash }}"}[1h])'

    def warnings(self, query, params=None):
        check = {**BASE, "params": params or self.params, "query": query, "pass_if": "< 0.01"}
        return [w for w in PrometheusCheck.model_validate(check).warnings() if "variant" in w]

    def test_a_comparison_over_a_window_without_it_is_warned_naming_the_field(self):
        (found,) = self.warnings(self.versus)
        assert found.startswith("query: it compares what params canary_hash and stable_hash name over a window"), found
        assert "dynamicStableScale after setWeight: 100" in found
        assert "params.canary_hash.variant: canary" in found

    def test_the_canary_against_every_other_pod_is_warned_too(self):
        params = {"canary_hash": self.params["canary_hash"]}
        query = 'avg_over_time(x{hash="{{ canary_hash }}"}[1h]) - avg_over_time(x{hash!="{{ canary_hash }}"}[1h])'
        (found,) = self.warnings(query, params)
        assert "what param canary_hash names and leaves out" in found

    def test_alike_examples_are_still_two_variants(self):
        example = {"type": "label_value", "required": True, "example": "c0ffee1"}
        (found,) = self.warnings(self.versus, {"canary_hash": example, "stable_hash": example})
        assert "params.canary_hash.variant: canary" in found

    @pytest.mark.parametrize("declared", [("canary_hash", "canary"), ("stable_hash", "baseline")])
    def test_declared_it_is_not_warned(self, declared):
        name, variant = declared
        params = {**self.params, name: {**self.params[name], "variant": variant}}
        assert self.warnings(self.versus, params) == []

    @pytest.mark.parametrize(
        "query",
        [
            # Within the look-back: no presence query. One variant: any of its series is asked, as before.
            'rate(x{hash="{{ canary_hash }}"}[5m]) - rate(x{hash="{{ stable_hash }}"}[5m])',
            'avg_over_time(x{hash="{{ canary_hash }}"}[1h]) - avg_over_time(y{pod="{{ stable_hash }}"}[1h])',
        ],
    )
    def test_other_queries_are_not_warned(self, query):
        assert self.warnings(query) == []

    def test_a_range_check_is_not_warned(self):
        check = {**BASE, "params": self.params, "query": self.versus, "pass_if": "< 0.01", "range": "10m"}
        assert [w for w in PrometheusCheck.model_validate(check).warnings() if "variant" in w] == []

    def test_the_canary_suggested_is_never_the_param_named_stable(self):
        # Before: params.stable_hash.variant: canary, the first param the query names, with Argo Rollouts' own word
        # for the canary's hash (podTemplateHashValue: Latest): declared so, a dead canary passes while stable reports.
        params = {"stable_hash": self.params["stable_hash"], "latest_hash": self.params["canary_hash"]}
        query = 'avg_over_time(x{hash="{{ stable_hash }}"}[1h]) - avg_over_time(x{hash="{{ latest_hash }}"}[1h])'
        (found,) = self.warnings(query, params)
        assert "params.latest_hash.variant: canary" in found, found

    def test_a_canary_suggested_is_not_guessed_from_names_that_say_nothing(self):
        params = {"a": self.params["stable_hash"], "b": self.params["canary_hash"]}
        query = 'avg_over_time(x{hash="{{ a }}"}[1h]) - avg_over_time(x{hash="{{ b }}"}[1h])'
        (found,) = self.warnings(query, params)
        assert "declare variant: canary on the param that names the canary, and" in found, found

    def test_stable_against_every_other_pod_suggests_stable_as_the_baseline(self):
        # Before: params.stable_hash.variant: canary, under which the other pods (the canary's) stopping passes.
        params = {"stable_hash": self.params["stable_hash"]}
        query = 'avg_over_time(x{hash!="{{ stable_hash }}"}[1h]) - avg_over_time(x{hash="{{ stable_hash }}"}[1h])'
        (found,) = self.warnings(query, params)
        assert "params.stable_hash.variant: baseline, and all but stable's series are asked" in found, found

    @pytest.mark.parametrize(
        ("name", "variant", "said"),
        [
            ("stable_hash", "canary", "params.stable_hash.variant: canary, but its name says it names stable"),
            ("canary_hash", "baseline", "params.canary_hash.variant: baseline, but its name says it names the canary"),
            (
                "primary_pod_hash",
                "canary",
                "params.primary_pod_hash.variant: canary, but its name says it names stable",
            ),
        ],
    )
    def test_a_declaration_its_name_contradicts_is_warned(self, name, variant, said):
        # Before: silent. Declared on the wrong side, the canary's silence is not asked: a dead canary passes.
        other = "stable_hash" if name != "stable_hash" else "canary_hash"
        params = {name: {**self.params["canary_hash"], "variant": variant}, other: self.params["stable_hash"]}
        query = f'avg_over_time(x{{hash="{{{{ {name} }}}}"}}[1h]) - avg_over_time(x{{hash="{{{{ {other} }}}}"}}[1h])'
        (found,) = self.warnings(query, params)
        assert found.startswith(said), found
        assert "a dead canary passes" in found, found

    def test_two_canaries_are_refused(self):
        params = {name: {**param, "variant": "canary"} for name, param in self.params.items()}
        assert "canary_hash and stable_hash both declare variant: canary: one param names the canary" in invalid(
            params=params, query=self.versus
        )


class TestVariantDeclaredOnANameThatSaysNothing:
    """A variant declared on a param whose name says neither side (`a`, `hash`) draws no contradiction warning."""

    @pytest.mark.parametrize("variant", ["canary", "baseline"])
    def test_not_warned(self, variant):
        params = {"a": {"type": "label_value", "required": True, "variant": variant}}
        params["b"] = {"type": "label_value", "required": True}
        query = 'avg_over_time(x{hash="{{ a }}"}[1h]) - avg_over_time(x{hash="{{ b }}"}[1h])'
        check = {**BASE, "params": params, "query": query, "pass_if": "< 0.01"}
        assert [w for w in PrometheusCheck.model_validate(check).warnings() if "variant" in w] == []


class TestVariantMisdeclaredAfterAnotherParam:
    """A contradicted declaration is warned of wherever its param stands among the params."""

    def test_a_later_param_is_warned(self):
        params = {
            "canary_hash": {"type": "label_value", "required": True},
            "stable_hash": {"type": "label_value", "required": True, "variant": "canary"},
        }
        query = 'avg_over_time(x{hash="{{ canary_hash }}"}[1h]) - avg_over_time(x{hash="{{ stable_hash }}"}[1h])'
        check = {**BASE, "params": params, "query": query, "pass_if": "< 0.01"}
        found = [w for w in PrometheusCheck.model_validate(check).warnings() if "but its name says" in w]
        assert [w.split(":", 2)[0] for w in found] == ["params.stable_hash.variant"], found


class TestReadNowOverWindows:
    """A kind's queries of one measurement need a sample now of the selectors they read over windows ending latest."""

    def test_only_the_windows_ending_latest_are_asked(self):
        # A read a day back had its series then: asking it would let a dead canary's y pass on x's day-old samples.
        queries = ['sum(increase(x{h="c"}[30m] offset 1d))', 'sum(increase(y{h="c"}[30m]))', "rate(z[5m])"]
        assert read_now_over_windows(queries) == (('y{h="c"}',), 0.0)

    def test_queries_within_the_look_back_ask_nothing(self):
        assert read_now_over_windows(["rate(z[5m])", 'sum(increase(y{h="c"}[2m]))']) is None


class TestReadsOfTheFuture:
    """A selector read only after a live evaluation time is refused, naming where its earliest read starts."""

    def test_the_earliest_read_is_named(self):
        # x offset -10m reads (now + 5m, now + 10m]: the look-back's five minutes end 10 minutes ahead.
        with pytest.raises(CheckMisconfigured) as caught:
            refuse_reads_of_the_future("x offset -10m / x offset -15m", datetime.now(UTC))
        assert "query selector x is read only after the evaluation time" in caught.value.message
        assert "(a negative offset: from 300 s after it on)" in caught.value.message

    def test_a_read_reaching_back_before_the_evaluation_time_is_judged(self):
        refuse_reads_of_the_future("x offset -10m / x offset -4m", datetime.now(UTC))

    def test_a_backtest_reads_after_its_time(self):
        refuse_reads_of_the_future("x offset -10m", datetime.fromtimestamp(datetime.now(UTC).timestamp() - 120, UTC))

    @pytest.mark.parametrize(
        "query",
        [
            # A timestamp in milliseconds (`@ 1765000000000`) reads the year 57000: no data at every evaluation,
            # which no_data: pass passed.
            "sum(x @ {ahead})",
            "sum(x) / sum(y @ {ahead})",
            "max_over_time(x[10m] @ {ahead} offset -1m)",
        ],
    )
    def test_a_read_pinned_after_now_is_refused(self, query):
        now = datetime.now(UTC)
        with pytest.raises(CheckMisconfigured) as caught:
            refuse_reads_of_the_future(query.format(ahead=f"{now.timestamp() + 3600:.3f}"), now)
        assert "is read only after the evaluation time (`@` a time after it: from " in caught.value.message
        assert "`@` a time after it is for a backtest" in caught.value.message

    @pytest.mark.parametrize("query", ["sum(x @ {soon})", "sum(x @ {ahead}) or sum(x)"])
    def test_a_pinned_read_reaching_back_before_now_is_judged(self, query):
        now = datetime.now(UTC)
        ahead, soon = f"{now.timestamp() + 3600:.3f}", f"{now.timestamp() + 200:.3f}"
        refuse_reads_of_the_future(query.format(ahead=ahead, soon=soon).replace("or sum(x)", "or sum(x @ end())"), now)

    def test_a_backtest_reads_pinned_after_its_time(self):
        at = datetime.fromtimestamp(datetime.now(UTC).timestamp() - 7200, UTC)
        refuse_reads_of_the_future(f"sum(x @ {at.timestamp() + 3600:.3f})", at)


class TestReadsPinnedInThePast:
    """A live evaluation whose every selector is pinned by `@` to a fixed past time is refused: its answer never
    changes, whatever the canary does now."""

    def test_every_read_pinned_is_an_error(self):
        now = datetime.now(UTC)
        pinned = f"{now.timestamp() - 3600:.3f}"
        with pytest.raises(CheckMisconfigured) as caught:
            refuse_reads_of_the_future(f"sum(x @ {pinned}) / sum(rate(y[5m] @ {pinned} offset 10m))", now)
        assert "every selector is read at a fixed time (`@`), the latest 3600 s before the evaluation time" in (
            caught.value.message
        )
        assert "`@` a fixed time is for a backtest" in caught.value.message

    @pytest.mark.parametrize(
        "query",
        [
            # One selector read now: a baseline pinned to the release beside the live canary.
            "sum(x @ {pinned}) - sum(x)",
            "sum(x @ end())",
            "sum(x @ start())",
            "vector(1)",
            # Its look-back reaches into the evaluation time's.
            "sum(x @ {recent})",
        ],
    )
    def test_a_read_of_now_is_judged(self, query):
        now = datetime.now(UTC)
        refuse_reads_of_the_future(
            query.format(pinned=f"{now.timestamp() - 3600:.3f}", recent=f"{now.timestamp() - 200:.3f}"), now
        )

    def test_a_backtest_may_pin_its_reads(self):
        at = datetime.fromtimestamp(datetime.now(UTC).timestamp() - 120, UTC)
        refuse_reads_of_the_future(f"sum(x @ {at.timestamp() - 3600:.3f})", at)

    @pytest.mark.parametrize(
        "query",
        [
            "max(x @ {pinned})",
            "sum(x @ {pinned}) + absent(y @ {pinned})",
            # absent() asks now whether y has series: that decides whether the query answers, not the value it
            # answers, which is still x's of an hour ago.
            "sum(x @ {pinned}) + absent(y)",
            "sum(x @ {pinned}) unless on() absent_over_time(y[10m])",
            "absent(y) or sum(x @ {pinned})",
            "sum(absent_total @ {pinned})",
        ],
    )
    def test_every_value_pinned_is_refused_whatever_absent_reads(self, query):
        now = datetime.now(UTC)
        with pytest.raises(CheckMisconfigured) as caught:
            refuse_pinned_in_the_past(query.format(pinned=f"{now.timestamp() - 3600:.3f}"), now)
        assert "every selector is read at a fixed time (`@`), the latest 3600 s before the evaluation time" in (
            caught.value.message
        )
        noted = "(an absent() in it reads no value: it decides only whether the query answers" in caught.value.message
        assert noted is ("absent(" in query or "absent_over_time(" in query)

    @pytest.mark.parametrize(
        "query",
        [
            "sum(x @ {pinned}) - sum(x)",
            "sum(x @ start())",
            "sum(x @ end())",
            "sum(x @ {recent})",
            "sum(x @ {pinned}) + sum(absent_total)",
        ],
    )
    def test_a_value_read_now_is_judged_beside_one_pinned(self, query):
        now = datetime.now(UTC)
        pinned, recent = f"{now.timestamp() - 3600:.3f}", f"{now.timestamp() - 200:.3f}"
        refuse_pinned_in_the_past(query.format(pinned=pinned, recent=recent), now)

"""The live lint's reading of PromQL selectors, analyzer.promql_names.vector_selectors (pure; the lookups are
tested against Prometheus)."""

import asyncio
import subprocess
import sys

import pytest

from analyzer.lint import (
    CheckReport,
    _quantile_group_problems,
    _rules_findings,
    _selector,
    _value_problems,
    example_args,
    format_report,
    parser_findings,
    retention_problems,
    unchecked_checks,
)
from analyzer.models import Evaluation, Outcome
from analyzer.params import Param, ParamType
from analyzer.promql_names import VectorSelector, vector_selectors
from analyzer.promql_syntax import SyntaxProblem
from checks.prometheus import PrometheusCheck


class TestSelectors:
    """The selectors of a query: metric names and label matchers, never functions, keywords or grouping labels."""

    def test_ratio_with_matchers(self):
        query = (
            'sum(rate(http_requests_total{service="checkout",code=~"5.."}[5m])) / '
            "sum(rate(http_requests_total{service='checkout'}[5m] offset 1h))"
        )
        assert vector_selectors(query) == [
            VectorSelector(("http_requests_total",), (("service", "=", "checkout"), ("code", "=~", "5.."))),
            VectorSelector(("http_requests_total",), (("service", "=", "checkout"),)),
        ]

    def test_grouping_and_matching_labels_are_not_selectors(self):
        query = (
            "histogram_quantile(0.99, sum by (le, pod) (rate(latency_bucket[5m]))) > bool on(pod) "
            "group_left(team) count without (instance) (up) and ignoring(x) max(a:recorded:rate5m) @ end()"
        )
        assert [s.names for s in vector_selectors(query)] == [("latency_bucket",), ("up",), ("a:recorded:rate5m",)]

    def test_aggregation_with_the_grouping_first(self):
        query = 'count by (le) (x_bucket{le=~"0?\\\\.5"})'
        assert vector_selectors(query) == [VectorSelector(("x_bucket",), (("le", "=~", "0?\\.5"),))]

    def test_name_matcher_with_literal_alternatives(self):
        query = '{__name__=~"a:burnrate5m|a:burnrate1h", slo="api"}'
        assert vector_selectors(query) == [VectorSelector(("a:burnrate5m", "a:burnrate1h"), (("slo", "=", "api"),))]

    def test_name_matcher_that_is_a_real_regex_names_nothing(self):
        assert vector_selectors('{__name__=~"a.*"}') == [VectorSelector((), ())]

    def test_strings_subqueries_and_numbers_are_skipped(self):
        query = (
            'label_replace(max_over_time(x[1h:5m]), "dst", "$1", "src", "(.*)") * 1e3 + 0x1f - Inf '
            "# a comment naming not_a_metric\n"
        )
        assert [s.names for s in vector_selectors(query)] == [("x",)]

    def test_what_absent_selects_is_meant_to_be_missing(self):
        query = 'absent(up{job="a"}) or absent_over_time(x[5m]) or y'
        assert [s.names for s in vector_selectors(query)] == [("y",)]

    def test_escaped_quotes_in_values(self):
        assert vector_selectors(r'x{a="say \"hi\""}') == [VectorSelector(("x",), (("a", "=", 'say "hi"'),))]

    @pytest.mark.parametrize("query", ['x{a="b"', "x ; y", "rate(x[5m)"])
    def test_unreadable_query(self, query):
        with pytest.raises(ValueError):
            vector_selectors(query)


class TestExamples:
    """A param's `example` (like its `default`) obeys the param's rules, and is what a dry run passes."""

    def test_example_breaking_the_rule_is_refused(self):
        with pytest.raises(ValueError, match="example: must match the pattern"):
            Param(type=ParamType.LABEL_VALUE, required=True, pattern="[0-9a-f]+", example="XYZ")

    def test_a_bad_default_is_named_as_the_default_not_as_an_arg(self):
        with pytest.raises(
            ValueError, match=r"default: must be a duration like 30s, 5m or 1h30m \(units .*\), got a value of 2 chara"
        ):
            Param(type=ParamType.DURATION, default="5x")

    def test_examples_then_defaults(self):
        check = PrometheusCheck(
            name="c",
            query='x{a="{{ a }}", b="{{ b }}"}',
            pass_if="< 1",
            params={
                "a": {"type": "label_value", "required": True, "example": "one"},
                "b": {"type": "label_value", "default": "two"},
            },
        )
        assert example_args(check) == ({"a": "one"}, "")

    def test_required_param_without_example(self):
        check = PrometheusCheck(
            name="c", query='x{a="{{ a }}"}', pass_if="< 1", params={"a": {"type": "label_value", "required": True}}
        )
        assert example_args(check) == ({}, "param 'a' is required and declares no `example`")


class TestRetention:
    """A query reaching further back than Prometheus keeps samples is named; within it, or unknown, nothing."""

    QUERIES = ["sum(increase(errors[30d])) / sum(increase(total[30d]))", "sum(rate(errors[5m]))"]

    def test_a_period_longer_than_the_retention(self):
        assert retention_problems(self.QUERIES, (15 * 86400, "15d")) == [
            "a query reads 30d back, but this Prometheus keeps 15d of samples (its storageRetention): what it "
            "measures covers the last 15d only; keep 30d or more, or point the source at a store that does "
            "(Thanos, Mimir)"
        ]

    @pytest.mark.parametrize("retention", [(30 * 86400, "30d"), (10 * 365 * 86400, "10y"), None])
    def test_kept_long_enough_or_unknown(self, retention):
        assert retention_problems(self.QUERIES, retention) == []

    def test_a_subquery_range_counts_and_a_placeholder_does_not(self):
        queries = ["max_over_time(rate(x[5m])[20d:1h])", "increase(x[{{ window }}])"]
        assert retention_problems(queries, (15 * 86400, "15d"))[0].startswith("a query reads 20d back")


class TestUsage:
    """`validate --prometheus` refuses what it cannot use with exit 2, before asking anything."""

    @pytest.mark.parametrize(
        ("extra", "said"),
        [
            (["--at", "2026-01-01T00:00:00Z"], "--at needs --prometheus"),
            (
                ["--prometheus", "prometheus:9090"],
                "'prometheus:9090' is not an http(s) base URL: it has no scheme; write",
            ),
            (["--prometheus", "prometheus:9090/x y"], "'prometheus:9090/x y' is not an http(s) base URL such as http"),
            (["--prometheus", "http://user:s3cret@prometheus:9090"], "'http://<redacted>@prometheus:9090' is not"),
            (["--prometheus", "http://prometheus:9090?token=s3cret"], "'http://prometheus:9090?<redacted>' is not"),
            (["--prometheus", "http://127.0.0.1:9/api/v1"], "the source adds /api/v1/query itself: give Prometheus'"),
            (["--prometheus", "http://127.0.0.1:9", "--at", "yesterday"], "--at: 'yesterday' is neither"),
            (["--ca-file", "ca.pem"], "--ca-file needs --prometheus"),
            (["--prometheus", "https://127.0.0.1:9", "--ca-file", "/nonexistent/ca.pem"], "cannot be read"),
        ],
    )
    def test_exit_2(self, tmp_path, extra, said):
        # In a process of its own: the command configures logging for the process.
        catalog = tmp_path / "catalog.yaml"
        catalog.write_text("checks: []\n")
        result = subprocess.run(
            [sys.executable, "-m", "analyzer.cli", "validate", str(catalog), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert said in result.stderr
        assert "s3cret" not in result.stderr


class TestParserFindings:
    """A query promql-parser rejects is a note only when Prometheus was asked it and answered it, if with an error
    then one it raises after parsing (an execution error)."""

    QUERY = "sum(x{a=~`\\Qb\\E`})"
    UNPARSED = SyntaxProblem("c", "catalog", "query", QUERY, "illegal regex for \\Qb\\E")

    def report(self, error: str | None, reason: str) -> CheckReport:
        verdict = Outcome.ERROR if error else Outcome.PASS
        evaluation = Evaluation.model_validate(
            {
                "check": "c",
                "kind": "prometheus",
                "verdict": verdict,
                "reason": reason,
                "error": error,
                "evaluated_at": "2026-12-05T00:00:00Z",
                "duration_ms": 1.0,
            }
        )
        return CheckReport("c", evaluation=evaluation, queries=[self.QUERY])

    @pytest.mark.parametrize(
        ("error", "reason"),
        [
            (None, "value 1 meets pass_if > 0"),
            ("source_rejected", "source 'default' rejected the query (HTTP 422 execution: too many samples)"),
            ("source_rejected", "source 'default' rejected the query (HTTP 500 execution: expanding series)"),
            ("check_misconfigured", "the query returned 2 series"),
        ],
    )
    def test_answered_is_a_note(self, error, reason):
        problems, notes = parser_findings(self.report(error, reason), self.UNPARSED)
        assert problems == []
        assert len(notes) == 1 and "but this Prometheus accepts it" in notes[0]

    def test_a_check_not_run_names_the_params_its_query_has_placeholders_for(self):
        unparsed = SyntaxProblem("c", "catalog", "query", "x(y[5m])", "unknown function with name 'x'", ("fn", "op"))
        problems, _ = parser_findings(CheckReport("c", not_run="param 'fn' is required"), unparsed)
        assert problems == [
            "query: promql-parser cannot parse it (unknown function with name 'x') and Prometheus was not asked it: "
            "x(y[5m]); params 'fn', 'op' have neither `example` nor default, so they were rendered with a "
            "placeholder, which may be what does not parse (another fails otherwise): give them an `example`"
        ]

    def test_asked_in_a_batch_of_several_queries_is_a_note(self):
        report = self.report(None, "value 1 meets pass_if > 0")
        report.queries = ["sum(y)", f"{self.QUERY} or vector(0)"]
        problems, notes = parser_findings(report, self.UNPARSED)
        assert problems == []
        assert len(notes) == 1 and "but this Prometheus accepts it" in notes[0]

    @pytest.mark.parametrize(
        ("error", "reason", "said"),
        [
            ("source_rejected", "source 'default' rejected the query (HTTP 422 422: cannot parse)", "with an error"),
            ("source_rejected", "source 'default' rejected the query (HTTP 403: forbidden)", "with an error"),
            ("source_rejected", "source 'default' rejected the query (HTTP 422 executions: x)", "with an error"),
            ("source_rejected", "source 'default' answered with a redirect (HTTP 302)", "with an error"),
            ("source_unavailable", "source 'default' is failing (HTTP 503)", "was not asked it"),
        ],
    )
    def test_refused_or_unanswered_stays_a_problem(self, error, reason, said):
        problems, notes = parser_findings(self.report(error, reason), self.UNPARSED)
        assert notes == []
        assert len(problems) == 1 and said in problems[0] and "illegal regex for \\Qb\\E" in problems[0]


class TestUnchecked:
    """A check whose dry run Prometheus did not answer in full is not checked, whether a query said so or the
    deadline cancelled it in flight; one answered, if with a verdict of error, is checked."""

    def report(self, error: str | None, reason: str, unanswered: tuple[str, ...] = ()) -> CheckReport:
        evaluation = Evaluation.model_validate(
            {
                "check": "c",
                "kind": "prometheus",
                "verdict": Outcome.ERROR if error else Outcome.PASS,
                "reason": reason,
                "error": error,
                "evaluated_at": "2026-12-05T00:00:00Z",
                "duration_ms": 1.0,
            }
        )
        return CheckReport("c", evaluation=evaluation, unanswered=list(unanswered))

    @pytest.mark.parametrize(
        ("error", "reason"),
        [
            # Before: 0 problems, exit 0. The deadline's cancellation raises no SourceUnavailable to record.
            ("deadline_exceeded", "no verdict within the 1 s deadline"),
            ("source_timeout", "Prometheus source 'default' (http://p) did not answer in time"),
            ("source_unavailable", "Prometheus source 'default' (http://p) is failing (HTTP 503)"),
        ],
    )
    def test_an_evaluation_prometheus_did_not_answer_is_not_checked(self, error, reason):
        report = self.report(error, reason)
        assert unchecked_checks([report]) == ["c"]
        assert f"not checked: Prometheus did not answer a query of the dry run ({reason})" in format_report(
            [report], "http://p", None
        )

    def test_a_recorded_reason_is_said_once(self):
        report = self.report("source_unavailable", "failing", unanswered=("failing",))
        assert format_report([report], "http://p", None).count("not checked:") == 1

    @pytest.mark.parametrize(
        ("error", "reason"),
        [
            (None, "value 1 meets pass_if < 2"),
            ("check_misconfigured", "the query returned 2 series"),
            ("source_rejected", "source 'default' rejected the query (HTTP 422 execution: too many samples)"),
        ],
    )
    def test_an_evaluation_prometheus_answered_is_checked(self, error, reason):
        report = self.report(error, reason)
        assert unchecked_checks([report]) == []
        assert "not checked" not in format_report([report], "http://p", None)


class TestSelectorOfMatchers:
    """The selector the lint asks a histogram's buckets for matches what the query's selector matched."""

    def test_values_are_quoted_again_as_promql_reads_them(self):
        (read,) = vector_selectors('x_bucket{a=~"b\\\\.c", d="é😀", "odd.name"="v", "ü😀"="w", e=`r\\w`}')
        assert (
            _selector("x_bucket", read.matchers) == 'x_bucket{a=~"b\\\\.c",d="é😀","odd.name"="v","ü😀"="w",e="r\\\\w"}'
        )

    def test_without_matchers_the_name(self):
        assert _selector("x_bucket", ()) == "x_bucket"


class TestQuantileGroups:
    """Groups of a histogram whose buckets cannot give a quantile are named, a few of them, in the right number;
    when every group or the only one cannot, the selector-level problem says it instead."""

    HOW = "groups by (service)"

    @staticmethod
    def groups(**bounds: set[str]) -> dict[tuple[tuple[str, str], ...], set[str]]:
        return {(("service", name),): found for name, found in bounds.items()}

    def test_one_group(self):
        (problem,) = _quantile_group_problems("x_bucket", self.groups(a={"+Inf"}, b={"0.5", "+Inf"}), self.HOW)
        assert problem.startswith(
            'histogram x_bucket: the group {service="a"} (1 of 2 groups by (service)) has only the +Inf bucket: a '
            "quantile over it is NaN"
        )

    def test_several_groups(self):
        groups = self.groups(a={"+Inf"}, b={"+Inf"}, c={"+Inf"}, d={"+Inf"}, e={"0.5", "+Inf"})
        (problem,) = _quantile_group_problems("x_bucket", groups, self.HOW)
        assert problem.startswith(
            'histogram x_bucket: the groups {service="a"}, {service="b"}, {service="c"} and 1 more (4 of 5 groups by '
            "(service)) have only the +Inf bucket: a quantile over each is NaN"
        )

    @pytest.mark.parametrize("groups", [{"a": {"+Inf"}}, {"a": {"+Inf"}, "b": {"+Inf"}}, {"a": {"0.5"}, "b": {"1"}}])
    def test_left_to_the_selector_level_check(self, groups):
        assert _quantile_group_problems("x_bucket", self.groups(**groups), self.HOW) == []


class TestRegexWrittenAfterEquality:
    """A value written after `=` that reads as a regex and matches values the label has names the first ten of them,
    then `...`."""

    class Catalog:
        """Label code of every metric holds 500 to 511."""

        def values(self, label: str, name: str) -> list[str]:
            return [str(code) for code in range(500, 512)]

    def test_the_first_ten_values_matched(self):
        [problem] = _value_problems("http_requests_total", "code", "5..", self.Catalog())  # type: ignore[arg-type]
        shown = ", ".join(f'"{code}"' for code in range(500, 510))
        assert f'as a regex it would match {shown}, ...: did you mean code=~"5.."?' in problem

    def test_a_regex_nested_deeper_than_pythons_parser_recurses_is_no_crash(self):
        # RE2 takes 1000 nested groups; re's parser recursed once per group, and the lint crashed.
        nested = "(?:" * 600 + "5.." + ")" * 600
        [problem] = _value_problems("http_requests_total", "code", nested, self.Catalog())  # type: ignore[arg-type]
        assert "which compares for equality; as a regex it would match" in problem


class TestRulesFindings:
    """What the dry run's reading of the rules API told, as the lint says it."""

    def report(self, details: dict) -> CheckReport:
        evaluation = Evaluation.model_validate(
            {
                "check": "c",
                "kind": "error_budget",
                "verdict": Outcome.PASS,
                "reason": "r",
                "evaluated_at": "2026-12-05T00:00:00Z",
                "duration_ms": 1.0,
                "details": details,
            }
        )
        return CheckReport("c", evaluation=evaluation)

    def test_what_the_series_could_not_tell_is_not_said_of_the_rules_api(self):
        # The rules API listed these rules: the query of their raw series, or of the ratio rules' sides, could not
        # tell. The service says so ("the query of the rules' raw series did not tell", "the ratio rules' sides did
        # not tell"); the lint must not say "the rules API did not tell" of them.
        blind = 'the query of slo:sli_error:ratio_rate5m{sloth_id="a"}\'s raw series failed: timed out'
        sides = "the total side of recording rule slo:sli_error:ratio_rate1h counts no traffic at this source"
        listing = "the rules could not be listed: no rules API"
        problems, notes = _rules_findings(
            self.report(
                {
                    "rules_read": {"5m": {"unread": blind}},
                    "rules_divided": {"checked": [], "unread": {"1h": sides, "5m": listing}},
                }
            )
        )
        assert problems == []
        assert notes == [f"not checked: {blind}", f"not checked: {sides}", f"not checked: {listing}"], notes

    def test_a_composites_members_rules_are_said_with_their_name(self):
        # Before: nothing, though each member's pass read the rules API (a composite's details hold them).
        unlisted = 'the rules API lists no recording rule slo:sli_error:ratio_rate5m{sloth_id="a"}'
        member = {"rules_divided": {"checked": [], "unread": {"5m": unlisted}}}
        sparse = {"rules_read": {"5m": {"single_sample_series": 1}}, "windows": [{"window": "5m", "note": "no data"}]}
        nested = {"members": [{"check": "inner", "details": sparse}]}
        report = self.report({"members": [{"check": "eb", "details": member}, {"check": "both", "details": nested}]})
        problems, notes = _rules_findings(report)
        assert problems == [
            "member both: member inner: its 5m window's recording rule cannot count every error: no data"
        ]
        assert notes == [
            f"member eb: {unlisted}, which the check reads: what it records is not checked (its raw series scraped too "
            "seldom, its division) unless its rule group (Sloth, Pyrra) is listed where the lint asks"
        ]


class TestRulesListedOnce:
    """The dry run's rules API: slow is not stalled."""

    def source(self):
        from analyzer.lint import _RecordingSource
        from analyzer.sources import PrometheusSourceConfig

        source = _RecordingSource("default", PrometheusSourceConfig(url="http://127.0.0.1:9"))
        source.sent, source.unanswered, source.refused, source.answered = [], [], [], []
        source.rejected, source.stalled = [], []
        return source

    async def test_a_listing_answered_within_the_source_timeout_is_the_checks(self, monkeypatch):
        # The check gives up at half its deadline; the listing, asked with the source's whole timeout, answers after:
        # a slow rules API, not a stalled one. Before: exit 5 "did not answer within ... s", and every later check of
        # the source "not asked again" though the listing had answered.
        from analyzer.sources import PrometheusSource, RulesListed

        listed = RulesListed(())

        async def slow(self, timeout_s):
            for _ in range(5):  # answers some loop turns after the caller's time ran out (a timeout of 0)
                await asyncio.sleep(0)
            return listed

        monkeypatch.setattr(PrometheusSource, "_list_rules", slow)
        source = self.source()
        assert await source.recording_rules(0) is listed
        assert source.unanswered == [] and source.rules_stalled == ""

    async def test_a_listing_that_timed_out_is_stalled_and_not_asked_again(self, monkeypatch):
        from analyzer.errors import SourceTimeout
        from analyzer.sources import PrometheusSource

        asked = []

        async def stalled(self, timeout_s):
            asked.append(timeout_s)
            raise SourceTimeout("ReadTimeout")

        monkeypatch.setattr(PrometheusSource, "_list_rules", stalled)
        source = self.source()
        for _ in range(2):
            with pytest.raises(SourceTimeout):
                await source.recording_rules(1)
        assert len(asked) == 1 and len(source.unanswered) == 1, (asked, source.unanswered)
        assert "rules API did not answer within 1 s" in source.unanswered[0]

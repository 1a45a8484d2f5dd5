"""`analyzer validate`'s offline PromQL parse (analyzer.promql_syntax) with the real promql-parser: every query
each built-in kind sends, rendered with values that keep its syntax; never at catalog load."""

from __future__ import annotations

import time

import pytest

from analyzer.catalog import build_catalog
from analyzer.promql_syntax import parse_error, parsing_words, raw_strings_quoted, sample_args, syntax_problems
from analyzer.registry import Registry
from checks.prometheus import PrometheusCheck
from tests.gatecatalog import gate_catalog

SOURCES = {"default": {"url": "http://prometheus:9090"}}
# What the offline parse says of `[5mm]`: the parser's refusal, and PromQL's units.
REFUSED_5MM = (
    "bad number or duration syntax: 5mm; '5mm' is no PromQL duration: its units are ms, s, m, h, d, w, y, lower case, "
    "from the largest to the smallest (minutes are m, not min)"
)
CANARY = {"canary_hash": {"type": "label_value", "required": True, "example": "c0ffee1"}}


def catalog(*checks: dict):
    return build_catalog([("catalog.yaml", {"sources": SOURCES, "checks": list(checks)})], Registry.default())


def prometheus_check(query: str, **fields) -> dict:
    return {"name": "q", "kind": "prometheus", "query": query, "pass_if": "< 1", **fields}


def problems(*checks: dict) -> list[str]:
    return [str(problem) for problem in syntax_problems(catalog(*checks))]


def ratio_check(errors: str, total: str = "sum(rate(http_requests_total[{{ window }}]))") -> dict:
    return {
        "name": "budget",
        "kind": "error_budget",
        "objective": 99.9,
        "period": "30d",
        "ratio": {"errors": errors, "total": total},
    }


def kpi_check(canary, baseline, **fields) -> dict:
    return {
        "name": "kpi",
        "kind": "kpi_compare",
        "direction": "lower_is_better",
        "max_relative_change": 0.1,
        "canary": canary,
        "baseline": baseline,
        **fields,
    }


class TestTooDeepForTheParser:
    """A query past promql_size_problem's limits never reaches promql-parser, whose stack it would overflow."""

    def test_a_query_nested_past_the_parsers_stack_is_refused_by_name(self):
        # 3,000 levels of `1 - (` killed this process (SIGSEGV) inside the parser.
        assert parse_error("1 - (" * 3000 + "up" + ")" * 3000) == "the query nests 3000 levels of brackets; at most 200"

    def test_an_operator_chain_past_the_parsers_stack_is_refused_by_name(self):
        assert parse_error(" or ".join(["up"] * 10_000)) == "the query has 9999 operators; at most 400"

    def test_a_query_at_the_limits_is_parsed(self):
        assert parse_error("1 - (" * 200 + "up" + ")" * 200) is None
        assert parse_error(" + ".join(["up"] * 201)) is None


class TestSampleArgs:
    """Each param gets its example, else its default, else a placeholder that fits where its type may stand."""

    def test_example_then_default_then_a_placeholder_of_each_type(self):
        check = PrometheusCheck.model_validate(
            {
                **prometheus_check("x"),
                "params": {
                    "both": {"type": "duration", "default": "1h", "example": "10m"},
                    "default": {"type": "number", "default": 3},
                    "label": {"type": "label_value", "required": True},
                    "name": {"type": "identifier", "required": True},
                    "window": {"type": "duration", "required": True},
                    "floor": {"type": "number", "required": True, "minimum": -2},
                    "above": {"type": "number", "required": True, "minimum": 2},
                    "fraction": {"type": "number", "required": True, "minimum": 0, "maximum": 0.5},
                    "ceiling": {"type": "number", "required": True, "maximum": 0.5},
                    "plain": {"type": "number", "required": True},
                    "op": {"type": "enum", "required": True, "values": ["max", "min"]},
                },
            }
        )
        assert sample_args(check) == {
            "both": "10m",
            "default": 3.0,
            "label": "x",
            "name": "x",
            "window": "5m",
            # 1 where the range allows it (a 0 is no duration), else the bound nearest to it.
            "floor": 1.0,
            "above": 2.0,
            "fraction": 0.5,
            "ceiling": 0.5,
            "plain": 1.0,
            "op": "max",
        }


class TestParsingWords:
    """An identifier param without example standing as a word (an operator) is given one under which every query
    parses; a name, label or value keeps its placeholder, so a query never reads another metric than its own."""

    IDENTIFIER = {"type": "identifier", "required": True}

    def words(self, query: str, names: tuple[str, ...]) -> dict:
        params = {name: self.IDENTIFIER for name in names}
        check = PrometheusCheck.model_validate(
            {"name": "q", "kind": "prometheus", "params": params, "query": query, "pass_if": "< 1"}
        )
        return parsing_words(check, sample_args(check))

    @pytest.mark.parametrize("names", [("m", "op"), ("op", "m")])
    def test_a_metric_param_keeps_its_placeholder_beside_an_operator(self, names):
        # Not a word (`sum(rate(by[5m])) or vector(0)`): the metric read is the placeholder's, which no series has.
        assert self.words("sum(rate({{ m }}[5m])) {{ op }} vector(0)", names) == {"m": "x", "op": "or"}

    def test_params_in_strings_and_names_are_not_tried(self):
        # Only `op` stands as a word: three others in a name and in values leave it within the three params tried.
        query = 'sum(rate(http_{{ a }}_total{x="{{ b }}", y="{{ c }}"}[5m])) {{ op }} vector(0)'
        assert self.words(query, ("a", "b", "c", "op")) == {"a": "x", "b": "x", "c": "x", "op": "or"}

    def test_more_than_three_words_are_not_tried(self):
        # 9 ** 4 parses: the query stays as given, the offline parse's finding.
        query = "a {{ o1 }} b {{ o2 }} c {{ o3 }} d {{ o4 }} vector(0)"
        assert self.words(query, ("o1", "o2", "o3", "o4")) == dict.fromkeys(("o1", "o2", "o3", "o4"), "x")

    def test_a_query_that_parses_is_rendered_as_given(self):
        assert self.words('sum(rate(x_total{job="{{ j }}"}[5m]))', ("j",)) == {"j": "x"}


class TestPrometheusKind:
    """A `prometheus` check's query: the mistakes Prometheus would refuse, named with the parser's reason."""

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            (
                "sum(rate(http_requests_total[5m])",
                "unclosed left parenthesis; the '(' of 'sum(' is closed by no ')'",
            ),
            ("sum(rat(http_requests_total[5m]))", "unknown function with name 'rat'; did you mean 'rate'?"),
            ("sum(rate(http_requests_total[5mm]))", REFUSED_5MM),
            (
                "sum(rate(http_requests_total[5m]))}",
                "unexpected right brace '}'; the '}' of 'rate(http_requests_total[5m]))}' closes no bracket",
            ),
            ("rate(http_requests_total)", "expected type matrix in call to function 'rate', got vector"),
        ],
    )
    def test_a_query_that_does_not_parse(self, query, message):
        assert problems(prometheus_check(query)) == [
            f"catalog.yaml: check 'q': query: the PromQL does not parse ({message}): {query}"
        ]

    def test_a_secret_example_is_not_shown(self):
        # The query was quoted rendered with the example: a secret param's (a real key) in `analyzer validate`'s output.
        params = {"key": {"type": "label_value", "required": True, "secret": True, "example": 'k3y"s3cr3t'}}
        query = 'sum(rate(http_requests_total{key="{{ key }}"}[5m])'
        assert problems(prometheus_check(query, params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unclosed left parenthesis; the '(' of 'sum(' "
            "is closed by no ')'): "
            'sum(rate(http_requests_total{key="<redacted>"}[5m])'
        ]

    def test_a_secret_example_the_parser_quotes_is_not_shown(self):
        # The parser quotes a regex it cannot compile: the message is scrubbed as the query is.
        params = {"key": {"type": "label_value", "required": True, "secret": True, "example": "k3y-s3cr3t"}}
        query = 'sum(rate(http_requests_total{key=~"{{ key }}("}[5m]))'
        assert problems(prometheus_check(query, params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (illegal regex for <redacted>(): "
            'sum(rate(http_requests_total{key=~"<redacted>("}[5m]))'
        ]

    def test_the_query_is_rendered_with_the_example_and_shown_on_one_line(self):
        query = 'sum(rate(\n  http_requests_total{hash="{{ canary_hash }}"}[5m])\n'
        assert problems(prometheus_check(query, params=CANARY)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unclosed left parenthesis; the '(' of 'sum(' "
            "is closed by no ')'): "
            'sum(rate( http_requests_total{hash="c0ffee1"}[5m])'
        ]

    def test_placeholders_keep_the_syntax(self):
        # No example, no default: a placeholder of each type stands where that type may, and the query parses.
        query = (
            'histogram_quantile({{ q }}, sum by (le) (rate({{ metric }}_bucket{hash=~"{{ canary_hash }}"}'
            "[{{ window }}] offset {{ window }}))) > {{ floor }}"
        )
        params = {
            "q": {"type": "number", "required": True, "minimum": 0, "maximum": 1},
            "metric": {"type": "identifier", "required": True},
            "canary_hash": {"type": "label_value", "required": True, "pattern": "[0-9a-f]{7}"},
            "window": {"type": "duration", "required": True},
            "floor": {"type": "number", "required": True, "minimum": -5},
        }
        assert problems(prometheus_check(query, params=params)) == []

    def test_a_number_placeholder_is_no_zero_where_its_range_allows(self):
        # `offset 0m` and `[0m]` do not parse; a number of minimum 0 renders 1 there, and 1 fits [0, 1] elsewhere.
        query = "quantile({{ q }}, rate(http_requests_total[{{ n }}m] offset {{ n }}m))"
        params = {
            "n": {"type": "number", "required": True, "minimum": 0},
            "q": {"type": "number", "required": True, "minimum": 0, "maximum": 1},
        }
        assert problems(prometheus_check(query, params=params)) == []

    def test_a_placeholder_that_does_not_parse_names_its_params(self):
        # An identifier as the name of a function given a range and a number renders `x(...)`, which no other word
        # tried parses either: the finding says it may be the placeholder, not the query.
        query = '{{ fn }}(http_requests_total{hash="{{ canary_hash }}"}[{{ window }}], 2)'
        params = {
            **CANARY,
            "fn": {"type": "identifier", "required": True},
            "window": {"type": "duration", "required": True},
        }
        assert problems(prometheus_check(query, params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unknown function with name 'x'): "
            "x(http_requests_total{hash=\"c0ffee1\"}[5m], 2); param 'fn' has neither `example` nor default, so it "
            "was rendered with a placeholder, which may be what does not parse (another fails otherwise): give it an "
            "`example`"
        ]
        params["fn"]["example"] = "predict_linear"
        assert problems(prometheus_check(query, params=params)) == []

    @pytest.mark.parametrize(
        "query",
        [
            # Before: "does not parse" (`x` and `y` fail alike), though `run` runs it given op=or (exit 6 on a
            # catalog whose check works).
            "(sum(rate(http_requests_total[5m]))) {{ op }} on() vector(1)",
            "sum(rate(http_requests_total[5m])) {{ op }} sum(rate(http_requests_total[1h]))",
            '{{ fn }}(http_requests_total{hash="{{ canary_hash }}"}[5m])',
            "sum {{ grouping }} (pod) (rate(http_requests_total[5m]))",
            "{{ agg }}(rate({{ metric }}[5m])) {{ op }} on() vector(0)",
        ],
    )
    def test_an_identifier_without_example_that_another_word_makes_parse_is_no_finding(self, query):
        params = {
            name: {"type": "identifier", "required": True}
            for name in ("op", "fn", "grouping", "agg", "metric")
            if "{{ " + name + " }}" in query
        }
        params |= CANARY if "canary_hash" in query else {}
        assert problems(prometheus_check(query, params=params)) == []

    def test_a_query_no_identifier_word_makes_parse_is_a_finding(self):
        # Unclosed whatever the identifier is: the query, not the placeholder, is at fault.
        query = "(sum(rate(http_requests_total[5m])) {{ op }} on() vector(1)"
        params = {"op": {"type": "identifier", "required": True}}
        assert problems(prometheus_check(query, params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unclosed left parenthesis; the '(' of "
            "'(' is closed by no ')'): (sum(rate(http_requests_total[5m])) x on() vector(1)"
        ]

    def test_a_word_must_make_every_query_of_the_check_parse(self):
        # `or` makes the canary parse, `by` the baseline, no one word both: `run` sends one broken whatever op is.
        # Before: no finding (each query was excused by a word of its own).
        check = kpi_check(
            "sum(rate(http_requests_total[5m])) {{ op }} on() vector(0)",
            "sum {{ op }} (pod) (rate(http_requests_total[5m]))",
            params={"op": {"type": "identifier", "required": True}},
        )
        assert problems(check) == [
            "catalog.yaml: check 'kpi': canary: the PromQL does not parse (invalid promql query): "
            "sum(rate(http_requests_total[5m])) x on() vector(0)"
        ]
        # One word, `or`, for both: no finding.
        check["baseline"] = "sum(rate(http_requests_total[1h])) {{ op }} on() vector(0)"
        assert problems(check) == []

    @pytest.mark.parametrize(
        "term",
        [
            # Within a label's value, or within a longer name: no word there changes what parses.
            'rate(http_requests_total{{job="j{n}",a="{{{{ a }}}}",b="{{{{ b }}}}",c="{{{{ c }}}}"}}[5m])',
            "rate(m{n}_{{{{ a }}}}_{{{{ b }}}}_{{{{ c }}}}_total[5m])",
        ],
    )
    def test_identifiers_not_standing_as_words_are_not_tried_as_other_words(self, term):
        # A big broken query is said at once. Before: each of 9 ** 3 words tried (about 20 to 70 s for these
        # queries, minutes for 32 KB).
        terms = (term.format(n=n) for n in range(300))
        params = {name: {"type": "identifier", "required": True} for name in "abc"}
        check = catalog(prometheus_check("sum(" + " + ".join(terms) + " +)", params=params))
        started = time.monotonic()
        (found,) = syntax_problems(check)
        assert time.monotonic() - started < 5
        assert found.field == "query"

    def test_a_placeholder_the_query_fails_with_and_without_is_not_named(self):
        query = 'sum(rat(http_requests_total{hash="{{ canary_hash }}"}[{{ window }}]))'
        params = {
            "canary_hash": {"type": "label_value", "required": True},
            "window": {"type": "duration", "required": True},
        }
        assert problems(prometheus_check(query, params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unknown function with name 'rat'; did you "
            "mean 'rate'?): sum(rat(http_requests_total{hash=\"x\"}[5m]))"
        ]

    def test_backtick_strings_hold_no_escapes(self):
        # Prometheus reads `\d` as the two characters; promql-parser alone would refuse the escape.
        query = "sum(rate(http_requests_total{code=~`5\\d\\d`, path=`C:\\x`}[5m])) > {{ n }}"
        assert parse_error("x{code=~`5\\d\\d`}") is None
        assert problems(prometheus_check(query, params={"n": {"type": "number", "default": 1.5}})) == []
        # A number in a backtick regex is regex-quoted: 1\.5.
        quoted = prometheus_check("x{v=~`{{ n }}`}", params={"n": {"type": "number", "default": 1.5}})
        assert catalog(quoted).checks["q"].promql({"n": 1.5}) == [("query", "x{v=~`1\\.5`}")]
        assert problems(quoted) == []

    @pytest.mark.parametrize(
        ("query", "meant"),
        [("summ(x)", "sum"), ("histogram_quantle(0.9, x)", "histogram_quantile"), ("irat(x[5m])", "irate")],
    )
    def test_an_unknown_function_names_the_closest(self, query, meant):
        assert parse_error(query).endswith(f"; did you mean {meant!r}?")

    @pytest.mark.parametrize(
        ("query", "written", "meant"),
        [
            ("sum(rate(x[5min]))", "5min", "5m"),
            ("rate(x[5 m])", "5 m", "5m"),
            ("rate(x[1hr])", "1hr", "1h"),
            ("rate(x[30days])", "30days", "30d"),
            ("rate(x[1h30min])", "1h30min", "1h30m"),
            ("rate(x[2D])", "2D", "2d"),
            ("max_over_time(rate(x[5m])[1h:1min])", "1min", "1m"),
            ("x offset 5mins", "5mins", "5m"),
            # The duration written in a label value or a comment is not the one refused.
            ('rate(x{window="[5min]"}[1hr]) # [10min]', "1hr", "1h"),
            # Before the refused one: a comment, an escaped quote in a string, a backslash ending a raw string.
            ("# over [10min]\nrate(x[1hr])", "1hr", "1h"),
            ('rate(x{a="\\"[5min]"}[1hr])', "1hr", "1h"),
            ('rate(x{a=`\\`}[1hr]) + y{b="[5min]"}', "1hr", "1h"),
            ("x offset -5mins", "5mins", "5m"),
        ],
    )
    def test_a_duration_in_other_units_names_the_one_to_write(self, query, written, meant):
        assert parse_error(query).endswith(
            f"; {written!r} is no PromQL duration: its units are ms, s, m, h, d, w, y, lower case, from the largest to "
            f"the smallest (minutes are m, not min): write {meant}"
        )

    @pytest.mark.parametrize("query", ["rate(x[5m] offset)", "rate(x[0s])"])
    def test_a_duration_refused_for_another_reason_gets_no_hint(self, query):
        # `[0s]` is written in PromQL's units; the parser refuses it as no range, which the hint would misname.
        assert parse_error(query) is not None
        assert "no PromQL duration" not in parse_error(query)

    @pytest.mark.parametrize(
        ("query", "hint"),
        [
            # A `}` left out: the parser names the `[` it stopped at, not the brace that is missing.
            (
                'sum(rate(x{job="api"[5m]))',
                "; the '{' of 'sum(rate(x{' is closed by no '}' before the ')' of 'sum(rate(x{job=\"api\"[5m])'",
            ),
            ("sum(rate(x[5m])", "; the '(' of 'sum(' is closed by no ')'"),
            # A name is shown from its start, across its underscores.
            (
                'histogram_quantile(0.9, rate(http_request_duration_seconds_bucket{le="1"[5m]))',
                "; the '{' of 'http_request_duration_seconds_bucket{' is closed by no '}' before the ')' of "
                "'http_request_duration_seconds_bucket{le=\"1\"[5m])'",
            ),
            ("sum(rate(x[5m])))", "; the ')' of 'sum(rate(x[5m])))' closes no bracket"),
            ("sum(rate(x[5m)))", "; the '[' of 'sum(rate(x[' is closed by no ']' before the ')' of 'sum(rate(x[5m)'"),
            # A string's whole is quoted, not its end (a secret arg is hidden only where it is shown whole).
            (
                'sum(rate(x{token="abcdefghijklmnopqrstuvwxyz0123456789"[5m]))',
                "; the '{' of 'sum(rate(x{' is closed by no '}' before the ')' of "
                "'\"abcdefghijklmnopqrstuvwxyz0123456789\"[5m])'",
            ),
        ],
    )
    def test_brackets_that_do_not_pair_name_the_one_left_open(self, query, hint):
        assert parse_error(query).endswith(hint), parse_error(query)

    def test_of_brackets_left_open_the_innermost_is_named(self):
        # Two `)` left out: the bracket named is the last opened, nearest where the query ends.
        assert parse_error("sum(rate(x[5m]").endswith("; the '(' of 'sum(rate(' is closed by no ')'")

    def test_a_line_break_before_a_bracket_is_shown_as_a_space(self):
        query = 'sum(rate(\n    x{job="api"}[5m])\n  )\n)'
        assert parse_error(query).endswith("; the ')' of 'rate( x{job=\"api\"}[5m]) ) )' closes no bracket")

    def test_a_secret_arg_with_a_double_space_is_hidden(self):
        # Before: the hint quoted the string with its whitespace collapsed ("k3y s3cr3t-value"), which no scrub of
        # the secret's value finds: the query showed <redacted>, the hint the secret.
        params = {"key": {"type": "label_value", "required": True, "secret": True, "example": "k3y  s3cr3t-value"}}
        assert problems(prometheus_check('sum(rate(x{key="{{ key }}"[5m]))', params=params)) == [
            "catalog.yaml: check 'q': query: the PromQL does not parse (unexpected character inside braces: '['; the "
            "'{' of 'sum(rate(x{' is closed by no '}' before the ')' of 'x{key=\"<redacted>\"[5m])'): "
            'sum(rate(x{key="<redacted>"[5m]))'
        ]

    def test_a_long_string_before_a_bracket_is_not_quoted_whole(self):
        # Before: a regex of 5000 alternatives was quoted whole in the hint (10 KB on one line of validate's
        # output, where the query itself is clipped); a long string is shown as "...", none of its text shown.
        query = 'up{job=~"' + "a|" * 5000 + 'b")'
        assert parse_error(query) == (
            "unexpected character inside braces: ')'; the '{' of 'up{' is closed by no '}' before the ')' of '\"...\")'"
        )

    @pytest.mark.parametrize(
        "query", ['sum(x{a="({["}) +', "sum(x) + # a ( left in a comment", 'sum(x{a=~"[a-z]{2"}) +', "sum(x) +"]
    )
    def test_brackets_in_strings_and_comments_or_a_query_whose_brackets_pair_get_no_hint(self, query):
        # Each fails to parse for another reason (a `+` without its right side): before, the first two parsed, and
        # the test could not fail.
        assert parse_error(query) == "invalid promql query"

    def test_a_function_prometheus_2_has_and_the_parser_dropped(self):
        # holt_winters: Prometheus 3 renamed it, promql-parser follows, the Prometheus 2 the tests ship has it.
        assert problems(prometheus_check("holt_winters(http_requests_total[1h], 0.5, 0.5)")) == []

    def test_skip_promql_parse_lets_the_check_through(self):
        query = 'sum(rate(http_requests_total{path=~"\\\\Q/a.b\\\\E"}[5m]))'
        assert problems(prometheus_check(query))  # Go's \Q...\E, which the parser's regex engine lacks
        assert problems(prometheus_check(query, skip_promql_parse=True)) == []


class TestErrorBudgetKind:
    """An error_budget check's SLI fields are parsed as rendered (window in), then the queries it builds."""

    def test_a_broken_ratio_field_is_named_once(self):
        found = syntax_problems(catalog(ratio_check("sum(rate(http_requests_total{code=~'5..'}[{{ window }}])")))
        assert [(p.check, p.field, p.message) for p in found] == [
            (
                "budget",
                "ratio: its errors query over 1h",
                "unclosed left parenthesis; the '(' of 'sum(' is closed by no ')'",
            )
        ]
        assert found[0].query == "sum(rate(http_requests_total{code=~'5..'}[1h])"

    def test_a_broken_sloth_total_query(self):
        check = {
            "name": "budget",
            "kind": "error_budget",
            "objective": 99.9,
            "period": "30d",
            "sloth": {"sloth_id": "api-availability", "total_query": "sum(rat(http_requests_total[{{ window }}]))"},
        }
        found = syntax_problems(catalog(check))
        assert [(p.field, p.message) for p in found] == [
            ("sloth: its total query over 1h", "unknown function with name 'rat'; did you mean 'rate'?")
        ]

    @pytest.mark.parametrize(
        "sli",
        [
            {"ratio": ratio_check('sum(rate(http_requests_total{code=~"5.."}[{{ window }}]))')["ratio"]},
            {"latency": {"metric": "http_request_duration_seconds", "threshold_s": 0.3, "selectors": 'job="api"'}},
            {"pyrra": {"slo": "api", "total": 'http_requests_total{job="api"}', "errors": "http_errors_total"}},
            {"sloth": {"service": "api", "slo": "availability", "total_query": "sum(rate(x[{{ window }}]))"}},
        ],
        ids=["ratio", "latency", "pyrra", "sloth"],
    )
    def test_every_query_of_every_sli_parses(self, sli):
        check = {"name": "budget", "kind": "error_budget", "objective": 99.9, "period": "28d", **sli}
        built = catalog(check).checks["budget"]
        sent = built.promql({})
        # The SLI's queries, then the batches it sends (latency: and its bucket listing).
        assert any(field.startswith("the query it sends") for field, _ in sent)
        assert all(parse_error(query) is None for _, query in sent), sent


class TestKpiCompareKind:
    """A kpi_compare check's variant queries (a string or its fields), then the presence query it builds."""

    def test_a_broken_baseline(self):
        found = syntax_problems(
            catalog(kpi_check("sum(rate(x{v='c'}[{{ lookback }}]))", "sum(rate(x{v='b'}[{{ lookback }}]) +"))
        )
        assert [(p.field, p.message, p.query) for p in found] == [
            (
                "baseline",
                "unclosed left parenthesis; the '(' of 'sum(' is closed by no ')'",
                "sum(rate(x{v='b'}[10m]) +",
            )
        ]

    def test_a_broken_field_of_proportion_queries(self):
        canary = {"success": "sum(increase(ok{v='c'}[{{ lookback }}]))", "total": "sum(increase(all{v='c'}[5mm]))"}
        baseline = {"success": "sum(increase(ok{v='b'}[10m]))", "total": "sum(increase(all{v='b'}[10m]))"}
        found = syntax_problems(catalog(kpi_check(canary, baseline, method="proportion")))
        assert [(p.field, p.message) for p in found] == [("canary.total", REFUSED_5MM)]

    def test_every_query_parses_with_the_presence_query_last(self):
        built = catalog(kpi_check("sum(rate(x{v='c'}[{{ lookback }}]))", "sum(rate(y{v='b'}[5m]))")).checks["kpi"]
        sent = built.promql({})
        assert [field for field, _ in sent] == [
            "canary",
            "baseline",
            "the presence query for the canary's series read over windows",
            "the presence query built from their metric names",
        ]
        assert all(parse_error(query) is None for _, query in sent), sent


class TestNanProbeShown:
    """The probe a pass sends for a hidden NaN is among the queries a check says it sends, and parses."""

    def test_a_prometheus_check_shows_its_probe_after_its_query(self):
        # Before: the query alone, and `analyzer validate` parsed none of the probe a pass sends.
        sent = catalog(prometheus_check("max(x) - min(y)")).checks["q"].promql({})
        assert [field for field, _ in sent] == [
            "query",
            "the probe for elements max() or min() leaves out (sent on a pass)",
        ]
        assert all(parse_error(query) is None for _, query in sent), sent

    def test_a_query_without_such_an_aggregation_sends_none(self):
        assert catalog(prometheus_check("sum(x)")).checks["q"].promql({}) == [("query", "sum(x)")]

    def test_a_prometheus_check_shows_its_presence_query_for_a_window_read_now(self):
        sent = catalog(prometheus_check("avg_over_time(x[10m]) / avg_over_time(y[5m])")).checks["q"].promql({})
        assert sent[1:] == [("the presence query for the series it reads over a window (sent on a pass)", "count(x)")]
        assert parse_error(sent[1][1]) is None

    asking_now = "the presence query for the series it reads over a window (sent on a pass)"

    @pytest.mark.parametrize(
        ("query", "pass_if", "asked"),
        [
            # Each step of a subquery reads its own window: x 10 minutes back.
            ("avg_over_time(rate(x[5m])[5m:1m])", "< 1", "count(x)"),
            ("avg_over_time(x[1h] offset -1m)", "< 1", "count(x)"),
            # A fallback that does not pass: its selector is asked too.
            ("sum(avg_over_time(x[1h])) or on() vector(1)", "< 0.5", "count(x)"),
            # One no condition judges (NaN is no value, an infinity never passes): asked too.
            ("sum(avg_over_time(x[1h])) or on() vector(NaN)", "< 0.5", "count(x)"),
            ("sum(avg_over_time(x[1h])) or on() vector(+Inf)", "> 0", "count(x)"),
            ('avg_over_time({__name__=~"\\\\Qx\\\\E"}[1h])', "< 1", 'count({__name__=~"\\\\Qx\\\\E"})'),
            # A Go-only regex beside a name regex of four characters: both blanked, the name's to a non-empty match.
            (
                'avg_over_time({__name__=~"y.", path=~"\\\\Qa\\\\E"}[1h])',
                "< 1",
                'count({__name__=~"y.", path=~"\\\\Qa\\\\E"})',
            ),
            # A positive offset: asked where the window ends; a read further back beside it is not asked.
            ("avg_over_time(x[1h] offset 1d)", "< 1", "count(x offset 86400s)"),
            ("avg_over_time((x offset 1500ms)[1h:1m])", "< 1", "count(x offset 1500ms)"),
            ("avg_over_time(x[1h] offset 1m) / avg_over_time(y[1h] offset 1d)", "< 1", "count(x offset 60s)"),
            ("avg_over_time(x[1h]) / avg_over_time(x[1h] offset 1d)", "< 1", "count(x)"),
            # A window of the look-back's length does not reach past it, whatever its (positive) offset: y's window
            # ends later than x's, but only x's is asked.
            ("avg_over_time(x[1h] offset 10m) / rate(y[5m] offset 1m)", "< 1", "count(x offset 600s)"),
        ],
    )
    def test_a_prometheus_check_shows_the_presence_query_of_what_it_reads_past_the_lookback(
        self, query, pass_if, asked
    ):
        built = catalog(prometheus_check(query, pass_if=pass_if, skip_promql_parse="Q" in query)).checks["q"]
        assert (self.asking_now, asked) in built.promql({})
        # Go's `\Q...\E` aside, which only Prometheus parses.
        assert "Q" in query or parse_error(asked) is None

    @pytest.mark.parametrize(
        "query", ["sum(avg_over_time(x[1h])) or on() vector(0)", "avg_over_time(x[10m] offset -10m)"]
    )
    def test_a_fallback_that_passes_or_a_window_wholly_after_now_is_not_asked(self, query):
        assert self.asking_now not in dict(catalog(prometheus_check(query)).checks["q"].promql({}))

    @pytest.mark.parametrize(
        "query",
        ["rate(x[5m])", "rate(x[5m] offset 1m)", "avg_over_time(x[1h] @ 100)"],
    )
    def test_a_window_within_the_lookback_or_pinned_in_the_past_sends_none(self, query):
        assert catalog(prometheus_check(query)).checks["q"].promql({}) == [("query", query)]

    def test_a_range_check_sends_none(self):
        # Its stopped series are told by where each one's samples end (see _stale_for), not by a presence query.
        query = "avg_over_time(x[1h])"
        assert catalog(prometheus_check(query, range="30m")).checks["q"].promql({}) == [("query", query)]

    def test_a_kpi_compare_check_shows_each_variants_probe(self):
        built = catalog(kpi_check("max(x{v='c'})", "sum(x{v='b'})")).checks["kpi"]
        sent = built.promql({})
        assert [field for field, _ in sent] == [
            "canary",
            "the probe for elements the canary query's max() leaves out (on a pass)",
            "baseline",
            "the presence query built from their metric names",
        ]
        assert all(parse_error(query) is None for _, query in sent), sent


class TestScope:
    """Kinds that send no PromQL, or do not say, are not parsed; loading a catalog never parses."""

    def test_a_kind_without_the_hook_is_not_parsed(self):
        third_party = gate_catalog({"name": "gated", "kind": "gate", "gate": "g"})
        assert syntax_problems(third_party) == []

    def test_a_composite_is_parsed_through_its_members_only(self):
        members = [
            prometheus_check("sum(rat(x[5m]))"),
            {"name": "both", "kind": "composite", "members": [{"check": "q"}], "mode": "all"},
        ]
        assert [p.check for p in syntax_problems(catalog(*members))] == ["q"]

    def test_loading_a_catalog_does_not_parse(self):
        # The service and Jobs load catalogs: a query the parser rejects must not take a catalog out of service.
        assert "q" in catalog(prometheus_check("sum(rat(x[5m]))")).checks

    def test_one_problem_per_check_and_every_check(self):
        first = prometheus_check("sum(rat(x[5m]))")
        second = {**prometheus_check("x[5m] +"), "name": "r"}
        assert [p.check for p in syntax_problems(catalog(first, second))] == ["q", "r"]


class TestRawStringsQuoted:
    """Only backtick strings are rewritten: a backtick inside another string, after an escaped quote, or in a
    comment is text, and a raw string after a comment still is one."""

    @pytest.mark.parametrize(
        ("query", "quoted"),
        [
            ('x{a="q\\"`\\d`"} + y{b=`\\d`}', 'x{a="q\\"`\\d`"} + y{b="\\\\d"}'),
            ("x # it's `a`\ny{b=`\\d`}", 'x # it\'s `a`\ny{b="\\\\d"}'),
            ("x{a='`'} + y{b=`'`}", "x{a='`'} + y{b=\"'\"}"),
        ],
    )
    def test_other_strings_and_comments_are_kept(self, query, quoted):
        assert raw_strings_quoted(query) == quoted


class TestNumberPlaceholderRange:
    """A number param's placeholder is 1 when its range holds 1, else the bound nearest 1."""

    @pytest.mark.parametrize(
        ("bounds", "placeholder"),
        [({"minimum": 1}, 1.0), ({"maximum": 1}, 1.0), ({"minimum": 0.25, "maximum": 0.5}, 0.5), ({"minimum": 3}, 3.0)],
    )
    def test_placeholder(self, bounds, placeholder):
        check = PrometheusCheck.model_validate(
            {**prometheus_check("x > {{ n }}"), "params": {"n": {"type": "number", "required": True, **bounds}}}
        )
        assert sample_args(check) == {"n": placeholder}


class TestDurationPlaceholderRange:
    """A duration param's placeholder (5m) is its nearer bound when the bounds exclude it."""

    @pytest.mark.parametrize(
        ("bounds", "placeholder"),
        [({}, "5m"), ({"minimum": "1h"}, "1h"), ({"maximum": "1m"}, "1m"), ({"minimum": "1m", "maximum": "1h"}, "5m")],
    )
    def test_placeholder(self, bounds, placeholder):
        check = PrometheusCheck.model_validate(
            {**prometheus_check("rate(x[{{ w }}])"), "params": {"w": {"type": "duration", "required": True, **bounds}}}
        )
        assert sample_args(check) == {"w": placeholder}


class TestPlaceholderNamed:
    """A finding names a number or enum param rendered with a placeholder only when another value it may take
    changes the failure; a param with one possible value is not named."""

    @pytest.mark.parametrize(
        ("param", "named"),
        [
            ({"type": "number", "minimum": 0, "maximum": 5}, True),
            ({"type": "number", "minimum": 2.5, "maximum": 7}, True),
            ({"type": "number", "minimum": 0.5, "maximum": 1}, True),
            ({"type": "number", "minimum": 1, "maximum": 1}, False),
            ({"type": "enum", "values": ["1", "2"]}, True),
            ({"type": "enum", "values": ["1"]}, False),
        ],
    )
    def test_named(self, param, named):
        found = problems(prometheus_check('x{ {{ n }}="a"}', params={"n": {"required": True, **param}}))
        assert len(found) == 1
        assert ("param 'n'" in found[0]) is named, found[0]

    def test_a_default_is_no_placeholder(self):
        found = problems(prometheus_check('x{ {{ n }}="a"}', params={"n": {"type": "number", "default": 1}}))
        assert len(found) == 1
        assert "param 'n'" not in found[0], found[0]

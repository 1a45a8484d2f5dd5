"""PromQL text read without a parser: its strings and comments blanked in place."""

from __future__ import annotations

import pytest

from analyzer.promql_text import (
    MAX_PROMQL_CHARS,
    MAX_PROMQL_NESTING,
    MAX_PROMQL_OPERATORS,
    QuantileArgument,
    gauge_of_counter_warnings,
    promql_blanked,
    promql_size_problem,
    quantile_arguments,
)


class TestPromqlBlanked:
    """Each string (any quoting, escapes kept inside) and comment becomes spaces of its length; the rest stays."""

    @pytest.mark.parametrize(
        ("query", "blanked", "uncommented"),
        [
            ('max(x{a="b)"}) # max(y)\n+ 1', "max(x{a=    })         \n+ 1", 'max(x{a="b)"})         \n+ 1'),
            ("x{a='it\\'s', b=`c\\`} or y", "x{a=       , b=    } or y", "x{a='it\\'s', b=`c\\`} or y"),
            ('x{a="# no comment"}', "x{a=" + " " * 14 + "}", 'x{a="# no comment"}'),
            # An escaped quote does not end a double-quoted string: the `#` after it is still inside.
            ('x{a="\\"#"} + 1', "x{a=     } + 1", 'x{a="\\"#"} + 1'),
        ],
    )
    def test_blanked(self, query, blanked, uncommented):
        assert promql_blanked(query) == blanked
        assert promql_blanked(query, strings=False) == uncommented


class TestQuantileArguments:
    """A quantile function's or aggregation's first argument is read from a template as written, however wrapped."""

    @pytest.mark.parametrize(
        ("template", "found"),
        [
            ("histogram_quantile(({{q}}), sum by (le) (x))", [("histogram_quantile", "({{ q }})", ("q",))]),
            ("quantile by (pod) ( 0.9 , x)", [("quantile", "0.9", ())]),
            (
                "QUANTILE_OVER_TIME(scalar(vector({{ q }})) , x[5m])",
                [("quantile_over_time", "scalar(vector({{ q }}))", ("q",))],
            ),
            ("quantile({{ a }} / {{ b }}, x) without (pod)", [("quantile", "{{ a }} / {{ b }}", ("a", "b"))]),
            ('sum(x{path="histogram_quantile(99, x)"}) # quantile(99, x)', []),
            ("histogram_quantile(0.9)", []),
            # A call closing before any comma has no first argument, whatever follows it.
            ("histogram_quantile(0.9) + quantile(0.5, x)", [("quantile", "0.5", ())]),
            # A comma inside brackets belongs to them, not to the quantile's argument list.
            ("quantile(clamp(0.9, 0, 1), x)", [("quantile", "clamp(0.9, 0, 1)", ())]),
        ],
    )
    def test_read(self, template, found):
        assert quantile_arguments(template) == tuple(QuantileArgument(*each) for each in found)

    def test_rendered_only_with_every_param(self):
        argument = QuantileArgument("quantile", "{{ a }} / {{ b }}", ("a", "b"))
        assert (argument.rendered({"a": "99", "b": "100"}), argument.rendered({"a": "99"})) == ("99 / 100", None)


class TestGaugeOfCounterWarnings:
    """Each gauge function of a counter is warned about, alone in its query or beside the others."""

    @pytest.mark.parametrize(
        ("query", "functions"),
        [
            ("delta(errors_total[5m])", ["delta"]),
            ("idelta(errors_total[5m])", ["idelta"]),
            ("deriv(requests_count[5m])", ["deriv"]),
            ("delta(errors_total[5m]) / deriv(requests_total[5m])", ["delta", "deriv"]),
            ("rate(errors_total[5m]) # delta(errors_total[5m])", []),
            ("delta(temperature_celsius[5m])", []),
        ],
    )
    def test_warned(self, query, functions):
        warnings = gauge_of_counter_warnings("query", query)
        assert [warning.split("(", 1)[0].removeprefix("query: ") for warning in warnings] == functions


class TestPromqlSizeProblem:
    """A query past the limits promql-parser's stack survives is named with its depth, operators or length."""

    @pytest.mark.parametrize("open_", ["(", "sum(", "1 - (", "abs(", "vector("])
    def test_brackets_at_the_limit_pass_and_one_more_is_named(self, open_):
        def nested(levels: int) -> str:
            return open_ * levels + "x" + ")" * levels

        assert promql_size_problem(nested(MAX_PROMQL_NESTING)) is None
        assert promql_size_problem(nested(MAX_PROMQL_NESTING + 1)) == (
            f"the query nests {MAX_PROMQL_NESTING + 1} levels of brackets; at most {MAX_PROMQL_NESTING}"
        )

    @pytest.mark.parametrize("op", [" + ", " or ", " ^ ", " == ", " and ", " atan2 ", " unless ", " OR ", " Unless "])
    def test_an_operator_chain_past_the_limit_is_named(self, op):
        assert promql_size_problem(op.join(["x"] * (MAX_PROMQL_OPERATORS + 1))) is None
        assert promql_size_problem(op.join(["x"] * (MAX_PROMQL_OPERATORS + 2))) == (
            f"the query has {MAX_PROMQL_OPERATORS + 1} operators; at most {MAX_PROMQL_OPERATORS}"
        )

    def test_a_subquerys_range_counts_as_a_level(self):
        assert promql_size_problem("max_over_time(" * 200 + "x" + "[5m:1m])" * 200) == (
            f"the query nests 201 levels of brackets; at most {MAX_PROMQL_NESTING}"
        )

    def test_a_unary_chain_counts_each_minus(self):
        assert promql_size_problem("-" * (MAX_PROMQL_OPERATORS + 1) + "x") is not None
        assert promql_size_problem("-" * MAX_PROMQL_OPERATORS + "x") is None

    def test_brackets_and_operators_in_strings_comments_matchers_and_ranges_do_not_count(self):
        text = "(" * 1000 + "-" * 1000
        query = f'sum(rate(x{{a="{text}", b!="-", c=~"a|b"}}[5m:1m])) # {text}\n / 2'
        assert promql_size_problem(query) is None

    def test_the_limits_are_200_levels_400_operators_and_200000_characters(self):
        # The documented numbers themselves, each side of each: a limit moved by one passes a query the docs refuse or
        # refuses one they admit.
        assert promql_size_problem("(" * 200 + "x" + ")" * 200) is None
        assert promql_size_problem("(" * 201 + "x" + ")" * 201) is not None
        assert promql_size_problem(" + ".join(["x"] * 401)) is None
        assert promql_size_problem(" + ".join(["x"] * 402)) is not None
        assert promql_size_problem("x" * 200_000) is None
        assert promql_size_problem("x" * 200_001) is not None

    @pytest.mark.parametrize(
        "around",
        [
            "({})",  # within parentheses
            'x{{a="b"}} + {}',  # after a selector's braces
            "rate(x[5m]) + {}",  # after a range
            "sum(x[5m:1m]) + {}",  # after a subquery's
            "x ] + {}",  # after a stray closing bracket (the parser refuses it, once given it)
        ],
    )
    def test_operators_outside_braces_and_ranges_count_wherever_they_stand(self, around):
        assert promql_size_problem(around.format(" + ".join(["x"] * 402))) is not None

    def test_matchers_are_no_operators(self):
        # 401 `!=` matchers in one selector: not one node of the tree.
        assert promql_size_problem("x{" + ", ".join(f'a{i}!="v"' for i in range(401)) + "}") is None

    def test_a_query_past_the_length_limit_is_named(self):
        assert promql_size_problem("x" * (MAX_PROMQL_CHARS + 1)) == (
            f"the query is {MAX_PROMQL_CHARS + 1} characters long; at most {MAX_PROMQL_CHARS}"
        )
        assert promql_size_problem("x" * MAX_PROMQL_CHARS) is None

"""PromQL text read without a parser: its strings and comments blanked in place."""

from __future__ import annotations

import pytest

from analyzer.promql_text import QuantileArgument, gauge_of_counter_warnings, promql_blanked, quantile_arguments


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

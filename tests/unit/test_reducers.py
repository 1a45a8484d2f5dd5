import math

import pytest

from analyzer.reducers import Reducer


class TestReducer:
    """Reductions compute what their names say; quantile interpolates linearly like PromQL."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("avg", 2.5),
            ("max", 4),
            ("min", 1),
            ("sum", 10),
            ("last", 4),
            ("quantile(0.5)", 2.5),
            ("quantile(1)", 4),
            ("quantile(0)", 1),
            ("quantile(0.9)", 3.7),
        ],
    )
    def test_apply(self, text, expected):
        assert Reducer.parse(text).apply([1, 2, 3, 4]) == pytest.approx(expected)

    @pytest.mark.parametrize(
        ("text", "values", "expected"),
        [
            ("sum", [1e308, 1e308], math.inf),
            ("sum", [-1e308, -1e308], -math.inf),
            ("sum", [1e308, 1e308, -1e308], 1e308),
            ("avg", [1e308, 1e308], 1e308),
            ("avg", [1.7e308, 1.7e308, 1.7e308], 1.7e308),
            ("quantile(0.5)", [-1.7e308, 1.7e308], 0.0),
            ("quantile(0.75)", [-1.7e308, 1.7e308], 0.85e308),
        ],
    )
    def test_values_near_the_float_range(self, text, values, expected):
        # Partial sums and differences beyond the float range are no error: the result is the true one, rounded,
        # or an infinity only when it lies beyond the range itself (as Prometheus' own sum gives).
        assert Reducer.parse(text).apply(values) == pytest.approx(expected, rel=1e-12)

    def test_empty_is_nan(self):
        assert math.isnan(Reducer.parse("avg").apply([]))

    @pytest.mark.parametrize("text", ["mean", "quantile(1.5)", "quantile()", "p95", None])
    def test_rejects(self, text):
        with pytest.raises(ValueError, match="reduction"):
            Reducer.parse(text)

    def test_a_reducer_parses_as_itself(self):
        # A check built in code with a Reducer (not its text) keeps the one it was given.
        reducer = Reducer("quantile", 0.9)
        assert Reducer.parse(reducer) is reducer

    def test_str(self):
        assert str(Reducer.parse("quantile(0.95)")) == "quantile(0.95)"

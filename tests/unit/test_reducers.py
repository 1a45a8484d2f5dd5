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

    def test_empty_is_nan(self):
        assert math.isnan(Reducer.parse("avg").apply([]))

    @pytest.mark.parametrize("text", ["mean", "quantile(1.5)", "quantile()", "p95", None])
    def test_rejects(self, text):
        with pytest.raises(ValueError, match="reduction"):
            Reducer.parse(text)

    def test_str(self):
        assert str(Reducer.parse("quantile(0.95)")) == "quantile(0.95)"

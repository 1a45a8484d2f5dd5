import math

import pytest

from analyzer.comparison import Condition, at_most


class TestParse:
    """The grammar accepts comparisons and closed intervals and names itself when refusing."""

    @pytest.mark.parametrize(
        ("text", "op", "bounds"),
        [
            ("< 0.01", "<", (0.01,)),
            (">=0.95", ">=", (0.95,)),
            ("== -1e-3", "==", (-0.001,)),
            ("between 0.9 and 1.1", "between", (0.9, 1.1)),
            ("OUTSIDE 1 and 2", "outside", (1.0, 2.0)),
        ],
    )
    def test_accepts(self, text, op, bounds):
        assert Condition.parse(text) == Condition(op, bounds)

    @pytest.mark.parametrize(
        "text", ["0.01", "<< 1", "< 1 or 1", "__import__('os')", "between 2 and 1", "< nan", "< inf", "", 5]
    )
    def test_rejects(self, text):
        with pytest.raises(ValueError):
            Condition.parse(text)


class TestMatches:
    """Values within 1e-9 (relative) of a bound count as equal to it; NaN and Inf never match."""

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            ("< 0.01", 0.009, True),
            ("< 0.01", 0.01, False),
            ("<= 0.01", 0.01, True),
            ("> 5", 5.0001, True),
            ("between 0.9 and 1.1", 1.1, True),
            ("between 0.9 and 1.1", 1.2, False),
            ("outside 0.9 and 1.1", 0.5, True),
            ("== 0.3", 0.1 + 0.2, True),
            ("!= 0.3", 0.1 + 0.2, False),
            # Floating-point noise around a bound counts as the bound itself.
            ("<= 0.3", 0.1 + 0.2, True),
            ("< 0.3", 0.1 + 0.2, False),
            (">= 0.3", 0.3 - 1e-17, True),
            ("> 0.3", 0.30000000000000004, False),
            ("between 0.3 and 1", 0.1 + 0.2, True),
            ("outside 0.3 and 1", 0.1 + 0.2, False),
            ("< 0.01", 0.00999, True),
            ("<= 0.01", 0.0100001, False),
        ],
    )
    def test_values(self, text, value, expected):
        assert Condition.parse(text).matches(value) is expected

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    @pytest.mark.parametrize("text", ["< 0.01", "> 0", "!= 1", "outside 0 and 1", "between -1 and 1"])
    def test_non_finite_never_matches(self, text, value):
        assert Condition.parse(text).matches(value) is False


class TestDescribe:
    """A condition shows its threshold and reads back as it was written."""

    def test_threshold(self):
        assert Condition.parse("< 0.01").threshold == 0.01
        assert Condition.parse("between 1 and 2").threshold == [1.0, 2.0]

    def test_str_round_trips(self):
        assert str(Condition.parse("between 0.9 and 1.1")) == "between 0.9 and 1.1"
        assert Condition.parse(str(Condition.parse(">= 1e-06"))) == Condition.parse(">= 1e-06")


class TestAtMost:
    """The boundary test of computed tolerances and scores forgives float rounding, and nothing larger."""

    @pytest.mark.parametrize(
        ("value", "bound", "scale", "expected"),
        [
            (1.1 - 1.0, 0.1 * 1.0, 1.1, True),  # 0.10000000000000009 vs 0.1
            (100 * 0.3 / (0.1 + 0.2 + 0.3), 50.0, 0.0, True),  # 49.99999999999999 vs 50, the other way round
            (0.1 + 1e-7, 0.1, 1.1, False),
            (0.0, 0.0, 0.0, True),
            (1e-300, 0.0, 0.0, False),  # nothing is forgiven against an exact 0
            (-5.0, 0.0, 0.0, True),
        ],
    )
    def test_values(self, value, bound, scale, expected):
        assert at_most(value, bound, scale) is expected

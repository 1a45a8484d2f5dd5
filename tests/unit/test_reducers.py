import dataclasses
import math
import random
import struct

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
            # Nearer its lower neighbour (rank 0.3): weighed still, not that neighbour.
            ("quantile(0.1)", 1.3),
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

    def test_a_reducer_is_immutable(self):
        # One parsed reducer serves every evaluation of its check, concurrent ones too.
        with pytest.raises(dataclasses.FrozenInstanceError):
            Reducer.parse("max").name = "min"  # type: ignore[misc]

    @pytest.mark.parametrize("text", ["avg", "max", "min", "sum", "last"])
    def test_a_named_reducer_is_written_as_its_name(self, text):
        assert str(Reducer.parse(text)) == text


class TestNonFiniteValues:
    """A NaN among the values makes every reduction NaN, whatever its place; infinities reduce as numbers."""

    @pytest.mark.parametrize("text", ["avg", "max", "min", "sum", "quantile(0)", "quantile(0.5)", "quantile(1)"])
    @pytest.mark.parametrize("values", [[math.nan, 1, 3], [1, math.nan, 3], [3, 1, math.nan]])
    def test_a_nan_anywhere_is_nan(self, text, values):
        # max([1, nan, 3]) is 3 and max([nan, 1, 3]) NaN in Python, and sorted() leaves a NaN's neighbours unsorted
        # (quantile(1) of [3, nan, 1] was 1): a value a kind cannot judge must not turn into one it can, by its place.
        assert math.isnan(Reducer.parse(text).apply(values))

    @pytest.mark.parametrize(("values", "expected"), [([1, math.nan], math.nan), ([math.nan, 1], 1)])
    def test_last_is_the_last_value(self, values, expected):
        assert Reducer.parse("last").apply(values) == pytest.approx(expected, nan_ok=True)

    @pytest.mark.parametrize(
        ("text", "values", "expected"),
        [
            ("quantile(0.5)", [1, math.inf, 3], 3),
            ("quantile(1)", [1, math.inf, 3], math.inf),
            ("quantile(0)", [-math.inf, 1, 3], -math.inf),
            ("quantile(0.75)", [1, 3, math.inf], math.inf),
            ("max", [1, math.inf], math.inf),
            ("min", [1, -math.inf], -math.inf),
            ("sum", [1, math.inf], math.inf),
            ("avg", [-math.inf, 1], -math.inf),
        ],
    )
    def test_infinities(self, text, values, expected):
        # A quantile landing on an infinite value is that value (its weight of 0 times the infinity beside it
        # made it NaN).
        assert Reducer.parse(text).apply(values) == expected

    @pytest.mark.parametrize("text", ["avg", "sum", "quantile(0.5)"])
    def test_opposite_infinities_are_nan(self, text):
        # inf - inf has no value (math.fsum raised ValueError for it: an error out of a pure reduction).
        assert math.isnan(Reducer.parse(text).apply([math.inf, -math.inf]))

    @pytest.mark.parametrize("text", ["avg", "max", "min", "sum", "last", "quantile(0.95)"])
    def test_order_does_not_matter_but_for_last(self, text):
        values = [5.0, -2.5, 1e9, 0.0, 3.25]
        forward, backward = Reducer.parse(text).apply(values), Reducer.parse(text).apply(values[::-1])
        if text == "last":
            assert (forward, backward) == (3.25, 5.0)
        else:
            assert forward == pytest.approx(backward, rel=1e-15)


class TestQuantileWrittenBack:
    """A quantile's text (a definition's, a verdict's `reduce`) names its q exactly, and parses back to it."""

    @pytest.mark.parametrize("q", ["0.9999999", "0.00001", "0.123456789", "0.95", "1", "0"])
    def test_as_written(self, q):
        # Six significant digits showed quantile(0.9999999) as quantile(1), the maximum, and 0.00001 as 1e-05,
        # which no catalog parses.
        reducer = Reducer.parse(f"quantile({q})")
        assert str(reducer) == f"quantile({q})"
        assert Reducer.parse(str(reducer)) == reducer

    def test_every_q_parses_back_to_itself(self):
        # Every float in [0, 1] (uniform, and from uniform bit patterns: tiny q too) and the edges: the text judged
        # is the q written, never a neighbour (`:g` on a Decimal wrote 1e-7, which no catalog parses).
        rng = random.Random(25)
        edges = [0.0, 1.0, 5e-324, 2.2250738585072014e-308, 1e-7, 0.1, 0.30000000000000004, 0.9999999999999999]
        uniform = [rng.random() for _ in range(2000)]
        bits = [struct.unpack("<d", struct.pack("<Q", rng.randrange(0x3FF0000000000001)))[0] for _ in range(2000)]
        for q in edges + uniform + bits:
            text = str(Reducer("quantile", q))
            assert Reducer.parse(text).q == q, text

    def test_a_trailing_zero_is_not_kept(self):
        assert str(Reducer.parse("quantile(0.50)")) == "quantile(0.5)"
        assert str(Reducer.parse("quantile(1.0)")) == "quantile(1)"

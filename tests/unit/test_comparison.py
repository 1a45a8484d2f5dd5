import dataclasses
import math
import random

import pytest
from pydantic import BaseModel

from analyzer.comparison import _OPERATORS, Condition, ConditionField, _close, at_most, exceeds, meant_condition


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

    @pytest.mark.parametrize("text", ["< 1e999", ">= -1e400", "between 0 and 1e309", "outside -1e999 and 1"])
    def test_a_bound_beyond_the_range_of_a_number_is_refused(self, text):
        # Read as infinity, it would be a threshold no answer can show (JSON has no infinity).
        with pytest.raises(ValueError, match="is beyond the range of a number"):
            Condition.parse(text)

    @pytest.mark.parametrize(
        "text", ["between 9007199254740993 and 9007199254740992", "outside 0.30000000000000001 and 0.3"]
    )
    def test_bounds_a_float_reads_as_one_are_refused_when_written_the_wrong_way_round(self, text):
        # One float for both, they loaded; compared as written (a JSON integer), `outside` then passed every number.
        with pytest.raises(ValueError, match="is above the upper bound"):
            Condition.parse(text)

    def test_a_percent_bound_says_how_to_write_it(self):
        with pytest.raises(ValueError, match=r"a bound is the number the query returns: a ratio of 1% is 0\.01$"):
            Condition.parse("< 1%")

    @pytest.mark.parametrize("text", ["< 500ms", "<= 2s", "between 100 ms and 1s"])
    def test_a_bound_with_a_time_unit_says_how_to_write_it(self, text):
        # Before: only the grammar, which a newcomer's "< 500ms" seems to follow.
        with pytest.raises(ValueError, match=r"without a unit: 500 ms from a _seconds metric is 0\.5$"):
            Condition.parse(text)

    @pytest.mark.parametrize(
        ("text", "meant"),
        [
            ("=> 0", ">= 0"),
            ("=<0.5", "<= 0.5"),
            ("= 1", "== 1"),
            ("<> 0", "!= 0"),
            ("≤ 0.3", "<= 0.3"),
            ("less than 0.5", "< 0.5"),
            ("Above 1e-3", "> 1e-3"),
            ("at least 0.99", ">= 0.99"),
        ],
    )
    def test_an_operator_written_otherwise_names_the_one_meant(self, text, meant):
        # Before: only the grammar, which a newcomer's "=> 0" (or "= 1") seems close enough to.
        with pytest.raises(ValueError) as raised:
            Condition.parse(text)
        assert str(raised.value).endswith(f"(quote it in YAML); did you mean '{meant}'?")

    @pytest.mark.parametrize(
        ("text", "meant"),
        [
            ("result < 0.5", "< 0.5"),
            ("result[0] <= 0.3", "<= 0.3"),
            ("Value >= 0.99", ">= 0.99"),
            ("x => 1", ">= 1"),
            ("result less than 2", "< 2"),
        ],
    )
    def test_a_condition_naming_its_value_names_the_one_meant(self, text, meant):
        # Argo Rollouts' successCondition habit: before, only the grammar, which "result < 0.5" seems to follow.
        with pytest.raises(ValueError) as raised:
            Condition.parse(text)
        assert str(raised.value).endswith(
            f"(quote it in YAML); did you mean '{meant}'? (a condition names no value: it compares the check's value)"
        )

    @pytest.mark.parametrize("text", ["lt 0.5", "> = 0", "=> x", "0.01", "result", "result < x", "len(result) > 0"])
    def test_no_operator_is_guessed_where_none_is_clear(self, text):
        with pytest.raises(ValueError) as raised:
            Condition.parse(text)
        assert str(raised.value).endswith("(quote it in YAML)")

    def test_a_condition_is_immutable(self):
        # One parsed condition serves every evaluation of its check, concurrent ones too.
        with pytest.raises(dataclasses.FrozenInstanceError):
            Condition.parse("< 0.5").op = ">"  # type: ignore[misc]

    @pytest.mark.parametrize("text", ["< 0.5", ">= 1e-3", "between 1 and 2"])
    def test_a_condition_of_the_grammar_means_no_other(self, text):
        # The catalog's pass_if hint asks it of any text: a valid condition is shown as itself, not as one meant.
        assert meant_condition(text) is None


class TestBoundsTheWrongWayRoundNamed:
    """A range written with its bounds the wrong way round is refused naming the lower bound, then the upper, as
    written (without a `+`)."""

    @pytest.mark.parametrize("op", ["between", "outside"])
    def test_the_message(self, op):
        with pytest.raises(ValueError) as raised:
            Condition.parse(f"{op} +2.5 and 1")
        assert str(raised.value) == f"'{op} +2.5 and 1': the lower bound 2.5 is above the upper bound 1"


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


class TestSmallBounds:
    """A non-zero bound, however small, is compared relatively (1e-9 of it): only a bound of 0, which has no
    relative tolerance, counts a value within 1e-12 of it as equal to it."""

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            # Before: within 1e-12 (absolute) of the bound, each of these counted as equal to it; a pass_if of the
            # first four passed a value 9 (or 10) times its bound, a fail_if of the others missed one.
            ("<= 1e-13", 9e-13, False),
            (">= 1e-12", 1e-13, False),
            ("== 1e-13", 9e-13, False),
            ("between 1e-13 and 2e-13", 9e-13, False),
            ("< 1e-12", 5e-13, True),
            ("> 1e-13", 9e-13, True),
            ("!= 1e-13", 9e-13, True),
            ("outside 1e-12 and 1", 5e-13, True),
            ("between -2e-13 and -1e-13", -9e-13, False),
            ("> 1e-300", 1e-299, True),
            # Rounding of the bound itself (1e-9 of it) is still forgiven.
            ("<= 1e-13", 1e-13 * (1 + 1e-12), True),
            ("< 1e-13", 1e-13 * (1 - 1e-12), False),
            ("== 1e-13", 1e-13 * (1 + 1e-12), True),
        ],
    )
    def test_values(self, text, value, expected):
        assert Condition.parse(text).matches(value) is expected

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            # Rounding of larger numbers lands beside 0 (1 - 0.9999999999999999 is 1.1e-16): it must not pass `> 0`.
            ("> 0", 1 - 0.9999999999999999, False),
            ("<= 0", 1 - 0.9999999999999999, True),
            ("> -0", 5e-13, False),
            ("< 0", -5e-13, False),
            (">= 0", -1e-12, True),
            ("== 0", 4e-13, True),
            ("!= 0", 4e-13, False),
            ("between 0 and 1e-13", -5e-13, True),
            ("outside 0 and 1", -5e-13, False),
            ("between -1 and 0", 1e-12, True),
            # The absolute tolerance is 1e-12, and no wider.
            ("> 0", 2e-12, True),
            ("<= 0", 2e-12, False),
            ("== 0", -2e-12, False),
            ("between 0 and 1e-13", 5e-13, False),
        ],
    )
    def test_a_bound_of_zero_counts_rounding_beside_it_as_equal(self, text, value, expected):
        assert Condition.parse(text).matches(value) is expected

    @pytest.mark.parametrize(("text", "number"), [("<= 1e-400", "1e-400"), ("between -2e-324 and 1", "-2e-324")])
    def test_a_bound_a_number_reads_as_zero_is_refused(self, text, number):
        # Read as 0, it took a bound of 0's tolerance: `<= 1e-400` passed 9e-13.
        with pytest.raises(ValueError) as raised:
            Condition.parse(text)
        assert str(raised.value) == (
            f"{text!r}: the bound {number} is nearer 0 than any number but 0, and would read as 0: write 0 if 0 is "
            "meant"
        )

    @pytest.mark.parametrize("text", ["<= 0e5", "== -0.000", "between 0E-400 and 1", "> 5e-324"])
    def test_a_zero_or_the_smallest_number_is_a_bound(self, text):
        Condition.parse(text)


class TestMatchesExactly:
    """An integer compares exactly with the bounds as written: no tolerance, no rounding to a float."""

    @pytest.mark.parametrize(
        ("text", "value", "expected"),
        [
            ("<= 1000000000", 1000000001, False),
            # At the bound: exact, no tolerance either way.
            ("<= 1000000000", 1000000000, True),
            ("< 1000000001", 1000000001, False),
            (">= 1000000001", 1000000001, True),
            ("> 9007199254740993", 9007199254740993, False),
            ("< 1000000001", 1000000000, True),
            (">= 1000000001", 1000000000, False),
            ("== 9007199254740993", 9007199254740992, False),
            ("== 9007199254740993", 9007199254740993, True),
            ("!= 9007199254740993", 9007199254740992, True),
            ("> 9007199254740992", 9007199254740993, True),
            ("between 2 and 3", 3, True),
            ("between 2.5 and 3", 2, False),
            ("outside 2 and 3", 2, False),
            ("outside 2 and 3", 4, True),
            ("> 1e3", 1001, True),
            ("== +0.5e1", 5, True),
        ],
    )
    def test_values(self, text, value, expected):
        assert Condition.parse(text).matches_exactly(value) is expected

    def test_the_opposite_keeps_the_written_bound(self):
        assert Condition.parse("< 9007199254740993").opposite().matches_exactly(9007199254740992) is False

    def test_a_condition_built_from_floats_compares_with_them(self):
        assert Condition("<=", (0.5,)).matches_exactly(1) is False


class TestOperatorsSpelledOut:
    """Each operator compares as its definition with `_close`'s tolerance, written out in it."""

    DEFINITIONS = {
        "<": lambda a, b: a < b and not _close(a, b),
        "<=": lambda a, b: a <= b or _close(a, b),
        ">": lambda a, b: a > b and not _close(a, b),
        ">=": lambda a, b: a >= b or _close(a, b),
        "==": _close,
        "!=": lambda a, b: not _close(a, b),
    }

    def test_same_answers_near_and_far_from_the_bound(self):
        rng = random.Random(16)
        bounds = [0.0, 1e-13, -1e-13, 0.3, 1.0, -5.0, 1e300, 1e-300]
        offsets = [0.0, 1e-15, -1e-15, 5e-13, -5e-13, 1e-10, -1e-10, 1e-8, -1e-8, 0.5, -0.5]
        for _ in range(3000):
            bound = rng.choice(bounds) * rng.choice([1.0, 1 + rng.random()])
            value = bound * (1 + rng.choice(offsets)) + rng.choice(offsets)
            for op, definition in self.DEFINITIONS.items():
                assert _OPERATORS[op](value, bound) is definition(value, bound), (op, value, bound)


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


class TestWrongSide:
    """A value far on the wrong side of a bound never matches, whichever way the comparison points."""

    @pytest.mark.parametrize(
        ("text", "value"),
        [("< 0.01", 0.5), ("<= 0.01", 0.5), ("> 5", 1.0), (">= 5", 1.0), ("== 1", 2.0), ("between 1 and 2", 0.5)],
    )
    def test_wrong_side(self, text, value):
        assert Condition.parse(text).matches(value) is False


class TestDegenerateInterval:
    """An interval whose two bounds are equal is a valid condition holding only that value."""

    def test_equal_bounds(self):
        condition = Condition.parse("between 1 and 1")
        assert condition.matches(1.0) is True
        assert condition.matches(1.1) is False


class TestToleranceScale:
    """Rounding is forgiven relative to the largest of value, bound and scale; with no scale, nothing is forgiven
    against an exact 0."""

    def test_scale_forgives_noise_against_zero(self):
        assert at_most(1e-10, 0.0, scale=1.0) is True
        assert exceeds(1e-10, 0.0, scale=1.0) is False

    def test_default_scale_forgives_nothing_against_zero(self):
        assert at_most(1e-10, 0.0) is False
        assert exceeds(1e-10, 0.0) is True

    @pytest.mark.parametrize(
        ("value", "bound", "expected"),
        [
            (2.0, 1.0, True),
            (1.0, 2.0, False),
            (1.0, 1.0, False),
            # An exact zero against a zero bound: no tolerance to hide a strict comparison behind.
            (0.0, 0.0, False),
            (math.nan, 1.0, True),
            (1.0, math.nan, True),
            # An infinite value against a NaN bound takes exceeds' infinite path: still the negation of at_most.
            (math.inf, math.nan, True),
            (-math.inf, math.nan, True),
        ],
    )
    def test_exceeds_is_the_negation(self, value, bound, expected):
        # NaN is never at most a bound, so it exceeds every one: a verdict reading "not exceeded" as good news
        # must not pass on NaN.
        assert exceeds(value, bound) is expected
        assert at_most(value, bound) is (not expected)


class TestInfinities:
    """An infinite value or bound has no rounding to forgive: an infinite harm, burn or score is beyond every
    finite bound (the forgiveness, 1e-9 of an infinite magnitude, would be infinite too and forgive anything)."""

    @pytest.mark.parametrize(
        ("value", "bound", "scale", "expected"),
        [
            (math.inf, 0.1, 0.0, False),
            (math.inf, 0.1, 5.0, False),
            (math.inf, 1e308, 1e308, False),
            (1.0, 0.1, math.inf, False),  # an infinite scale forgives nothing either
            (-math.inf, 0.1, 0.0, True),
            (0.1, math.inf, 0.0, True),
            (math.inf, math.inf, 0.0, True),
            (0.1, -math.inf, 0.0, False),
        ],
    )
    def test_infinities_are_compared_as_they_are(self, value, bound, scale, expected):
        assert at_most(value, bound, scale) is expected
        assert exceeds(value, bound, scale) is (not expected)


class TestKindOfBound:
    """`<`/`<=` bound from above, `>`/`>=` from below, the rest are neither."""

    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("< 1", "upper"),
            ("<= 1", "upper"),
            ("> 1", "lower"),
            (">= 1", "lower"),
            ("== 1", "other"),
            ("between 0 and 1", "other"),
        ],
    )
    def test_kind(self, text, kind):
        assert Condition.parse(text).kind_of_bound == kind


class TestConditionBuiltInCode:
    """A Condition a kind builds from its operator and bounds, without their text, shows them as the shortest text
    that reads back as each."""

    @pytest.mark.parametrize(
        ("op", "bounds", "shown"), [("<", (0.5,), "< 0.5"), ("between", (1.0, 1048576.0), "between 1 and 1048576")]
    )
    def test_str(self, op, bounds, shown):
        assert str(Condition(op, bounds)) == shown


class TestOpposite:
    """A finite value meets a condition's opposite exactly when it does not meet the condition; NaN meets neither."""

    @pytest.mark.parametrize(
        "text", ["< 1", "<= 1", "> 1", ">= 1", "== 1", "!= 1", "between 0.5 and 1", "outside 0.5 and 1"]
    )
    def test_opposite(self, text):
        condition = Condition.parse(text)
        # The bounds, values just beside them (within and beyond the equality tolerance), and far from them.
        values = [-1e9, 0, 0.5, 0.5 - 1e-12, 0.5 + 1e-6, 0.75, 1, 1 + 1e-12, 1 - 1e-6, 1 + 1e-6, 2, 1e9]
        assert [condition.opposite().matches(v) for v in values] == [not condition.matches(v) for v in values]
        assert not condition.opposite().matches(math.nan) and not condition.matches(math.nan)
        assert condition.opposite().opposite() == condition


class TestText:
    """A condition's text reads back as the same condition: the listing of a check and messages show its bounds
    as written, never rounded (`> 1048576` is not `> 1.04858e+06`, which passes 1048577)."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("> 1048576", "> 1048576"),
            ("< 0.01", "< 0.01"),
            (">= 0.123456789", ">= 0.123456789"),
            ("<= 1e-7", "<= 1e-07"),
            ("between 0.9 and 1.0000001", "between 0.9 and 1.0000001"),
            ("< 1e16", "< 1e+16"),
            # Bounds their floats round are shown as written: a failure read `expected == 9007199254740992, got
            # 9007199254740992`.
            ("== 9007199254740993", "== 9007199254740993"),
            ("between +1 and 0.30000000000000001e1", "between 1 and 0.30000000000000001e1"),
            ("== +9007199254740993", "== 9007199254740993"),
        ],
    )
    def test_text(self, text, shown):
        condition = Condition.parse(text)
        assert str(condition) == shown
        assert Condition.parse(str(condition)) == condition


class TestEquality:
    """Two conditions are equal when their operators and bounds as written are: equal ones judge every value alike."""

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            # One float holds both, and matches_exactly tells 9007199254740993 from 9007199254740992. Before: equal.
            ("== 9007199254740993", "== 9007199254740992"),
            ("<= 9007199254740993", "<= 9007199254740992.0"),
            ("between 0 and 9007199254740993", "between 0 and 9007199254740992"),
            ("< 1", "<= 1"),
        ],
    )
    def test_different_bounds_or_operators_differ(self, one, other):
        first, second = Condition.parse(one), Condition.parse(other)
        assert first != second
        assert len({first, second}) == 2

    @pytest.mark.parametrize(
        ("one", "other"),
        [("< 0.010", "< 0.01"), ("== 1e2", "== 100"), ("> +5", ">5.0"), ("BETWEEN 1 and 2", "between 1.0 and 2")],
    )
    def test_the_same_bounds_written_otherwise_are_equal(self, one, other):
        assert Condition.parse(one) == Condition.parse(other)
        assert hash(Condition.parse(one)) == hash(Condition.parse(other))

    def test_a_condition_built_from_floats_equals_its_parse(self):
        assert Condition("<", (0.01,)) == Condition.parse("< 0.01")
        assert Condition("==", (9007199254740992.0,)) != Condition.parse("== 9007199254740993")


class TestEqualityWithOtherThings:
    """A condition is unequal to anything that is no condition, its own text included, and raises nothing."""

    @pytest.mark.parametrize("other", ["< 1", None, 1.0, ("<", (1.0,))])
    def test_unequal(self, other):
        # Without the isinstance guard, `other._exact()` raised AttributeError out of `==`.
        assert Condition.parse("< 1") != other
        # `==` gives a bool, whichever side the condition is on (NotImplemented lets Python ask the other side).
        assert (Condition.parse("< 1") == other) is False
        assert (other == Condition.parse("< 1")) is False
        # A search of a list compares with each item in turn.
        assert Condition.parse("< 1") in [other, Condition("<", (1.0,))]


class _Holder(BaseModel):
    condition: ConditionField


class TestConditionField:
    """A pydantic field takes a condition's text or a parsed Condition and shows it as text."""

    def test_text_and_condition(self):
        assert _Holder(condition="< 1").condition == Condition("<", (1.0,))
        assert _Holder(condition=Condition("<", (1.0,))).condition == Condition("<", (1.0,))
        assert _Holder(condition="< 1").model_dump() == {"condition": "< 1"}

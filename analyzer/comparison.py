"""The small, safe comparison grammar of `pass_if` / `fail_if`: `< 0.01`, `>= 0.95`, `between 0.9 and 1.1`."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from analyzer.models import Threshold

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_SIMPLE_RE = re.compile(rf"^\s*(<=|>=|==|!=|<|>)\s*({_NUMBER})\s*$")
# A bound written with a time unit (`< 500ms`, `< 2s`): PromQL has no units, and Prometheus' are seconds.
_DURATION_BOUND_RE = re.compile(r"\d\s*(ms|s|m|h|us|µs)\b", re.IGNORECASE)
_RANGE_RE = re.compile(rf"^\s*(between|outside)\s+({_NUMBER})\s+and\s+({_NUMBER})\s*$", re.IGNORECASE)

# Values within this relative distance of a bound count as equal to it: 0.1 + 0.2 is 0.3 here, so a
# computed value never lands on the wrong side of a bound by floating-point noise alone.
_EQUAL_REL_TOL = 1e-9
# A bound of 0 has no relative distance to forgive, and the rounding of larger numbers lands beside it
# (1 - 0.9999999999999999 is 1.1e-16, which must not pass `> 0`): values within this of 0 count as equal to it.
# Any other bound, however small, sets the scale it is judged at: an absolute tolerance there would blur it
# (`<= 1e-13` passed 9e-13), and the rounding of the numbers compared is within 1e-9 of them.
_ZERO_ABS_TOL = 1e-12


def _close(a: float, b: float) -> bool:
    """Whether value `a` counts as equal to bound `b`: within 1e-9 of it, or within 1e-12 of a bound of 0."""
    return math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL)


# `_close` written out in each (the same call): every verdict compares, and a Python frame fewer per comparison.
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b and not math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL),
    "<=": lambda a, b: a <= b or math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL),
    ">": lambda a, b: a > b and not math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL),
    ">=": lambda a, b: a >= b or math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL),
    "==": _close,
    "!=": lambda a, b: not math.isclose(a, b, rel_tol=_EQUAL_REL_TOL, abs_tol=0.0 if b else _ZERO_ABS_TOL),
}
_EXACT_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def at_most(value: float, bound: float, scale: float = 0.0) -> bool:
    """`value <= bound`, forgiving the rounding of float arithmetic: 1e-9 of the largest magnitude involved.

    `scale` is the size of the numbers `value` and `bound` were computed from (1.1 - 1.0 is 0.10000000000000009
    and must not exceed a tolerance of 10% of 1.0); a real excess is never that small. Infinities are compared as
    they are (1e-9 of an infinite magnitude would forgive anything: an unbounded harm within a tolerance).
    """
    magnitude = max(abs(value), abs(bound), scale)
    if magnitude == math.inf:
        return value <= bound
    return value <= bound + _EQUAL_REL_TOL * magnitude


def exceeds(value: float, bound: float, scale: float = 0.0) -> bool:
    """`value > bound` beyond the rounding of float arithmetic: the negation of `at_most` (NaN exceeds), written
    out rather than called: a check judges with it several times per evaluation."""
    magnitude = max(abs(value), abs(bound), scale)
    if magnitude == math.inf:
        return not value <= bound
    return not value <= bound + _EQUAL_REL_TOL * magnitude


_OPPOSITES = {
    "<": ">=",
    ">=": "<",
    "<=": ">",
    ">": "<=",
    "==": "!=",
    "!=": "==",
    "between": "outside",
    "outside": "between",
}
GRAMMAR = "'< N', '<= N', '> N', '>= N', '== N', '!= N', 'between A and B' or 'outside A and B'"


# An operator written as another language or tool writes it (`=>`, `=`, `≤`), or in words (`less than 0.5`), then a
# number: what it is in the grammar. Not the grammar's own `>=` and `<=` (a valid operator before a bound out of
# range, `>= 1e999`, means no other).
_OTHER_OPERATOR_RE = re.compile(
    r"\s*(=>|>==|=<|<==|=|≥|≤|<>|less than|below|under|greater than|more than|above|over|at most|at least)\s*"
    r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*",
    re.IGNORECASE,
)
_OPERATOR_MEANT = {
    "=>": ">=",
    ">==": ">=",
    "=<": "<=",
    "<==": "<=",
    "=": "==",
    "≥": ">=",
    "≤": "<=",
    "<>": "!=",
    "less than": "<",
    "below": "<",
    "under": "<",
    "greater than": ">",
    "more than": ">",
    "above": ">",
    "over": ">",
    "at most": "<=",
    "at least": ">=",
}


# The value a condition compares named first, as Argo Rollouts' successCondition names it (`result < 0.5`,
# `result[0] <= 0.3`) or as code would (`value > 0.99`, `x < 1`).
_SUBJECT_RE = re.compile(r"\s*(?:result(?:\[0\])?|value|x)\s*(\S.*)", re.IGNORECASE)


def _meant(text: str) -> str:
    """'; did you mean ...?' for a condition whose operator is written otherwise (`=> 0`), or which names the value
    it compares (`result < 0.5`), else ''."""
    meant = meant_condition(text)
    if meant is None:
        return ""
    if _SUBJECT_RE.fullmatch(text):
        # Argo's `result` is the whole answer; here the check's value is what every condition compares.
        return f"; did you mean '{meant}'? (a condition names no value: it compares the check's value)"
    return f"; did you mean '{meant}'?"


def meant_condition(text: str) -> str | None:
    """The condition of the grammar that `text` means when it is written as another tool writes one (`=> 0`, `less
    than 0.5`, Argo's `result < 0.5`), else None (also for a condition of the grammar itself)."""
    subject = _SUBJECT_RE.fullmatch(text)
    rest = subject.group(1) if subject else text
    simple = _SIMPLE_RE.fullmatch(rest) if subject else None
    if simple:
        return f"{simple.group(1)} {simple.group(2)}"
    found = _OTHER_OPERATOR_RE.fullmatch(rest)
    return f"{_OPERATOR_MEANT[found.group(1).lower()]} {found.group(2)}" if found else None


@dataclass(frozen=True, eq=False)
class Condition:
    """A parsed comparison; `matches` is False for NaN, so a missing value never satisfies it. Two are equal when
    their operators and their bounds as written are (`< 0.010` is `< 0.01`; `== 9007199254740993` is not
    `== 9007199254740992`, though one float holds both: `matches_exactly` tells them apart)."""

    op: str
    bounds: tuple[float, ...]
    # The bounds' text (`_written`): what `matches_exactly` compares with and what the condition shows.
    written: tuple[str, ...] = field(default=(), repr=False)

    def _exact(self) -> tuple[str, tuple[Decimal, ...]]:
        """The operator and the bounds as exact numbers: what equality compares."""
        return self.op, tuple(Decimal(text) for text in self.written or map(_written, self.bounds))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return self._exact() == other._exact()

    def __hash__(self) -> int:
        return hash(self._exact())

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse one condition; ValueError names the grammar when it is not one."""
        if not isinstance(text, str):
            raise ValueError(f"a condition is a string such as '< 0.01', got {text!r}")
        simple = _SIMPLE_RE.fullmatch(text)
        if simple:
            bound = _bound(text, simple.group(2))
            return cls(simple.group(1), (bound,), (_written(bound, simple.group(2)),))
        ranged = _RANGE_RE.fullmatch(text)
        if ranged:
            low, high = _bound(text, ranged.group(2)), _bound(text, ranged.group(3))
            # As written, not as floats: bounds one float holds both of compare apart in matches_exactly.
            if Decimal(ranged.group(2)) > Decimal(ranged.group(3)):
                raise ValueError(
                    f"{text!r}: the lower bound {ranged.group(2).lstrip('+')} is above the upper bound "
                    f"{ranged.group(3).lstrip('+')}"
                )
            return cls(
                ranged.group(1).lower(), (low, high), (_written(low, ranged.group(2)), _written(high, ranged.group(3)))
            )
        hint = "; a bound is the number the query returns: a ratio of 1% is 0.01" if "%" in text else ""
        if _DURATION_BOUND_RE.search(text):
            hint = "; a bound is the number the query returns, without a unit: 500 ms from a _seconds metric is 0.5"
        raise ValueError(f"{text!r} is not a condition; write {GRAMMAR} (quote it in YAML){hint or _meant(text)}")

    def matches(self, value: float) -> bool:
        """Whether a finite value satisfies the condition (NaN and infinities never do)."""
        if not math.isfinite(value):
            return False
        if self.op in ("between", "outside"):
            inside = _OPERATORS[">="](value, self.bounds[0]) and _OPERATORS["<="](value, self.bounds[1])
            return inside if self.op == "between" else not inside
        return _OPERATORS[self.op](value, self.bounds[0])

    def matches_exactly(self, value: int) -> bool:
        """Whether an exact integer (a JSON body's) satisfies the condition compared with the bounds as written, with
        no tolerance and no float: `<= 1000000000` fails 1000000001, and `== 9007199254740992` fails
        9007199254740993, which a float reads as 9007199254740992."""
        bounds = [Decimal(text) for text in self.written] or [Decimal(bound) for bound in self.bounds]
        if self.op in ("between", "outside"):
            inside = bounds[0] <= value <= bounds[1]
            return inside if self.op == "between" else not inside
        return _EXACT_OPERATORS[self.op](value, bounds[0])

    @property
    def threshold(self) -> Threshold:
        """The number (or interval) a verdict reports as its threshold."""
        return list(self.bounds) if len(self.bounds) == 2 else self.bounds[0]

    @property
    def kind_of_bound(self) -> str:
        """`upper` when small values are good (`<`, `<=`), `lower` when large are, else `other`."""
        if self.op in ("<", "<="):
            return "upper"
        if self.op in (">", ">="):
            return "lower"
        return "other"

    def opposite(self) -> Condition:
        """The condition a finite value meets exactly when it does not meet this one (`> 0.5`: `<= 0.5`)."""
        return Condition(_OPPOSITES[self.op], self.bounds, self.written)

    def __str__(self) -> str:
        shown = self.written or tuple(_written(bound) for bound in self.bounds)
        return f"{self.op} {shown[0]} and {shown[1]}" if len(shown) == 2 else f"{self.op} {shown[0]}"


def _written(bound: float, text: str = "") -> str:
    """A bound as the shortest text that reads back as it (`1048576`, `0.01`): the text of a condition is what the
    catalog's listing shows and what a message tells to write, and 6 significant digits moved `> 1048576` to
    `> 1.04858e+06`, which passes 1048577. A number `text` its float rounds is as written (`9007199254740993`)."""
    shown = repr(bound).removesuffix(".0")
    return shown if not text or Decimal(text) == Decimal(shown) else text.lstrip("+")


def _bound(text: str, number: str) -> float:
    bound = float(number)
    if not math.isfinite(bound):
        # 1e999 reads as infinity: a bound no value can cross, and no number an answer's threshold can show.
        raise ValueError(f"{text!r}: the bound {number} is beyond the range of a number")
    if not bound and Decimal(number):
        # Read as 0, it would take a bound of 0's tolerance: `<= 1e-400` would pass 9e-13.
        raise ValueError(
            f"{text!r}: the bound {number} is nearer 0 than any number but 0, and would read as 0: write 0 if 0 is "
            "meant"
        )
    return bound


def _coerce(value: Any) -> Condition:
    return value if isinstance(value, Condition) else Condition.parse(value)


ConditionField = Annotated[
    Condition,
    BeforeValidator(_coerce),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["< 0.01", "between 0.9 and 1.1"]}),
]
"""A pydantic field holding a Condition, written and shown as its text."""

"""Reductions of several numbers to one: `avg`, `max`, `min`, `sum`, `last`, `quantile(0.95)`."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_QUANTILE_RE = re.compile(r"^quantile\(\s*(0(?:\.\d+)?|1(?:\.0*)?)\s*\)$")
_NAMES = ("avg", "max", "min", "sum", "last")


@dataclass(frozen=True)
class Reducer:
    """A named reduction; `quantile` carries its q in [0, 1] (linear interpolation, like PromQL)."""

    name: str
    q: float | None = None

    @classmethod
    def parse(cls, text: Any) -> Reducer:
        """Parse `avg`, `max`, `min`, `sum`, `last` or `quantile(q)`; ValueError otherwise."""
        if isinstance(text, Reducer):
            return text
        if isinstance(text, str):
            cleaned = text.strip()
            if cleaned in _NAMES:
                return cls(cleaned)
            match = _QUANTILE_RE.fullmatch(cleaned)
            if match:
                return cls("quantile", float(match.group(1)))
        raise ValueError(f"{text!r} is not a reduction; use avg, max, min, sum, last or quantile(0.95)")

    def apply(self, values: Sequence[float]) -> float:
        """Reduce values in order; NaN when there are none, and, but for `last`, when one is NaN."""
        if not values:
            return math.nan
        if self.name == "last":
            return values[-1]
        # Python's max and min keep or drop a NaN by its place, and sorted() leaves its neighbours unsorted: a value
        # that cannot be judged would turn into one that can (max([1, nan, 3]) is 3, quantile(1) of [3, nan, 1] 1).
        if any(map(math.isnan, values)):
            return math.nan
        if self.name == "avg":
            return _fsum_over(values, len(values))
        if self.name == "max":
            return max(values)
        if self.name == "min":
            return min(values)
        if self.name == "sum":
            return _fsum_over(values, 1)
        assert self.q is not None
        ordered = sorted(values)
        rank = self.q * (len(ordered) - 1)
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        weight = rank - low
        if weight == 0:
            # On a value: it, not it plus 0 times its neighbour (0 * inf is NaN).
            return ordered[low]
        # Weighed as PromQL's quantile does: the difference of two neighbours of opposite signs may leave the float
        # range, their weighted sum never does.
        return ordered[low] * (1 - weight) + ordered[high] * weight

    def __str__(self) -> str:
        # q in full and without an exponent, as `parse` reads it: `:g` showed 0.9999999 as 1 (the maximum), and
        # 0.00001 as 1e-05, which no catalog parses.
        return f"quantile({Decimal(repr(self.q)).normalize():f})" if self.name == "quantile" else self.name


def _fsum_over(values: Sequence[float], divisor: int) -> float:
    """The exact sum of `values` over `divisor`, rounded once; an infinity only when the result itself lies beyond
    the float range (fsum raises when a partial sum does, e.g. 1e308 + 1e308 - 1e308), NaN for infinities of both
    signs."""
    try:
        return math.fsum(values) / divisor
    except ValueError:
        # fsum refuses inf + -inf, which has no value.
        return math.nan
    except OverflowError:
        # Scaled down by a power of two above the count, no partial sum can leave the range; the scaling is exact.
        scale = 2.0 ** len(values).bit_length()
        return math.fsum(value / scale for value in values) / divisor * scale


ReducerField = Annotated[
    Reducer,
    BeforeValidator(Reducer.parse),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(avg|max|min|sum|last|quantile\(.+\))$"}),
]
"""A pydantic field holding a Reducer, written as its text."""

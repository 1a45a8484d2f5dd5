"""Seeded autocorrelated samples for the statistics tests, from a stream no library upgrade changes.

numpy promises a Generator's stream only for the same build of numpy on the same machine (its "Compatibility
policy"): a seeded count of verdicts could then change with every numpy release. Python promises `random.random()`'s
sequence for a seed (the random module's "Notes on Reproducibility"), and NormalDist.inv_cdf is a fixed formula
(Wichura's AS241), so these samples stay the same up to the last bit of a libm logarithm.
"""

from __future__ import annotations

import math
import random
from statistics import NormalDist

_STANDARD = NormalDist()


def normal(rng: random.Random, mean: float = 0.0, sd: float = 1.0) -> float:
    """A normal deviate from one uniform of `rng` (never 0, where the inverse CDF has no value)."""
    uniform = rng.random()
    while uniform == 0.0:
        uniform = rng.random()
    return mean + sd * _STANDARD.inv_cdf(uniform)


def ar1(rng: random.Random, count: int, rho: float) -> list[float]:
    """Stationary AR(1) samples with unit variance and lag-1 autocorrelation rho."""
    value, out = normal(rng), []
    for _ in range(count):
        value = rho * value + math.sqrt(1 - rho * rho) * normal(rng)
        out.append(value)
    return out

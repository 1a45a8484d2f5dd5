"""Seeded autocorrelated samples for the statistics tests."""

from __future__ import annotations

import math

import numpy as np


def ar1(rng: np.random.Generator, count: int, rho: float) -> list[float]:
    """Stationary AR(1) samples with unit variance and lag-1 autocorrelation rho."""
    value, out = rng.normal(), []
    for _ in range(count):
        value = rho * value + math.sqrt(1 - rho * rho) * rng.normal()
        out.append(value)
    return out

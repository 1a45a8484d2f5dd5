"""Seeded error ratios as a range query samples them, with the traffic an `events` query counts, from Python's random
(whose sequence a seed fixes: see tests/autocorrelated.py).

Each step gets a Poisson number of requests, each of them an error with the variant's true ratio; a sample is the
ratio over the last `window` steps (`rate(errors[6m]) / rate(requests[6m])` sampled every minute), and the events are
the requests of the lookback's steps (`increase(requests[1h])`). A window without requests is 0/0, NaN, which the
range answer leaves out.
"""

from __future__ import annotations

import math
import random

from tests.autocorrelated import normal


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count: Knuth's product of uniforms below a mean of 50, a rounded normal above."""
    if mean >= 50:
        return max(0, round(normal(rng, mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def windowed(
    rng: random.Random,
    requests_per_step: float | tuple[float, float],
    error_ratio: float,
    samples: int = 61,
    window: int = 6,
) -> tuple[list[float], float]:
    """`samples` error ratios over `window` steps each, one step apart, and the requests of the last samples - 1 steps
    (the lookback the samples span); two requests per step are the first half's and the second's (a weight changed
    midway)."""
    steps = samples + window - 1
    early, late = requests_per_step if isinstance(requests_per_step, tuple) else (requests_per_step,) * 2
    requests, errors = [], []
    for step in range(steps):
        count = poisson(rng, early if step < steps // 2 else late)
        requests.append(count)
        errors.append(sum(1 for _ in range(count) if rng.random() < error_ratio))
    ratios = []
    for start in range(samples):
        total = sum(requests[start : start + window])
        if total:
            ratios.append(sum(errors[start : start + window]) / total)
    return ratios, float(sum(requests[-(samples - 1) :]))

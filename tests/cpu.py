"""The least CPU time of a piece of work over a few runs, for the linear-time tests of the secret readers.

The least of several process-time readings is what the work itself costs: a loaded machine only adds to a reading.
A test compares two sizes of one text (about 4x the text: about 4x the time, not 16x), never a time with a bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def least_cpu_s(work: Callable[[], object], runs: int = 3) -> float:
    """The least CPU seconds of `runs` calls of `work`."""
    best = math.inf
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best

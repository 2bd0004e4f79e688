"""Timing helpers shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable


def best_of_with_result(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall time of `repeats` calls (the least noisy estimate on a shared machine), and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def best_of(function: Callable[[], object], repeats: int) -> float:
    """Smallest wall time of `repeats` calls."""
    return best_of_with_result(function, repeats)[0]


def peak_rss_gb() -> float:
    """Peak resident set size of this process so far, in GB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6

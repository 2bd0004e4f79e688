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


def alternated(functions: dict[str, Callable[[], object]], rounds: int, calls: int = 1) -> dict[str, list[float]]:
    """``[min, median, max]`` wall time per name, the names timed in alternating rounds of `calls` calls.

    Alternating spreads a burst of load from other processes over all the contenders instead of
    spoiling one of them; every contender runs once before the timing starts (warm-up).
    """
    import statistics

    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            for _ in range(calls):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
    return {name: [min(values), statistics.median(values), max(values)] for name, values in times.items()}


def load_average() -> list[float]:
    """The 1-, 5- and 15-minute load averages (2 cores shared by others: the numbers' context)."""
    import os

    return [round(value, 2) for value in os.getloadavg()]


def spread(values: list[float], scale: float = 1e3, unit: str = "ms") -> str:
    """``min/median/max unit``."""
    return "/".join(f"{value * scale:.3g}" for value in values) + f" {unit}"

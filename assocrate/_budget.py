"""Up-front cost estimates: refuse a run that cannot fit in memory or would not end, before it allocates.

Every estimate is a :class:`Cost` (bytes to hold, floating-point operations to do) computed from
the sizes alone (N, P, the batch, the steps, the dtype); :func:`check_cost` compares it with the
memory available now (``psutil.virtual_memory().available``) and with :data:`TIME_LIMIT` and
raises :class:`~assocrate.errors.InvalidInput` with the estimate and the argument that lowers it.
The estimates are deliberately rough (within a small factor): they are there to refuse runs that
are orders of magnitude too large (10¹² patterns, 10¹⁴ Euler steps), not to predict run times.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import InvalidInput

__all__ = [
    "FLOPS_PER_SECOND",
    "TIME_LIMIT",
    "Cost",
    "available_memory",
    "capacity_cost",
    "check_cost",
    "format_bytes",
    "format_seconds",
    "patterns_cost",
    "retrieval_cost",
]

#: Sustained floating-point rate assumed by the time estimates (one shared core of a laptop).
FLOPS_PER_SECOND = 2e9
#: A run estimated to take longer than this (seconds) is refused: 24 hours.
TIME_LIMIT = 24 * 3600.0


@dataclass(frozen=True)
class Cost:
    """What a run needs: `bytes` of memory at its peak and `flops` floating-point operations."""

    bytes: float
    flops: float

    @property
    def seconds(self) -> float:
        """The time estimate at :data:`FLOPS_PER_SECOND`."""
        return self.flops / FLOPS_PER_SECOND


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (psutil; else the free physical pages)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency of distributed
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return int(psutil.virtual_memory().available)


def format_bytes(size: float) -> str:
    """`size` bytes in the largest unit that keeps the number >= 1 (``'12 GB'``)."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{size:.3g} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def format_seconds(seconds: float) -> str:
    """`seconds` as s, min, h or days."""
    for unit, length in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= (2 if unit == "days" else 1) * length:  # 36 h, not 1.5 days
            return f"{seconds / length:.3g} {unit}"
    return f"{seconds:.2g} s"


def check_cost(cost: Cost, what: str, lower: str) -> Cost:
    """Raise :class:`InvalidInput` if `cost` exceeds the available memory or :data:`TIME_LIMIT`.

    `what` describes the run (``'retrieve: N=1000, 14 cues, 1000 steps'``), `lower` names the
    arguments or options that make it smaller; both go into the message.
    """
    available = available_memory()
    if cost.bytes > available:
        raise InvalidInput(
            f"{what} needs about {format_bytes(cost.bytes)} of memory; {format_bytes(available)} is available. "
            f"Lower {lower}"
        )
    if cost.seconds > TIME_LIMIT:
        raise InvalidInput(
            f"{what} would take about {format_seconds(cost.seconds)} (estimated at {FLOPS_PER_SECOND:.0e} flop/s; "
            f"the limit is {format_seconds(TIME_LIMIT)}). Lower {lower}"
        )
    return cost


def patterns_cost(n_units: int, n_patterns: int) -> Cost:
    """Drawing P random patterns of N units: a float32 draw and the bool result."""
    size = float(n_units) * float(n_patterns)
    return Cost(bytes=5.0 * size, flops=10.0 * size)


def retrieval_cost(n_units: int, n_patterns: int, batch: int, n_steps: int, record_every: int, itemsize: int) -> Cost:
    """A batched Euler–Maruyama retrieval through the factors (``W = U C Uᵀ``, rank P+1).

    Memory: the factors (float64) and the step's transposed copy of one of them (in the run's
    dtype), about six N x B state-sized buffers (state, drive, noise, work) and the recorded
    overlaps, P x B per recorded step. Work: two N x (P+1) x B products per step and the rate
    function (about 20 operations per entry).
    """
    n, p, b, steps = float(n_units), float(n_patterns), float(batch), float(n_steps)
    records = steps / max(record_every, 1) + 2.0
    memory = (8.0 + itemsize) * n * (p + 1) + 6.0 * itemsize * n * b + 8.0 * p * b * records
    work = steps * (4.0 * n * (p + 1) * b + 20.0 * n * b)
    return Cost(bytes=memory, flops=work)


def capacity_cost(n_units: int, n_patterns: list[int], trials: int, n_steps: int) -> Cost:
    """A capacity sweep: per cell, P memories checked (O(N P² + P³) each) and P cues retrieved.

    Memory is that of the largest cell (cells run one at a time per worker), work the sum.
    """
    n = float(n_units)
    memory, work = 0.0, 0.0
    for count in n_patterns:
        p = float(count)
        retrieval = retrieval_cost(n_units, count, count, n_steps, 10, 8)
        cell_memory = retrieval.bytes + 8.0 * (4.0 * n * (p + 1) + 3.0 * (p + 1) ** 2)
        memory = max(memory, cell_memory)
        work += trials * (p * (6.0 * n * p * p + 10.0 * p**3) + retrieval.flops)
    return Cost(bytes=memory, flops=work)

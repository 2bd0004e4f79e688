"""Helpers shared by the summaries and JSON records of retrieval results."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["format_value", "json_float", "last_passing"]


def json_float(value: float) -> float | None:
    """`value` as a float, or None (JSON null) if it is NaN or infinite."""
    return None if not math.isfinite(value) else float(value)


def format_value(value: float, spec: str) -> str:
    """`value` formatted with `spec`, or ``"n/a"`` if it is NaN or infinite."""
    return "n/a" if not math.isfinite(value) else format(value, spec)


def last_passing(levels: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """The last of `levels` before `values` first drops below `threshold` (NaN if it starts below)."""
    failing = np.flatnonzero(values < threshold)
    if failing.size and failing[0] == 0:
        return math.nan
    return float(levels[-1] if failing.size == 0 else levels[failing[0] - 1])



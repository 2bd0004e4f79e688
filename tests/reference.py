"""The reference activations and a quiet design helper shared by the tests (theory.md §3, §7)."""

from __future__ import annotations

import warnings

import numpy as np

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import MemoryNetwork, design

REFERENCE_SIGMOID = Sigmoid(rho=4.8, threshold=0.2)
REFERENCE_TANH = RectifiedTanh(rho=4.8, threshold=0.75)


def design_quietly(patterns: np.ndarray, activation, a: float, b: float, **kwargs) -> MemoryNetwork:
    """Design without the approximate-equilibrium warning (for random patterns on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, activation, a, b, **kwargs)

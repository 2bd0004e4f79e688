"""The reference activations and a quiet design helper shared by the tests (theory.md §3, §7, §6b)."""

from __future__ import annotations

import warnings

import numpy as np

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import MemoryNetwork, design
from assocrate.core.lif import LIFTransfer

REFERENCE_SIGMOID = Sigmoid(rho=4.8, threshold=0.2)
REFERENCE_TANH = RectifiedTanh(rho=4.8, threshold=0.75)
#: The LIF transfer of the LIF reference design (tau_m 10 ms, t_ref 4 ms: at most 250 Hz; theory.md §6b).
REFERENCE_LIF = LIFTransfer(tau_m=0.01, t_ref=0.004, threshold=1.0, reset=0.0, sigma=0.3)


def design_quietly(patterns: np.ndarray, activation, a: float, b: float, **kwargs) -> MemoryNetwork:
    """Design without the approximate-equilibrium warning (for random patterns on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, activation, a, b, **kwargs)


def unequal_patterns(n_units: int, n_patterns: int, seed: int) -> np.ndarray:
    """Random patterns with activities drawn per pattern in [0.1, 0.5] (unequal sizes: a projection-rule
    design of them has a non-symmetric W, theory.md §3)."""
    rng = np.random.default_rng(seed)
    return rng.random((n_units, n_patterns)) < rng.uniform(0.1, 0.5, n_patterns)


def unequal_activity_patterns(n_units: int, n_patterns: int, seed: int) -> np.ndarray:
    """Random patterns (N x P) whose activities run from 10 % to 40 % (so the projection rule's W is not symmetric)."""
    rng = np.random.default_rng(seed)
    return rng.random((n_units, n_patterns)) < np.linspace(0.1, 0.4, n_patterns)


def projection_network(n_units: int = 200, n_patterns: int = 6, seed: int = 0, **kwargs) -> MemoryNetwork:
    """A projection-rule design of :func:`unequal_activity_patterns` (non-symmetric W) at the reference levels."""
    patterns = unequal_activity_patterns(n_units, n_patterns, seed)
    return design(patterns, REFERENCE_SIGMOID, -0.3, 0.95, rule="projection", **kwargs)

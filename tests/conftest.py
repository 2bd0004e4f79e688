"""Shared fixtures: the reference networks of DESIGN.md §3 and §7."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from assocrate.activations import RectifiedTanh, Sigmoid
from assocrate.design import MemoryNetwork, design
from assocrate.patterns import correlated_patterns, equal_overlap_patterns, random_patterns

# Derandomized in CI so that a run is reproducible; a local run explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REFERENCE_SIGMOID = Sigmoid(rho=4.8, threshold=0.2)
REFERENCE_TANH = RectifiedTanh(rho=4.8, threshold=0.75)


def design_quietly(patterns: np.ndarray, activation, a: float, b: float, **kwargs) -> MemoryNetwork:
    """Design without the approximate-equilibrium warning (for random patterns on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return design(patterns, activation, a, b, **kwargs)


@pytest.fixture(scope="session")
def sigmoid() -> Sigmoid:
    return REFERENCE_SIGMOID


@pytest.fixture(scope="session")
def equal_overlap_network() -> MemoryNetwork:
    """Equal-overlap design, N = 1000, q = 0.2, a = -0.3, b = 0.95 (negative gamma)."""
    return design(equal_overlap_patterns(0.2, 1000), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="session")
def positive_gamma_network() -> MemoryNetwork:
    """Equal-overlap design with a = 0.1 (positive gamma)."""
    return design(equal_overlap_patterns(0.2, 1000), REFERENCE_SIGMOID, 0.1, 0.95)


@pytest.fixture(scope="session")
def correlated_network() -> MemoryNetwork:
    """Correlated patterns with exact overlap, q = 0.2, r = 0.4, N = 1000, P = 5."""
    return design(correlated_patterns(1000, 0.2, 0.4, 5, seed=3), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="session")
def random_network() -> MemoryNetwork:
    """The reference retrieval network: N = 1000, P = 14 random patterns, q = 0.2 (nominal q, r)."""
    return design(random_patterns(1000, 14, 0.2, seed=0), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)

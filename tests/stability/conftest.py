"""Networks shared by the energy and convergence tests."""

from __future__ import annotations

import pytest

from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


@pytest.fixture(scope="package")
def small_network():
    return design_quietly(random_patterns(60, 4, 0.3, seed=1), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="package")
def tanh_network():
    return design(equal_overlap_patterns(1000, 0.2), REFERENCE_TANH, 0.5, 0.95)

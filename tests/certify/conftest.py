"""Fixtures shared by the certify tests."""

from __future__ import annotations

import pytest

from assocrate.certify.radius import certified_radius
from assocrate.core.patterns import random_patterns

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="module")
def small_network():
    """N = 20 random patterns in 5 row types (counts 10, 2, 4, 2, 2)."""
    return design_quietly(random_patterns(20, 3, 0.3, seed=4), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="module")
def reference_radius(equal_overlap_network):
    return certified_radius(equal_overlap_network, 0)

"""Fixtures shared by the dynamics tests."""

from __future__ import annotations

import pytest

from assocrate.core.design import MemoryNetwork
from assocrate.core.patterns import random_patterns

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="package")
def small_network() -> MemoryNetwork:
    """N = 200 random patterns: small enough for dense W comparisons."""
    return design_quietly(random_patterns(200, 5, 0.2, seed=4), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)


@pytest.fixture()
def no_dense(monkeypatch):
    """Fail the test if anything forms W densely."""

    def refuse(self, *, force=False):
        raise AssertionError("dense W formed")

    monkeypatch.setattr(MemoryNetwork, "dense_weights", refuse)

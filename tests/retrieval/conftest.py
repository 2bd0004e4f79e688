"""Fixtures of the retrieval tests: the reference experiment of theory.md §7.

N = 1000, q = 0.2, P = 14 random patterns, sigmoid rho = 4.8, threshold = 0.2, tau = 1, dt = 0.01,
t in [0, 10], cues keep 60 % of the active units.
"""

from __future__ import annotations

import pytest

from assocrate.core.design import MemoryNetwork
from assocrate.retrieval import make_cues, retrieve

from ..reference import REFERENCE_SIGMOID, design_quietly


@pytest.fixture(scope="module")
def negative_gamma_run(random_network) -> tuple:
    """The reference experiment, gamma < 0: 4 cues from each of the 14 memories."""
    cues = make_cues(random_network, "delete", 0.4, trials=4, seed=1)
    return cues, retrieve(random_network, cues, t_max=10.0, dt=0.01)


@pytest.fixture(scope="module")
def positive_gamma_network(random_network) -> MemoryNetwork:
    """The same random patterns with a = 0.1 (gamma > 0)."""
    return design_quietly(random_network.patterns, REFERENCE_SIGMOID, 0.1, 0.95, q=0.2, r=0.2)

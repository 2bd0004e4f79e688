"""Shared fixtures: the reference networks of theory.md §3 and §7."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from assocrate.cli import main
from assocrate.core.activations import Sigmoid
from assocrate.core.design import MemoryNetwork, design
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns

from .reference import REFERENCE_LIF, REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly, projection_network  # noqa: F401

# Derandomized in CI so that a run is reproducible; a local run explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

@pytest.fixture(scope="session")
def sigmoid() -> Sigmoid:
    return REFERENCE_SIGMOID


@pytest.fixture(scope="session")
def equal_overlap_network() -> MemoryNetwork:
    """Equal-overlap design, N = 1000, q = 0.2, a = -0.3, b = 0.95 (negative gamma)."""
    return design(equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="session")
def nonsymmetric_network() -> MemoryNetwork:
    """Projection rule, N = 200, P = 6, activities 10..40 % (tests/reference.py): W = L C R^T is not symmetric."""
    network = projection_network(200, 6, seed=0)
    assert not network.is_symmetric
    return network


@pytest.fixture(scope="session")
def positive_gamma_network() -> MemoryNetwork:
    """Equal-overlap design with a = 0.1 (positive gamma)."""
    return design(equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, 0.1, 0.95)


@pytest.fixture(scope="session")
def lif_network() -> MemoryNetwork:
    """Equal-overlap design with the LIF transfer, N = 1000, q = 0.2, a = -2, b = 4 (gamma < 0, every memory stable)."""
    return design(equal_overlap_patterns(1000, 0.2), REFERENCE_LIF, -2.0, 4.0)


@pytest.fixture(scope="session")
def correlated_network() -> MemoryNetwork:
    """Correlated patterns with exact overlap, q = 0.2, r = 0.4, N = 1000, P = 5."""
    return design(correlated_patterns(1000, 5, 0.2, 0.4, seed=3), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.fixture(scope="session")
def random_network() -> MemoryNetwork:
    """The reference retrieval network: N = 1000, P = 14 random patterns, q = 0.2 (nominal q, r)."""
    return design(random_patterns(1000, 14, 0.2, seed=0), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)


@pytest.fixture
def cli(capsys):
    """``cli(*args)`` runs ``assocrate ARGS`` through :func:`assocrate.cli.main`; returns (code, stdout, stderr)."""

    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run

"""stability.spectra: reduced Jacobian spectra against dense eigenvalues, multiplicities, recorded points, tau."""

from __future__ import annotations

import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.stability import jacobian_spectrum

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly
from .dense import STABLE_TANH, dense_jacobians

PATTERN_SETS = {
    "equal-overlap": lambda: equal_overlap_patterns(500, 0.2),
    "equal-overlap q=0.3 (zero rows)": lambda: equal_overlap_patterns(500, 0.3),
    "random": lambda: random_patterns(400, 8, 0.2, seed=1),
    "correlated": lambda: correlated_patterns(600, 5, 0.2, 0.4, seed=2),
}


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH, STABLE_TANH], ids=lambda a: repr(a))
@pytest.mark.parametrize("patterns", list(PATTERN_SETS))
def test_reduced_spectrum_equals_dense_eigenvalues(patterns, activation):
    network = design_quietly(PATTERN_SETS[patterns](), activation, -0.3, 0.95)
    for form, J in zip(("rate", "current"), dense_jacobians(network, 1)):
        spectrum = jacobian_spectrum(network, 1, form=form).spectrum
        dense = np.linalg.eigvals(J)
        assert spectrum.size == network.n_units
        assert np.max(np.abs(dense.imag)) < 1e-9
        np.testing.assert_allclose(np.sort(dense.real), spectrum.dense(), rtol=0, atol=1e-9)


def test_ideal_point_of_an_approximate_design_equals_dense():
    network = design_quietly(random_patterns(300, 6, 0.2, seed=4), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    js = jacobian_spectrum(network, 2, at="ideal")
    J_rate, _ = dense_jacobians(network, 2, at="ideal")
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(J_rate).real), js.spectrum.dense(), atol=1e-9)
    assert js.equilibrium_residual > 1e-3 and js.equilibrium_status == "designed memory (not refined)"


def test_refined_equilibrium_is_recorded(random_network):
    js = jacobian_spectrum(random_network, 0)
    assert js.equilibrium_status == "converged"
    assert js.equilibrium_residual <= 1e-12
    assert 0 < js.equilibrium_shift < 0.1


def test_multiplicities_count_zero_slopes():
    """Rectified tanh with a below threshold: only active units have slope, rank 2, -1 x (N - 2)."""
    network = design(equal_overlap_patterns(500, 0.2), STABLE_TANH, -0.3, 0.95)
    js = jacobian_spectrum(network, 0)
    assert js.rank == 2
    minus_one = js.spectrum.values == -1.0
    assert js.spectrum.multiplicities[minus_one].sum() == network.n_units - 2


def test_tau_rescales_eigenvalues():
    patterns = equal_overlap_patterns(500, 0.2)
    slow = jacobian_spectrum(design(patterns, REFERENCE_SIGMOID, 0.1, 0.95, tau=2.5), 0)
    fast = jacobian_spectrum(design(patterns, REFERENCE_SIGMOID, 0.1, 0.95), 0)
    np.testing.assert_allclose(slow.spectrum.dense() * 2.5, fast.spectrum.dense(), rtol=1e-14)
    np.testing.assert_allclose(slow.time_constants(), 2.5 * fast.time_constants(), rtol=1e-14)

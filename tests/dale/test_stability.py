"""dale.stability: the reduced augmented spectrum against dense eigenvalues, its limits in tau_I, and
destabilization by slow inhibition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.core.activations import Sigmoid
from assocrate.core.patterns import random_patterns
from assocrate.dale import (
    dale_realization,
    dale_spectrum,
    dale_stability,
    simulate_dale,
)
from assocrate.dynamics import simulate
from assocrate.stability import Verdict, jacobian_spectrum

from ..reference import design_quietly
from .dense import (
    SMALL_DESIGNS,
    dense_equilibrium,
    dense_jacobian,
    matched_distance,
    small_design,
)

# ----------------------------------------------------------------------------------------------
# Spectra
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tau_inhibitory", [0.1, 1.0, 10.0, 100.0])
@pytest.mark.parametrize("name", list(SMALL_DESIGNS))
def test_reduced_spectrum_equals_dense_eigenvalues(name, tau_inhibitory):
    """All N + N_I eigenvalues (with multiplicity) agree with numpy.linalg.eigvals of the dense
    augmented Jacobian under the best matching, to 1e-9 (dense nonsymmetric eigenvalues of these
    well-conditioned matrices are accurate to ~1e-13; the bulk -1/tau has multiplicity ~N); the
    designed network's part is jacobian_spectrum's, bit for bit."""
    network = small_design(name)
    for n_inhibitory in (1, 3):
        dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
        spectrum = dale_spectrum(dale, 1)
        dense = np.linalg.eigvals(dense_jacobian(dale, dense_equilibrium(network, 1)))
        assert spectrum.size == network.n_units + n_inhibitory
        assert matched_distance(spectrum.dense(), dense) <= 1e-9
        assert spectrum.max_real == pytest.approx(dense.real.max(), abs=1e-9)
    assert spectrum.plain.max_eigenvalue == jacobian_spectrum(network, 1).max_eigenvalue


@settings(max_examples=25)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_units=st.integers(2, 30),
    n_patterns=st.integers(1, 6),
    n_inhibitory=st.integers(1, 3),
    tau_inhibitory=st.floats(0.05, 20.0),
    rho=st.floats(0.3, 5.0),
)
def test_reduced_spectrum_of_random_designs(seed, n_units, n_patterns, n_inhibitory, tau_inhibitory, rho):
    """Random tiny designs at their designed memories (at="ideal", slopes phi'(a), phi'(b)),
    including N < P + 1 (rank of U^T D U capped by N) and gains from flat to steep: the reduced
    spectrum matches dense eigvals to 1e-8 relative to the largest eigenvalue modulus (tiny
    nonsymmetric problems; the bound leaves room for eigenvalues of conditioning up to ~1e5)."""
    patterns = random_patterns(n_units, n_patterns, 0.4, seed=seed).copy()
    patterns[seed % n_units] = True  # pattern_statistics refuses empty and full patterns
    patterns[(seed + 1) % n_units] = False
    network = design_quietly(patterns, Sigmoid(rho, 0.2), -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=tau_inhibitory)
    spectrum = dale_spectrum(dale, 0, at="ideal")
    slopes = network.activation.dphi(network.memory_currents()[:, 0])
    dense = np.linalg.eigvals(dense_jacobian(dale, network.memory_rates()[:, 0], slopes))
    assert spectrum.size == n_units + n_inhibitory
    assert matched_distance(spectrum.dense(), dense) <= 1e-8 * max(1.0, np.abs(dense).max())


def test_tau_inhibitory_limits():
    """tau_I -> 0 recovers the designed network plus a fast mode ~ -1/tau_I; tau_I -> inf the
    excitatory block with frozen inhibition plus a slow mode -> 0. Tolerances 1e-3: the corrections
    are O(tau_I) and O(1/tau_I) with O(1) coefficients, here at tau_I = 1e-5 and 1e5."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network)
    fast = dale_spectrum(dale.with_tau_inhibitory(1e-5), 0)
    slow = dale_spectrum(dale.with_tau_inhibitory(1e5), 0)
    assert fast.max_real == pytest.approx(fast.plain.max_eigenvalue, abs=1e-3)
    assert fast.reduced.real.min() < -1e4
    assert slow.max_real == pytest.approx(slow.excitatory_max_eigenvalue, abs=1e-3)
    assert np.min(np.abs(slow.reduced)) < 1e-3


def test_reference_networks_are_stable_for_every_tau_inhibitory(
    equal_overlap_network, correlated_network, random_network
):
    """What is true for the reference networks: their slopes are tiny (phi' ~ 1e-4 at a, b), so even
    with frozen inhibition every excitatory eigenvalue is < 0 and each memory is stable for every
    tau_I (the reduced matrix is negative definite plus skew). Checked at tau_I from 1e-2 to 1e4."""
    for network in (equal_overlap_network, correlated_network, random_network):
        dale = dale_realization(network)
        result = dale_stability(dale)
        assert all(s.stable_for_every_tau_inhibitory for s in result.spectra)
        for tau_inhibitory in (1e-2, 1.0, 1e4):
            spectrum = dale_spectrum(dale.with_tau_inhibitory(tau_inhibitory), 0)
            assert spectrum.verdict is Verdict.STABLE


def test_equal_overlap_q02_frozen_block_is_the_sufficient_condition(equal_overlap_network):
    """Derived: with c = alpha (test_reference_shift_is_alpha) the frozen excitatory block of the
    q = 0.2 equal-overlap design has the eigenvalues alpha d_a, alpha d_b (K2 with gamma -> alpha is
    symmetric with det alpha^2 d_a d_b and trace alpha(d_a + d_b)), so its largest is
    (-1 + alpha eta)/tau: the paper's sufficient condition. Tolerance 1e-12 (rounding of the reduction)."""
    net = equal_overlap_network
    spectrum = dale_spectrum(dale_realization(net), 0)
    eta = max(float(net.activation.dphi(net.a)), float(net.activation.dphi(net.b)))
    assert spectrum.excitatory_max_eigenvalue == pytest.approx(-1 + net.alpha * eta, abs=1e-12)


def test_slow_inhibition_destabilizes_by_a_hopf_bifurcation():
    """A memory stable in the designed network (and with fast inhibition) is unstable with slow
    inhibition. The loss of stability is a Hopf bifurcation: det J = (-1/tau_I)^N_I det J_designed
    (Schur complement of the inhibitory block) never vanishes, so no real eigenvalue crosses 0 and
    the crossing pair at the critical tau_I is complex. Located by bisection to 1e-10 relative."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network)
    plain = jacobian_spectrum(network, 0)
    assert plain.verdict is Verdict.STABLE
    assert dale_spectrum(dale.with_tau_inhibitory(0.1), 0).verdict is Verdict.STABLE
    slow = dale_spectrum(dale.with_tau_inhibitory(10.0), 0)
    assert slow.verdict is Verdict.UNSTABLE and not slow.stable_for_every_tau_inhibitory
    lo, hi = 0.1, 10.0
    while hi / lo > 1 + 1e-10:
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if dale_spectrum(dale.with_tau_inhibitory(mid), 0).max_real < 0 else (lo, mid)
    critical = dale_spectrum(dale.with_tau_inhibitory(hi), 0)
    assert abs(critical.max_real) < 1e-8 and abs(critical.rightmost.imag) > 0.5
    # determinant identity, on the reduced eigenvalues (the bulk factors are known)
    for tau_inhibitory in (0.1, hi, 10.0):
        s = dale_spectrum(dale.with_tau_inhibitory(tau_inhibitory), 0)
        log_det = np.sum(np.log(np.abs(s.reduced))) - (s.n_units - s.rank) * np.log(s.tau)
        log_plain = np.sum(np.log(np.abs(plain.spectrum.values)) * plain.spectrum.multiplicities)
        assert log_det == pytest.approx(log_plain - np.log(tau_inhibitory), abs=1e-9)


def test_slow_inhibition_makes_the_memory_leave():
    """Dynamics agree with the spectrum: from the memory plus a 1e-3 perturbation, the designed
    network (slowest rate 0.036) returns, |x - x̄| < 1e-6 by t = 300 (1e-3 e^{-10.8} ~ 2e-8 expected),
    while the realization with tau_I = 10 (growth rate 0.84) leaves it, |x - x̄| > 0.05 by t = 60."""
    network = small_design("slow-inhibition case")
    dale = dale_realization(network, tau_inhibitory=10.0)
    x_bar = network.memory_rates()[:, 0]
    x0 = x_bar + 1e-3 * np.random.default_rng(0).standard_normal(network.n_units)
    plain = simulate(network, x0, (0.0, 300.0), steady_tol=None)
    augmented = simulate_dale(dale, x0, (0.0, 60.0), steady_tol=None)
    assert np.abs(plain.final - x_bar).max() < 1e-6
    assert np.abs(augmented.x - x_bar).max(axis=1).max() > 0.05

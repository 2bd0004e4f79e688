"""dale.dynamics: exact equilibria, the vector field against dense blocks, and retrieval by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.core.design import design
from assocrate.core.equilibria import fixed_point_residual, refine_equilibrium
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.dale import (
    dale_realization,
    dale_spectrum,
    dale_stability,
    dale_vector_field,
    simulate_dale,
)
from assocrate.dynamics import simulate
from assocrate.stability import Verdict

from ..reference import REFERENCE_SIGMOID, design_quietly
from .dense import (
    dense_equilibrium,
    dense_field,
    small_design,
)

# ----------------------------------------------------------------------------------------------
# Equilibria and the vector field
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_inhibitory", [1, 4])
@pytest.mark.parametrize(
    "patterns", [lambda: equal_overlap_patterns(500, 0.2), lambda: correlated_patterns(600, 5, 0.2, 0.4, seed=2)]
)
def test_memories_are_exact_equilibria(patterns, n_inhibitory):
    """Exact designs: every memory with r = mean(x) is an equilibrium of the augmented system, both
    through the factors and through the dense blocks, to 1e-12 (rounding of O(1) currents)."""
    network = design(patterns(), REFERENCE_SIGMOID, -0.3, 0.95)
    dale = dale_realization(network, n_inhibitory=n_inhibitory, tau_inhibitory=3.0)
    states = dale.memory_states()
    assert states.shape == (network.n_units + n_inhibitory, network.n_patterns)
    assert np.abs(dale_vector_field(dale, states)).max() <= 1e-12
    for mu in range(network.n_patterns):
        assert np.abs(dense_field(dale, states[:, mu])).max() <= 1e-12


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), n_patterns=st.integers(2, 8), tau_inhibitory=st.floats(0.05, 50.0))
def test_refined_equilibria_of_random_designs(seed, n_patterns, tau_inhibitory):
    """Approximate designs: the refined equilibrium x* of the designed network with r = mean(x*) is an
    equilibrium of the augmented system; its residual equals the designed network's fixed-point
    residual (<= 1e-12 after Newton) up to 1e-13 (the two currents W x and W_EE x - w_EI mean(x)
    differ by rounding of O(alpha') terms)."""
    patterns = random_patterns(300, n_patterns, 0.2, seed=seed)
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    dale = dale_realization(network, tau_inhibitory=tau_inhibitory)
    x = refine_equilibrium(network, network.memory_rates()[:, 0]).x
    residual = fixed_point_residual(network, x)
    field = dale_vector_field(dale, np.append(x, x.mean()))
    assert np.abs(field[:-1]).max() * dale.tau <= residual + 1e-13
    assert abs(field[-1]) <= 1e-15


def test_vector_field_batch_and_dense():
    """A batch equals its columns up to the summation order of BLAS matrix-matrix vs matrix-vector
    products (1e-13 on O(1) values, currents summing P + 1 terms of size <= alpha'), and both equal
    the dense blocks (1e-12); an input u enters the excitatory currents."""
    network = small_design("random")
    dale = dale_realization(network, n_inhibitory=3, tau_inhibitory=0.7)
    rng = np.random.default_rng(0)
    Z = rng.random((network.n_units + 3, 4))
    batch = dale_vector_field(dale, Z, u=0.1)
    for j in range(4):
        assert np.abs(batch[:, j] - dale_vector_field(dale, Z[:, j], u=0.1)).max() <= 1e-13  # GEMM vs GEMV order
        assert np.abs(dale_vector_field(dale, Z[:, j]) - dense_field(dale, Z[:, j])).max() <= 1e-12
    u = rng.random(network.n_units)
    h = dale.dense_blocks().EE @ Z[: network.n_units, 0] - dale.w_EI * Z[network.n_units :, 0].mean() + u
    expected = (network.activation.phi(h) - Z[: network.n_units, 0]) / dale.tau
    assert np.abs(dale_vector_field(dale, Z[:, 0], u=u)[: network.n_units] - expected).max() <= 1e-12


# ----------------------------------------------------------------------------------------------
# Retrieval by simulation
# ----------------------------------------------------------------------------------------------


def cue(network, mu, seed):
    """Rates of memory mu with 40 % of its active units switched off (the theory.md §7 cue)."""
    xi = network.patterns[:, mu].copy()
    rng = np.random.default_rng(seed)
    xi[rng.choice(np.flatnonzero(xi), size=int(0.4 * xi.sum()), replace=False)] = False
    phi_a, phi_b = network.activation.phi(network.a), network.activation.phi(network.b)
    return phi_a + (phi_b - phi_a) * xi


def retrieve_both(network, dale, x0):
    """Plain and augmented runs to ||f||_inf < 1e-8 (above atol/tau_I = 1e-10/0.1 = 1e-9)."""
    plain = simulate(network, x0, (0.0, 400.0), steady_tol=1e-8, rtol=1e-10, atol=1e-10)
    augmented = simulate_dale(dale, x0, (0.0, 400.0), steady_tol=1e-8, rtol=1e-10, atol=1e-10)
    assert plain.status.name == augmented.status.name == "STEADY"
    return plain, augmented


@pytest.mark.parametrize("tau_inhibitory", [0.1, 0.3])
def test_realization_retrieves_like_the_designed_network(equal_overlap_network, random_network, tau_inhibitory):
    """With fast enough inhibition a cue keeping 60 % of the active units ends, in the realization,
    at the same memory as in the designed network (the refined equilibrium for the random network).
    Both stop at ||f||_inf < 1e-8 and the slowest decay rate at these memories is >= 0.9 (checked:
    the designed network's ~1, the inhibitory mode's ~1/tau_I), so each final state is within ~1e-8
    of the equilibrium: the two agree to 1e-7, and r = mean(x) to 1e-8."""
    for network in (equal_overlap_network, random_network):
        dale = dale_realization(network, n_inhibitory=2, tau_inhibitory=tau_inhibitory)
        assert dale_spectrum(dale, 2).max_real <= -0.9
        plain, augmented = retrieve_both(network, dale, cue(network, 2, seed=5))
        assert np.abs(augmented.final_x - plain.final).max() <= 1e-7
        assert np.abs(augmented.final_r - augmented.final_x.mean()).max() <= 1e-8
        assert np.abs(plain.final - dense_equilibrium(network, 2)).max() <= 1e-7


def test_slow_inhibition_loses_the_cue_of_the_random_reference_network(random_network):
    """What is true and not what one might hope: every memory of the random reference network is
    stable for every tau_I, but with tau_I = tau the cue that the designed network (and the
    realization with tau_I = 0.1) retrieves runs up towards all-on, the lagging inhibition (w_EI = 16.2)
    then shuts every unit down, and the run ends in the quiescent state (rates ~0.003: below phi(b)/2
    everywhere and uniform to 1e-3)."""
    dale = dale_realization(random_network, tau_inhibitory=1.0)
    assert all(s.verdict is Verdict.STABLE for s in dale_stability(dale).spectra)
    plain, augmented = retrieve_both(random_network, dale, cue(random_network, 2, seed=5))
    active = random_network.patterns[:, 2]
    assert plain.final[active].min() > 0.99
    assert augmented.x.mean(axis=1).max() > 0.9  # the excursion towards all-on
    assert augmented.final_x.max() < 0.01 and np.ptp(augmented.final_x) < 1e-3


def test_simulate_batch_and_steady_start(equal_overlap_network):
    """A batch of two starts; a start already at an equilibrium returns at once."""
    dale = dale_realization(equal_overlap_network)
    x = equal_overlap_network.memory_rates()[:, :2]
    result = simulate_dale(dale, 0.9 * x, (0.0, 50.0))
    assert result.x.shape[1:] == x.shape and result.r.shape[1:] == (1, 2)
    assert result.status.name == "STEADY" and np.abs(result.final_x - x).max() < 1e-5
    steady = simulate_dale(dale, x[:, 0], (0.0, 5.0))
    assert steady.trajectory.t_steady == 0.0 and steady.t.size == 1 and steady.trajectory.success
    assert "steady" in steady.summary() and "DaleSimulation(n_units=1000, n_inhibitory=1" in repr(steady)

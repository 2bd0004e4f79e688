"""stability.convergence: the energy theorem's hypotheses and the energy along sampled Euler trajectories."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.patterns import random_patterns
from assocrate.stability import current_energy, euler_step_bound, global_convergence

from ..reference import design_quietly


def test_energy_decreases_along_100_trajectories(equal_overlap_network):
    result = global_convergence(equal_overlap_network, n_trajectories=100, seed=0)
    assert result.hypotheses_hold and result.form == "rate"
    assert result.decreasing, result.summary()
    assert result.max_increase <= result.tolerance <= 1e-8
    assert result.final_speed < 1e-6  # the samples did converge
    assert "converges to the set of equilibria" in result.summary()


def test_energy_decreases_for_rectified_tanh_in_current_form(tanh_network):
    result = global_convergence(tanh_network, n_trajectories=100, seed=1)
    assert result.hypotheses_hold and result.form == "current"
    assert result.decreasing, result.summary()


def test_energy_decreases_with_an_input(equal_overlap_network):
    u = 0.4 * (2.0 * equal_overlap_network.patterns[:, 2] - 1.0)
    result = global_convergence(equal_overlap_network, u=u, n_trajectories=20, seed=2)
    assert result.decreasing


def test_step_bound_of_the_reference(equal_overlap_network):
    # lambda_min(W) = gamma = -0.25, rho = 4.8: s_max = 1 / (1 + 0.6).
    assert euler_step_bound(equal_overlap_network) == pytest.approx(1 / 1.6, rel=1e-4)


@settings(max_examples=25)
@given(
    rho=st.floats(0.5, 8.0),
    threshold=st.floats(-0.5, 0.8),
    a=st.floats(-1.0, 0.2),
    seed=st.integers(0, 10_000),
    tanh=st.booleans(),
)
def test_euler_map_never_increases_energy(rho, threshold, a, seed, tanh):
    activation = RectifiedTanh(rho, threshold) if tanh else Sigmoid(rho, threshold)
    b = max(a, threshold) + 0.6
    net = design_quietly(random_patterns(40, 3, 0.3, seed=seed), activation, a, b)
    rng = np.random.default_rng(seed)
    s = euler_step_bound(net)
    H = rng.normal(0.0, 1.5, size=(net.n_units, 4))
    E = current_energy(net, H)
    for _ in range(40):
        H = H + s * (-H + net.weights_matvec(activation.phi(H)))
        E_next = current_energy(net, H)
        assert np.all(E_next <= E + 1e-10 * (1 + np.abs(E)))
        E = E_next


def test_rejects_a_step_above_the_bound(equal_overlap_network):
    with pytest.raises(ValueError, match="`dt` must be <="):
        global_convergence(equal_overlap_network, dt=1.0)

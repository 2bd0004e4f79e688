"""stability.energy_function: the energy against quadrature and dense sums, gradient, derivative along the flow,
memories below quiescence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.integrate

from assocrate.core.activations import Sigmoid
from assocrate.core.equilibria import refine_equilibrium, uniform_states
from assocrate.stability import current_energy, energy, energy_along, energy_derivative, energy_gradient
from assocrate.stability.energy_function import _psi_of_rate

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH, Sigmoid(0.7, -0.4)])
@pytest.mark.parametrize("x", [1e-6, 0.019, 0.3, 0.5, 0.9, 0.999])
def test_legendre_identity_matches_quadrature(activation, x):
    lower = float(activation.phi(0.0))
    expected, _ = scipy.integrate.quad(lambda r: float(activation.inverse(r)), lower, x, epsabs=1e-13, epsrel=1e-12, limit=200)
    assert float(_psi_of_rate(activation, np.array([x]))[0]) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_rectified_tanh_at_zero_rate():
    # phi^-1(0) = threshold is the selection used: Psi(0) = int_{phi(0)}^0 phi^-1 = 0 when phi(0) = 0.
    assert float(_psi_of_rate(REFERENCE_TANH, np.array([0.0]))[0]) == 0.0


def test_current_energy_is_energy_of_rates(small_network, tanh_network):
    rng = np.random.default_rng(0)
    for net in (small_network, tanh_network):
        H = rng.normal(0.3, 0.8, size=(net.n_units, 4))
        u = rng.normal(size=net.n_units)
        X = net.activation.phi(H)
        np.testing.assert_allclose(current_energy(net, H, u), energy(net, X, u), rtol=1e-10, atol=1e-10)


def test_energy_through_factors_matches_dense(small_network):
    rng = np.random.default_rng(1)
    x, u = rng.random(small_network.n_units), rng.normal(size=small_network.n_units)
    W = small_network.dense_weights()
    psi = _psi_of_rate(small_network.activation, x).sum()
    assert energy(small_network, x, u) == pytest.approx(-0.5 * x @ W @ x - u @ x + psi, rel=1e-12)


def test_gradient_by_finite_differences(small_network):
    rng = np.random.default_rng(2)
    x, u = rng.uniform(0.05, 0.95, small_network.n_units), rng.normal(size=small_network.n_units)
    gradient = energy_gradient(small_network, x, u)
    step = 1e-6
    for i in rng.choice(small_network.n_units, 8, replace=False):
        e = np.zeros_like(x)
        e[i] = step
        numeric = (energy(small_network, x + e, u) - energy(small_network, x - e, u)) / (2 * step)
        assert numeric == pytest.approx(gradient[i], rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("form", ["rate", "current"])
def test_derivative_along_the_flow(small_network, form):
    rng = np.random.default_rng(3)
    net = dataclasses.replace(small_network, tau=2.0)
    u = rng.normal(size=net.n_units)
    phi = net.activation.phi
    if form == "rate":
        state = rng.uniform(0.05, 0.95, net.n_units)
        flow = (phi(net.weights_matvec(state) + u) - state) / net.tau
        value = lambda s: energy(net, s, u)  # noqa: E731
    else:
        state = rng.normal(0.2, 0.7, net.n_units)
        flow = (-state + net.weights_matvec(phi(state)) + u) / net.tau
        value = lambda s: current_energy(net, s, u)  # noqa: E731
    step = 1e-6
    numeric = (value(state + step * flow) - value(state - step * flow)) / (2 * step)
    analytic = energy_derivative(net, state, u, form=form)
    assert analytic < 0
    assert numeric == pytest.approx(analytic, rel=1e-5)


def test_energy_along_an_euler_trajectory(equal_overlap_network):
    net = equal_overlap_network
    x = np.random.default_rng(4).random((net.n_units, 3))
    states = [x]
    for _ in range(30):
        x = x + 0.25 * (net.activation.phi(net.weights_matvec(x)) - x)
        states.append(x)
    energies = energy_along(net, np.array(states))
    assert energies.shape == (31, 3)
    assert np.all(np.diff(energies, axis=0) <= 1e-10)
    currents = np.array([net.weights_matvec(s) for s in states[:3]])
    np.testing.assert_array_equal(energy_along(net, currents, form="current")[1], current_energy(net, currents[1]))


def _memory_energy_gap(net, refine: bool) -> np.ndarray:
    quiescent = [s for s in uniform_states(net) if s.kind == "quiescent"][0]
    E0 = energy(net, np.full(net.n_units, quiescent.rate))
    rates = net.memory_rates()
    if refine:
        rates = np.column_stack([refine_equilibrium(net, rates[:, mu]).x for mu in range(net.n_patterns)])
    return energy(net, rates) - E0


@pytest.mark.parametrize("name", ["equal_overlap_network", "correlated_network", "random_network"])
def test_memories_lie_below_the_quiescent_state(request, name):
    net = request.getfixturevalue(name)
    gap = _memory_energy_gap(net, refine=(name == "random_network"))
    assert gap.shape == (net.n_patterns,)
    assert np.all(gap < 0), gap


def test_rejects_bad_input(equal_overlap_network):
    net = equal_overlap_network
    with pytest.raises(ValueError, match="`x` must have shape"):
        energy(net, np.zeros(3))
    with pytest.raises(ValueError, match="rates in"):
        energy(net, np.full(net.n_units, 1.5))
    with pytest.raises(ValueError, match="`u` must be None, a scalar or have shape"):
        energy(net, np.full(net.n_units, 0.5), u=np.zeros(2))
    with pytest.raises(ValueError, match="`form` must be one of"):
        energy_derivative(net, np.full(net.n_units, 0.5), form="both")
    with pytest.raises(ValueError, match="`trajectory` must have shape"):
        energy_along(net, np.zeros((3, 4)))


@pytest.mark.parametrize("which", ["sigmoid-rate", "tanh-current"])
def test_energy_along_solve_ivp_trajectories(equal_overlap_network, tanh_network, which):
    """Along the adaptive RK45 trajectories of dynamics.simulate, E never rises beyond the integration error."""
    from assocrate.dynamics import simulate

    net = equal_overlap_network if which == "sigmoid-rate" else tanh_network
    x0 = np.random.default_rng(5).random((net.n_units, 5))
    if which == "sigmoid-rate":
        result = simulate(net, x0, (0.0, 30.0))
    else:
        result = simulate(net, net.weights_matvec(x0), (0.0, 30.0), form="current")
    energies = energy_along(net, result)
    assert energies.shape == (result.t.size, 5)
    tolerance = 1e-8 * (1 + np.abs(energies[:-1]))  # solver tolerances rtol=1e-8, atol=1e-10
    assert np.all(np.diff(energies, axis=0) <= tolerance)
    assert np.all(energies[-1] < energies[0])

"""assocrate.ctrnn.stability: exact map spectra against dense eigenvalues, dt_max against simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.core.patterns import random_patterns
from assocrate.ctrnn import discrete_stability, discretize, run_discrete, stable_step
from assocrate.errors import InvalidInput, InvalidType
from assocrate.stability import local_stability

from ..reference import REFERENCE_SIGMOID
from .dense import dense_map_jacobian


@pytest.mark.parametrize("form", ["current", "rate"])
def test_map_spectrum_equals_dense(small, form):
    d = discretize(small, 0.9, form=form)
    result = discrete_stability(d)
    for mu in (0, 3):
        dense = np.linalg.eigvals(dense_map_jacobian(small, small.memory_currents()[:, mu], d.gamma, form))
        assert np.max(np.abs(dense.imag)) < 1e-10
        reduced = result.memories[mu].map_eigenvalues(d.gamma)
        np.testing.assert_allclose(np.sort(dense.real), reduced, rtol=0, atol=1e-10)
        assert result.memories[mu].spectral_radius == pytest.approx(np.max(np.abs(dense)), abs=1e-10)


def test_map_spectrum_equals_dense_reference(equal_overlap_network):
    """N = 1000, every eigenvalue of the dense 1000 x 1000 map Jacobian to 1e-10."""
    network = equal_overlap_network
    d = discretize(network, 1.5)
    result = discrete_stability(d)
    dense = np.linalg.eigvals(dense_map_jacobian(network, network.memory_currents()[:, 0], d.gamma, "current"))
    assert np.max(np.abs(dense.imag)) < 1e-10
    np.testing.assert_allclose(np.sort(dense.real), result.memories[0].map_eigenvalues(d.gamma), rtol=0, atol=1e-10)


def test_map_spectrum_equals_dense_at_a_refined_equilibrium():
    """Random patterns (an approximate design): the spectra are taken at the refined equilibria."""
    network = design(random_patterns(300, 4, 0.2, seed=5), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    d = discretize(network, 0.8, form="rate")
    result = discrete_stability(d)
    local = local_stability(network)
    for row, memory in zip(local.memories, result.memories):
        assert memory.continuous_verdict == row.verdict.value
        np.testing.assert_allclose(memory.mu.dense(), network.tau * row.spectrum.spectrum.dense(), rtol=0, atol=1e-12)
    # the map's spectral radius from the continuous spectrum: max |1 + gamma mu|
    expected = [np.max(np.abs(1.0 + d.gamma * network.tau * row.spectrum.spectrum.values)) for row in local.memories]
    np.testing.assert_allclose(result.spectral_radii, expected, rtol=1e-14)


def test_dt_max_reference_design(equal_overlap_network):
    reference = equal_overlap_network
    result = discrete_stability(discretize(reference, 0.1))
    assert result.n_stable == 6
    mu_min = min(m.mu.values[0] for m in result.memories)
    assert result.dt_max == pytest.approx(2.0 / abs(mu_min), rel=1e-14)
    assert result.dt_max == pytest.approx(1.9999276, abs=1e-6)
    # the quiescent state s 1: mu = -1 + phi'(gamma s) lambda(W), lambda(W) in {alpha, gamma, 0}
    s = result.uniform[0][1]
    slope = float(reference.activation.dphi(reference.gamma * s))
    expected = 2.0 / (1.0 - slope * min(reference.gamma, 0.0))
    assert result.dt_quiescent == pytest.approx(expected, rel=1e-12)
    assert result.dt_quiescent == pytest.approx(1.972984, abs=1e-6)
    record = result.to_record()
    assert record["dt_max"] == result.dt_max and len(record["memories"]) == 6
    assert record["uniform_states"][0]["kind"] == "quiescent"
    assert "dt_max = 1.99993" in result.summary()
    assert repr(result).startswith("DiscreteStability(dt=0.1, gamma=0.1, dt_max=1.99993")
    # at dt_max the spectral radius is exactly 1; just above, above 1
    at = discrete_stability(discretize(reference, result.dt_max))
    assert float(at.spectral_radii.max()) == pytest.approx(1.0, abs=1e-12)
    above = discrete_stability(discretize(reference, 1.001 * result.dt_max))
    assert above.n_stable == 0 and float(above.spectral_radii.min()) > 1.0
    assert "(unstable)" in above.summary()


@pytest.mark.parametrize("form", ["current", "rate"])
def test_simulations_either_side_of_dt_max_reference(equal_overlap_network, form):
    """The Euler map of the reference design: 1 % below dt_max it converges, 1 % above it diverges."""
    reference = equal_overlap_network
    dt_max = discrete_stability(discretize(reference, 0.1, form=form)).dt_max
    rng = np.random.default_rng(7)
    memory = discretize(reference, 1.0, form=form).memory_states()[:, :2]
    start = memory + 1e-3 * rng.standard_normal(memory.shape)
    below = run_discrete(discretize(reference, 0.99 * dt_max, form=form), start, steps=2000, record_every=100)
    assert np.max(np.abs(below.final_states - memory)) < 1e-9
    above = run_discrete(discretize(reference, 1.01 * dt_max, form=form), start, steps=2000, record_every=100)
    assert np.min(np.max(np.abs(above.final_states - memory), axis=0)) > 1e3  # grows geometrically
    assert np.all(np.diff(above.max_abs_state[3:], axis=0) > 0)


def test_simulations_either_side_of_dt_max_reduced_mode(soft):
    """dt_max < dt < 2 tau: the bulk still contracts; only the memory's reduced mode flips and grows."""
    dt_max = discrete_stability(discretize(soft, 0.1)).dt_max
    assert 1.98 < dt_max < 1.99  # limited by a reduced mode mu ~ -1.006, not the bulk (-1)
    rng = np.random.default_rng(1)
    memory = discretize(soft, 1.0).memory_states()[:, :1]
    start = memory + 1e-6 * rng.standard_normal(memory.shape)
    run = run_discrete(discretize(soft, 0.997 * dt_max), start, steps=4000, record_every=4000)
    assert np.max(np.abs(run.final_states - memory)) < 1e-10
    dt_above = 1.003 * dt_max
    assert dt_above < 2.0
    run = run_discrete(discretize(soft, dt_above), start, steps=4000, record_every=4000)
    assert np.max(np.abs(run.final_states - memory)) > 1e-2


def test_stable_step():
    assert stable_step(np.array([-0.5, -2.0]), tau=3.0) == pytest.approx(3.0)
    assert stable_step(np.array([-1.0 + 1.0j])) == pytest.approx(1.0)  # |1 + dt mu| < 1 iff dt < 1
    assert stable_step(np.array([-1.0, 0.0])) == 0.0
    assert stable_step(np.array([])) == math.inf


def test_refusals(small):
    with pytest.raises(InvalidInput, match="`discrete` must have bias b = 0"):
        discrete_stability(discretize(small, 0.1, bias=0.1))
    with pytest.raises(InvalidType, match="`discrete` must be a DiscreteNetwork"):
        discrete_stability(small)
    with pytest.raises(InvalidInput, match="`at` must be one of"):
        discrete_stability(discretize(small, 0.1), at="nowhere")

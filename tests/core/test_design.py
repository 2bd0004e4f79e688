"""The design rule: reference numbers (theory.md §3), low-rank vs dense W, exactness, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import DENSE_LIMIT, design
from assocrate.core.equilibria import equilibrium_residual
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.core.rule import design_parameters, design_rule

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly


def dense_reference_weights(patterns, alpha_prime, beta, gamma):
    """W built entrywise from its definition, independently of the factors U, C."""
    xi = patterns.astype(float)
    n = xi.shape[0]
    centred = xi - beta
    return alpha_prime / n * centred @ centred.T + gamma / n * np.ones((n, n))


@pytest.mark.parametrize(
    ("a", "q", "r", "expected"),
    [
        (-0.3, 0.2, 0.2, {"alpha_prime": 7.812604, "beta": 0.2, "gamma": -0.249992}),
        (0.1, 0.2, 0.2, {"alpha_prime": 5.417929, "beta": 0.2, "gamma": 1.252533}),
        (-0.3, 0.2, 0.4, {"alpha_prime": 10.416805, "beta": 0.399991, "gamma": 0.999910}),
    ],
)
def test_reference_weights(a, q, r, expected):
    params = design_parameters(REFERENCE_SIGMOID, a, 0.95, q, r)
    for name, value in expected.items():
        assert getattr(params, name) == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize("family", [Sigmoid, RectifiedTanh])
def test_design_rule_on_a_grid_equals_design_parameters_cell_by_cell(family):
    """The array form used by the phase diagram gives, bit for bit, the scalars of each cell's design."""
    rho, threshold = np.meshgrid([0.5, 2.0, 4.8], [0.0, 0.2, 0.45], indexing="ij")
    phi_a, phi_b = np.empty(rho.shape), np.empty(rho.shape)
    for index in np.ndindex(rho.shape):
        activation = family(rho[index], threshold[index])
        phi_a[index], phi_b[index] = activation.phi(-0.3), activation.phi(0.95)
    grid = design_rule(phi_a, phi_b, -0.3, 0.95, 0.2, 0.3)
    for index in np.ndindex(rho.shape):
        cell = design_parameters(family(rho[index], threshold[index]), -0.3, 0.95, 0.2, 0.3)
        for name in ("alpha", "alpha_prime", "beta", "gamma"):
            assert getattr(grid, name).shape == rho.shape
            assert getattr(grid, name)[index] == getattr(cell, name), (name, index)


def test_design_rule_passes_nan_through():
    params = design_rule(np.array([0.1, np.nan]), np.array([0.9, np.nan]), -0.3, 0.95, 0.2, 0.2)
    for name in ("alpha", "alpha_prime", "beta", "gamma"):
        value = getattr(params, name)
        assert np.isfinite(value[0]) and np.isnan(value[1]), name


def test_alpha_conventions(equal_overlap_network):
    net = equal_overlap_network
    phi_a, phi_b = REFERENCE_SIGMOID.phi(net.a), REFERENCE_SIGMOID.phi(net.b)
    assert net.alpha == pytest.approx((net.b - net.a) / (phi_b - phi_a), rel=1e-14)
    assert net.alpha_prime == pytest.approx(net.alpha / (0.2 * 0.8), rel=1e-14)


@pytest.mark.parametrize("fixture", ["equal_overlap_network", "correlated_network", "random_network"])
def test_lowrank_equals_dense(fixture, request):
    net = request.getfixturevalue(fixture)
    reference = dense_reference_weights(net.patterns, net.alpha_prime, net.beta, net.gamma)
    assert np.allclose(net.dense_weights(), reference, rtol=0, atol=1e-14)
    x = np.random.default_rng(0).random((net.n_units, 3))
    assert np.allclose(net.weights_matvec(x), reference @ x, rtol=1e-12, atol=1e-12)
    assert np.allclose(net.weights_matvec(x[:, 0]), reference @ x[:, 0], rtol=1e-12, atol=1e-12)


def test_lowrank_equals_dense_at_n_2000():
    net = design_quietly(random_patterns(2000, 20, 0.2, seed=5), REFERENCE_TANH, 0.6, 1.1)
    reference = dense_reference_weights(net.patterns, net.alpha_prime, net.beta, net.gamma)
    x = np.random.default_rng(1).random(2000)
    assert np.allclose(net.weights_matvec(x), reference @ x, rtol=1e-12, atol=1e-12)
    x32 = x.astype(np.float32)
    result32 = net.weights_matvec(x32)
    assert result32.dtype == np.float32
    # float32 mat-vec: relative error ~ sqrt(N) * 6e-8 per entry of a sum of N terms.
    assert np.allclose(result32, reference @ x, rtol=1e-4, atol=1e-4)


@given(
    patterns=arrays(np.bool_, st.tuples(st.integers(3, 40), st.integers(2, 5))),
    x=st.integers(0, 2**32 - 1),
)
def test_matvec_property(patterns, x):
    sizes = patterns.sum(axis=0)
    if np.any(sizes == 0) or np.any(sizes == patterns.shape[0]):
        return  # every pattern needs an active and an inactive unit
    net = design(patterns, REFERENCE_SIGMOID, -0.3, 0.95, q=0.3, r=0.25)
    vector = np.random.default_rng(x).normal(size=(patterns.shape[0], 2))
    reference = dense_reference_weights(patterns, net.alpha_prime, net.beta, net.gamma)
    assert np.allclose(net.weights_matvec(vector), reference @ vector, rtol=1e-12, atol=1e-12)


def test_exact_design_residuals(equal_overlap_network, correlated_network):
    for net in (equal_overlap_network, correlated_network):
        assert net.is_exact
        assert np.all(equilibrium_residual(net) <= 1e-12)


def test_random_patterns_are_approximate(random_network):
    residuals = equilibrium_residual(random_network)
    assert not random_network.is_exact
    # Cross-talk of 13 other patterns: RMS ~ 0.07 per unit, max over 1000 units ~ 0.3 (measured
    # 0.29-0.36 over seeds 0-3); it is certainly far from round-off.
    assert 0.05 < residuals.max() < 1.0


def test_unequal_patterns_warn():
    with pytest.warns(UserWarning, match="approximate equilibria"):
        design(random_patterns(500, 4, 0.2, seed=1), REFERENCE_SIGMOID, -0.3, 0.95)


@pytest.mark.parametrize("fixture", ["equal_overlap_network", "correlated_network", "random_network"])
def test_weight_spectrum_matches_dense(fixture, request):
    net = request.getfixturevalue(fixture)
    dense = np.linalg.eigvalsh(net.dense_weights())
    reduced = net.eigenvalues_of_weights().dense()
    assert reduced.size == net.n_units
    assert np.allclose(np.sort(reduced), dense, atol=1e-12)


def test_exact_design_spectrum(equal_overlap_network):
    spectrum = equal_overlap_network.eigenvalues_of_weights().grouped()
    expected = {
        equal_overlap_network.gamma: 1,
        0.0: equal_overlap_network.n_units - 7,
        equal_overlap_network.alpha: 6,
    }
    assert dict(zip(np.round(spectrum.values, 9), spectrum.multiplicities)) == {
        round(k, 9): v for k, v in expected.items()
    }


def test_dense_weights_refuses_large_n():
    net = design(equal_overlap_patterns(DENSE_LIMIT + 500, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    with pytest.raises(ValueError, match="N must be <= 20000 unless force=True"):
        net.dense_weights()


def test_network_is_frozen_and_readonly(equal_overlap_network):
    with pytest.raises(AttributeError):
        equal_overlap_network.tau = 2.0
    with pytest.raises(ValueError):
        equal_overlap_network.U[0, 0] = 1.0
    assert "N=1000" in equal_overlap_network.summary()
    assert "n_units=1000" in repr(equal_overlap_network)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"a": 0.95, "b": 0.3}, ValueError, "`a` must be < `b`; got a=0.95, b=0.3"),
        ({"a": float("nan")}, ValueError, "`a` must be finite"),
        ({"q": 1.2}, ValueError, "`q` must be in \\(0, 1\\); got 1.2"),
        ({"r": 0.0}, ValueError, "`r` must be in \\(0, 1\\); got 0.0"),
        ({"tau": -0.5}, ValueError, "`tau` must be > 0; got -0.5"),
        ({"activation": "sigmoid"}, TypeError, "`activation` must be a Sigmoid, RectifiedTanh or LIFTransfer"),
        ({"patterns": np.array([[0, 1], [2, 0]])}, ValueError, "`patterns` must be binary"),
        ({"patterns": np.zeros((0, 2))}, ValueError, "`patterns` must hold at least one"),
        ({"patterns": np.zeros(4)}, ValueError, "`patterns` must be 2-D"),
    ],
)
def test_bad_input(kwargs, error, match):
    arguments = {
        "patterns": equal_overlap_patterns(100, 0.2),
        "activation": REFERENCE_SIGMOID,
        "a": -0.3,
        "b": 0.95,
    } | kwargs
    with pytest.raises(error, match=match):
        design(**arguments)


def test_phi_b_not_above_phi_a():
    with pytest.raises(ValueError, match="`b` must have phi\\(b\\) > phi\\(a\\)"):
        design(equal_overlap_patterns(100, 0.2), RectifiedTanh(4.8, 0.75), 0.2, 0.7)


def test_correlated_reference_design():
    net = design(correlated_patterns(2000, 6, 0.2, 0.4, seed=0), REFERENCE_SIGMOID, -0.3, 0.95)
    assert net.alpha_prime == pytest.approx(10.416805, abs=1e-6)
    assert net.beta == pytest.approx(0.399991, abs=1e-6)
    assert net.gamma == pytest.approx(0.999910, abs=1e-6)
    assert np.all(equilibrium_residual(net) <= 1e-12)


def test_design_leaves_the_callers_array_writable():
    patterns = np.array(equal_overlap_patterns(100, 0.2))  # a writable copy
    design(patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    assert patterns.flags.writeable

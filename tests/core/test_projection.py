"""The projection rule (theory.md §3, "Generalised rule for any pattern set"): factors against dense algebra."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assocrate as aa
from assocrate.core.projection import CONDITION_LIMIT
from assocrate.io import load_network, save_network

from ..reference import unequal_patterns

SIGMOID = aa.Sigmoid(4.8, 0.2)
_HYPOTHESIS = settings(derandomize=True, max_examples=40, deadline=None)


def dense_projection(xi, phi_a, phi_b, a, b):
    """``H (X^T X)^-1 X^T`` (or ``H (X^T H)^-1 H^T`` for equal activities) formed densely."""
    H, X = a + (b - a) * xi, phi_a + (phi_b - phi_a) * xi
    sizes = xi.sum(axis=0)
    if np.all(sizes == sizes[0]):
        return H @ np.linalg.solve(X.T @ H, H.T)
    return H @ np.linalg.solve(X.T @ X, X.T)


@_HYPOTHESIS
@given(seed=st.integers(0, 2**31 - 1), n_patterns=st.integers(1, 8), a=st.floats(-0.5, 0.3), gap=st.floats(0.4, 1.2))
def test_memories_are_exact_and_factors_equal_dense(seed, n_patterns, a, gap):
    xi = unequal_patterns(50, n_patterns, seed)
    b = a + gap
    try:
        net = aa.design(xi, SIGMOID, a, b, rule="projection", q=0.3, r=0.3)
    except aa.InvalidInput as error:  # dependent patterns, or singular X^T H
        assert "cond" in str(error)
        return
    X, H = net.memory_rates(), net.memory_currents()
    scale = np.abs(H).max()
    # W X = H to rounding: the factors come from an eigendecomposition with condition <= 1e8
    tol = 1e-15 * scale * max(1.0, np.linalg.cond(X.T @ X)) * 50
    np.testing.assert_allclose(net.weights_matvec(X), H, atol=tol)
    phi_a, phi_b = float(SIGMOID.phi(a)), float(SIGMOID.phi(b))
    dense = dense_projection(xi.astype(float), phi_a, phi_b, a, b)
    np.testing.assert_allclose(net.dense_weights(), dense, atol=tol)
    sizes = xi.sum(axis=0)
    assert net.is_symmetric == bool(np.all(sizes == sizes[0]))
    assert net.is_exact and net.rule == "projection"


def test_equal_activities_give_a_symmetric_w():
    net = aa.design(aa.equal_overlap_patterns(200, 0.2), SIGMOID, -0.3, 0.95, rule="projection")
    W = net.dense_weights()
    assert net.is_symmetric and net.R is net.L and net.U is net.L
    np.testing.assert_allclose(W, W.T, atol=1e-15)  # L c L^T is symmetric up to the rounding of the product
    np.testing.assert_allclose(W @ net.memory_rates(), net.memory_currents(), atol=1e-12)


def test_non_symmetric_network_has_no_u():
    net = aa.design(unequal_patterns(40, 4, 1), SIGMOID, -0.3, 0.95, rule="projection")
    assert not net.is_symmetric
    with pytest.raises(aa.InvalidInput, match="not symmetric"):
        net.U
    with pytest.raises(aa.InvalidInput, match="not symmetric"):
        net.eigenvalues_of_weights()
    W = net.dense_weights()
    assert np.abs(W - W.T).max() > 1e-3


def test_float32_matvec():
    net = aa.design(unequal_patterns(60, 5, 2), SIGMOID, -0.3, 0.95, rule="projection")
    x = np.random.default_rng(0).random((60, 3))
    expected = net.dense_weights() @ x
    got = net.weights_matvec(x.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())


def test_dependent_patterns_and_bad_rule_are_refused():
    xi = unequal_patterns(30, 3, 3)
    with pytest.raises(aa.InvalidInput, match="linearly independent"):
        aa.design(np.column_stack([xi, xi[:, :1]]), SIGMOID, -0.3, 0.95, rule="projection")
    with pytest.raises(aa.InvalidInput, match="`rule` must be one of"):
        aa.design(xi, SIGMOID, -0.3, 0.95, rule="hebb")
    assert CONDITION_LIMIT == 1e8


def test_betteti_rule_is_the_default_and_unchanged():
    xi = aa.equal_overlap_patterns(1000, 0.2)
    net = aa.design(xi, SIGMOID, -0.3, 0.95)
    same = aa.design(xi, SIGMOID, -0.3, 0.95, rule="betteti")
    assert net.rule == "betteti" and net.is_symmetric
    np.testing.assert_array_equal(net.U, same.U)
    assert f"{net.alpha_prime:.6f} {net.gamma:.6f}" == "7.812604 -0.249992"
    assert "rule" not in net.parameters_record()


@pytest.mark.parametrize("symmetric", [True, False])
def test_io_round_trip(tmp_path, symmetric):
    xi = aa.equal_overlap_patterns(100, 0.2) if symmetric else unequal_patterns(60, 5, 4)
    net = aa.design(xi, SIGMOID, -0.3, 0.95, rule="projection")
    save_network(tmp_path / "net.npz", net)
    loaded = load_network(tmp_path / "net.npz")
    assert loaded.rule == "projection" and loaded.is_symmetric == symmetric
    np.testing.assert_array_equal(loaded.dense_weights(), net.dense_weights())

"""Retrieval through the factors of a non-symmetric W = L C R^T (projection rule, theory.md §3, §7)."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa

SIGMOID = aa.Sigmoid(4.8, 0.2)


@pytest.fixture(scope="module")
def projection_network():
    rng = np.random.default_rng(0)
    xi = rng.random((300, 8)) < rng.uniform(0.15, 0.35, 8)
    net = aa.design(xi, SIGMOID, -0.3, 0.95, rule="projection")
    assert not net.is_symmetric
    return net


@pytest.mark.parametrize("form", ["rate", "current"])
def test_euler_steps_equal_a_dense_reference(projection_network, form):
    net = projection_network
    W = net.dense_weights()
    X0 = np.random.default_rng(1).random((net.n_units, 3))
    result = aa.euler_maruyama(net, X0, 0.01, 50, sigma=0.0, form=form)
    X = X0.copy()
    for _ in range(50):
        f = -X + (SIGMOID.phi(W @ X) if form == "rate" else W @ SIGMOID.phi(X))
        X = X + 0.01 * f
    # 50 steps of O(N P) sums: rounding ~1e-13, far below any dynamics
    np.testing.assert_allclose(result.final, X, atol=1e-11)


def test_flipped_cues_are_retrieved(projection_network):
    net = projection_network
    cues = aa.make_cues(net, "flip", 0.1, trials=10, seed=1)
    result = aa.retrieve(net, cues, seed=2)
    assert result.success_rate == 1.0
    x0 = aa.make_cues(net, "input", 0.5, trials=1, seed=0).x0
    np.testing.assert_allclose(x0, float(SIGMOID.phi(-0.3)))  # the projection rule has no uniform states

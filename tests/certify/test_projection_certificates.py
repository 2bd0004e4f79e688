"""Certificates for a projection-rule design (theory.md §3, §5): the Metzler radius needs no symmetry;
energy, LDS and the LMI certificates refuse a non-symmetric W and say why."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import network_digest, reduce_network

SIGMOID = aa.Sigmoid(4.8, 0.2)


@pytest.fixture(scope="module")
def projection_network():
    rng = np.random.default_rng(0)
    xi = rng.random((120, 6)) < rng.uniform(0.15, 0.35, 6)
    return aa.design(xi, SIGMOID, -0.3, 0.95, rule="projection")


def test_class_weights_equal_dense_w(projection_network):
    net = projection_network
    red = reduce_network(net)
    W = net.dense_weights()
    np.testing.assert_allclose(red.part.expand(red.part.expand(red.W_hat).T).T, W, atol=1e-15)
    exact = np.array([[float(red.W_exact[i, j]) for j in range(red.n_classes)] for i in range(red.n_classes)])
    # the float W_hat is within the rigorous rounding bound 2 (m + 3) u |L| |c| |R|^T of the exact one
    L, R = net.L[red.part.representatives], net.R[red.part.representatives]
    bound = 2 * (net.c.size + 3) * 2.0**-53 * (np.abs(L) * np.abs(net.c)) @ np.abs(R).T
    assert np.all(np.abs(exact - red.W_hat) <= bound)
    y = np.random.default_rng(0).random(red.n_classes)
    expected = np.abs(red.W_hat) @ (red.counts * y)
    np.testing.assert_allclose([float(v) for v in red.abs_times_exact(list(y))], expected, rtol=1e-12)
    np.testing.assert_allclose([float(v) for v in red.times_exact(list(y))], red.W_hat @ (red.counts * y), rtol=1e-10,
                               atol=1e-14)


def test_metzler_radius_is_certified_and_verified_for_every_memory(projection_network):
    net = projection_network
    for mu in range(net.n_patterns):
        result = aa.certified_radius(net, mu, method="metzler")
        assert result.certified and result.radius > 0.2
        assert aa.verify(result.certificate, net).verified
    full = aa.certified_radius(net, 0, reduction="full", method="metzler")
    assert full.radius == pytest.approx(aa.certified_radius(net, 0, method="metzler").radius, rel=1e-6)


def test_box_starts_converge_to_the_memory(projection_network):
    # the claim, simulated: current-form starts on the corners of the certified box reach the memory
    net = projection_network
    result = aa.certified_radius(net, 1, method="metzler")
    h_bar = net.memory_currents()[:, 1]
    signs = np.random.default_rng(2).choice([-1.0, 1.0], size=(net.n_units, 16))
    H0 = h_bar[:, None] + 0.999 * result.radius * signs
    final = aa.euler_maruyama(net, H0, 0.01, 3000, sigma=0.0, form="current").final
    np.testing.assert_allclose(final, np.broadcast_to(h_bar[:, None], final.shape), atol=1e-6)


def test_digest_names_the_rule(projection_network):
    net = projection_network
    betteti = aa.design(net.patterns, SIGMOID, -0.3, 0.95, q=net.q, r=net.r)
    assert network_digest(net) != network_digest(betteti)
    cert = aa.certified_radius(betteti, 0, method="metzler").certificate
    assert not aa.verify(cert, net).verified


def test_symmetric_results_refuse_a_non_symmetric_w(projection_network):
    net = projection_network
    x = net.memory_rates()[:, 0]
    for call in (lambda: aa.energy(net, x), lambda: aa.certify_lds(net), lambda: aa.lyapunov_certificate(net, 0),
                 lambda: aa.certify_contraction(net), lambda: aa.certified_radius(net, 0, method="lmi"),
                 lambda: aa.global_convergence(net, n_trajectories=1)):
        with pytest.raises(aa.InvalidInput, match="needs a symmetric W"):
            call()


def test_symmetric_projection_design_keeps_the_energy():
    net = aa.design(aa.equal_overlap_patterns(100, 0.2), SIGMOID, -0.3, 0.95, rule="projection")
    X = net.memory_rates()
    assert np.all(np.isfinite(aa.energy(net, X)))
    assert aa.lyapunov_certificate(net, 0).certified

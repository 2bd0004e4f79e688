"""Certificates for a projection-rule design (theory.md §3, §4, §5): the Metzler and interval radii, the local
Lyapunov certificate, LDS, the contraction, sector and input-driven LMIs need no symmetry (their exact blocks
against dense N x N matrices); the energy function and global convergence refuse a non-symmetric W and say why."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import network_digest, reduce_network
from assocrate.certify.contraction import contraction_blocks
from assocrate.certify.lds import lds_blocks

from ..reference import unequal_patterns

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


def test_energy_results_refuse_a_non_symmetric_w(projection_network):
    net = projection_network
    x = net.memory_rates()[:, 0]
    for call in (lambda: aa.energy(net, x), lambda: aa.global_convergence(net, n_trajectories=1)):
        with pytest.raises(aa.InvalidInput, match="needs a symmetric W") as error:
            call()
        assert "certified_radius" in str(error.value) and "W = W^T" in str(error.value)


def _floats(G):
    return np.array([[float(G[i, j]) for j in range(G.ncols())] for i in range(G.nrows())])


@pytest.fixture(scope="module")
def small_projection():
    net = aa.design(unequal_patterns(16, 3, 4), SIGMOID, -0.3, 0.95, rule="projection")
    assert not net.is_symmetric
    return net, reduce_network(net, reduction="full")  # one class per unit: the blocks are the N x N LMIs


def test_lds_block_is_the_dense_lmi_for_a_non_symmetric_w(small_projection):
    net, red = small_projection
    rng = np.random.default_rng(1)
    p, eta = rng.uniform(0.5, 2.0, net.n_units), 0.75
    W = net.dense_weights()
    A = eta * W - np.eye(net.n_units)
    dense = -(np.diag(p) @ A + A.T @ np.diag(p))
    G = _floats(lds_blocks(red, eta, list(p))[1].G)
    np.testing.assert_allclose(G, dense, atol=1e-12)  # exact blocks vs float products of O(1) entries


@pytest.mark.parametrize("form", ["rate", "current"])
def test_contraction_block_is_the_dense_lmi_for_a_non_symmetric_w(small_projection, form):
    net, red = small_projection
    n = net.n_units
    rng = np.random.default_rng(2)
    M = rng.normal(size=(n, n))
    Q, lam, K = M @ M.T / n + np.eye(n), rng.uniform(0.1, 1.0, n), rng.uniform(0.1, 1.0, n)
    Km = None if form == "rate" else rng.uniform(0.0, 0.05, n)
    W = net.dense_weights()
    if form == "rate":  # [[-2Q, Q + W^T K Lambda], [., -2 Lambda]]
        top, off = -2 * Q, Q + W.T @ np.diag(K * lam)
    else:  # [[A^T Q + Q A, Q W + (K - K^-) Lambda], [., -2 Lambda]], A = -I + W K^-
        A = -np.eye(n) + W * Km[None, :]
        top, off = A.T @ Q + Q @ A, Q @ W + np.diag((K - Km) * lam)
    dense = -np.block([[top, off], [off.T, -2 * np.diag(lam)]])
    blocks = contraction_blocks(red, form=form, Q=aa.certify.exact.to_rational(Q), sigma=[0.0] * n, lam=list(lam),
                                K_plus=list(K), K_minus=None if Km is None else list(Km))
    np.testing.assert_allclose(_floats(blocks[1].G), dense, atol=1e-12)


def test_global_lmis_certify_a_low_gain_non_symmetric_network(projection_network):
    low = dataclasses.replace(projection_network, activation=aa.Sigmoid(0.5, 0.2))  # same W, gain 0.5
    W = low.dense_weights()
    for certificate in (aa.certify_lds(low), aa.certify_contraction(low), aa.certify_contraction(low, form="current")):
        assert certificate.certified, certificate.summary()
        assert aa.verify(certificate, low).verified
    full = aa.certify_lds(low, reduction="full")  # dense check of the witness: P (eta W - I) + (.)^T P < 0
    eta = full.parameters["eta"]
    assert eta >= float(np.max(low.activation.dphi(np.linspace(-5, 5, 2001))))  # a bound on every slope
    P = np.diag(full.data["p"])
    A = eta * W - np.eye(low.n_units)
    assert np.linalg.eigvalsh(P @ A + A.T @ P)[-1] < 0
    # the stored network (gain 4.8) stores memories: LDS is infeasible, as for every designed W
    assert aa.certify_lds(projection_network).status.code == "infeasible"


def test_sector_and_input_certificates_for_a_non_symmetric_w(projection_network):
    other = aa.design(unequal_patterns(60, 5, 3), SIGMOID, -0.3, 0.95, rule="projection")
    sector = aa.certified_radius(other, 0, method="lmi")
    assert sector.certified and aa.verify(sector.certificate, other).verified
    net = projection_network  # here the solver finds the sector LMI only with an indefinite Q, on every box tried
    refused = aa.certified_radius(net, 0, method="lmi")
    assert not refused.certified and "hypothesis 5 fails (the LMI: Q > 0)" in refused.certificate.claim
    u = 1.0 * (2 * net.patterns[:, 0] - 1)
    for method in ("metzler", "contraction"):
        certificate = aa.certify_input_driven(net, u, memory=0, method=method)
        assert certificate.certified and certificate.parameters["retrieved"] == 0
        assert aa.verify(certificate, net, u=u).verified
    # the claim, simulated: with the input, random starts end at one state
    X0 = np.random.default_rng(3).random((net.n_units, 8))
    final = aa.euler_maruyama(net, X0, 0.01, 2000, sigma=0.0, u=u).final
    np.testing.assert_allclose(final, np.broadcast_to(final[:, :1], final.shape), atol=1e-6)


def test_symmetric_projection_design_keeps_the_energy():
    net = aa.design(aa.equal_overlap_patterns(100, 0.2), SIGMOID, -0.3, 0.95, rule="projection")
    X = net.memory_rates()
    assert np.all(np.isfinite(aa.energy(net, X)))
    assert aa.lyapunov_certificate(net, 0).certified


def test_local_lyapunov_certificate_of_every_memory_is_verified(projection_network):
    net = projection_network
    for mu in range(net.n_patterns):
        certificate = aa.lyapunov_certificate(net, mu)
        assert certificate.certified, certificate.summary()
        assert aa.verify(certificate, net).verified

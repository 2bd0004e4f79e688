"""Global LMIs (LDS and contraction): found, exactly verified, refused near the boundary."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.blocks import fmpq_to_float
from assocrate.certify.contraction import certify_contraction, contraction_blocks
from assocrate.certify.exact import to_rational
from assocrate.certify.lds import certify_lds
from assocrate.certify.verification import verify

from ..reference import REFERENCE_SIGMOID
from .helpers import boundary_network, low_gain


@pytest.mark.parametrize(
    "certify",
    [certify_lds, certify_contraction, lambda net: certify_contraction(net, form="current")],
    ids=["lds", "contraction-rate", "contraction-current"],
)
def test_memory_networks_get_a_clear_no(equal_overlap_network, correlated_network, certify):
    for net in (equal_overlap_network, correlated_network):
        cert = certify(net)
        assert not cert.verified_exact and not cert.verified_float and not cert.certified
        assert cert.claim.startswith("no certificate found: ")
        assert cert.status is aa.CertificateStatus.INFEASIBLE
        assert "Certificate (" in cert.summary() and "status:  infeasible" in cert.summary()


@pytest.mark.parametrize("form", ["rate", "current"])
def test_monostable_network_is_certified_exactly(equal_overlap_network, form):
    net = low_gain(equal_overlap_network)
    for cert in (certify_lds(net), certify_contraction(net, form=form)):
        assert cert.verified_exact and cert.verified_float and cert.certified
        assert "globally" in cert.claim
        assert all(row.satisfied for row in cert.residuals)
        assert cert.solver.name == "CLARABEL" and cert.solver.status.startswith("optimal")
        assert verify(cert, net).verified
    cert = certify_contraction(net, form=form)
    assert cert.parameters["rate"] > 0 and cert.exact_data["c"] > 0
    # the rounded data are exactly the floats recorded
    Q = cert.exact_matrix("Q")
    assert np.array_equal(fmpq_to_float(Q), cert.data["Q"])
    assert Q == Q.transpose()


@pytest.mark.parametrize("rho", [4.8, 0.3])
@pytest.mark.parametrize(
    "certify",
    [certify_lds, certify_contraction, lambda net, **k: certify_contraction(net, form="current", **k)],
    ids=["lds", "contraction-rate", "contraction-current"],
)
def test_reduced_margin_equals_full_margin(small_network, rho, certify):
    net = low_gain(small_network, rho)
    reduced = certify(net, reduction="types")
    full = certify(net, reduction="full")
    assert reduced.parameters["n_classes"] == 5 and full.parameters["n_classes"] == 20
    margin_reduced, margin_full = reduced.data["margin"], full.data["margin"]
    assert margin_reduced == pytest.approx(margin_full, rel=1e-5, abs=1e-7)
    assert reduced.verified_exact == full.verified_exact == (rho < 1)


def _expand_symmetric(red, Q_hat, sigma):
    """The N x N class-invariant Q with S^T Q S = Q_hat and eigenvalue sigma_t on class t's zero-sum part."""
    S = np.zeros((red.part.n_units, red.n_classes))
    S[np.arange(red.part.n_units), red.part.index] = 1.0
    n = red.counts
    Q = S @ (Q_hat / np.outer(n, n)) @ S.T
    for t in range(red.n_classes):
        members = red.part.index == t
        Q[np.ix_(members, members)] += sigma[t] * (np.eye(n[t].astype(int)) - 1.0 / n[t])
    return Q


@pytest.mark.parametrize("form", ["rate", "current"])
def test_incremental_blocks_match_the_full_matrix(small_network, form):
    net = small_network
    red = reduce_network(net)
    rng = np.random.default_rng(1)
    k = red.n_classes
    B = rng.normal(size=(k, k))
    Q_hat = B @ B.T + k * np.diag(red.counts)
    sigma, lam, K = rng.uniform(0.5, 2, k), rng.uniform(0.5, 2, k), rng.uniform(0.1, 1, k)
    c = 0.1
    Q = _expand_symmetric(red, Q_hat, sigma)
    L = np.diag(lam[red.part.index])
    Kd = np.diag(K[red.part.index])
    W = net.dense_weights()
    off = Q + W.T @ Kd @ L if form == "rate" else Q @ W + Kd @ L
    full = np.block([[-2 * (1 - c) * Q, off], [off.T, -2 * L]])
    blocks = contraction_blocks(red, form=form, Q=to_rational(Q_hat), sigma=sigma, lam=lam, K_plus=K, c=c)
    # the block on class-constant vectors, in the orthonormal basis S n^{-1/2} ...
    expected = list(-np.linalg.eigvalsh(_scaled(blocks[1])))
    # ... and each class's 2 x 2 block, once per dimension of its zero-sum part (n_t - 1)
    multi = [t for t in range(k) if red.part.counts[t] >= 2]
    for t, block in zip(multi, [b for b in blocks if "2 x 2" in b.name]):
        expected.extend(np.repeat(-np.linalg.eigvalsh(fmpq_to_float(block.G)), red.part.counts[t] - 1))
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(full)), np.sort(expected), atol=1e-9)


def _scaled(block):
    G = fmpq_to_float(block.G)
    scale = 1 / np.sqrt(np.asarray(block.metric, dtype=float))
    return scale[:, None] * G * scale[None, :]


def test_row_types_make_large_networks_cheap(equal_overlap_network):
    from assocrate.core.design import design
    from assocrate.core.patterns import equal_overlap_patterns

    big = low_gain(design(equal_overlap_patterns(100_000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95))
    cert = certify_contraction(big)
    assert cert.verified_exact and cert.parameters["n_classes"] == 7 and cert.parameters["n_units"] == 100_000


@pytest.mark.parametrize("excess", [1e-5, 1e-7])
def test_unstable_networks_near_the_boundary_are_never_certified(equal_overlap_network, excess):
    net = boundary_network(equal_overlap_network, excess)
    activation = net.activation
    assert float(activation.phi(net.gamma / 2)) == pytest.approx(0.5, abs=1e-12)
    jacobian_max = -1 + float(activation.dphi(net.gamma / 2)) * net.eigenvalues_of_weights().max
    assert jacobian_max > 0
    optimistic = 0
    for solver in ("SCS", "CLARABEL"):
        for cert in (certify_lds(net, solver=solver), certify_contraction(net, solver=solver),
                     certify_contraction(net, form="current", solver=solver)):
            assert not cert.verified_exact and not cert.certified
            assert cert.claim.startswith("no certificate found")
            if cert.solver.status.startswith("optimal") and cert.data.get("margin", 0) > 0:
                optimistic += 1
                assert "did not survive the exact check" in cert.claim
                assert cert.status is aa.CertificateStatus.EXACT_CHECK_FAILED
    assert optimistic >= 1  # the solver did claim a positive margin at least once


def test_memory_network_current_form_scs_margin_is_rejected(equal_overlap_network):
    cert = certify_contraction(equal_overlap_network, form="current", solver="SCS")
    assert not cert.verified_exact

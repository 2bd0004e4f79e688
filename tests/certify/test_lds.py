"""Lyapunov-diagonal stability: the blocks, the reduction to row types, the exact check."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.certify._reduction import reduce_network
from assocrate.certify.blocks import fmpq_to_float
from assocrate.certify.exact import is_negative_definite_exact, to_rational
from assocrate.certify.lds import certify_lds, lds_blocks, verify_lds
from assocrate.certify.witness import CheckFailed

from .helpers import boundary_network, low_gain


def test_lds_certificate_holds_on_the_full_matrix(small_network):
    """The type-reduced P, expanded unit by unit, satisfies the N x N LMI exactly."""
    net = low_gain(small_network)
    cert = certify_lds(net)
    assert cert.verified_exact
    red = reduce_network(net)
    p = cert.exact_matrix("p")
    P = np.diag([float(p[0, red.part.index[i]]) for i in range(net.n_units)])
    eta = float(cert.exact_data["eta"])
    A = eta * net.dense_weights() - np.eye(net.n_units)
    M = P @ A + A.T @ P
    assert is_negative_definite_exact(to_rational(0.5 * (M + M.T)))


def test_within_class_blocks_in_closed_form(small_network):
    """Spectrum of the full LDS matrix = spectrum of the reduced block and -2 p_t (x n_t - 1)."""
    net = small_network
    red = reduce_network(net)
    rng = np.random.default_rng(0)
    p_hat = rng.uniform(0.5, 2.0, red.n_classes)
    eta = 0.7
    P = np.diag(p_hat[red.part.index])
    A = eta * net.dense_weights() - np.eye(net.n_units)
    full = np.linalg.eigvalsh(P @ A + A.T @ P)
    blocks = lds_blocks(red, eta, p_hat)
    G = fmpq_to_float(blocks[1].G)
    root = 1.0 / np.sqrt(red.counts)
    reduced = -np.linalg.eigvalsh(root[:, None] * G * root[None, :])
    within = np.repeat(-2 * p_hat, red.part.counts - 1)
    np.testing.assert_allclose(np.sort(full), np.sort(np.concatenate([reduced, within])), atol=1e-10)


def test_stable_side_of_the_boundary_is_certified(equal_overlap_network):
    net = boundary_network(equal_overlap_network, -1e-5)
    assert certify_lds(net, solver="SCS").verified_exact


def test_the_certifier_runs_the_check_verify_runs(equal_overlap_network, monkeypatch):
    """certify_lds hands its witness to verify_lds: a check that refuses makes the certifier refuse."""
    import assocrate.certify.lds as lds

    net = low_gain(equal_overlap_network)
    calls = []

    def refusing(certificate, network, red):
        calls.append(certificate.claim)
        raise CheckFailed("refused by the test")

    monkeypatch.setattr(lds, "verify_lds", refusing)
    cert = certify_lds(net)
    assert calls and not cert.certified and cert.status is aa.CertificateStatus.EXACT_CHECK_FAILED


def test_check_refuses_a_wrong_eta(equal_overlap_network):
    import dataclasses

    net = low_gain(equal_overlap_network)
    cert = certify_lds(net)
    other = dataclasses.replace(net, activation=aa.Sigmoid(0.4, net.activation.threshold))
    with pytest.raises(CheckFailed, match="hypothesis 2 fails .the slope bound: eta = sup phi'."):
        verify_lds(cert, other, reduce_network(other))

"""Global LMIs: found and exactly verified when they hold, a clear verdict when not, row types = full LMI."""

from __future__ import annotations

import dataclasses

import cvxpy as cp
import numpy as np
import pytest
import scipy.linalg

from assocrate.certify._reduction import reduce_network
from assocrate.certify.exact import is_negative_definite_exact, to_rational
from assocrate.certify.lmi import (
    CLARABEL_MAX_SIZE,
    STATUS_VERDICTS,
    certify_contraction,
    certify_lds,
    contraction_blocks,
    default_solver,
    fmpq_to_float,
    lds_blocks,
    solve_problem,
)
from assocrate.certify.verification import verify
from assocrate.core.activations import Sigmoid
from assocrate.core.patterns import random_patterns

from ..reference import REFERENCE_SIGMOID, design_quietly


def low_gain(network, rho=0.5):
    """The same W run with a low-gain sigmoid: eta * lambda_max(W) < 1, a monostable network."""
    return dataclasses.replace(network, activation=Sigmoid(rho, network.activation.threshold))


@pytest.fixture(scope="module")
def small_network():
    """N = 20 random patterns in 5 row types (counts 10, 2, 4, 2, 2)."""
    return design_quietly(random_patterns(20, 3, 0.3, seed=4), REFERENCE_SIGMOID, -0.3, 0.95)


# ---------------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------------


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
        assert "Certificate (" in cert.summary()


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


# ---------------------------------------------------------------------------------------------
# Row-type reduction
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Adversarial: near the boundary, a loose solver says "optimal"; the exact check must say no
# ---------------------------------------------------------------------------------------------


def _boundary_network(network, excess):
    """W unchanged, gain eta with eta lambda_max(W) = 1 + excess, and the uniform state 1/2 at the peak slope.

    With threshold = gamma/2 - 1/(2 rho), x = 1/2 is an equilibrium (phi(gamma/2) = 1/2) whose
    Jacobian has the eigenvalue -1 + rho lambda_max(W) = excess > 0: not stable.
    """
    lam = network.eigenvalues_of_weights().max
    rho = (1 + excess) / lam
    threshold = network.gamma / 2 - 1 / (2 * rho)
    return dataclasses.replace(network, activation=Sigmoid(rho, threshold))


@pytest.mark.parametrize("excess", [1e-5, 1e-7])
def test_unstable_networks_near_the_boundary_are_never_certified(equal_overlap_network, excess):
    net = _boundary_network(equal_overlap_network, excess)
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
    assert optimistic >= 1  # the solver did claim a positive margin at least once


def test_memory_network_current_form_scs_margin_is_rejected(equal_overlap_network):
    cert = certify_contraction(equal_overlap_network, form="current", solver="SCS")
    assert not cert.verified_exact


def test_stable_side_of_the_boundary_is_certified(equal_overlap_network):
    net = _boundary_network(equal_overlap_network, -1e-5)
    assert certify_lds(net, solver="SCS").verified_exact


# ---------------------------------------------------------------------------------------------
# Solver policy and statuses
# ---------------------------------------------------------------------------------------------


def test_default_solver_by_size():
    assert default_solver(2) == "CLARABEL"
    assert default_solver(CLARABEL_MAX_SIZE) == "CLARABEL"
    assert default_solver(CLARABEL_MAX_SIZE + 1) in ("SCS", "CVXOPT")


def test_statuses_are_mapped_to_verdicts():
    x = cp.Variable()
    info, verdict = solve_problem(cp.Problem(cp.Maximize(x), [x >= 1, x <= 0]), "CLARABEL", {})
    assert info.status.startswith("infeasible") and verdict == STATUS_VERDICTS[cp.INFEASIBLE]
    info, verdict = solve_problem(cp.Problem(cp.Maximize(x), [x <= 2]), "CLARABEL", {})
    assert verdict is None and info.solve_time >= 0 and info.version


def test_iteration_limit_is_a_verdict_not_an_exception(equal_overlap_network):
    cert = certify_contraction(low_gain(equal_overlap_network), solver="SCS", solver_options={"max_iters": 2})
    assert not cert.verified_exact
    assert cert.claim.startswith("no certificate found")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"solver": "MOSEKX"}, "`solver` must be one of"),
        ({"reduction": "half"}, "`reduction` must be one of"),
        ({"solver_options": [1]}, "`solver_options` must be a mapping"),
    ],
)
def test_rejects_bad_options(equal_overlap_network, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        certify_lds(equal_overlap_network, **kwargs)
    with pytest.raises(ValueError, match="`form` must be one of"):
        certify_contraction(equal_overlap_network, form="both")
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        certify_lds(np.eye(3))


def test_reduced_spectrum_helper_is_consistent(small_network):
    red = reduce_network(small_network)
    W_tilde = red.W_tilde
    dense = np.linalg.eigvalsh(small_network.dense_weights())
    reduced = scipy.linalg.eigvalsh(W_tilde)
    np.testing.assert_allclose(np.sort(reduced)[-3:], np.sort(dense)[-3:], atol=1e-12)


def test_too_many_classes_is_a_verdict(random_network):
    for cert in (certify_lds(random_network), certify_contraction(random_network)):
        assert not cert.verified_exact
        assert "would have dimension" in cert.claim and cert.solver is None

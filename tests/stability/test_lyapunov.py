"""stability.lyapunov: exact Lyapunov certificates against dense matrices, and the exact low-rank criterion."""

from __future__ import annotations

import flint
import numpy as np
import pytest

from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns
from assocrate.stability import lyapunov_certificate
from assocrate.stability.lyapunov import _exact_all_below

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly
from .dense import STABLE_TANH, dense_jacobians


def dense_lyapunov_matrix(certificate, network, mu, form):
    """Rebuild P densely from the certificate data (small N only)."""
    rate, current = dense_jacobians(network, mu)
    J = rate if form == "rate" else current
    h = network.memory_currents()[:, mu]
    d = network.activation.dphi(h)
    if certificate.parameters["method"].startswith("explicit"):
        P = np.diag(1.0 / d) if form == "rate" else np.diag(d)
    else:
        Y = np.hstack([network.U, d[:, None] * network.U])
        P = 0.5 * network.tau * np.eye(network.n_units) + Y @ certificate.data["X"] @ Y.T
    return J, P


@pytest.mark.parametrize("form", ["rate", "current"])
@pytest.mark.parametrize(
    "activation, method",
    [(REFERENCE_SIGMOID, "explicit"), (REFERENCE_SIGMOID, "lyapunov"), (STABLE_TANH, "lyapunov")],
)
def test_lyapunov_certificate_verifies_exactly_and_densely(activation, method, form):
    network = design(equal_overlap_patterns(200, 0.2), activation, -0.3, 0.95, tau=1.5)
    certificate = lyapunov_certificate(network, 1, form=form, method=method)
    assert certificate.kind == "lyapunov"
    assert certificate.verified_float and certificate.verified_exact and certificate.certified
    J, P = dense_lyapunov_matrix(certificate, network, 1, form)
    assert np.linalg.eigvalsh(P)[0] > 0
    lmi = J.T @ P + P @ J
    assert np.linalg.eigvalsh(0.5 * (lmi + lmi.T))[-1] < 0
    if method == "lyapunov":  # the reduced solution solves J^T P + P J = -I in the full space
        np.testing.assert_allclose(lmi, -np.eye(network.n_units), atol=1e-9)
    assert {row.name.split(" ")[0] for row in certificate.residuals} >= {"P"}
    assert all(row.satisfied for row in certificate.residuals)


def test_auto_method_picks_explicit_only_for_positive_slopes():
    sigmoid = lyapunov_certificate(design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95), 0)
    tanh = lyapunov_certificate(design(equal_overlap_patterns(200, 0.2), STABLE_TANH, -0.3, 0.95), 0)
    assert sigmoid.parameters["method"] == "explicit P = D^-1"
    assert tanh.parameters["method"].startswith("Lyapunov solution")
    with pytest.raises(ValueError, match="needs every slope"):
        lyapunov_certificate(design(equal_overlap_patterns(200, 0.2), STABLE_TANH, -0.3, 0.95), 0, method="explicit")


def test_lyapunov_certificate_on_a_refined_equilibrium():
    network = design_quietly(random_patterns(300, 5, 0.2, seed=7), REFERENCE_SIGMOID, -0.3, 0.95)
    for method in ("explicit", "lyapunov"):
        certificate = lyapunov_certificate(network, 2, method=method)
        assert certificate.certified, certificate.summary()
        assert certificate.parameters["equilibrium_status"] == "converged"
        assert "refined equilibrium" in certificate.claim


def test_lyapunov_certificate_at_large_n_without_dense_matrices():
    network = design(equal_overlap_patterns(100_000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    for method in ("explicit", "lyapunov"):
        certificate = lyapunov_certificate(network, 3, method=method)
        assert certificate.certified
        assert certificate.parameters["n_units"] == 100_000 and certificate.parameters["n_row_types"] == 7


def test_unstable_memory_is_refused_with_a_message():
    network = design(equal_overlap_patterns(200, 0.2), REFERENCE_TANH, -0.3, 0.95)
    certificate = lyapunov_certificate(network, 0)
    assert not certificate.verified_float and not certificate.verified_exact and not certificate.certified
    assert certificate.parameters["status"] == "refused"
    assert certificate.claim.startswith("refused: memory 0 is unstable: its largest Jacobian eigenvalue is 2.59")
    assert "FAILS" in certificate.summary()


def _rational(matrix):
    from assocrate.certify.exact import to_rational

    return to_rational(np.asarray(matrix, dtype=float))


@pytest.mark.parametrize("seed", range(12))
def test_exact_low_rank_criterion_matches_dense(seed):
    """s I - Y Z Y^T > 0 decided from H = Y^T Y alone, including rank-deficient Y."""
    rng = np.random.default_rng(seed)
    n_units, n, rank = 12, 5, [5, 3, 0][seed % 3]
    Y = rng.integers(-2, 3, size=(n_units, rank)) @ rng.integers(-2, 3, size=(rank, n)) if rank else np.zeros((n_units, n))
    Z = rng.integers(-3, 4, size=(n, n)) / 8.0
    Z = Z + Z.T
    top = np.linalg.eigvalsh(Y @ Z @ Y.T)[-1]
    for s in (top - 0.25, top + 0.25, 1.0):
        if s <= 0:
            continue
        holds, _ = _exact_all_below(_rational(Y.T @ Y), _rational(Z), flint.fmpq(*float(s).as_integer_ratio()))
        assert holds == (np.linalg.eigvalsh(s * np.eye(n_units) - Y @ Z @ Y.T)[0] > 0)


def test_exact_criterion_is_sharp_at_the_boundary():
    """lambda_max(Y Z Y^T) = 1 exactly: s = 1 must be rejected, s = 1 + 2^-40 accepted."""
    Y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    H = Y.T @ Y  # [[2, 1], [1, 2]]: eigenvalues 1 and 3
    Z = np.diag([1.0 / 3.0, 1.0 / 3.0])  # not dyadic: read exactly as the float it is
    top = np.linalg.eigvalsh(Y @ Z @ Y.T)[-1]
    exact_top = flint.fmpq(*Z[0, 0].as_integer_ratio()) * 3
    assert not _exact_all_below(_rational(H), _rational(Z), exact_top)[0]
    assert _exact_all_below(_rational(H), _rational(Z), exact_top + flint.fmpq(1, 2**40))[0]
    assert top == pytest.approx(1.0)

"""stability.lyapunov: exact Lyapunov certificates against dense matrices, and the exact low-rank criterion."""

from __future__ import annotations

import flint
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from assocrate.certify import verify
from assocrate.core.activations import Sigmoid
from assocrate.core.design import design
from assocrate.core.patterns import equal_overlap_patterns, random_patterns
from assocrate.errors import InvalidInput
from assocrate.stability import general_local_stability, lyapunov_certificate
from assocrate.stability.lyapunov import _exact_all_below

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly, unequal_patterns
from .dense import STABLE_TANH, dense_jacobians


def dense_lyapunov_matrix(certificate, network, mu, form):
    """Rebuild P densely from the certificate data (small N only): Theorem L's P for any ``W = L C R^T``."""
    rate, current = dense_jacobians(network, mu)
    J = rate if form == "rate" else current
    h = network.memory_currents()[:, mu]
    d = network.activation.dphi(h)
    if certificate.parameters["method"].startswith("explicit"):
        P = np.diag(1.0 / d) if form == "rate" else np.diag(d)
    else:  # Y = [R, D L] (rate) or [L, D R] (current); [U, D U] when W is symmetric
        first, second = (network.R, network.L) if form == "rate" else (network.L, network.R)
        Y = np.hstack([first, d[:, None] * second])
        P = 0.5 * network.tau * np.eye(network.n_units) + Y @ certificate.data["X"] @ Y.T
    return J, P


def assert_dense_certificate(certificate, network, mu, form):
    """P > 0 and J^T P + P J < 0 by eigvalsh of the dense N x N matrices; the Lyapunov solution is scipy's."""
    J, P = dense_lyapunov_matrix(certificate, network, mu, form)
    assert np.linalg.eigvalsh(P)[0] > 0
    lmi = J.T @ P + P @ J
    assert np.linalg.eigvalsh(0.5 * (lmi + lmi.T))[-1] < 0
    if not certificate.parameters["method"].startswith("explicit"):
        # the reduced solution solves J^T P + P J = -I in the full space, and is scipy's dense solution:
        # both are rounding of O(N eps ||J|| ||P||) ~ 1e-12 here; 1e-9 leaves room for conditioning
        np.testing.assert_allclose(lmi, -np.eye(network.n_units), atol=1e-9)
        dense = scipy.linalg.solve_continuous_lyapunov(J.T, -np.eye(network.n_units))
        np.testing.assert_allclose(P, dense, atol=1e-9)


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
    assert_dense_certificate(certificate, network, 1, form)
    assert {row.name.split(" ")[0] for row in certificate.residuals} >= {"P"}
    assert all(row.satisfied for row in certificate.residuals)
    # the record's data["H"] is exact_data["H"] rounded, so verify's consistency check passes
    assert verify(certificate, network).verified


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


# ---- non-symmetric W = L C R^T (projection rule, unequal activities): Theorem L -------------------------


@pytest.fixture(scope="module")
def nonsymmetric_networks():
    xi = unequal_patterns(200, 8, 0)
    return {name: design(xi, activation, -0.3, 0.95, rule="projection", tau=1.5)
            for name, activation in (("sigmoid", REFERENCE_SIGMOID), ("tanh", STABLE_TANH))}


@pytest.mark.parametrize("form", ["rate", "current"])
@pytest.mark.parametrize("activation, method", [("sigmoid", "explicit"), ("sigmoid", "lyapunov"), ("tanh", "lyapunov")])
def test_nonsymmetric_certificate_verifies_exactly_and_densely(nonsymmetric_networks, activation, method, form):
    network = nonsymmetric_networks[activation]
    assert not network.is_symmetric
    for mu in (0, 5):
        certificate = lyapunov_certificate(network, mu, form=form, method=method)
        assert certificate.verified_float and certificate.verified_exact and certificate.certified
        assert certificate.parameters["equilibrium_status"] == "exact design"
        if method == "lyapunov":
            assert certificate.parameters["method"].endswith("[R, D L]" if form == "rate" else "[L, D R]")
        assert_dense_certificate(certificate, network, mu, form)
        assert verify(certificate, network).verified  # the exact re-check rebuilds it from the network


def test_auto_method_takes_the_lyapunov_solution_for_a_nonsymmetric_w(nonsymmetric_networks):
    network = nonsymmetric_networks["sigmoid"]
    assert lyapunov_certificate(network, 0).parameters["method"].startswith("Lyapunov solution")
    with pytest.raises(InvalidInput, match="needs every slope"):
        lyapunov_certificate(nonsymmetric_networks["tanh"], 0, method="explicit")


def test_explicit_p_is_only_sufficient_for_a_nonsymmetric_w():
    """A stable memory (found by a random search) where P = D^-1 fails but the Lyapunov solution certifies."""
    rng = np.random.default_rng(127)
    xi = rng.random((17, 4)) < rng.uniform(0.1, 0.7, 4)
    network = design(xi, Sigmoid(3.3923686234630654, 0.397787320703541), -0.8531191582808075, 0.7085612318211729,
                     rule="projection")
    assert not network.is_symmetric
    rate, _ = dense_jacobians(network, 0)
    assert np.max(np.linalg.eigvals(rate).real) < -0.05  # stable
    d = network.activation.dphi(network.memory_currents()[:, 0])
    W = network.dense_weights()
    symmetric_part = np.sqrt(d)[:, None] * (0.5 * (W + W.T)) * np.sqrt(d)[None, :]
    assert np.linalg.eigvalsh(np.eye(17) - symmetric_part)[0] < -0.1  # P = D^-1 is no certificate
    explicit = lyapunov_certificate(network, 0, method="explicit")
    assert not explicit.verified_exact and not explicit.certified
    solution = lyapunov_certificate(network, 0)
    assert solution.certified
    assert_dense_certificate(solution, network, 0, "rate")


_HYPOTHESIS = settings(derandomize=True, max_examples=25, deadline=None)


@_HYPOTHESIS
@given(seed=st.integers(0, 2**31 - 1), n_patterns=st.integers(2, 6), a=st.floats(-0.6, 0.3),
       form=st.sampled_from(["rate", "current"]), tanh=st.booleans())
def test_nonsymmetric_certificate_property(seed, n_patterns, a, form, tanh):
    """Certified iff the dense Jacobian is Hurwitz; the explicit verdict is the dense symmetric-part test."""
    activation = STABLE_TANH if tanh else REFERENCE_SIGMOID
    try:
        network = design(unequal_patterns(40, n_patterns, seed), activation, a, 0.95, rule="projection")
    except InvalidInput:  # linearly dependent patterns
        return
    rate, current = dense_jacobians(network, 0)
    top = float(np.max(np.linalg.eigvals(rate if form == "rate" else current).real))
    if abs(top) < 1e-9:  # within rounding of the verdict band: either answer is right
        return
    certificate = lyapunov_certificate(network, 0, form=form, method="lyapunov")
    assert certificate.certified == (top < 0)
    if certificate.certified:
        assert_dense_certificate(certificate, network, 0, form)
    else:
        assert certificate.parameters["status"] == "refused"
    d = activation.dphi(network.memory_currents()[:, 0])
    if top < 0 and np.all(d > 0):
        W = network.dense_weights()
        margin = np.linalg.eigvalsh(np.eye(40) - np.sqrt(d)[:, None] * (0.5 * (W + W.T)) * np.sqrt(d)[None, :])[0]
        if abs(margin) > 1e-9:
            assert lyapunov_certificate(network, 0, form=form, method="explicit").verified_exact == (margin > 0)


def test_unstable_nonsymmetric_memory_is_refused_with_a_message():
    network = design(unequal_patterns(60, 5, 3), REFERENCE_SIGMOID, 0.3, 0.95, rule="projection")
    stability = general_local_stability(network).memories[0]
    assert stability.max_real > 0
    certificate = lyapunov_certificate(network, 0)
    assert not certificate.certified and certificate.parameters["status"] == "refused"
    assert certificate.claim.startswith(f"refused: memory 0 is unstable: its largest Jacobian eigenvalue is "
                                        f"{stability.max_real:.6g} > 0")


def test_edited_nonsymmetric_certificate_is_refused_by_verify(nonsymmetric_networks):
    """The exact re-check of Theorem L's certificate: a file round trip verifies; an edited X, method or the
    network of the other activation does not."""
    import dataclasses

    from assocrate.certify.serialize import from_json, to_json

    network = nonsymmetric_networks["tanh"]
    certificate = lyapunov_certificate(network, 3, form="current")
    assert verify(from_json(to_json(certificate)), network).verified
    X = certificate.data["X"].copy()
    X[0, 0] += 2.0**-30
    edited = dataclasses.replace(certificate, data={**certificate.data, "X": X})
    assert not verify(edited, network).verified
    renamed = dataclasses.replace(certificate, parameters={**certificate.parameters, "method": "explicit P = D"})
    assert not verify(renamed, network).verified
    assert not verify(certificate, nonsymmetric_networks["sigmoid"]).verified

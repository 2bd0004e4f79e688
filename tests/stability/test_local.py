"""stability.local: reduced spectra against dense linear algebra, the closed form against the
reduction, the conditions against the spectrum, and exact Lyapunov certificates."""

from __future__ import annotations

import json

import flint
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from assocrate.core.activations import RectifiedTanh, Sigmoid
from assocrate.core.design import design
from assocrate.core.equilibria import refine_equilibrium
from assocrate.core.patterns import correlated_patterns, equal_overlap_patterns, random_patterns
from assocrate.stability import (
    Verdict,
    closed_form_spectrum,
    conditions,
    jacobian_spectrum,
    local_stability,
    lyapunov_certificate,
)
from assocrate.stability.lyapunov import _exact_all_below

from ..reference import REFERENCE_SIGMOID, REFERENCE_TANH, design_quietly

STABLE_TANH = RectifiedTanh(rho=4.8, threshold=0.3)  # a = -0.3 below threshold: d_a = 0, memories stable

PATTERN_SETS = {
    "equal-overlap": lambda: equal_overlap_patterns(500, 0.2),
    "equal-overlap q=0.3 (zero rows)": lambda: equal_overlap_patterns(500, 0.3),
    "random": lambda: random_patterns(400, 8, 0.2, seed=1),
    "correlated": lambda: correlated_patterns(600, 5, 0.2, 0.4, seed=2),
}


def dense_jacobians(network, mu, at="equilibrium"):
    """Dense J_rate and J_current at the same point the reduction uses."""
    if at == "ideal" or network.is_exact:
        h = network.memory_currents()[:, mu]
    else:
        h = refine_equilibrium(network, network.memory_rates()[:, mu]).h
    d = network.activation.dphi(h)
    W = network.dense_weights()
    eye = np.eye(network.n_units)
    return (-eye + d[:, None] * W) / network.tau, (-eye + W * d[None, :]) / network.tau


@pytest.mark.parametrize("activation", [REFERENCE_SIGMOID, REFERENCE_TANH, STABLE_TANH], ids=lambda a: repr(a))
@pytest.mark.parametrize("patterns", list(PATTERN_SETS))
def test_reduced_spectrum_equals_dense_eigenvalues(patterns, activation):
    network = design_quietly(PATTERN_SETS[patterns](), activation, -0.3, 0.95)
    for form, J in zip(("rate", "current"), dense_jacobians(network, 1)):
        spectrum = jacobian_spectrum(network, 1, form=form).spectrum
        dense = np.linalg.eigvals(J)
        assert spectrum.size == network.n_units
        assert np.max(np.abs(dense.imag)) < 1e-9
        np.testing.assert_allclose(np.sort(dense.real), spectrum.dense(), rtol=0, atol=1e-9)


def test_ideal_point_of_an_approximate_design_equals_dense():
    network = design_quietly(random_patterns(300, 6, 0.2, seed=4), REFERENCE_SIGMOID, -0.3, 0.95, q=0.2, r=0.2)
    js = jacobian_spectrum(network, 2, at="ideal")
    J_rate, _ = dense_jacobians(network, 2, at="ideal")
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(J_rate).real), js.spectrum.dense(), atol=1e-9)
    assert js.equilibrium_residual > 1e-3 and js.equilibrium_status == "designed memory (not refined)"


def test_refined_equilibrium_is_recorded(random_network):
    js = jacobian_spectrum(random_network, 0)
    assert js.equilibrium_status == "converged"
    assert js.equilibrium_residual <= 1e-12
    assert 0 < js.equilibrium_shift < 0.1


def test_multiplicities_count_zero_slopes():
    """Rectified tanh with a below threshold: only active units have slope, rank 2, -1 x (N - 2)."""
    network = design(equal_overlap_patterns(500, 0.2), STABLE_TANH, -0.3, 0.95)
    js = jacobian_spectrum(network, 0)
    assert js.rank == 2
    minus_one = js.spectrum.values == -1.0
    assert js.spectrum.multiplicities[minus_one].sum() == network.n_units - 2


CLOSED_FORM_CASES = [
    (equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95),
    (equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, 0.1, 0.95),
    (equal_overlap_patterns(1000, 0.2), REFERENCE_TANH, -0.3, 0.95),
    (equal_overlap_patterns(1000, 0.2), STABLE_TANH, 0.4, 0.95),
    (equal_overlap_patterns(1000, 0.3), Sigmoid(1.5, 0.4), -0.5, 1.2),
    (equal_overlap_patterns(800, 0.25), Sigmoid(0.7, 0.1), 0.2, 0.6),
    (equal_overlap_patterns(400, 0.5), RectifiedTanh(2.0, 0.0), 0.3, 0.9),
]


@pytest.mark.parametrize("case", range(len(CLOSED_FORM_CASES)))
def test_closed_form_equals_reduction(case):
    patterns, activation, a, b = CLOSED_FORM_CASES[case]
    network = design(patterns, activation, a, b)
    for mu in (0, network.n_patterns - 1):
        closed = closed_form_spectrum(network, mu)
        reduced = jacobian_spectrum(network, mu)
        np.testing.assert_allclose(closed.spectrum.dense(), reduced.spectrum.dense(), rtol=0, atol=1e-10)
        assert closed.verdict == reduced.verdict


@pytest.mark.parametrize(
    "patterns, message",
    [
        (random_patterns(500, 5, 0.2, seed=0), "not the equal-overlap construction"),
        (correlated_patterns(1000, 5, 0.2, 0.4, seed=3), "differs from the activity"),
        (equal_overlap_patterns(1001, 0.2), "differs from the activity"),
    ],
)
def test_closed_form_refuses_other_patterns(patterns, message):
    network = design_quietly(patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    with pytest.raises(ValueError, match=message):
        closed_form_spectrum(network, 0)


def test_closed_form_refuses_nominal_q_r():
    network = design(equal_overlap_patterns(1000, 0.2), REFERENCE_SIGMOID, -0.3, 0.95, q=0.21, r=0.2)
    with pytest.raises(ValueError, match="designed with q=0.21"):
        closed_form_spectrum(network, 0)


def test_tau_rescales_eigenvalues():
    patterns = equal_overlap_patterns(500, 0.2)
    slow = jacobian_spectrum(design(patterns, REFERENCE_SIGMOID, 0.1, 0.95, tau=2.5), 0)
    fast = jacobian_spectrum(design(patterns, REFERENCE_SIGMOID, 0.1, 0.95), 0)
    np.testing.assert_allclose(slow.spectrum.dense() * 2.5, fast.spectrum.dense(), rtol=1e-14)
    np.testing.assert_allclose(slow.time_constants(), 2.5 * fast.time_constants(), rtol=1e-14)


# The conditions against the exact spectrum, on the equal-overlap design (N = 200: q^2 N, q N integers).
SMALL_PATTERNS = equal_overlap_patterns(200, 0.2)


@given(
    rho=st.floats(0.2, 6.0),
    threshold=st.floats(0.0, 0.9),
    a=st.floats(-1.0, 0.6),
    gap=st.floats(0.05, 1.5),
    tanh=st.booleans(),
)
def test_conditions_agree_with_the_spectrum(rho, threshold, a, gap, tanh):
    activation = RectifiedTanh(rho, threshold) if tanh else Sigmoid(rho, threshold)
    b = a + gap
    assume(float(activation.phi(b)) > float(activation.phi(a)) + 1e-9)
    network = design(SMALL_PATTERNS, activation, a, b)
    found = conditions(network)
    assert found.instability_proven
    result = local_stability(network)
    tolerance = result.memories[0].spectrum.tolerance
    if found.sufficient_holds:
        # lambda_max(D^1/2 W D^1/2) <= eta max(lambda_max(W), 0): a bound, not only the sign
        assert np.all(result.max_eigenvalues <= -1.0 + found.sufficient_value + tolerance)
        assert Verdict.UNSTABLE not in result.verdicts
    if found.instability_holds:
        assert np.any(result.max_eigenvalues > -tolerance)
        assert Verdict.STABLE not in result.verdicts


def test_conditions_reference_values(equal_overlap_network, positive_gamma_network):
    negative = conditions(equal_overlap_network)
    assert negative.eta == pytest.approx(1.760e-4, rel=1e-3)
    assert negative.lambda_max_W == pytest.approx(negative.alpha, rel=1e-12)
    assert negative.sufficient_value == pytest.approx(negative.eta * negative.alpha, rel=1e-12)
    positive = conditions(positive_gamma_network)
    assert positive.lambda_max_W == pytest.approx(positive.gamma, rel=1e-12)
    assert positive.eta == pytest.approx(0.3663, rel=1e-3)


def test_random_patterns_use_lambda_max_of_W(random_network):
    found = conditions(random_network)
    assert not found.instability_proven
    assert found.lambda_max_W > found.alpha  # cross-talk of random patterns raises the top eigenvalue
    dense_top = np.linalg.eigvalsh(random_network.dense_weights())[-1]
    assert found.lambda_max_W == pytest.approx(dense_top, abs=1e-10)


def test_local_stability_table_and_record(positive_gamma_network):
    result = local_stability(positive_gamma_network)
    assert result.all_stable and result.n_stable == 6
    text = result.summary()
    assert "6 of 6 memories stable" in text and "all-on" in text and "intermediate" in text
    record = json.loads(json.dumps(result.to_record()))
    assert [m["index"] for m in record["memories"]] == list(range(6))
    assert all(m["stable"] and m["sufficient_holds"] for m in record["memories"])
    assert [s["kind"] for s in record["uniform_states"]] == ["quiescent", "intermediate", "all-on"]
    first = result.memories[0]
    assert first.slowest_time_constant == pytest.approx(1.0 / -first.max_eigenvalue)
    assert "n_stable=6" in repr(result)


def test_local_stability_matches_single_spectra(random_network):
    result = local_stability(random_network, at="ideal")
    for mu in (0, 7):
        single = jacobian_spectrum(random_network, mu, at="ideal")
        np.testing.assert_allclose(result.memories[mu].spectrum.reduced, single.reduced, atol=1e-12)
    refined = local_stability(random_network)
    assert refined.all_stable
    assert {m.spectrum.equilibrium_status for m in refined.memories} == {"converged"}


def test_unstable_memories_are_reported():
    network = design(equal_overlap_patterns(500, 0.2), REFERENCE_TANH, -0.3, 0.95)
    result = local_stability(network)
    assert result.n_stable == 0 and set(result.verdicts) == {Verdict.UNSTABLE}
    assert "grows" in result.summary()
    assert result.memories[0].slowest_time_constant < 0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda net: jacobian_spectrum(net, 6), r"`mu` must be in \[0, 5\]"),
        (lambda net: jacobian_spectrum(net, 0, at="fixed"), "`at` must be one of"),
        (lambda net: jacobian_spectrum(net, 0, form="voltage"), "`form` must be one of"),
        (lambda net: lyapunov_certificate(net, 0, method="sdp"), "`method` must be one of"),
    ],
)
def test_invalid_arguments_are_named(equal_overlap_network, call, message):
    with pytest.raises(ValueError, match=message):
        call(equal_overlap_network)


def test_a_choice_of_the_wrong_type_is_a_type_error(equal_overlap_network):
    with pytest.raises(TypeError, match=r"`at` must be one of \['equilibrium', 'ideal'\]; got None of type NoneType"):
        local_stability(equal_overlap_network, at=None)


def test_network_type_is_checked():
    with pytest.raises(TypeError, match="`network` must be a MemoryNetwork"):
        conditions(np.eye(3))


# Lyapunov certificates


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


def test_ideal_point_that_is_not_an_equilibrium_is_undecided_and_refused():
    """Regression: at="ideal" on an approximate design called non-equilibria "stable" and certified them."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    js = jacobian_spectrum(network, 0, at="ideal")
    assert js.equilibrium_residual > 1e-3 and js.max_eigenvalue < 0  # Hurwitz, but not an equilibrium
    assert not js.equilibrium_found and js.verdict is Verdict.UNDECIDED
    result = local_stability(network, at="ideal")
    assert result.n_stable == 0 and set(result.verdicts) == {Verdict.UNDECIDED}
    assert "0 of 14 memories stable" in result.summary() and "not an equilibrium" in result.summary()
    certificate = lyapunov_certificate(network, 0, at="ideal")
    assert not certificate.certified and certificate.parameters["status"] == "refused"
    assert certificate.claim.startswith("refused: memory 0 is undecided: the designed memory is not an equilibrium")


def test_ideal_point_of_an_exact_design_is_unchanged():
    network = design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95)
    js = jacobian_spectrum(network, 0, at="ideal")
    assert js.equilibrium_found and js.verdict is Verdict.STABLE
    assert local_stability(network, at="ideal").all_stable
    assert lyapunov_certificate(network, 0, at="ideal").certified


def test_sufficient_condition_does_not_apply_to_an_approximate_design():
    """Regression: "sufficient ... holds" was printed for designed memories that are not equilibria."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    found = conditions(network)
    assert found.sufficient_holds and not found.applies
    assert "not equilibria of this approximate design" in found.summary()
    assert "every designed memory is locally exponentially stable" not in found.summary()
    exact = conditions(design(equal_overlap_patterns(200, 0.2), REFERENCE_SIGMOID, -0.3, 0.95))
    assert exact.applies and "holds: every designed memory is locally exponentially stable" in exact.summary()


@pytest.mark.parametrize("at", ["ideal", "equilibrium"])
def test_record_reports_no_spectrum_without_an_equilibrium(at):
    """Regression: to_record gave a max eigenvalue (and time constant) for memories with no equilibrium."""
    network = design_quietly(random_patterns(1000, 14, 0.1, seed=0), REFERENCE_SIGMOID, 0.1, 0.95)
    result = local_stability(network, at=at)
    missing = [m for m in result.memories if not m.spectrum.equilibrium_found]
    assert missing
    record = json.loads(json.dumps(result.to_record()))
    assert record["conditions"]["applies"] is False
    for m in missing:
        row = record["memories"][m.index]
        assert row["max_eigenvalue"] is None and row["slowest_time_constant"] is None
        assert row["stable"] is False and row["equilibrium_found"] is False

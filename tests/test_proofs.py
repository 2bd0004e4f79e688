"""Tests for ``proofs/``: the proofs hold, fail when they should, and agree with numbers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs import ProofResult
from proofs._result import check_positive, check_zero
from proofs._rule import SYMBOLS, design_rule
from proofs.balance_sign import prove_gamma_sign
from proofs.design_identity import (
    crosstalk_residual,
    prove_design_identity,
    sunflower_patterns,
    verify_design_identity_instance,
)
from proofs.eigenstructure import equal_overlap_matrix, prove_eigenstructure

S = SYMBOLS
_HYPOTHESIS = settings(derandomize=True, max_examples=60, deadline=None)


def _sigmoid(h: float, rho: float = 4.8, threshold: float = 0.2) -> float:
    """theory.md §2 sigmoid, written out independently of ``assocrate.core.activations``."""
    z = 4 * rho * (h - threshold - 1 / (2 * rho))
    return 1 / (1 + math.exp(-z))


def _closed_form(q: float, r: float, a: float, b: float, pa: float, pb: float):
    """theory.md §3 formulas transcribed by hand (no sympy)."""
    alpha_prime = (b - a) / (q * (1 - r) * (pb - pa))
    beta = q * ((1 - r) * pa + r * pb) / ((1 - q) * pa + q * pb)
    gamma = ((1 - beta) * a + beta * b) / ((1 - q) * pa + q * pb)
    return alpha_prime, beta, gamma


_NUMERIC = sympy.lambdify(
    (S.q, S.r, S.a, S.b, S.pa, S.pb), tuple(design_rule()[:3]), modules="math"
)


# ---- the proofs hold ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "result",
    [
        pytest.param(lambda: prove_design_identity(), id="design_identity"),
        pytest.param(lambda: verify_design_identity_instance(), id="design_identity_instance"),
        pytest.param(lambda: prove_gamma_sign(), id="gamma_sign"),
        pytest.param(lambda: prove_eigenstructure(), id="eigenstructure_N25_q1/5"),
    ],
)
def test_proof_holds(result):
    res = result()
    assert isinstance(res, ProofResult)
    assert res.holds, res.summary()
    assert res.failed == ()
    assert all(r == 0 or getattr(r, "is_zero_matrix", False) for r in res.residuals)
    assert "HOLDS" in res.summary()
    assert "failed=0" in repr(res)


def test_design_identity_crosstalk_vanishes_for_the_rule():
    assert crosstalk_residual() == 0


@pytest.mark.parametrize(("n_units", "q"), [(16, Fraction(1, 4)), (9, "1/3"), (50, 0.2)])
def test_eigenstructure_other_exact_sizes(n_units, q):
    res = prove_eigenstructure(n_units, q, charpoly=False)
    assert res.holds, res.summary()


@pytest.mark.parametrize(("n_active", "n_shared", "n_patterns"), [(3, 1, 3), (5, 0, 3)])
def test_design_identity_other_instances(n_active, n_shared, n_patterns):
    res = verify_design_identity_instance(sunflower_patterns(n_active, n_shared, n_patterns))
    assert res.holds, res.summary()


def test_equal_overlap_set_is_an_instance_of_the_design_identity():
    # r = q for the equal-overlap construction; the dense check must hold there too.
    res = verify_design_identity_instance(equal_overlap_matrix(16, "1/4"))
    assert res.holds, res.summary()


# ---- the machinery can fail --------------------------------------------------------------------


def test_wrong_beta_leaves_crosstalk():
    # beta = q is the rule only when r = q: otherwise the cross-talk is q (pa - pb)(q - r) != 0.
    residual = crosstalk_residual(S.q)
    assert residual != 0
    assert sympy.simplify(residual - S.q * (S.pb - S.pa) * (S.r - S.q)) == 0
    assert residual.subs(S.r, S.q) == 0
    res = prove_design_identity(beta=S.q)
    assert not res.holds
    assert res.failed
    assert "DOES NOT HOLD" in res.summary()


def test_wrong_beta_fails_on_an_explicit_instance_too():
    # q = 2/5, r = 1/2: the dense W built with beta = q misses h-bar.
    Xi = sunflower_patterns(4, 2, 4)
    q, r = sympy.Rational(2, 5), sympy.Rational(1, 2)
    params = design_rule(q, r, beta=q)
    N, P = Xi.shape
    U = Xi - q * sympy.ones(N, P)
    one = sympy.ones(N, 1)
    W = (params.alpha_prime / N) * U * U.T + (params.gamma / N) * one * one.T
    xi = Xi[:, 0]
    check = check_zero("wrong beta", W * (S.pa * one + (S.pb - S.pa) * xi)
                       - (S.a * one + (S.b - S.a) * xi))
    assert not check.passed


def test_positivity_fails_without_its_hypotheses():
    pa0 = sympy.Symbol("pa", nonnegative=True)
    pb0 = sympy.Symbol("pb", nonnegative=True)
    u = sympy.Symbol("u", positive=True)
    D = design_rule().D.subs(S.q, u / (1 + u))
    # both rates may vanish: D > 0 is not provable
    assert not check_positive("D > 0", D.subs({S.pa: pa0, S.pb: pb0})).passed
    # without pa < pb, 1 - beta > 0 is not provable (it is false for q near 1, r near 0)
    v = sympy.Symbol("v", positive=True)
    one_minus_beta = (1 - design_rule().beta).subs({S.q: u / (1 + u), S.r: v / (1 + v)})
    assert not check_positive("1 - beta > 0", one_minus_beta).passed
    assert _closed_form(0.9, 0.05, -1.0, 1.0, 1.0, 0.01)[1] > 1  # ... and indeed false there


def test_check_zero_rejects_a_nonzero_identity():
    assert not check_zero("a = b", S.a - S.b).passed


def test_inputs_are_validated():
    with pytest.raises(ValueError, match="`n_units`=30"):
        equal_overlap_matrix(30, "1/5")
    with pytest.raises(ValueError, match="`q` must be in"):
        equal_overlap_matrix(25, 1.5)
    with pytest.raises(TypeError, match="`q`"):
        equal_overlap_matrix(25, [0.2])
    with pytest.raises(ValueError, match="equal pairwise overlaps"):
        verify_design_identity_instance([[1, 1, 0], [1, 0, 1], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="`n_shared`"):
        sunflower_patterns(3, 3, 2)


# ---- numeric cross-checks ----------------------------------------------------------------------


def test_sigmoid_reference_rates():
    assert _sigmoid(-0.3) == pytest.approx(9.16600e-06, rel=1e-5)
    assert _sigmoid(0.95) == pytest.approx(0.99999588, rel=1e-8)


@pytest.mark.parametrize(
    ("q", "r", "a", "b", "alpha_prime", "beta", "gamma"),
    [
        (0.2, 0.2, -0.3, 0.95, 7.812604, 0.2, -0.249992),
        (0.2, 0.2, 0.1, 0.95, 5.417929, 0.2, 1.252533),
        (0.2, 0.4, -0.3, 0.95, 10.416805, 0.399991, 0.999910),
    ],
)
def test_symbolic_rule_matches_design_reference_values(q, r, a, b, alpha_prime, beta, gamma):
    got = _NUMERIC(q, r, a, b, _sigmoid(a), _sigmoid(b))
    assert got == pytest.approx((alpha_prime, beta, gamma), abs=2e-6)


_unit = st.floats(0.02, 0.98)


@_HYPOTHESIS
@given(q=_unit, r=_unit, a=st.floats(-2, 2), gap=st.floats(0.05, 3),
       pa=st.floats(0, 0.9), dp=st.floats(0.05, 1))
def test_symbolic_rule_matches_closed_form(q, r, a, gap, pa, dp):
    b, pb = a + gap, pa + dp
    assert _NUMERIC(q, r, a, b, pa, pb) == pytest.approx(_closed_form(q, r, a, b, pa, pb),
                                                         rel=1e-12)
    # r = q special case of theory.md §3
    ap_sym, beta_sym, gamma_sym = _NUMERIC(q, q, a, b, pa, pb)
    alpha = (b - a) / (pb - pa)
    assert beta_sym == pytest.approx(q, rel=1e-12)
    assert ap_sym == pytest.approx(alpha / (q * (1 - q)), rel=1e-12)
    assert gamma_sym == pytest.approx((q * b + (1 - q) * a) / (q * pb + (1 - q) * pa), rel=1e-12)
    # the proved sign facts, numerically
    assert 0 < beta_sym < 1
    assert np.sign(gamma_sym) == np.sign((1 - beta_sym) * a + beta_sym * b)


@_HYPOTHESIS
@given(n_active=st.integers(2, 8), data=st.data(), n_patterns=st.integers(2, 6),
       a=st.floats(-1, 1), gap=st.floats(0.1, 2), pa=st.floats(0, 0.5), dp=st.floats(0.1, 0.5))
def test_design_identity_numerically_on_sunflowers(n_active, data, n_patterns, a, gap, pa, dp):
    # a third route: float numpy W on explicit equal-overlap patterns
    n_shared = data.draw(st.integers(0, n_active - 1))
    Xi = np.array(sunflower_patterns(n_active, n_shared, n_patterns).tolist(), dtype=float)
    N = Xi.shape[0]
    q, r = n_active / N, n_shared / n_active
    b, pb = a + gap, pa + dp
    alpha_prime, beta, gamma = _NUMERIC(q, r, a, b, pa, pb)
    U = Xi - beta
    W = (alpha_prime / N) * U @ U.T + (gamma / N) * np.ones((N, N))
    x_bar = pa + (pb - pa) * Xi
    h_bar = a + (b - a) * Xi
    np.testing.assert_allclose(W @ x_bar, h_bar, atol=1e-9 * (1 + abs(alpha_prime)))


def test_eigenvalues_numerically():
    Xi = np.array(equal_overlap_matrix(25, "1/5").tolist(), dtype=float)
    N, P = Xi.shape
    alpha_prime, gamma, q = 7.812604, -0.249992, 0.2
    U = Xi - q
    W = (alpha_prime / N) * U @ U.T + (gamma / N) * np.ones((N, N))
    expected = np.sort([alpha_prime * q * (1 - q)] * P + [gamma] + [0.0] * (N - P - 1))
    np.testing.assert_allclose(np.linalg.eigvalsh(W), expected, atol=1e-12)


# ---- the projection rule (theory.md §3, "Generalised rule for any pattern set") ---------------


def test_projection_rule_proofs_hold():
    from proofs.projection_rule import EQUAL_ACTIVITY_PATTERNS, prove_projection_identity, prove_symmetry_criterion

    for res in (prove_projection_identity(), prove_projection_identity(EQUAL_ACTIVITY_PATTERNS),
                prove_symmetry_criterion()):
        assert res.holds, res.summary()


def test_symmetry_criterion_fails_for_unequal_activities():
    from proofs.projection_rule import UNEQUAL_PATTERNS, prove_symmetry_criterion

    res = prove_symmetry_criterion(UNEQUAL_PATTERNS)
    assert res.holds  # the count formula holds; with unequal activities S - S^T is that nonzero formula
    assert len(res.checks) == 2
    from proofs.projection_rule import _levels

    H, X = _levels(UNEQUAL_PATTERNS)
    assert (X.T * H - H.T * X).applyfunc(sympy.expand) != sympy.zeros(3, 3)


@_HYPOTHESIS
@given(seed=st.integers(0, 2**31 - 1), a=st.floats(-1, 1), gap=st.floats(0.1, 2),
       pa=st.floats(0.01, 0.5), dp=st.floats(0.1, 0.5))
def test_projection_identity_numerically(seed, a, gap, pa, dp):
    # a second route: float numpy on random patterns with unequal activities
    rng = np.random.default_rng(seed)
    Xi = (rng.random((40, 5)) < rng.uniform(0.1, 0.5, 5)).astype(float)
    b, pb = a + gap, pa + dp
    H, X = a + (b - a) * Xi, pa + (pb - pa) * Xi
    if np.linalg.matrix_rank(X) < 5:
        return
    W = H @ np.linalg.solve(X.T @ X, X.T)
    np.testing.assert_allclose(W @ X, H, atol=1e-8 * np.linalg.cond(X.T @ X))
    S = X.T @ H
    n = Xi.sum(axis=0)
    np.testing.assert_allclose(S - S.T, (pa * b - pb * a) * (n[None, :] - n[:, None]), atol=1e-10 * np.abs(S).max())

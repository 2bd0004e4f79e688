"""Tests for assocrate.certify.exact: exact rational positive-definiteness checks."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assocrate.certify import _definite
from assocrate.certify._definite import positive_by_bareiss_python
from assocrate.certify.exact import (
    _is_positive_definite_sympy,
    is_negative_definite_exact,
    is_positive_definite_exact,
    to_rational,
)

METHODS = ("auto", "charpoly", "sylvester")
SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def fractions_of(Q: flint.fmpq_mat) -> list[list[Fraction]]:
    return [[Fraction(int(q.p), int(q.q)) for q in row] for row in Q.tolist()]


def all_routes(M: object) -> dict[str, bool]:
    """Every exact route, plus sympy (small n) and the pure-Python Bareiss fallback."""
    verdicts = {method: is_positive_definite_exact(M, method=method) for method in METHODS}
    Q = to_rational(M)
    if Q.nrows() < 30:
        verdicts["sympy"] = _is_positive_definite_sympy(M)
    verdicts["bareiss-python"] = bool(
        all(Q[i, i] > 0 for i in range(Q.nrows()))
        and positive_by_bareiss_python(Q.numer_denom()[0])
    )
    return verdicts


def cayley_orthogonal(n: int, seed: int) -> sympy.Matrix:
    """An exactly orthogonal rational matrix: Q = (I - S)(I + S)^-1, S skew-symmetric."""
    rng = np.random.default_rng(seed)
    S = sympy.zeros(n, n)
    for i in range(n):
        for j in range(i + 1, n):
            value = sympy.Rational(int(rng.integers(-3, 4)), int(rng.integers(1, 4)))
            S[i, j], S[j, i] = value, -value
    identity = sympy.eye(n)
    return (identity - S) * (identity + S).inv()


# ----------------------------------------------------------------------------------------------
# to_rational
# ----------------------------------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@SETTINGS
@given(st.lists(finite_floats, min_size=1, max_size=12))
def test_to_rational_is_exact_for_floats(values):
    array = np.array(values).reshape(1, -1)
    Q = to_rational(array)
    assert fractions_of(Q) == [[Fraction(v) for v in values]]
    assert [float(Fraction(f)) for f in fractions_of(Q)[0]] == values  # round trip


@SETTINGS
@given(
    st.lists(finite_floats, min_size=1, max_size=8),
    st.sampled_from([1, 2**4, 2**30, 2**40, 3, 10**6]),
)
def test_to_rational_grid_rounds_to_nearest_multiple(values, grid):
    array = np.array(values).reshape(-1, 1)
    Q = to_rational(array, grid=grid)
    expected = [[Fraction(round(Fraction(v) * grid), grid)] for v in values]
    assert fractions_of(Q) == expected
    for (got,), value in zip(fractions_of(Q), values):
        assert abs(got - Fraction(value)) <= Fraction(1, 2 * grid)


def test_to_rational_grid_examples():
    assert fractions_of(to_rational(np.array([[0.1, -0.1]]), grid=16)) == [
        [Fraction(1, 8), Fraction(-1, 8)]
    ]
    # ties go to even, as numpy.rint and round() do
    assert fractions_of(to_rational(np.array([[1.5, 2.5]]), grid=1)) == [[2, 2]]
    # a product that overflows a float still rounds exactly
    assert fractions_of(to_rational(np.array([[1e300]]), grid=2**40)) == [[Fraction(1e300)]]


def test_to_rational_accepts_exact_inputs():
    third = Fraction(1, 3)
    expected = [[third, Fraction(2)], [Fraction(-5, 7), Fraction(0)]]
    inputs = [
        [[third, 2], [Fraction(-5, 7), 0]],
        ((third, 2), (Fraction(-5, 7), 0)),
        sympy.Matrix([[sympy.Rational(1, 3), 2], [sympy.Rational(-5, 7), 0]]),
        flint.fmpq_mat([[flint.fmpq(1, 3), 2], [flint.fmpq(-5, 7), 0]]),
        np.array([[third, 2], [Fraction(-5, 7), 0]], dtype=object),
    ]
    for value in inputs:
        assert fractions_of(to_rational(value)) == expected
    assert fractions_of(to_rational(flint.fmpz_mat([[1, 2]]))) == [[1, 2]]
    assert fractions_of(to_rational(np.array([[1, 2]], dtype=np.int32))) == [[1, 2]]
    assert fractions_of(to_rational([[10**40, 1]])) == [[10**40, 1]]  # beyond int64
    assert fractions_of(to_rational([[third]], grid=10)) == [[Fraction(3, 10)]]
    assert fractions_of(to_rational(np.array([[0.5]], dtype=np.float32))) == [[Fraction(1, 2)]]


def test_to_rational_returns_a_copy():
    source = flint.fmpq_mat([[1, 2]])
    result = to_rational(source)
    result[0, 0] = 7
    assert source[0, 0] == 1


@pytest.mark.parametrize(
    ("M", "grid", "error", "match"),
    [
        (np.array([1.0, 2.0]), None, ValueError, r"`M` must be a 2-D matrix.*got shape \(2,\)"),
        (np.zeros((0, 3)), None, ValueError, r"`M` must be non-empty; got shape \(0, 3\)"),
        (np.array([[1.0, np.nan]]), None, ValueError, r"`M` must be finite; got nan at index \(0, 1\)"),
        (np.array([[np.inf]]), None, ValueError, r"`M` must be finite; got inf"),
        ([[1, float("nan")]], None, ValueError, r"`M` must be finite"),
        (np.array([[True]]), None, TypeError, r"`M` must hold real numbers"),
        (np.array([[1 + 2j]]), None, TypeError, r"`M` must hold real numbers.*complex"),
        ([["a", "b"]], None, TypeError, r"`M` must hold real numbers"),
        ("abc", None, TypeError, r"`M` must be a 2-D array"),
        ([[1.0]], 0, ValueError, r"`grid` must be a positive integer.*got 0"),
        ([[1.0]], -4, ValueError, r"`grid` must be a positive integer"),
        ([[1.0]], 1e-9, TypeError, r"`grid` must be None or a positive integer.*float"),
        ([[1.0]], True, TypeError, r"`grid`"),
    ],
)
def test_to_rational_rejects_bad_input(M, grid, error, match):
    with pytest.raises(error, match=match):
        to_rational(M, grid=grid)


# ----------------------------------------------------------------------------------------------
# Positive definiteness: tables, routes, sympy
# ----------------------------------------------------------------------------------------------

TABLE = [
    ("identity", np.eye(3), True),
    ("tridiagonal", [[2, -1, 0], [-1, 2, -1], [0, -1, 2]], True),
    ("psd singular", [[1, 1], [1, 1]], False),
    ("indefinite", [[1, 2], [2, 1]], False),
    ("negative diagonal", [[-1, 0], [0, 5]], False),
    ("zero", np.zeros((2, 2)), False),
    ("tiny positive 1x1", [[Fraction(1, 10**30)]], True),
    ("zero 1x1", [[0]], False),
    ("vanishing leading minor", [[1, 1, 1], [1, 1, 0], [1, 0, 1]], False),
    ("hilbert 8", [[Fraction(1, i + j + 1) for j in range(8)] for i in range(8)], True),
    ("dyadic floats", np.array([[0.75, 0.125], [0.125, 2.0**-40]]), False),
    ("dyadic floats pd", np.array([[0.75, 2.0**-30], [2.0**-30, 2.0**-40]]), True),
]


@pytest.mark.parametrize(("case", "M", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_table_all_routes(case, M, expected):
    assert all_routes(M) == dict.fromkeys(all_routes(M), expected)
    negated = [[-x for x in row] for row in to_rational(M).tolist()]
    assert is_negative_definite_exact(flint.fmpq_mat(negated)) is expected


small_int_matrices = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.integers(-4, 4), min_size=n * n, max_size=n * n),
        st.integers(1, n),
        st.integers(-3, 3),
    )
)


@SETTINGS
@given(small_int_matrices)
def test_routes_agree_with_sympy_on_small_matrices(case):
    """Random symmetric, Gram (possibly rank-deficient, i.e. PSD singular) and shifted Gram."""
    n, values, rank, shift = case
    B = np.array(values, dtype=np.int64).reshape(n, n)
    symmetric = B + B.T
    gram = B[:, :rank] @ B[:, :rank].T
    for M in (symmetric, gram, gram + shift * np.eye(n, dtype=np.int64)):
        verdicts = all_routes(M.tolist())
        assert len(set(verdicts.values())) == 1, verdicts


@SETTINGS
@given(st.integers(1, 7), st.integers(0, 2**32 - 1), st.sampled_from([2**10, 2**30, 3]))
def test_routes_agree_with_sympy_on_grid_rounded_floats(n, seed, grid):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    M = A @ A.T + rng.uniform(-1.0, 1.0) * np.eye(n)
    M = (M + M.T) / 2  # exactly symmetric in floating point
    Q = to_rational(M, grid=grid)
    verdicts = all_routes(Q)
    assert len(set(verdicts.values())) == 1, verdicts


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [3, 12, 40])
def test_agrees_with_eigvalsh_when_clearly_definite_or_indefinite(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    gram = A @ A.T / n
    eigenvalues = np.linalg.eigvalsh(gram)
    for target in (0.1, -0.1):  # smallest eigenvalue moved to +-0.1: far from the boundary
        M = gram + (target - eigenvalues[0]) * np.eye(n)
        M = (M + M.T) / 2
        expected = bool(np.linalg.eigvalsh(M)[0] > 0)
        assert expected is (target > 0)
        for Q in (M, to_rational(M, grid=2**30)):
            assert is_positive_definite_exact(Q) is expected
            assert is_negative_definite_exact(-M) is expected
        assert is_positive_definite_exact(M, method="charpoly") is expected


# ----------------------------------------------------------------------------------------------
# The point of exactness: eigenvalues at +-1e-14 and exactly 0
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [4, 9])
def test_exact_eigenvalue_plus_minus_1e14_via_rational_orthogonal_matrix(n):
    Q = cayley_orthogonal(n, seed=n)
    assert Q * Q.T == sympy.eye(n)  # exactly orthogonal
    eps = sympy.Rational(1, 10**14)
    rest = [sympy.Rational(k + 1, 2) for k in range(n - 1)]
    for smallest, expected in ((eps, True), (-eps, False), (sympy.Integer(0), False)):
        M = Q * sympy.diag(smallest, *rest) * Q.T  # spectrum {smallest, 1/2, 1, ...}, exactly
        assert all_routes(M) == dict.fromkeys(all_routes(M), expected)


@pytest.mark.parametrize("n", [5, 20, 45])
def test_exact_eigenvalue_plus_minus_1e14_as_float_matrix(n):
    """``G = A A^T`` with integer A of rank n - 1 has lambda_min = 0 exactly. Scaled by a power
    of two to entries below 1 and shifted by +-2**-46 (about 1.4e-14) on the diagonal, it is
    still exactly a float matrix and its smallest eigenvalue is exactly +-2**-46: a sign that a
    float eigensolver (error about n * 2.2e-16 * ||M||) cannot be trusted to decide."""
    rng = np.random.default_rng(n)
    A = rng.integers(-3, 4, size=(n, n - 1))
    gram = A @ A.T
    scale = 2.0 ** -int(np.abs(gram).max()).bit_length()
    eps = 2.0**-46
    for shift, expected in ((eps, True), (-eps, False), (0.0, False)):
        M = gram * scale + shift * np.eye(n)
        exact_M = [
            [Fraction(int(gram[i, j])) * Fraction(scale) + (Fraction(shift) if i == j else 0)
             for j in range(n)]
            for i in range(n)
        ]
        assert fractions_of(to_rational(M)) == exact_M  # the float matrix is exactly that
        assert is_positive_definite_exact(M) is expected
        assert is_positive_definite_exact(M, method="charpoly") is expected
        if n < 30:
            assert _is_positive_definite_sympy(M) is expected
            assert is_positive_definite_exact(M, method="sylvester") is expected
        assert is_negative_definite_exact(-M) is expected


# ----------------------------------------------------------------------------------------------
# The fast paths are used and are exact proofs
# ----------------------------------------------------------------------------------------------


def _forbid(*args, **kwargs):
    raise AssertionError("the exact fallback should not be needed here")


def test_auto_proves_well_conditioned_cases_without_the_fallback(monkeypatch):
    monkeypatch.setattr(_definite, "positive_by_charpoly", _forbid)
    rng = np.random.default_rng(0)
    n = 60
    A = rng.standard_normal((n, n))
    M = A @ A.T / n + 0.05 * np.eye(n)
    M = (M + M.T) / 2
    Q = to_rational(M, grid=2**30)
    assert is_positive_definite_exact(Q) is True  # congruence certificate
    shifted = to_rational(M - 0.5 * np.eye(n), grid=2**30)
    assert is_positive_definite_exact(shifted) is False  # integer witness v^T A v <= 0


def test_auto_falls_back_to_charpoly_near_the_boundary(monkeypatch):
    calls = []
    original = _definite.positive_by_charpoly

    def spy(A):
        calls.append(A.nrows())
        return original(A)

    monkeypatch.setattr(_definite, "positive_by_charpoly", spy)
    n = 6
    A = np.random.default_rng(1).integers(-3, 4, size=(n, n - 1))
    M = (A @ A.T).tolist()
    M = [[Fraction(x) + (Fraction(1, 10**40) if i == j else 0) for j, x in enumerate(row)]
         for i, row in enumerate(M)]
    assert is_positive_definite_exact(M) is True
    assert calls == [n]


def test_sylvester_reruns_bareiss_when_flint_swaps_rows(monkeypatch):
    calls = []
    original = _definite.positive_by_bareiss_python

    def spy(A):
        calls.append(A.nrows())
        return original(A)

    monkeypatch.setattr(_definite, "positive_by_bareiss_python", spy)
    assert is_positive_definite_exact([[1, 1, 1], [1, 1, 0], [1, 0, 1]], method="sylvester") is False
    assert calls == [3]


def test_leading_minors_from_fflu_diagonal():
    """The fact the sylvester route relies on: without swaps the fflu diagonal holds the leading
    principal minors."""
    rng = np.random.default_rng(3)
    A = rng.integers(-9, 10, size=(7, 7))
    Z = flint.fmpz_mat((A @ A.T + np.eye(7, dtype=np.int64)).tolist())
    LU, _, permutation, rank = Z._fflu()
    assert list(permutation) == list(range(7)) and rank == 7
    for k in range(1, 8):
        minor = flint.fmpz_mat([[Z[i, j] for j in range(k)] for i in range(k)])
        assert LU[k - 1, k - 1] == minor.det()


def test_n200_grid_rounded_is_fast_enough():
    rng = np.random.default_rng(7)
    n = 200
    A = rng.standard_normal((n, n))
    M = A @ A.T / n + 0.1 * np.eye(n)
    M = (M + M.T) / 2
    assert is_positive_definite_exact(to_rational(M, grid=2**30)) is True
    assert is_negative_definite_exact(to_rational(-M, grid=2**30)) is True


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [is_positive_definite_exact, is_negative_definite_exact])
@pytest.mark.parametrize(
    ("M", "error", "match"),
    [
        (np.zeros((3, 4)), ValueError, r"`M` must be square; got shape \(3, 4\)"),
        ([[1, 2], [3, 4]], ValueError, r"`M` must be exactly symmetric; got M\[0, 1\] = 2 != M\[1, 0\] = 3"),
        (np.zeros((0, 0)), ValueError, r"`M` must be non-empty"),
        (np.array([[np.nan]]), ValueError, r"`M` must be finite"),
        (np.ones(3), ValueError, r"`M` must be a 2-D matrix"),
        ([[1j]], TypeError, r"`M` must hold real numbers"),
    ],
)
def test_definiteness_rejects_bad_input(function, M, error, match):
    with pytest.raises(error, match=match):
        function(M)


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match=r"`method` must be one of \[.auto., .charpoly., .sylvester.\]; got .lu."):
        is_positive_definite_exact([[1]], method="lu")


def test_sympy_cross_check_is_limited_to_small_n():
    with pytest.raises(ValueError, match=r"n must be < 30; got n=30"):
        _is_positive_definite_sympy(np.eye(30))

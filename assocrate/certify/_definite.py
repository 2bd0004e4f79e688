"""Exact positive definiteness of a symmetric integer matrix: the algorithms behind :mod:`~assocrate.certify.exact`.

Routes (theory.md §5, "Verification"): Sylvester's criterion by fraction-free LU
(:func:`positive_by_sylvester`), the signs of the characteristic polynomial's coefficients
(:func:`positive_by_charpoly`), and, for ``method="auto"``, cheap exact proofs guided by a
floating-point Cholesky factor (a congruence certificate, or an integer witness ``v^T A v <= 0``)
before the characteristic polynomial. Every verdict is exact; floating point only chooses.
"""

from __future__ import annotations

import flint
import numpy as np
import scipy.linalg

from ..core.threads import decomposition_threads

__all__ = [
    "integer_matrix",
    "is_positive_definite_integer",
    "positive_by_bareiss_python",
    "positive_by_charpoly",
    "positive_by_sylvester",
]


def integer_matrix(Q: flint.fmpq_mat) -> flint.fmpz_mat:
    """``d * Q`` as an integer matrix for the least common denominator ``d > 0``.

    Multiplying by a positive scalar does not change definiteness.
    """
    numerators, _ = Q.numer_denom()
    return numerators


def _float_approximation(A: flint.fmpz_mat) -> np.ndarray:
    """``A / 2**shift`` in double precision with the largest entry in [1, 2).

    Only used to *guide* the exact proofs below; its accuracy never affects correctness.
    """
    n = A.nrows()
    values = [int(x) for x in A.entries()]
    maxbits = max(abs(x).bit_length() for x in values)
    if maxbits <= 62:
        array = np.array(values, dtype=np.int64).astype(np.float64)
        return np.ldexp(array, -max(maxbits - 1, 0)).reshape(n, n)
    divisor = 1 << (maxbits - 1)
    return np.array([x / divisor for x in values], dtype=np.float64).reshape(n, n)


def _scaled_integer_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Round each row of `X` to integers after scaling it by ``2**s_i`` (max entry < 2**52)."""
    if not np.all(np.isfinite(X)):
        return None
    rowmax = np.max(np.abs(X), axis=1)
    if np.any(rowmax == 0):
        return None
    _, exponents = np.frexp(rowmax)  # rowmax = m * 2**e with m in [0.5, 1)
    shifts = 52 - exponents.astype(np.int64)
    integers = np.rint(np.ldexp(X, shifts[:, None])).astype(np.int64)
    return integers, shifts


def _congruence_proves_positive(A: flint.fmpz_mat, L: np.ndarray) -> bool:
    """Exact proof of ``A > 0`` from an approximate Cholesky factor, when one exists.

    With ``X ~ L^{-1}`` rounded row by row to integers ``X_i = 2**s_i L^{-1}_i``, the exact
    integer matrix ``B = X A X^T`` is close to ``diag(4**s_i)``. If ``D^{-1} B D^{-1}``
    (``D = diag(2**s_i)``) is strictly diagonally dominant with a positive diagonal, Gershgorin
    proves ``B > 0``; then `X` has full rank (rank B <= rank X) and ``A = X^{-1} B X^{-T}`` is
    positive definite (Sylvester's law of inertia). All of this is exact integer arithmetic; the
    floats only choose X.
    """
    n = A.nrows()
    with decomposition_threads(n):
        X = scipy.linalg.solve_triangular(L, np.eye(n), lower=True, check_finite=False)
    rounded = _scaled_integer_rows(X)
    if rounded is None:
        return False
    integers, shifts = rounded
    Xz = flint.fmpz_mat(integers.tolist())
    B = Xz * A * Xz.transpose()
    top = int(shifts.max())
    weights = [top - int(s) for s in shifts]  # entry (i, j) of D^{-1} B D^{-1}, times 2**(2 top)
    entries = [int(b) for b in B.entries()]
    for i in range(n):
        row = entries[i * n : (i + 1) * n]
        diagonal = row[i]
        if diagonal <= 0:
            return False
        off = sum(abs(row[j]) << weights[j] for j in range(n) if j != i)
        if (diagonal << weights[i]) <= off:
            return False
    return True


def _witness_proves_not_positive(A: flint.fmpz_mat, Af: np.ndarray) -> bool:
    """Exact proof of ``not A > 0``: an integer vector ``v != 0`` with ``v^T A v <= 0``."""
    with decomposition_threads(Af.shape[0]):
        eigenvalues, vectors = scipy.linalg.eigh(Af, subset_by_index=[0, 0], check_finite=False)
    if not eigenvalues[0] < 0:
        return False
    rounded = _scaled_integer_rows(vectors[:, :1].T)
    if rounded is None:
        return False
    v = flint.fmpz_mat([[int(x)] for x in rounded[0][0]])
    if v.is_zero():
        return False
    return (v.transpose() * A * v)[0, 0] <= 0


def positive_by_charpoly(A: flint.fmpz_mat) -> bool:
    """Descartes' rule on the exact characteristic polynomial of a symmetric integer matrix.

    ``p(x) = det(x I - A) = sum_k c_k x**k`` has only real roots (A symmetric); all of them are
    > 0 iff the coefficients strictly alternate in sign: ``(-1)**(n - k) c_k > 0`` for every k.
    (If they alternate, ``p(-x)`` for ``x >= 0`` is a sum of same-signed terms with a nonzero
    constant term, so p has no root <= 0.)
    """
    n = A.nrows()
    coefficients = A.charpoly().coeffs()
    if len(coefficients) != n + 1:  # cannot happen for a monic polynomial of degree n
        raise RuntimeError(f"characteristic polynomial of degree {len(coefficients) - 1} != {n}")
    return all((c > 0) if (n - k) % 2 == 0 else (c < 0) for k, c in enumerate(coefficients))


def positive_by_bareiss_python(A: flint.fmpz_mat) -> bool:
    """Sylvester's criterion by fraction-free (Bareiss) elimination without pivoting.

    After step k the pivot ``E[k, k]`` is the k-th leading principal minor. Stops at the first
    pivot that is not positive. Pure Python over fmpz: the fallback of
    :func:`positive_by_sylvester`.
    """
    n = A.nrows()
    E = [[A[i, j] for j in range(n)] for i in range(n)]
    previous = flint.fmpz(1)
    for k in range(n):
        pivot = E[k][k]
        if pivot <= 0:
            return False
        for i in range(k + 1, n):
            row_i, row_k = E[i], E[k]
            factor = row_i[k]
            for j in range(k + 1, n):
                row_i[j] = (row_i[j] * pivot - factor * row_k[j]) // previous
        previous = pivot
    return True


def positive_by_sylvester(A: flint.fmpz_mat) -> bool:
    """Sylvester's criterion with the leading principal minors from FLINT's fraction-free LU.

    ``fmpz_mat_fflu`` is Bareiss elimination that swaps rows only when the current pivot is zero
    (it takes the first nonzero entry of the column). Without a swap the diagonal of the compact
    LU is the sequence of leading principal minors; a swap means a leading minor vanished, so the
    matrix is not positive definite. Should a swap occur we re-run Bareiss in Python rather than
    rely on the pivoting rule.
    """
    n = A.nrows()
    LU, _, permutation, rank = A._fflu()
    if rank < n:
        return False  # singular
    if list(permutation) != list(range(n)):
        return positive_by_bareiss_python(A)
    return all(LU[k, k] > 0 for k in range(n))


def is_positive_definite_integer(A: flint.fmpz_mat, method: str) -> bool:
    n = A.nrows()
    if any(A[i, i] <= 0 for i in range(n)):
        return False  # e_i^T A e_i <= 0
    if method == "sylvester":
        return positive_by_sylvester(A)
    if method == "charpoly":
        return positive_by_charpoly(A)
    # "auto": cheap exact proofs guided by floating point, then the exact characteristic polynomial.
    Af = _float_approximation(A)
    if np.all(np.isfinite(Af)):
        try:
            with decomposition_threads(Af.shape[0]):
                L = scipy.linalg.cholesky(Af, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            L = None
        if L is not None and _congruence_proves_positive(A, L):
            return True
        if L is None and _witness_proves_not_positive(A, Af):
            return False
    return positive_by_charpoly(A)
